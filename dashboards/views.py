from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dashboards import registry, spec
from dashboards.access import can_view
from dashboards.models import AccessRequest, AuditEvent, Dashboard
from dashboards.selectors import category_list_for_user, dashboard_list_for_user
from dashboards.services import access_request_create, audit_record


@login_required
@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    query = request.GET.get("q", "").strip()[:100]
    dashboards = dashboard_list_for_user(user=request.user, category=category, query=query)
    return render(
        request,
        "dashboards/gallery.html",
        {
            "dashboards": dashboards,
            "categories": category_list_for_user(user=request.user),
            "category": category,
            "query": query,
        },
    )


def _dashboard_or_404(slug: str) -> spec.Dashboard:
    dashboard = registry.get(slug)
    if dashboard is None:
        raise Http404("No such dashboard.")
    return dashboard


@login_required
@require_GET
def dashboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = _dashboard_or_404(slug)
    if not can_view(user=request.user, dashboard=dashboard):
        audit_record(action=AuditEvent.Action.ACCESS_DENIED, dashboard=slug, request=request)
        pending = AccessRequest.objects.filter(
            user=request.user, dashboard__slug=slug, status=AccessRequest.Status.PENDING
        ).first()
        return render(
            request, "dashboards/forbidden.html", {"dashboard": dashboard, "pending": pending}, status=403
        )
    audit_record(action=AuditEvent.Action.VIEW, dashboard=slug, request=request)
    app_url = reverse("the_django_plotly_dash:app-main", kwargs={"ident": dashboard.slug})
    return render(request, "dashboards/dashboard.html", {"dashboard": dashboard, "app_url": app_url})


@login_required
@require_POST
def request_access(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = _dashboard_or_404(slug)
    if not can_view(user=request.user, dashboard=dashboard):
        row = get_object_or_404(Dashboard, slug=slug)
        access_request_create(user=request.user, dashboard=row, request=request)
        messages.success(request, f"Access to {dashboard.title} requested. An administrator will review it.")
    return redirect("dashboard", slug=slug)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        cache.set("healthz", "ok", 10)
        if cache.get("healthz") != "ok":
            checks["cache"] = "error: value not read back"
    except Exception as error:  # noqa: BLE001
        checks["cache"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
