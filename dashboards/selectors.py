from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from dashboards import registry
from dashboards.access import can_view, viewable_slugs
from dashboards.models import (
    AccessRequest,
    AuditEvent,
    BackgroundJob,
    DashboardGrant,
    DefaultReport,
    Delivery,
    Favourite,
    LastFilters,
    Report,
    ReportNotice,
    ReportSchedule,
    ReportShare,
)
from dashboards.models import Dashboard as DashboardRow
from dashkit.spec import Dashboard, ParamError


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
    visible = reports.filter(Q(owner=user) | _shared_q(user)).values("pk")
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


@dataclass(frozen=True)
class ReportRefusal:
    """What someone who may not open an existing report is told.

    The owner's display name says whom to ask; the report's name and parameters
    are not told. The dashboard is named only to those who may open it or ask
    for it: a hidden dashboard stays unnamed.
    """

    owner_name: str
    shared: bool  # shared with them, but its dashboard is not open to them
    dashboard: Dashboard | None
    can_open_dashboard: bool
    may_request_access: bool
    access_requested: bool
    dashboard_slug: str  # for the audit trail, never shown


def display_name(user: AbstractBaseUser) -> str:
    return (user.get_full_name() if hasattr(user, "get_full_name") else "").strip() or user.get_username()


def report_refusal_for_user(*, user: AbstractBaseUser, pk: int) -> ReportRefusal | None:
    """Why `user` may not open report `pk`, or None when there is no such report (or no
    longer its dashboard): that stays a plain 404."""
    report = Report.objects.select_related("dashboard", "owner").filter(pk=pk).first()
    if report is None or not report.dashboard.available:
        return None
    dashboard = registry.get(report.dashboard.slug)
    if dashboard is None:
        return None
    can_open = can_view(user=user, dashboard=dashboard)
    may_request = not can_open and report.dashboard.discoverable
    requested = (
        may_request
        and AccessRequest.objects.filter(
            user=user, dashboard=report.dashboard, status=AccessRequest.Status.PENDING
        ).exists()
    )
    return ReportRefusal(
        owner_name=display_name(report.owner),
        shared=report.owner_id == user.pk or _shared_with(report, user),
        dashboard=dashboard if can_open or may_request else None,
        can_open_dashboard=can_open,
        may_request_access=may_request,
        access_requested=requested,
        dashboard_slug=dashboard.slug,
    )


def _shared_q(user: AbstractBaseUser) -> Q:
    """Reports shared with `user`: with everyone, or by name with them or a group of theirs.
    (Whether they may open the dashboard is checked apart, at every read.)"""
    by_name = Q(shares__user=user) | Q(shares__group__in=user.groups.all())
    return Q(visibility=Report.Visibility.EVERYONE) | (Q(visibility=Report.Visibility.NAMED) & by_name)


def _shared_with(report: Report, user: AbstractBaseUser) -> bool:
    if report.visibility == Report.Visibility.EVERYONE:
        return True
    if report.visibility == Report.Visibility.NAMED:
        return ReportShare.objects.filter(
            Q(user=user) | Q(group__in=user.groups.all()), report=report
        ).exists()
    return False


def report_shares_of(report: Report) -> tuple[list[AbstractBaseUser], list]:
    """Whom a report is shared with by name: (people, groups), each by name."""
    shares = ReportShare.objects.filter(report=report).select_related("user", "group")
    users = sorted((s.user for s in shares if s.user_id), key=lambda u: display_name(u).lower())
    groups = sorted((s.group for s in shares if s.group_id), key=lambda g: g.name.lower())
    return users, groups


def share_labels(reports) -> dict[int, str]:
    """For a list's "Shared with" column: each named report's people and groups, in words."""
    names: dict[int, list[str]] = {}
    shares = ReportShare.objects.filter(report__in=[r.pk for r in reports]).select_related("user", "group")
    for share in shares.order_by("group__name", "user__username"):
        label = share.group.name if share.group_id else display_name(share.user)
        names.setdefault(share.report_id, []).append(label)
    return {pk: ", ".join(labels) for pk, labels in names.items()}


@dataclass(frozen=True)
class ShareChoices:
    """Who the owner may share a report with: the groups and active people who can open
    its dashboard (the owner left out)."""

    groups: list
    people: list[AbstractBaseUser]


