from __future__ import annotations

import functools
import json
import time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dashboards import registry, snapshots
from dashboards.access import can_view
from dashboards.exports import business_csv_chunks, csv_chunks, frame_period, xlsx_bytes
from dashboards.filenames import attachment_header, export_filename
from dashboards.hosting.views import initial_token
from dashboards.inputs import validate_page_path
from dashboards.models import AuditEvent, Dashboard, Report
from dashboards.refusals import plain_text, viewable_dashboard
from dashboards.selectors import (
    category_list_for_user,
    default_report_for_user,
    gallery_for_user,
    gallery_reports_for_user,
    last_declined_request_for_user,
    last_filters_for_user,
    pending_access_request_for_user,
    report_menu_for_user,
    requestable_dashboard_for_user,
    search_text,
    shared_news_count_for_user,
    shared_with_you_for_user,
)
from dashboards.services import (
    ACCESS_REASON_MAX,
    access_request_create,
    audit_record,
    favourite_set,
    last_filters_save,
)
from dashengine_site import metrics
from dashkit import formats, spec


@functools.cache
def gallery_card(slug: str, starred: bool) -> str:
    """A dashboard's card, rendered once per process for each state of its star: nothing
    else on it depends on the user."""
    dashboard = registry.get(slug)
    return render_to_string(
        "dashboards/_card.html", {"d": dashboard, "starred": starred, "search": search_text(dashboard)}
    )


@login_required
@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")[:100]
    tag = request.GET.get("tag", "")[:100]
    query = request.GET.get("q", "").strip()[:100]
    found = gallery_for_user(user=request.user, category=category, tag=tag, query=query)
    reports = gallery_reports_for_user(user=request.user, query=query)
    return render(
        request,
        "dashboards/gallery.html",
        {
            "shelves": [
                (shelf, [(c, gallery_card(c.dashboard.slug, c.starred)) for c in shelf.cards])
                for shelf in found.shelves
            ],
            # A lone shelf needs no heading on screen: the band above names the page.
            "headings_shown": len(found.shelves) > 1,
            "requestable": [(e, search_text(e.dashboard)) for e in found.requestable],
            "shown_count": found.shown_count,
            "requestable_shown": any(e.shown for e in found.requestable),
            "categories": category_list_for_user(user=request.user),
            "category": category,
            "tag": tag,
            "query": query,
            "here": request.get_full_path(),
            "reason_max": ACCESS_REASON_MAX,
            # Saved reports the search finds too (by name or dashboard), under the dashboards.
            "reports": reports,
            "reports_shown": sum(hit.shown for hit in reports),
            # Reports shared with the user that they have not opened yet (a cache read when none).
            "shared_news_list": [n for n in shared_with_you_for_user(user=request.user, size=3) if not n.seen]
            if shared_news_count_for_user(user=request.user)
            else [],
        },
    )


def _back_to(request: HttpRequest, fallback: str) -> str:
    """The page the form was sent from (`next`), if it is on this site; else `fallback`."""
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else fallback


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def favourite(request: HttpRequest, slug: str) -> HttpResponse:
    """Star (`starred=1`) or unstar (`starred=0`) a dashboard the user may open."""
    dashboard = dashboard_or_404(slug)
    if not can_view(user=request.user, dashboard=dashboard):
        raise Http404("No such dashboard.")  # as for one that does not exist: it reveals nothing
    wanted = request.POST.get("starred")
    if wanted not in ("0", "1"):
        if _wants_json(request):
            return JsonResponse({"error": "starred must be 0 or 1."}, status=400)
        return plain_text(400, "starred must be 0 or 1.")
    row = get_object_or_404(Dashboard, slug=slug)
    starred = favourite_set(user=request.user, dashboard=row, starred=wanted == "1")
    if _wants_json(request):
        return JsonResponse({"starred": starred})
    # Back to the same card, wherever it now sits in the gallery.
    return redirect(_back_to(request, reverse("gallery")) + f"#card-{slug}")


def dashboard_or_404(slug: str) -> spec.Dashboard:
    dashboard = registry.get(slug)
    if dashboard is None:
        raise Http404("No such dashboard.")
    return dashboard


def bad_params(request: HttpRequest, dashboard: spec.Dashboard, error: spec.ParamError | str) -> HttpResponse:
    """A 400 page that names what was wrong, with a way back to the dashboard."""
    return render(request, "dashboards/bad_params.html", {"dashboard": dashboard, "error": error}, status=400)


