"""Saved reports: a dashboard's parameters under a name, shared and exported."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboards import registry
from dashboards.access import can_view
from dashboards.inputs import browser_json
from dashboards.mail import mail_configured
from dashboards.models import AuditEvent, Dashboard, Report
from dashboards.refusals import plain_text
from dashboards.selectors import (
    dashboard_list_for_user,
    default_report_for_user,
    report_get_for_user,
    report_menu_for_user,
    report_page_for_user,
    report_period_words,
    report_refusal_for_user,
    report_shares_of,
    share_choices_for_report,
    share_labels,
    shared_with_you_for_user,
    trash_for_user,
)
from dashboards.services import (
    ReportNameTaken,
    audit_record,
    report_default_set,
    report_delete,
    report_free_name,
    report_notices_seen,
    report_rename,
    report_restore,
    report_save,
    report_share,
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
    visibility = request.POST.get("visibility", Report.Visibility.PRIVATE)
    name = request.POST.get("name", "")
    try:
        report = report_save(
            owner=request.user,
            dashboard=dashboard,
            name=name,
            params=params,
            visibility=visibility,
            page=page,
            replace=request.POST.get("replace") == "1",
            request=request,
        )
    except spec.ParamError as error:
        return bad_params(request, dashboard, error)
    except ValidationError as error:
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
        return bad_params(request, dashboard, text)
    except ReportNameTaken as taken:
        return _ask_replace_or_new(
            request, dashboard=dashboard, taken=taken.existing, params=params, page=page
        )
    if report.visibility == Report.Visibility.NAMED:
        messages.success(request, f"Saved report “{report.name}”. Choose whom to share it with.")
        return redirect("report_share", pk=report.pk)
    messages.success(request, f"Saved report “{report.name}”.")
    return redirect("report", pk=report.pk)


def _ask_replace_or_new(
    request: HttpRequest, *, dashboard: spec.Dashboard, taken: Report, params: dict, page: str
) -> HttpResponse:
    """A name the user already uses: nothing is saved until they choose to replace that
    report or to save this view under another name (409: the save did not happen)."""
    shared_users, shared_groups = report_shares_of(taken)
    context = {
        "dashboard": dashboard,
        "taken": taken,
        "params_json": request.POST.get("params") or "{}",
        "page": page,
        "visibility": request.POST.get("visibility", Report.Visibility.PRIVATE),
        "suggested": report_free_name(owner=request.user, dashboard=taken.dashboard, name=taken.name),
        "shared_count": len(shared_users) + len(shared_groups),
        "back_url": reverse("report", args=[taken.pk]),
    }
    return render(request, "dashboards/report_name_taken.html", context, status=409)


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
    reports = list(page)
    labels = share_labels(reports)
    for report in reports:
        report.shared_label = labels.get(report.pk, "no one yet")
        report.period_words = report_period_words(report)
    groups = [(board, list(items)) for board, items in groupby(reports, key=lambda r: r.dashboard)]
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
            # Only on the plain list: a search or a filter is about what the user looks for.
            "shared_with_you": [] if (query or slug) else shared_with_you_for_user(user=request.user),
            "trash_count": trash_for_user(user=request.user).count(),
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
    # Saved before the dashboard changed: what still fits opens, the rest is named.
    params, dropped = dashboard.salvage(report.params if isinstance(report.params, dict) else {})
    default = default_report_for_user(user=request.user, dashboard_slug=dashboard.slug)
    if report.owner_id != request.user.pk:
        report_notices_seen(user=request.user, report=report)
    return render_dashboard(
        request,
        dashboard=dashboard,
        params=params,
        report=report,
        default=default,
        page=report.page,
        dropped=dropped,
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
@require_http_methods(["GET", "POST"])
def report_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: asks first, saying whom the report is shared with. POST: puts it in the trash,
    with Undo in the message that says so."""
    report = _own_report(request, pk)
    if request.method == "GET":
        users, groups = report_shares_of(report)
        context = {
            "report": report,
            "shared_users": users,
            "shared_groups": groups,
            "next_url": _safe_next(request, request.GET.get("next", "")),
            "trash_days": Report.TRASH_DAYS,
        }
        return render(request, "dashboards/report_delete.html", context)
    name = report.name
    report_delete(report=report, request=request)
    messages.success(
        request,
        format_html(
            "Moved “{}” to the trash. "
            '<form method="post" action="{}" class="inline message-action">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="next" value="{}">'
            '<button type="submit" class="link" style="color: var(--accent); text-decoration: underline;'
            ' padding: 0 4px;">Undo</button></form>',
            name,
            reverse("report_restore", args=[report.pk]),
            get_token(request),
            _safe_next(request, request.POST.get("next", "")) or reverse("report_list"),
        ),
    )
    return _back(request, "report_list")


