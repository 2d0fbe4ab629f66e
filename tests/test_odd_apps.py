"""What a module registers with Dash class-wide stays with its own app, a combination the
portal cannot host is refused with its reason, and only callbacks take a body."""

import pytest

from dashboards.models import Dashboard
from dashboards.services import grant_add
from tests.conftest import with_catalogue_packages

STARTUP = "_dash_startup_route/odd-hello"


@pytest.fixture
def odd(monkeypatch, cast, client):
    extra = with_catalogue_packages(monkeypatch, "tests.odd_apps")
    for slug in extra.by_slug:
        grant_add(dashboard=Dashboard.objects.get(slug=slug), user=cast["alice"])
    client.force_login(cast["alice"])
    return extra


def test_a_startup_route_a_module_adds_is_mounted_on_its_own_app_only(odd, client):
    mine = client.get("/django_plotly_dash/app/startup/" + STARTUP)
    assert (mine.status_code, mine.content) == (200, b"hello from startup")
    later = client.get("/django_plotly_dash/app/zlater/" + STARTUP)
    assert later.status_code == 200 and b"hello from startup" not in later.content  # Dash's index
    assert "/django_plotly_dash/app/zlater/" + STARTUP not in {
        rule.rule for rule in odd.by_slug["zlater"].app.server.url_map.iter_rules()
    }


def test_a_pages_app_that_declares_parameters_is_refused_with_the_reason(odd):
    trace = odd.failed["tests.odd_apps.pages_with_params"]
    assert "A Dash Pages app cannot declare parameters" in trace
    assert "pages-with-params" not in odd.by_slug


def test_only_callbacks_are_sent_with_a_body(odd, client):
    # Dash's other routes that take one (api_endpoint callbacks, MCP tools) skip the guard.
    response = client.post("/django_plotly_dash/app/startup/_mcp", b"{}", content_type="application/json")
    assert (response.status_code, response.content) == (405, b"Only callbacks are sent with POST.")


@pytest.mark.parametrize(
    "token", ['"><meta http-equiv=refresh content="0;url=//evil.example">x', "a b", "<script>"]
)
def test_a_view_address_outside_the_tokens_alphabet_is_not_written_into_the_page(sales_client, token):
    # No view route takes it: it is a path below the app, which Dash answers with its page.
    response = sales_client.get(f"/django_plotly_dash/app/stocktoday/initial/{token}/")
    page = response.content.decode()
    assert "/django_plotly_dash/app/stocktoday/_dash-layout" in page
    assert "evil.example" not in page and "initial/" not in page
