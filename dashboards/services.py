"""Writes: keeping the dashboard table in step with the code, grants, requests, audit, jobs."""

from __future__ import annotations

import datetime as dt
import functools
import math
import zoneinfo
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from dashboards import registry
from dashboards.access import can_view
from dashboards.inputs import validate_plain_text
from dashboards.mail import mail_configured, mail_decision, mail_new_request, mail_report_shared
from dashboards.models import (
    AccessRequest,
    Alert,
    AuditEvent,
    BackgroundJob,
    Dashboard,
    DashboardGrant,
    DefaultReport,
    Favourite,
    LastFilters,
    Report,
    ReportNotice,
    ReportSchedule,
    ReportShare,
)
from dashboards.selectors import PENDING_COUNT_KEY, access_request_reviewers, display_name, shared_news_key
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


def job_queued(
    *,
    job_id: str,
    dashboard: str,
    user: AbstractBaseUser | AnonymousUser | None,
    queued_at: dt.datetime,
    id_may_repeat: bool = False,
) -> None:
    """Who started job `job_id` where, and when (before it was handed to the broker: a
    worker may take it, and record it running, before this is written). With
    `id_may_repeat` (diskcache: the id is a process id, which comes back once a job ended)
    an earlier job's record under the same id is replaced."""
    real_user = user if user is not None and user.is_authenticated else None
    fields: dict[str, Any] = {
        "dashboard": dashboard,
        "user": real_user,
        "username": real_user.get_username() if real_user else "",
        "queued_at": queued_at,
    }
    if id_may_repeat:
        fields |= {"state": BackgroundJob.State.QUEUED, "error": "", "started_at": None, "ended_at": None}
    BackgroundJob.objects.update_or_create(job_id=job_id, defaults=fields)


def job_started(*, job_id: str, dashboard: str, worker: str) -> None:
    now = timezone.now()
    running = {"state": BackgroundJob.State.RUNNING, "worker": worker[:200], "started_at": now}
    BackgroundJob.objects.update_or_create(
        job_id=job_id, defaults=running, create_defaults={**running, "dashboard": dashboard, "queued_at": now}
    )


def job_ended(*, job_id: str, state: str, error: str = "") -> None:
    """The job's end, told once: whoever learns it first (the worker, the poll that
    reads the answer, a cancel) sets it, and later news of the same job changes nothing."""
    assert state in BackgroundJob.ENDED, state
    BackgroundJob.objects.filter(job_id=job_id).exclude(state__in=BackgroundJob.ENDED).update(
        state=state, error=error[:500], ended_at=timezone.now()
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
    *, user: AbstractBaseUser, dashboard: Dashboard, request: HttpRequest, reason: str = ""
) -> AccessRequest:
    """Idempotent: a user has at most one pending request per dashboard (the first reason stays).

    ValidationError for a reason that `access_reason_clean` refuses; nothing is stored then.
    """
    reason = access_reason_clean(reason)
    access_request, created = AccessRequest.objects.get_or_create(
        user=user, dashboard=dashboard, status=AccessRequest.Status.PENDING, defaults={"reason": reason}
    )
    if created:
        audit_record(action=AuditEvent.Action.ACCESS_REQUESTED, dashboard=dashboard.slug, request=request)
        _tell_reviewers_after_commit(access_request=access_request, request=request)
    return access_request


ACCESS_REASON_MAX = 500


def access_reason_clean(reason: str) -> str:
    """The reason as stored: trimmed, line breaks as typed. ValidationError, in words for the
    requester, when it is longer than ACCESS_REASON_MAX characters or is not plain text."""
    # Browsers send a text box's line breaks as two characters but count them as one.
    reason = reason.replace("\r\n", "\n").strip()
    if any((char < " " and char not in "\n\t") or char == "\x7f" for char in reason):
        raise ValidationError("The reason can only contain ordinary text.", code="invalid_text")
    try:
        validate_plain_text(reason)
    except ValidationError:
        raise ValidationError("The reason can only contain ordinary text.", code="invalid_text") from None
    if len(reason) > ACCESS_REASON_MAX:
        raise ValidationError(
            f"Please keep the reason to {ACCESS_REASON_MAX} characters (it has {len(reason)}).",
            code="max_length",
        )
    return reason


