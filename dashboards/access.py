"""The one permission decision: may this user open this dashboard?

Every entry point calls `can_view`: the gallery (as a filter), the dashboard
page, every django-plotly-dash route (through `integration`), and anything
added later.

Cost: the set of dashboards a user may open is one database query, cached
(shared, and in the process) under an access version. Any change to grants, dashboards or group membership
bumps the version after its transaction commits, so every process sees the
change on its next request (the cache is Redis when `REDIS_URL` is set).

A decision is used for DECISION_SECONDS at most, wherever it is kept: a bump
the cache dropped (django-redis ignores a failed write) delays
a revoke by seconds, never longer. Costs one query per user every few seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from dashkit import spec

VERSION_KEY = "access:version"
# How old a decision may be when it is used; a version bump makes it unreachable at once.
DECISION_SECONDS = 10
# Decisions this process has seen, by the same versioned key, with the time each
# was made: a cache round trip less per request. The version is read every time.
_decisions: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()
DECISIONS_KEPT = 10_000
_keeping = threading.Lock()

User = AbstractBaseUser | AnonymousUser


def _now() -> float:
    # Wall-clock time: a decision's age must mean the same in every process.
    return time.time()


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
    key = f"access:decision:{version}:{user.pk}"
    now = _now()
    kept = _decisions.get(key) or cache.get(key)
    if isinstance(kept, tuple) and 0 <= now - kept[0] <= DECISION_SECONDS:
        slugs = kept[1]
    else:
        granted = Q(open_to_all=True) | Q(grants__user=user) | Q(grants__group__user=user)
        slugs = frozenset(
            Dashboard.objects.filter(granted, available=True).values_list("slug", flat=True).distinct()
        )
        kept = (now, slugs)
        cache.set(key, kept, DECISION_SECONDS)
    with _keeping:  # request threads share it
        _decisions[key] = kept
        _decisions.move_to_end(key)
        while len(_decisions) > DECISIONS_KEPT:  # the oldest go first
            _decisions.popitem(last=False)
    user._viewable_slugs = slugs
    return slugs


def can_view(*, user: User, dashboard: spec.Dashboard) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return dashboard.slug in viewable_slugs(user)
