"""The one permission decision: may this user open this dashboard?

Every entry point calls `can_view`: the gallery (as a filter), the dashboard
page, every django-plotly-dash route (through `integration`), the live feed,
and anything added later.

The decision is read from the database on every request (one query, kept on
the user object for the rest of that request): a grant revoked, a group left
or a dashboard withdrawn — through the admin, a command or `QuerySet.update` —
is in force at the next request on every instance, whatever the cache does.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q

from dashkit import spec

User = AbstractBaseUser | AnonymousUser


def viewable_slugs(user: User) -> frozenset[str]:
    """Slugs of the available dashboards this (active, non-superuser) user was granted."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    memo = getattr(user, "_viewable_slugs", None)
    if memo is not None:
        return memo
    from dashboards.models import Dashboard
    from dashboards.services import dashboards_sync_once

    dashboards_sync_once()
    granted = Q(open_to_all=True) | Q(grants__user=user) | Q(grants__group__user=user)
    slugs = frozenset(
        Dashboard.objects.filter(granted, available=True).values_list("slug", flat=True).distinct()
    )
    user._viewable_slugs = slugs
    return slugs


def can_view(*, user: User, dashboard: spec.Dashboard) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return dashboard.slug in viewable_slugs(user)