def uses_pages(dashboard: spec.Dashboard) -> bool:
    """Whether the dashboard's app is a Dash Pages app (`Dash(use_pages=True)`)."""
    return bool(getattr(registry.app(dashboard.slug), "use_pages", False))


def page_refusal(request: HttpRequest, dashboard: spec.Dashboard, page: str) -> HttpResponse | None:
    """Why `page` cannot be opened in this dashboard's frame, as a 4xx; None when it can.
    Whether it is one of the app's pages is the app's to say (Dash Pages' 404 content)."""
    if not page:
        return None
    if not uses_pages(dashboard):
        raise Http404("This dashboard has no pages.")
    try:
        validate_page_path(page)
    except ValidationError as error:
        return bad_params(request, dashboard, f"The page “{page[:100]}” {error.messages[0]}")
    return None


def dashboard_url(slug: str, page: str = "") -> str:
    """The portal's address of a dashboard, at one of its pages."""
    if page:
        return reverse("dashboard_page", args=[slug, page])
    return reverse("dashboard", args=[slug])


@login_required
@require_GET
def dashboard_page(request: HttpRequest, slug: str, page: str = "") -> HttpResponse:
    """A dashboard; with `page`, that page of a Dash Pages app (`/dashboards/<slug>/<page>`)."""
    dashboard = dashboard_or_404(slug)
    if not can_view(user=request.user, dashboard=dashboard):
        audit_record(action=AuditEvent.Action.ACCESS_DENIED, dashboard=slug, request=request)
        return access_refused(request, dashboard)
    refusal = page_refusal(request, dashboard, page)
    if refusal:
        return refusal
    default = default_report_for_user(user=request.user, dashboard_slug=slug)
    report = None
    dropped: list[str] = []
    remembered = False
    # What the page opens with: the link's own values (its bad parts dropped, and
    # named), else the filters this user had last time, else their default report,
    # else the dashboard's defaults (docs/ARCHITECTURE.md, "Which filters a dashboard opens with").
    last = last_filters_for_user(user=request.user, dashboard=dashboard) if dashboard.params else None
    if request.GET:
        params, dropped = dashboard.from_link(dict(request.GET.lists()))
    elif last is not None and not page:
        params, remembered = last, True
    else:
        report = default
        try:
            params = dashboard.clean(default.params if default else {})
        except spec.ParamError:
            # A default saved before the dashboard changed: open with its own defaults.
            report, params = None, dashboard.clean({})
    if report and not page:
        page = report.page  # the default report opens at its page, unless the address names one
    return render_dashboard(
        request,
        dashboard=dashboard,
        params=params,
        report=report,
        default=default,
        page=page,
        dropped=dropped,
        remembered=remembered,
    )


def opening_baseline(*, dashboard: spec.Dashboard, default: Report | None) -> dict[str, Any]:
    """What the dashboard opens with for this user when no filters are remembered."""
    try:
        return dashboard.clean(default.params if default else {})
    except spec.ParamError:
        return dashboard.clean({})


