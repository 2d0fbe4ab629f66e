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
pipelines included, goes through it.
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
    def __init__(self, *, skip_seconds: float = SKIP_SECONDS):
        self.skip_seconds = skip_seconds
        self._lock = threading.Lock()
        self.skip_until = 0.0  # time.monotonic() before which calls are skipped
        self.outage_since: float | None = None
        self.skipped = 0

    def check(self) -> None:
        """Raise at once while Redis is being skipped."""
        if time.monotonic() < self.skip_until:
            with self._lock:
                self.skipped += 1
            raise Skipped(f"Redis skipped for {self.skip_seconds:g} s after a failure")

    def failed(self, error: BaseException, *, where: str) -> None:
        with self._lock:
            self.skip_until = time.monotonic() + self.skip_seconds
            if self.outage_since is not None:
                return
            self.outage_since = time.monotonic()
        logger.warning(
            "Redis at %s is not answering (%s: %s); it is skipped for %g s at a time until it answers.",
            where,
            error.__class__.__name__,
            error,
            self.skip_seconds,
        )

    def succeeded(self, *, where: str) -> None:
        if self.outage_since is None:  # the usual case: no lock taken
            return
        with self._lock:
            if self.outage_since is None:
                return
            lasted, skipped = time.monotonic() - self.outage_since, self.skipped
            self.outage_since, self.skipped, self.skip_until = None, 0, 0.0
        logger.warning(
            "Redis at %s answers again after %.1f s; %d calls were skipped.", where, lasted, skipped
        )

    @property
    def skipping(self) -> bool:
        return time.monotonic() < self.skip_until


# One per process: every connection to the cache's Redis shares what it learnt.
breaker = Breaker()


class BreakerMixin:
    @contextmanager
    def _watched(self):
        try:
            yield
        except Skipped:
            raise
        except FAILURES as error:
            breaker.failed(error, where=f"{self.host}:{self.port}")
            raise

    def connect_check_health(self, *args, **kwargs):
        if self._sock is None:
            breaker.check()
        with self._watched():
            return super().connect_check_health(*args, **kwargs)

    def send_packed_command(self, *args, **kwargs):
        breaker.check()
        with self._watched():
            return super().send_packed_command(*args, **kwargs)

    def read_response(self, *args, **kwargs):
        with self._watched():
            response = super().read_response(*args, **kwargs)
        breaker.succeeded(where=f"{self.host}:{self.port}")
        return response


class BreakerConnection(BreakerMixin, Connection):
    pass


class BreakerSSLConnection(BreakerMixin, SSLConnection):
    pass


def connection_class(url: str) -> type[Connection]:
    """For `CONNECTION_POOL_KWARGS`: it replaces the class redis-py picks from the URL."""
    return BreakerSSLConnection if url.startswith("rediss://") else BreakerConnection
