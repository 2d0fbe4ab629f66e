"""The portal's own records: dashboards as admins see them, grants, requests, audit."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dashboards.inputs import PAGE_PATH_MAX, validate_page_path, validate_plain_text


class Dashboard(models.Model):
    """A dashboard defined in code, mirrored here so that admins can grant it."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=100, blank=True)
    available = models.BooleanField(
        default=True, help_text="False when its module is gone; its grants are kept."
    )
    open_to_all = models.BooleanField(
        "open to every signed-in user", default=False, help_text="Everyone who can log in may open it."
    )
    discoverable = models.BooleanField(
        "listed for everyone",
        default=False,
        help_text="Users without access see it under “More dashboards” and may request access.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class DashboardGrant(models.Model):
    """Access to one dashboard for one group (a role) or one user."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="grants")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=False, user__isnull=True)
                | Q(group__isnull=True, user__isnull=False),
                name="grant_to_group_or_user",
                violation_error_message="A grant names either a group or a user.",
            ),
            models.UniqueConstraint(fields=["dashboard", "group"], name="one_grant_per_group"),
            models.UniqueConstraint(fields=["dashboard", "user"], name="one_grant_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.dashboard} → {self.group or self.user}"


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DENIED = "denied"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="access_requests")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(max_length=500, blank=True, help_text="Why the user asks.")
    created = models.DateTimeField(auto_now_add=True)
    decided = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(max_length=500, blank=True, help_text="The answer the user is shown.")
    seen = models.BooleanField(default=False, help_text="The user has been told of the decision.")

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dashboard"],
                condition=Q(status="pending"),
                name="one_pending_request_per_user_and_dashboard",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} asks for {self.dashboard}"


class AuditEvent(models.Model):
    """Append-only: rows are added, never changed (pruned by `prune_audit`)."""

    class Action(models.TextChoices):
        # The stored values stay as they were (old rows, filters in bookmarks); the labels
        # say what happened. "access-denied" is a page visit the portal refused, never an
        # admin's decision: those are "request-approved" and "request-denied".
        VIEW = "view", "Opened a dashboard"
        EXPORT = "export", "Downloaded data"
        REPORT_SAVED = "report-saved", "Saved a report"
        REPORT_DELETED = "report-deleted", "Put a report in the trash"
        REPORT_RESTORED = "report-restored", "Restored a report from the trash"
        REPORT_SHARED = "report-shared", "Changed who a report is shared with"
        ACCESS_DENIED = "access-denied", "Opened a page without access"
        ACCESS_REQUESTED = "access-requested", "Asked for access"
        REQUEST_APPROVED = "request-approved", "Admin approved an access request"
        REQUEST_DENIED = "request-denied", "Admin denied an access request"
        GRANT_CHANGED = "grant-changed", "Admin changed who can open a dashboard"
        GROUP_MEMBER_ADDED = "group-member-added", "Admin added a user to a group"
        # Single sign-on (accounts/oidc.py): a sign-in through the identity provider, the
        # portal groups it added or removed, and a sign-in it refused (with the reason).
        PROVIDER_SIGN_IN = "provider-sign-in", "Signed in through the identity provider"
        PROVIDER_GROUPS = "provider-groups", "Identity provider changed the user's groups"
        SIGN_IN_REFUSED = "sign-in-refused", "Sign-in refused"

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so that events outlive users and dashboards.
    username = models.CharField(max_length=150, blank=True)
    dashboard = models.CharField(max_length=100, blank=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-time"]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.username or '-'} {self.action} {self.dashboard}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)


class LiveReports(models.Manager):
    """Reports that are not in the trash: what every page, list and permission check sees."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted__isnull=True)


class Report(models.Model):
    """A named, validated parameter set of one dashboard."""

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Only me"
        NAMED = "named", "People and groups I choose"
        EVERYONE = "everyone", "Everyone who can open the dashboard"

    # How long a deleted report waits in its owner's trash before `prune_trash` removes it.
    TRASH_DAYS = 30

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="reports")
    name = models.CharField(max_length=100, validators=[validate_plain_text])
    # Blank: a Dash Pages app without declared parameters saves only its page.
    params = models.JSONField(blank=True)
    # Which page of a Dash Pages app the report opens ("" for the first one).
    page = models.CharField(max_length=PAGE_PATH_MAX, blank=True, default="", validators=[validate_page_path])
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # Set when its owner deletes it: in their trash, restorable, until TRASH_DAYS have passed.
    deleted = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = LiveReports()
    with_trash = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        ordering = ["dashboard__title", "name"]
        # Related look-ups and the admin see trashed reports too; pages use `objects`.
        base_manager_name = "with_trash"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "dashboard", "name"],
                condition=Q(deleted__isnull=True),
                name="one_report_name_per_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReportShare(models.Model):
    """A report shared by name with one person or one group (visibility "named").

    Whether they may open it is decided when they open it: they must also be able to
    open its dashboard (`access.can_view`), so someone who loses the dashboard loses the report.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=False, user__isnull=True)
                | Q(group__isnull=True, user__isnull=False),
                name="share_with_group_or_user",
                violation_error_message="A report is shared with either a group or a person.",
            ),
            models.UniqueConstraint(fields=["report", "user"], name="one_share_per_user"),
            models.UniqueConstraint(fields=["report", "group"], name="one_share_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.report} → {self.group or self.user}"


class ReportNotice(models.Model):
    """ "Shared with you": one person told that a report was shared with them (by name or
    through a group), shown in the portal until they open it. It tells, never grants."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notices")
    shared_by = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    seen = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "report"], name="one_notice_per_report")]

    def __str__(self) -> str:
        return f"{self.user}: {self.report} shared by {self.shared_by}"


