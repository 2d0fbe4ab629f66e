"""The live feed through a Redis outage: a Redis of the test's own, on a port of its
own, that the test stops, restarts or freezes (the machine's Redis is never touched).

A page must never be refused because Redis fails: it reads points from the
database until Redis answers, then gets pushes again. A point is stored whatever
Redis does, and `publish_point` says so truthfully.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import psycopg
import pytest
import websockets
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from bench.common import log_tail
from dashboards import live_layer
from dashboards.live import group_name, live_point_publish
from dashboards.models import Dashboard, LivePoint
from dashboards.services import grant_add
from tests.sites import ONCE_WITH_SERVICES, ROOT, TIMEOUT, OwnRedis, prepared, signed_in, site, site_env
from tests.test_asgi import run_async
from tests.test_live import publish, run, socket

pytestmark = pytest.mark.django_db(transaction=True)
POSTGRES = "postgres://postgres@127.0.0.1:5432"


@pytest.fixture
def alice(cast):
    grant_add(dashboard=Dashboard.objects.get(slug="timeseries"), user=cast["alice"])
    return cast["alice"]


@pytest.fixture(autouse=True)
def fresh_layer_health(monkeypatch):
    """What a process learnt of Redis in an earlier test is not this test's."""
    monkeypatch.setattr(live_layer, "LAYER", live_layer.layer_health())


@pytest.fixture
def own_redis(tmp_path, settings):
    """The channel layer on a Redis of this test's own, as settings.py configures it
    for REDIS_URL; the cache on it too, so that it fails with it."""
    server = OwnRedis(tmp_path)
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "dashboards.live_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": server.url, "socket_timeout": 3, "socket_connect_timeout": 3}]},
        }
    }
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    yield server
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)  # in case a test froze it
        server.stop()


PUSHED = itertools.count(1)


async def push_through_the_layer_only() -> float:
    """What a publisher pushes, with no row behind it: only a page in its group gets
    it (a page reading the database never sees it). Its value, each time another."""
    value = float(next(PUSHED))
    point = {"id": 10**12 + int(value), "at": "2026-01-01T00:00:00+00:00", "value": value}
    message = {"type": "live.points", "points": [point], "after": 0}
    await get_channel_layer().group_send(group_name(dashboard="timeseries", series="signups"), message)
    return value


async def values(feed, *, timeout: float = 10) -> list[float]:
    return [point["value"] for point in (await feed.receive_json_from(timeout=timeout))["points"]]


async def collect(feed, count: int) -> list[float]:
    """The values of the next `count` points, whether they come one by one or together."""
    got: list[float] = []
    while len(got) < count:
        got += await values(feed)
    return got


async def pushes_reach(*feeds, seconds: float = 10) -> bool:
    """Whether, within `seconds`, a push through the layer reaches every page: each is
    in its group (again)."""
    waiting = list(feeds)
    for _ in range(int(seconds * 2)):
        value = None
        with contextlib.suppress(*live_layer.LAYER_FAILURES):
            value = await push_through_the_layer_only()
        # Not receive_json_from with a short timeout: its timeout ends the consumer.
        await asyncio.sleep(0.5)
        for feed in list(waiting):
            while not await feed.receive_nothing(timeout=0.01):
                if value in await values(feed):
                    waiting.remove(feed)
                    break
        if not waiting:
            return True
    return False


def test_a_page_connecting_right_after_redis_restarts_is_accepted_and_gets_the_next_point(alice, own_redis):
    before, after = socket(alice), socket(alice)

    async def scenario():
        assert (await before.connect())[0]
        await before.receive_json_from(timeout=5)
        # Off the event loop: the open page sees Redis go away, as in a server.
        await asyncio.to_thread(own_redis.stop)
        await asyncio.to_thread(own_redis.start)  # empty: it has forgotten every group
        connected = await after.connect(timeout=5)
        backlog = await after.receive_json_from(timeout=5)
        await publish(dashboard="timeseries", series="signups", value=5)
        received = await values(after)
        again = await pushes_reach(after)
        await after.disconnect()
        await before.disconnect()
        return connected, backlog, received, again

    assert run(scenario) == ((True, None), {"points": [], "reset": True}, [5], True)


def test_a_page_open_through_a_redis_restart_stays_open_and_gets_pushes_again(alice, own_redis):
    feed = socket(alice)

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        await asyncio.to_thread(own_redis.stop)
        await publish(dashboard="timeseries", series="signups", value=8)  # stored, not pushed
        during = await values(feed)
        await asyncio.to_thread(own_redis.start)
        await publish(dashboard="timeseries", series="signups", value=9)
        after = await values(feed)
        again = await pushes_reach(feed)
        await feed.disconnect()
        return during, after, again

    assert run(scenario) == ([8], [9], True)


