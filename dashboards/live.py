"""Live points: stored, then pushed to the pages that show them.

A point is saved first (so a page opened later gets it in its backlog), then
sent to the channel layer group of its dashboard and series once the
transaction commits. With Redis (`REDIS_URL`) the group reaches every process;
the in-memory layer only reaches consumers in the publishing process, so
consumers then also look for new rows themselves (`LiveConsumer`).
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from dashboards import registry
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


def live_point_publish(*, dashboard: str, series: str, value: float) -> LivePoint:
    spec = live_dashboard(dashboard)
    series = live_series_clean(dashboard=spec, series=series)
    point = LivePoint.objects.create(dashboard=spec.slug, series=series, value=float(value))
    message = {"type": "live.points", "points": [point.to_json()]}
    group = group_name(dashboard=spec.slug, series=series)
    transaction.on_commit(lambda: async_to_sync(get_channel_layer().group_send)(group, message))
    return point


def live_points_after(*, dashboard: str, series: str, after_id: int = 0, limit: int = BACKLOG) -> list[dict]:
    """The newest points after `after_id` (at most `limit`), oldest first, as JSON."""
    points = LivePoint.objects.filter(dashboard=dashboard, series=series, id__gt=after_id).order_by("-id")[
        :limit
    ]
    return [p.to_json() for p in reversed(points)]
