"""A view's first answers come inside its layout (dashboards/hosting/first_view.py):
the same answers the browser would have asked for, and the browser is told not to ask."""

from __future__ import annotations

import json
import re

import pytest

from dashboards import registry
from dashboards.hosting.views import initial_token
from tests.dash_requests import app_url, layout_values, portal_callback, server_callbacks
from tests.test_callback_answers import whoami_app  # noqa: F401 - a fixture

STOCK_MAIN = "..prices.figure...changes.figure...summary.children...message.children.."


def view_url(client, path: str) -> str:
    page = client.get(path).content.decode()
    return re.search(r'id="dash-app"[^>]*src="([^"]+)"', page)[1]


def not_asked(client, url: str) -> set[str]:
    dependencies = json.loads(client.get(url + "_dash-dependencies").content)
    return {d["output"] for d in dependencies if d["prevent_initial_call"]}


def test_a_views_layout_holds_its_charts_and_the_browser_is_told_not_to_ask(sales_client):
    url = view_url(sales_client, "/dashboards/stocktoday/?tickers=IBM&tickers=MSFT")
    layout = layout_values(json.loads(sales_client.get(url + "_dash-layout").content))
    assert [trace["name"] for trace in layout["prices.figure"]["data"]] == ["IBM", "MSFT"]
    assert [trace["name"] for trace in layout["changes.figure"]["data"]] == ["IBM", "MSFT"]
    assert not_asked(sales_client, url) == {STOCK_MAIN}
    # The page has the browser fetch both with its first files.
    page = sales_client.get(url).content.decode()
    assert f'<link rel="preload" href="{url}_dash-layout" as="fetch" crossorigin>' in page
    # The app's own address (no view) is plain Dash's: everything is asked for.
    assert not_asked(sales_client, app_url("stocktoday")) == set()


@pytest.mark.parametrize("slug", [d.slug for d in registry.all_dashboards()])
def test_the_first_answers_are_what_the_browser_would_have_got(client_for, slug):
    client = client_for(slug)
    url = view_url(client, f"/dashboards/{slug}/")
    layout = layout_values(json.loads(client.get(url + "_dash-layout").content))
    answered = not_asked(client, url)
    shared = registry.get(slug).cache_answers and slug != "publicapi"  # its callback is @not_cacheable
    assert bool(answered) == shared
    dependencies = server_callbacks(json.loads(client.get(app_url(slug) + "_dash-dependencies").content))
    for dependency in dependencies:
        if dependency["output"] not in answered:
            continue
        asked = portal_callback(client, slug, output=dependency["output"])  # from the plain layout
        for component_id, props in asked.items():
            for prop, value in props.items():
                assert layout[f"{component_id}.{prop}"] == json.loads(json.dumps(value)), (
                    slug,
                    component_id,
                    prop,
                )


def test_a_callback_that_reads_the_user_or_is_not_cacheable_is_left_to_the_browser(client, whoami_app):  # noqa: F811
    client.force_login(whoami_app["alice"])
    url = app_url("whoami") + f"initial/{initial_token({})}/"
    layout = layout_values(json.loads(client.get(url + "_dash-layout").content))
    assert (layout["echo.children"], layout.get("me.children"), layout.get("now.children")) == (
        "hello!",
        None,
        None,
    )
    assert not_asked(client, url) == {"echo.children"}


def test_a_forged_token_gets_the_defaults_with_their_first_answers(sales_client):
    url = app_url("stocktoday") + "initial/forged~token/"
    layout = layout_values(json.loads(sales_client.get(url + "_dash-layout").content))
    assert [trace["name"] for trace in layout["prices.figure"]["data"]] == ["AAPL"]
    assert not_asked(sales_client, url) == {STOCK_MAIN}


def test_a_failing_first_answer_is_left_to_the_browser(sales_client, monkeypatch):
    from dashboards.catalogue import stocktoday

    def broken(*args):
        raise RuntimeError("the data file is being replaced")

    monkeypatch.setattr(stocktoday, "data", broken)
    url = view_url(sales_client, "/dashboards/stocktoday/?tickers=SBUX")
    layout = layout_values(json.loads(sales_client.get(url + "_dash-layout").content))
    assert "prices.figure" not in layout or not layout["prices.figure"].get("data")
    assert not_asked(sales_client, url) == set()
