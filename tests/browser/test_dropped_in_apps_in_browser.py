"""The same clicks on a dropped-in Dash app, alone and in the portal, end in the same page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import signed_in
from tests.test_compat import add_compat_apps

pytestmark = pytest.mark.browser


def by_id(value: str) -> str:
    """A CSS selector for a Dash id, pattern-matching ids included (rendered as JSON)."""
    return f"[id='{value}']"


def context(root) -> dict:
    root.locator("#btn-1").click()
    root.locator("#which", has_text="btn-1").wait_for()
    root.locator("#grouped", has_text="True").wait_for()
    return {k: root.locator(f"#{k}").inner_text() for k in ("which", "side", "grouped", "kept")}


def patterns(root) -> dict:
    field = root.locator(by_id('{"index":1,"type":"item"}'))
    field.fill("typed")
    root.locator(by_id('{"index":1,"type":"echo"}'), has_text="echo typed").wait_for()
    root.locator("#add").click()
    root.locator(by_id('{"index":3,"type":"item"}')).wait_for()
    root.locator("#total", has_text="new1").wait_for()
    return {
        "echo": root.locator(by_id('{"index":1,"type":"echo"}')).inner_text(),
        "before": root.locator(by_id('{"index":1,"type":"before"}')).inner_text(),
        "total": root.locator("#total").inner_text(),
        "inputs": root.locator("#items input").count(),
    }


def clientside(root) -> dict:
    root.locator("#text").fill("dash")
    root.locator("#upper", has_text="DASH").wait_for()
    root.locator("#length", has_text="length 4").wait_for()
    return {
        "upper": root.locator("#upper").inner_text(),
        "length": root.locator("#length").inner_text(),
        # The app's assets: its CSS applies, its image loads.
        "color": root.locator("#upper").evaluate("e => getComputedStyle(e).color"),
        "logo": root.locator("#logo").evaluate("e => e.complete && e.naturalWidth"),
        # A stylesheet from a route of the app's own server.
        "spacing": root.locator("#length").evaluate("e => getComputedStyle(e).letterSpacing"),
    }


def libraries(root) -> dict:
    root.locator("#count").click()
    root.locator("#alert", has_text="clicked 1 times").wait_for()
    root.locator(".ag-row").first.wait_for()
    root.locator(".ag-cell", has_text="Kia").click()
    root.locator("#selected", has_text="cell Kia").wait_for()
    return {
        "alert": root.locator("#alert").inner_text(),
        "rows": root.locator(".ag-center-cols-container .ag-row").count(),
        "selected": root.locator("#selected").inner_text(),
        "badge": root.locator("#badge").inner_text(),
    }


def bootstrap_applies(root) -> bool:
    """dbc.themes.BOOTSTRAP and dbc.icons.BOOTSTRAP name a CDN: alone, with no network,
    they do not load; the portal serves the same files from this site."""
    radius = root.locator("#count").evaluate("e => getComputedStyle(e).borderRadius")
    icon_font = root.locator("#icon").evaluate("e => getComputedStyle(e, '::before').fontFamily")
    return (radius, icon_font) == ("6px", "bootstrap-icons")


def multipage(root) -> dict:
    root.locator("#home-title").wait_for()
    root.locator("#to-analytics").click()
    root.locator("#analytics-title").wait_for()
    root.get_by_label("B").check()
    root.locator("#chosen", has_text="You chose B").wait_for()
    return {
        "title": root.locator("#analytics-title").inner_text(),
        "chosen": root.locator("#chosen").inner_text(),
    }


SCENARIOS = {
    "context": context,
    "patterns": patterns,
    "clientside": clientside,
    "libraries": libraries,
    "multipage": multipage,
}


@pytest.fixture
def compat_live(monkeypatch, live_cast):
    add_compat_apps(monkeypatch, live_cast["alice"])


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # A request the browser cancels itself (a favicon during navigation) is no failure.
    page.on(
        "requestfailed",
        lambda r: problems.append(f"failed: {r.url}") if r.failure != "net::ERR_ABORTED" else None,
    )
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    return problems


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_same_clicks_give_the_same_page_alone_and_in_the_portal(visit, browser, plain, compat_live, name):  # noqa: F811
    alone = browser.new_context(viewport={"width": 1366, "height": 768})
    page = alone.new_page()
    page.set_default_timeout(20_000)
    alone_problems = watch(page)
    page.goto(plain[name])
    expected = SCENARIOS[name](page)
    alone.close()

    visit.sign_in("alice")
    portal_problems = watch(visit.page)
    visit.goto(f"/dashboards/{name}/")
    got = SCENARIOS[name](visit.page.frame_locator("#dash-app"))

    assert got == expected
    if name == "libraries":
        assert bootstrap_applies(visit.page.frame_locator("#dash-app"))
    # Alone, with no network, a CDN stylesheet fails to load; the portal serves it.
    cdn = ("cdn.jsdelivr.net", "use.fontawesome.com", "ERR_NAME_NOT_RESOLVED")
    alone_problems = [p for p in alone_problems if not any(c in p for c in cdn)]
    assert (alone_problems, portal_problems) == ([], [])
    assert visit.foreign_requests() == []


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_an_app_taller_than_the_window_scrolls_inside_its_frame(
    browser, live_server, compat_live, width, height
):
    context = browser.new_context(viewport={"width": width, "height": height})
    signed_in(context, live_server.url, "alice")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/dashboards/tall/")
    frame = page.frame_locator("#dash-app")
    last = frame.locator("#line-60")
    last.wait_for()
    outer = page.evaluate("() => [document.documentElement.scrollHeight, window.innerHeight]")
    assert outer[0] <= outer[1], "the portal page itself scrolls"
    inner = frame.locator("body").evaluate(
        "b => [b.ownerDocument.scrollingElement.scrollHeight, innerHeight]"
    )
    assert inner[0] > inner[1], "the app is not taller than its frame"
    last.scroll_into_view_if_needed()
    assert last.is_visible()
    box, frame_box = last.bounding_box(), page.locator("#dash-app").bounding_box()
    assert frame_box["y"] <= box["y"] and box["y"] + box["height"] <= frame_box["y"] + frame_box["height"]
    context.close()
