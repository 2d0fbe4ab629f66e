"""Headless Chromium (Debian's package) driven by Playwright against live_server."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from urllib.parse import urlsplit

import pytest
from django.core.signals import request_finished, request_started

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made by the test itself are still plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}


class _Serving:
    """Which of the live server's threads are answering a request, and since when that
    last changed: Django's own request signals, so a page's last request (sent as it is
    left, which the browser may not report) is seen too. A thread that ended counts as
    done, whatever the signals said: a request whose client went away may never be closed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answering: dict[threading.Thread, int] = {}
        self.changed = time.monotonic()

    def started(self, **kwargs):
        self._count(+1)

    def finished(self, **kwargs):
        self._count(-1)

    def _count(self, step: int) -> None:
        thread = threading.current_thread()
        if thread is threading.main_thread():
            return  # the test client's requests, in the test itself: not the live server's
        with self.lock:
            self.answering[thread] = self.answering.get(thread, 0) + step
            self.changed = time.monotonic()

    def busy(self) -> bool:
        with self.lock:
            self.answering = {t: n for t, n in self.answering.items() if n > 0 and t.is_alive()}
            return bool(self.answering) or time.monotonic() - self.changed < 0.3

    def wait_until_quiet(self, *, limit: float = 10.0) -> None:
        deadline = time.monotonic() + limit
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.05)


SERVING = _Serving()
# Connected after Django's own close_old_connections: "finished" means closed.
request_started.connect(SERVING.started)
request_finished.connect(SERVING.finished)


@pytest.fixture(autouse=True)
def _live_server_answered_everything(request):
    """The database is emptied after each live-server test: a request still answering
    then (in a transaction, or closing its connection) makes the flush fail and the next
    test start with the last one's rows. Wait for the server to be quiet first."""
    if "live_server" not in request.fixturenames:
        yield
        return
    # Asked for here so that it is emptied after this fixture's wait, not before.
    request.getfixturevalue("transactional_db")
    yield
    SERVING.wait_until_quiet()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make chromium` installs Debian's package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A browser tab that records every URL it requests."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.requested: list[str] = []
        self.console_errors: list[str] = []
        self.in_flight: set = set()
        page.on("request", lambda request: (self.requested.append(request.url), self.in_flight.add(request)))
        page.on("requestfinished", lambda request: self.in_flight.discard(request))
        page.on("requestfailed", lambda request: self.in_flight.discard(request))
        # A Content-Security-Policy violation is reported here too.
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def leave(self) -> None:
        """Leave the page as a person does, and let what it sends on leaving (its last
        filters) be answered before the test's database is emptied: a request still in a
        transaction then would block the flush."""
        self.page.goto("about:blank")
        for _ in range(60):
            if not any(r.url.startswith(self.base_url) for r in self.in_flight):
                return
            self.page.wait_for_timeout(50)

    def log_in(self, username: str, password: str = PASSWORD):
        """Through the login form, as a person does (for the tests of that form)."""
        self.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def sign_in(self, username: str):
        """Signed in as `username` without the login form: a session made as Django's test
        client's force_login makes one, its cookie handed to this browser. Nothing is loaded."""
        signed_in(self.page.context, self.base_url, username)

    def foreign_requests(self) -> list[str]:
        return [
            url
            for url in self.requested
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
            and urlsplit(url).hostname not in LOCAL_HOSTS
        ]


def signed_in(context, base_url: str, username: str) -> None:
    """Give the browser context a session of `username` (made by Django's test client's
    force_login, which sends the user_logged_in signal as a login does)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
                "httpOnly": True,
            }
        ]
    )


@pytest.fixture
def visit(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(20_000)
    visit = Visit(page, live_server.url)
    yield visit
    visit.leave()
    context.close()


@pytest.fixture
def live_cast(transactional_db, request):
    # live_server flushes the database between tests: build the cast again.
    return request.getfixturevalue("cast")


def choose(frame, name: str) -> None:
    """Click an option of the open dropdown by its words, as a person does: the
    option's text, not the checkbox or radio drawn under it."""
    frame.locator("[role=dialog] .dash-options-list-option").filter(
        has_text=re.compile(rf"^\s*{re.escape(name)}\s*$")
    ).click()
