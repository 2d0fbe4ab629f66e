"""What the portal adds inside every dashboard's frame: a skeleton until the first draw,
a veil and spinner while an update runs, a plain message when one fails, the chart
toolbar on hover only and clear of legend and title, and the portal's theme."""

from __future__ import annotations

import re

import pytest

from dashkit.look import PALETTES
from tests.browser.conftest import choose
from tests.compat_apps import slow
from tests.test_compat import add_compat_apps

pytestmark = pytest.mark.browser

UPDATES = re.compile(r"/_dash-update-component(\?.*)?$")
READY = "html[data-frame='ready']"


@pytest.fixture
def held(monkeypatch, live_cast):
    """The slow app's answers wait until the test sets the returned event."""
    add_compat_apps(monkeypatch, live_cast["alice"])
    monkeypatch.setattr(slow, "HOLD", 60.0)
    slow.release.clear()
    yield slow.release
    slow.release.set()


def open_slow(visit):
    visit.sign_in("alice")
    visit.goto("/dashboards/slow/")
    return visit.page.frame_locator("#dash-app")


def pseudo(locator, which: str, prop: str) -> str:
    return locator.evaluate(f"(e, p) => getComputedStyle(e, '{which}').getPropertyValue(p)", prop)


def app_frame(visit):
    return next(f for f in visit.page.frames if "/django_plotly_dash/app/" in f.url)


def test_a_skeleton_shows_until_the_first_draw_and_is_gone_after(visit, held):
    frame = open_slow(visit)
    skeleton = frame.locator(".pf-skeleton")
    skeleton.wait_for()
    # The first answer is held: the page is drawn below, hidden, and only the skeleton shows.
    frame.locator("#again").wait_for(state="attached")
    assert frame.locator("html").get_attribute("data-frame") == "starting"
    assert frame.locator("#react-entry-point").evaluate("e => getComputedStyle(e).visibility") == "hidden"
    assert skeleton.get_attribute("role") == "status"

    held.set()
    frame.locator(READY).wait_for(state="attached")
    assert skeleton.count() == 0
    assert frame.locator("#result").inner_text() == "Done 0"
    assert frame.locator("#chart .trace.bars").count() == 2
    assert frame.locator("#react-entry-point").evaluate("e => getComputedStyle(e).visibility") == "visible"


def test_the_skeleton_lifts_when_the_last_chart_is_drawn_without_waiting_for_a_check(visit, live_cast):
    # The frame's checks every 20 ms never come here (nor its 30 s way out): only the
    # charts' draws can lift the skeleton.
    visit.page.context.add_init_script(
        "(() => { if (!location.pathname.startsWith('/django_plotly_dash/')) return;"
        " const later = window.setTimeout;"
        " window.setTimeout = (fn, ms, ...args) => (ms === 20 || ms === 30000 ? 0 : later(fn, ms, ...args)); })()"
    )
    visit.sign_in("alice")
    visit.goto("/dashboards/stocktoday/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator(READY).wait_for(state="attached")
    assert frame.locator(".pf-skeleton").count() == 0
    assert frame.locator(".js-plotly-plot").count() == 2


def test_a_running_update_veils_its_outputs_with_a_spinner_until_it_answers(visit, held):
    held.set()
    frame = open_slow(visit)
    frame.locator(READY).wait_for(state="attached")

    held.clear()
    frame.locator("#again").click()
    result, chart = frame.locator("#result"), frame.locator("#chart")
    frame.locator("#result[data-dash-is-loading='true']").wait_for()
    frame.locator("#chart[data-dash-is-loading='true']").wait_for(state="attached")
    for output in (result, chart):
        assert pseudo(output, "::before", "content") == '""'  # the veil
        assert "pf-spin" in pseudo(output, "::after", "animation-name")  # the spinner
    # What the update does not change stays as it is.
    assert pseudo(frame.locator("#again"), "::after", "content") == "none"

    held.set()
    frame.locator("#result", has_text="Done 1").wait_for()
    frame.locator("[data-dash-is-loading='true']").first.wait_for(state="detached")
    for output in (result, chart):
        assert pseudo(output, "::before", "content") == "none"
        assert pseudo(output, "::after", "content") == "none"


def test_a_callback_that_raises_shows_the_plain_note(visit, held):
    held.set()
    frame = open_slow(visit)
    frame.locator(READY).wait_for(state="attached")
    frame.locator("#break").click()
    # The dashboard's own note stays hidden: the frame shows its words, themed, with Retry.
    note = frame.locator(".pf-problem")
    note.wait_for()
    assert note.locator("p").inner_text() == (
        "Something went wrong while updating this view, so it still shows the earlier results. "
        "We have recorded the problem; try other choices, or try again later."
    )
    assert note.get_attribute("role") == "alert"
    assert frame.locator("#_portal_error").is_hidden()
    assert [b.inner_text() for b in note.locator("button:visible").all()] == ["Retry", "Dismiss"]


@pytest.mark.parametrize(
    "status,message",
    [
        (
            500,
            "Something went wrong on our side, so this view was not updated: "
            "the charts still show the earlier result.",
        ),
        (
            503,
            "The service is busy right now, so this view was not updated: the charts still show the earlier result.",
        ),
        (
            403,
            "You are signed out, or this dashboard is no longer shared with you. Reload the page to continue.",
        ),
        (
            None,
            "The connection was lost, so this view was not updated: the charts still show the earlier result.",
        ),
    ],
)
def test_an_update_answered_with_an_error_or_not_at_all_shows_a_plain_message(visit, held, status, message):
    held.set()
    frame = open_slow(visit)
    frame.locator(READY).wait_for(state="attached")
    if status is None:
        visit.page.route(UPDATES, lambda route: route.abort("internetdisconnected"))
    else:
        visit.page.route(UPDATES, lambda route: route.fulfill(status=status, body="no"))
    frame.locator("#again").click()
    problem = frame.locator(".pf-problem")
    problem.wait_for()
    assert (problem.get_attribute("role"), problem.locator("p").inner_text()) == ("alert", message)
    assert frame.locator("#result").inner_text() == "Done 0"

    # The next update that works takes the message away.
    visit.page.unroute(UPDATES)
    frame.locator("#again").click()
    frame.locator("#result", has_text="Done 2").wait_for()
    problem.wait_for(state="hidden")


def test_the_chart_toolbar_shows_on_hover_only_clear_of_legend_and_title_without_logo(visit, held):
    held.set()
    frame = open_slow(visit)
    frame.locator(READY).wait_for(state="attached")
    visit.page.mouse.move(1, 1)
    chart = frame.locator("#chart")
    groups = chart.locator(".modebar-group")
    assert groups.count() > 1
    assert {g.evaluate("e => getComputedStyle(e).opacity") for g in groups.all()} == {"0"}

    chart.hover()
    app_frame(visit).wait_for_function(
        "() => [...document.querySelectorAll('#chart .modebar-group')]"
        ".every(g => getComputedStyle(g).opacity === '1')"
    )
    assert chart.locator(".modebar-btn--logo").count() == 0
    titles = [b.get_attribute("data-title") or "" for b in chart.locator(".modebar-btn").all()]
    assert not [t for t in titles if "Plotly" in t or "Chart Studio" in t or "Share" in t]

    def box(selector):
        found = chart.locator(selector).bounding_box()
        return found["x"], found["y"], found["x"] + found["width"], found["y"] + found["height"]

    def overlaps(a, b):
        return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])

    toolbar = box(".modebar")
    assert not overlaps(toolbar, box(".legend"))
    assert not overlaps(toolbar, box(".g-gtitle"))


