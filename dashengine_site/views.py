"""Health checks for load balancers, and the page for a database that does not answer."""

from __future__ import annotations

import logging
import sys
from contextlib import nullcontext

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Seconds the readiness check gives the database: less than a load balancer's check interval.
READINESS_DEADLINE = 2.0
RETRY_AFTER = 15


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """The process answers. Under gunicorn this is answered before the thread pool
    (asgi.py), so requests waiting on a frozen database cannot make it fail."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The instance can serve: the database answers within a short deadline.

    The cache is reported but does not count: without Redis every page still
    works (sessions are in the database), only slower.
    """
    checks = {"database": "ok", "cache": "ok"}
    try:
        bounded = (
            connection.deadline(READINESS_DEADLINE) if hasattr(connection, "deadline") else nullcontext()
        )
        with bounded, connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        cache.set("readyz", "ok", 10)
        if cache.get("readyz") != "ok":
            checks["cache"] = "error: not available"
    except Exception as error:  # noqa: BLE001
        checks["cache"] = f"error: {error.__class__.__name__}"
    ready = checks["database"] == "ok"
    return JsonResponse({"status": "ok" if ready else "error", **checks}, status=200 if ready else 503)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: a database that is down, frozen or too slow is a 503 that
    says so and asks to retry, not "something went wrong"."""
    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return defaults.server_error(request)
    reason = "The database is not answering right now."
    headers = {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    if "text/html" not in request.headers.get("Accept", ""):
        return HttpResponse(
            f"{reason} Try again in {RETRY_AFTER} seconds.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
            headers=headers,
        )
    page = loader.get_template("503.html").render({"reason": reason, "retry_after": RETRY_AFTER})
    return HttpResponse(page, status=503, headers=headers)
