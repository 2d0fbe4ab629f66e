"""The websocket of live dashboards: `/ws/dashboards/<slug>/live/?series=<name>`."""

from __future__ import annotations

import asyncio
from importlib import import_module
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from dashboards.access import can_view
from dashboards.live import group_name, live_dashboard, live_points_after, live_series_clean
from dashengine_site import metrics
from dashkit.spec import ParamError

REFUSED = 4403  # close code: not signed in, not granted, or no such live feed
POLL_SECONDS = 1.0
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
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        metrics.LIVE_FEEDS.labels(dashboard=slug).inc()
        self.counted = True
        backlog = await database_sync_to_async(live_points_after)(dashboard=slug, series=self.series)
        await self.deliver(backlog, reset=True)
        self.tasks = [asyncio.create_task(self.watch_session())]
        if isinstance(self.channel_layer, InMemoryChannelLayer):
            # Points published by another process never reach this layer.
            self.tasks.append(asyncio.create_task(self.poll()))

    async def disconnect(self, code):
        if self.counted:  # a refused handshake was never counted
            metrics.LIVE_FEEDS.labels(dashboard=self.dashboard.slug).dec()
            self.counted = False
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        for task in getattr(self, "tasks", []):
            task.cancel()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """The feed is one-way: whatever a client sends, JSON or not, is ignored."""

    async def watch_session(self):
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            if not await database_sync_to_async(self.session_stands)():
                await self.close(code=REFUSED)
                return

    async def live_points(self, event):
        await self.deliver(event["points"])

    async def poll(self):
        while True:
            await asyncio.sleep(POLL_SECONDS)
            points = await database_sync_to_async(live_points_after)(
                dashboard=self.dashboard.slug, series=self.series, after_id=self.last_id
            )
            await self.deliver(points)

    async def deliver(self, points: list[dict], *, reset: bool = False):
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