def test_a_page_connecting_while_redis_is_down_is_accepted_and_gets_points_then_pushes(alice, own_redis):
    feed = socket(alice)

    async def scenario():
        await asyncio.to_thread(own_redis.stop)
        connected = await feed.connect(timeout=5)
        backlog = await feed.receive_json_from(timeout=5)
        await publish(dashboard="timeseries", series="signups", value=7)
        during = await values(feed)
        await asyncio.to_thread(own_redis.start)
        again = await pushes_reach(feed)
        await feed.disconnect()
        return connected, backlog["points"], during, again

    assert run(scenario) == ((True, None), [], [7], True)


def test_a_page_connecting_while_redis_is_frozen_is_accepted_and_gets_points(alice, own_redis):
    """A frozen Redis accepts connections and never answers: each wait is bounded
    (channels-redis's own socket timeout is 15 s)."""
    feed = socket(alice)

    async def scenario():
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        try:
            connected = await feed.connect(timeout=5)
            await feed.receive_json_from(timeout=5)
            await publish(dashboard="timeseries", series="signups", value=6)
            during = await values(feed)
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
        await feed.disconnect()
        return connected, during

    assert run(scenario) == ((True, None), [6])


def test_publish_point_while_redis_is_down_stores_the_point_says_so_and_an_open_page_gets_it(
    alice, own_redis
):
    feed, out = socket(alice), StringIO()

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        await asyncio.to_thread(own_redis.stop)
        # An exception here is what made the command exit 1 with a traceback.
        await database_sync_to_async(call_command)("publish_point", "signups", "412.5", stdout=out)
        received = await values(feed)
        await feed.disconnect()
        return received

    assert run(scenario) == [412.5]
    assert "stored; open pages get it at their next poll" in out.getvalue()
    assert list(LivePoint.objects.values_list("value", flat=True)) == [412.5]


