from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html_join

from accounts.models import ProviderGroupMapping, ProviderIdentity, User
from dashboards.admin import dashboards_user_can_open

admin.site.site_header = "Dash Engine administration"
admin.site.site_title = "Dash Engine admin"
admin.site.index_title = "Users, groups and dashboard access"


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
    list_filter = [*BaseUserAdmin.list_filter]
    # Kept by the site, not typed in.
    readonly_fields = ["last_login", "date_joined", "dashboards_this_user_can_open"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Dashboard access", {"fields": ["dashboards_this_user_can_open"]}),
    ]
    inlines = [ProviderIdentityInline]

    @admin.display(description="dashboards this user can open")
    def dashboards_this_user_can_open(self, obj):
        titles = dashboards_user_can_open(obj) if obj.pk else []
        if not titles:
            return "None."
        return format_html_join(", ", "{}", ((t,) for t in titles))


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
