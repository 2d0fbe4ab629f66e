from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.models import ProviderGroupMapping, ProviderIdentity, User
from dashboards.selectors import access_ways_for_user

# The site's titles: dashboards/admin_site.py (PortalAdminSite).


class ProviderIdentityInline(admin.TabularInline):
    """Which identity at the provider signs in as this user (kept by the sign-in itself)."""

    model = ProviderIdentity
    extra = 0
    can_delete = True  # unlinks: the next sign-in of that identity links or creates again
    fields = ["issuer", "subject", "created"]
    readonly_fields = fields
    verbose_name_plural = "signs in with the identity provider as"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """A user as an admin of this portal sees one: who they are, how they sign in, their
    groups and what those let them open. No password hash details; Django's per-model
    permissions only where they mean something (a staff user, set by a superuser)."""

    list_filter = [*BaseUserAdmin.list_filter]
    # Kept by the site, not typed in.
    readonly_fields = ["last_login", "date_joined", "sign_in", "dashboards_this_user_can_open", "time_zone"]
    inlines = [ProviderIdentityInline]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)  # the add form: username and password
        access = ["is_active", "is_staff", "groups"]
        if request.user.is_superuser:
            access.insert(2, "is_superuser")
            if obj.is_staff:
                access.append("user_permissions")
        return [
            (None, {"fields": ["username", "sign_in"]}),
            ("Personal info", {"fields": ["first_name", "last_name", "email", "time_zone"]}),
            (
                "Groups and dashboard access",
                {
                    "fields": [*access, "dashboards_this_user_can_open"],
                    "description": "A user opens the dashboards granted to any of their groups or to them alone. "
                    "“Staff” is about this admin only.",
                },
            ),
            ("Important dates", {"fields": ["last_login", "date_joined"]}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "groups" in form.base_fields:
            form.base_fields[
                "groups"
            ].help_text = (
                "The groups this user belongs to: they can open every dashboard granted to any of them."
            )
        if "user_permissions" in form.base_fields:
            form.base_fields[
                "user_permissions"
            ].help_text = "What this staff user may do in this admin, besides what their groups allow."
        return form

    @admin.display(description="sign-in")
    def sign_in(self, obj):
        if obj.has_usable_password():
            return format_html(
                'With a password. <a href="{}">Set a new password</a>',
                reverse("admin:auth_user_password_change", args=[obj.pk]),
            )
        return "Through the identity provider (no password here)."

    @admin.display(description="dashboards this user can open")
    def dashboards_this_user_can_open(self, obj):
        ways = access_ways_for_user(user=obj) if obj.pk else []
        if not ways:
            return "None."
        return format_html_join(", ", "{} ({})", ((d.title, ", ".join(w)) for d, w in ways))


@admin.register(ProviderGroupMapping)
class ProviderGroupMappingAdmin(admin.ModelAdmin):
    """Provider group → portal group: what single sign-on gives and takes at every sign-in."""

    list_display = ["provider_group", "group"]
    list_select_related = ["group"]
    search_fields = ["provider_group", "group__name"]
    autocomplete_fields = ["group"]
    fieldsets = [
        (
            None,
            {
                "fields": ["provider_group", "group"],
                "description": (
                    "At every sign-in through the identity provider, a user gets each portal group "
                    "mapped from one of their provider groups, and loses each mapped portal group "
                    "that none of their provider groups gives any more. Portal groups that no "
                    "mapping names are never changed by a sign-in: groups given here by hand stay."
                ),
            },
        )
    ]