def _safe_next(request: HttpRequest, target: str) -> str:
    """`target` when it is a page of this site, else ""."""
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else ""


def _own_trashed_report(request: HttpRequest, pk: int) -> Report:
    report = trash_for_user(user=request.user).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report in your trash.")
    return report


@login_required
@require_POST
def report_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    trashed = _own_trashed_report(request, pk)
    before = trashed.name
    report = report_restore(report=trashed, request=request)
    if report.name != before:
        messages.success(
            request, f"Restored “{before}” as “{report.name}”: you had saved another report under its name."
        )
    else:
        messages.success(request, f"Restored “{report.name}”.")
    return _back(request, reverse("report_list"))


@login_required
@require_GET
def report_trash(request: HttpRequest) -> HttpResponse:
    """The user's deleted reports, each restorable until Report.TRASH_DAYS days have passed."""
    return render(
        request,
        "dashboards/report_trash.html",
        {"reports": list(trash_for_user(user=request.user)), "trash_days": Report.TRASH_DAYS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_share_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Whom the owner's report is shared with: no one, everyone who can open its dashboard,
    or the people and groups they tick (only those who can open it are offered, and
    only those are accepted)."""
    report = _own_report(request, pk)
    choices = share_choices_for_report(report=report)
    error = ""
    if request.method == "POST":
        visibility = request.POST.get("visibility", "")
        try:
            users = _picked(
                get_user_model().objects.filter(is_active=True), request.POST.getlist("user"), "person"
            )
            groups = _picked(Group.objects.all(), request.POST.getlist("group"), "group")
            told = report_share(
                report=report, visibility=visibility, users=users, groups=groups, request=request
            )
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, _shared_message(report, told))
            return redirect(_safe_next(request, request.POST.get("next", "")) or reverse("report_list"))
        chosen_users = {str(pk) for pk in request.POST.getlist("user")}
        chosen_groups = {str(pk) for pk in request.POST.getlist("group")}
    else:
        visibility = report.visibility
        users, groups = report_shares_of(report)
        chosen_users = {str(u.pk) for u in users}
        chosen_groups = {str(g.pk) for g in groups}
    context = {
        "report": report,
        "choices": choices,
        "visibility": visibility,
        "visibilities": Report.Visibility.choices,
        "chosen_users": chosen_users,
        "chosen_groups": chosen_groups,
        "error": error,
        "mail_configured": mail_configured(),
        "next_url": _safe_next(request, request.POST.get("next") or request.GET.get("next", "")),
    }
    return render(request, "dashboards/report_share.html", context, status=400 if error else 200)


def _picked(rows, raw_ids: list[str], what: str) -> list:
    """The rows of the ids a form sent; ValidationError for an id that is not a number or
    names no one (a stale page, a forged form)."""
    try:
        ids = {int(value) for value in raw_ids[:500]}
    except ValueError:
        raise ValidationError(f"Not shared: a {what} in the form is not one we know.") from None
    found = list(rows.filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError(f"Not shared: a {what} you chose is no longer in the portal. Reload the page.")
    return found


def _shared_message(report: Report, told: list) -> str:
    if report.visibility == Report.Visibility.PRIVATE:
        return f"“{report.name}” is now yours alone."
    if report.visibility == Report.Visibility.EVERYONE:
        return f"“{report.name}” is shared with everyone who can open {report.dashboard.title}."
    if not told:
        return f"Saved whom “{report.name}” is shared with."
    names = ", ".join(sorted(user.get_username() for user in told))
    return f"Shared “{report.name}”. Told {names}."


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
