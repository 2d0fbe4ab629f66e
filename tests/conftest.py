"""A small fixed cast of users, and the checks that the right services are in use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from dashboards.models import Dashboard
from dashboards.services import dashboards_sync, grant_add

PASSWORD = "correct-horse-battery-staple"


def pytest_sessionstart(session):
    """SQLite test databases are files (settings.py); Django removes each one after its
    run but not SQLite's -wal and -shm files beside it: clear those of finished runs."""
    for leftover in (settings.BASE_DIR / "var").glob("test-*.sqlite3*"):
        pid = int(leftover.name.split("-")[1].split(".")[0])
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session", autouse=True)
def required_services(django_db_setup, django_db_blocker):
    """With REQUIRE_SERVICES=1 (CI), a missing PostgreSQL or Redis is a failure."""
    if os.environ.get("REQUIRE_SERVICES") != "1":
        yield
        return
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", f"expected PostgreSQL, got {connection.vendor}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "expected the Redis cache"
    cache.set("ci-probe", "ok", 5)
    assert cache.get("ci-probe") == "ok", "Redis did not answer"
    yield
    # Threads of live servers and of the ASGI bridge keep their own connections to the
    # test database; PostgreSQL would refuse to drop it while they are open.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _fresh_state(settings):
    cache.clear()
    # Hashing is not under test; the default hasher would make each user cost ~0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, *, groups: tuple[str, ...] = (), **extra):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def stocktoday(db):
    dashboards_sync()
    return Dashboard.objects.get(slug="stocktoday")


@pytest.fixture
def cast(stocktoday):
    """Everyone the tests need, each with a different way in (or none).

    Stock Today is granted to the group Sales and to the user alice.
    """
    users = {
        "sales": make_user("sales", groups=("Sales",)),  # group grant
        "alice": make_user("alice"),  # user grant
        "marketing": make_user("marketing", groups=("Marketing",)),  # a group without a grant
        "viewer": make_user("viewer"),  # no group, no grant
        "staff": make_user("staff", is_staff=True),  # staff is not access
        "admin": make_user("admin", is_staff=True, is_superuser=True),
        "gone": make_user("gone", groups=("Sales",), is_active=False),
    }
    grant_add(dashboard=stocktoday, group=Group.objects.get(name="Sales"))
    grant_add(dashboard=stocktoday, user=users["alice"])
    return users


@pytest.fixture
def sales(cast):
    return cast["sales"]


@pytest.fixture
def marketing(cast):
    return cast["marketing"]


@pytest.fixture
def viewer(cast):
    return cast["viewer"]


@pytest.fixture
def inactive(cast):
    return cast["gone"]


@pytest.fixture
def superuser(cast):
    return cast["admin"]


@pytest.fixture
def sales_client(client, sales):
    client.force_login(sales)
    return client


@pytest.fixture
def client_for(client, cast):
    """`client_for(slug)`: a client signed in as alice, who is granted that dashboard."""

    def make(slug: str):
        grant_add(dashboard=Dashboard.objects.get(slug=slug), user=cast["alice"])
        client.force_login(cast["alice"])
        return client

    return make


@pytest.fixture(scope="session", autouse=True)
def _own_cache_keys():
    """Test runs on one machine share the cache (files or Redis) and repeat user ids:
    each run keeps to its own keys."""
    own = {name: {**conf, "KEY_PREFIX": f"test-{os.getpid()}"} for name, conf in settings.CACHES.items()}
    with override_settings(CACHES=own):
        yield


@pytest.fixture(scope="session")
def plain():
    """Each compat app (tests/test_compat.py's APPS) served alone by plain Dash, in a process
    of its own: name -> base URL. Once per run: the apps keep no state a request changes
    (but a counter in a response header), and each start costs seconds."""
    from tests.test_compat import APPS

    servers, urls = [], {}
    for name in APPS:
        server, urls[name] = start_plain_dash(f"tests.compat_apps.{name}")
        servers.append(server)
    yield urls
    for server in servers:
        server.terminate()
        server.wait()


def start_plain_dash(module: str, base_path: str = "/") -> tuple[subprocess.Popen, str]:
    """`module`'s app served alone by plain Dash (dashboards.hosting.alone) on a free port, once it
    answers: (the process, its base URL). The caller stops it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboards.hosting.alone", module, str(port)],
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{base_path}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "_dash-dependencies", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    return server, url


def with_catalogue_packages(monkeypatch, *packages: str):
    """The shipped catalogue plus the modules of these packages, for this test (failures
    kept, as the system checks see them); returns the added part."""
    from dashboards.hosting.loader import discover

    extra = discover(list(packages))
    with_catalogue(monkeypatch, extra)
    return extra


def with_catalogue(monkeypatch, extra) -> None:
    """The shipped catalogue plus `extra` (a discovered Catalogue), for this test."""
    from dashboards import registry
    from dashboards.hosting.loader import Catalogue
    from dashboards.services import dashboards_sync

    shipped = registry.catalogue()
    merged = Catalogue(
        discovered=[*shipped.discovered, *extra.discovered],
        by_slug={**shipped.by_slug, **extra.by_slug},
        failed={**shipped.failed, **extra.failed},
    )
    monkeypatch.setattr(registry, "_catalogue", merged)
    dashboards_sync()


def catalogue_of(*dashboards):
    """A catalogue of these declarations, with no Dash app behind them (for the portal's pages)."""
    from dashboards.hosting.loader import Catalogue, Hosted

    entries = [Hosted(dashboard=d, app=None, module="tests") for d in dashboards]
    return Catalogue(discovered=entries, by_slug={e.dashboard.slug: e for e in entries})


@pytest.fixture(scope="session")
def oidc_provider():
    """The test identity provider (tests/oidc_provider/), a process of its own on 127.0.0.1,
    started once per run (about 3 s) with the portal registered as its client. Tests set
    every provider user they use; the users of one test are not another's."""
    from tests.oidc_provider.server import provider_process

    with provider_process() as provider:
        provider.register_portal("testserver", "localhost", "127.0.0.1")
        yield provider


@pytest.fixture
def sso(settings, oidc_provider, db):
    """The portal signing in through the test provider (its OIDC_* settings), for this test."""
    from accounts import oidc

    for name, value in oidc_provider.portal_settings().items():
        setattr(settings, name, value)
    oidc.discovery_forget()
    yield oidc_provider
    oidc.discovery_forget()
