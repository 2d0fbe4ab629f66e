"""axe-core (npm, tests/browser/package.json) finds nothing critical or serious on
any page of the portal or inside any catalogue dashboard's frame, in either theme;
every control has its own name; the keyboard alone gets from the gallery to a chart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from dashboards import registry
from dashboards.models import AccessRequest, Dashboard
from dashboards.services import report_save
from tests.browser.conftest import Visit

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")


@pytest.fixture
def visit(browser, live_server):
    # The site's Content-Security-Policy would refuse the injected axe script.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield Visit(page, live_server.url)
    context.close()


def violations(target) -> list[str]:
    """What axe finds critical or serious in a page or a frame, one line each."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test-packages` installs it with npm.")
    target.add_script_tag(path=str(AXE))
    found = target.evaluate(
        """async () => {
            // A frame is checked on its own, with its own copy of axe.
            const result = await axe.run({ exclude: [["iframe"]] }, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                nodes: v.nodes.map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [f"{v['impact']} {v['id']}: {v['nodes']}" for v in found if v["impact"] in SERIOUS]


def frame_of(visit):
    visit.page.locator("#dash-app").wait_for()
    frame = visit.page.frame_locator("#dash-app")
    expect(frame.locator("html[data-frame=ready]")).to_have_count(1, timeout=30_000)
    return visit.page.frame(url=lambda url: "/django_plotly_dash/app/" in url)


def check_page(visit, path: str, status: int = 200) -> list[str]:
    response = visit.goto(path)
    assert response.status == status, path
    return [f"{path} {line}" for line in violations(visit.page)]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_violation_in_any_catalogue_dashboard(visit, live_cast, theme):
    User.objects.update(theme=theme)
    visit.log_in("admin")
    found = []
    for dashboard in registry.all_dashboards():
        found += check_page(visit, f"/dashboards/{dashboard.slug}/")
        found += [f"{dashboard.slug} frame {line}" for line in violations(frame_of(visit))]
    assert not found, "\n".join(found)


def test_no_serious_violation_in_a_frame_with_a_list_or_a_calendar_open(visit, live_cast):
    visit.log_in("sales")
    visit.goto("/dashboards/stocktoday/")
    frame = frame_of(visit)
    frame.locator("#tickers").click()
    frame.get_by_role("checkbox", name="IBM").wait_for()
    found = [f"tickers open {line}" for line in violations(frame)]
    visit.page.keyboard.press("Escape")
    frame.locator("#start").click()
    frame.locator(".dash-datepicker-calendar").first.wait_for()
    found += [f"calendar open {line}" for line in violations(frame)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_violation_on_the_portal_pages(visit, live_cast, theme):
    User.objects.update(theme=theme)
    sales = live_cast["sales"]
    report = report_save(
        owner=sales,
        dashboard=registry.get("stocktoday"),
        name="Tech pair",
        params={"tickers": ["IBM", "MSFT"]},
        visibility="private",
    )
    found = check_page(visit, "/accounts/login/")
    visit.page.fill("#id_username", "sales")
    visit.page.fill("#id_password", "wrong password")
    visit.page.click("button[type=submit]")
    found += [f"login with an error {line}" for line in violations(visit.page)]

    visit.log_in("sales")
    for path in ("/", "/?q=stok", "/reports/", "/reports/?q=nothing", f"/reports/{report.pk}/"):
        found += check_page(visit, path)
    found += check_page(visit, "/dashboards/funnel/", status=403)  # asks for access
    found += check_page(visit, "/no-such-page/", status=404)
    for path in ("/accounts/password_change/", "/accounts/password_change/done/"):
        found += check_page(visit, path)
    visit.goto("/dashboards/stocktoday/")
    for menu in ("#reports-menu", "#save-menu", "#account-menu"):
        visit.page.locator(f"{menu} summary").click()
        found += [f"open {menu} {line}" for line in violations(visit.page)]
        visit.page.keyboard.press("Escape")

    visit.page.context.clear_cookies()
    visit.log_in("marketing")
    found += check_page(visit, f"/reports/{report.pk}/", status=403)  # not shared: names the owner
    assert not found, "\n".join(found)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_violation_on_the_admin_pages(visit, live_cast, theme):
    User.objects.update(theme=theme)
    AccessRequest.objects.create(
        user=live_cast["marketing"],
        dashboard=Dashboard.objects.get(slug="stocktoday"),
        reason="For the Q3 plan",
    )
    visit.log_in("admin")
    found = check_page(visit, "/admin/")
    lists = sorted(
        set(re.findall(r'href="(/admin/\w+/\w+/)"', visit.page.locator("#content-main").inner_html()))
    )
    assert {"/admin/accounts/user/", "/admin/dashboards/accessrequest/"} <= set(lists)
    for path in lists:
        found += check_page(visit, path)
        first = visit.page.locator("#result_list tbody th a").first
        if first.count():
            first.click()
            visit.page.wait_for_load_state()
            found += [f"{visit.page.url} {line}" for line in violations(visit.page)]
    found += check_page(visit, "/admin/accounts/user/add/")
    assert not found, "\n".join(found)


CONTROLS = re.compile(
    r'^\s*- (button|textbox|searchbox|combobox|checkbox|radio|spinbutton|slider)(?: "([^"]*)")?', re.M
)


def control_names(target) -> list[str]:
    """The accessible name of every form control and button, as Chromium computes it."""
    return [name for _, name in CONTROLS.findall(target.locator("body").aria_snapshot())]


def test_every_control_in_a_catalogue_frame_has_a_name_of_its_own(visit, live_cast):
    visit.log_in("admin")
    for dashboard in registry.all_dashboards():
        visit.goto(f"/dashboards/{dashboard.slug}/")
        names = control_names(frame_of(visit))
        assert names and "" not in names, (dashboard.slug, names)
        repeated = sorted({name for name in names if names.count(name) > 1})
        assert repeated == [], (dashboard.slug, names)


def test_every_control_on_the_portal_pages_has_a_name_of_its_own(visit, live_cast):
    for name in ("Tech pair", "Retail pair"):
        report_save(
            owner=live_cast["sales"],
            dashboard=registry.get("stocktoday"),
            name=name,
            params={"tickers": ["IBM", "MSFT"]},
            visibility="private",
        )
    visit.log_in("sales")
    for path, menu in (
        ("/", None),
        ("/reports/", None),
        ("/dashboards/stocktoday/", "#reports-menu summary"),
    ):
        visit.goto(path)
        if menu:
            visit.page.locator(menu).click()
        names = control_names(visit.page)
        assert names and "" not in names, (path, names)
        repeated = sorted({name for name in names if names.count(name) > 1})
        assert repeated == [], (path, names)


def test_the_keyboard_alone_goes_from_the_gallery_to_a_chart(visit, live_cast):
    visit.log_in("sales")
    visit.goto("/")
    page = visit.page
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/dashboards/stocktoday/":
            break
    else:
        pytest.fail("Tab never reached Stock Today's card")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboards/stocktoday/**")
    frame = frame_of(visit)
    for _ in range(40):
        page.keyboard.press("Tab")
        if frame.evaluate("document.hasFocus() && document.activeElement.id === 'tickers'"):
            break
    else:
        pytest.fail("Tab never reached the tickers inside the dashboard")
    frame.locator("#tickers").press("Enter")
    frame.get_by_role("checkbox", name="IBM").wait_for()
    page.keyboard.type("IBM")
    # Enter takes the first option the search leaves: wait until it has filtered them.
    expect(frame.locator("[role=dialog] input[type=checkbox]")).to_have_count(1)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(frame.locator("#prices .scatterlayer .trace")).to_have_count(2)
    expect(frame.locator("#summary-IBM")).to_be_visible()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_violation_on_the_single_sign_on_pages(visit, live_cast, theme, settings):
    """The login page with the provider's button, and a refused sign-in's page (the provider
    itself is not needed to draw them)."""
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/o/.well-known/openid-configuration"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "dash-engine", "secret"
    settings.OIDC_PROVIDER_NAME = "Example SSO"
    visit.page.emulate_media(color_scheme=theme)
    found = check_page(visit, "/accounts/login/")
    found += check_page(visit, "/accounts/oidc/callback/?code=x&state=y", status=400)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_violation_on_the_schedule_and_unsubscribe_pages(visit, live_cast, theme):
    import datetime as dt

    from django.contrib.auth.models import Group

    from dashboards.deliveries import unsubscribe_token
    from dashboards.services import schedule_save

    User.objects.update(theme=theme)
    sales = live_cast["sales"]
    report = report_save(
        owner=sales, dashboard=registry.get("stocktoday"), name="Weekly", params={}, visibility="everyone"
    )
    schedule = schedule_save(
        report=report,
        owner=sales,
        frequency="weekly",
        weekday=0,
        time=dt.time(8, 0),
        time_zone="Europe/Paris",
        groups=[Group.objects.get(name="Sales")],
    )
    visit.log_in("sales")
    found = check_page(visit, f"/reports/{report.pk}/schedules/")
    visit.page.select_option("#frequency", "monthly")  # the day-of-month field shows instead
    visit.page.uncheck("input[name=include_owner]")
    visit.page.click(".schedule-form button[type=submit]")  # no recipient: the errors are shown
    expect(visit.page.locator(".schedule-form .field-errors")).to_have_text("Choose at least one recipient.")
    found += [f"schedule form with an error {line}" for line in violations(visit.page)]
    visit.page.context.clear_cookies()
    found += check_page(visit, f"/unsubscribe/{unsubscribe_token(schedule=schedule, user=sales)}/")
    visit.page.click("button[type=submit]")
    expect(visit.page.locator("h1")).to_have_text("You will not get these e-mails any more")
    found += [f"unsubscribed {line}" for line in violations(visit.page)]


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["laptop", "phone"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_violation_on_the_pages_of_a_view_that_never_breaks(
    browser, live_server, live_cast, theme, size
):
    """Forgot password, a link with bad parts, filters back from last time, a report found
    by the gallery search, and a frame with a refused value and a failed update."""
    User.objects.update(theme=theme)
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, bypass_csp=True, color_scheme=theme
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    visit = Visit(page, live_server.url)
    try:
        report_save(
            owner=live_cast["sales"],
            dashboard=registry.get("stocktoday"),
            name="Tech pair",
            params={"tickers": ["IBM", "MSFT"]},
            visibility="private",
        )
        found = []
        for path in (
            "/accounts/password_reset/",
            "/accounts/password_reset/done/",
            "/accounts/reset/MQ/set-password/",
            "/accounts/reset/done/",
        ):
            found += check_page(visit, path)
        visit.log_in("sales")
        found += check_page(visit, "/?q=tech")
        found += check_page(visit, "/dashboards/stocktoday/?tickers=IBM&tickers=XYZ&start=1999-01-01")
        frame = frame_of(visit)
        if size[0] < 640:  # a phone keeps the filters behind one button
            frame.get_by_role("button", name="Filters").click()
        frame.locator("#start").fill("2017-01-01")
        frame.locator("#start").press("Tab")
        frame.locator("#pf-date-problem-start").wait_for()
        page.route(re.compile(r"/_dash-update-component"), lambda route: route.fulfill(status=500, body="no"))
        frame.locator("#tickers").click()
        frame.get_by_role("checkbox", name="MSFT").click()
        page.keyboard.press("Escape")
        frame.locator(".pf-problem").wait_for()
        found += [f"frame with problems {line}" for line in violations(frame)]
        page.unroute(re.compile(r"/_dash-update-component"))
        # The filters of last time (IBM) come back with their note.
        visit.goto("/dashboards/stocktoday/?tickers=SBUX")
        frame_of(visit)
        page.wait_for_timeout(300)
        from dashboards.models import LastFilters

        LastFilters.objects.update_or_create(
            user=live_cast["sales"],
            dashboard=Dashboard.objects.get(slug="stocktoday"),
            defaults={"params": {"tickers": ["SBUX"], "start": "2007-01-03", "end": "2016-02-29"}},
        )
        found += check_page(visit, "/dashboards/stocktoday/")
        assert page.locator("#remembered-notice").count() == 1
    finally:
        context.close()
    assert not found, "\n".join(found)


@pytest.fixture
def phone_visit(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield Visit(page, live_server.url)
    context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_violation_on_a_phone(phone_visit, live_cast, theme):
    """390 x 844: the logo link, the folded actions and filters, every dashboard and its frame."""
    User.objects.update(theme=theme)
    visit = phone_visit
    found = check_page(visit, "/accounts/login/")
    visit.log_in("admin")
    for path in ("/", "/reports/", "/accounts/password_change/", "/admin/"):
        found += check_page(visit, path)
    for dashboard in registry.all_dashboards():
        found += check_page(visit, f"/dashboards/{dashboard.slug}/")
        frame = frame_of(visit)
        found += [f"{dashboard.slug} frame {line}" for line in violations(frame)]
        toggle = visit.page.frame_locator("#dash-app").get_by_role("button", name="Filters")
        if toggle.count():
            toggle.click()
            found += [f"{dashboard.slug} frame, filters open {line}" for line in violations(frame)]
    visit.goto("/dashboards/stocktoday/")
    visit.page.get_by_role("button", name="Actions").click()
    found += [f"open actions {line}" for line in violations(visit.page)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [1366, 390])
def test_no_serious_violation_on_a_page_with_a_message(browser, live_server, live_cast, theme, width):
    """A message after an action (a report saved, access requested) keeps the page's lists whole."""
    User.objects.update(theme=theme)
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width < 500 else 768}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    visit = Visit(page, live_server.url)
    try:
        visit.log_in("viewer")
        visit.goto("/dashboards/stocktoday/")
        page.locator(
            "form.request-form button[type=submit], form[action$='/request-access/'] button"
        ).first.click()
        page.wait_for_load_state()
        expect(page.locator(".messages .message")).to_have_count(1)
        found = [f"after requesting access {line}" for line in violations(page)]

        page.context.clear_cookies()
        visit.log_in("sales")
        visit.goto("/dashboards/stocktoday/")
        if width < 500:
            page.get_by_role("button", name="Actions").click()
        page.locator("#save-menu summary").click()
        page.fill("#report-name", "Tech pair")
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url("**/reports/*/")
        expect(page.locator(".messages .message")).to_have_count(1)
        found += [f"after saving a report {line}" for line in violations(page)]
        assert not found, "\n".join(found)
    finally:
        context.close()
