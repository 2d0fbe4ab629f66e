"""What the portal puts on every hosted app's page, and the kit's chart templates."""

from __future__ import annotations

import json
import re

import plotly
import pytest

from dashboards import registry
from dashboards.hosting import bundles
from dashkit import look
from tests.dash_requests import layout_values, portal_callback, server_callbacks
from tests.test_compat import alice, compat, prefix  # noqa: F401  (alice, compat: fixtures)

PLOTLY_JS = f"/static/dash-bundles/plotly/{plotly.__version__}/package_data/plotly.min.js"
# plotly.js's own bundle of scatter, bar and pie only, of the version the plotly package ships.
BASIC_PLOTLY_JS = "/static/vendor/plotly.js-4.1.1/plotly-basic.min.js"


def frame(slug: str, plotly_js: str = PLOTLY_JS) -> str:
    """What every hosted page starts with: what it will need fetched at once, then the frame."""
    return "".join(
        [
            f'<link rel="preload" href="{plotly_js}" as="script">',
            f'<link rel="preload" href="{prefix(slug)}_dash-layout" as="fetch" crossorigin>',
            f'<link rel="preload" href="{prefix(slug)}_dash-dependencies" as="fetch" crossorigin>',
            '<link rel="stylesheet" href="/static/portal/frame.css">',
            '<script src="/static/portal/frame.js"></script>',
            '<link rel="stylesheet" href="/static/portal/frame-phone.css">',
            '<script src="/static/portal/frame-phone.js"></script>',
            '<script src="/static/portal/plotly-defaults.js"></script>',
        ]
    )


def head_of(page: str) -> str:
    return page.split("<head>", 1)[1].split("</head>", 1)[0]


def templates_on(page: str):
    found = re.search(r'<script type="application/json" id="dashkit-chart-templates">(.*?)</script>', page)
    return json.loads(found[1]) if found else None


def test_a_kit_page_loads_the_frame_first_and_carries_both_chart_templates(client_for):
    page = client_for("stocktoday").get(prefix("stocktoday")).content.decode()
    assert head_of(page).startswith(frame("stocktoday", BASIC_PLOTLY_JS))
    assert re.search(r"<html data-dashkit\b", page)
    assert templates_on(page) == json.loads(json.dumps(look.chart_templates_json()))


def test_a_dropped_in_apps_page_loads_the_frame_but_keeps_its_own_look(alice):  # noqa: F811
    page = alice.get(prefix("context")).content.decode()
    assert head_of(page).startswith(frame("context"))
    assert "data-dashkit" not in page
    assert templates_on(page) is None


def page_config(page: str) -> dict:
    return json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page)[1])


def test_plotly_js_comes_from_its_static_address_whatever_the_view(client_for):
    client = client_for("funnel")  # its bars need only the basic plotly.js
    page = client.get(prefix("funnel")).content.decode()
    assert (page_config(page)["serve_locally"], page_config(page)["plotlyjs_url"]) == (False, BASIC_PLOTLY_JS)
    # What the renderer asks for below a view's address goes to the one static copy.
    for below in ("", "initial/some~view/"):
        response = client.get(
            prefix("funnel") + below + "_dash-component-suites/plotly/package_data/plotly.min.js"
        )
        assert (response.status_code, response["Location"]) == (302, PLOTLY_JS)
    assert client.get(PLOTLY_JS).status_code == 200


def test_a_dashboard_that_declares_its_trace_types_gets_the_smallest_plotly_js_that_draws_them(client_for):
    client = client_for("stocktoday")  # traces=("scatter",)
    assert page_config(client.get(prefix("stocktoday")).content.decode())["plotlyjs_url"] == BASIC_PLOTLY_JS
    assert client.get(BASIC_PLOTLY_JS).status_code == 200

    def chosen(*traces: str) -> str:
        return "/static/" + bundles.plotly_js(frozenset(traces)).static_path

    assert chosen("scatter", "bar") == BASIC_PLOTLY_JS
    assert chosen("scatter", "heatmap") == "/static/vendor/plotly.js-4.1.1/plotly-cartesian.min.js"
    # None declared, or one that no partial bundle has: the full plotly.js.
    assert chosen() == chosen("scatter", "scattergeo") == PLOTLY_JS


