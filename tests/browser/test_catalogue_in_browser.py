"""Every dashboard opens in a browser with its charts drawn; the live feed arrives without reload."""

import contextlib
import socket
import threading
import time

import pytest
import uvicorn
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from dashboards import registry
from dashboards.hosting import bundles
from dashboards.live import live_point_publish
from tests.browser.conftest import Visit

pytestmark = pytest.mark.browser

SLUGS = sorted(d.slug for d in registry.all_dashboards())


DRAWN = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".filter(g => g.querySelector('.main-svg') && (g.data || []).length > 0).length"
)


def charts_drawn(frame) -> int:
    """Plotly graphs in the frame with at least one trace drawn."""
    return frame.locator("body").evaluate(f"() => {DRAWN}")


@pytest.mark.parametrize("slug", SLUGS)
def test_each_dashboard_opens_with_its_charts_drawn(visit, live_cast, slug):
    visit.sign_in("admin")
    visit.goto(f"/dashboards/{slug}/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator(".js-plotly-plot .main-svg").first.wait_for(state="attached")
    graphs = frame.locator(".js-plotly-plot").count()
    app = next(f for f in visit.page.frames if "/django_plotly_dash/app/" in f.url)
    with contextlib.suppress(PlaywrightTimeoutError):  # then the assertion below says how many
        app.wait_for_function(f"n => ({DRAWN}) >= n", arg=graphs, timeout=20_000)
    assert charts_drawn(frame) == graphs >= 1
    assert frame.locator(".de-error").inner_text() == ""
    # Drawn by the plotly.js of just the trace types the dashboard declares, when one has them.
    loaded = set(app.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"))
    assert loaded == bundles.plotly_js(frozenset(registry.get(slug).traces)).traces
    # No Content-Security-Policy violation, no failed script. (The live feed's websocket
    # has no route in this WSGI test server; test_a_published_point_appears_in_the_open_page_without_reload covers it.)
    assert [e for e in visit.console_errors if "WebSocket connection" not in e] == []
    inner = frame.locator("body").evaluate(
        "b => ({scroll: document.documentElement.scrollHeight, inner: window.innerHeight})"
    )
    assert inner["scroll"] <= inner["inner"], "the dashboard scrolls inside its frame"
    assert visit.foreign_requests() == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db):
    """The portal's ASGI application (HTTP and websockets) under uvicorn, in this process."""
    from dashengine_site.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def publish(value: float) -> None:
    """As `manage.py publish_point` would, from a thread without Playwright's event loop."""
    thread = threading.Thread(
        target=live_point_publish, kwargs={"dashboard": "timeseries", "series": "signups", "value": value}
    )
    thread.start()
    thread.join()


def test_a_published_point_appears_in_the_open_page_without_reload(browser, asgi_server, live_cast):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(20_000)
    visit = Visit(page, asgi_server)
    visit.sign_in("admin")
    visit.goto("/dashboards/timeseries/")
    frame = page.frame_locator("#dash-app")
    frame.get_by_text("Live: connected").wait_for()

    publish(512)
    frame.get_by_text("1 point, last 512").wait_for()
    publish(530)
    frame.get_by_text("2 points, last 530").wait_for()
    # Plotly draws the points just after the status line changes.
    expect(frame.locator("#live-chart .scatterlayer .trace .point")).to_have_count(2)
    assert page.url.endswith("/dashboards/timeseries/")  # no reload, no navigation
    assert visit.console_errors == []  # the websocket passes the Content-Security-Policy

    # A network blip: the feed says so, reconnects by itself and gets what was published meanwhile.
    app = next(f for f in page.frames if "/django_plotly_dash/app/timeseries/" in f.url)
    app.evaluate("window._dashengineLive.close()")
    frame.get_by_text("Live feed interrupted: reconnecting in 1 s…").wait_for()
    publish(555)
    frame.get_by_text("Live: connected.").wait_for()
    frame.get_by_text("3 points, last 555").wait_for()
    context.close()
