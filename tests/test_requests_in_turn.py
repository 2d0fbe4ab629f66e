"""Django's requests take turns in a worker process, in the order they came, and run
alongside one that has run its time (dashengine_site.asgi.InTurn)."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.testing import HttpCommunicator
from django.conf import settings
from prometheus_client import REGISTRY

from dashengine_site.asgi import InTurn, http_application

LONG = 30  # seconds: longer than any of these tests waits for anything
WAITING = 0.3  # seconds a request is given to enter when it should be waiting


class HeldApp:
    """A WSGI app that tells when a request has entered it and answers only once released."""

    def __init__(self):
        self.entered = {}
        self.release = {}
        self.order = []

    def expect(self, *names: str) -> None:
        for name in names:
            self.entered[name], self.release[name] = threading.Event(), threading.Event()

    def __call__(self, environ, start_response):
        name = environ["QUERY_STRING"]
        self.order.append(name)
        self.entered[name].set()
        assert self.release[name].wait(LONG)
        start_response("200 OK", [])
        return [name.encode()]


def waits_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("dashengine_request_turn_wait_seconds_count", {"outcome": outcome}) or 0


def start(pool, turns, name: str):
    environ = {"PATH_INFO": "/dashboards/", "QUERY_STRING": name}
    return pool.submit(lambda: b"".join(turns(environ, lambda status, headers: None)))


def test_a_request_waits_for_the_one_running_in_its_worker():
    app = HeldApp()
    turns = InTurn(app, patience=LONG)
    counted = waits_counted("turn"), waits_counted("alongside")
    with ThreadPoolExecutor(max_workers=2) as pool:
        app.expect("first", "second")
        first = start(pool, turns, "first")
        assert app.entered["first"].wait(LONG)
        second = start(pool, turns, "second")
        assert not app.entered["second"].wait(WAITING)  # waiting for its turn
        app.release["first"].set()
        assert first.result(LONG) == b"first"
        assert app.entered["second"].wait(LONG)
        app.release["second"].set()
        assert second.result(LONG) == b"second"
    # The second waited and got the turn; the first found it free and is not counted.
    assert (waits_counted("turn"), waits_counted("alongside")) == (counted[0] + 1, counted[1])


def test_waiting_requests_take_the_turn_in_the_order_they_came():
    app = HeldApp()
    turns = InTurn(app, patience=LONG)
    names = ["running", "a", "b", "c"]
    app.expect(*names)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = [start(pool, turns, "running")]
        assert app.entered["running"].wait(LONG)
        for name in names[1:]:
            answers.append(start(pool, turns, name))
            assert not app.entered[name].wait(WAITING)  # in the queue before the next one comes
        for name, following in zip(names, names[1:], strict=False):
            app.release[name].set()
            assert app.entered[following].wait(LONG)
        app.release["c"].set()
        assert [answer.result(LONG) for answer in answers] == [b"running", b"a", b"b", b"c"]
    assert app.order == names


def test_the_next_requests_run_alongside_once_the_running_one_has_run_its_time():
    app = HeldApp()
    turns = InTurn(app, patience=0.1)
    counted = waits_counted("turn"), waits_counted("alongside")
    with ThreadPoolExecutor(max_workers=3) as pool:
        app.expect("slow", "next", "after")
        slow = start(pool, turns, "slow")
        assert app.entered["slow"].wait(LONG)
        following = [start(pool, turns, "next"), start(pool, turns, "after")]
        # Both enter while the slow one still runs, neither waiting for the other.
        assert app.entered["next"].wait(LONG) and app.entered["after"].wait(LONG)
        app.release["next"].set(), app.release["after"].set()
        assert [answer.result(LONG) for answer in following] == [b"next", b"after"]
        app.release["slow"].set()
        assert slow.result(LONG) == b"slow"
    assert turns.since is None  # the slow one gave the turn back
    assert (waits_counted("turn"), waits_counted("alongside")) == (counted[0], counted[1] + 2)


def test_with_no_patience_requests_never_wait():
    app = HeldApp()
    turns = InTurn(app, patience=0)
    with ThreadPoolExecutor(max_workers=2) as pool:
        app.expect("first", "second")
        first, second = start(pool, turns, "first"), start(pool, turns, "second")
        assert app.entered["first"].wait(LONG) and app.entered["second"].wait(LONG)
        app.release["first"].set(), app.release["second"].set()
        assert (first.result(LONG), second.result(LONG)) == (b"first", b"second")


def test_the_turn_is_free_again_after_a_request_fails():
    def failing(environ, start_response):
        raise RuntimeError("the app failed")

    turns = InTurn(failing, patience=LONG)
    for _ in range(2):  # the second would wait for the first forever if it kept the turn
        with pytest.raises(RuntimeError, match="the app failed"):
            turns({"PATH_INFO": "/dashboards/"}, lambda status, headers: None)
    assert turns.since is None


def test_a_streamed_body_is_sent_after_the_turn_ends():
    held_while_streaming = []

    def streaming(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/csv")])

        def rows():
            for row in (b"a\n", b"b\n"):
                held_while_streaming.append(turns.since is not None)
                yield row

        return rows()

    turns = InTurn(streaming, patience=LONG)
    body = turns({"PATH_INFO": "/dashboards/stocktoday/export.csv"}, lambda status, headers: None)
    assert b"".join(body) == b"a\nb\n"
    assert held_while_streaming == [False, False]


def test_requests_through_the_asgi_application_take_their_turn():
    seen = []
    holder = {}

    def wsgi_app(environ, start_response):
        seen.append((environ["PATH_INFO"], holder["turns"].since is not None))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    application = http_application(wsgi_app)
    layer = application  # the application's HTTP chain, down to the layer that holds the turn
    while not isinstance(layer, InTurn):
        layer = getattr(layer, "app", None)
        assert layer is not None, "no InTurn in the HTTP chain"
    holder["turns"] = layer
    assert layer.patience == settings.REQUEST_TURN_SECONDS > 0
    with ThreadPoolExecutor(max_workers=1) as pool:  # the browser tests keep a loop in this thread
        for method, path in (
            ("POST", "/django_plotly_dash/app/stocktoday/_dash-update-component"),
            ("GET", "/dashboards/"),
        ):
            communicator = HttpCommunicator(application, method, path)
            response = pool.submit(asyncio.run, communicator.get_response()).result()
            assert (response["status"], response["body"]) == (200, b"ok")
    assert seen == [
        ("/django_plotly_dash/app/stocktoday/_dash-update-component", True),
        ("/dashboards/", True),
    ]
