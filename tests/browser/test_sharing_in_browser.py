"""Sharing a report with a person, deleting and undoing, a name already used, and the admin
deciding a request by adding to a group; axe on every page of these journeys at both widths
and in both themes. Screenshots go to $SCREENSHOTS_DIR when it is set, to be looked at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.models import User
from dashboards import registry
from dashboards.models import AccessRequest, Dashboard, Report
from dashboards.services import access_request_deny, grant_add, report_save
from tests.browser.conftest import Visit
from tests.browser.test_accessibility_in_browser import violations

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(width=..., bypass_csp=...)`: a new tab of that size (axe needs the CSP bypassed)."""
    contexts = []

    def make(size: str = "laptop", axe: bool = False) -> Visit:
        width, height = WIDTHS[size]
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=axe)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return Visit(page, live_server.url)

    yield make
    for context in contexts:
        context.close()


def shoot(visit: Visit, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def tech_pair(owner, name="Tech pair", visibility="private") -> Report:
    return report_save(
        owner=owner,
        dashboard=registry.get("stocktoday"),
        name=name,
        params={"tickers": ["IBM", "MSFT"]},
        visibility=visibility,
    )


def test_sales_shares_a_report_with_alice_who_gets_an_email_and_finds_it(
    open_page, live_cast, settings, mailoutbox
):
    settings.EMAIL_HOST = "smtp.example.com"  # Django's test outbox stands in for the server
    report = tech_pair(live_cast["sales"])
    visit = open_page()
    visit.sign_in("sales")
    visit.goto("/reports/")
    visit.page.get_by_role("link", name="Share Tech pair").click()
    visit.page.get_by_label("People and groups I choose").check()
    visit.page.get_by_label("alice", exact=True).check()
    visit.page.get_by_role("button", name="Save sharing").click()
    visit.page.wait_for_url("**/reports/")
    expect(visit.page.locator(".messages")).to_contain_text("Shared “Tech pair”. Told alice.")
    expect(visit.page.locator("table.report-table td.report-shared")).to_have_text("alice")

    [sent] = mailoutbox
    assert sent.to == ["alice@example.com"]
    assert sent.subject == "sales shared “Tech pair” with you"
    link = re.search(r"Open it: (\S+)", sent.body)[1]
    assert link.endswith(f"/reports/{report.pk}/")

    reader = open_page()
    reader.sign_in("alice")
    reader.goto("/")
    expect(reader.page.locator("#nav-shared-news")).to_have_text("1 new shared with you")
    expect(reader.page.locator("#shared-news")).to_contain_text("Tech pair (Stock Today, by sales)")
    reader.goto("/reports/")
    shared = reader.page.locator("#shared-with-you")
    expect(shared).to_contain_text("Tech pair")
    expect(shared).to_contain_text("New")
    shared.get_by_role("link", name="Tech pair").click()
    reader.page.wait_for_url(f"**/reports/{report.pk}/")
    frame = reader.page.frame_locator("#dash-app")
    frame.locator("#summary-MSFT").wait_for()
    expect(reader.page.locator("#nav-shared-news")).to_have_count(0)
    assert visit.foreign_requests() == [] and reader.foreign_requests() == []


def test_delete_asks_then_undo_brings_the_report_back(open_page, live_cast):
    tech_pair(live_cast["sales"])
    visit = open_page()
    visit.sign_in("sales")
    visit.goto("/reports/")
    visit.page.get_by_role("link", name="Delete Tech pair").click()
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("Delete “Tech pair”?")
    visit.page.get_by_role("button", name="Delete").click()
    visit.page.wait_for_url("**/reports/")
    expect(visit.page.locator(".messages")).to_contain_text("Moved “Tech pair” to the trash.")
    expect(visit.page.get_by_role("heading", name="No reports yet")).to_be_visible()
    assert not Report.objects.exists()
    visit.page.get_by_role("button", name="Undo").click()
    visit.page.wait_for_url("**/reports/")
    expect(visit.page.locator(".messages")).to_contain_text("Restored “Tech pair”.")
    expect(visit.page.get_by_role("link", name="Tech pair", exact=True)).to_be_visible()
    assert Report.objects.get().name == "Tech pair"


def test_saving_under_a_name_in_use_asks_and_replaces_only_when_told(open_page, live_cast):
    tech_pair(live_cast["sales"])
    visit = open_page()
    visit.sign_in("sales")
    visit.goto("/dashboards/stocktoday/?tickers=SBUX")
    visit.page.frame_locator("#dash-app").locator("#summary-SBUX").wait_for()
    visit.page.locator("#save-menu summary").click()
    visit.page.fill("#report-name", "Tech pair")
    visit.page.get_by_role("button", name="Save", exact=True).click()
    expect(visit.page.get_by_role("heading", level=1)).to_have_text(
        "You already have a report called “Tech pair”"
    )
    assert Report.objects.get().params["tickers"] == ["IBM", "MSFT"]
    expect(visit.page.locator("#new-name")).to_have_value("Tech pair (2)")
    visit.page.get_by_role("button", name="Replace “Tech pair” with this view").click()
    visit.page.wait_for_url("**/reports/*/")
    assert Report.objects.get().params["tickers"] == ["SBUX"]


def test_an_admin_approves_a_request_by_adding_the_user_to_a_group(open_page, live_cast):
    request = AccessRequest.objects.create(
        user=live_cast["marketing"], dashboard=Dashboard.objects.get(slug="stocktoday"), reason="Q3 plan"
    )
    admin = open_page()
    admin.sign_in("admin")
    admin.goto(f"/admin/dashboards/accessrequest/{request.pk}/change/")
    admin.page.get_by_label("Adding marketing to the group Sales").check()
    admin.page.get_by_role("button", name=re.compile("^Approve")).click()
    expect(admin.page.locator(".messagelist")).to_contain_text(
        "Approved: marketing is now in the group Sales and can open Stock Today."
    )
    requester = open_page()
    requester.sign_in("marketing")
    response = requester.goto("/dashboards/stocktoday/")
    assert response.status == 200
    requester.page.frame_locator("#dash-app").locator("#summary-AAPL").wait_for()


def test_the_grid_shows_the_casts_access_in_the_browser(open_page, live_cast):
    admin = open_page()
    admin.sign_in("admin")
    admin.goto("/admin/")
    admin.page.get_by_role("link", name="Who can open what (users × dashboards)").click()
    row = admin.page.locator("#access-grid tbody tr").filter(
        has=admin.page.get_by_role("link", name="sales", exact=True)
    )
    cells = [" ".join(text.split()) for text in row.locator("td").all_inner_texts()]
    titles = [
        " ".join(text.split()) for text in admin.page.locator("#access-grid thead th").all_inner_texts()
    ][1:]
    by_title = dict(zip((title.casefold() for title in titles), cells, strict=True))
    assert by_title.pop("stock today") == "Sales", (titles, cells)
    assert set(by_title.values()) == {"— no access"}, by_title
    admin.page.select_option("#grid-group", label="Sales")
    admin.page.get_by_role("button", name="Show").click()
    expect(admin.page.locator("#access-grid tbody tr")).to_have_count(1)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_no_serious_violation_on_the_sharing_and_admin_pages(open_page, live_cast, theme, size):
    User.objects.update(theme=theme)
    sales, alice = live_cast["sales"], live_cast["alice"]
    analysts = Group.objects.create(name="Analysts")
    grant_add(dashboard=Dashboard.objects.get(slug="stocktoday"), group=analysts)
    shared = tech_pair(sales, name="Shared pair")
    from dashboards.services import report_share

    report_share(report=shared, visibility="named", users=[alice], groups=[analysts])
    mine = tech_pair(sales)
    trashed = tech_pair(sales, name="Old pair")
    from dashboards.services import report_delete

    report_delete(report=trashed)
    stock = Dashboard.objects.get(slug="stocktoday")
    denied = AccessRequest.objects.create(user=live_cast["viewer"], dashboard=stock, reason="Curious")
    access_request_deny(access_request=denied, actor=live_cast["admin"], note="Not for now")
    pending = AccessRequest.objects.create(
        user=live_cast["marketing"], dashboard=stock, reason="For the Q3 plan"
    )

    found: list[str] = []

    def check(visit: Visit, path: str, name: str, status: int = 200, method: str = "goto") -> None:
        if method == "goto":
            response = visit.goto(path)
            assert response.status == status, (path, response.status)
        found.extend(f"{name} {line}" for line in violations(visit.page))
        shoot(visit, f"{name}-{size}-{theme}")

    owner = open_page(size, axe=True)
    owner.sign_in("sales")
    check(owner, "/reports/", "reports")
    check(owner, f"/reports/{shared.pk}/share/", "share")
    check(owner, f"/reports/{mine.pk}/delete/?next=/reports/", "confirm-delete")
    check(owner, "/reports/trash/", "trash")
    owner.page.get_by_role("button", name=re.compile("^Restore")).click()
    owner.page.wait_for_load_state()
    check(owner, "", "restored-message", method="none")
    # A name in use: the question page (a POST's answer).
    owner.goto("/dashboards/stocktoday/")
    if size == "phone":  # the actions fold into one button there
        owner.page.locator(".actions-toggle").click()
    owner.page.locator("#save-menu summary").click()
    owner.page.fill("#report-name", "Tech pair")
    owner.page.get_by_role("button", name="Save", exact=True).click()
    owner.page.locator("#name-taken").wait_for()
    check(owner, "", "name-taken", method="none")

    reader = open_page(size, axe=True)
    reader.sign_in("alice")
    check(reader, "/", "gallery-shared-news")
    check(reader, "/reports/", "reports-shared-with-you")

    refused = open_page(size, axe=True)
    refused.sign_in("viewer")
    check(refused, "/dashboards/stocktoday/", "declined", status=403)

    admin = open_page(size, axe=True)
    admin.sign_in("admin")
    check(admin, "/admin/", "admin-home")
    check(admin, "/admin/access/", "admin-grid")
    check(admin, f"/admin/dashboards/accessrequest/{pending.pk}/change/", "admin-request")
    check(admin, f"/admin/dashboards/accessrequest/{denied.pk}/change/", "admin-request-decided")
    check(admin, f"/admin/dashboards/dashboard/{stock.pk}/change/", "admin-dashboard-grants")
    check(admin, f"/admin/accounts/user/{sales.pk}/change/", "admin-user")
    check(admin, f"/admin/accounts/user/{live_cast['staff'].pk}/change/", "admin-staff-user")
    check(admin, "/admin/dashboards/auditevent/", "admin-audit")
    assert not found, "\n".join(found)
