"""Where the portal keeps the answers of memoised data functions (`dashkit.memo`).

With Redis (`REDIS_URL`), in the site's cache, so every worker and instance
shares them; without it, in each process, up to `MEMO_LOCAL_MAX_BYTES` (the file
cache would write a file per new answer). Answers above `MEMO_MAX_BYTES` are not kept, and `MEMO_SECONDS`
bounds how long one is. Hits and misses are counted for `/metrics`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from dashengine_site import metrics
from dashkit import memo


class CacheStore:
    """The site's cache (Redis): a miss when it does not answer."""

    def get(self, key: str, *, function: str) -> bytes | None:
        return cache.get(key)

    def set(self, key: str, value: bytes, *, function: str) -> None:
        if len(value) <= settings.MEMO_MAX_BYTES:
            cache.set(key, value, settings.MEMO_SECONDS)


class NoStore:
    def get(self, key: str, *, function: str) -> bytes | None:
        return None

    def set(self, key: str, value: bytes, *, function: str) -> None:
        pass


class CountedStore:
    def __init__(self, kept: memo.Store):
        self.kept = kept

    def get(self, key: str, *, function: str) -> bytes | None:
        value = self.kept.get(key, function=function)
        metrics.MEMOS.labels(function=function, result="miss" if value is None else "hit").inc()
        return value

    def set(self, key: str, value: bytes, *, function: str) -> None:
        self.kept.set(key, value, function=function)


def memo_store_install() -> None:
    if not settings.MEMO_SECONDS:
        kept: memo.Store = NoStore()
    elif settings.REDIS_URL:
        kept = CacheStore()
    else:
        kept = memo.LocalStore(
            max_bytes=settings.MEMO_LOCAL_MAX_BYTES,
            max_item_bytes=settings.MEMO_MAX_BYTES,
            max_age=settings.MEMO_SECONDS,
        )
    memo.use_store(CountedStore(kept))
