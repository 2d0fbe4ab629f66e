"""Save a view as a report, come back to it, download its data."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose

pytestmark = pytest.mark.browser


def test_sales_saves_tech_pair_loads_it_again_and_downloads_its_csv(visit, live_cast, tmp_path):
    page = visit.page
    visit.sign_in("sales")
    visit.goto("/dashboards/stocktoday/")
    frame = page.frame_locator("#dash-app")
    frame.locator("#prices .scatterlayer .trace").first.wait_for(state="attached")

    # Select IBM and MSFT (and drop the default AAPL).
    frame.locator("#tickers").click()
    for ticker in ("IBM", "MSFT", "AAPL"):  # the last ticker cannot be removed, so add first
        choose(frame, ticker)
    page.keyboard.press("Escape")
    expect(frame.locator("#summary .de-stat")).to_have_count(2)
    expect(frame.locator("#prices .scatterlayer .trace")).to_have_count(2)
    # Save report saves the view the page was last told of: wait until that is this one.
    expect(page.locator("#permalink")).to_have_value(re.compile(r"\?tickers=IBM&tickers=MSFT&"))

    page.locator("#save-menu summary").click()
    page.fill("#report-name", "Tech pair")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/reports/*/")
    assert "Saved report “Tech pair”" in page.content()

    page.reload()
    visit.goto("/dashboards/stocktoday/")
    # The filters of last time come back; Reset takes the dashboard back to its defaults.
    frame.locator("#summary-MSFT").wait_for()
    page.get_by_role("button", name="Reset filters").click()
    frame.locator("#summary-AAPL").wait_for()
    page.locator("#reports-menu summary").click()
    page.get_by_role("link", name="Tech pair", exact=True).click()  # not "Share Tech pair"
    page.wait_for_url("**/reports/*/")
    frame.locator("#summary-MSFT").wait_for()
    expect(frame.locator("#prices .scatterlayer .trace")).to_have_count(2)
    expect(frame.locator("#summary-IBM")).to_be_visible()

    page.locator("#download-menu summary").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download raw CSV").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    # Named after the dashboard, the report and the period of its data.
    assert path.name.startswith("stock-today-tech-pair-") and path.name.endswith("-raw.csv")
    text = path.read_text()
    assert text.startswith("date,stock,value,change")
    assert ",IBM," in text and ",MSFT," in text and ",AAPL," not in text
    assert visit.foreign_requests() == []
