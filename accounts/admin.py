from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html_join

from accounts.models import User
from dashboards.admin import dashboards_user_can_open

admin.site.site_header = "Dash Engine administration"
admin.site.site_title = "Dash Engine admin"
admin.site.index_title = "Users, groups and dashboard access"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_filter = [*BaseUserAdmin.list_filter]
    # Kept by the site, not typed in.
    readonly_fields = ["last_login", "date_joined", "dashboards_this_user_can_open"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Dashboard access", {"fields": ["dashboards_this_user_can_open"]}),
    ]

    @admin.display(description="dashboards this user can open")
    def dashboards_this_user_can_open(self, obj):
        titles = dashboards_user_can_open(obj) if obj.pk else []
        if not titles:
            return "None."
        return format_html_join(", ", "{}", ((t,) for t in titles))
