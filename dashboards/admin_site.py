"""Django's admin, arranged for this portal: its own models first, the users × dashboards
grid beside them, and the site's internals (login throttling, background-job records)
shown to superusers only.

Installed in place of `django.contrib.admin` (INSTALLED_APPS), as Django's docs describe
for overriding the default admin site: every `admin.site.register` lands here.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

# Apps and models an admin who manages access has no use for: the login-throttling
# tables of django-axes and the background-job records. Superusers still see them.
INTERNAL_APPS = {"axes"}
INTERNAL_MODELS = {("dashboards", "backgroundjob")}
# The portal's sections first, in this order; anything else after them.
APP_ORDER = ["dashboards", "accounts", "auth"]
MODEL_ORDER = {
    "dashboards": ["AccessRequest", "Dashboard", "AuditEvent", "BackgroundJob"],
    "accounts": ["User", "ProviderGroupMapping"],
}
GRID_USERS_PER_PAGE = 100


def is_internal(app_label: str, model_name: str) -> bool:
    return app_label in INTERNAL_APPS or (app_label, model_name) in INTERNAL_MODELS


class PortalAdminSite(admin.AdminSite):
    site_header = "Dash Engine administration"
    site_title = "Dash Engine admin"
    index_title = "Users, groups and dashboard access"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        if not request.user.is_superuser:
            for app in app_list:
                app["models"] = [
                    m for m in app["models"] if not is_internal(app["app_label"], m["object_name"].lower())
                ]
            app_list = [app for app in app_list if app["models"] and app["app_label"] not in INTERNAL_APPS]
        for app in app_list:
            order = MODEL_ORDER.get(app["app_label"], [])
            app["models"].sort(
                key=lambda m: order.index(m["object_name"]) if m["object_name"] in order else len(order)
            )
            if app["app_label"] == "dashboards" and can_see_grid(request):
                app["models"].insert(
                    1,
                    {
                        "name": "Who can open what (users × dashboards)",
                        "object_name": "AccessGrid",
                        "admin_url": reverse("admin:access_grid"),
                        "add_url": None,
                        "view_only": True,
                        "perms": {"view": True},
                    },
                )
        rank = {label: i for i, label in enumerate(APP_ORDER)}
        return sorted(app_list, key=lambda app: rank.get(app["app_label"], len(rank)))

    def get_urls(self):
        return [
            path("access/", self.admin_view(self.access_grid_view), name="access_grid"),
            *super().get_urls(),
        ]

    def access_grid_view(self, request: HttpRequest) -> HttpResponse:
        """Every active user × every available dashboard: who can open what, and why."""
        # Imported here: this module is loaded with the app registry, before any model.
        from django.contrib.auth.models import Group
        from django.core.exceptions import PermissionDenied

        from dashboards.selectors import access_grid

        if not can_see_grid(request):
            raise PermissionDenied
        groups = list(Group.objects.order_by("name"))
        raw = request.GET.get("group", "")
        group = next((g for g in groups if str(g.pk) == raw), None)
        grid = access_grid(group=group)
        page = Paginator(grid.rows, GRID_USERS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            **self.each_context(request),
            "title": "Who can open what",
            "subtitle": None,
            "grid": grid,
            "rows": page,
            "groups": groups,
            "group": group,
            "group_raw": raw,
            "unknown_group": bool(raw) and group is None,
        }
        status = 400 if raw and group is None else 200
        return TemplateResponse(request, "admin/dashboards/access_grid.html", context, status=status)


def can_see_grid(request: HttpRequest) -> bool:
    """The grid names users and what they can open: for whoever may see both in the admin."""
    user = request.user
    return (
        user.is_active
        and user.is_staff
        and (
            user.is_superuser
            or (user.has_perm("dashboards.view_dashboard") and user.has_perm("accounts.view_user"))
        )
    )


def _superusers_only(model_admin) -> None:
    """Hide a registered model's pages from staff who are not superusers (index, menus, URLs)."""

    def superuser(request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    for name in ("has_module_permission", "has_view_permission", "has_change_permission"):
        original = getattr(model_admin, name)

        def check(request, obj=None, _original=original, _name=name):
            if not superuser(request):
                return False
            return _original(request) if _name == "has_module_permission" else _original(request, obj)

        setattr(model_admin, name, check)


class PortalAdminConfig(AdminConfig):
    default_site = "dashboards.admin_site.PortalAdminSite"

    def ready(self):
        super().ready()  # autodiscover: every app's admin module is imported now
        for model in apps.get_models():
            if admin.site.is_registered(model) and is_internal(model._meta.app_label, model._meta.model_name):
                _superusers_only(admin.site.get_model_admin(model))
