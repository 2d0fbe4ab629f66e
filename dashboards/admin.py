from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django_plotly_dash import admin as dpd_admin  # noqa: F401  (registers what we unregister)
from django_plotly_dash.models import DashApp, StatelessApp

from dashboards import registry
from dashboards.access import can_view
from dashboards.models import AccessRequest, AuditEvent, Dashboard, DashboardGrant
from dashboards.services import access_request_approve, dashboard_open_to_all_set, grant_change_record

# The portal's dashboards are defined in code; django-plotly-dash's own
# database-backed apps are not used and would only confuse admins.
admin.site.unregister(DashApp)
admin.site.unregister(StatelessApp)


class GroupGrantInline(admin.TabularInline):
    model = DashboardGrant
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
    list_display = ["title", "slug", "category", "available", "open_to_all", "grant_count"]
    list_filter = ["available", "open_to_all", "category", "grants__group"]
    search_fields = ["title", "slug", "category"]
    fields = ["slug", "title", "category", "available", "open_to_all", "who_can_open"]
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
        # `open_to_all` is the only field an admin edits here.
        current = Dashboard.objects.get(pk=obj.pk)
        dashboard_open_to_all_set(dashboard=current, value=obj.open_to_all, actor=request.user)

    def save_formset(self, request, form, formset, change):
        grants = formset.save(commit=False)
        for grant in formset.deleted_objects:
            grant.delete()
            grant_change_record(grant=grant, change="removed", request=request)
        for grant in grants:
            grant.save()
            grant_change_record(grant=grant, change="added", request=request)


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "dashboard", "status", "created", "decided", "decided_by"]
    list_filter = ["status", "dashboard", "created"]
    search_fields = ["user__username", "dashboard__title", "dashboard__slug"]
    readonly_fields = ["user", "dashboard", "status", "created", "decided", "decided_by"]
    actions = ["approve"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Approve: grant the dashboard to the requesting user")
    def approve(self, request, queryset):
        pending = queryset.filter(status=AccessRequest.Status.PENDING).select_related("user", "dashboard")
        for access_request in pending:
            access_request_approve(access_request=access_request, actor=request.user)
        self.message_user(request, f"Approved {len(pending)} request(s).", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["time", "username", "action", "dashboard", "params", "ip", "duration_ms", "row_count"]
    list_filter = ["action", "dashboard", "time", "username"]
    search_fields = ["username", "dashboard"]
    date_hierarchy = "time"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def dashboards_user_can_open(user) -> list[str]:
    return [d.title for d in registry.all_dashboards() if can_view(user=user, dashboard=d)]
