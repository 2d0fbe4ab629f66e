"""Live mode: points published to a series reach open pages over a websocket, for granted users only."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client

from dashboards import consumers
from dashboards.live import live_point_publish
from dashboards.models import Dashboard, LivePoint
from dashboards.services import grant_add, grant_remove
from dashengine_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

FEED = "/ws/dashboards/timeseries/live/?series="


@pytest.fixture
def timeseries(cast):
    return Dashboard.objects.get(slug="timeseries")


@pytest.fixture
def alice(cast, timeseries):
    grant_add(dashboard=timeseries, user=cast["alice"])
    return cast["alice"]


def socket(user=None, series="signups", *, path=None, origin=b"http://localhost") -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path or FEED + series, headers=headers)


def in_thread(function, **kwargs):
    """Call in a thread of its own: the browser tests leave an event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, **kwargs).result()


def run(scenario):
    return in_thread(async_to_sync(scenario))


publish = database_sync_to_async(live_point_publish)


async def refused(feed: WebsocketCommunicator) -> tuple[bool, int | None]:
    """Connect, and end the consumer cleanly whatever the answer: a consumer left to
    the closing event loop is cancelled in the middle of its channel-layer read."""
    connected, code = await feed.connect()
    await feed.disconnect()
    return connected, code


def test_a_granted_page_gets_the_backlog_then_each_published_point(alice):
    in_thread(live_point_publish, dashboard="timeseries", series="signups", value=410)
    in_thread(live_point_publish, dashboard="timeseries", series="revenue", value=9)  # another series

    feed = socket(alice)

    async def scenario():
        connected, _ = await feed.connect()
        assert connected
        backlog = await feed.receive_json_from(timeout=5)
        await publish(dashboard="timeseries", series="signups", value=432.5)
        pushed = await feed.receive_json_from(timeout=5)
        await feed.disconnect()
        return backlog, pushed

    backlog, pushed = run(scenario)
    assert backlog["reset"] is True
    assert [p["value"] for p in backlog["points"]] == [410]
    assert pushed["reset"] is False
    assert [p["value"] for p in pushed["points"]] == [432.5]


def test_the_publish_point_command_reaches_an_open_page(alice):
    feed = socket(alice, series="active_users")

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        await database_sync_to_async(call_command)("publish_point", "active_users", "12345")
        pushed = await feed.receive_json_from(timeout=5)
        await feed.disconnect()
        return pushed

    assert [p["value"] for p in run(scenario)["points"]] == [12345]


@pytest.mark.parametrize("who", ["anonymous", "viewer", "inactive"])
def test_a_connection_without_the_dashboard_permission_is_refused(cast, timeseries, who):
    user = {"anonymous": None, "viewer": cast["viewer"], "inactive": cast["gone"]}[who]
    if user is not None:
        grant_add(dashboard=timeseries, user=user)  # a grant is not enough for an inactive account
        if who == "viewer":
            grant_remove(dashboard=timeseries, user=user)

    feed = socket(user)

    async def scenario():
        return await refused(feed)

    assert run(scenario) == (False, 4403)


@pytest.mark.parametrize("path", [FEED + "nonsense", FEED, "/ws/dashboards/stocktoday/live/?series=signups"])
def test_an_unknown_series_or_a_dashboard_without_live_data_is_refused(alice, path):
    feed = socket(alice, path=path)

    async def scenario():
        return await refused(feed)

    assert run(scenario) == (False, 4403)


@pytest.mark.parametrize(
    "origin", [b"https://elsewhere.example", b"http://localhost:8001", b"https://localhost", b"null", b""]
)
def test_a_connection_from_another_origin_is_refused(alice, origin):
    feed = socket(alice, origin=origin)

    async def scenario():
        return (await refused(feed))[0]

    assert run(scenario) is False


def signed_in_socket(user) -> tuple[WebsocketCommunicator, Client]:
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie.encode())]
    return WebsocketCommunicator(application, FEED + "signups", headers=headers), client