def report_period_words(report: Report) -> str:
    """A report's period as it opens now: "Last 90 days (3 Dec 2015 to 29 Feb 2016)";
    "" when its dashboard has no dates or is no longer in the catalogue."""
    dashboard = registry.get(report.dashboard.slug)
    if dashboard is None:
        return ""
    params, _dropped = dashboard.salvage(report.params or {})
    return dashboard.period_words(params)


def share_choices_for_report(*, report: Report) -> ShareChoices:
    from django.contrib.auth.models import Group

    row = report.dashboard
    dashboard = registry.get(row.slug)
    if dashboard is None or not row.available:
        return ShareChoices(groups=[], people=[])
    groups = Group.objects.order_by("name")
    if not row.open_to_all:
        groups = groups.filter(pk__in=row.grants.filter(group__isnull=False).values("group"))
    people = [
        user
        for user in get_user_model().objects.filter(is_active=True).exclude(pk=report.owner_id)
        if can_view(user=user, dashboard=dashboard)
    ]
    return ShareChoices(groups=list(groups), people=sorted(people, key=lambda u: display_name(u).lower()))


def trash_for_user(*, user: AbstractBaseUser, now: datetime | None = None) -> QuerySet[Report]:
    """The user's reports in the trash that can still be restored, the latest deleted first."""
    since = (now or timezone.now()) - timedelta(days=Report.TRASH_DAYS)
    return (
        Report.with_trash.filter(owner=user, deleted__gte=since)
        .select_related("dashboard")
        .order_by("-deleted", "-pk")
    )


SHARED_WITH_YOU_SIZE = 10


def shared_with_you_for_user(
    *, user: AbstractBaseUser, size: int = SHARED_WITH_YOU_SIZE
) -> list[ReportNotice]:
    """The latest reports others shared with the user that they may still open, unseen first."""
    visible = report_list_for_user(user=user).exclude(owner=user).values("pk")
    return list(
        ReportNotice.objects.filter(user=user, report__in=visible)
        .select_related("report", "report__dashboard", "report__owner")
        .order_by("seen", "-created", "-pk")[:size]
    )


SHARED_NEWS_TTL = 60  # seconds; sharing and opening a shared report drop it at once


def shared_news_key(user_pk: int) -> str:
    return f"reports:shared-news:{user_pk}"


def shared_news_count_for_user(*, user: AbstractBaseUser) -> int:
    """How many reports were shared with the user that they have not opened yet (and may
    open): a cache read per page, a query when it is not known. A report that became
    out of reach meanwhile may be counted for up to SHARED_NEWS_TTL seconds; the lists
    themselves are always checked."""
    if not user.is_authenticated or not user.is_active:
        return 0
    count = cache.get(shared_news_key(user.pk))
    if count is None:
        visible = report_list_for_user(user=user).values("pk")
        count = ReportNotice.objects.filter(user=user, seen=False, report__in=visible).count()
        cache.set(shared_news_key(user.pk), count, SHARED_NEWS_TTL)
    return count


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


def last_filters_for_user(*, user: AbstractBaseUser, dashboard: Dashboard) -> dict[str, Any] | None:
    """The filters `user` last had on screen on `dashboard`, checked again (None when there
    are none, or when the dashboard no longer accepts them)."""
    row = LastFilters.objects.filter(user=user, dashboard__slug=dashboard.slug).first()
    if row is None:
        return None
    try:
        return dashboard.clean(row.params)
    except ParamError:
        return None


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


PENDING_COUNT_KEY = "access-requests:pending-count"
PENDING_COUNT_TTL = 60  # seconds; the services drop it on every change they make


def can_review_access_requests(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff who may decide access requests in the admin (a permission query, for staff only)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.has_perm("dashboards.change_accessrequest")


def pending_access_request_count() -> int:
    """How many access requests wait for a decision: one query, cached."""
    count = cache.get(PENDING_COUNT_KEY)
    if count is None:
        count = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING).count()
        cache.set(PENDING_COUNT_KEY, count, PENDING_COUNT_TTL)
    return count