@login_required
@require_POST
def last_filters(request: HttpRequest, slug: str) -> HttpResponse:
    """Remember the filters on screen (JSON `{"params": {...}}`), checked by the
    dashboard's parameters; the page sends them each time the view shows new ones."""
    dashboard = dashboard_or_404(slug)
    if not can_view(user=request.user, dashboard=dashboard) or not dashboard.params:
        raise Http404("No such dashboard.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    params = body.get("params") if isinstance(body, dict) else None
    if not isinstance(params, dict):
        return JsonResponse({"error": 'Send the filters as JSON: {"params": {...}}.'}, status=400)
    default = default_report_for_user(user=request.user, dashboard_slug=slug)
    try:
        kept = last_filters_save(
            user=request.user,
            dashboard=dashboard,
            params=params,
            baseline=opening_baseline(dashboard=dashboard, default=default),
        )
    except spec.ParamError as error:
        return JsonResponse({"error": f"{error.text}."}, status=400)
    return JsonResponse({"kept": kept})


def render_dashboard(
    request: HttpRequest,
    *,
    dashboard: spec.Dashboard,
    params: dict[str, Any],
    report: Report | None,
    default: Report | None,
    page: str = "",
    dropped: list[str] | None = None,
    remembered: bool = False,
) -> HttpResponse:
    """The dashboard page, its Dash app started in the state of `params`, at `page` (a
    checked page path of a Dash Pages app; "" for its first page)."""
    as_json = dashboard.to_json(params)
    audit_record(
        action=AuditEvent.Action.VIEW,
        dashboard=dashboard.slug,
        params={**as_json, **({"report": report.pk} if report else {}), **({"page": page} if page else {})},
        request=request,
    )
    app_url = reverse("the_django_plotly_dash:app-main", kwargs={"ident": dashboard.slug})
    if dashboard.params:
        # The app starts from these values: its layout is served below `initial/<cache_id>/`.
        app_url = reverse(
            "the_django_plotly_dash:app-main--args",
            kwargs={"ident": dashboard.slug, "cache_id": initial_token(dashboard=dashboard, params=params)},
        )
    query = urlencode(dashboard.to_query(params))
    pages = uses_pages(dashboard)
    page = page if pages else ""  # e.g. a report saved before its app stopped using pages
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "dashboard": dashboard,
            "app_url": app_url,
            # The frame opens the page below the app's own address, as Dash Pages names it.
            "frame_url": app_url + page,
            "pages": pages,
            "page": page,
            "dashboard_url": dashboard_url(dashboard.slug, page),
            "params_json": json.dumps(as_json),
            "param_names_json": json.dumps([p.name for p in dashboard.params]),
            "link_omits_json": json.dumps(dashboard.link_omits),
            "permalink": request.build_absolute_uri(dashboard_url(dashboard.slug, page) + "?" + query),
            "export_url": reverse("export_csv", args=[dashboard.slug]) + "?" + query,
            "query": query,
            "report": report,
            "report_menu": report_menu_for_user(
                user=request.user, dashboard_slug=dashboard.slug, default=default
            ),
            "default_report": default,
            "next_url": request.get_full_path(),
            "visibilities": Report.Visibility.choices,
            # Parts of the link (or report) that could not be used, in business words.
            "dropped": dropped or [],
            # The filters came back from last time: the page says so, with Reset beside it.
            "remembered": remembered,
        },
    )


