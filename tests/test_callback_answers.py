"""Shared callback answers (dashboards/hosting/answers.py): the same inputs get the
same bytes from the cache, for every user allowed to ask; anything else computes."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from prometheus_client import REGISTRY

from dashboards import registry
from dashboards.hosting import answers
from dashboards.hosting.loader import Catalogue, discover
from dashboards.live import live_point_publish
from dashboards.models import Dashboard
from dashboards.services import dashboards_sync, grant_add, grant_remove
from tests import dash_requests
from tests.answer_apps import whoami
from tests.dash_requests import app_url, portal_callback_body

UPDATE = "_dash-update-component"


def counted(slug: str) -> dict[str, float]:
    return {
        result: REGISTRY.get_sample_value(
            "dashengine_callback_answers_total", {"dashboard": slug, "result": result}
        )
        or 0.0
        for result in ("computed", "shared")
    }


def post(client, slug: str, body: dict):
    return client.post(app_url(slug) + UPDATE, json.dumps(body), content_type="application/json")


def ask(client, slug: str, body: dict) -> tuple[str, bytes]:
    """The answer's bytes, and whether it was computed or shared ("" if neither)."""
    before = counted(slug)
    response = post(client, slug, body)
    assert response.status_code == 200, response.content[:300]
    after = counted(slug)
    how = [result for result in after if after[result] > before[result]]
    return ("".join(how), response.content)


@pytest.fixture
def stock_body(sales_client):
    return portal_callback_body(sales_client, "stocktoday", **{"tickers.value": ["AAPL", "IBM"]})


@pytest.fixture
def whoami_app(monkeypatch, cast):
    """The shipped catalogue plus `tests/answer_apps/whoami.py`, which alice and marketing may open."""
    shipped, extra = registry.catalogue(), discover(["tests.answer_apps"])
    assert extra.failed == {}
    merged = Catalogue(
        discovered=[*shipped.discovered, *extra.discovered], by_slug={**shipped.by_slug, **extra.by_slug}
    )
    monkeypatch.setattr(registry, "_catalogue", merged)
    dashboards_sync()
    for name in ("alice", "marketing"):
        grant_add(dashboard=Dashboard.objects.get(slug="whoami"), user=cast[name])
    return cast


def test_the_same_inputs_get_the_same_bytes_from_the_cache(sales_client, stock_body):
    first = ask(sales_client, "stocktoday", stock_body)
    again = ask(sales_client, "stocktoday", stock_body)
    assert first[0] == "computed" and again[0] == "shared"
    assert again[1] == first[1]
    assert json.loads(again[1])["response"]["prices"]["figure"]["data"][1]["name"] == "IBM"


def test_another_user_allowed_to_ask_gets_the_shared_answer(client, cast, stock_body):
    client.force_login(cast["sales"])
    first = ask(client, "stocktoday", stock_body)
    client.force_login(cast["alice"])  # granted by name, not by group
    assert ask(client, "stocktoday", stock_body) == ("shared", first[1])


def test_a_user_without_the_grant_gets_a_403_not_the_shared_answer(client, cast, stock_body):
    client.force_login(cast["sales"])
    ask(client, "stocktoday", stock_body)
    client.force_login(cast["marketing"])
    response = post(client, "stocktoday", stock_body)
    assert (response.status_code, response.content) == (403, b"You do not have access to this dashboard.")


def test_a_revoked_user_is_refused_at_the_next_request_though_the_answer_is_kept(client, cast, stock_body):
    client.force_login(cast["alice"])
    ask(client, "stocktoday", stock_body)
    assert ask(client, "stocktoday", stock_body)[0] == "shared"
    grant_remove(dashboard=Dashboard.objects.get(slug="stocktoday"), user=cast["alice"])
    assert post(client, "stocktoday", stock_body).status_code == 403


def test_a_changed_input_is_computed_afresh(sales_client, stock_body):
    ask(sales_client, "stocktoday", stock_body)
    other = portal_callback_body(sales_client, "stocktoday", **{"tickers.value": ["AAPL", "MSFT"]})
    status, content = ask(sales_client, "stocktoday", other)
    assert status == "computed"
    assert json.loads(content)["response"]["prices"]["figure"]["data"][1]["name"] == "MSFT"


def test_a_new_code_version_is_computed_afresh(sales_client, stock_body, monkeypatch):
    ask(sales_client, "stocktoday", stock_body)
    monkeypatch.setattr(answers, "code_version", lambda module: "another-version")
    assert ask(sales_client, "stocktoday", stock_body)[0] == "computed"
    assert ask(sales_client, "stocktoday", stock_body)[0] == "shared"


