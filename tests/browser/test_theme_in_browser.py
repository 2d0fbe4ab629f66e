"""Light, dark or the device's theme, in a real browser under the site's Content-Security-Policy."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import signed_in

pytestmark = pytest.mark.browser


def choose_theme(page, label: str):
    """Pick a theme in the account menu and wait until it is stored."""
    page.locator("#account-menu summary").click()
    with page.expect_response(lambda r: r.url.endswith("/accounts/theme/")) as saved:
        page.locator("#theme-form").get_by_role("button", name=label).click()
    assert saved.value.status == 200


def stored_theme(username: str) -> str:
    return get_user_model().objects.get(username=username).theme


def test_switching_the_theme_changes_the_page_at_once_and_after_a_reload(visit, live_cast):
    page = visit.page
    page.emulate_media(color_scheme="light")
    visit.sign_in("sales")
    visit.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "light")  # the device's, until the user chooses

    page.locator("#account-menu summary").click()
    with page.expect_response(lambda r: r.url.endswith("/accounts/theme/")):
        page.locator("#theme-form").get_by_role("button", name="Dark").click()
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # no reload
    expect(page.locator("#theme-form").get_by_role("button", name="Dark")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert stored_theme("sales") == "dark"

    visit.goto("/reports/")
    expect(html).to_have_attribute("data-theme", "dark")
    choose_theme(page, "Light")
    expect(html).to_have_attribute("data-theme", "light")
    page.reload()
    expect(html).to_have_attribute("data-theme", "light")
    page.emulate_media(color_scheme="dark")  # a chosen theme does not follow the device
    expect(html).to_have_attribute("data-theme", "light")
    assert visit.console_errors == []


def test_same_as_my_device_follows_the_device_as_it_changes(visit, live_cast):
    user = live_cast["sales"]
    user.theme = "dark"
    user.save()
    page = visit.page
    page.emulate_media(color_scheme="light")
    visit.sign_in("sales")
    visit.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")

    choose_theme(page, "Same as my device")
    expect(html).to_have_attribute("data-theme", "light")
    page.emulate_media(color_scheme="dark")
    expect(html).to_have_attribute("data-theme", "dark")
    page.emulate_media(color_scheme="light")
    expect(html).to_have_attribute("data-theme", "light")
    visit.goto("/dashboards/stocktoday/")
    expect(html).to_have_attribute("data-theme", "light")
    assert stored_theme("sales") == "system"


def test_the_login_page_follows_the_device(visit, live_cast):
    page = visit.page
    html = page.locator("html")
    page.emulate_media(color_scheme="dark")
    visit.goto("/accounts/login/")
    expect(html).to_have_attribute("data-theme", "dark")
    page.emulate_media(color_scheme="light")
    expect(html).to_have_attribute("data-theme", "light")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(244, 246, 250)"  # the light palette, not the dark one


def test_without_scripts_the_menu_still_saves_the_theme(browser, live_server, live_cast):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, java_script_enabled=False)
    signed_in(context, live_server.url, "sales")
    page = context.new_page()
    page.goto(live_server.url + "/reports/")

    page.locator("#account-menu summary").click()
    page.locator("#theme-form").get_by_role("button", name="Light").click()

    page.wait_for_url("**/reports/")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")  # rendered by the server
    assert stored_theme("sales") == "light"
    context.close()


def test_the_admin_follows_the_stored_theme_and_its_button_changes_it(visit, live_cast):
    admin = live_cast["admin"]
    admin.theme = "dark"
    admin.save()
    page = visit.page
    page.emulate_media(color_scheme="light")
    visit.sign_in("admin")
    visit.goto("/admin/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"

    # On a light device the button goes Same as my device -> Dark -> Light, as Django's does.
    with page.expect_response(lambda r: r.url.endswith("/accounts/theme/")):
        page.locator("#user-tools .theme-toggle").click()
    expect(html).to_have_attribute("data-theme", "light")
    assert stored_theme("admin") == "light"
    page.reload()
    expect(html).to_have_attribute("data-theme", "light")
    visit.goto("/")
    expect(html).to_have_attribute("data-theme", "light")  # the portal too
    assert visit.console_errors == []


def test_the_browsers_time_zone_is_kept_with_the_account_once(browser, live_server, live_cast):
    """Scheduled e-mails "at 08:00 in each recipient's time zone" need to know where they are."""
    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        signed_in(context, live_server.url, "sales")
        posts = []
        page.on("request", lambda r: posts.append(r.url) if r.url.endswith("/accounts/time-zone/") else None)
        with page.expect_response(lambda r: r.url.endswith("/accounts/time-zone/")) as kept:
            page.goto(live_server.url + "/")
        assert (kept.value.status, kept.value.json()) == (200, {"time_zone": "Asia/Tokyo"})
        assert get_user_model().objects.get(username="sales").time_zone == "Asia/Tokyo"
        page.goto(live_server.url + "/reports/")  # the same zone: nothing sent again
        page.wait_for_load_state("networkidle")
        assert len(posts) == 1
    finally:
        context.close()


def test_the_time_zone_is_read_without_loading_intls_locale_data(browser, live_server, live_cast):
    """Intl.DateTimeFormat loads the locale's data first (20–80 ms on the main thread that a
    dashboard's frame shares with the page while it starts): the zone comes from Temporal."""
    context = browser.new_context(timezone_id="Europe/Paris")
    try:
        context.add_init_script(
            "(() => { const real = Intl.DateTimeFormat; window.__formats = 0;"
            " Intl.DateTimeFormat = function (...args) { window.__formats += 1; return real(...args); }; })()"
        )
        page = context.new_page()
        signed_in(context, live_server.url, "sales")
        with page.expect_response(lambda r: r.url.endswith("/accounts/time-zone/")) as kept:
            page.goto(live_server.url + "/")
        assert (kept.value.status, kept.value.json()) == (200, {"time_zone": "Europe/Paris"})
        assert page.evaluate("window.__formats") == 0
    finally:
        context.close()
