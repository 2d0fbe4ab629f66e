from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django_plotly_dash import admin as dpd_admin  # noqa: F401  (registers what we unregister)
from django_plotly_dash.models import DashApp, StatelessApp

from dashboards import registry
from dashboards.mail import mail_configured
from dashboards.models import (
    AccessRequest,
    Alert,
    AuditEvent,
    BackgroundJob,
    Dashboard,
    DashboardGrant,
    Delivery,
    ReportSchedule,
)
from dashboards.selectors import access_ways_for_user
from dashboards.services import (
    access_request_approve,
    access_request_deny,
    dashboard_discoverable_set,
    dashboard_open_to_all_set,
    grant_change_record,
)

# The portal's dashboards are defined in code; django-plotly-dash's own
# database-backed apps are not used and would only confuse admins.
admin.site.unregister(DashApp)
admin.site.unregister(StatelessApp)


class GrantFormSet(BaseInlineFormSet):
    """Each grant's Delete box says which grant it removes (Django's has no label at all)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields and form.instance.pk:
            grant = form.instance
            who = (
                f"the group {grant.group.name}" if grant.group_id else f"the user {grant.user.get_username()}"
            )
            form.fields["DELETE"].label = f"Remove the grant to {who}"
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Remove the grant to {who}"


class GroupGrantInline(admin.TabularInline):
    model = DashboardGrant
    formset = GrantFormSet
    fields = ["group", "created"]
    readonly_fields = ["created"]
    extra = 0
    verbose_name = "grant to a group"
    verbose_name_plural = "grants to groups (roles)"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(group__isnull=False).select_related("group")

    def has_change_permission(self, request, obj=None):
        # A grant is added or removed, never edited: the audit trail says which.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        field.required = True
        return field


class UserGrantInline(GroupGrantInline):
    fields = ["user", "created"]
    autocomplete_fields = ["user"]
    verbose_name = "grant to a user"
    verbose_name_plural = "grants to single users"

    def get_queryset(self, request):
        return (
            admin.TabularInline.get_queryset(self, request).filter(user__isnull=False).select_related("user")
        )


def users_who_can_open(dashboard: Dashboard):
    """The admin's view of `access.can_view`, as one query over all users."""
    User = get_user_model()
    active = User.objects.filter(is_active=True)
    if not dashboard.available:
        return active.none()  # its module is gone: nobody can open it
    if dashboard.open_to_all:
        return active
    granted = Q(is_superuser=True) | Q(pk__in=dashboard.grants.filter(user__isnull=False).values("user"))
    granted |= Q(groups__in=dashboard.grants.filter(group__isnull=False).values("group"))
    return active.filter(granted).distinct().order_by("username")


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "category", "available", "open_to_all", "discoverable", "grant_count"]
    list_filter = ["available", "open_to_all", "discoverable", "category", "grants__group"]
    search_fields = ["title", "slug", "category"]
    fields = ["slug", "title", "category", "available", "open_to_all", "discoverable", "who_can_open"]
    readonly_fields = ["slug", "title", "category", "available", "who_can_open"]
    inlines = [GroupGrantInline, UserGrantInline]

    def has_add_permission(self, request):
        return False  # dashboards come from code

    def changelist_view(self, request, extra_context=None):
        # A catalogue module that fails to load is not served; say so where admins look.
        for module, trace in registry.catalogue().failed.items():
            messages.error(
                request,
                format_html(
                    "Catalogue module {} failed to load and is not served:<pre>{}</pre>", module, trace
                ),
            )
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False  # a vanished module is marked unavailable instead

    @admin.display(description="grants")
    def grant_count(self, obj):
        return obj.grants.count()

    @admin.display(description="who can open this dashboard")
    def who_can_open(self, obj):
        users = users_who_can_open(obj)
        if not users:
            return "Nobody."
        return format_html_join(", ", "{}", ((u.get_username(),) for u in users))

    def save_model(self, request, obj, form, change):
        # `open_to_all` and `discoverable` are the only fields an admin edits here.
        current = Dashboard.objects.get(pk=obj.pk)
        dashboard_open_to_all_set(dashboard=current, value=obj.open_to_all, actor=request.user)
        dashboard_discoverable_set(dashboard=current, value=obj.discoverable, actor=request.user)

    def save_formset(self, request, form, formset, change):
        grants = formset.save(commit=False)
        for grant in formset.deleted_objects:
            grant.delete()
            grant_change_record(grant=grant, change="removed", request=request)
        for grant in grants:
            grant.save()
            grant_change_record(grant=grant, change="added", request=request)