def test_the_code_version_follows_the_module_source_and_the_data_files(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    (tmp_path / "prices.csv").write_text("a\n1\n")
    answers.code_version.cache_clear()
    before = answers.code_version("dashboards.catalogue.stocktoday")
    (tmp_path / "prices.csv").write_text("a\n1\n2\n")
    answers.code_version.cache_clear()
    assert answers.code_version("dashboards.catalogue.stocktoday") != before
    assert answers.code_version("dashboards.catalogue.funnel") != answers.code_version(
        "dashboards.catalogue.stocktoday"
    )
    answers.code_version.cache_clear()


def test_forgetting_a_dashboards_answers_computes_afresh_and_spares_the_others(sales_client, stock_body):
    ask(sales_client, "stocktoday", stock_body)
    call_command("forget_answers", "timeseries")
    assert ask(sales_client, "stocktoday", stock_body)[0] == "shared"
    call_command("forget_answers", "stocktoday")
    assert ask(sales_client, "stocktoday", stock_body)[0] == "computed"


def test_a_live_point_forgets_the_live_dashboards_answers(client_for, django_capture_on_commit_callbacks):
    client = client_for("timeseries")
    body = portal_callback_body(client, "timeseries", output=_first_output(client, "timeseries"))
    ask(client, "timeseries", body)
    assert ask(client, "timeseries", body)[0] == "shared"
    with django_capture_on_commit_callbacks(execute=True):
        live_point_publish(dashboard="timeseries", series="signups", value=512)
    assert ask(client, "timeseries", body)[0] == "computed"


def test_forget_answers_names_the_dashboards_it_knows_when_given_another(db):
    with pytest.raises(Exception, match="No such dashboard: nope. Known: abtest, funnel"):
        call_command("forget_answers", "nope")


def test_a_callback_that_reads_the_user_is_never_shared(client, whoami_app):
    body = portal_callback_body(_signed_in(client, whoami_app["alice"]), "whoami", output="me.children")
    assert json.loads(ask(client, "whoami", body)[1])["response"]["me"]["children"] == "hello, alice"
    client.force_login(whoami_app["marketing"])
    status, content = ask(client, "whoami", body)
    assert (status, json.loads(content)["response"]["me"]["children"]) == ("computed", "hello, marketing")


def test_a_dropped_in_app_that_opts_in_shares_its_pure_callbacks_only(client, whoami_app):
    _signed_in(client, whoami_app["alice"])
    echo = portal_callback_body(client, "whoami", output="echo.children")
    now = portal_callback_body(client, "whoami", output="now.children")
    calls = dict(whoami.calls)
    assert [ask(client, "whoami", echo)[0] for _ in range(3)] == ["computed", "shared", "shared"]
    answered = [
        json.loads(post(client, "whoami", now).content)["response"]["now"]["children"] for _ in range(2)
    ]
    assert answered == [
        f"hello #{calls['now'] + 1}",
        f"hello #{calls['now'] + 2}",
    ]  # @not_cacheable: runs each time
    assert whoami.calls["echo"] == calls["echo"] + 1


def test_a_dropped_in_app_that_does_not_opt_in_computes_every_answer(alice_compat_client):
    client, slug, body = alice_compat_client
    assert [ask(client, slug, body)[0] for _ in range(2)] == ["", ""]


def test_a_failed_callback_is_not_shared(sales_client, stock_body, monkeypatch):
    from dashboards.catalogue import stocktoday

    def broken(*args):
        raise RuntimeError("the data file is being replaced")

    monkeypatch.setattr(stocktoday, "data", broken)
    monkeypatch.setattr(stocktoday, "figures", broken)
    first = post(sales_client, "stocktoday", stock_body)
    assert b"Something went wrong while updating this view" in first.content
    monkeypatch.undo()
    status, content = ask(sales_client, "stocktoday", stock_body)
    assert status == "computed" and b"Something went wrong" not in content


def test_no_answer_is_shared_when_the_cache_time_is_zero(sales_client, stock_body, settings):
    settings.CALLBACK_CACHE_SECONDS = 0
    assert [ask(sales_client, "stocktoday", stock_body)[0] for _ in range(2)] == ["", ""]


@pytest.mark.parametrize("slug", [d.slug for d in registry.all_dashboards()])
def test_every_callback_of_a_catalogue_dashboard_answers_the_same_from_the_cache(client_for, slug, settings):
    client = client_for(slug)
    dependencies = dash_requests.server_callbacks(
        json.loads(client.get(app_url(slug) + "_dash-dependencies").content)
    )
    assert dependencies
    for dependency in dependencies:
        body = portal_callback_body(client, slug, output=dependency["output"])
        settings.CALLBACK_CACHE_SECONDS = 0
        fresh = post(client, slug, body)
        settings.CALLBACK_CACHE_SECONDS = 3600
        first, again = ask(client, slug, body), ask(client, slug, body)
        assert first[1] == again[1] == fresh.content, dependency["output"]
        shared = registry.get(slug).cache_answers and slug != "publicapi"  # its callback is @not_cacheable
        assert (first[0], again[0]) == (("computed", "shared") if shared else ("", "")), dependency["output"]


def _signed_in(client, user):
    client.force_login(user)
    return client


def _first_output(client, slug: str) -> str:
    dependencies = json.loads(client.get(app_url(slug) + "_dash-dependencies").content)
    return dash_requests.server_callbacks(dependencies)[0]["output"]


@pytest.fixture
def alice_compat_client(client, monkeypatch, cast):
    from tests.test_compat import add_compat_apps

    add_compat_apps(monkeypatch, cast["alice"])
    client.force_login(cast["alice"])
    return client, "based", portal_callback_body(client, "based", output="greeting.children")
