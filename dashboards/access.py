"""The one permission decision: may this user open this dashboard?

Every entry point calls `can_view`: the gallery (as a filter), the dashboard
page and every django-plotly-dash route (through `integration`).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from dashboards.spec import Dashboard


def can_view(*, user: AbstractBaseUser | AnonymousUser, dashboard: Dashboard) -> bool:
    return bool(user.is_authenticated and user.is_active)
