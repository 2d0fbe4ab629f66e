"""The portal's Celery app: where background callbacks run when the site has Redis.

Dash's background callbacks (`dashboards.hosting.background`) run on Celery when the
site has `REDIS_URL`: an app with no manager of its own uses this app, and an app that
builds its own `Celery(__name__, broker=REDIS_URL, ...)` (Dash's docs) publishes to the
same Redis and the same default queue. `worker_app` is what the Procfile's `worker:`
line runs (`celery -A dashboards.worker worker`): one worker process for the whole
catalogue, knowing every app's tasks, each under a name of its app's own.

How a page learns that its job will never answer (`stopped`): stock Dash polls a job
whose worker died forever. Each worker's main process keeps a short-lived "alive" key
per running job (and one for itself); a job seen running whose key lapsed, a job the
worker marked failed (its child killed, its hard time limit) or one no worker knows is
stopped, and the page gets a plain note at its next poll.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings

from dashengine_site.redis_breaker import FAILURES, Breaker

logger = logging.getLogger(__name__)

# A running job's key is refreshed every BEAT seconds and lapses after ALIVE_MS: a page
# polling once a second (Dash's default) hears of a dead worker at its next poll.
BEAT = 0.25
ALIVE_MS = 750
WORKER_SECONDS = 10
ALIVE = "dashengine-job-alive-{}"
SEEN = "dashengine-job-seen-{}"
UNKNOWN = "dashengine-job-unknown-{}"
WORKER = "dashengine-worker-{}"

# What a page shows instead of waiting for a job that will never answer.
BUSY = "Background work can't start right now. Try again in a minute."
LOST = "This job stopped before it finished: the machine running it went away. Try again."
NO_WORKER = "No machine is running background work right now. Try again later, or tell your administrator."
NEW_CODE = "This job was started before the site was updated and can't run now. Try again."


def time_limit_note() -> str:
    minutes = settings.JOB_SOFT_TIME_LIMIT / 60
    limit = f"{minutes:g} minutes" if minutes >= 1 else f"{settings.JOB_SOFT_TIME_LIMIT} seconds"
    return f"This job ran longer than its limit of {limit} and was stopped."


breaker = Breaker(
    what="The background jobs' Redis",
    skip_seconds=5.0,
    meanwhile="Background callbacks answer 'busy, try again'; the rest of the site is served.",
    log=logger,
)


def broker_failures() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError

    return (OperationalError, *FAILURES)


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
        )
        _apps[url] = app
    return _apps[url]


def _client() -> Any:
    return celery_app().backend.client


def stopped(handle: Any, job_id: str) -> str | None:
    """The note for a job of Celery app `handle` that will never answer, else None.
    Called when a poll found no answer yet."""
    result = handle.AsyncResult(job_id)
    state = result.state
    if state == "FAILURE":
        # Dash catches a callback's own errors and stores them as its answer: a failed
        # task is one whose process was killed (WorkerLostError) or ran out of time.
        return time_limit_note() if type(result.result).__name__ == "TimeLimitExceeded" else LOST
    if state not in ("PENDING", "STARTED"):
        return None
    alive, seen, unknown = _client().mget(ALIVE.format(job_id), SEEN.format(job_id), UNKNOWN.format(job_id))
    if unknown:
        return NEW_CODE
    if seen and not alive:
        return LOST
    if state == "PENDING" and not seen and not any(_client().scan_iter(WORKER.format("*"), count=100)):
        result.revoke()  # so that it does not run, unseen, when a worker comes
        return NO_WORKER
    return None


def worker_app(*, catalogue: Any) -> Any:
    """The portal's Celery app, with every task of every catalogue app's Celery managers
    registered: the portal's own (apps with no manager) and those on an app's own Celery
    app, which stay bound to it (their results go to that app's backend)."""
    from dash import CeleryManager

    from dashboards.hosting import background

    app = celery_app()
    # The worker's own limits, not written into each message: so they hold for the tasks
    # of an app's own Celery app too, and a worker's environment decides them.
    app.conf.update(
        task_soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
        task_time_limit=settings.JOB_TIME_LIMIT,
        worker_concurrency=settings.JOB_CONCURRENCY,
    )
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
    _connect_signals()
    _add_report_schedule(app)
    return app


def _add_report_schedule(app: Any) -> None:
    """Scheduled reports: the `beat:` process asks for a run every REPORTS_CHECK_SECONDS
    (default 60, from the environment), a worker does it. Several beats or workers at once
    send each due report once (dashboards.deliveries).

    A run no worker has started 5 s before the next one is asked for (a tenth of the
    interval, when that is shorter) is dropped: busy workers do not pile up runs that the
    next one would find nothing left for."""

    @app.task(name="dashengine.send_due_reports", ignore_result=True)
    def send_due_reports() -> None:
        from dashboards.deliveries import send_due_reports, summary

        counts = send_due_reports()
        if any(counts.values()):  # a run that found nothing to do says nothing
            logger.info(summary(counts))

    every = settings.REPORTS_CHECK_SECONDS
    app.conf.beat_schedule = {
        "send-due-reports": {
            "task": "dashengine.send_due_reports",
            "schedule": every,
            "options": {"expires": every - min(5.0, every / 10)},
        }
    }


def _is_job(task_name: str | None) -> bool:
    """A background callback's task (the signals below are for those only)."""
    return task_name in getattr(celery_app(), "dashengine_task_slugs", {})


# -- in the worker -------------------------------------------------------------------


def _record(what: str, **fields: Any) -> None:
    """A job record written from the worker; a database that fails costs the record,
    never the job."""
    from django.db import close_old_connections

    from dashboards import services

    try:
        close_old_connections()
        getattr(services, what)(**fields)
    except Exception:
        logger.exception("Could not record %s for job %s", what, fields.get("job_id"))


def _beat(hostname: str, stop: threading.Event) -> None:
    """The worker's main process: keep the keys of the jobs its children run, and its own."""
    from celery.worker import state

    beats = 0
    while not stop.wait(BEAT):
        try:
            with _client().pipeline(transaction=False) as pipe:
                for request in list(state.active_requests):
                    # The pool tells of a killed child only after `worker_lost_wait`.
                    if _running(request.worker_pid):
                        pipe.set(ALIVE.format(request.id), 1, px=ALIVE_MS)
                if beats % int(1 / BEAT) == 0:
                    pipe.set(WORKER.format(hostname), os.getpid(), ex=WORKER_SECONDS)
                pipe.execute()
        except FAILURES as error:
            breaker.failed(error, doing="mark running jobs alive")
        else:
            breaker.answered()
        beats += 1


def _running(pid: int | None) -> bool:
    import psutil

    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _on_worker_ready(sender=None, **_) -> None:
    threading.Thread(target=_beat, args=(sender.hostname, threading.Event()), daemon=True).start()


def _on_process_init(**_) -> None:
    # A pool child must not share the main process's database connection.
    from django.db import connections

    connections.close_all()


def _on_prerun(task_id=None, task=None, **_) -> None:
    if not _is_job(task.name):
        return
    # Alive before seen: a poll in between must not take a starting job for a lost one.
    try:
        with _client().pipeline(transaction=False) as pipe:
            pipe.set(ALIVE.format(task_id), 1, px=ALIVE_MS)
            pipe.set(SEEN.format(task_id), 1, ex=settings.JOB_TIME_LIMIT + 600)
            pipe.execute()
    except FAILURES as error:
        logger.warning("Could not mark job %s alive: %s", task_id, error)
    slug = celery_app().dashengine_task_slugs[task.name]
    _record("job_started", job_id=task_id, dashboard=slug, worker=task.request.hostname or "")


def _on_postrun(task_id=None, task=None, args=None, **_) -> None:
    if not _is_job(task.name):
        return
    # Dash's job catches the callback's errors and stores them as its answer.
    import json

    try:
        answer = json.loads(task.backend.get(args[0]) or "null") if args else None
    except (ValueError, *FAILURES):
        answer = None
    error = answer.get("background_callback_error") if isinstance(answer, dict) else None
    if error:
        _record("job_ended", job_id=task_id, state="failed", error=str(error.get("msg", "")))
    else:
        _record("job_ended", job_id=task_id, state="finished")


def _on_failure(sender=None, task_id=None, exception=None, **_) -> None:
    if not _is_job(getattr(sender, "name", None)):
        return
    state = "lost" if type(exception).__name__ == "WorkerLostError" else "failed"
    _record("job_ended", job_id=task_id, state=state, error=f"{type(exception).__name__}: {exception}")


def _on_revoked(sender=None, request=None, terminated=False, expired=False, **_) -> None:
    if not _is_job(getattr(sender, "name", None)):
        return
    state = "lost" if expired else "cancelled"
    _record("job_ended", job_id=request.id, state=state)


def _on_unknown(message=None, name=None, id=None, **_) -> None:
    # A job queued by a web process whose code differs from this worker's.
    try:
        _client().set(UNKNOWN.format(id), 1, ex=3600)
    except FAILURES as error:
        logger.warning("Could not mark job %s unknown: %s", id, error)
    _record("job_ended", job_id=id, state="lost", error=f"No task {name!r} on this worker")


def _connect_signals() -> None:
    from celery import signals

    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="dashengine-ready")
    signals.worker_process_init.connect(_on_process_init, weak=False, dispatch_uid="dashengine-init")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="dashengine-prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="dashengine-postrun")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="dashengine-failure")
    signals.task_revoked.connect(_on_revoked, weak=False, dispatch_uid="dashengine-revoked")
    signals.task_unknown.connect(_on_unknown, weak=False, dispatch_uid="dashengine-unknown")
