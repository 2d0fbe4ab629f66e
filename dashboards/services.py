"""Writes: keeping the dashboard table in step with the code, grants, requests, audit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dashboards import registry
from dashboards.inputs import validate_plain_text
from dashboards.models import AccessRequest, AuditEvent, Dashboard, DashboardGrant, DefaultReport, Report
from dashkit import spec

_synced = False


@transaction.atomic
def dashboards_sync(*, mark_missing: bool = True) -> None:
    """Mirror the dashboards defined in code into the database.

    New modules get a row and titles follow the code. With `mark_missing` (after
    a migrate) a module that disappeared is marked unavailable and keeps its
    grants; a running process does not, since during a rolling deploy an old
    worker does not know the newest dashboards.
    """
    in_code = {d.slug: d for d in registry.all_dashboards()}
    Dashboard.objects.bulk_create(
        [Dashboard(slug=d.slug, title=d.title, category=d.category) for d in in_code.values()],
        ignore_conflicts=True,
    )
    rows = Dashboard.objects.select_for_update()
    if not mark_missing:
        rows = rows.filter(slug__in=in_code)
    for row in rows:
        code = in_code.get(row.slug)
        wanted = (code.title, code.category, True) if code else (row.title, row.category, False)
        if (row.title, row.category, row.available) != wanted:
            row.title, row.category, row.available = wanted
            row.save(update_fields=["title", "category", "available", "updated"])  # signals access_changed


def dashboards_sync_once() -> None:
    """Sync on the first permission check of each process (its start-up)."""
    global _synced
    if not _synced:
        dashboards_sync(mark_missing=False)
        _synced = True


def audit_record(
    *,
    action: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    dashboard: str = "",
    params: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    duration_ms: int | None = None,
    row_count: int | None = None,
) -> AuditEvent:
    if user is None and request is not None:
        user = request.user
    real_user = user if user is not None and user.is_authenticated else None
    return AuditEvent.objects.create(
        action=action,
        user=real_user,
        username=real_user.get_username() if real_user else "",
        dashboard=dashboard,
        params=params or {},
        ip=request.META.get("REMOTE_ADDR") if request is not None else None,
        duration_ms=duration_ms,
        row_count=row_count,
    )


@transaction.atomic
def grant_add(
    *,
    dashboard: Dashboard,
    group: Group | None = None,
    user: AbstractBaseUser | None = None,
    actor: AbstractBaseUser | None = None,
) -> DashboardGrant:
    grant, created = DashboardGrant.objects.get_or_create(dashboard=dashboard, group=group, user=user)
    if created:
        grant_change_record(grant=grant, change="added", actor=actor)
    return grant


@transaction.atomic
def grant_remove(
    *,
    dashboard: Dashboard,
    group: Group | None = None,
    user: AbstractBaseUser | None = None,
    actor: AbstractBaseUser | None = None,
) -> int:
    grants = list(DashboardGrant.objects.filter(dashboard=dashboard, group=group, user=user))
    for grant in grants:
        grant.delete()
        grant_change_record(grant=grant, change="removed", actor=actor)
    return len(grants)


@transaction.atomic
def dashboard_open_to_all_set(
    *, dashboard: Dashboard, value: bool, actor: AbstractBaseUser | None = None
) -> None:
    if dashboard.open_to_all != value:
        dashboard.open_to_all = value
        dashboard.save(update_fields=["open_to_all", "updated"])
        audit_record(
            action=AuditEvent.Action.GRANT_CHANGED,
            user=actor,
            dashboard=dashboard.slug,
            params={"change": "added" if value else "removed", "to": "everyone"},
        )


def grant_change_record(
    *,
    grant: DashboardGrant,
    change: str,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """The audit event of a grant that was added or removed (by `actor`, else the request's user)."""
    to = f"group:{grant.group.name}" if grant.group_id else f"user:{grant.user.get_username()}"
    return audit_record(
        action=AuditEvent.Action.GRANT_CHANGED,
        user=actor,
        request=request,
        dashboard=grant.dashboard.slug,
        params={"change": change, "to": to},
    )


@transaction.atomic
def access_request_create(
    *, user: AbstractBaseUser, dashboard: Dashboard, request: HttpRequest
) -> AccessRequest:
    """Idempotent: a user has at most one pending request per dashboard."""
    access_request, created = AccessRequest.objects.get_or_create(
        user=user, dashboard=dashboard, status=AccessRequest.Status.PENDING
    )
    if created:
        audit_record(action=AuditEvent.Action.ACCESS_REQUESTED, dashboard=dashboard.slug, request=request)
    return access_request


@transaction.atomic
def access_request_approve(*, access_request: AccessRequest, actor: AbstractBaseUser) -> DashboardGrant:
    grant = grant_add(dashboard=access_request.dashboard, user=access_request.user, actor=actor)
    if access_request.status == AccessRequest.Status.PENDING:
        access_request.status = AccessRequest.Status.APPROVED
        access_request.decided = timezone.now()
        access_request.decided_by = actor
        access_request.save(update_fields=["status", "decided", "decided_by"])
    return grant


@transaction.atomic
def report_save(
    *,
    owner: AbstractBaseUser,
    dashboard: spec.Dashboard,
    name: str,
    params: dict[str, Any],
    visibility: str,
    request: HttpRequest | None = None,
) -> Report:
    """Save (or overwrite the owner's report of the same name) with validated parameters.

    Raises ParamError for a bad parameter and ValidationError for a bad name or visibility.
    """
    cleaned = dashboard.to_json(dashboard.clean(params))
    name = name.strip()
    try:
        # Before the look-up: PostgreSQL refuses a NUL even in a query.
        validate_plain_text(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None
    row = Dashboard.objects.get(slug=dashboard.slug)
    report = Report.objects.filter(owner=owner, dashboard=row, name=name).first() or Report(
        owner=owner, dashboard=row
    )
    report.name = name
    report.params = cleaned
    report.visibility = visibility
    report.full_clean()
    report.save()
    audit_record(
        action=AuditEvent.Action.REPORT_SAVED,
        user=owner,
        dashboard=dashboard.slug,
        params={"report": report.pk, "name": report.name, **cleaned},
        request=request,
    )
    return report


@transaction.atomic
def report_rename(*, report: Report, name: str) -> Report:
    report.name = name.strip()
    report.full_clean()
    report.save(update_fields=["name", "updated"])
    return report


@transaction.atomic
def report_delete(*, report: Report, request: HttpRequest | None = None) -> None:
    audit_record(
        action=AuditEvent.Action.REPORT_DELETED,
        user=report.owner,
        dashboard=report.dashboard.slug,
        params={"report": report.pk, "name": report.name, **report.params},
        request=request,
    )
    report.delete()


@transaction.atomic
def report_default_set(*, user: AbstractBaseUser, report: Report | None, dashboard: Dashboard) -> None:
    """Make `report` the user's default for `dashboard` (None: back to the dashboard's defaults)."""
    if report is None:
        DefaultReport.objects.filter(user=user, dashboard=dashboard).delete()
    else:
        DefaultReport.objects.update_or_create(user=user, dashboard=dashboard, defaults={"report": report})
