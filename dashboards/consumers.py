"""The websocket of live dashboards: `/ws/dashboards/<slug>/live/?series=<name>`."""

from __future__ import annotations

import asyncio
import time
from importlib import import_module
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from dashboards import live_layer
from dashboards.access import can_view
from dashboards.live import group_name, live_dashboard, live_points_after, live_series_clean
from dashengine_site import metrics
from dashkit.spec import ParamError

REFUSED = 4403  # close code: not signed in, not granted, or no such live feed
# How often a feed reads new points from the database when the channel layer does
# not bring them: the in-memory layer, or Redis failing.
POLL_SECONDS = 1.0
# How often a feed that gets pushes reads the database all the same, and joins its
# group again: a push lost to a Redis that stalled, or a group Redis evicted
# (maxmemory) or forgot (a restart, channels-redis's group_expiry), costs a page
# at most this long.
BACKSTOP_SECONDS = 10.0
# How often an open feed checks that its session still stands (logout, password change, expiry).
SESSION_CHECK_SECONDS = 2.0


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Sends the recent points of one series, then each new one.

    The permission is the portal's `can_view`, checked before the handshake
    is accepted and again, against a fresh user row, before each delivery: a
    revoked grant or a deactivated account stops the feed. Every few seconds the
    feed also checks that its session still stands, so a logout, a password
    change or an expired session closes it even when no point arrives.
    """

    group: str | None = None
    last_id = 0
    counted = False
    polls_always = False
    joined_epoch: int | None = None  # the layer's epoch when this feed last joined its group
    read_at = 0.0  # when the feed last read the database

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set while the feed is in its group and trusts the layer's pushes.
        self.in_group = asyncio.Event()
        self.delivering = asyncio.Lock()

    # channels' AsyncConsumer.__call__ sets this to the layer's own receive, whose
    # first error (Redis down) ended the consumer and closed every open page. The
    # feed reads through `layer_receive` instead.
    @property
    def channel_receive(self):
        return self.layer_receive

    @channel_receive.setter
    def channel_receive(self, _layer_receive):
        pass

    async def connect(self):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.dashboard = live_dashboard(slug)
            self.series = live_series_clean(
                dashboard=self.dashboard, series=(query.get("series") or [""])[-1]
            )
        except ParamError:
            await self.close(code=REFUSED)
            return
        if not await database_sync_to_async(can_view)(user=self.scope["user"], dashboard=self.dashboard):
            await self.close(code=REFUSED)
            return
        self.group = group_name(dashboard=slug, series=self.series)
        # Points published by another process never reach the in-memory layer.
        self.polls_always = isinstance(self.channel_layer, InMemoryChannelLayer)
        # Without the layer the feed polls, as it does without Redis: never a refused page.
        joined = await self.join()
        await self.accept()
        metrics.LIVE_FEEDS.labels(dashboard=slug).inc()
        self.counted = True
        backlog = await database_sync_to_async(live_points_after)(dashboard=slug, series=self.series)
        self.read_at = time.monotonic()
        await self.deliver(backlog, reset=True)
        if joined:
            self.in_group.set()
        self.tasks = [asyncio.create_task(self.watch_session()), asyncio.create_task(self.follow())]

    async def disconnect(self, code):
        if self.counted:  # a refused handshake was never counted
            metrics.LIVE_FEEDS.labels(dashboard=self.dashboard.slug).dec()
            self.counted = False
        for task in getattr(self, "tasks", []):
            task.cancel()
        if self.joined_epoch is not None:
            # Skipped while the layer fails: the group forgets the channel after a day.
            await live_layer.layer_call(
                lambda: self.channel_layer.group_discard(self.group, self.channel_name),
                doing="remove a closed page from its group",
            )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """The feed is one-way: whatever a client sends, JSON or not, is ignored."""

    async def watch_session(self):
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            if not await database_sync_to_async(self.session_stands)():
                await self.close(code=REFUSED)
                return

    async def join(self) -> bool:
        """Join the feed's group; False when the layer failed or is being skipped."""
        epoch = live_layer.LAYER.epoch
        joined = await live_layer.layer_call(
            lambda: self.channel_layer.group_add(self.group, self.channel_name),
            doing="add a page to its group",
        )
        if joined:
            self.joined_epoch = epoch
        return joined

    async def layer_receive(self) -> dict:
        """The next message from the channel layer. Out of its group the feed waits
        here (`follow` polls meanwhile); a failure drops it out of the group instead
        of ending it."""
        while True:
            await self.in_group.wait()
            try:
                message = await self.channel_layer.receive(self.channel_name)
            except live_layer.LAYER_FAILURES as error:
                live_layer.LAYER.failed(error, doing="receive")
                self.in_group.clear()
                continue
            live_layer.LAYER.answered()
            return message

    async def follow(self):
        """In its group the feed gets pushes, and reads the database every
        BACKSTOP_SECONDS; out of it, every POLL_SECONDS, joining again as soon as
        the layer answers. A layer failure anywhere in this process since the feed
        joined counts as leaving: a restarted Redis has forgotten every group."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if self.joined_epoch != live_layer.LAYER.epoch:
                self.in_group.clear()
            due = time.monotonic() - self.read_at >= BACKSTOP_SECONDS
            if self.in_group.is_set() and not due and not self.polls_always:
                continue
            joined = False
            if due or not self.in_group.is_set():
                joined = await self.join()
                if not joined:
                    self.in_group.clear()
            # What was published before the join is read here, what comes after it pushed.
            await self.catch_up()
            if joined:
                self.in_group.set()

    async def catch_up(self):
        points = await database_sync_to_async(live_points_after)(
            dashboard=self.dashboard.slug, series=self.series, after_id=self.last_id
        )
        self.read_at = time.monotonic()
        await self.deliver(points)

    async def live_points(self, event):
        if event.get("after", 0) > self.last_id:
            # A point between this feed's last and the pushed one was not pushed
            # here: read both, in order, rather than skip it.
            await self.catch_up()
        else:
            await self.deliver(event["points"])

    async def deliver(self, points: list[dict], *, reset: bool = False):
        # One at a time: a push and a poll delivering at once would send a point twice.
        async with self.delivering:
            points = [p for p in points if p["id"] > self.last_id]
            if not points and not reset:
                return
            if not reset and not await database_sync_to_async(self.still_allowed)():
                await self.close(code=REFUSED)
                return
            self.last_id = max([self.last_id, *(p["id"] for p in points)])
            await self.send_json({"points": points, "reset": reset})

    def still_allowed(self) -> bool:
        user = get_user_model().objects.filter(pk=self.scope["user"].pk).first()
        return user is not None and can_view(user=user, dashboard=self.dashboard)

    def session_stands(self) -> bool:
        """The session that opened the feed still exists, is still this user's, and its
        password hash is still the user's (a password change ends other sessions)."""
        key = self.scope["session"].session_key
        data = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).load() if key else {}
        user = get_user_model().objects.filter(pk=self.scope["user"].pk, is_active=True).first()
        return (
            user is not None
            and data.get(SESSION_KEY) == str(user.pk)
            and constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())
        )