# The admin's home page leads with the requests waiting for a decision.
admin.site.index_template = "admin/dashboards/index.html"

DECISIONS = {"_approve": "approve", "_deny": "deny"}
UNTIL_DECIDED = {"decided", "decided_by", "seen"}  # empty while a request waits


GRANT_ALONE = "user"


class AccessRequestForm(forms.ModelForm):
    """The note, and for a pending request how to let the requester in: a grant to them
    alone, or membership of a group that can open the dashboard (what its members get)."""

    give_access_by = forms.ChoiceField(
        label="If approved, give access by",
        widget=forms.RadioSelect,
        required=False,
        help_text="Adding them to a group also gives them every other dashboard that group can open.",
    )

    class Meta:
        model = AccessRequest
        fields = ["note"]
        labels = {"note": "Note to the requester"}
        help_texts = {"note": "Optional: shown to them with your decision."}
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "cols": 60, "maxlength": 500})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "give_access_by" in self.fields:
            self.fields["give_access_by"].choices = approval_choices(self.instance)
            self.fields["give_access_by"].initial = GRANT_ALONE


def approval_groups(access_request: AccessRequest) -> list[Group]:
    """Groups that can open the requested dashboard and that the requester is not in."""
    dashboard = access_request.dashboard
    groups = Group.objects.exclude(user=access_request.user).order_by("name")
    if not dashboard.open_to_all:
        groups = groups.filter(pk__in=dashboard.grants.filter(group__isnull=False).values("group"))
    return list(groups)


