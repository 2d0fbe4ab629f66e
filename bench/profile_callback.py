"""Where the milliseconds of one portal callback go, in-process (no server, no network).

    .venv/bin/python bench/profile_callback.py --requests 400            # SQLite, file cache
    .venv/bin/python bench/profile_callback.py --requests 400 --redis    # Redis db 13

A fresh SQLite database with the demo users (as bench/side_by_side.py), the
logged-in `admin`, then Stock Today's callback sent straight to Django's WSGI
handler, a new start date on every request (nothing a memo has seen), with the
session cookie, the CSRF token and the Referer a browser sends. Prints:

- the mean time of the whole request, and of the app's own Flask answer alone
  (the same bodies to `app.server.wsgi_app`: what plain Dash does);
- each middleware's own time (its time minus the time of what it calls);
- the cache calls and database queries one request makes;
- with --profile, cProfile's top functions by cumulative time.

Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import portal_env, prepare_portal  # noqa: E402

SLUG = "stocktoday"
REDIS_URL = "redis://127.0.0.1:6379/13"
PROFILED = 200  # requests under cProfile, with --profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--redis", action="store_true", help="cache and sessions in Redis db 13")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--same", action="store_true", help="the same body every time (memoised data)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = portal_env(
            Path(tmp) / "bench.sqlite3",
            CACHE_DIR=str(Path(tmp) / "cache"),
            **({"REDIS_URL": REDIS_URL} if args.redis else {}),
        )
        prepare_portal(env)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "dashengine_site.settings"
        run(args)


def run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client

    from accounts.models import User
    from dashboards import registry
    from dashengine_site.frame_room import WithRoom
    from tests.dash_requests import callback_body, layout_values, server_callbacks

    client = Client(HTTP_HOST="127.0.0.1:8000")
    client.force_login(User.objects.get(username="admin"))
    client.get(f"/dashboards/{SLUG}/")  # sets the CSRF cookie
    prefix = f"/django_plotly_dash/app/{SLUG}/"
    layout = json.loads(client.get(prefix + "_dash-layout").content)
    [dependency] = server_callbacks(json.loads(client.get(prefix + "_dash-dependencies").content))
    first = dt.date(2007, 1, 3)
    bodies = [
        json.dumps(
            callback_body(
                dependency, {**layout_values(layout), "start.date": str(first + dt.timedelta(days=n))}
            )
        ).encode()
        for n in range(2 * args.requests + 20 + PROFILED)
    ]
    if args.same:
        bodies = [bodies[0]] * len(bodies)
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    handler = WSGIHandler()
    timings = time_middleware(handler)
    steps = time_view_steps(registry.app(SLUG))
    served = WithRoom(handler)  # as dashengine_site.asgi serves every request

    def environ(path: str, body: bytes) -> dict:
        return {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_COOKIE": cookie,
            "HTTP_X_CSRFTOKEN": token,
            "HTTP_REFERER": f"http://127.0.0.1:8000/dashboards/{SLUG}/",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }

    def portal(body: bytes) -> bytes:
        started = {}
        result = served(environ(prefix + "_dash-update-component", body), lambda s, h: started.update(s=s))
        content = b"".join(result)
        result.close()
        if not started["s"].startswith("200"):
            raise RuntimeError(f"{started['s']}: {content[:300]!r}")
        return content

    app = registry.app(SLUG)

    def plain(body: bytes) -> bytes:
        from dash._get_app import app_context

        app_context.set(app)
        started = {}
        result = app.server.wsgi_app(
            environ(app.config.routes_pathname_prefix + "_dash-update-component", body),
            lambda s, h: started.update(s=s),
        )
        return b"".join(result)

    for body in bodies[:10]:  # warm: imports, first queries, the code's own caches
        portal(body)
        plain(body)
    # Interleaved, so that both sides get as many long and short date ranges.
    measured = bodies[20 : 20 + 2 * args.requests : 2]
    other = bodies[21 : 21 + 2 * args.requests : 2]
    timings.clear()
    steps.clear()
    counts = count_calls()
    # Alternated, so that both sides see the same load from the rest of the machine;
    # CPU time of the whole process (every thread), less sensitive to that load than wall time.
    wall = {"portal": 0.0, "plain": 0.0}
    cpu = {"portal": 0.0, "plain": 0.0}
    for mine, theirs in zip(measured, other, strict=True):
        for side, call, body in (("portal", portal, mine), ("plain", plain, theirs)):
            started, started_cpu = time.perf_counter(), time.process_time()
            call(body)
            wall[side] += time.perf_counter() - started
            cpu[side] += time.process_time() - started_cpu
    counts.stop()
    calls = {k: v / len(measured) for k, v in counts.items()}
    portal_ms, plain_ms = (wall[side] * 1000 / len(measured) for side in ("portal", "plain"))
    portal_cpu, plain_cpu = (cpu[side] * 1000 / len(measured) for side in ("portal", "plain"))

    kind = "the same inputs" if args.same else "new inputs each"
    print(f"cache: {'Redis' if args.redis else 'file cache'}; {len(measured)} callbacks, {kind}")
    print("                             wall ms   CPU ms")
    print(f"portal, whole request:      {portal_ms:7.2f}  {portal_cpu:7.2f}")
    print(f"the app's own Flask answer: {plain_ms:7.2f}  {plain_cpu:7.2f}")
    print(f"portal overhead:            {portal_ms - plain_ms:7.2f}  {portal_cpu - plain_cpu:7.2f}")
    print("\nper request: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(calls.items())))
    print("\nthe view's steps (ms per request):")
    for name, seconds in steps.items():
        print(f"  {name:<60} {seconds * 1000 / len(measured):6.3f}")
    print("\nown time per middleware (ms per request; the outermost one is not timed):")
    for name, seconds in timings.items():
        print(f"  {name:<60} {seconds * 1000 / len(measured):6.3f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for body in bodies[-PROFILED:]:  # inputs nobody asked for yet, as measured above
            portal(body)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(60)
        print(out.getvalue())


def time_view_steps(app) -> dict[str, float]:
    """Time the portal view's own steps: the permission check (with the session and user
    reads it triggers), the callback guard, and the app's Flask answer inside `call_app`."""
    from dashboards.hosting import views

    steps: dict[str, float] = {}

    def timed(func, name):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                steps[name] = steps.get(name, 0.0) + time.perf_counter() - started

        return call

    views.viewable_dashboard = timed(views.viewable_dashboard, "permission: session, user, grants, can_view")
    views.refuse_callback = timed(views.refuse_callback, "callback guard")
    views.call_app = timed(views.call_app, "call_app: the app's Flask answer and its wrapping")
    flask_call = app.server.wsgi_app

    def wsgi_app(environ, start_response):  # the portal's calls only (the plain side's lack USER_KEY)
        if views.USER_KEY not in environ:
            return flask_call(environ, start_response)
        return timed(flask_call, "  of which the Flask answer")(environ, start_response)

    app.server.wsgi_app = wsgi_app
    return steps


