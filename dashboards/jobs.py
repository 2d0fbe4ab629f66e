"""The portal's Celery app: where background callbacks run when the site has Redis.

Dash's background callbacks (`dashboards.hosting.background`) run on Celery when the
site has `REDIS_URL`: an app with no manager of its own uses this app, and an app that
builds its own `Celery(__name__, broker=REDIS_URL, ...)` (Dash's docs) publishes to the
same Redis and the same default queue. `worker_app` is what the Procfile's `worker:`
line runs (`celery -A dashboards.worker worker`): one worker process for the whole
catalogue, knowing every app's tasks, each under a name of its app's own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

# A web request that starts or polls a job must not wait out Celery's retries when Redis
# is down (stock settings: over two minutes on a frozen Redis): one try, 1 s timeouts.
FAST_FAILURE: dict[str, Any] = {
    "task_publish_retry": False,
    "broker_connection_timeout": 1,
    "redis_socket_connect_timeout": 1,
    "redis_socket_timeout": 1,
    "redis_retry_on_timeout": False,
    "result_backend_transport_options": {"retry_policy": {"max_retries": 0}},
    "broker_transport_options": {"socket_connect_timeout": 1, "socket_timeout": 1, "max_retries": 0},
}

_apps: dict[str, Any] = {}


def celery_app() -> Any:
    """The portal's Celery app on `settings.REDIS_URL` (one per URL and process)."""
    url = settings.REDIS_URL
    if url not in _apps:
        from celery import Celery

        app = Celery("dashengine", broker=url, backend=url)
        app.conf.update(
            **FAST_FAILURE,
            broker_connection_retry_on_startup=True,  # the worker waits for Redis to come up
            worker_prefetch_multiplier=1,  # long jobs: a worker process takes one at a time
            task_track_started=True,
            task_soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
            task_time_limit=settings.JOB_TIME_LIMIT,
            worker_concurrency=settings.JOB_CONCURRENCY,
        )
        _apps[url] = app
    return _apps[url]


def worker_app(*, catalogue: Any) -> Any:
    """The portal's Celery app, with every task of every catalogue app's Celery managers
    registered: the portal's own (apps with no manager) and those on an app's own Celery
    app, which stay bound to it (their results go to that app's backend)."""
    from dash import CeleryManager

    from dashboards.hosting import background

    app = celery_app()
    slugs: dict[str, str] = {}
    for hosted in catalogue.by_slug.values():
        for manager in background.managers_of(hosted.app):
            if not isinstance(manager, CeleryManager):
                continue
            for task in manager.func_registry.values():
                # Explicitly, not through Celery's shared tasks: those depend on which
                # app is finalised when.
                app.tasks.register(task)
                slugs[task.name] = hosted.dashboard.slug
    app.dashengine_task_slugs = slugs
    return app
