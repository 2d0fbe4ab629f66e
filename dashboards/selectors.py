from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from dashboards import registry
from dashboards.access import can_view
from dashboards.spec import Dashboard


def dashboard_list_for_user(
    *, user: AbstractBaseUser | AnonymousUser, category: str = "", query: str = ""
) -> list[Dashboard]:
    """Dashboards the user may open, filtered by category and free text."""
    words = query.lower().split()
    found = []
    for dashboard in registry.all_dashboards():
        if not can_view(user=user, dashboard=dashboard):
            continue
        if category and dashboard.category != category:
            continue
        text = " ".join(
            [dashboard.title, dashboard.description, dashboard.category, *dashboard.features, *dashboard.tags]
        ).lower()
        if all(word in text for word in words):
            found.append(dashboard)
    return sorted(found, key=lambda d: (d.category, d.title))


def category_list_for_user(*, user: AbstractBaseUser | AnonymousUser) -> list[str]:
    return sorted({d.category for d in dashboard_list_for_user(user=user)})
