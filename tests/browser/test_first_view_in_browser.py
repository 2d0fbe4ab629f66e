"""The first charts come with the layout: the page asks for no callback to draw them."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose

pytestmark = pytest.mark.browser


def test_the_first_charts_are_drawn_without_asking_for_a_callback(visit, live_cast):
    visit.log_in("sales")
    visit.goto("/dashboards/stocktoday/?tickers=IBM&tickers=MSFT")
    frame = visit.page.frame_locator("#dash-app")
    expect(frame.locator("#prices .scatterlayer .trace")).to_have_count(2, timeout=20_000)
    expect(frame.locator("#changes .scatterlayer .trace")).to_have_count(2)
    expect(frame.locator("html[data-frame=ready]")).to_have_count(1)
    updates = [url for url in visit.requested if "_dash-update-component" in url]
    assert updates == []
    # The layout the page preloads is the one the renderer uses: asked for once.
    assert len([url for url in visit.requested if url.endswith("_dash-layout")]) == 1

    frame.locator("#tickers").click()
    choose(frame, "AAPL")
    visit.page.keyboard.press("Escape")
    expect(frame.locator("#prices .scatterlayer .trace")).to_have_count(3)
    updates = [url for url in visit.requested if "_dash-update-component" in url]
    assert len(updates) == 1, "\n".join(u for u in visit.requested if "static" not in u)
    assert visit.console_errors == []
