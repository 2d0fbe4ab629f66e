"""The portal's Dash views answer exactly as django-plotly-dash's own, from one instance per app."""

import json
import re

import pytest
from django.test import Client, RequestFactory
from django_plotly_dash import views as dpd_views
from django_plotly_dash.util import store_initial_arguments

from dashboards import dash_views, registry
from tests.dash_requests import callback_body, layout_values, server_callbacks

SLUGS = [d.slug for d in registry.all_dashboards()]


def request_for(user, method="get", body=None):
    factory = RequestFactory()
    request = (
        factory.post("/", body, content_type="application/json") if method == "post" else factory.get("/")
    )
    request.user = user
    request.session = {}
    return request


def without_nonce(page: bytes | str) -> str:
    # dash signs a fresh random `end_id` into every page it renders.
    text = page.decode() if isinstance(page, bytes) else page
    return re.sub(r'"end_id":\s*"[^"]*"', '"end_id": ""', text)


@pytest.mark.parametrize("slug", SLUGS)
def test_page_layout_and_dependencies_are_identical(slug, superuser):
    kwargs = {"ident": slug, "stateless": True}
    for view in ("layout", "dependencies"):
        ours = getattr(dash_views, view)(request_for(superuser), **kwargs)
        theirs = getattr(dpd_views, view)(request_for(superuser), **kwargs)
        assert ours.content == theirs.content, view
        assert ours["Content-Type"] == theirs["Content-Type"]
    assert_same_page(superuser, kwargs)


def assert_same_page(user, kwargs):
    """The same page, but for the scripts pointing straight at the static files."""
    ours = dash_views.main(request_for(user), **kwargs).content.decode()
    theirs = dpd_views.main_view(request_for(user), **kwargs).content.decode()
    base = dash_views.built_app(kwargs["ident"]).base_path
    if kwargs.get("cache_id"):
        base = f"{base}initial/{kwargs['cache_id']}/"
    assert without_nonce(ours) == without_nonce(dash_views._direct_bundle_urls(theirs, base))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_initial_arguments_variants_are_identical(slug, superuser):
    dashboard = registry.get(slug)
    initial = {p.name: {p.prop: dashboard.to_json(dashboard.defaults())[p.name]} for p in dashboard.params}
    first = dashboard.params[0]
    if hasattr(first, "choices"):
        initial[first.name] = {
            first.prop: [first.choices[-1]] if isinstance(first.default, list) else first.choices[-1]
        }
    cache_id = store_initial_arguments(request_for(superuser), initial)
    kwargs = {"ident": slug, "stateless": True, "cache_id": cache_id}
    assert (
        dash_views.layout(request_for(superuser), **kwargs).content
        == dpd_views.layout(request_for(superuser), **kwargs).content
    )
    assert_same_page(superuser, kwargs)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_callback_answers_identically(slug, superuser):
    kwargs = {"ident": slug, "stateless": True}
    dependencies = json.loads(dash_views.dependencies(request_for(superuser), **kwargs).content)
    values = layout_values(json.loads(dash_views.layout(request_for(superuser), **kwargs).content))
    for dependency in server_callbacks(dependencies):
        body = json.dumps(callback_body(dependency, values))
        ours = dash_views.update(request_for(superuser, "post", body), **kwargs)
        theirs = dpd_views.update(request_for(superuser, "post", body), **kwargs)
        assert ours.status_code == theirs.status_code
        assert ours.content == theirs.content, dependency["output"]


def test_callbacks_do_not_write_the_session(sales_client):
    from tests.test_callbacks import post_callback, stock_callback

    body = stock_callback(sales_client)
    post_callback(sales_client, body)
    assert "django_plotly_dash" not in sales_client.session


def test_two_users_interleaving_requests_keep_their_own_state(cast):
    alice, sales = Client(), Client()
    alice.force_login(cast["alice"])
    sales.force_login(cast["sales"])

    def app_path(client, query):
        page = client.get(f"/dashboards/stocktoday/?{query}").content.decode()
        return re.search(r'id="dash-app"[^>]*src="([^"]+)"', page)[1]

    alice_app = app_path(alice, "tickers=IBM")
    sales_app = app_path(sales, "tickers=SBUX&tickers=MSFT")
    for _ in range(2):
        alice_layout = layout_values(json.loads(alice.get(alice_app + "_dash-layout").content))
        sales_layout = layout_values(json.loads(sales.get(sales_app + "_dash-layout").content))
        assert alice_layout["tickers.value"] == ["IBM"]
        assert sales_layout["tickers.value"] == ["SBUX", "MSFT"]

    [dependency] = server_callbacks(json.loads(alice.get(alice_app + "_dash-dependencies").content))

    def names(client, app, values):
        body = json.dumps(callback_body(dependency, values))
        answer = client.post(app + "_dash-update-component", body, content_type="application/json")
        return [t["name"] for t in json.loads(answer.content)["response"]["prices"]["figure"]["data"]]

    for _ in range(2):
        assert names(alice, alice_app, alice_layout) == ["IBM"]
        assert names(sales, sales_app, sales_layout) == ["SBUX", "MSFT"]
