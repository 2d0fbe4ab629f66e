"""Every page on a phone (390 x 844): nothing scrolls sideways; the dashboard's actions fold into one menu."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dashboards import registry
from dashboards.services import report_save
from tests.browser.conftest import Visit

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield Visit(page, live_server.url)
    context.close()


def assert_fits(visit: Visit, what: str):
    width = visit.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{what} is {width[0]} px wide on a {width[1]} px screen"


def check(visit: Visit, path: str, status: int = 200):
    response = visit.goto(path)
    assert response.status == status, path
    assert_fits(visit, path)


def post_form(visit: Visit, action: str):
    """Submit an empty form with the page's CSRF token, as a page of the site would."""
    with visit.page.expect_navigation():
        visit.page.evaluate(
            """(action) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                form.append(document.querySelector("[name=csrfmiddlewaretoken]").cloneNode());
                document.body.append(form);
                form.submit();
            }""",
            action,
        )


def test_no_page_scrolls_sideways_for_a_visitor(phone, live_cast):
    check(phone, "/accounts/login/")
    phone.page.fill("#id_username", "sales")
    phone.page.fill("#id_password", "wrong password")
    phone.page.click("button[type=submit]")
    expect(phone.page.locator(".alert-error")).to_be_visible()
    assert_fits(phone, "the login page with an error")
    check(phone, "/no-such-page/", status=404)
    for _ in range(5):  # the lock-out page
        phone.log_in("alice", "wrong password")
    expect(phone.page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    assert_fits(phone, "the lock-out page")


def test_no_page_scrolls_sideways_for_a_user(phone, live_cast):
    stocktoday = registry.get("stocktoday")
    report = report_save(
        owner=live_cast["sales"],
        dashboard=stocktoday,
        name="A rather long report name for the Tuesday morning meeting",
        params={"tickers": ["AAPL", "IBM", "MSFT"]},
        visibility="private",
    )
    phone.sign_in("sales")
    for path in (
        "/",
        "/?q=stock",
        "/reports/",
        "/reports/?q=nothing-matches-this",
        "/dashboards/stocktoday/",
        "/dashboards/stocktoday/?tickers=AAPL",
        "/dashboards/stocktoday/?tickers=AAPL&tickers=IBM&tickers=MSFT&start=2010-01-04&end=2015-12-31",
        f"/reports/{report.pk}/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
    ):
        check(phone, path)
    check(phone, "/no-such-page/", status=404)
    check(phone, "/dashboards/no-such-dashboard/", status=404)

    phone.goto("/accounts/password_change/")
    phone.page.click("form.auth-form button[type=submit]")  # every field missing
    expect(phone.page.locator(".field-errors").first).to_be_visible()
    assert_fits(phone, "the password form with errors")

    phone.goto("/")
    phone.page.locator("#account-menu summary").click()
    expect(phone.page.locator("#theme-form")).to_be_in_viewport()
    assert_fits(phone, "the open account menu")

    phone.goto("/")
    post_form(phone, "/dashboards/funnel/reports/")  # a dashboard sales may not open: the 403 page
    expect(phone.page.get_by_role("heading", level=1)).to_have_text("You don’t have access to this dashboard")
    assert_fits(phone, "the 403 page")


def test_no_page_scrolls_sideways_for_a_user_without_dashboards(phone, live_cast):
    phone.sign_in("viewer")
    check(phone, "/")
    check(phone, "/reports/")
    check(phone, "/dashboards/stocktoday/", status=403)  # the page asking for access


def test_no_admin_page_scrolls_sideways(phone, live_cast):
    phone.sign_in("admin")
    check(phone, "/")
    check(phone, "/admin/")
    lists = sorted(
        set(
            re.findall(
                r'href="(/admin/\w+/\w+/)"',
                phone.page.locator("#content-main").inner_html(),
            )
        )
    )
    assert "/admin/accounts/user/" in lists and "/admin/dashboards/dashboard/" in lists
    for path in lists:
        check(phone, path)
    check(phone, f"/admin/accounts/user/{live_cast['sales'].pk}/change/")
    check(phone, "/admin/dashboards/dashboard/")
    phone.page.locator("#result_list tbody a").first.click()
    phone.page.wait_for_load_state()
    assert_fits(phone, "a dashboard's admin page")
    check(phone, "/admin/password_change/")


def test_on_a_phone_the_dashboard_actions_fold_into_one_menu(phone, live_cast):
    page = phone.page
    phone.sign_in("sales")
    phone.goto("/dashboards/stocktoday/?tickers=AAPL")
    toggle = page.get_by_role("button", name="Actions")
    actions = ("#copy-link", "#download-menu summary", "#save-menu summary", "#reports-menu summary")
    expect(toggle).to_be_visible()
    for action in actions:
        expect(page.locator(action)).to_be_hidden()
    head = page.locator(".dashboard-head").bounding_box()
    assert head["height"] < 64  # the title and the actions: the charts get the rest of the screen

    toggle.click()
    for action in actions:
        expect(page.locator(action)).to_be_visible()
        expect(page.locator(action)).to_be_in_viewport()
    assert_fits(phone, "the open actions menu")

    page.locator("#save-menu summary").click()
    expect(page.locator("#report-name")).to_be_in_viewport()
    page.fill("#report-name", "From my phone")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/reports/*/")
    expect(page.locator(".report-name")).to_have_text("· From my phone")

    toggle.click()
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#copy-link")).to_be_hidden()
    assert phone.console_errors == []


def test_on_a_wide_screen_the_dashboard_actions_stay_in_the_toolbar(visit, live_cast):
    page = visit.page
    visit.sign_in("sales")
    visit.goto("/dashboards/stocktoday/")
    expect(page.get_by_role("button", name="Actions")).to_be_hidden()
    for action in ("#copy-link", "#download-menu summary", "#save-menu summary", "#reports-menu summary"):
        expect(page.locator(action)).to_be_visible()
    expect(page.get_by_role("button", name="Close")).to_be_hidden()


def frame_of(visit: Visit):
    visit.page.locator("#dash-app").wait_for()
    expect(visit.page.frame_locator("#dash-app").locator("html[data-frame=ready]")).to_have_count(
        1, timeout=30_000
    )
    return visit.page.frame_locator("#dash-app")


def test_on_a_phone_the_first_screen_shows_a_chart_and_the_filters_open_from_one_button(phone, live_cast):
    """The funnel has seven filters and three key figures: on a phone they used to fill the
    first screen before any chart."""
    page = phone.page
    phone.sign_in("admin")
    phone.goto("/dashboards/funnel/")
    frame = frame_of(phone)
    expect(page.get_by_role("link", name="Dash Engine: the gallery")).to_be_visible()
    header = (
        page.locator(".site-nav").bounding_box()["height"]
        + page.locator(".dashboard-head").bounding_box()["height"]
    )
    assert header < 120

    toggle = frame.get_by_role("button", name="Filters")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(frame.locator("#channel")).to_be_hidden()
    chart = frame.locator("#funnel .main-svg").first
    expect(chart).to_be_visible()
    top = page.locator("#dash-app").bounding_box()["y"] + chart.bounding_box()["y"]
    assert top < 844 / 2  # the chart starts in the upper half of the first screen
    assert frame.locator("#funnel .xtick").count() >= 3  # its axis is drawn, labels and all

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for control in ("#channel", "#country", "#compare_channel", "#compare_country", "#start", "#end"):
        expect(frame.locator(control)).to_be_visible()
    expect(frame.get_by_text("A: channel", exact=True)).to_be_visible()
    toggle.click()
    expect(frame.locator("#channel")).to_be_hidden()
    assert_fits(phone, "the funnel on a phone")
    assert phone.console_errors == []


def test_on_a_wide_screen_the_filters_need_no_button(visit, live_cast):
    visit.sign_in("admin")
    visit.goto("/dashboards/funnel/")
    frame = frame_of(visit)
    expect(frame.locator("#channel")).to_be_visible()
    expect(frame.get_by_role("button", name="Filters")).to_be_hidden()
