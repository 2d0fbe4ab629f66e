"""Dash Pages inside the portal: `/dashboards/<slug>/<page>` opens that page of the app,
after the same sign-in and permission check as the dashboard; permalinks and saved
reports keep the page; a page address is only ever a page of the same app."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from dashboards.models import AuditEvent, DefaultReport, Report
from dashboards.services import grant_add
from tests.conftest import with_catalogue_packages

HANDBOOK_APP = "/django_plotly_dash/app/handbook/"


def add_pages_apps(monkeypatch, alice) -> None:
    """The shipped catalogue plus tests/pages_apps (`handbook`), which `alice` may open."""
    assert with_catalogue_packages(monkeypatch, "tests.pages_apps").failed == {}
    from dashboards.models import Dashboard

    grant_add(dashboard=Dashboard.objects.get(slug="handbook"), user=alice)


@pytest.fixture
def handbook(monkeypatch, cast):
    add_pages_apps(monkeypatch, cast["alice"])


@pytest.fixture
def alice(client, handbook, cast):
    client.force_login(cast["alice"])
    return client


def attribute(html: str, element_id: str, name: str) -> str:
    tag = re.search(rf"<[^>]*\bid=\"{element_id}\"[^>]*>", html, re.S)[0]
    return unescape(re.search(rf'\b{name}="([^"]*)"', tag)[1])


def frame_src(html: str) -> str:
    return attribute(html, "dash-app", "src")


# Opening a page


def test_a_page_address_opens_that_page_of_the_app_in_the_frame(alice):
    response = alice.get("/dashboards/handbook/reports/q1")

    html = response.content.decode()
    assert response.status_code == 200
    assert frame_src(html) == HANDBOOK_APP + "reports/q1"
    assert attribute(html, "dash-app", "data-pages") == "true"
    assert attribute(html, "dashboard-tools", "data-page") == "reports/q1"
    assert attribute(html, "dashboard-tools", "data-dashboard-url") == "/dashboards/handbook/"
    assert attribute(html, "permalink", "value") == "http://testserver/dashboards/handbook/reports/q1?"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, dashboard="handbook").get()
    assert event.params == {"page": "reports/q1"}


def test_the_dashboard_address_opens_the_apps_first_page(alice):
    html = alice.get("/dashboards/handbook/").content.decode()

    assert frame_src(html) == HANDBOOK_APP
    assert attribute(html, "dashboard-tools", "data-page") == ""
    assert attribute(html, "permalink", "value") == "http://testserver/dashboards/handbook/?"


def test_a_deep_link_without_a_session_goes_to_sign_in_and_comes_back_to_the_page(client, handbook):
    response = client.get("/dashboards/handbook/reports/q1")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboards/handbook/reports/q1"


def test_a_page_of_a_dashboard_the_user_may_not_open_is_refused_like_the_dashboard(client, handbook, cast):
    client.force_login(cast["viewer"])

    response = client.get("/dashboards/handbook/reports/q1")

    html = response.content.decode()
    assert response.status_code == 403
    assert 'id="dash-app"' not in html
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_DENIED, dashboard="handbook").count() == 1
    )


def test_a_page_address_of_an_unknown_dashboard_is_a_404(alice):
    assert alice.get("/dashboards/no-such-board/reports/q1").status_code == 404


def test_a_dashboard_without_pages_has_no_page_addresses(sales_client):
    response = sales_client.get("/dashboards/stocktoday/reports/q1")

    assert response.status_code == 404
    assert 'id="dash-app"' not in response.content.decode()


@pytest.mark.parametrize(
    "page",
    [
        "..",
        "reports/../../stocktoday",
        "%2e%2e/%2e%2e/admin/",
        "reports//q1",
        "reports/q1/",
        "./reports",
        "_dash-layout",
        "_dash-component-suites/dash/deps/react.js",
        "assets/style.css",
        "https:/evil.example/x",
        "reports/q%201",
        "reports/%E2%80%AEq1",
        "reports\\q1",
        "a" * 301,
    ],
)
def test_a_page_address_that_is_not_a_page_path_gets_400_and_no_frame(alice, page):
    response = alice.get(f"/dashboards/handbook/{page}")

    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "is not a page address" in unescape(html) or "not a page" in unescape(html) or "longer than" in html
    )
    assert 'id="dash-app"' not in html


def test_a_path_that_is_no_page_of_the_app_is_left_to_the_app_to_answer(alice):
    # Dash Pages shows its own 404 content for it, inside the portal (the browser test).
    html = alice.get("/dashboards/handbook/no-such-page").content.decode()

    assert frame_src(html) == HANDBOOK_APP + "no-such-page"


def test_the_dashboards_own_routes_are_not_taken_for_pages(alice):
    assert alice.get("/dashboards/handbook/export.csv").status_code == 404  # no data: its own answer
    assert alice.get("/dashboards/handbook/reports/").status_code == 405  # the Save report form's POST route


# Saved reports keep the page


def save(client, *, page: str, name: str = "Second quarter", slug: str = "handbook"):
    return client.post(
        f"/dashboards/{slug}/reports/",
        {"name": name, "visibility": "private", "params": json.dumps({}), "page": page},
    )


def test_the_save_report_form_carries_the_page_on_screen(alice):
    html = alice.get("/dashboards/handbook/reports/q2").content.decode()

    assert attribute(html, "report-page", "value") == "reports/q2"
    assert attribute(html, "report-page", "name") == "page"


def test_a_saved_report_opens_at_its_page(alice, cast):
    response = save(alice, page="reports/q2")

    report = Report.objects.get(owner=cast["alice"], name="Second quarter")
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert report.page == "reports/q2"
    html = alice.get(f"/reports/{report.pk}/").content.decode()
    assert frame_src(html) == HANDBOOK_APP + "reports/q2"
    assert attribute(html, "dashboard-tools", "data-report-page") == "reports/q2"
    assert (
        attribute(html, "dashboard-tools", "data-page-url")
        == "http://testserver/dashboards/handbook/reports/q2"
    )
    assert attribute(html, "permalink", "value") == f"http://testserver/reports/{report.pk}/"


def test_a_default_report_opens_at_its_page_unless_the_address_names_one(alice, cast):
    save(alice, page="reports/q2")
    report = Report.objects.get(owner=cast["alice"])
    DefaultReport.objects.create(user=cast["alice"], dashboard=report.dashboard, report=report)

    assert frame_src(alice.get("/dashboards/handbook/").content.decode()) == HANDBOOK_APP + "reports/q2"
    assert (
        frame_src(alice.get("/dashboards/handbook/reports/q1").content.decode())
        == HANDBOOK_APP + "reports/q1"
    )


@pytest.mark.parametrize("page", ["../stocktoday", "reports//q1", "_dash-layout", "https://evil.example/"])
def test_a_report_with_a_bad_page_is_refused_with_400_and_not_saved(alice, page):
    response = save(alice, page=page)

    assert response.status_code == 400
    assert "not a page" in unescape(response.content.decode())
    assert not Report.objects.exists()


def test_a_report_of_a_dashboard_without_pages_cannot_name_a_page(sales_client):
    response = sales_client.post(
        "/dashboards/stocktoday/reports/",
        {"name": "Paged", "visibility": "private", "params": "{}", "page": "reports/q1"},
    )

    assert response.status_code == 404
    assert not Report.objects.exists()


# The frame's page (needs dashboards/hosting/views.py to answer a page path as it answers
# the app's first page)


def test_the_app_answers_a_page_path_with_a_page_the_portal_may_frame(alice):
    first = alice.get(HANDBOOK_APP)
    deep = alice.get(HANDBOOK_APP + "reports/q1")

    assert deep.status_code == 200
    assert deep["X-Frame-Options"] == "SAMEORIGIN"
    # The same page as the first one, its renderer allowed to start and its bundles local.
    assert deep["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "/static/dash-bundles/dash/" in deep.content.decode()
    assert "_dash-component-suites" not in deep.content.decode()
    assert "csrftoken" in deep.cookies
