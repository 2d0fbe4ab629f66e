"""Copy link on a saved report copies the report's own link, until the view is changed."""

import pytest
from playwright.sync_api import expect

from dashboards import registry
from dashboards.services import report_save
from tests.browser.conftest import choose

pytestmark = pytest.mark.browser


def test_copy_link_on_a_report_copies_the_report_then_the_changed_view(visit, live_cast):
    report = report_save(
        owner=live_cast["sales"],
        dashboard=registry.get("stocktoday"),
        name="Tech pair",
        params={"tickers": ["IBM", "MSFT"], "start": "2010-01-04", "end": "2012-12-31"},
        visibility="named",  # shared (by name): not private
    )
    page = visit.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=visit.base_url)
    visit.sign_in("sales")
    visit.goto(f"/reports/{report.pk}/")
    frame = page.frame_locator("#dash-app")
    frame.locator("#summary-MSFT").wait_for()
    copy = page.locator("#copy-link")
    expect(copy).to_have_text("Copy report link")

    copy.click()
    expect(page.locator("#tool-status")).to_have_text("Report link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == f"{visit.base_url}/reports/{report.pk}/"
    assert page.locator("#export-csv").get_attribute("href") == f"/reports/{report.pk}/export.csv"

    # Changed away from the report: the link (and the CSV) follow what is on screen.
    frame.locator("#tickers").click()
    choose(frame, "AAPL")
    page.keyboard.press("Escape")
    expect(copy).to_have_text("Copy link")
    copy.click()
    expect(page.locator("#tool-status")).to_have_text("Copied: the view with your changes.")
    expect(page.locator("#tool-status")).to_have_attribute(
        "title", "The link opens the dashboard as you see it now, not the saved report."
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    query = "tickers=IBM&tickers=MSFT&tickers=AAPL&start=2010-01-04&end=2012-12-31"
    assert copied == f"{visit.base_url}/dashboards/stocktoday/?{query}"
    assert page.locator("#export-csv").get_attribute("href") == f"/dashboards/stocktoday/export.csv?{query}"
    assert visit.foreign_requests() == []
