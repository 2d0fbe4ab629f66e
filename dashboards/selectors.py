from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from dashboards import registry
from dashboards.access import can_view, viewable_slugs
from dashboards.models import DefaultReport, Report
from dashkit.spec import Dashboard


def dashboard_list_for_user(
    *, user: AbstractBaseUser | AnonymousUser, category: str = "", tag: str = "", query: str = ""
) -> list[Dashboard]:
    """Dashboards the user may open, filtered by category, tag and free text, by category then title."""
    words = query.lower().split()
    found = []
    for dashboard in registry.all_dashboards():
        if not can_view(user=user, dashboard=dashboard):
            continue
        if category and dashboard.category != category:
            continue
        if tag and tag not in dashboard.tags:
            continue
        text = " ".join(
            [dashboard.title, dashboard.description, dashboard.category, *dashboard.features, *dashboard.tags]
        ).lower()
        if all(word in text for word in words):
            found.append(dashboard)
    return sorted(found, key=lambda d: (d.category, d.title))


def category_list_for_user(*, user: AbstractBaseUser | AnonymousUser) -> list[str]:
    return sorted({d.category for d in dashboard_list_for_user(user=user)})


def report_list_for_user(
    *, user: AbstractBaseUser, dashboard_slug: str | None = None, query: str = ""
) -> QuerySet[Report]:
    """Reports the user may open: their own and those shared with them, on dashboards they can open.

    `query` keeps those whose name contains it, whatever the case.
    """
    if not user.is_authenticated or not user.is_active:
        return Report.objects.none()
    reports = Report.objects.filter(dashboard__available=True)
    if not user.is_superuser:
        reports = reports.filter(dashboard__slug__in=viewable_slugs(user))
    if dashboard_slug is not None:
        reports = reports.filter(dashboard__slug=dashboard_slug)
    if query:
        reports = reports.filter(name__icontains=query)
    shared = Q(visibility=Report.Visibility.EVERYONE) | Q(
        visibility=Report.Visibility.GROUPS, owner__groups__in=user.groups.all()
    )
    visible = reports.filter(Q(owner=user) | shared).values("pk")
    return Report.objects.filter(pk__in=visible).select_related("owner", "dashboard")


def report_get_for_user(*, user: AbstractBaseUser, pk: int) -> Report:
    """The report, if the user may open it.

    404 when it is not theirs to see (or its dashboard is not, for a report shared
    with them); 403 for their own report on a dashboard they lost access to.
    """
    report = Report.objects.select_related("dashboard", "owner").filter(pk=pk).first()
    own = report is not None and report.owner_id == user.pk
    if report is None or not (own or _shared_with(report, user)):
        raise Http404("No such report.")
    dashboard = registry.get(report.dashboard.slug)
    if dashboard is None or not can_view(user=user, dashboard=dashboard):
        if own:
            raise PermissionDenied("You no longer have access to this report's dashboard.")
        raise Http404("No such report.")
    return report


def _shared_with(report: Report, user: AbstractBaseUser) -> bool:
    if report.visibility == Report.Visibility.EVERYONE:
        return True
    if report.visibility == Report.Visibility.GROUPS:
        return report.owner.groups.filter(pk__in=user.groups.values("pk")).exists()
    return False


def default_report_for_user(*, user: AbstractBaseUser, dashboard_slug: str) -> Report | None:
    default = (
        DefaultReport.objects.filter(user=user, dashboard__slug=dashboard_slug)
        .select_related("report")
        .first()
    )
    if default is None:
        return None
    visible = report_list_for_user(user=user, dashboard_slug=dashboard_slug).filter(pk=default.report_id)
    return default.report if visible.exists() else None


REPORT_MENU_SIZE = 10
REPORTS_PER_PAGE = 25


@dataclass(frozen=True)
class ReportMenu:
    """The first few reports of a dashboard's Reports menu, and how many there are in all."""

    reports: list[Report]
    total: int


def report_menu_for_user(
    *,
    user: AbstractBaseUser,
    dashboard_slug: str,
    default: Report | None,
    query: str = "",
    size: int = REPORT_MENU_SIZE,
) -> ReportMenu:
    """The user's default first, then the most recently saved: the menu stays this short
    however many reports there are; the rest are a search or the full list away."""
    reports = report_list_for_user(user=user, dashboard_slug=dashboard_slug, query=query)
    ordering: list[str | Case] = ["-updated", "-pk"]
    if default is not None:
        default_first = Case(
            When(pk=default.pk, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        ordering = [default_first, *ordering]
    shown = list(reports.order_by(*ordering)[:size])
    return ReportMenu(reports=shown, total=reports.count())


def report_page_for_user(
    *,
    user: AbstractBaseUser,
    dashboard_slug: str | None = None,
    query: str = "",
    number: int = 1,
    per_page: int = REPORTS_PER_PAGE,
) -> Page:
    """One page of the full list, by dashboard then name; past the last page is the last page."""
    reports = report_list_for_user(user=user, dashboard_slug=dashboard_slug, query=query).order_by(
        "dashboard__title", "dashboard_id", "name", "pk"
    )
    paginator = Paginator(reports, per_page)
    return paginator.page(min(max(number, 1), paginator.num_pages))