def approval_choices(access_request: AccessRequest) -> list[tuple[str, str]]:
    if access_request.pk is None:
        return []
    who, what = access_request.user.get_username(), access_request.dashboard.title
    choices = [(GRANT_ALONE, f"A grant of {what} to {who} alone")]
    choices += [
        (f"group:{g.pk}", f"Adding {who} to the group {g.name}") for g in approval_groups(access_request)
    ]
    return choices


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    """A pending request is approved (by a grant to the requester or by adding them to a
    group) or denied from its own page, with a note to the requester and the requester's
    context beside it; the list's actions approve by grant or deny many at once."""

    form = AccessRequestForm
    list_display = ["user", "dashboard", "status", "short_reason", "created", "decided", "decided_by"]
    list_filter = ["status", "dashboard", "created"]
    search_fields = ["user__username", "dashboard__title", "dashboard__slug"]
    fields = [
        "user",
        "dashboard",
        "reason",
        "created",
        "requester_groups",
        "requester_can_open",
        "requester_earlier_requests",
        "status",
        "decided",
        "decided_by",
        "note",
        "give_access_by",
        "seen",
    ]
    CONTEXT = ["requester_groups", "requester_can_open", "requester_earlier_requests"]
    actions = ["approve", "deny"]

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        pending = obj is not None and obj.status == AccessRequest.Status.PENDING
        extra_context = {
            "title": "Approve or deny this request" if pending else "Access request",
            "mail_configured": mail_configured(),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status == AccessRequest.Status.PENDING:
            return [name for name in self.fields if name not in UNTIL_DECIDED]
        return [name for name in self.fields if name != "give_access_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == AccessRequest.Status.PENDING:
            return [name for name in self.get_fields(request, obj) if name not in ("note", "give_access_by")]
        return self.get_fields(request, obj)  # a decision is final: a record, not a form

    @admin.display(description="reason")
    def short_reason(self, obj):
        return Truncator(obj.reason).chars(60)

    @admin.display(description="their groups")
    def requester_groups(self, obj):
        names = sorted(obj.user.groups.values_list("name", flat=True), key=str.lower)
        return ", ".join(names) if names else "None."

    @admin.display(description="what they can open now")
    def requester_can_open(self, obj):
        ways = access_ways_for_user(user=obj.user)
        if not ways:
            return "Nothing yet." if obj.user.is_active else "Nothing: the account is inactive."
        return format_html(
            '<ul class="requester-context">{}</ul>',
            format_html_join(
                "", '<li>{} <span class="help">({})</span></li>', ((d.title, ", ".join(w)) for d, w in ways)
            ),
        )

    @admin.display(description="their earlier requests for it")
    def requester_earlier_requests(self, obj):
        earlier = (
            AccessRequest.objects.filter(user=obj.user, dashboard=obj.dashboard)
            .exclude(pk=obj.pk)
            .order_by("-created")[:5]
        )
        if not earlier:
            return "None."
        return format_html(
            '<ul class="requester-context">{}</ul>',
            format_html_join(
                "",
                "<li>{} on {}{}</li>",
                (
                    (
                        r.get_status_display().capitalize(),
                        f"{r.created:%-d %b %Y}",
                        f": “{r.note}”" if r.note else "",
                    )
                    for r in earlier
                ),
            ),
        )

    def save_model(self, request, obj, form, change):
        # Only a decision changes a request; the note goes with it.
        decision = next((name for key, name in DECISIONS.items() if key in request.POST), None)
        if decision is None:
            return
        note = form.cleaned_data.get("note", "")
        try:
            if decision == "approve":
                group = _chosen_group(form.cleaned_data.get("give_access_by") or GRANT_ALONE, obj)
                access_request_approve(
                    access_request=obj, actor=request.user, note=note, group=group, request=request
                )
                request._access_request_group = group
            else:
                access_request_deny(access_request=obj, actor=request.user, note=note, request=request)
        except ValidationError as error:
            request._access_request_refused = " ".join(error.messages)
        else:
            request._access_request_decided = decision

    def response_change(self, request, obj):
        refused = getattr(request, "_access_request_refused", None)
        decided = getattr(request, "_access_request_decided", None)
        if refused:
            self.message_user(request, refused, messages.ERROR)
            return HttpResponseRedirect(request.path)
        if decided is None:
            return super().response_change(request, obj)
        who, what = obj.user.get_username(), obj.dashboard.title
        group = getattr(request, "_access_request_group", None)
        if decided == "approve" and group is not None:
            text = f"Approved: {who} is now in the group {group.name} and can open {what}."
        elif decided == "approve":
            text = f"Approved: {who} can now open {what}."
        else:
            text = f"Denied: {who} does not get access to {what}."
        told = " They will be told on their next visit" + (
            " and by e-mail." if mail_configured() and obj.user.email else "."
        )
        self.message_user(request, text + told, messages.SUCCESS)
        pending = reverse("admin:dashboards_accessrequest_changelist") + "?status__exact=pending"
        return HttpResponseRedirect(pending)

    def _decide_many(self, request, queryset, decide) -> int:
        done = 0
        for access_request in queryset.filter(status=AccessRequest.Status.PENDING).select_related(
            "user", "dashboard"
        ):
            try:
                decide(access_request=access_request, actor=request.user, request=request)
            except ValidationError:  # decided by someone else meanwhile
                continue
            done += 1
        return done

    @admin.action(description="Approve: grant the dashboard to the requesting user")
    def approve(self, request, queryset):
        done = self._decide_many(request, queryset, access_request_approve)
        self.message_user(request, f"Approved {done} request(s).", messages.SUCCESS)

    @admin.action(description="Deny the selected requests")
    def deny(self, request, queryset):
        done = self._decide_many(request, queryset, access_request_deny)
        self.message_user(request, f"Denied {done} request(s).", messages.SUCCESS)


def _chosen_group(choice: str, access_request: AccessRequest) -> Group | None:
    """The group of a "group:<id>" choice (None: a grant alone); the form already checked
    that it is one of the choices offered."""
    if not choice.startswith("group:"):
        return None
    group = Group.objects.filter(pk=choice.removeprefix("group:")).first()
    if group is None:
        raise ValidationError("That group no longer exists. Choose again.")
    return group


class _ValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by the values found, with the empty value named: its link needs words."""

    blank_label = "(none)"

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield choice if choice["display"] != "" else {**choice, "display": self.blank_label}


class _UsernameFilter(_ValuesFilter):
    blank_label = "(not signed in)"


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept by the portal itself: shown, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BackgroundJob)
class BackgroundJobAdmin(_ReadOnlyAdmin):
    """Read-only: what ran where, and why the last failures failed."""

    list_display = ["queued_at", "dashboard", "username", "state", "error", "worker", "took"]
    list_filter = ["state", ("dashboard", _ValuesFilter), "queued_at", ("username", _UsernameFilter)]
    search_fields = ["username", "dashboard", "error"]
    date_hierarchy = "queued_at"

    @admin.display(description="took")
    def took(self, job: BackgroundJob) -> str:
        if job.started_at is None or job.ended_at is None:
            return "-"
        return f"{(job.ended_at - job.started_at).total_seconds():.1f} s"


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    """Every schedule: admins pause or delete one; its owner sets it up on the reports page."""

    list_display = ["report", "owner", "frequency", "time", "time_zone", "paused", "next_due_at"]
    list_filter = ["paused", "frequency", ("report__dashboard__title", _ValuesFilter)]
    search_fields = ["report__name", "owner__username"]
    fields = ["report", "owner", "frequency", "weekday", "day_of_month", "time", "time_zone", "paused"]
    readonly_fields = ["report", "owner", "frequency", "weekday", "day_of_month", "time", "time_zone"]

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Every alert: admins pause or delete one; its owner sets it up on the report's e-mails page."""

    list_display = [
        "figure",
        "condition",
        "threshold",
        "report",
        "owner",
        "last_value",
        "paused",
        "next_check_at",
    ]
    list_filter = ["paused", "condition"]
    search_fields = ["figure", "report__name", "owner__username"]
    fields = ["report", "owner", "figure", "condition", "threshold", "every_minutes", "last_value", "paused"]
    readonly_fields = ["report", "owner", "figure", "condition", "threshold", "every_minutes", "last_value"]

    def has_add_permission(self, request):
        return False


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnlyAdmin):
    """The delivery log of schedules and alerts: sent, skipped and failed, with the reason."""

    list_display = ["due_at", "report", "kind", "recipient", "status", "reason", "attempts", "sent_at"]
    list_filter = ["status", "due_at"]
    search_fields = ["recipient__username", "schedule__report__name", "alert__report__name", "reason"]
    date_hierarchy = "due_at"
    list_select_related = ["schedule__report", "alert__report", "recipient"]

    @admin.display(description="report")
    def report(self, delivery: Delivery) -> str:
        return str(delivery.report)

    @admin.display(description="for")
    def kind(self, delivery: Delivery) -> str:
        return "schedule" if delivery.schedule_id else f"alert on {delivery.alert.figure}"


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnlyAdmin):
    list_display = ["time", "username", "action", "dashboard", "params", "ip", "duration_ms", "row_count"]
    list_filter = ["action", ("dashboard", _ValuesFilter), "time", ("username", _UsernameFilter)]
    search_fields = ["username", "dashboard"]
    date_hierarchy = "time"