def on_a_thread(function, *args, **kwargs):
    """As a shell or a request thread calls it: on a thread with no event loop (the
    browser tests leave one running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(function, *args, **kwargs).result()


def publish_command(*args: str, **options) -> None:
    on_a_thread(call_command, "publish_point", *args, **options)


def test_the_same_id_published_twice_stores_one_point(alice):
    first, second = StringIO(), StringIO()
    publish_command("signups", "12", "--id", "order-1001", stdout=first)
    publish_command("signups", "12", "--id", "order-1001", stdout=second)
    assert first.getvalue().startswith("Published timeseries/signups 12 at ")
    assert second.getvalue().startswith("Already published as 'order-1001': timeseries/signups 12 at ")
    assert list(LivePoint.objects.values_list("client_id", "value")) == [("order-1001", 12.0)]


def test_an_id_is_once_per_series_and_points_without_one_may_repeat(alice):
    on_a_thread(live_point_publish, dashboard="timeseries", series="signups", value=1, client_id="a")
    on_a_thread(live_point_publish, dashboard="timeseries", series="revenue", value=1, client_id="a")
    on_a_thread(live_point_publish, dashboard="timeseries", series="signups", value=1)
    on_a_thread(live_point_publish, dashboard="timeseries", series="signups", value=1)
    assert LivePoint.objects.count() == 4


def test_the_database_refuses_a_second_point_with_the_same_id(alice):
    """The constraint decides, not a read before the write: two publishers retrying at
    the same moment cannot both store it."""
    LivePoint.objects.create(dashboard="timeseries", series="signups", value=1, client_id="a")
    with pytest.raises(IntegrityError):
        LivePoint.objects.create(dashboard="timeseries", series="signups", value=1, client_id="a")


def test_an_id_already_used_for_another_value_is_refused_and_stores_nothing(alice):
    publish_command("signups", "12", "--id", "order-1001")
    with pytest.raises(CommandError, match="'order-1001' was already published with the value 12, not 13"):
        publish_command("signups", "13", "--id", "order-1001")
    assert list(LivePoint.objects.values_list("value", flat=True)) == [12.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "x" * 65], "id: at most 64 characters, not 65"),
        (["--id", "a", "--every", "1"], "--id names one point: it cannot be given with --every."),
    ],
)
def test_a_bad_id_is_refused_and_stores_nothing(alice, args, message):
    with pytest.raises(CommandError) as refused:
        publish_command("signups", "1", *args)
    assert str(refused.value) == message
    assert not LivePoint.objects.exists()


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_value_no_chart_can_show_is_refused(alice, value):
    with pytest.raises(CommandError, match="is not a number a chart can show"):
        publish_command("signups", value)
    assert not LivePoint.objects.exists()


def test_an_outage_is_logged_once_with_a_count_not_once_per_page_or_point(alice, own_redis, caplog):
    feeds = [socket(alice) for _ in range(4)]

    async def scenario():
        await asyncio.to_thread(own_redis.stop)
        for feed in feeds:
            assert (await feed.connect(timeout=5))[0]
            await feed.receive_json_from(timeout=5)
        for value in (1, 2):
            await publish(dashboard="timeseries", series="signups", value=value)
        received = [await collect(feed, 2) for feed in feeds]
        await asyncio.to_thread(own_redis.start)
        back = await pushes_reach(*feeds)
        for feed in feeds:
            await feed.disconnect()
        return received, back

    with caplog.at_level(logging.INFO):
        assert run(scenario) == ([[1, 2]] * 4, True)
    outage = [r.getMessage() for r in caplog.records if r.name == "dashboards.live_layer"]
    assert len(outage) == 2, outage
    assert outage[0].startswith("Live feed: the channel layer (Redis) failed to add a page to its group (")
    assert outage[1].startswith("Live feed: the channel layer (Redis) answers again after ")
    missed = int(outage[1].split("; ")[1].split()[0])
    assert missed >= 4 + 2  # four pages and two points at least
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.fixture
def live_site(tmp_path):
    """One instance of the Procfile's web command on a fresh PostgreSQL database and
    a Redis of the test's own."""
    own = OwnRedis(tmp_path)
    own.start()
    name = f"dashengine_live_{os.getpid()}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        env = prepared(site_env(database_url=f"{POSTGRES}/{name}", redis_url=own.url))
        with site(env) as instance:
            instance.env, instance.redis = env, own
            yield instance
    finally:
        if own.process.poll() is None:
            own.stop()
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def publish_point_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "publish_point", "signups", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@ONCE_WITH_SERVICES
def test_the_procfile_command_keeps_feeds_through_a_redis_outage_and_publish_point_tells_the_truth(
    live_site,
):
    """End to end, as an operator sees it: a page open through the outage, one opened
    during it and one right after Redis returns; publish_point run meanwhile."""
    browser = signed_in(live_site.base, "marketing")

    def feed():
        return websockets.connect(
            f"ws://{live_site.base.removeprefix('http://')}/ws/dashboards/timeseries/live/?series=signups",
            additional_headers={"Cookie": f"sessionid={browser.cookies['sessionid']}"},
            origin=live_site.base,
        )

    async def next_values(socket) -> list[float]:
        message = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        return [point["value"] for point in message["points"]]

    async def publish_point(*args: str) -> tuple[int, str]:
        done = await asyncio.to_thread(publish_point_run, live_site.env, *args)
        return done.returncode, done.stdout

    async def outage() -> dict:
        seen: dict = {}
        async with feed() as through:
            seen["through, backlog"] = await next_values(through)
            await asyncio.to_thread(live_site.redis.stop)
            seen["publish"] = await publish_point("412.5", "--id", "e2e-1")
            seen["again"] = await publish_point("412.5", "--id", "e2e-1")
            seen["through, during"] = await next_values(through)
            async with feed() as during:
                seen["during, backlog"] = await next_values(during)
            await asyncio.to_thread(live_site.redis.start)
            async with feed() as after:
                seen["after, backlog"] = await next_values(after)
                seen["publish after"] = (await publish_point("413"))[0]
                seen["after"] = await next_values(after)
                seen["through, after"] = await next_values(through)
        return seen

    seen = run_async(outage())
    (status, said), (status_again, said_again) = seen.pop("publish"), seen.pop("again")
    assert (status, status_again) == (0, 0)
    assert said.startswith("Published timeseries/signups 412.5 at ")
    assert said.endswith(
        ": stored; open pages get it at their next poll (the live feed's Redis did not answer).\n"
    )
    assert said_again.startswith("Already published as 'e2e-1': timeseries/signups 412.5 at ")
    assert seen == {
        "through, backlog": [],
        "through, during": [412.5],
        "during, backlog": [412.5],
        "after, backlog": [412.5],
        "publish after": 0,
        "after": [413],
        "through, after": [413],
    }
    log = log_tail(live_site, chars=10**7)
    assert "Exception in ASGI application" not in log
    assert log.count("Live feed: the channel layer (Redis) failed") == 1, log
