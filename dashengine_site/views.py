"""Health checks for load balancers, and the page for a database that does not answer."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashengine_site import readiness

logger = logging.getLogger(__name__)

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
    works (sessions are in the database), only slower. Under gunicorn this is
    answered on the event loop (asgi.py); both use `dashengine_site.readiness`.
    """
    status, checks = readiness.report()
    return JsonResponse(checks, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: a database that is down, frozen or too slow is a 503 that
    says so and asks to retry, not "something went wrong"."""
    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return defaults.server_error(request)
    headers = {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    if "text/html" not in request.headers.get("Accept", ""):
        return HttpResponse(
            DATABASE_UNAVAILABLE_TEXT, status=503, content_type="text/plain; charset=utf-8", headers=headers
        )
    return HttpResponse(database_unavailable_page(), status=503, headers=headers)


DATABASE_UNAVAILABLE = "The database is not answering right now."
DATABASE_UNAVAILABLE_TEXT = f"{DATABASE_UNAVAILABLE} Try again in {RETRY_AFTER} seconds.\n"


def database_unavailable_page() -> str:
    """The page of a 503 for a database that does not answer. haproxy serves a copy of
    it (docs/deploy/503.html) while no instance is ready, kept equal by a test."""
    return loader.get_template("503.html").render(
        {"reason": DATABASE_UNAVAILABLE, "retry_after": RETRY_AFTER}
    )
