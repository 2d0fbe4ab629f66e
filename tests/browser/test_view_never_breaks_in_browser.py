"""A view never breaks: a value the dashboard cannot use is refused at its control and
the charts keep the last good result (and the link and the CSV describe it); a link
with bad parts opens without them, naming them; the filters come back next visit;
a failed update says so above the charts, with Retry; typed dates are read."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from dashboards.models import LastFilters
from tests.browser.conftest import choose

pytestmark = pytest.mark.browser

UPDATES = re.compile(r"/_dash-update-component(\?.*)?$")
READY = "html[data-frame='ready']"


def open_dashboard(visit, slug: str, query: str = "", user: str = "admin"):
    visit.sign_in(user)
    visit.goto(f"/dashboards/{slug}/{query}")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator(READY).wait_for(state="attached")
    return frame


def settled(visit):
    """Every update of the frame answered and drawn (the frame told the page a good view)."""
    app = next(f for f in visit.page.frames if "/django_plotly_dash/app/" in f.url)
    app.wait_for_function("() => !window.store.getState().isLoading")
    visit.page.wait_for_timeout(400)


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def type_number(frame, field: str, value: str):
    box = frame.locator(f"#{field}")
    box.fill(value)
    box.press("Enter")


def test_a_number_out_of_range_is_refused_at_its_field_and_the_last_good_view_stays(visit, live_cast):
    frame = open_dashboard(visit, "timeseries", "?window=14")
    settled(visit)
    title = frame.locator("#series-chart .gtitle").text_content()
    legend = frame.locator("#series-chart .legendtext").all_text_contents()
    assert "14-day mean" in legend

    type_number(frame, "window", "100")
    problem = frame.locator("#pf-field-problem-window")
    expect(problem).to_have_text("Enter a whole number from 2 to 90.")
    expect(frame.locator("#window")).to_have_attribute("aria-invalid", "true")
    assert "pf-field-problem-window" in frame.locator("#window").get_attribute("aria-describedby")
    stale = frame.locator(".pf-stale")
    expect(stale.locator("p")).to_have_text(
        "The charts still show your last good choices, not what the controls say now. "
        "Rolling window: enter a whole number from 2 to 90."
    )
    expect(frame.locator("html")).to_have_attribute("data-pf-stale", "invalid")
    settled(visit)
    # The chart is the last good one, not an empty "No data" grid.
    assert frame.locator("#series-chart .gtitle").text_content() == title
    assert frame.locator("#series-chart .legendtext").all_text_contents() == legend
    # The link, the CSV and the address describe the view on screen.
    for url in (
        visit.page.locator("#permalink").input_value(),
        visit.page.locator("#export-csv").get_attribute("href"),
        visit.page.url,
    ):
        assert query_of(url)["window"] == ["14"], url
        assert "NaN" not in url
    visit.page.locator("#download-menu summary").click()
    with visit.page.expect_download() as download:
        visit.page.locator("#export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    expect(visit.page.locator("#tool-status")).to_have_text(re.compile(r"^Downloaded [\d,]+ rows\.$"))

    # One click puts the controls back to what the charts show.
    stale.get_by_role("button", name="Back to the last good choices").click()
    expect(frame.locator("#window")).to_have_value("14")
    expect(problem).to_have_count(0)
    expect(stale).to_be_hidden()
    expect(frame.locator("html")).not_to_have_attribute("data-pf-stale", re.compile(".*"))

    # A good value again: the view, the link and the address follow.
    type_number(frame, "window", "7")
    expect(frame.locator("#series-chart .legendtext", has_text="7-day mean")).to_have_count(1)
    visit.page.wait_for_url(re.compile(r"window=7(&|$)"))
    assert query_of(visit.page.locator("#permalink").input_value())["window"] == ["7"]


def test_the_ab_calculator_names_each_bad_field_and_the_csv_still_downloads(visit, live_cast):
    frame = open_dashboard(visit, "abtest")
    settled(visit)
    verdict = frame.locator("#verdict").inner_text()
    type_number(frame, "mde", "-3")
    type_number(frame, "power", "150")
    expect(frame.locator("#sample-size")).to_have_text(
        "Effect (percentage points): enter a number from 0.1 to 50. "
        "Chance to detect it (%): enter a number from 50 to 99.9."
    )
    expect(frame.locator("#pf-field-problem-mde")).to_have_text("Enter a number from 0.1 to 50.")
    expect(frame.locator("#pf-field-problem-power")).to_have_text("Enter a number from 50 to 99.9.")
    settled(visit)
    assert frame.locator("#verdict").inner_text() == verdict
    href = visit.page.locator("#export-csv").get_attribute("href")
    assert query_of(href)["mde"] == ["1"] and query_of(href)["power"] == ["80"]
    visit.page.locator("#download-menu summary").click()
    with visit.page.expect_download():
        visit.page.locator("#export-csv").click()
    expect(visit.page.locator("#tool-status")).to_have_text(re.compile(r"^Downloaded [\d,]+ rows\.$"))


def test_a_date_range_the_wrong_way_round_is_refused_at_from(visit, live_cast):
    frame = open_dashboard(visit, "stocktoday", "?tickers=IBM&start=2012-01-03&end=2013-01-02", user="sales")
    settled(visit)
    frame.locator("#start").fill("2014-01-02")
    frame.locator("#start").press("Tab")
    expect(frame.locator("#pf-field-problem-start")).to_have_text("Must not be after “To”.")
    settled(visit)
    assert query_of(visit.page.locator("#permalink").input_value())["start"] == ["2012-01-03"]


def test_a_link_with_bad_parts_opens_with_a_notice_naming_them(visit, live_cast):
    frame = open_dashboard(
        visit, "stocktoday", "?tickers=IBM&tickers=XYZ&start=1999-01-01&window=NaN", user="sales"
    )
    notice = visit.page.locator("#dropped-notice")
    expect(notice).to_be_visible()
    assert notice.locator(".dropped-part").all_inner_texts() == [
        "Tickers: “XYZ” is not one of the options.",
        "From: “1999-01-01” cannot be used (pick a day from 2007-01-03 to 2016-02-29).",
        "“window” is not a setting of this dashboard.",
    ]
    expect(frame.locator("#summary-IBM")).to_be_visible()
    expect(frame.locator("#start")).to_have_value("2007-01-03")
    # The address is the view's, without the parts that were dropped.
    assert (
        urlsplit(visit.page.url).query
        == "tickers=IBM&date-preset=all&start=2007-01-03&end=2016-02-29&show=change"
    )
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_be_hidden()


def test_the_last_filters_come_back_next_visit_and_reset_clears_them(visit, live_cast):
    frame = open_dashboard(visit, "stocktoday", user="sales")
    settled(visit)
    frame.locator("#tickers").click()
    choose(frame, "IBM")
    visit.page.keyboard.press("Escape")
    expect(frame.locator("#summary-IBM")).to_be_visible()
    visit.page.wait_for_function("() => location.search.includes('IBM')")
    visit.page.wait_for_timeout(1500)  # the page keeps them a moment after the view settles
    assert LastFilters.objects.get().params["tickers"] == ["AAPL", "IBM"]

    visit.goto("/dashboards/stocktoday/")
    frame = visit.page.frame_locator("#dash-app")
    expect(frame.locator("#summary-IBM")).to_be_visible()
    notice = visit.page.locator("#remembered-notice")
    expect(notice.locator("p")).to_have_text("Your filters from last time are back.")
    notice.get_by_role("button", name="Reset filters").click()
    expect(frame.locator("#summary-IBM")).to_have_count(0)
    expect(notice).to_be_hidden()
    visit.page.wait_for_timeout(1500)
    assert not LastFilters.objects.exists()

    visit.goto("/dashboards/stocktoday/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator(READY).wait_for(state="attached")
    expect(frame.locator("#summary-AAPL")).to_be_visible()
    expect(visit.page.locator("#remembered-notice")).to_have_count(0)


def test_a_failed_update_says_so_above_the_charts_and_retry_applies_the_change(visit, live_cast):
    frame = open_dashboard(visit, "stocktoday", user="sales")
    settled(visit)
    visit.page.route(UPDATES, lambda route: route.fulfill(status=500, body="no"))
    frame.locator("#tickers").click()
    choose(frame, "IBM")
    visit.page.keyboard.press("Escape")
    problem = frame.locator(".pf-problem")
    expect(problem.locator("p")).to_have_text(
        "Something went wrong on our side, so this view was not updated: the charts still show the earlier result."
    )
    expect(frame.locator("html")).to_have_attribute("data-pf-stale", "failed")
    # Above the charts, never over their x-axis.
    note = problem.bounding_box()
    charts = frame.locator(".de-charts").bounding_box()
    assert note["y"] + note["height"] <= charts["y"]
    assert query_of(visit.page.locator("#permalink").input_value())["tickers"] == ["AAPL"]

    visit.page.unroute(UPDATES)
    problem.get_by_role("button", name="Retry").click()
    expect(frame.locator("#summary-IBM")).to_be_visible()
    expect(problem).to_be_hidden()
    visit.page.wait_for_url(re.compile(r"tickers=AAPL&tickers=IBM"))


def test_a_callback_that_raises_is_shown_themed_and_can_be_dismissed(visit, live_cast):
    frame = open_dashboard(visit, "stocktoday", user="sales")
    settled(visit)

    def raise_in_app(route):
        route.fulfill(
            status=200,
            content_type="application/json",
            body='{"multi": true, "response": {}, "sideUpdate": {"_portal_error": {"children": "It broke."}}}',
        )

    visit.page.route(UPDATES, raise_in_app)
    frame.locator("#tickers").click()
    choose(frame, "MSFT")
    visit.page.keyboard.press("Escape")
    problem = frame.locator(".pf-problem")
    expect(problem.locator("p")).to_have_text("It broke.")
    for theme, background in (("dark", "rgb(59, 22, 32)"), ("light", "rgb(253, 232, 232)")):
        visit.page.evaluate("t => document.documentElement.setAttribute('data-theme', t)", theme)
        expect(problem).to_have_css("background-color", background)
    problem.get_by_role("button", name="Dismiss").click()
    expect(problem).to_be_hidden()


def test_a_slow_update_says_still_working(visit, live_cast):
    frame = open_dashboard(visit, "stocktoday", user="sales")
    settled(visit)
    held, released = [], []

    def hold(route):
        if released:
            route.continue_()
        else:
            held.append(route)

    visit.page.route(UPDATES, hold)
    frame.locator("#tickers").click()
    choose(frame, "SBUX")
    visit.page.keyboard.press("Escape")
    slow = frame.locator(".pf-slow")
    expect(slow).to_have_text(
        "Still working on your change… The charts will update when it is done.", timeout=10_000
    )
    assert slow.get_attribute("role") == "status"
    released.append(True)
    for route in held:
        route.continue_()
    expect(frame.locator("#summary-SBUX")).to_be_visible()
    expect(slow).to_be_hidden()


def test_a_failed_first_load_shows_a_plain_message_not_error_loading_layout(visit, live_cast):
    visit.page.route(re.compile(r"/_dash-layout(\?.*)?$"), lambda route: route.fulfill(status=500, body="no"))
    visit.sign_in("sales")
    visit.goto("/dashboards/stocktoday/")
    frame = visit.page.frame_locator("#dash-app")
    problem = frame.locator(".pf-problem")
    expect(problem.locator("p")).to_have_text(
        "This dashboard could not be loaded. Try again in a moment; if it keeps failing, "
        "tell the people who run the portal."
    )
    expect(problem.get_by_role("button", name="Retry")).to_be_visible()
    expect(frame.locator("._dash-error")).to_be_hidden()
    assert "Error loading layout" not in frame.locator("body").inner_text()


@pytest.mark.parametrize(
    ("locale", "typed", "taken"),
    [
        ("en-GB", "31/12/2010", "2010-12-31"),
        ("en-US", "12/31/2010", "2010-12-31"),
        ("en-GB", "4/1/2010", "2010-01-04"),
    ],
)
def test_a_day_typed_in_the_readers_order_is_taken(browser, live_server, live_cast, locale, typed, taken):
    from tests.browser.conftest import Visit

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    try:
        visit = Visit(context.new_page(), live_server.url)
        frame = open_dashboard(visit, "stocktoday", user="sales")
        settled(visit)
        frame.locator("#start").fill(typed)
        frame.locator("#start").press("Tab")
        expect(frame.locator("#start")).to_have_value(taken)
        visit.page.wait_for_url(re.compile(f"start={taken}"))
    finally:
        context.close()


def test_a_day_that_cannot_be_read_or_is_outside_the_data_is_said_at_the_field(visit, live_cast):
    frame = open_dashboard(visit, "stocktoday", user="sales")
    settled(visit)
    frame.locator("#start").fill("31/13/2010")
    frame.locator("#start").press("Tab")
    expect(frame.locator("#pf-date-problem-start")).to_have_text(
        "“31/13/2010” is not a day we can read: type it like 12/31/2010 or 2010-12-31."
    )
    frame.locator("#start").fill("01/01/1990")
    frame.locator("#start").press("Tab")
    expect(frame.locator("#pf-date-problem-start")).to_have_text("Pick a day from 2007-01-03 to 2016-02-29.")
    expect(frame.locator("#start")).to_have_attribute("aria-invalid", "true")
    assert query_of(visit.page.locator("#permalink").input_value())["start"] == ["2007-01-03"]
