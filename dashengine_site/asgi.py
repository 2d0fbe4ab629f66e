"""ASGI entry point: HTTP through Django's WSGI handler, websockets through channels.

Every portal view is synchronous. Django's own ASGI handler runs them by
hopping between the event loop and a worker thread around each middleware
(measured here: 4.2 ms a request for `/healthz`, against 1.1 ms under WSGI), so
HTTP goes to the WSGI handler, run in a small thread pool by a2wsgi, which
streams responses chunk by chunk.

Static files never reach Django: a2wsgi would hand a 3 MB bundle to the event
loop in 8 KB pieces, one thread hop each (measured: 220 requests/s against
2,000 under gunicorn's own WSGI workers). `StaticFiles` answers them on the
event loop from WhiteNoise's index, with WhiteNoise's headers (immutable
caching for the versioned bundles, ETags, 304s, ranges).

Everything else, every dashboard route included, is Django's to decide: its
middleware, its session, the one permission function.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashengine_site.settings")
# Set up Django before anything imports models.
django_wsgi_app = get_wsgi_application()

import asyncio  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from a2wsgi import WSGIMiddleware  # noqa: E402
from a2wsgi.wsgi import WSGIResponder  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier  # noqa: E402
from django.conf import settings  # noqa: E402
from whitenoise.middleware import WhiteNoiseMiddleware  # noqa: E402

from dashengine_site import metrics, readiness  # noqa: E402
from dashengine_site.frame_room import WithRoom  # noqa: E402
from dashengine_site.routing import websocket_urlpatterns  # noqa: E402

logger = logging.getLogger(__name__)


class OneHopResponder(WSGIResponder):
    """a2wsgi's responder, handing an ordinary response to the event loop in one
    hop instead of one per message (start, body, end: each a wait on the loop
    from the worker thread). Streaming responses (CSV exports) still go chunk by
    chunk, so a large download is never held in memory."""

    def __init__(self, *args):
        super().__init__(*args)
        self.held: list | None = []

    def send(self, message) -> None:
        if self.held is None:
            super().send(message)
        else:
            self.held.append(message)

    def wsgi(self, environ, start_response) -> None:
        iterable = self.app(environ, start_response)
        if getattr(iterable, "streaming", False):
            self.release()
        try:
            for chunk in iterable:
                self.send({"type": "http.response.body", "body": chunk, "more_body": True})
            self.send({"type": "http.response.body", "body": b""})
        finally:
            getattr(iterable, "close", lambda: None)()
            self.release()

    def release(self) -> None:
        held, self.held = self.held, None
        if held:
            asyncio.run_coroutine_threadsafe(self.put_all(held), self.loop).result()

    async def put_all(self, messages) -> None:
        for message in messages:
            await self.send_queue.put(message)


class WSGIBridge(WSGIMiddleware):
    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            return await OneHopResponder(self.app, self.executor, self.send_queue_size)(scope, receive, send)
        return await super().__call__(scope, receive, send)


class StaticFiles:
    """Static files from WhiteNoise's index, answered before the WSGI bridge."""

    def __init__(self, app):
        self.app = app
        self.whitenoise = WhiteNoiseMiddleware(get_response=None)

    async def __call__(self, scope, receive, send):
        if scope["method"] in ("GET", "HEAD"):
            files = self.whitenoise
            static_file = (
                files.find_file(scope["path"]) if files.autorefresh else files.files.get(scope["path"])
            )
            if static_file is not None:
                await self.serve(static_file, scope, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def serve(static_file, scope, send):
        environ = {
            "HTTP_" + k.decode("latin-1").upper().replace("-", "_"): v.decode("latin-1")
            for k, v in scope["headers"]
        }
        response = static_file.get_response(scope["method"], environ)
        body = b""
        if response.file is not None:
            with response.file as file:
                body = await asyncio.to_thread(file.read)
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": int(response.status), "headers": headers})
        await send({"type": "http.response.body", "body": body})


class InTurn:
    """Django's requests one at a time in each worker process, as a sync worker answers
    them, unless the one running is slow: once it has run `patience` seconds (a slow
    query, a long callback, a large export), the others run alongside it at once.

    A worker's request threads share one interpreter lock. Two requests computing at
    once take turns on it every few milliseconds, and each time one waits on its
    database (a session read releases the lock) the other holds it for a whole
    switch interval: every hand-over a context switch and cold caches. Measured on
    Stock Today (bench/side_by_side.py and bench/visit.py, 2 workers, docs/BENCHMARKS.md):
    43-69 context switches and 20.9-21.5 ms of CPU per callback with requests at once,
    24-26 and 19.4-20.7 ms in turn (plain Dash: 9 and 16.9-18.5); a full visit by 16
    users costs less CPU too (51.6 ms against 55.7).

    Waiting requests go in the order they came. The turn ends when Django has its
    response: a streamed body (a CSV export) is sent alongside the next request.
    Health checks and static files never come here: they are answered on the event loop."""

    def __init__(self, app, *, patience: float):
        self.app = app
        self.patience = patience
        self.changed = threading.Condition()
        self.since: float | None = None  # when the request holding the turn started

    def __call__(self, environ, start_response):
        if self.patience <= 0:
            return self.app(environ, start_response)
        mine, waited = self._wait_for_turn()
        try:
            if waited is not None:
                metrics.TURN_WAITS.labels(outcome="turn" if mine else "alongside").observe(waited)
            return self.app(environ, start_response)
        finally:
            if mine:
                with self.changed:
                    self.since = None
                    self.changed.notify()

    def _wait_for_turn(self) -> tuple[bool, float | None]:
        """Whether this request holds the turn (not if the one holding it has run too
        long), and the seconds it waited (None: it found the turn free)."""
        with self.changed:
            asked, queued = time.monotonic(), self.since is not None
            while self.since is not None:
                left = self.patience - (time.monotonic() - self.since)
                if left <= 0:
                    break
                self.changed.wait(left)
            mine = self.since is None
            if mine:
                self.since = time.monotonic()
        return mine, (time.monotonic() - asked if queued else None)


LIVE = json.dumps({"status": "ok"}).encode()
READINESS_PATHS = ("/readyz", "/healthz")


class Liveness:
    """`/livez` and `/readyz` (alias `/healthz`) answered on the event loop, before
    the pool of request threads: threads all waiting on a frozen database, or all
    hashing passwords for a burst of logins, must not make a live process look dead
    to its supervisor, nor a ready instance unready to its load balancer. The same
    answers as `dashengine_site.views.livez` and `readyz`, and like them never
    redirected to HTTPS: a health check talks plain HTTP to the instance."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope["path"]
        if path not in ("/livez", *READINESS_PATHS) or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        status, body = 200, LIVE
        if path in READINESS_PATHS:
            status, checks = await readiness.report_async()
            body = json.dumps(checks).encode()
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


class SameOriginWebsockets:
    """A websocket handshake only from a page of this very site: the Origin must be
    the scheme, host and port the socket was opened to (or one of
    `CSRF_TRUSTED_ORIGINS`). Channels' own validator compares the host alone."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        own = f"{scheme}://{headers.get(b'host', b'').decode('latin-1')}"
        if origin != own and origin not in settings.CSRF_TRUSTED_ORIGINS:
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


def http_application(wsgi_app):
    """HTTP: health checks and static files on the event loop, everything else through
    Django, in turn, each request with room on the frame stack (`frame_room`)."""
    django = InTurn(WithRoom(wsgi_app), patience=settings.REQUEST_TURN_SECONDS)
    return Liveness(StaticFiles(WSGIBridge(django, workers=settings.WEB_THREADS)))


application = ProtocolTypeRouter(
    {
        "http": http_application(django_wsgi_app),
        "websocket": AllowedHostsOriginValidator(
            SameOriginWebsockets(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
