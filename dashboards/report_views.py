"""Saved reports: a dashboard's parameters under a name, shared and exported."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dashboards import registry
from dashboards.access import can_view
from dashboards.inputs import browser_json
from dashboards.models import AuditEvent, Dashboard, Report
from dashboards.refusals import plain_text
from dashboards.selectors import (
    dashboard_list_for_user,
    default_report_for_user,
    report_get_for_user,
    report_menu_for_user,
    report_page_for_user,
    report_refusal_for_user,
)
from dashboards.services import (
    audit_record,
    report_default_set,
    report_delete,
    report_rename,
    report_save,
)
from dashboards.views import (
    bad_params,
    dashboard_or_404,
    export_refusal,
    export_response,
    page_refusal,
    render_dashboard,
)
from dashkit import spec

UNKNOWN_DASHBOARD = "No such dashboard among those you can open."


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _search_text(raw: str) -> str:
    # A report name never holds a NUL (and PostgreSQL refuses one in a query).
    return raw.replace("\x00", "").strip()[:100]


def _page_number(raw: str) -> int:
    """Anything but a whole number is the first page; the selector keeps it in range."""
    try:
        return int(raw[:20])
    except ValueError:
        return 1


def _own_report(request: HttpRequest, pk: int) -> Report:
    report = report_get_for_user(user=request.user, pk=pk)
    if report.owner_id != request.user.pk:
        raise Http404("No such report of yours.")
    return report


@login_required
@require_POST
def report_create(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = dashboard_or_404(slug)
    if not can_view(user=request.user, dashboard=dashboard):
        raise PermissionDenied
    try:
        params = browser_json(request.POST.get("params") or "{}")
        if not isinstance(params, dict):
            raise ValueError
    except ValueError:
        return bad_params(request, dashboard, "The report's parameters are not valid JSON.")
    page = request.POST.get("page", "")
    refusal = page_refusal(request, dashboard, page)
    if refusal:
        return refusal
    try:
        report = report_save(
            owner=request.user,
            dashboard=dashboard,
            name=request.POST.get("name", ""),
            params=params,
            visibility=request.POST.get("visibility", Report.Visibility.PRIVATE),
            page=page,
            request=request,
        )
    except spec.ParamError as error:
        return bad_params(request, dashboard, error)
    except ValidationError as error:
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
        return bad_params(request, dashboard, text)
    messages.success(request, f"Saved report “{report.name}”.")
    return redirect("report", pk=report.pk)


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """All the reports the user may open, a page at a time, searchable by name and dashboard.

    With `partial=menu` (and a dashboard), only the dashboard page's Reports menu list.
    """
    query = _search_text(request.GET.get("q", ""))
    slug = request.GET.get("dashboard", "").strip()[:100]
    menu = request.GET.get("partial") == "menu"
    dashboard = None
    if slug or menu:  # the menu is always of one dashboard
        dashboard = registry.get(slug)
        # Unknown and not viewable answer alike: the filter reveals nothing.
        if dashboard is None or not can_view(user=request.user, dashboard=dashboard):
            if menu:
                return plain_text(404, UNKNOWN_DASHBOARD)
            context = {
                "unknown_dashboard": True,
                "query": query,
                "slug": slug,
                "dashboards": dashboard_list_for_user(user=request.user),
            }
            return render(request, "dashboards/reports.html", context, status=404)
    if menu:
        return _report_menu(request, dashboard=dashboard, query=query)
    page = report_page_for_user(
        user=request.user,
        dashboard_slug=slug or None,
        query=query,
        number=_page_number(request.GET.get("page", "")),
    )
    groups = [(board, list(items)) for board, items in groupby(page, key=lambda r: r.dashboard)]
    return render(
        request,
        "dashboards/reports.html",
        {
            "groups": groups,
            "page": page,
            "query": query,
            "slug": slug,
            "filter_dashboard": dashboard,
            "dashboards": dashboard_list_for_user(user=request.user),
        },
    )


def _report_menu(request: HttpRequest, *, dashboard: spec.Dashboard, query: str) -> HttpResponse:
    """The Reports menu's list for the search as you type; its forms come back to `next`."""
    default = default_report_for_user(user=request.user, dashboard_slug=dashboard.slug)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("dashboard", args=[dashboard.slug])
    context = {
        "dashboard": dashboard,
        "report_menu": report_menu_for_user(
            user=request.user, dashboard_slug=dashboard.slug, default=default, query=query
        ),
        "report_query": query,
        "default_report": default,
        "next_url": next_url,
    }
    return render(request, "dashboards/_report_menu.html", context)