@login_required
@require_POST
def request_access(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask for a dashboard, with an optional reason (plain text, up to
    ACCESS_REASON_MAX characters)."""
    dashboard = dashboard_or_404(slug)
    if can_view(user=request.user, dashboard=dashboard):
        return redirect("dashboard", slug=slug)
    row = requestable_dashboard_for_user(user=request.user, slug=slug)
    if row is None:
        raise Http404("No such dashboard.")
    reason = request.POST.get("reason", "")
    try:
        access_request_create(user=request.user, dashboard=row, request=request, reason=reason)
    except ValidationError as error:
        return access_refused(request, dashboard, reason=reason, error=error.messages[0], status=400)
    messages.success(request, f"Access to {dashboard.title} requested. An administrator will review it.")
    return redirect(_back_to(request, reverse("dashboard", args=[slug])))


def access_refused(
    request: HttpRequest, dashboard: spec.Dashboard, *, reason: str = "", error: str = "", status: int = 403
) -> HttpResponse:
    """The page for a dashboard the user may not open, with a request form and a reason."""
    requestable = requestable_dashboard_for_user(user=request.user, slug=dashboard.slug) is not None
    pending = pending_access_request_for_user(user=request.user, slug=dashboard.slug)
    declined = None if pending else last_declined_request_for_user(user=request.user, slug=dashboard.slug)
    context = {
        "dashboard": dashboard,
        "requestable": requestable,
        "pending": pending,
        "declined": declined,
        "reason": reason,
        "error": error,
        "reason_max": ACCESS_REASON_MAX,
        "next": _back_to(request, ""),  # a refused request from the gallery goes back there once sent
    }
    return render(request, "dashboards/forbidden.html", context, status=status)


# A dashboard without a data function (a plain Dash app) has nothing to export.
NO_DATA = "This dashboard has no data to download."
NO_FIGURES = "This dashboard has no image or PDF download."

# kind -> (file extension, content type, what the audit trail and the metrics call it)
EXPORT_KINDS = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "raw": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("pdf", "application/pdf"),
    "png": ("png", "image/png"),
}


def export_refusal(dashboard: spec.Dashboard, kind: str) -> HttpResponse | None:
    """Why this dashboard has no export of this kind, as a 404; None when it has one."""
    if not dashboard.has_data:
        return plain_text(404, NO_DATA)
    if kind in ("pdf", "png") and not dashboard.has_charts:
        return plain_text(404, NO_FIGURES)
    return None


def view_lines(
    request: HttpRequest,
    *,
    dashboard: spec.Dashboard,
    params: dict[str, Any],
    period: tuple | None,
    report: Report | None,
) -> list[tuple[str, str]]:
    """What a printed view or a workbook says about itself: the report, the filters, the
    period of the data, who exported it and when."""
    lines = [("Report", report.name)] if report else []
    lines += [
        (p.label, p.text(params[p.name]))
        for p in dashboard.params
        if not isinstance(p, spec.Date | spec.Period)
    ]
    days = formats.period_text(*period) if period else ""
    rules = [p for p in dashboard.params if isinstance(p, spec.Period) and params[p.name] != p.custom]
    if rules:  # a relative period: its rule, and the days of the data it gave
        rule = dict(rules[0].labels).get(params[rules[0].name], params[rules[0].name])
        lines.append(("Period", f"{rule} ({days})" if days else rule))
    elif days:
        lines.append(("Period", days))
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    lines.append(("Exported", f"{when} by {request.user.get_username()} from Dash Engine"))
    return lines


def export_response(
    request: HttpRequest,
    *,
    dashboard: spec.Dashboard,
    params: dict[str, Any],
    report: Report | None = None,
    kind: str = "csv",
) -> HttpResponse:
    """The data behind a view as a file: the business CSV (`csv`), the data function's frame as
    it is (`raw`), an Excel workbook (`xlsx`), or the view drawn with its filters (`pdf`, `png`)."""
    started = time.monotonic()
    frame = dashboard.data(params)
    columns = formats.columns_for(dashboard.columns, params)
    # The dates the view was asked for, else those of the data: never the day of the download.
    period = _params_period(dashboard, params) or frame_period(frame)
    extension, content_type = EXPORT_KINDS[kind]
    filename = export_filename(
        dashboard=dashboard,
        params=params,
        today=timezone.localdate(),
        report_name=report.name if report else "",
        report_id=report.pk if report else None,
        period=period,
        extension=extension,
        suffix="raw" if kind == "raw" else "",
    )
    if kind in ("csv", "raw"):
        chunks = business_csv_chunks(frame, columns) if kind == "csv" else csv_chunks(frame)
        response: HttpResponse = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in chunks), content_type=content_type
        )
    else:
        lines = view_lines(request, dashboard=dashboard, params=params, period=period, report=report)
        if kind == "xlsx":
            body = xlsx_bytes(
                frame, columns, sheet=dashboard.title, about=[("Dashboard", dashboard.title), *lines]
            )
        else:
            sheet = snapshots.ViewSheet(
                title=dashboard.title + (f" · {report.name}" if report else ""),
                lines=lines,
                figures=list(dashboard.charts(params).values()),
                traces=frozenset(dashboard.traces),
            )
            try:
                body = snapshots.render(sheet, kind=kind)
            except snapshots.SnapshotError as error:
                return plain_text(503, str(error))
        response = HttpResponse(body, content_type=content_type)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        dashboard=dashboard.slug,
        params={
            **dashboard.to_json(params),
            **({"report": report.pk} if report else {}),
            **({"format": kind} if kind != "csv" else {}),
        },
        request=request,
        row_count=len(frame),
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    metrics.EXPORTS.labels(dashboard=dashboard.slug).inc()
    response["Content-Disposition"] = attachment_header(filename)
    response["X-Row-Count"] = str(len(frame))
    patch_cache_control(response, private=True, no_store=True)
    return response


def _params_period(dashboard: spec.Dashboard, params: dict[str, Any]) -> tuple | None:
    days = [params[p.name] for p in dashboard.params if isinstance(p, spec.Date)]
    return (min(days), max(days)) if days else None


@require_GET
def export_view(request: HttpRequest, slug: str, kind: str = "csv") -> HttpResponse:
    """A download of the view that the address's parameters describe; `kind` as in EXPORT_KINDS."""
    dashboard, refusal = viewable_dashboard(request, slug, sign_in="Sign in to export data.")
    if refusal:
        return refusal
    refusal = export_refusal(dashboard, kind)
    if refusal:
        return refusal
    try:
        params = dashboard.from_query(dict(request.GET.lists()))
    except spec.ParamError as error:
        # Plain words for a person, the code name for whoever built the address.
        return plain_text(
            400, f"This download's choices cannot be used. {error.text}. (Parameter {error.name}.)"
        )
    return export_response(request, dashboard=dashboard, params=params, kind=kind)
