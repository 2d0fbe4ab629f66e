"""Redis stopped or restarted under a signed-in user: a Redis of the test's own, on a
port of its own (the machine's Redis is never touched)."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
import redis

from dashboards.models import Report
from tests.test_reports import save


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    def __init__(self, directory):
        self.port, self.directory, self.process = free_port(), directory, None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


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