def test_a_catalogue_chart_follows_the_portals_theme_without_showing_the_other_one(visit, live_cast):
    visit.sign_in("alice")
    visit.goto("/dashboards/stocktoday/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator(READY).wait_for(state="attached")
    app = app_frame(visit)
    card = frame.locator("#prices")
    chart = card.locator(".js-plotly-plot")

    def portal_theme(theme):
        visit.page.evaluate("t => document.documentElement.setAttribute('data-theme', t)", theme)
        frame.locator(f"html[data-theme='{theme}']").wait_for(state="attached")
        app.wait_for_function(
            "grid => document.querySelector('#prices .js-plotly-plot')?._fullLayout?.xaxis?.gridcolor === grid",
            arg=PALETTES[theme]["grid"],
        )

    portal_theme("dark")
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(19, 28, 46)"
    portal_theme("light")
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    assert chart.evaluate("e => e._fullLayout.font.color") == PALETTES["light"]["text"]
    assert frame.locator("body").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(244, 246, 250)"

    # A new figure from a callback is drawn in the theme on screen, never first in the other.
    chart.evaluate(
        "e => { window.drawnGrids = []; e.on('plotly_afterplot', () =>"
        " window.drawnGrids.push(e._fullLayout.xaxis.gridcolor)); }"
    )
    frame.locator("#tickers").click()
    choose(frame, "IBM")
    visit.page.keyboard.press("Escape")
    frame.locator("#prices .scatterlayer .trace:nth-child(2)").wait_for(state="attached")
    drawn = app.evaluate("() => window.drawnGrids")
    assert drawn and set(drawn) == {PALETTES["light"]["grid"]}


def test_a_dropped_in_app_keeps_its_own_look_in_either_theme(visit, held):
    held.set()
    frame = open_slow(visit)
    frame.locator(READY).wait_for(state="attached")
    for theme in ("dark", "light"):
        visit.page.evaluate("t => document.documentElement.setAttribute('data-theme', t)", theme)
        frame.locator(f"html[data-theme='{theme}']").wait_for(state="attached")
        assert frame.locator("html").get_attribute("data-dashkit") is None
        assert (
            frame.locator("body").evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
        )
        # plotly.js's own white chart, as when the app runs alone.
        assert frame.locator("#chart .js-plotly-plot").evaluate("e => e._fullLayout.paper_bgcolor") == "#fff"