def access_request_reviewers() -> QuerySet:
    """Active staff with an e-mail address who may decide access requests: told of new ones."""
    permission = Permission.objects.filter(
        content_type__app_label="dashboards", codename="change_accessrequest"
    ).first()
    may_decide = Q(is_superuser=True)
    if permission is not None:
        may_decide |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    return (
        get_user_model()
        .objects.filter(may_decide, is_active=True, is_staff=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


# ---- The gallery: favourites, recently viewed, the rest, and dashboards to ask for ----

RECENT_SIZE = 3  # one row of cards on a laptop screen
_WORD = re.compile(r"\w+")


def _typos_allowed(term: str) -> int:
    # A short term with a typo matches almost anything: only longer ones are forgiven.
    return 0 if len(term) < 4 else 1 if len(term) < 9 else 2


def _prefix_distance(term: str, word: str, limit: int) -> int:
    """The fewest edits (insert, delete, replace, swap two neighbours) that turn `term`
    into some beginning of `word`; anything over `limit` is reported as `limit + 1`."""
    previous: list[int] | None = None
    row = list(range(len(word) + 1))
    for i in range(1, len(term) + 1):
        current = [i] + [0] * len(word)
        for j in range(1, len(word) + 1):
            cost = 0 if term[i - 1] == word[j - 1] else 1
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if previous is not None and j > 1 and term[i - 1] == word[j - 2] and term[i - 2] == word[j - 1]:
                current[j] = min(current[j], previous[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous, row = row, current
    return min(min(row), limit + 1)


def search_matches(*, text: str, query: str) -> bool:
    """Whether every term of `query` is in `text`, whatever the case, or starts one of its
    words with a typo or two (by length). `gallery.js` applies the same rule as you type."""
    haystack = text.lower()
    words = set(_WORD.findall(haystack))
    for term in query.lower().split():
        if term in haystack:
            continue
        allowed = _typos_allowed(term)
        if not allowed or not any(_prefix_distance(term, word, allowed) <= allowed for word in words):
            return False
    return True


GALLERY_REPORTS = 200  # the most recently saved a gallery search looks through


@dataclass(frozen=True)
class ReportHit:
    """A saved report as the gallery search sees it."""

    report: Report
    dashboard_title: str
    search: str
    shown: bool


def gallery_reports_for_user(*, user: AbstractBaseUser, query: str) -> list[ReportHit]:
    """The reports the user may open (their own and those shared with them), newest first,
    each with the words the gallery search matches (its name and its dashboard's title)
    and whether it matches `query` (none does an empty one: the gallery lists dashboards)."""
    hits = []
    for report in report_list_for_user(user=user).order_by("-updated", "-pk")[:GALLERY_REPORTS]:
        dashboard = registry.get(report.dashboard.slug)
        title = dashboard.title if dashboard else report.dashboard.slug
        text = f"{report.name} {title}".lower()
        hits.append(
            ReportHit(
                report=report,
                dashboard_title=title,
                search=text,
                shown=bool(query) and search_matches(text=text, query=query),
            )
        )
    return hits


def search_text(dashboard: Dashboard) -> str:
    """What gallery search looks at: title, description, category, features and tags."""
    return " ".join(
        [dashboard.title, dashboard.description, dashboard.category, *dashboard.features, *dashboard.tags]
    ).lower()


@dataclass(frozen=True)
class GalleryCard:
    dashboard: Dashboard
    starred: bool
    shown: bool  # False when the search leaves it out: on the page, hidden, for search as you type


@dataclass(frozen=True)
class RequestableCard:
    dashboard: Dashboard
    requested: datetime | None  # when the user's pending request was sent
    shown: bool
    declined: datetime | None = None  # when their last decided request was declined


@dataclass(frozen=True)
class Shelf:
    id: str
    title: str
    cards: list[GalleryCard]

    @property
    def shown(self) -> bool:
        return any(c.shown for c in self.cards)


@dataclass(frozen=True)
class Gallery:
    favourites: list[GalleryCard]
    recent: list[GalleryCard]
    others: list[GalleryCard]
    requestable: list[RequestableCard]

    @property
    def shelves(self) -> list[Shelf]:
        """The rows of cards in order, leaving out empty ones."""
        rest = "Other dashboards" if self.favourites or self.recent else "Your dashboards"
        shelves = [
            Shelf(id="favourites", title="Favourites", cards=self.favourites),
            Shelf(id="recent", title="Recently viewed", cards=self.recent),
            Shelf(id="others", title=rest, cards=self.others),
        ]
        return [shelf for shelf in shelves if shelf.cards]

    @property
    def shown_count(self) -> int:
        return sum(c.shown for c in self.favourites + self.recent + self.others)


def favourite_slugs_for_user(*, user: AbstractBaseUser) -> set[str]:
    return set(Favourite.objects.filter(user=user).values_list("dashboard__slug", flat=True))


def recently_viewed_slugs_for_user(*, user: AbstractBaseUser) -> list[str]:
    """Dashboards the user opened, most recent first, from the audit trail of views."""
    last_views = (
        AuditEvent.objects.filter(user=user, action=AuditEvent.Action.VIEW)
        .exclude(dashboard="")
        .values("dashboard")
        .annotate(last=Max("time"))
        .order_by("-last", "dashboard")
    )
    return [row["dashboard"] for row in last_views]


def requestable_dashboards_for_user(
    *, user: AbstractBaseUser
) -> list[tuple[Dashboard, datetime | None, datetime | None]]:
    """Dashboards listed for everyone that the user cannot open, with the date of their
    pending request, if any, and of the decline of their last decided one, if it was
    declined; by category then title."""
    if not user.is_authenticated or not user.is_active or user.is_superuser:
        return []
    mine = Q(access_requests__user=user)
    pending = mine & Q(access_requests__status=AccessRequest.Status.PENDING)
    rows = DashboardRow.objects.filter(discoverable=True, available=True).annotate(
        requested=Max("access_requests__created", filter=pending),
        denied=Max(
            "access_requests__decided", filter=mine & Q(access_requests__status=AccessRequest.Status.DENIED)
        ),
        approved=Max(
            "access_requests__decided", filter=mine & Q(access_requests__status=AccessRequest.Status.APPROVED)
        ),
    )
    found = []
    for row in rows:
        dashboard = registry.get(row.slug)
        if dashboard is not None and not can_view(user=user, dashboard=dashboard):
            declined = (
                row.denied if row.denied and (row.approved is None or row.denied > row.approved) else None
            )
            found.append((dashboard, row.requested, declined))
    return sorted(found, key=lambda entry: (entry[0].category, entry[0].title))


def requestable_dashboard_for_user(*, user: AbstractBaseUser, slug: str) -> DashboardRow | None:
    """The dashboard's row if the user may ask for it: it exists and is not theirs yet.

    Whoever has its address may ask (a colleague shared a link: no dead end); being
    listed for everyone (`discoverable`) only puts it under "More dashboards".
    """
    dashboard = registry.get(slug)
    if dashboard is None or not user.is_authenticated or can_view(user=user, dashboard=dashboard):
        return None
    return DashboardRow.objects.filter(slug=slug, available=True).first()


def pending_access_request_for_user(*, user: AbstractBaseUser, slug: str) -> AccessRequest | None:
    return AccessRequest.objects.filter(
        user=user, dashboard__slug=slug, status=AccessRequest.Status.PENDING
    ).first()


def gallery_for_user(
    *, user: AbstractBaseUser, category: str = "", tag: str = "", query: str = ""
) -> Gallery:
    """The gallery's shelves: favourites, the last few dashboards opened, then the rest;
    and the dashboards the user may ask for. Category and tag leave dashboards out; the
    search only marks those it does not match, so that typing can bring them back."""
    viewable = dashboard_list_for_user(user=user, category=category, tag=tag)
    by_slug = {d.slug: d for d in viewable}
    favourites = favourite_slugs_for_user(user=user)
    recent = [
        slug
        for slug in recently_viewed_slugs_for_user(user=user)
        if slug in by_slug and slug not in favourites
    ][:RECENT_SIZE]

    def card(dashboard: Dashboard) -> GalleryCard:
        return GalleryCard(
            dashboard=dashboard,
            starred=dashboard.slug in favourites,
            shown=search_matches(text=search_text(dashboard), query=query),
        )

    requestable = [
        RequestableCard(
            dashboard=dashboard,
            requested=requested,
            shown=search_matches(text=search_text(dashboard), query=query),
            declined=declined,
        )
        for dashboard, requested, declined in requestable_dashboards_for_user(user=user)
        if (not category or dashboard.category == category) and (not tag or tag in dashboard.tags)
    ]
    return Gallery(
        favourites=[card(d) for d in viewable if d.slug in favourites],
        recent=[card(by_slug[slug]) for slug in recent],
        others=[card(d) for d in viewable if d.slug not in favourites and d.slug not in recent],
        requestable=requestable,
    )


def job_counts() -> dict[tuple[str, str], int]:
    """How many job records there are, by dashboard and state."""
    rows = BackgroundJob.objects.order_by().values_list("dashboard", "state").annotate(count=Count("id"))
    return {(dashboard, state): count for dashboard, state, count in rows}


def people_who_can_open(*, dashboard: DashboardRow) -> QuerySet:
    """Active users the dashboard is open to, by grant, group or to all (superusers too)."""
    users = get_user_model().objects.filter(is_active=True)
    if not dashboard.open_to_all:
        grants = DashboardGrant.objects.filter(dashboard=dashboard)
        users = users.filter(
            Q(is_superuser=True)
            | Q(pk__in=grants.filter(user__isnull=False).values("user"))
            | Q(groups__in=grants.filter(group__isnull=False).values("group"))
        )
    return users.distinct().order_by("username")


def groups_who_can_open(*, dashboard: DashboardRow) -> QuerySet:
    groups = Group.objects.all()
    if not dashboard.open_to_all:
        groups = groups.filter(pk__in=DashboardGrant.objects.filter(dashboard=dashboard).values("group"))
    return groups.order_by("name")


def schedules_of(*, report: Report, owner: AbstractBaseUser) -> QuerySet:
    return (
        ReportSchedule.objects.filter(report=report, owner=owner)
        .prefetch_related("users", "groups")
        .order_by("created")
    )


def deliveries_of(*, schedule: ReportSchedule, limit: int = 10) -> list[Delivery]:
    return list(
        schedule.deliveries.select_related("recipient").order_by("-due_at", "recipient__username")[:limit]
    )


# ---- The admin's users × dashboards grid -------------------------------------------


@dataclass(frozen=True)
class AccessGridRow:
    user: AbstractBaseUser
    groups: list[str]
    # One entry per dashboard of the grid, in its order: the ways this user gets in
    # ("superuser", "all users", "own grant", or a group's name); empty: no access.
    cells: list[list[str]]

    @property
    def count(self) -> int:
        return sum(1 for ways in self.cells if ways)


@dataclass(frozen=True)
class AccessGrid:
    dashboards: list[DashboardRow]
    rows: list[AccessGridRow]


def access_grid(*, group=None, user: AbstractBaseUser | None = None) -> AccessGrid:
    """Who can open what, for every active user (or those of `group`, or one `user`) and
    every available dashboard, with the reason: the rules of `access.can_view`, in four queries."""
    from dashboards.models import DashboardGrant

    dashboards = list(DashboardRow.objects.filter(available=True).order_by("title", "slug"))
    by_group: dict[int, set[int]] = {}
    by_user: dict[int, set[int]] = {}
    for dashboard_id, group_id, user_id in DashboardGrant.objects.values_list("dashboard", "group", "user"):
        if group_id is not None:
            by_group.setdefault(dashboard_id, set()).add(group_id)
        else:
            by_user.setdefault(dashboard_id, set()).add(user_id)
    users = get_user_model().objects.filter(is_active=True).order_by("username").prefetch_related("groups")
    if group is not None:
        users = users.filter(groups=group)
    if user is not None:
        users = users.filter(pk=user.pk)
    rows = []
    for person in users:
        groups = sorted(person.groups.all(), key=lambda g: g.name.lower())
        cells = []
        for dashboard in dashboards:
            if person.is_superuser:
                ways = ["superuser"]
            else:
                ways = ["all users"] if dashboard.open_to_all else []
                if person.pk in by_user.get(dashboard.pk, ()):
                    ways.append("own grant")
                ways += [g.name for g in groups if g.pk in by_group.get(dashboard.pk, ())]
            cells.append(ways)
        rows.append(AccessGridRow(user=person, groups=[g.name for g in groups], cells=cells))
    return AccessGrid(dashboards=dashboards, rows=rows)


def access_ways_for_user(*, user: AbstractBaseUser) -> list[tuple[DashboardRow, list[str]]]:
    """The dashboards one user can open, each with how (for the admin's user page)."""
    grid = access_grid(user=user)
    if not grid.rows:
        return []  # inactive: nothing
    return [(d, ways) for d, ways in zip(grid.dashboards, grid.rows[0].cells, strict=True) if ways]


def last_declined_request_for_user(*, user: AbstractBaseUser, slug: str) -> AccessRequest | None:
    """The user's latest decided request for this dashboard, if it was declined."""
    latest = (
        AccessRequest.objects.filter(user=user, dashboard__slug=slug)
        .exclude(status=AccessRequest.Status.PENDING)
        .order_by("-decided", "-pk")
        .first()
    )
    return latest if latest is not None and latest.status == AccessRequest.Status.DENIED else None
