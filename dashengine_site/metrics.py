"""Prometheus metrics: the portal's own, the file cache's hits, and the `/metrics` view.

django-prometheus's middleware (first and last in MIDDLEWARE) counts every request
by view and status and times it; the cache backends count gets, hits and misses.
Here are what only the portal knows: callbacks and CSV exports per dashboard, and
the live feeds open now.

Under gunicorn (Procfile) each worker writes its values to files in
PROMETHEUS_MULTIPROC_DIR (`dashengine_site.gunicorn_conf`), and a scrape, whichever
worker it reaches, adds up the files of them all. Without that variable (runserver,
tests, management commands) the values live in this process only.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.core.cache.backends import filebased
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from django_prometheus.cache.metrics import (
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

CALLBACKS = Counter(
    "dashengine_callbacks_total",
    "Dash callback requests, by dashboard and answer status.",
    ["dashboard", "status"],
)
MEMOS = Counter(
    "dashengine_memo_total",
    "Calls of memoised data functions (dashkit.memo), by function: answered from the cache (hit) or computed (miss).",
    ["function", "result"],
)
TURN_WAITS = Histogram(
    "dashengine_request_turn_wait_seconds",
    "Seconds a request waited for its worker's turn (asgi.InTurn), by how the wait ended: it got "
    "the turn, or it ran alongside one that had run REQUEST_TURN_SECONDS. A request that found "
    "the turn free is not counted.",
    ["outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
EXPORTS = Counter("dashengine_csv_exports_total", "CSV exports, by dashboard.", ["dashboard"])
LIVE_FEEDS = Gauge(
    "dashengine_live_websockets",
    "Live-feed websockets open now, by dashboard.",
    ["dashboard"],
    # The sum over the workers alive now: a worker that died takes its sockets with it.
    multiprocess_mode="livesum",
)

logger = logging.getLogger(__name__)
_MISSING = object()


class BackgroundJobsCollector:
    """Background jobs by dashboard and state, read from the job records at each scrape:
    every web process and worker writes them, so one query sees them all."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from dashboards.selectors import job_counts

        family = GaugeMetricFamily(
            "dashengine_background_jobs",
            "Background jobs by dashboard and state: queued and running now; finished, failed,"
            " cancelled and lost since the records were last pruned (prune_audit).",
            labels=["dashboard", "state"],
        )
        try:
            counts = job_counts()
        except DatabaseError as error:  # the other metrics are still worth a scrape
            logger.warning("Background jobs left out of /metrics: %s", error)
            return
        for (dashboard, state), count in sorted(counts.items()):
            family.add_metric([dashboard, state], count)
        yield family


JOBS = CollectorRegistry(auto_describe=False)
JOBS.register(BackgroundJobsCollector())


class FileBasedCache(filebased.FileBasedCache):
    """Django's file cache, counting gets, hits and misses as django-prometheus's
    cache backends do. Its own file backend returns `cached or default`: a cached
    empty value (a user's empty set of dashboards) would read as a miss."""

    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend="filebased").inc()
        value = super().get(key, _MISSING, version)
        if value is _MISSING:
            django_cache_misses_total.labels(backend="filebased").inc()
            return default
        django_cache_hits_total.labels(backend="filebased").inc()
        return value


def address_allowed(address: str, allowed: list[str]) -> bool:
    """`address` is in one of the `allowed` addresses or networks."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    # A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d.
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return any(ip in ipaddress.ip_network(network, strict=False) for network in allowed)


def scrape_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    # REMOTE_ADDR is the client's own address, or the one a trusted proxy named
    # (FORWARDED_ALLOW_IPS); MalformedRequestMiddleware refused anything else.
    return address_allowed(request.META.get("REMOTE_ADDR", ""), settings.METRICS_ALLOWED_ADDRESSES)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format, for a scraper with the token or from an allowed address.

    Anyone else gets the site's ordinary 404, as for an address that does not exist:
    nothing tells a stranger that there is something here to guess a token for.
    """
    if not scrape_allowed(request):
        raise Http404
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry) + generate_latest(JOBS), content_type=CONTENT_TYPE_LATEST)
