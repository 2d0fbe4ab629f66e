"""A Dash Pages app inside the portal, in Chromium: a deep link after sign-in lands on its
page, the address bar and the tab's title follow a click on a dcc.Link, back and
forward move between pages, Dash's 404 content shows inside the portal, and a
permalink or a saved report keeps the page."""

from __future__ import annotations

import re

import pytest

from dashboards.models import Report
from tests.test_pages_in_portal import add_pages_apps

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/pages-in-portal"


@pytest.fixture
def handbook_live(monkeypatch, live_cast):
    add_pages_apps(monkeypatch, live_cast["alice"])


def frame(visit):
    return visit.page.frame_locator("#dash-app")


def on_page(visit, path: str, heading_id: str, heading: str, title: str, portal: str = "Handbook") -> None:
    """The address bar, the frame's heading and the tab's title (the page's, then the
    portal's) all show that page."""
    visit.page.wait_for_url(visit.base_url + path)
    frame(visit).locator(f"#{heading_id}", has_text=heading).wait_for()
    visit.page.wait_for_function("t => document.title === t", arg=f"{title} · {portal} · Dash Engine")


def test_a_deep_link_after_sign_in_lands_on_that_page(visit, handbook_live):
    visit.goto("/dashboards/handbook/reports/q1")
    visit.page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    visit.page.fill("#id_username", "alice")
    visit.page.fill("#id_password", "correct-horse-battery-staple")
    visit.page.click("button[type=submit]")

    on_page(visit, "/dashboards/handbook/reports/q1", "q1-title", "First quarter", "Q1 report")
    assert (
        visit.page.locator("#dash-app").get_attribute("src") == "/django_plotly_dash/app/handbook/reports/q1"
    )


def test_the_address_bar_and_title_follow_links_and_back_and_forward_move_the_frame(visit, handbook_live):
    visit.sign_in("alice")
    visit.goto("/dashboards/handbook/")
    on_page(visit, "/dashboards/handbook/", "home-title", "Welcome to the handbook", "Handbook home")
    entries = visit.page.evaluate("history.length")

    frame(visit).locator("#to-q1").click()
    on_page(visit, "/dashboards/handbook/reports/q1", "q1-title", "First quarter", "Q1 report")
    frame(visit).locator("#to-q2").click()
    on_page(visit, "/dashboards/handbook/reports/q2", "q2-title", "Second quarter", "Q2 report")

    visit.page.go_back()
    on_page(visit, "/dashboards/handbook/reports/q1", "q1-title", "First quarter", "Q1 report")
    visit.page.go_back()
    on_page(visit, "/dashboards/handbook/", "home-title", "Welcome to the handbook", "Handbook home")
    visit.page.go_forward()
    on_page(visit, "/dashboards/handbook/reports/q1", "q1-title", "First quarter", "Q1 report")
    # One history entry per page visited, all of them the portal's: the frame adds none.
    assert visit.page.evaluate("history.length") == entries + 2
    # The frame moved without a reload of the portal page or of the frame.
    assert visit.requested.count(visit.base_url + "/dashboards/handbook/") == 1
    assert [u for u in visit.requested if "/django_plotly_dash/app/handbook/reports" in u] == []


def test_a_path_that_is_no_page_of_the_app_shows_the_apps_404_inside_the_portal(visit, handbook_live):
    visit.sign_in("alice")
    visit.goto("/dashboards/handbook/no-such-page")

    frame(visit).locator("h1", has_text="404 - Page not found").wait_for()
    assert visit.page.locator("h1").first.inner_text() == "Handbook"


def test_copy_link_and_save_report_keep_the_page(visit, handbook_live, live_cast):
    visit.sign_in("alice")
    visit.goto("/dashboards/handbook/")
    frame(visit).locator("#to-q2").click()
    on_page(visit, "/dashboards/handbook/reports/q2", "q2-title", "Second quarter", "Q2 report")

    permalink = visit.page.locator("#permalink").input_value()
    assert permalink == visit.base_url + "/dashboards/handbook/reports/q2"

    visit.page.locator("#save-menu summary").click()
    visit.page.fill("#report-name", "Second quarter")
    visit.page.locator("#save-menu button[type=submit]").click()
    report = Report.objects.get(owner=live_cast["alice"], name="Second quarter")
    on_page(
        visit,
        f"/reports/{report.pk}/",
        "q2-title",
        "Second quarter",
        "Q2 report",
        portal="Second quarter · Handbook",
    )
    assert report.page == "reports/q2"

    visit.goto(permalink.removeprefix(visit.base_url))
    on_page(visit, "/dashboards/handbook/reports/q2", "q2-title", "Second quarter", "Q2 report")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_screenshots_of_a_pages_dashboard(browser, live_server, handbook_live, width, height):
    from tests.browser.conftest import signed_in

    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(20_000)
    signed_in(context, live_server.url, "alice")
    page.goto(live_server.url + "/dashboards/handbook/reports/q1")
    page.frame_locator("#dash-app").locator("#q1-title").wait_for()
    page.wait_for_function("() => document.title.startsWith('Q1 report')")
    page.screenshot(path=f"{SCREENSHOTS}/handbook-q1-{width}x{height}.png")
    context.close()
