"""A person's first minute: log in, open Stock Today, change the tickers."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose

pytestmark = pytest.mark.browser


def traces(frame, graph_id: str):
    return frame.locator(f"#{graph_id} .scatterlayer .trace")


def test_sales_logs_in_opens_stock_today_and_adds_a_ticker(visit, live_cast):
    visit.goto("/")
    assert "/accounts/login/" in visit.page.url  # the gallery needs a login
    visit.log_in("sales")

    visit.page.get_by_role("link", name="Stock Today", exact=True).first.click()
    visit.page.wait_for_url("**/dashboards/stocktoday/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator("html[data-frame='ready']").wait_for(state="attached")  # the skeleton is gone

    # Both charts drawn: one line for the default ticker, and its bars of daily moves.
    traces(frame, "prices").first.wait_for(state="attached")
    assert traces(frame, "prices").count() == 1
    frame.locator("#changes .barlayer .trace").first.wait_for(state="attached")
    assert frame.locator("#changes .barlayer .trace").count() == 1
    assert "Change since 2007-01-03" in frame.locator("#prices").inner_text()
    assert "Daily moves: share of trading days" in frame.locator("#changes").inner_text()

    # Choose another ticker: the chart gains a line.
    frame.locator("#tickers").click()
    choose(frame, "IBM")
    visit.page.keyboard.press("Escape")
    frame.locator("#prices .scatterlayer .trace:nth-child(2)").wait_for(state="attached")
    assert traces(frame, "prices").count() == 2
    expect(frame.locator("#summary-IBM")).to_be_visible()

    # The chart toolbar offers no upload to Plotly's cloud and no Plotly logo.
    frame.locator("#prices").hover()
    assert frame.locator("#prices .modebar-btn").count() > 3
    assert frame.locator('#prices .modebar-btn[data-title^="Share chart"]').count() == 0
    assert frame.locator("#prices .modebar-btn--logo").count() == 0
    assert visit.foreign_requests() == []


def test_the_dashboard_fills_the_window_without_nested_scrollbars(visit, live_cast):
    visit.sign_in("sales")
    visit.goto("/dashboards/stocktoday/")
    frame = visit.page.frame_locator("#dash-app")
    traces(frame, "prices").first.wait_for(state="attached")
    page_box = visit.page.evaluate(
        "() => ({scroll: document.documentElement.scrollHeight, inner: window.innerHeight})"
    )
    assert page_box["scroll"] <= page_box["inner"], "the page scrolls"
    frame_box = visit.page.locator("#dash-app").bounding_box()
    assert frame_box["width"] >= 1300
    assert frame_box["y"] + frame_box["height"] >= 768 - 2  # reaches the bottom of the window
    inner = frame.locator("body").evaluate(
        "b => ({scroll: document.documentElement.scrollHeight, inner: window.innerHeight})"
    )
    assert inner["scroll"] <= inner["inner"], "the dashboard scrolls inside its frame"


def test_marketing_neither_sees_nor_opens_stock_today(visit, live_cast):
    visit.sign_in("marketing")
    visit.goto("/")
    assert "Stock Today" not in visit.page.content()
    response = visit.goto("/dashboards/stocktoday/")
    assert response.status == 403
    assert visit.page.get_by_role("heading", name="You don’t have access to Stock Today").is_visible()
    visit.page.get_by_role("button", name="Request access").click()
    visit.page.wait_for_load_state()
    assert "request for access was sent" in visit.page.content()
    assert visit.foreign_requests() == []
