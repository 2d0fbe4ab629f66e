"""Liveness and readiness for load balancers and process supervisors."""

import json

import pytest

from tests.test_asgi import asgi_get, run_async


def test_liveness_needs_nothing_but_the_process(client):
    # No database access allowed in this test: pytest-django would refuse it.
    response = client.get("/livez")
    assert (response.status_code, json.loads(response.content)) == (200, {"status": "ok"})


def test_the_asgi_application_answers_liveness_the_same_way():
    # Answered on the event loop (asgi.py); the frozen-database test shows it
    # answering while every request thread waits.
    start, body = run_async(asgi_get("/livez"))[:2]
    assert (start["status"], body["body"]) == (200, b'{"status": "ok"}')


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_ready_when_the_database_answers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_a_cache_that_is_down_does_not_make_the_instance_unready(client, settings):
    # Sessions live in the database: without the cache every page still works, only slower.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "cache": "error: not available"}
