"""A small fixed cast of users, and the checks that the right services are in use."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session", autouse=True)
def required_services(django_db_setup, django_db_blocker):
    """With REQUIRE_SERVICES=1 (CI), a missing PostgreSQL or Redis is a failure."""
    if os.environ.get("REQUIRE_SERVICES") != "1":
        return
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", f"expected PostgreSQL, got {connection.vendor}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "expected the Redis cache"
    cache.set("ci-probe", "ok", 5)
    assert cache.get("ci-probe") == "ok", "Redis did not answer"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield


def make_user(username: str, *, groups: tuple[str, ...] = (), **extra):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def sales(db):
    return make_user("sales", groups=("Sales",))


@pytest.fixture
def viewer(db):
    return make_user("viewer")


@pytest.fixture
def inactive(db):
    return make_user("gone", is_active=False)


@pytest.fixture
def superuser(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def sales_client(client, sales):
    client.force_login(sales)
    return client
