"""Django's Redis cache with one connection pool per process.

Django keeps a cache backend per context (asgiref `Local`), and the ASGI
server runs each request in a fresh copy of the event loop's context, so the
stock backend built a new Redis client, pool and TCP connection for every
request: a third of the worker's time on a `_dash-layout` request. The client
is thread-safe; one per process and location is enough.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            if key not in _clients:
                _clients[key] = self._class(self._servers, **self._options)
            return _clients[key]