class DefaultReport(models.Model):
    """The report a user's dashboard opens with."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "dashboard"], name="one_default_per_dashboard")
        ]

    def __str__(self) -> str:
        return f"{self.user} opens {self.dashboard} with {self.report}"


class LastFilters(models.Model):
    """The filters a user last had on screen on a dashboard: they come back on the next
    visit. Not a report (no name, nobody else sees it) and not "my default" (which this
    takes precedence over until the user presses Reset or makes a report their default).
    Only values that passed the dashboard's parameters are stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="+")
    params = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "last filters"
        constraints = [
            models.UniqueConstraint(fields=["user", "dashboard"], name="one_last_filters_per_dashboard")
        ]

    def __str__(self) -> str:
        return f"{self.user}'s last filters on {self.dashboard}"


class Favourite(models.Model):
    """A dashboard a user starred: shown first in their gallery."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "dashboard"], name="one_favourite_per_dashboard")
        ]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.dashboard}"


class LivePoint(models.Model):
    """A point published to a live dashboard; open pages receive it over a websocket."""

    CLIENT_ID_MAX = 64

    dashboard = models.SlugField(max_length=64)
    series = models.CharField(max_length=64)
    value = models.FloatField()
    at = models.DateTimeField(default=timezone.now)
    # The publisher's own name for the point (`publish_point --id`), so that a retry
    # stores it once; empty: none. The database default lets code that predates the
    # column insert points while old and new instances serve side by side.
    client_id = models.CharField(max_length=CLIENT_ID_MAX, blank=True, default="", db_default="")

    class Meta:
        indexes = [models.Index(fields=["dashboard", "series", "-id"], name="live_point_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["dashboard", "series", "client_id"],
                condition=~models.Q(client_id=""),
                name="live_point_client_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dashboard}/{self.series} {self.value:g} at {self.at:%Y-%m-%d %H:%M:%S}"

    def to_json(self) -> dict:
        return {"id": self.pk, "at": self.at.isoformat(), "value": self.value}


class BackgroundJob(models.Model):
    """One run of a background callback: who started it where, and how it ended.

    The web process adds it when the job is queued; the worker (or, on diskcache, the
    poll that reads the answer) moves it on. An ended job never changes again.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"
        CANCELLED = "cancelled"
        LOST = "lost", "lost (its worker went away)"

    ENDED = (State.FINISHED, State.FAILED, State.CANCELLED, State.LOST)

    # Celery's task id, or the process id of a diskcache job (`job_queued`).
    job_id = models.CharField(max_length=64, unique=True)
    # Kept as text, as in the audit: records outlive users and dashboards.
    dashboard = models.CharField(max_length=100, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED, db_index=True)
    # The error's message only: a job's arguments and traceback stay out of the database.
    error = models.CharField(max_length=500, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self) -> str:
        return f"{self.dashboard} job of {self.username or '-'} at {self.queued_at:%Y-%m-%d %H:%M:%S}: {self.state}"


