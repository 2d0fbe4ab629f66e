"""What the portal puts on every hosted app's page, and the kit's chart templates."""

from __future__ import annotations

import json
import re

import plotly

from dashkit import look
from tests.test_compat import alice, compat, prefix  # noqa: F401  (alice, compat: fixtures)

PLOTLY_JS = f"/static/dash-bundles/plotly/{plotly.__version__}/package_data/plotly.min.js"


def frame(slug: str) -> str:
    """What every hosted page starts with: what it will need fetched at once, then the frame."""
    return "".join(
        [
            f'<link rel="preload" href="{PLOTLY_JS}" as="script">',
            f'<link rel="preload" href="{prefix(slug)}_dash-layout" as="fetch" crossorigin>',
            f'<link rel="preload" href="{prefix(slug)}_dash-dependencies" as="fetch" crossorigin>',
            '<link rel="stylesheet" href="/static/portal/frame.css">',
            '<script src="/static/portal/frame.js"></script>',
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
    assert head_of(page).startswith(frame("stocktoday"))
    assert re.search(r"<html data-dashkit\b", page)
    assert templates_on(page) == json.loads(json.dumps(look.chart_templates_json()))


def test_a_dropped_in_apps_page_loads_the_frame_but_keeps_its_own_look(alice):  # noqa: F811
    page = alice.get(prefix("context")).content.decode()
    assert head_of(page).startswith(frame("context"))
    assert "data-dashkit" not in page
    assert templates_on(page) is None


def test_plotly_js_comes_from_its_static_address_whatever_the_view(client_for):
    client = client_for("stocktoday")
    page = client.get(prefix("stocktoday")).content.decode()
    config = json.loads(
        re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page)[1]
    )
    assert (config["serve_locally"], config["plotlyjs_url"]) == (False, PLOTLY_JS)
    # What the renderer asks for below a view's address goes to the one static copy.
    for below in ("", "initial/some~view/"):
        response = client.get(
            prefix("stocktoday") + below + "_dash-component-suites/plotly/package_data/plotly.min.js"
        )
        assert (response.status_code, response["Location"]) == (302, PLOTLY_JS)
    assert client.get(PLOTLY_JS).status_code == 200


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