def _tell_reviewers_after_commit(*, access_request: AccessRequest, request: HttpRequest | None) -> None:
    def tell() -> None:
        cache.delete(PENDING_COUNT_KEY)
        if not mail_configured() or request is None:
            return
        url = reverse("admin:dashboards_accessrequest_change", args=[access_request.pk])
        mail_new_request(
            access_request=access_request,
            to=[user.email for user in access_request_reviewers()],
            review_url=request.build_absolute_uri(url),
        )

    transaction.on_commit(tell)


DECISION_NEWS_DAYS = 30  # older decisions are not news on a user's next visit
UNSEEN_TTL = 300  # seconds a user's "nothing to tell" is remembered


def unseen_decisions_key(user_pk: int) -> str:
    return f"access-requests:unseen:{user_pk}"


def _decide(
    *,
    access_request: AccessRequest,
    status: str,
    actor: AbstractBaseUser,
    note: str,
    request: HttpRequest | None,
) -> None:
    """Record a decision on a pending request; the requester is told after commit."""
    current = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    if current.status != AccessRequest.Status.PENDING:
        raise ValidationError(f"This request was already {current.get_status_display().lower()}.")
    note = note.strip()
    try:
        validate_plain_text(note)
    except ValidationError as error:
        raise ValidationError({"note": error.messages}) from None
    access_request.status = status
    access_request.decided = timezone.now()
    access_request.decided_by = actor
    access_request.note = note[:500]
    access_request.seen = False
    access_request.save(update_fields=["status", "decided", "decided_by", "note", "seen"])

    def tell() -> None:
        cache.delete(PENDING_COUNT_KEY)
        cache.set(unseen_decisions_key(access_request.user_id), 1, UNSEEN_TTL)
        url = reverse("dashboard", args=[access_request.dashboard.slug])
        mail_decision(
            access_request=access_request,
            dashboard_url=request.build_absolute_uri(url) if request is not None else "",
        )

    transaction.on_commit(tell)


@transaction.atomic
def access_request_approve(
    *,
    access_request: AccessRequest,
    actor: AbstractBaseUser,
    note: str = "",
    group: Group | None = None,
    request: HttpRequest | None = None,
) -> DashboardGrant | None:
    """Let the requester open the dashboard: by a grant to them alone, or (with `group`) by
    adding them to a group that can open it, which gives them what the rest of that group
    has. ValidationError if the request was already decided, or the group cannot open it."""
    dashboard = access_request.dashboard
    if group is not None and not group_can_open(group=group, dashboard=dashboard):
        raise ValidationError(
            f"The group {group.name} can’t open {dashboard.title}: adding "
            f"{access_request.user.get_username()} to it would not give access. Choose another "
            "group, or grant the dashboard to them alone."
        )
    _decide(
        access_request=access_request,
        status=AccessRequest.Status.APPROVED,
        actor=actor,
        note=note,
        request=request,
    )
    how = f"group:{group.name}" if group is not None else f"user:{access_request.user.get_username()}"
    audit_record(
        action=AuditEvent.Action.REQUEST_APPROVED,
        user=actor,
        dashboard=dashboard.slug,
        params={"request": access_request.pk, "requester": access_request.user.get_username(), "by": how},
        request=request,
    )
    if group is None:
        return grant_add(dashboard=dashboard, user=access_request.user, actor=actor)
    group_member_add(group=group, user=access_request.user, actor=actor, request=request)
    return None


