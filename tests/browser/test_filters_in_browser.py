"""Filters a business user finds easy: date presets, Reset, a calendar that opens where
the dates are, and an address that follows what is on screen."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from dashboards.models import Dashboard, Report
from tests.browser.conftest import choose

pytestmark = pytest.mark.browser

DEFAULT_QUERY = "?tickers=AAPL&date-preset=all&start=2007-01-03&end=2016-02-29&show=change"


def open_stock_today(visit, query: str = ""):
    visit.sign_in("sales")
    visit.goto("/dashboards/stocktoday/" + query)
    frame = visit.page.frame_locator("#dash-app")
    frame.locator("#prices .scatterlayer .trace").first.wait_for(state="attached")
    return frame


def choose_period(visit, frame, name: str):
    frame.locator("#date-preset").click()
    choose(frame, name)


def address(visit) -> str:
    parts = urlsplit(visit.page.url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_last_30_days_sets_both_dates_to_the_end_of_the_data_and_the_address_follows(visit, live_cast):
    frame = open_stock_today(visit)
    expect(frame.locator("#date-preset")).to_contain_text("All dates")
    assert address(visit) == "/dashboards/stocktoday/"  # left as opened until something changes

    choose_period(visit, frame, "Last 30 days")
    # The 30 days that end on the data's last day (29 February 2016), not today.
    expect(frame.locator("#start")).to_have_value("2016-01-31")
    expect(frame.locator("#end")).to_have_value("2016-02-29")
    visit.page.wait_for_url(
        "**/dashboards/stocktoday/?tickers=AAPL&date-preset=last-30&start=2016-01-31&end=2016-02-29&show=change"
    )
    expect(frame.locator("#prices .xtick").first).to_contain_text("Feb")

    # A first day of one's own: the menu says Custom, and the address follows again.
    frame.locator("#start").fill("2016-01-15")
    frame.locator("#start").press("Tab")
    expect(frame.locator("#date-preset")).to_contain_text("Custom")
    visit.page.wait_for_url(
        "**/dashboards/stocktoday/?tickers=AAPL&start=2016-01-15&end=2016-02-29&show=change"
    )
    assert visit.console_errors == []
    assert visit.foreign_requests() == []


def test_reset_restores_the_defaults_the_address_and_what_save_report_saves(visit, live_cast):
    frame = open_stock_today(visit, "?tickers=IBM&tickers=MSFT&start=2015-03-02&end=2015-12-31")
    expect(frame.locator("#date-preset")).to_contain_text("Custom")
    expect(frame.locator("#summary .de-stat")).to_have_count(2)

    visit.page.get_by_role("button", name="Reset").click()
    expect(frame.locator("#start")).to_have_value("2007-01-03")
    expect(frame.locator("#end")).to_have_value("2016-02-29")
    expect(frame.locator("#date-preset")).to_contain_text("All dates")
    expect(frame.locator("#summary .de-stat")).to_have_count(1)
    expect(frame.locator("#summary-AAPL")).to_be_visible()
    visit.page.wait_for_url("**/dashboards/stocktoday/" + DEFAULT_QUERY)
    expect(visit.page.locator("#tool-status")).to_have_text("Filters reset.")

    visit.page.locator("#save-menu summary").click()
    visit.page.fill("#report-name", "Starting view")
    visit.page.get_by_role("button", name="Save", exact=True).click()
    visit.page.wait_for_url("**/reports/*/")
    saved = Report.objects.get(name="Starting view")
    assert saved.params == {
        "tickers": ["AAPL"],
        "date-preset": "all",
        "start": "2007-01-03",
        "end": "2016-02-29",
        "show": "change",
    }


def test_the_calendar_opens_at_the_month_of_the_selected_date(visit, live_cast):
    frame = open_stock_today(visit, "?tickers=AAPL&start=2015-03-02&end=2016-02-29")

    def visible_month(picker: str) -> tuple[str, str]:
        frame.locator(f"#{picker}").click()
        controls = frame.locator(".dash-datepicker-controls")
        month = controls.locator(".dash-dropdown-value-item").inner_text()
        year = controls.locator("input[type=number]").input_value()
        visit.page.keyboard.press("Escape")
        expect(controls).to_have_count(0)
        return month, year

    assert visible_month("start") == ("March", "2015")  # from a link, not the data's first month
    assert visible_month("end") == ("February", "2016")

    choose_period(visit, frame, "Last 90 days")
    expect(frame.locator("#start")).to_have_value("2015-12-02")
    assert visible_month("start") == ("December", "2015")


def test_on_a_saved_report_the_address_stays_the_reports_until_the_filters_change(visit, live_cast):
    report = Report.objects.create(
        owner=live_cast["sales"],
        dashboard=Dashboard.objects.get(slug="stocktoday"),
        name="Last quarter",
        params={"tickers": ["IBM"], "start": "2015-12-02", "end": "2016-02-29"},
    )
    visit.sign_in("sales")
    visit.goto(f"/reports/{report.pk}/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator("#summary-IBM").wait_for()
    expect(frame.locator("#date-preset")).to_contain_text("Last 90 days")
    assert address(visit) == f"/reports/{report.pk}/"

    choose_period(visit, frame, "Year to date")
    visit.page.wait_for_url(
        "**/dashboards/stocktoday/?tickers=IBM&date-preset=year&start=2016-01-01&end=2016-02-29&show=change"
    )
    choose_period(visit, frame, "Last 90 days")  # the report's own filters again
    visit.page.wait_for_url(f"**/reports/{report.pk}/")
