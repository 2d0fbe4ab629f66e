"""The gallery's search finds saved reports as you type, and opens them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboards.models import Dashboard, Report

pytestmark = pytest.mark.browser


def test_typing_a_reports_name_in_the_gallery_search_finds_it_and_opens_it(visit, live_cast):
    Report.objects.create(
        owner=live_cast["sales"],
        dashboard=Dashboard.objects.get(slug="stocktoday"),
        name="Quarterly tech",
        params={"tickers": ["IBM"], "start": "2010-01-04", "end": "2016-02-29"},
    )
    visit.sign_in("sales")
    visit.goto("/")
    shelf = visit.page.locator("#gallery-reports")
    expect(shelf).to_be_hidden()
    visit.page.locator("#gallery-q").fill("quarterly")
    expect(shelf).to_be_visible()
    expect(visit.page.locator("#reports-count")).to_have_text("1 saved report found")
    expect(shelf.locator(".report-hit:visible .report-hit-meta")).to_have_text("Stock Today")
    visit.page.locator("#gallery-q").fill("nothing like it")
    expect(shelf).to_be_hidden()
    visit.page.locator("#gallery-q").fill("quartrly tech")
    shelf.get_by_role("link", name="Quarterly tech").click()
    visit.page.wait_for_url("**/reports/*/")
    expect(visit.page.frame_locator("#dash-app").locator("#summary-IBM")).to_be_visible()
