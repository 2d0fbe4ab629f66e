"""Redis stopped or restarted under a signed-in user: a Redis of the test's own, on a
port of its own (the machine's Redis is never touched)."""

from __future__ import annotations

import pytest

from dashboards.models import Report
from tests.sites import OwnRedis
from tests.test_reports import save


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.port}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    yield server
    if server.process.poll() is None:
        server.stop()


def test_with_redis_down_a_signed_in_user_is_served_and_a_save_succeeds(own_redis, sales_client, sales):
    assert sales_client.get("/").status_code == 200  # the session and the user now in Redis too
    own_redis.stop()
    assert sales_client.get("/dashboards/stocktoday/").status_code == 200
    assert save(sales_client, name="During the outage").status_code == 302
    assert Report.objects.filter(owner=sales, name="During the outage").exists()


def test_a_redis_restart_logs_nobody_out(own_redis, sales_client):
    assert sales_client.get("/").status_code == 200
    own_redis.stop()
    own_redis.start()  # empty: Redis here keeps nothing on disk
    response = sales_client.get("/")
    assert response.status_code == 200
    assert "/accounts/login/" not in response.get("Location", "")
