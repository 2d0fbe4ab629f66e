"""The one permission decision: may this user open this dashboard?

Every entry point calls `can_view`: the gallery (as a filter), the dashboard
page, every django-plotly-dash route (through `integration`), and anything
added later.

Cost: the set of dashboards a user may open is one database query, cached
(shared, and in the process) under an access version. Any change to grants, dashboards or group membership
bumps the version after its transaction commits, so every process sees the
change on its next request (the cache is Redis when `REDIS_URL` is set).
"""

from __future__ import annotations

import time

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from dashkit import spec

VERSION_KEY = "access:version"
DECISION_TTL = 300  # seconds; a version bump makes old entries unreachable at once
# Decisions this process has seen, by the same versioned key: a cache round trip
# less per request. Only the version is read from the shared cache each time.
_decisions: dict[str, frozenset[str]] = {}
DECISIONS_KEPT = 10_000

User = AbstractBaseUser | AnonymousUser


def _bump() -> None:
    cache.set(VERSION_KEY, time.time_ns(), None)


def access_changed() -> None:
    """Call after anything that can change who sees what.

    Bumps now, for the rest of this transaction, and again after commit: a
    process that cached the old state between the two sees the change then.
    """
    _bump()
    transaction.on_commit(_bump)


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
    version = cache.get_or_set(VERSION_KEY, time.time_ns, None)
    key = f"access:{version}:{user.pk}"
    slugs = _decisions.get(key) or cache.get(key)
    if slugs is None:
        granted = Q(open_to_all=True) | Q(grants__user=user) | Q(grants__group__user=user)
        slugs = frozenset(
            Dashboard.objects.filter(granted, available=True).values_list("slug", flat=True).distinct()
        )
        cache.set(key, slugs, DECISION_TTL)
    if len(_decisions) > DECISIONS_KEPT:
        _decisions.clear()
    _decisions[key] = slugs
    user._viewable_slugs = slugs
    return slugs


def decided_slugs(user: User, *, version: int) -> frozenset[str] | None:
    """What this process decided for this user at this access version, if it has:
    kept on the user, so that `can_view` does not read the version again."""
    slugs = _decisions.get(f"access:{version}:{user.pk}")
    if slugs is not None:
        user._viewable_slugs = slugs
    return slugs


def can_view(*, user: User, dashboard: spec.Dashboard) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return dashboard.slug in viewable_slugs(user)