@transaction.atomic
def group_member_add(
    *, group: Group, user: AbstractBaseUser, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> bool:
    """Add `user` to `group` (audited); False if they were in it already."""
    if group.user_set.filter(pk=user.pk).exists():
        return False
    group.user_set.add(user)
    audit_record(
        action=AuditEvent.Action.GROUP_MEMBER_ADDED,
        user=actor,
        params={"group": group.name, "member": user.get_username()},
        request=request,
    )
    return True


@transaction.atomic
def access_request_deny(
    *,
    access_request: AccessRequest,
    actor: AbstractBaseUser,
    note: str = "",
    request: HttpRequest | None = None,
) -> AccessRequest:
    """Refuse a pending request. ValidationError if it was already decided."""
    _decide(
        access_request=access_request,
        status=AccessRequest.Status.DENIED,
        actor=actor,
        note=note,
        request=request,
    )
    audit_record(
        action=AuditEvent.Action.REQUEST_DENIED,
        user=actor,
        dashboard=access_request.dashboard.slug,
        params={"request": access_request.pk, "requester": access_request.user.get_username()},
        request=request,
    )
    return access_request


def access_request_decisions_take(*, user: AbstractBaseUser) -> list[AccessRequest]:
    """Recent decisions on the user's requests that they have not been told of, each
    returned once (marked seen). Costs a cache read when there is nothing new."""
    key = unseen_decisions_key(user.pk)
    known = cache.get(key)
    if known == 0:
        return []
    since = timezone.now() - timedelta(days=DECISION_NEWS_DAYS)
    decided = (
        AccessRequest.objects.filter(user=user, seen=False, decided__gte=since)
        .exclude(status=AccessRequest.Status.PENDING)
        .select_related("dashboard")
        .order_by("decided", "pk")
    )
    # Marked one by one: of two pages loading at once, only one tells each decision.
    told = [r for r in decided if AccessRequest.objects.filter(pk=r.pk, seen=False).update(seen=True)]
    if known is None:
        cache.add(key, 0, UNSEEN_TTL)  # a decision made meanwhile has set 1: keep it
    else:
        cache.set(key, 0, UNSEEN_TTL)
    return told


class ReportNameTaken(Exception):
    """The owner already has a report of that name on that dashboard: the page asks
    whether to replace it or save under another name (`report_save(replace=True)`)."""

    def __init__(self, existing: Report):
        super().__init__(f"You already have a report called “{existing.name}”.")
        self.existing = existing


@transaction.atomic
def report_save(
    *,
    owner: AbstractBaseUser,
    dashboard: spec.Dashboard,
    name: str,
    params: dict[str, Any],
    visibility: str,
    page: str = "",
    replace: bool = False,
    request: HttpRequest | None = None,
) -> Report:
    """Save the owner's report with validated parameters, at `page` of a Dash Pages app
    ("" for its first page). A name the owner already uses on this dashboard raises
    ReportNameTaken unless `replace` (then that report takes the new parameters and
    keeps whom it is shared with, if it stays shared by name).

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
    existing = Report.objects.select_for_update().filter(owner=owner, dashboard=row, name=name).first()
    if existing is not None and not replace:
        raise ReportNameTaken(existing)
    report = existing or Report(owner=owner, dashboard=row)
    report.name = name
    report.params = cleaned
    report.page = page
    report.visibility = visibility
    report.full_clean()
    report.save()
    if visibility != Report.Visibility.NAMED:
        ReportShare.objects.filter(report=report).delete()
    audit_record(
        action=AuditEvent.Action.REPORT_SAVED,
        user=owner,
        dashboard=dashboard.slug,
        params={
            "report": report.pk,
            "name": report.name,
            **cleaned,
            **({"page": page} if page else {}),
            **({"replaced": True} if existing else {}),
        },
        request=request,
    )
    return report


def report_free_name(*, owner: AbstractBaseUser, dashboard: Dashboard, name: str) -> str:
    """`name`, or `name (2)`, `name (3)`…: the first the owner does not use on this dashboard."""
    taken = set(Report.objects.filter(owner=owner, dashboard=dashboard).values_list("name", flat=True))
    if name not in taken:
        return name
    for number in range(2, 1000):
        suffix = f" ({number})"
        candidate = name[: Report._meta.get_field("name").max_length - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    return name  # a thousand copies: let the page ask again


def group_can_open(*, group: Group, dashboard: Dashboard) -> bool:
    """Whether being in `group` lets a person open `dashboard` (its grant, or open to all)."""
    if not dashboard.available:
        return False
    return dashboard.open_to_all or DashboardGrant.objects.filter(dashboard=dashboard, group=group).exists()


@transaction.atomic
def report_share(
    *,
    report: Report,
    visibility: str,
    users: Sequence[AbstractBaseUser] = (),
    groups: Sequence[Group] = (),
    request: HttpRequest | None = None,
) -> list[AbstractBaseUser]:
    """Set whom the owner's report is shared with: no one, everyone who can open its
    dashboard, or the people and groups named (only those who can open the dashboard).

    Each person newly reached by name or through a newly named group is told: a notice in
    the portal and, when the site sends e-mail, a message. Returns the people told.
    Raises ValidationError, naming who cannot be chosen, and changes nothing then.
    """
    if visibility not in Report.Visibility.values:
        raise ValidationError(f"“{visibility[:40]}” is not a choice of who can see a report.")
    dashboard = registry.get(report.dashboard.slug)
    if dashboard is None:
        raise ValidationError("This report's dashboard is not available.")
    named = visibility == Report.Visibility.NAMED
    users, groups = (list(users), list(groups)) if named else ([], [])
    title = report.dashboard.title
    refused = [
        f"{display_name(user)} can’t open {title}"
        for user in users
        if user.pk != report.owner_id and not can_view(user=user, dashboard=dashboard)
    ]
    refused += [
        f"the group {group.name} can’t open {title}"
        for group in groups
        if not group_can_open(group=group, dashboard=report.dashboard)
    ]
    if refused:
        raise ValidationError(
            f"Not shared: {'; '.join(refused)}. Choose only people and groups who can open it."
        )
    if named and not users and not groups:
        raise ValidationError("Choose at least one person or group to share the report with.")

    before_users = set(
        ReportShare.objects.filter(report=report, user__isnull=False).values_list("user", flat=True)
    )
    before_groups = set(
        ReportShare.objects.filter(report=report, group__isnull=False).values_list("group", flat=True)
    )
    ReportShare.objects.filter(report=report).delete()
    ReportShare.objects.bulk_create(
        [ReportShare(report=report, user=user) for user in users if user.pk != report.owner_id]
        + [ReportShare(report=report, group=group) for group in groups]
    )
    report.visibility = visibility
    report.save(update_fields=["visibility", "updated"])

    # Who hears of it: people newly named, and members of groups newly named.
    reached = {user.pk: user for user in users if user.pk not in before_users}
    new_groups = [group for group in groups if group.pk not in before_groups]
    if new_groups:
        for member in get_user_model().objects.filter(groups__in=new_groups, is_active=True).distinct():
            reached.setdefault(member.pk, member)
    told = [
        user
        for user in reached.values()
        if user.pk != report.owner_id and user.is_active and can_view(user=user, dashboard=dashboard)
    ]
    shared_by = display_name(report.owner)
    for user in told:
        ReportNotice.objects.update_or_create(
            user=user, report=report, defaults={"seen": False, "shared_by": shared_by[:150]}
        )
    audit_record(
        action=AuditEvent.Action.REPORT_SHARED,
        user=report.owner,
        dashboard=report.dashboard.slug,
        params={
            "report": report.pk,
            "name": report.name,
            "visibility": visibility,
            "with": [f"user:{u.get_username()}" for u in users] + [f"group:{g.name}" for g in groups],
        },
        request=request,
    )
    if told:
        url = reverse("report", args=[report.pk])
        link = request.build_absolute_uri(url) if request is not None else url
        addresses = [user.email for user in told if user.email]

        def tell() -> None:
            cache.delete_many([shared_news_key(user.pk) for user in told])
            mail_report_shared(report=report, shared_by=shared_by, report_url=link, to=addresses)

        transaction.on_commit(tell)
    return told


@transaction.atomic
def report_rename(*, report: Report, name: str) -> Report:
    report.name = name.strip()
    report.full_clean()
    report.save(update_fields=["name", "updated"])
    return report


@transaction.atomic
def report_delete(*, report: Report, request: HttpRequest | None = None) -> None:
    """Put the report in its owner's trash: gone from every list and link at once, for
    everyone it was shared with; restorable by its owner for Report.TRASH_DAYS days."""
    audit_record(
        action=AuditEvent.Action.REPORT_DELETED,
        user=report.owner,
        dashboard=report.dashboard.slug,
        params={"report": report.pk, "name": report.name, **(report.params or {})},
        request=request,
    )
    report.deleted = timezone.now()
    report.save(update_fields=["deleted"])


@transaction.atomic
def report_restore(*, report: Report, request: HttpRequest | None = None) -> Report:
    """Take the report out of the trash, as it was (shares included). If its name was
    used again meanwhile, it comes back under the first free variant of it."""
    report = Report.with_trash.select_for_update().get(pk=report.pk)
    if report.deleted is None:
        return report
    report.name = report_free_name(owner=report.owner, dashboard=report.dashboard, name=report.name)
    report.deleted = None
    report.full_clean()
    report.save(update_fields=["name", "deleted"])
    audit_record(
        action=AuditEvent.Action.REPORT_RESTORED,
        user=report.owner,
        dashboard=report.dashboard.slug,
        params={"report": report.pk, "name": report.name},
        request=request,
    )
    return report


def report_trash_prune(*, now: datetime | None = None) -> int:
    """Delete for good the reports in the trash for longer than Report.TRASH_DAYS days."""
    cutoff = (now or timezone.now()) - timedelta(days=Report.TRASH_DAYS)
    _, by_model = Report.with_trash.filter(deleted__lt=cutoff).delete()
    return by_model.get("dashboards.Report", 0)


def report_notices_seen(*, user: AbstractBaseUser, report: Report) -> None:
    """The user opened a report shared with them: it is no longer news."""
    if ReportNotice.objects.filter(user=user, report=report, seen=False).update(seen=True):
        cache.delete(shared_news_key(user.pk))


@transaction.atomic
def report_default_set(*, user: AbstractBaseUser, report: Report | None, dashboard: Dashboard) -> None:
    """Make `report` the user's default for `dashboard` (None: back to the dashboard's defaults)."""
    if report is None:
        DefaultReport.objects.filter(user=user, dashboard=dashboard).delete()
    else:
        DefaultReport.objects.update_or_create(user=user, dashboard=dashboard, defaults={"report": report})
    # A new starting point chosen on purpose: the remembered filters give way to it.
    last_filters_forget(user=user, dashboard_slug=dashboard.slug)


def last_filters_save(
    *, user: AbstractBaseUser, dashboard: spec.Dashboard, params: dict[str, Any], baseline: dict[str, Any]
) -> bool:
    """Remember the filters `user` has on screen on `dashboard`, to open with next time.
    Values equal to `baseline` (what the dashboard opens with anyway: the user's default
    report or the dashboard's defaults) are not kept: the row goes. Raises ParamError for
    values the dashboard does not accept, and stores nothing then. True if kept."""
    cleaned = dashboard.to_json(dashboard.clean(params))
    row = Dashboard.objects.get(slug=dashboard.slug)
    if cleaned == dashboard.to_json(baseline):
        LastFilters.objects.filter(user=user, dashboard=row).delete()
        return False
    LastFilters.objects.update_or_create(user=user, dashboard=row, defaults={"params": cleaned})
    return True


def last_filters_forget(*, user: AbstractBaseUser, dashboard_slug: str) -> None:
    LastFilters.objects.filter(user=user, dashboard__slug=dashboard_slug).delete()


def favourite_set(*, user: AbstractBaseUser, dashboard: Dashboard, starred: bool) -> bool:
    """Star or unstar; setting the state (not flipping it) makes a repeated click harmless."""
    if starred:
        Favourite.objects.get_or_create(user=user, dashboard=dashboard)
    else:
        Favourite.objects.filter(user=user, dashboard=dashboard).delete()
    return starred


@transaction.atomic
def dashboard_discoverable_set(
    *, dashboard: Dashboard, value: bool, actor: AbstractBaseUser | None = None
) -> None:
    """List the dashboard under "More dashboards" for users without access, or hide it."""
    if dashboard.discoverable != value:
        dashboard.discoverable = value
        dashboard.save(update_fields=["discoverable", "updated"])
        audit_record(
            action=AuditEvent.Action.GRANT_CHANGED,
            user=actor,
            dashboard=dashboard.slug,
            params={"change": "listed" if value else "hidden", "to": "users without access"},
        )


# -- scheduled reports --------------------------------------------------------------------


def schedule_save(
    *,
    report: Report,
    owner: AbstractBaseUser,
    frequency: str,
    time: dt.time,
    time_zone: str,
    weekday: int | None = None,
    day_of_month: int | None = None,
    include_owner: bool = True,
    users: Sequence[AbstractBaseUser] = (),
    groups: Sequence[Group] = (),
    schedule: ReportSchedule | None = None,
) -> ReportSchedule:
    """A new schedule of `report` (or `schedule` changed), due next after now.

    Recipients must be able to open the report's dashboard now; each send checks again.
    """
    from dashboards.deliveries import schedule_next_due
    from dashboards.selectors import groups_who_can_open, people_who_can_open

    errors: dict[str, str] = {}
    if frequency not in ReportSchedule.Frequency.values:
        errors["frequency"] = "Choose how often: every day, every weekday, every week or every month."
    if frequency == ReportSchedule.Frequency.WEEKLY and weekday not in range(7):
        errors["weekday"] = "Choose the day of the week."
    if frequency == ReportSchedule.Frequency.MONTHLY and day_of_month not in range(1, 32):
        errors["day_of_month"] = "Choose a day of the month from 1 to 31."
    if time_zone not in available_time_zones() and time_zone != ReportSchedule.RECIPIENTS_ZONE:
        errors["time_zone"] = "Choose a time zone from the list, or each recipient's own."
    allowed_people = set(people_who_can_open(dashboard=report.dashboard).values_list("pk", flat=True))
    refused = sorted(u.get_username() for u in users if u.pk not in allowed_people)
    if refused:
        errors["users"] = f"These people cannot open {report.dashboard.title}: {', '.join(refused)}."
    allowed_groups = set(groups_who_can_open(dashboard=report.dashboard).values_list("pk", flat=True))
    refused = sorted(g.name for g in groups if g.pk not in allowed_groups)
    if refused:
        errors["groups"] = f"These groups cannot open {report.dashboard.title}: {', '.join(refused)}."
    if not (include_owner or users or groups):
        errors["recipients"] = "Choose at least one recipient."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        schedule = schedule or ReportSchedule(report=report, owner=owner)
        schedule.frequency, schedule.time, schedule.time_zone = frequency, time, time_zone
        schedule.weekday = weekday if frequency == ReportSchedule.Frequency.WEEKLY else None
        schedule.day_of_month = day_of_month if frequency == ReportSchedule.Frequency.MONTHLY else None
        schedule.include_owner = include_owner
        schedule.next_due_at = timezone.now()  # until the recipients, whose time zones may count, are set
        schedule.save()
        schedule.users.set(users)
        schedule.groups.set(groups)
        schedule.next_due_at = schedule_next_due(schedule, after=timezone.now())
        schedule.save(update_fields=["next_due_at"])
    return schedule


@functools.cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def schedules_follow_time_zone(*, user: AbstractBaseUser) -> None:
    """A person's time zone changed: schedules sent in each recipient's own zone that
    include them are due sooner if their 08:00 now comes before the next one planned."""
    from dashboards.deliveries import schedule_next_due

    now = timezone.now()
    theirs = (
        ReportSchedule.objects.filter(time_zone=ReportSchedule.RECIPIENTS_ZONE, paused=False)
        .filter(Q(owner=user, include_owner=True) | Q(users=user) | Q(groups__in=user.groups.all()))
        .distinct()
    )
    for schedule in theirs:
        with transaction.atomic():
            locked = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
            soonest = min(locked.next_due_at, schedule_next_due(locked, after=now))
            if soonest != locked.next_due_at:
                locked.next_due_at = soonest
                locked.save(update_fields=["next_due_at"])


def schedule_pause(*, schedule: ReportSchedule, paused: bool) -> None:
    """Paused, nothing is sent; resumed, the next due time after now (none made up for)."""
    from dashboards.deliveries import schedule_next_due

    schedule.paused = paused
    if not paused:
        schedule.next_due_at = schedule_next_due(schedule, after=timezone.now())
    schedule.save(update_fields=["paused", "next_due_at"])


def schedule_send_now(*, schedule: ReportSchedule) -> int:
    """Deliveries for right now, sent by the next run of the scheduler (on a worker, not in
    the web process, which would have to start a Chromium for the charts): at once on
    Celery, else within a minute. Its regular due times are unchanged."""
    from dashboards.deliveries import claim_now

    claimed = claim_now(schedule, now=timezone.now())
    if settings.REDIS_URL:
        from dashboards import jobs

        try:
            jobs.celery_app().send_task("dashengine.send_due_reports")
        except jobs.broker_failures():
            pass  # the beat's next run, within a minute, sends them
    return claimed


def schedule_unsubscribe(*, schedule: ReportSchedule, user: AbstractBaseUser) -> None:
    schedule.opted_out.add(user)


def alert_save(
    *,
    report: Report,
    owner: AbstractBaseUser,
    figure: str,
    condition: str,
    threshold: float,
    every_minutes: int,
) -> Alert:
    """A new alert on one of the report's key figures, checked from now."""
    from dashboards.deliveries import alert_value

    errors: dict[str, str] = {}
    dashboard = registry.get(report.dashboard.slug)
    names = _figure_names(dashboard, report)
    if figure not in names:
        errors["figure"] = "Choose one of this dashboard's key figures."
    if condition not in Alert.Condition.values:
        errors["condition"] = "Choose when to be told: goes above, goes below or changes by."
    if not math.isfinite(threshold) or (condition == Alert.Condition.CHANGE and threshold <= 0):
        errors["threshold"] = "Enter a number (for a change, a percentage above 0)."
    if every_minutes not in Alert.Every.values:
        errors["every_minutes"] = "Choose how often to check."
    if errors:
        raise ValidationError(errors)
    alert = Alert(
        report=report,
        owner=owner,
        figure=figure,
        condition=condition,
        threshold=threshold,
        every_minutes=every_minutes,
        next_check_at=timezone.now(),
    )
    # As things are now: only a crossing after this is told.
    alert.last_value = alert_value(alert)
    alert.baseline = alert.last_value
    from dashboards.deliveries import condition_holds

    alert.holding = condition_holds(alert, alert.last_value) if condition != Alert.Condition.CHANGE else False
    alert.last_checked_at = timezone.now()
    alert.next_check_at = alert.last_checked_at + timedelta(minutes=every_minutes)
    alert.save()
    return alert


def _figure_names(dashboard: Any, report: Report) -> list[str]:
    if dashboard is None or dashboard.key_figures is None:
        return []
    params = dashboard.clean(report.params or {}) if dashboard.has_params else {}
    return list(dashboard.key_figures(params))


def alert_pause(*, alert: Alert, paused: bool) -> None:
    alert.paused = paused
    alert.next_check_at = timezone.now()
    alert.save(update_fields=["paused", "next_check_at"])
