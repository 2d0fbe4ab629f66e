"""Dash callbacks take turns in a worker process, the rest of the site runs alongside, and
a callback that waits too long runs anyway (dashengine_site.asgi.CallbacksInTurn)."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.testing import HttpCommunicator

from dashengine_site.asgi import CallbacksInTurn, http_application

CALLBACK = "/django_plotly_dash/app/stocktoday/_dash-update-component"
LONG = 30  # seconds: longer than any of these tests waits for anything


class HeldApp:
    """A WSGI app that tells when a request has entered it and answers only once released."""

    def __init__(self):
        self.entered = {}
        self.release = {}

    def expect(self, name: str) -> None:
        self.entered[name], self.release[name] = threading.Event(), threading.Event()

    def __call__(self, environ, start_response):
        name = environ["QUERY_STRING"]
        self.entered[name].set()
        assert self.release[name].wait(LONG)
        start_response("200 OK", [])
        return [name.encode()]


def start(pool, turns, path: str, name: str):
    environ = {"PATH_INFO": path, "QUERY_STRING": name}
    return pool.submit(lambda: b"".join(turns(environ, lambda status, headers: None)))


def test_a_callback_waits_for_the_one_running_in_its_worker():
    app = HeldApp()
    turns = CallbacksInTurn(app, wait_seconds=LONG)
    with ThreadPoolExecutor(max_workers=2) as pool:
        app.expect("first"), app.expect("second")
        first = start(pool, turns, CALLBACK, "first")
        assert app.entered["first"].wait(LONG)
        second = start(pool, turns, CALLBACK, "second")
        assert not app.entered["second"].wait(0.5)  # waiting for its turn
        app.release["first"].set()
        assert first.result(LONG) == b"first"
        assert app.entered["second"].wait(LONG)
        app.release["second"].set()
        assert second.result(LONG) == b"second"


def test_other_requests_never_wait_for_a_callback():
    app = HeldApp()
    turns = CallbacksInTurn(app, wait_seconds=LONG)
    with ThreadPoolExecutor(max_workers=2) as pool:
        app.expect("callback"), app.expect("page")
        callback = start(pool, turns, CALLBACK, "callback")
        assert app.entered["callback"].wait(LONG)
        page = start(pool, turns, "/dashboards/stocktoday/", "page")
        assert app.entered["page"].wait(LONG)  # while the callback still runs
        app.release["page"].set()
        assert page.result(LONG) == b"page"
        app.release["callback"].set()
        assert callback.result(LONG) == b"callback"


def test_a_callback_runs_alongside_once_it_has_waited_its_time():
    app = HeldApp()
    turns = CallbacksInTurn(app, wait_seconds=0.1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        app.expect("slow"), app.expect("next")
        slow = start(pool, turns, CALLBACK, "slow")
        assert app.entered["slow"].wait(LONG)
        following = start(pool, turns, CALLBACK, "next")
        assert app.entered["next"].wait(LONG)  # the slow one has not finished
        app.release["next"].set()
        assert following.result(LONG) == b"next"
        app.release["slow"].set()
        assert slow.result(LONG) == b"slow"


def test_the_turn_is_free_again_after_a_callback_fails():
    def failing(environ, start_response):
        raise RuntimeError("the app failed")

    turns = CallbacksInTurn(failing, wait_seconds=LONG)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="the app failed"):
            turns({"PATH_INFO": CALLBACK}, lambda status, headers: None)
    assert not turns.turn.locked()


def test_callbacks_through_the_asgi_application_take_their_turn():
    seen = []
    holder = {}

    def wsgi_app(environ, start_response):
        seen.append(holder["turns"].turn.locked())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    application = http_application(wsgi_app)
    # The layer that holds the turn: the application's HTTP chain, down to CallbacksInTurn.
    layer = application
    while not isinstance(layer, CallbacksInTurn):
        layer = getattr(layer, "app", None)
        assert layer is not None, "no CallbacksInTurn in the HTTP chain"
    holder["turns"] = layer
    with ThreadPoolExecutor(max_workers=1) as pool:  # the browser tests keep a loop in this thread
        for path in (CALLBACK, "/dashboards/"):
            communicator = HttpCommunicator(application, "POST", path)
            response = pool.submit(asyncio.run, communicator.get_response()).result()
            assert response["status"] == 200
    assert seen == [True, False]
