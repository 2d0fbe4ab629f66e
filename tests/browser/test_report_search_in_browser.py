"""The Reports menu's search as you type, in a real browser under the site's Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from dashboards.models import Dashboard, Report

pytestmark = pytest.mark.browser


def test_typing_in_the_reports_menu_finds_a_report_beyond_the_first_ten(visit, live_cast):
    board = Dashboard.objects.get(slug="stocktoday")
    Report.objects.bulk_create(
        Report(owner=live_cast["sales"], dashboard=board, name=f"Weekly {n:02d}", params={})
        for n in range(30)
    )
    Report.objects.filter(name="Weekly 00").update(name="Quarterly IBM")
    page = visit.page
    visit.sign_in("sales")
    visit.goto("/dashboards/stocktoday/")
    page.locator("#reports-menu summary").click()
    items = page.locator("#reports-menu .report-item")
    expect(items).to_have_count(10)
    expect(page.locator("#report-q")).to_be_focused()

    searches = []
    page.on(
        "request", lambda request: searches.append(request.url) if "partial=menu" in request.url else None
    )
    page.locator("#report-q").press_sequentially("quarterly", delay=30)
    expect(items).to_have_count(1)
    expect(page.locator("#reports-menu .report-open")).to_have_text("Quarterly IBM")
    expect(page.locator("#report-search-status")).to_have_text("1 report matches “quarterly”.")
    assert len(searches) == 1  # once typing paused, not once per key

    page.locator("#report-q").fill("")  # back to the default and the most recent
    expect(items).to_have_count(10)
    expect(page.locator("#reports-menu .menu-footer")).to_have_text("All 30 reports →")

    page.locator("#report-q").fill("quarterly")
    page.locator("#report-q").press("Enter")  # the form itself: the full list, filtered
    page.wait_for_url("**/reports/?dashboard=stocktoday&q=quarterly")
    expect(page.locator(".report-table tbody tr")).to_have_count(1)
    assert visit.console_errors == []
