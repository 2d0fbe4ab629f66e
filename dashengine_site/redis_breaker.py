"""Redis as an accelerator: after one failed call, skip it for a few seconds.

The cache holds nothing a request needs (sessions, users and permissions are
read from the database), so a Redis that is down, frozen or slow must cost a
request at most one bounded wait (the socket timeout), not one per cache call.
After a call fails, every call in this process fails at once, without touching
the network, for SKIP_SECONDS; then the next call tries Redis again. django-redis
(`IGNORE_EXCEPTIONS`) turns each failure into a cache miss or a dropped write.

An outage is logged twice: when it starts, and when Redis answers again, with
how many calls were skipped; not once per call.

It sits in redis-py's connection class, the documented way to change how
connections behave (`ConnectionPool(connection_class=...)`), so every command,
pipelines included, goes through it. The live feed's channel layer uses a
`Breaker` of its own (dashboards/live_layer.py).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import contextmanager

import redis
from redis.connection import Connection, SSLConnection

logger = logging.getLogger(__name__)

SKIP_SECONDS = 5.0
# What a Redis that is down, frozen or unreachable raises; a refused command
# (ResponseError) is an answer, not an outage.
FAILURES = (redis.ConnectionError, redis.TimeoutError, socket.timeout, OSError)


class Skipped(redis.ConnectionError):
    """A call not made: Redis failed less than SKIP_SECONDS ago."""


class Breaker:
    """A service that may stall: after a failure it is skipped for `skip_seconds`;
    an outage is logged when it starts and when the service answers again."""

    def __init__(self, *, what: str, skip_seconds: float, meanwhile: str, log: logging.Logger):
        self.what, self.skip_seconds, self.meanwhile, self.log = what, skip_seconds, meanwhile, log
        self._lock = threading.Lock()
        self.skip_until = 0.0  # time.monotonic() before which calls are skipped
        self.outage_since: float | None = None
        self.missed = 0  # calls failed or skipped since outage_since
        self.epoch = 0  # moves on at every failure: what was set up before may be gone

    def usable(self) -> bool:
        if time.monotonic() >= self.skip_until:
            return True
        with self._lock:
            self.missed += 1
        return False

    def failed(self, error: BaseException, *, doing: str) -> None:
        with self._lock:
            self.epoch += 1
            self.missed += 1
            self.skip_until = time.monotonic() + self.skip_seconds
            if self.outage_since is not None:
                return
            self.outage_since = time.monotonic()
        self.log.warning(
            "%s failed to %s (%s: %s). %s",
            self.what,
            doing,
            error.__class__.__name__,
            str(error) or "no answer in time",
            self.meanwhile,
        )

    def answered(self) -> None:
        if self.outage_since is None:  # the usual case: no lock taken
            return
        with self._lock:
            if self.outage_since is None:
                return
            lasted, missed = time.monotonic() - self.outage_since, self.missed
            self.outage_since, self.missed, self.skip_until = None, 0, 0.0
        self.log.warning(
            "%s answers again after %.1f s; %d calls failed or were skipped meanwhile.",
            self.what,
            lasted,
            missed,
        )

    @property
    def skipping(self) -> bool:
        return time.monotonic() < self.skip_until


def cache_breaker() -> Breaker:
    return Breaker(
        what="The cache's Redis",
        skip_seconds=SKIP_SECONDS,
        meanwhile=f"Pages are served without it; it is tried again every {SKIP_SECONDS:g} s.",
        log=logger,
    )


# One per process: every connection to the cache's Redis shares what it learnt.
breaker = cache_breaker()


def check() -> None:
    """Raise at once while Redis is being skipped."""
    if not breaker.usable():
        raise Skipped(f"Redis skipped for {SKIP_SECONDS:g} s after a failure")


class BreakerMixin:
    @contextmanager
    def _watched(self):
        try:
            yield
        except Skipped:
            raise
        except FAILURES as error:
            breaker.failed(error, doing=f"answer at {self.host}:{self.port}")
            raise

    def connect_check_health(self, *args, **kwargs):
        if self._sock is None:
            check()
        with self._watched():
            return super().connect_check_health(*args, **kwargs)

    def send_packed_command(self, *args, **kwargs):
        check()
        with self._watched():
            return super().send_packed_command(*args, **kwargs)

    def read_response(self, *args, **kwargs):
        with self._watched():
            response = super().read_response(*args, **kwargs)
        breaker.answered()
        return response


class BreakerConnection(BreakerMixin, Connection):
    pass


class BreakerSSLConnection(BreakerMixin, SSLConnection):
    pass


def connection_class(url: str) -> type[Connection]:
    """For `CONNECTION_POOL_KWARGS`: it replaces the class redis-py picks from the URL."""
    return BreakerSSLConnection if url.startswith("rediss://") else BreakerConnection
