"""Reading a public HTTP JSON API so that a dashboard never shows a traceback.

`JsonSource.get` answers, in order of preference: a cached answer younger than
the TTL; a fresh answer (timeout per attempt, retries with exponential
back-off, the answer checked by the dashboard's `validate`); the last good
answer with its age and a notice; the offline snapshot that ships with the
project, with a notice. After a failed round the source is left alone for
`pause` seconds, so a dead API does not hold every request for the whole
retry schedule.

Django-free, like the catalogue: in the portal the cache is Django's (shared by
the workers, Redis when `REDIS_URL` is set); in a standalone run it is a
dictionary in the process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

KEEP_LAST_GOOD = 7 * 24 * 3600  # seconds a good answer is kept for bad days


class Cache(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any, timeout: float | None = None) -> None: ...


class ProcessCache:
    """The cache of a standalone run: a dictionary with expiry times."""

    def __init__(self):
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        expires, value = self._items.get(key, (0.0, default))
        return value if expires > time.time() else default

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._items[key] = (time.time() + (timeout or 1e12), value)


_process_cache = ProcessCache()


def shared_cache() -> Cache:
    """Django's cache inside the portal, else the process's own."""
    if "django.conf" in sys.modules:
        from django.conf import settings

        if settings.configured:
            from django.core.cache import cache

            return cache
    return _process_cache


@dataclass(frozen=True)
class Fetched:
    payload: dict[str, Any]
    fetched_at: float  # epoch seconds the payload left the API (or the snapshot's file time)
    origin: str  # "live", "cache", "last good" or "snapshot"
    notice: str = ""  # what the user should know; empty when all is well

    def age_text(self, now: float | None = None) -> str:
        return age_text((now or time.time()) - self.fetched_at)


def age_text(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} minutes ago"
    hours = minutes / 60
    if hours < 36:
        return f"{hours:.0f} hours ago"
    return f"{hours / 24:.0f} days ago"


class SourceError(Exception):
    """One failed attempt, in words a user can read; `final` when asking again is pointless."""

    def __init__(self, message: str, *, final: bool = False):
        super().__init__(message)
        self.final = final


@dataclass(frozen=True, kw_only=True)
class JsonSource:
    name: str  # what users call it ("the exchange-rate service")
    base_url: str  # empty: offline, the snapshot only
    snapshot: Path
    validate: Callable[[Any], None]  # raises ValueError on an answer of the wrong shape
    timeout: float = 3.0
    retries: int = 2
    backoff: float = 0.5
    ttl: float = 3600.0
    pause: float = 60.0
    user_agent: str = "DashEngine/1.0"

    def get(self, path: str, *, cache: Cache | None = None) -> Fetched:
        cache = cache or shared_cache()
        if not self.base_url:
            return self._snapshot("")
        url = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        key = "source:" + hashlib.sha256(url.encode()).hexdigest()
        good = cache.get(key)
        if good and time.time() - good["fetched_at"] < self.ttl:
            return Fetched(good["payload"], good["fetched_at"], "cache")
        failure = cache.get(key + ":down")
        if failure is None:
            try:
                payload = self._fetch(url)
            except SourceError as error:
                failure = str(error)
                cache.set(key + ":down", failure, self.pause)
            else:
                now = time.time()
                cache.set(key, {"payload": payload, "fetched_at": now}, KEEP_LAST_GOOD)
                return Fetched(payload, now, "live")
        if good:
            fetched = Fetched(good["payload"], good["fetched_at"], "last good")
            notice = f"{self.name.capitalize()} is not answering ({failure}); showing data fetched {fetched.age_text()}."
            return Fetched(fetched.payload, fetched.fetched_at, fetched.origin, notice)
        return self._snapshot(
            f"{self.name.capitalize()} is not answering ({failure}); showing the offline snapshot"
        )

    def _fetch(self, url: str) -> dict[str, Any]:
        last = SourceError("no attempt made")
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._attempt(url)
            except SourceError as error:
                last = error
                if error.final:
                    break
        raise last

    def _attempt(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": self.user_agent}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(5_000_000)
        except urllib.error.HTTPError as error:
            # A client error will not go away by asking again (429 may).
            final = 400 <= error.code < 500 and error.code != 429
            raise SourceError(f"HTTP {error.code}", final=final) from None
        except TimeoutError:
            raise SourceError(f"no answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise SourceError(f"no answer within {self.timeout:g} s") from None
            logger.warning("%s: cannot connect to %s: %s", self.name, url, reason)
            raise SourceError("cannot connect") from None
        try:
            payload = json.loads(body)
            self.validate(payload)
        except (ValueError, TypeError, KeyError) as error:
            raise SourceError(f"unreadable answer: {error}") from None
        return payload

    def _snapshot(self, notice: str) -> Fetched:
        payload = json.loads(self.snapshot.read_text())
        fetched_at = self.snapshot.stat().st_mtime
        if notice:
            notice += f" of {payload.get('end_date', 'an earlier date')}."
        return Fetched(payload, fetched_at, "snapshot", notice)
