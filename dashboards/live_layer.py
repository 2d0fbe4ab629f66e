"""The live feed's channel layer (Redis), as an accelerator the feed can do without.

Every point is stored in the database before it is pushed, and a page that is
not told of a point reads it from there (`LiveConsumer.follow`). So a layer that
is down, frozen or restarting must cost a page nothing but latency:

- each call waits at most LAYER_WAIT_SECONDS, and after a failure the layer is
  skipped for LAYER_SKIP_SECONDS, so an outage costs a connect or a publish no
  wait at all (one process-wide breaker, shared by feeds and publishers);
- every failure moves `epoch` on: a feed that had joined its group before it
  joins again (a restarted Redis has forgotten every group) and catches up;
- an outage is logged when it starts, and when the layer answers again with
  how many calls failed or were skipped meanwhile: never once per call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import redis
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from channels_redis.utils import create_pool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from dashengine_site.redis_breaker import Breaker

logger = logging.getLogger(__name__)

LAYER_WAIT_SECONDS = 1.0
LAYER_SKIP_SECONDS = 2.0
# What a Redis that is down, frozen or unreachable raises (OSError covers the
# TimeoutError of LAYER_WAIT_SECONDS); anything else is a bug and is raised.
LAYER_FAILURES = (redis.RedisError, OSError)


class RedisChannelLayer(BaseRedisChannelLayer):
    """channels-redis's layer, whose pooled connections survive a Redis restart, and
    which notices a frozen Redis within seconds.

    Its pools outlive the connections Redis closed when it stopped: the first
    command on each of them failed with "Connection closed by server" (so a page
    connecting right after Redis came back got a 500). redis-py sends such a
    command once more on a new connection when given a `retry`. Timeouts are not
    retried: a frozen Redis would cost each call two waits.

    Each process waits for messages in blocking reads of `brpop_timeout`; one that
    gets no answer within the socket timeout (settings.py) means Redis stalled, and
    the process's feeds poll the database. With channels-redis's 5 s reads a stall
    went unnoticed for 15 s; a 1 s read costs Redis one command a second per process.
    """

    brpop_timeout = 1

    def create_pool(self, index):
        retry = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
        return create_pool({"retry": retry, **self.hosts[index]})


def layer_health() -> Breaker:
    return Breaker(
        what="Live feed: the channel layer (Redis)",
        skip_seconds=LAYER_SKIP_SECONDS,
        meanwhile="Points are still stored and open pages read them from the database until it answers again.",
        log=logger,
    )


# One per process, shared by feeds and publishers.
LAYER = layer_health()


async def layer_call(call: Callable[[], Awaitable[object]], *, doing: str) -> bool:
    """Make one channel-layer call; False when it failed or was skipped. An outage
    never raises: the caller falls back on the database."""
    if not LAYER.usable():
        return False
    try:
        async with asyncio.timeout(LAYER_WAIT_SECONDS):
            await call()
    except LAYER_FAILURES as error:
        LAYER.failed(error, doing=doing)
        return False
    LAYER.answered()
    return True
