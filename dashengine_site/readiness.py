"""Readiness: does the database answer, and is the cache there? Answered within half a second.

A load balancer gives a health check about a second and takes an instance out
after two misses, so a check that waits behind busy request threads, or on a
frozen service, takes a healthy instance out of rotation: with Redis frozen
(2 s of cache calls) or 16 logins hashing passwords, the old check did that to
every instance at once.

So each check runs in a thread of its own, never in the pool of request threads,
and the caller waits for it at most a deadline: a check that has not answered by
then counts as failed. While a check is still running (a frozen database keeps
its thread for a few seconds) the next callers wait for that same check instead
of starting another, so a frozen service ties up one thread per check, not one
per health check. `asgi.Readiness` answers `/readyz` on the event loop with it,
`views.readyz` (runserver, the test client) in the request thread.

Only the database decides: without Redis every page is still served. The cache
is reported, pinged on a client of this module's own with short timeouts, never
through the site's cache (whose waits are for pages, not for health checks).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext, suppress

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from redis.backoff import NoBackoff
from redis.retry import Retry

# Seconds each check may take: together (they run side by side) well inside the
# half second a health check is promised, and half a load balancer's check timeout.
DATABASE_DEADLINE = 0.3
CACHE_DEADLINE = 0.2
# A database that does not answer in time is what a request thread gets an
# OperationalError for (dashengine_site.postgresql), so it is named the same.
DATABASE_LATE = "error: OperationalError"
CACHE_LATE = f"error: no answer within {CACHE_DEADLINE:g} s"


class BoundedCheck:
    """One check at a time in a thread of its own; callers wait for it at most `seconds`."""

    def __init__(self, check: Callable[[], str], *, seconds: float, late: str, name: str):
        self.check, self.seconds, self.late = check, seconds, late
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._running: concurrent.futures.Future | None = None

    def start(self) -> concurrent.futures.Future:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(self.check)
            return self._running

    def wait(self, running: concurrent.futures.Future, *, started: float) -> str:
        try:
            return running.result(timeout=max(0.0, started + self.seconds - time.monotonic()))
        except concurrent.futures.TimeoutError:
            return self.late

    async def wait_async(self) -> str:
        # Shielded: a caller that stops waiting must not cancel the check others wait for.
        running = asyncio.shield(asyncio.wrap_future(self.start()))
        try:
            return await asyncio.wait_for(running, self.seconds)
        except TimeoutError:
            return self.late


def _select_one() -> None:
    bounded = connection.deadline(DATABASE_DEADLINE) if hasattr(connection, "deadline") else nullcontext()
    with bounded, connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _drop_connection() -> None:
    # A connection that failed may fail to close too; it is dropped either way.
    with suppress(Exception):
        connection.close()


def database_check() -> str:
    """`SELECT 1` on this thread's own connection, kept for DATABASE_CONN_MAX_AGE like
    a request thread's. Its own query is its health check: Django's (another
    `SELECT 1`, with a longer deadline) is never run on it."""
    kept = connection.connection is not None
    try:
        _select_one()
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        _drop_connection()
        if not kept:
            return f"error: {error.__class__.__name__}"
        # A kept connection may have been closed by a database restart: one fresh try.
        try:
            _select_one()
        except Exception as error:  # noqa: BLE001
            _drop_connection()
            return f"error: {error.__class__.__name__}"
    if connection.close_at is not None and time.monotonic() >= connection.close_at:
        _drop_connection()
    return "ok"


_redis_clients: dict[str, redis.Redis] = {}


def _redis_location() -> str | None:
    """The Redis the site's cache uses, if it uses one."""
    config = settings.CACHES["default"]
    if "redis" not in config["BACKEND"].lower():
        return None
    location = config["LOCATION"]
    # django-redis takes a list (or a comma-separated string) of servers, the first one written to.
    first = location[0] if isinstance(location, list | tuple) else location.split(",")[0]
    return first.strip()


def cache_check() -> str:
    location = _redis_location()
    if location is None:
        if settings.CACHES["default"]["BACKEND"].endswith("DummyCache"):
            return "not configured"
        # A cache on this machine (the file cache): it answers at disk speed.
        try:
            cache.set("readyz", "ok", 10)
            return "ok" if cache.get("readyz") == "ok" else "error: not available"
        except Exception as error:  # noqa: BLE001
            return f"error: {error.__class__.__name__}"
    client = _redis_clients.get(location)
    if client is None:
        client = _redis_clients[location] = redis.Redis.from_url(
            location,
            socket_timeout=CACHE_DEADLINE,
            socket_connect_timeout=CACHE_DEADLINE,
            # One try: the health check asks again in a second anyway.
            retry=Retry(NoBackoff(), 0),
        )
    try:
        client.ping()
    except redis.TimeoutError:
        return CACHE_LATE
    except redis.ConnectionError:
        return "error: not available"
    except Exception as error:  # noqa: BLE001
        return f"error: {error.__class__.__name__}"
    return "ok"


CHECKS = {
    "database": BoundedCheck(database_check, seconds=DATABASE_DEADLINE, late=DATABASE_LATE, name="readyz-db"),
    "cache": BoundedCheck(cache_check, seconds=CACHE_DEADLINE, late=CACHE_LATE, name="readyz-cache"),
}


def _answer(checks: dict[str, str]) -> tuple[int, dict[str, str]]:
    ready = checks["database"] == "ok"
    return (200 if ready else 503), {"status": "ok" if ready else "error", **checks}


def report() -> tuple[int, dict[str, str]]:
    """The status code and body of `/readyz`, from a request thread."""
    started = time.monotonic()
    running = {name: check.start() for name, check in CHECKS.items()}
    return _answer({name: CHECKS[name].wait(future, started=started) for name, future in running.items()})


async def report_async() -> tuple[int, dict[str, str]]:
    """The status code and body of `/readyz`, from the event loop."""
    results = await asyncio.gather(*(check.wait_async() for check in CHECKS.values()))
    return _answer(dict(zip(CHECKS, results, strict=True)))