@login_required
@require_GET
def report_open(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        report = report_get_for_user(user=request.user, pk=pk)
    except Http404:
        return _report_refused(request, pk)
    dashboard = registry.get(report.dashboard.slug)
    try:
        params = dashboard.clean(report.params)
    except spec.ParamError as error:  # saved before the dashboard changed
        return bad_params(request, dashboard, error)
    default = default_report_for_user(user=request.user, dashboard_slug=dashboard.slug)
    return render_dashboard(
        request, dashboard=dashboard, params=params, report=report, default=default, page=report.page
    )


def _report_refused(request: HttpRequest, pk: int) -> HttpResponse:
    """A report that exists but is not for this user: say so and whom to ask, not a bare 404."""
    refusal = report_refusal_for_user(user=request.user, pk=pk)
    if refusal is None:
        raise Http404("No such report.")
    audit_record(
        action=AuditEvent.Action.ACCESS_DENIED,
        dashboard=refusal.dashboard_slug,
        params={"report": pk},
        request=request,
    )
    return render(request, "dashboards/report_refused.html", {"refusal": refusal}, status=403)


@require_GET
def report_export(request: HttpRequest, pk: int, kind: str = "csv") -> HttpResponse:
    if not request.user.is_authenticated:
        return plain_text(401, "Sign in to export data.")
    try:
        report = report_get_for_user(user=request.user, pk=pk)
    except Http404:
        if report_refusal_for_user(user=request.user, pk=pk) is None:
            return plain_text(404, "No such report.")
        return plain_text(403, "This report isn’t shared with you.")
    except PermissionDenied:
        return plain_text(403, "You do not have access to this report's dashboard.")
    dashboard = registry.get(report.dashboard.slug)
    if dashboard is None:  # its module no longer loads, or was removed
        return plain_text(404, "This report's dashboard is not available.")
    refusal = export_refusal(dashboard, kind)
    if refusal:
        return refusal
    try:
        params = dashboard.clean(report.params)
    except spec.ParamError as error:
        return plain_text(400, f"This report's parameters no longer fit the dashboard: {error}")
    return export_response(request, dashboard=dashboard, params=params, report=report, kind=kind)


@login_required
@require_POST
def report_rename_view(request: HttpRequest, pk: int) -> HttpResponse:
    report = _own_report(request, pk)
    try:
        report_rename(report=report, name=request.POST.get("name", ""))
    except ValidationError as error:
        text = "; ".join(" ".join(msgs) for msgs in error.message_dict.values())
        return bad_params(request, registry.get(report.dashboard.slug), text)
    messages.success(request, f"Renamed to “{report.name}”.")
    return _back(request, "report_list")


@login_required
@require_POST
def report_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    report = _own_report(request, pk)
    name = report.name
    report_delete(report=report, request=request)
    messages.success(request, f"Deleted report “{name}”.")
    return _back(request, "report_list")


@login_required
@require_POST
def report_default_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Set (`report` = id) or clear (no `report`) the user's default for a dashboard."""
    dashboard = dashboard_or_404(slug)
    if not can_view(user=request.user, dashboard=dashboard):
        raise PermissionDenied
    report = None
    if request.POST.get("report"):
        try:
            report = report_get_for_user(user=request.user, pk=int(request.POST["report"]))
        except ValueError:
            raise Http404("No such report.") from None
        if report.dashboard.slug != slug:
            raise Http404("That report belongs to another dashboard.")
    report_default_set(user=request.user, report=report, dashboard=Dashboard.objects.get(slug=slug))
    if report:
        messages.success(request, f"“{report.name}” now opens when you open {dashboard.title}.")
    else:
        messages.success(request, f"{dashboard.title} opens with its own defaults again.")
    return _back(request, "report_list")
