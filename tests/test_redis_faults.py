"""Redis stopped, frozen or restarted under a signed-in user: a Redis of the test's
own, on a port of its own (the machine's Redis is never touched), configured as
the settings configure the production one."""

from __future__ import annotations

import os
import signal

import pytest
import redis

from dashboards.models import Report
from dashengine_site import redis_breaker
from tests.sites import OwnRedis
from tests.test_reports import save

PAGES = ["/", "/dashboards/stocktoday/", "/reports/"]


@pytest.fixture
def own_redis(tmp_path, settings, monkeypatch):
    server = OwnRedis(tmp_path)
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    options = {
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": 0.25,
        "CONNECTION_POOL_KWARGS": {"connection_class": redis_breaker.connection_class(url)},
    }
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "OPTIONS": options}
    }
    monkeypatch.setattr(redis_breaker, "breaker", redis_breaker.cache_breaker())  # this test's outages only
    yield server
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def breaker_log(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == redis_breaker.__name__]


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


def test_a_frozen_redis_is_waited_for_once_then_skipped_and_the_outage_logged_once(
    own_redis, sales_client, caplog
):
    assert [sales_client.get(path).status_code for path in PAGES] == [200, 200, 200]
    os.kill(own_redis.process.pid, signal.SIGSTOP)  # a frozen server: connections open, no answer
    try:
        during = [sales_client.get(path).status_code for path in PAGES * 2]
        missed = redis_breaker.breaker.missed
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    assert during == [200] * 6
    assert missed > 1  # calls after the first failure never reached the network
    [started] = breaker_log(caplog)
    assert started.startswith(
        f"The cache's Redis failed to answer at 127.0.0.1:{own_redis.port} (TimeoutError"
    )


def test_once_redis_answers_again_it_is_used_and_the_outage_summed_up(own_redis, sales_client, caplog):
    own_redis.stop()
    assert [sales_client.get(path).status_code for path in PAGES] == [200, 200, 200]
    own_redis.start()
    redis_breaker.breaker.skip_until = 0.0  # as if SKIP_SECONDS had passed
    assert sales_client.get("/").status_code == 200
    assert not redis_breaker.breaker.skipping
    started, ended = breaker_log(caplog)
    assert started.startswith(
        f"The cache's Redis failed to answer at 127.0.0.1:{own_redis.port} (ConnectionError"
    )
    assert ended.startswith("The cache's Redis answers again after ")
    assert ended.endswith(" calls failed or were skipped meanwhile.")


def test_a_logout_while_redis_pauses_writes_ends_the_session(own_redis, sales_client):
    assert sales_client.get("/").status_code == 200
    cookie = sales_client.cookies["sessionid"].value
    redis.Redis.from_url(own_redis.url).execute_command("CLIENT", "PAUSE", "5000", "WRITE")
    sales_client.post("/accounts/logout/")
    sales_client.cookies["sessionid"] = cookie  # the old cookie, kept by an attacker
    assert sales_client.get("/")["Location"] == "/accounts/login/?next=/"
    assert sales_client.get("/dashboards/stocktoday/export.csv").status_code == 401