def time_middleware(handler) -> dict[str, float]:
    """Wrap each middleware's `__call__` so that its own time (minus the inner chain) adds up."""
    timings: dict[str, float] = {}
    stack: list[float] = []  # time spent in inner layers, per open layer

    def wrap(layer, name):
        inner_call = layer.__call__

        def timed(request):
            stack.append(0.0)
            started = time.perf_counter()
            try:
                return inner_call(request)
            finally:
                total = time.perf_counter() - started
                inner = stack.pop()
                timings[name] = timings.get(name, 0.0) + total - inner
                if stack:
                    stack[-1] += total

        return timed

    # Each middleware keeps the next layer in `get_response`: wrapping it times that
    # next layer (a middleware, or at the end Django's view handler).
    layer = handler._middleware_chain
    seen = set()
    while True:
        owner = getattr(layer, "__wrapped__", None) or layer
        target = getattr(owner, "get_response", None)
        if id(owner) in seen or target is None:
            break
        seen.add(id(owner))
        inner = getattr(target, "__wrapped__", None) or target
        name = type(inner).__module__ + "." + type(inner).__name__
        if not hasattr(inner, "get_response"):
            name = "the view, with middleware's process_view (" + name + ")"
        owner.get_response = wrap(target, name)
        layer = target
    return timings


class count_calls(dict):
    """Counts cache calls and database queries (this thread's cache backend) until `stop()`."""

    NAMES = ("get", "set", "get_many", "set_many", "delete", "get_or_set", "add", "touch", "has_key")

    def __init__(self):
        super().__init__()
        from django.core.cache import caches
        from django.db import connection

        self.backend = caches["default"]
        for name in self.NAMES:
            original = getattr(self.backend, name)

            def counted(*a, _name=name, _original=original, **k):
                self[f"cache.{_name}"] = self.get(f"cache.{_name}", 0) + 1
                return _original(*a, **k)

            setattr(self.backend, name, counted)
        self.wrapper = connection.execute_wrapper(self.query)
        self.wrapper.__enter__()

    def query(self, execute, sql, params, many, context):
        self["db queries"] = self.get("db queries", 0) + 1
        return execute(sql, params, many, context)

    def stop(self) -> None:
        self.wrapper.__exit__(None, None, None)
        for name in self.NAMES:
            vars(self.backend).pop(name, None)


if __name__ == "__main__":
    main()