@pytest.mark.parametrize("session_end", ["logout", "password change", "deactivation"])
def test_the_feed_closes_within_seconds_when_its_session_ends(alice, monkeypatch, session_end):
    monkeypatch.setattr(consumers, "SESSION_CHECK_SECONDS", 0.2)
    feed, client = signed_in_socket(alice)

    def end_session():
        if session_end == "logout":
            client.post("/accounts/logout/")
        elif session_end == "password change":
            alice.set_password("a-new-password-for-alice")
            alice.save()
        else:
            alice.is_active = False
            alice.save()

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        assert await feed.receive_nothing(timeout=0.6)  # the session stands: the feed stays open
        await database_sync_to_async(end_session)()
        output = await feed.receive_output(timeout=3)
        await feed.wait()
        return output

    assert run(scenario) == {"type": "websocket.close", "code": 4403}


def test_a_frame_from_the_page_is_ignored_json_or_not(alice):
    feed = socket(alice)

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        await feed.send_to(text_data="not json {")
        await feed.send_to(bytes_data=b"\x00\xff")
        await feed.send_json_to({"points": []})
        quiet = await feed.receive_nothing(timeout=0.5)
        await publish(dashboard="timeseries", series="signups", value=7)
        pushed = await feed.receive_json_from(timeout=5)
        await feed.disconnect()
        return quiet, [p["value"] for p in pushed["points"]]

    assert run(scenario) == (True, [7])


def test_a_revoked_grant_stops_the_feed_at_the_next_point(alice, timeseries):
    feed = socket(alice)

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        await database_sync_to_async(grant_remove)(dashboard=timeseries, user=alice)
        await publish(dashboard="timeseries", series="signups", value=1)
        output = await feed.receive_output(timeout=5)
        await feed.wait()
        return output

    assert run(scenario) == {"type": "websocket.close", "code": 4403}


def test_without_redis_a_point_written_by_another_process_still_arrives(alice, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    feed = socket(alice)

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        # Another process saves the point; its in-memory layer cannot reach this one.
        await database_sync_to_async(LivePoint.objects.create)(
            dashboard="timeseries", series="signups", value=7
        )
        pushed = await feed.receive_json_from(timeout=5)
        await feed.disconnect()
        return pushed

    assert [p["value"] for p in run(scenario)["points"]] == [7]


def test_publishing_to_an_unknown_series_fails_and_stores_nothing(alice):
    with pytest.raises(CommandError, match="nonsense"):
        call_command("publish_point", "nonsense", "1")
    with pytest.raises(CommandError, match="not a live dashboard"):
        call_command("publish_point", "signups", "1", "--dashboard", "stocktoday")
    assert not LivePoint.objects.exists()


def test_an_idle_feed_stays_open_and_still_gets_the_next_point(alice):
    """Longer than channels-redis's 5 s blocking read (on Redis, the CI run's layer)."""
    feed = socket(alice)

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        quiet = await feed.receive_nothing(timeout=7)
        await publish(dashboard="timeseries", series="signups", value=99)
        pushed = await feed.receive_json_from(timeout=5)
        await feed.disconnect()
        return quiet, [p["value"] for p in pushed["points"]]

    assert run(scenario) == (True, [99])


def test_a_point_that_was_not_pushed_reaches_the_page_before_the_next_pushed_one(alice, monkeypatch):
    """A push lost (a Redis stall while it was published) is not skipped for good: the
    next push names the point before it, and the page reads what it lacks, in order."""
    monkeypatch.setattr(consumers, "POLL_SECONDS", 60)  # no poll comes to the rescue
    feed = socket(alice)

    async def scenario():
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        # Stored, never pushed: its publisher's push failed.
        await database_sync_to_async(LivePoint.objects.create)(
            dashboard="timeseries", series="signups", value=1
        )
        await publish(dashboard="timeseries", series="signups", value=2)
        pushed = await feed.receive_json_from(timeout=5)
        await feed.disconnect()
        return [p["value"] for p in pushed["points"]]

    assert run(scenario) == [1, 2]