def test_a_partial_bundle_of_another_plotly_js_version_is_never_used(tmp_path, monkeypatch):
    newer = tmp_path / "plotly.js-9.0.0" / "plotly-basic.min.js"
    newer.parent.mkdir()
    newer.write_text('/**\n* plotly.js (basic - minified) v9.0.0\n*/\n{moduleType:"trace",name:"scatter"}')
    monkeypatch.setattr(bundles, "VENDOR", tmp_path)
    bundles.plotly_js.cache_clear()
    try:
        assert "/static/" + bundles.plotly_js(frozenset({"scatter"})).static_path == PLOTLY_JS
    finally:
        bundles.plotly_js.cache_clear()


@pytest.mark.parametrize("slug", [d.slug for d in registry.all_dashboards()])
def test_every_chart_of_a_catalogue_dashboard_is_of_a_trace_type_it_declares(client_for, slug):
    client = client_for(slug)
    declared = set(registry.get(slug).traces)
    figures = [
        value
        for value in layout_values(json.loads(client.get(prefix(slug) + "_dash-layout").content)).values()
        if isinstance(value, dict) and "data" in value
    ]
    for dependency in server_callbacks(json.loads(client.get(prefix(slug) + "_dash-dependencies").content)):
        answer = portal_callback(client, slug, output=dependency["output"])
        figures += [
            value
            for props in answer.values()
            for value in props.values()
            if isinstance(value, dict) and "data" in value
        ]
    assert figures, "no chart to look at"
    drawn = {trace.get("type", "scatter") for figure in figures for trace in figure["data"]}
    assert drawn <= declared
    assert drawn <= bundles.plotly_js(frozenset(declared)).traces


def test_the_light_and_dark_chart_templates_set_the_same_colours_differently():
    dark, light = (look.chart_templates_json()[theme]["layout"] for theme in ("dark", "light"))
    assert dark.keys() == light.keys()
    assert dark["xaxis"]["gridcolor"] != light["xaxis"]["gridcolor"]
    assert dark["font"]["color"] != light["font"]["color"]
    # The chart's background is its card's.
    assert (dark["paper_bgcolor"], light["paper_bgcolor"]) == ("#131c2e", "#ffffff")


def test_a_kit_figure_carries_the_dark_template_that_a_standalone_run_shows():
    figure = look.figure("Sales", "Revenue").to_plotly_json()
    assert figure["layout"]["template"] == look.CHART_TEMPLATES["dark"].to_plotly_json()
    assert figure["layout"]["title"]["text"] == "Sales"
    assert look.dark_figure is look.figure


# plotly.py's empty template ("none"), as plotly.js receives it.
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}


def test_a_kit_figure_carries_no_template_where_the_page_puts_the_themes_on():
    token = look.TEMPLATE_ON_PAGE.set(True)
    try:
        figure = look.figure("Sales", "Revenue").to_plotly_json()
    finally:
        look.TEMPLATE_ON_PAGE.reset(token)
    assert figure["layout"]["template"] == NO_TEMPLATE
    assert figure["layout"]["title"]["text"] == "Sales"


def test_a_kit_pages_callback_answers_charts_without_the_template_its_page_replaces(client_for):
    answer = portal_callback(client_for("stocktoday"), "stocktoday", **{"start.date": "2015-06-01"})
    figures = [value for props in answer.values() for value in props.values() if isinstance(value, dict)]
    assert [figure["layout"]["template"] for figure in figures if "data" in figure] == [NO_TEMPLATE] * 2


def test_only_a_kit_page_puts_the_themes_template_on_its_figures(alice):  # noqa: F811
    assert bundles.themes_its_figures(registry.app("stocktoday")) is True
    assert bundles.themes_its_figures(registry.app("context")) is False