class ReportSchedule(models.Model):
    """A saved report e-mailed on a schedule: its charts, its data and a link, to its
    recipients, each checked at every send (dashboards.deliveries)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKDAYS = "weekdays", "Every weekday (Monday to Friday)"
        WEEKLY = "weekly", "Every week"
        MONTHLY = "monthly", "Every month"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="schedules")
    # Who set it up: they pause, edit and delete it, and see its deliveries.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    # Weekly: 0 is Monday. Monthly: 1–31, the month's last day when it is shorter.
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    # A wall-clock time in `time_zone`: 08:00 stays 08:00 across daylight-saving changes.
    # RECIPIENTS_ZONE: at that time in each recipient's own zone (User.time_zone).
    RECIPIENTS_ZONE = "recipient"
    time = models.TimeField()
    time_zone = models.CharField(max_length=64)
    include_owner = models.BooleanField(default=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    groups = models.ManyToManyField(Group, blank=True, related_name="+")
    # People who followed the unsubscribe link (a group member stays out when the group is named).
    opted_out = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    paused = models.BooleanField(default=False)
    next_due_at = models.DateTimeField(db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["next_due_at"]

    def __str__(self) -> str:
        return f"{self.report} ({self.get_frequency_display().lower()} at {self.time:%H:%M} {self.time_zone})"


class Alert(models.Model):
    """ "Tell me when conversion goes below 2%": a key figure of a saved report's view,
    checked every `every_minutes` (and soon after new live data), e-mailed once per
    crossing, not at every check."""

    class Condition(models.TextChoices):
        ABOVE = "above", "goes above"
        BELOW = "below", "goes below"
        CHANGE = "change", "changes by more than (%)"

    class Every(models.IntegerChoices):
        QUARTER_HOUR = 15, "every 15 minutes"
        HOUR = 60, "every hour"
        DAY = 1440, "every day"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="alerts")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    figure = models.CharField(max_length=100)
    condition = models.CharField(max_length=8, choices=Condition.choices)
    threshold = models.FloatField()
    every_minutes = models.PositiveIntegerField(choices=Every.choices, default=Every.HOUR)
    paused = models.BooleanField(default=False)
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    # What the last check saw: the condition held (a crossing is "now yes, before no").
    holding = models.BooleanField(default=False)
    last_value = models.FloatField(null=True, blank=True)
    # For "changes by": the value a change is measured from (when set up, then each alert sent).
    baseline = models.FloatField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["next_check_at"]

    def __str__(self) -> str:
        return f"{self.figure} {self.get_condition_display()} {self.threshold:g} on {self.report}"


class Delivery(models.Model):
    """One recipient's copy of one due time of a schedule (or one crossing of an alert):
    claimed once, then sent, skipped (with the reason) or failed after its retries."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        SKIPPED = "skipped"
        FAILED = "failed"

    schedule = models.ForeignKey(
        ReportSchedule, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # An alert's: the value that crossed, and what a change was measured from.
    value = models.FloatField(null=True, blank=True)
    reference = models.FloatField(null=True, blank=True)
    due_at = models.DateTimeField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            # Exactly once per due time and recipient, however many schedulers run.
            models.UniqueConstraint(
                fields=["schedule", "due_at", "recipient"], name="one_delivery_per_due_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} to {self.recipient} at {self.due_at:%Y-%m-%d %H:%M}: {self.status}"

    @property
    def report(self) -> Report:
        return (self.schedule or self.alert).report
