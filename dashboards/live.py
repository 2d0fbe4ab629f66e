"""Live points: stored, then pushed to the pages that show them.

A point is saved first (so a page opened later gets it in its backlog), then
sent to the channel layer group of its dashboard and series once the
transaction commits. With Redis (`REDIS_URL`) the group reaches every process;
the in-memory layer only reaches consumers in the publishing process, so
consumers then also look for new rows themselves (`LiveConsumer`). The database
is what delivery relies on: a push that fails (Redis down or frozen) loses
nothing, open pages read the point at their next poll (`dashboards.live_layer`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction

from dashboards import registry
from dashboards.live_layer import layer_call
from dashboards.models import LivePoint
from dashkit.spec import Dashboard, ParamError

BACKLOG = 200  # points a page gets when it connects


def group_name(*, dashboard: str, series: str) -> str:
    return f"live.{dashboard}.{series}"


def live_dashboard(slug: str) -> Dashboard:
    """The live dashboard with this slug, or ParamError."""
    dashboard = registry.get(slug)
    if dashboard is None or not dashboard.live:
        live = ", ".join(d.slug for d in registry.all_dashboards() if d.live)
        raise ParamError("dashboard", f"{slug!r} is not a live dashboard (live: {live or 'none'})")
    return dashboard


def live_series_clean(*, dashboard: Dashboard, series: str) -> str:
    """A series name this dashboard offers (its `series` parameter), or ParamError."""
    return dashboard.param("series").clean(series)


@dataclass(kw_only=True)
class Published:
    point: LivePoint
    # False: a point with this client id was published before; nothing new is stored.
    stored: bool
    # Whether open pages were told at once (False: they read it at their next poll);
    # None while the transaction it was stored in has not committed.
    pushed: bool | None = None


def live_point_publish(*, dashboard: str, series: str, value: float, client_id: str = "") -> Published:
    """Store a point, then push it to the open pages of its series.

    With a `client_id`, publishing again (a publisher retrying after a timeout)
    stores nothing new: a unique constraint on (dashboard, series, client id)
    decides, so two concurrent retries cannot both store it. The same id with
    another value is refused: it names another point.
    """
    spec = live_dashboard(dashboard)
    series = live_series_clean(dashboard=spec, series=series)
    value = float(value)
    if not math.isfinite(value):
        raise ParamError("value", f"{value} is not a number a chart can show")
    if len(client_id) > LivePoint.CLIENT_ID_MAX:
        raise ParamError("id", f"at most {LivePoint.CLIENT_ID_MAX} characters, not {len(client_id)}")
    try:
        with transaction.atomic():
            point = LivePoint.objects.create(
                dashboard=spec.slug, series=series, value=value, client_id=client_id
            )
    except IntegrityError:
        if not client_id:
            raise
        point = LivePoint.objects.get(dashboard=spec.slug, series=series, client_id=client_id)
        if point.value != value:
            raise ParamError(
                "id", f"{client_id!r} was already published with the value {point.value:g}, not {value:g}"
            ) from None
        return Published(point=point, stored=False)
    # The series' point before this one: a page whose last point is older missed a
    # push (a Redis stall) and reads what it lacks from the database.
    after = (
        LivePoint.objects.filter(dashboard=spec.slug, series=series, id__lt=point.pk)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    from dashboards.deliveries import alerts_recheck_soon  # it imports the registry

    alerts_recheck_soon(dashboard=spec.slug)  # new data: its alerts are checked at the next run
    message = {"type": "live.points", "points": [point.to_json()], "after": after or 0}
    group = group_name(dashboard=spec.slug, series=series)
    published = Published(point=point, stored=True)

    def push() -> None:
        published.pushed = async_to_sync(layer_call)(
            lambda: get_channel_layer().group_send(group, message), doing="push a point"
        )

    transaction.on_commit(push)
    return published


def live_points_after(*, dashboard: str, series: str, after_id: int = 0, limit: int = BACKLOG) -> list[dict]:
    """The newest points after `after_id` (at most `limit`), oldest first, as JSON."""
    points = LivePoint.objects.filter(dashboard=dashboard, series=series, id__gt=after_id).order_by("-id")[
        :limit
    ]
    return [p.to_json() for p in reversed(points)]
