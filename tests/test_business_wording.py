"""Business screens speak the business's language: operating hints for staff only,
experiments by their names, differences in percentage points."""

import json

import pytest
from dash._utils import to_json

from dashboards import registry
from dashboards.catalogue import abtest
from dashboards.models import Dashboard
from dashboards.services import grant_add

DEVELOPER_WORDS = ("manage.py", "publish_point", "websocket", "Dash Engine portal")


@pytest.mark.parametrize("slug", [d.slug for d in registry.all_dashboards()])
def test_no_dashboard_shows_developer_text_inside_its_frame(slug):
    layout = to_json(registry.app(slug).layout)
    for word in DEVELOPER_WORDS:
        assert word not in layout


def test_the_live_feed_hint_is_shown_to_staff_only(client, cast):
    timeseries_row = Dashboard.objects.get(slug="timeseries")
    for name in ("marketing", "staff"):
        grant_add(dashboard=timeseries_row, user=cast[name])
    client.force_login(cast["marketing"])
    html = client.get("/dashboards/timeseries/").content.decode()
    assert 'id="staff-note"' not in html
    assert "publish_point" not in html
    client.force_login(cast["staff"])
    html = client.get("/dashboards/timeseries/").content.decode()
    assert 'id="staff-note"' in html
    assert "Staff only</span>" in html
    assert "manage.py publish_point signups 512" in html


def test_a_dropped_in_apps_staff_note_comes_from_its_portal_declaration():
    import types

    import dash

    from dashboards.hosting.loader import _dashboard_for
    from dashkit.spec import Portal

    module = types.ModuleType("nightly", "Nightly sales.")
    module.portal = Portal(staff_note="Fed nightly by the warehouse job.")
    dashboard = _dashboard_for(module, dash.Dash("nightly"), slug="nightly")
    assert dashboard.staff_note == "Fed nightly by the warehouse job."


def test_experiments_are_listed_by_their_names_and_linked_by_their_keys():
    layout = json.loads(to_json(abtest.layout(abtest.dashboard.defaults())))

    def find(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "experiment":
                return node["props"]
            for value in node.values():
                found = find(value)
                if found:
                    return found
        if isinstance(node, list):
            for value in node:
                found = find(value)
                if found:
                    return found
        return None

    dropdown = find(layout)
    assert dropdown["options"] == [
        {"label": "Checkout redesign", "value": "checkout-redesign"},
        {"label": "Pricing page copy", "value": "pricing-page-copy"},
        {"label": "Onboarding email", "value": "onboarding-email"},
    ]
    assert dropdown["value"] == "checkout-redesign"


def test_the_calculator_speaks_plainly():
    layout = to_json(abtest.layout(abtest.dashboard.defaults()))
    for label in ("Effect (percentage points)", "Chance to detect it (%)", "False-alarm risk (%)"):
        assert label in layout
    for jargon in ("Alpha (%)", "Power (%)", "(points)", " pp", " pts"):
        assert jargon not in layout
