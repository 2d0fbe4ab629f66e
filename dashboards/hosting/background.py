"""Dash's background callbacks (`background=True`), each hosted app's own.

Dash keeps two process-wide lists on `BaseBackgroundCallbackManager`: every manager
ever built (`managers`) and every background function (`functions`). Each function
goes to every manager under `sha256(callback id + source)`, and a `CeleryManager`
names its task `background_callback_<key>`: two catalogue apps with the same
callback would share one key, and one app's manager would run the other's code.
Here both lists resolve to the catalogue module loading (or the app serving), as
`isolation` does for pages and hooks, and a module's keys carry the module's name:
the web and every worker load the same modules, so the names agree everywhere.

What the portal adds around an app that has background callbacks:
- an app with no manager gets the portal's (Celery on `REDIS_URL`, else diskcache
  under `BACKGROUND_DIR`), so the author's file stays as Dash's docs write it;
- the handles Dash gives the page (`endId`, `cacheKey`, `job`) are signed with a
  secret of this user and dashboard, and `refuse_handles` answers 403 to a poll or a
  cancel carrying handles that are not this user's, for this dashboard and page;
- results are kept per dashboard and user (per dashboard only for `cache_by`);
- a job's copy of the request (`dash.ctx`, stored in the broker until a worker takes
  it) has no session or CSRF cookie, nor the CSRF header;
- a job that cannot start (Redis down) or will never answer (its worker died, its
  time ran out, no worker runs) gives the page a plain note at its next poll, where
  stock Dash would poll forever or stop without a word (`dashboards.jobs.stopped`);
- every job is recorded (`BackgroundJob`): who started it on which dashboard, how it ended.

This is the only module that reads Dash's background internals. Private names of
dash, read from dash 4.4.1 (`isolation.DASH_VERSION`), pinned by
`test_the_private_names_of_dash_it_relies_on_are_where_it_reads_them`:
`BaseBackgroundCallbackManager.managers/functions/register_func/hash_function`,
`Dash._background_manager`, `Dash._get_signing_secret`, `dash._callback_signing`,
`dash._callback_context.context_value`, and the manager methods wrapped in `_scope`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import MutableSequence
from typing import Any

import dash
import flask
from dash import _callback_signing as signing
from dash._callback_context import context_value
from dash.background_callback.managers import BaseBackgroundCallbackManager as Base
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from dashboards import jobs
from dashboards.hosting import isolation

logger = logging.getLogger(__name__)

_DASH_MANAGERS = Base.managers
_DASH_FUNCTIONS = Base.functions
_DASH_REGISTER_FUNC = Base.register_func
# Where `views.call_app` puts the Django request in the WSGI environ Dash sees.
USER_KEY = "dashengine.request"
HANDLES = ("cacheKey", "job", "oldJob", "cancelJob")
NOT_YOURS = "This job was started on another page or by another user."
# The job id Dash hands the page when a job could not be queued: its first poll answers "busy".
BUSY_JOB = "busy"
NOTE_MARK = "dashengine-note:"


class _Scoped(MutableSequence):
    """`Base.managers` / `Base.functions` of the module loading (or app serving), else Dash's."""

    def __init__(self, attribute: str, fallback: list):
        self.attribute, self.fallback = attribute, fallback

    def _list(self) -> list:
        state = isolation._current()
        return getattr(state, self.attribute) if state is not None else self.fallback

    def __getitem__(self, index):
        return self._list()[index]

    def __setitem__(self, index, value):
        self._list()[index] = value

    def __delitem__(self, index):
        del self._list()[index]

    def __len__(self) -> int:
        return len(self._list())

    def insert(self, index, value) -> None:
        self._list().insert(index, value)


def _register_func(fn, progress, callback_id):
    key = Base.hash_function(fn, callback_id)
    state = isolation._current()
    if state is not None:
        # Two modules with the same callback source and id would share Dash's key, and
        # so one Celery task name: the module's name makes them two.
        key = hashlib.sha256(f"{state.module_name}\0{key}".encode()).hexdigest()
    Base.functions.append((key, fn, progress))
    for manager in Base.managers:
        manager.register(key, fn, progress)
    return key


def install() -> None:
    """Put the per-module lists and keys in place of Dash's, once per process."""
    if isinstance(Base.managers, _Scoped):
        return
    Base.managers = _Scoped("background_managers", _DASH_MANAGERS)
    Base.functions = _Scoped("background_functions", _DASH_FUNCTIONS)
    Base.register_func = staticmethod(_register_func)


def portal_manager() -> Any:
    """The manager of an app that names none: Celery when the site has Redis (jobs run on
    the `worker:` processes), else diskcache (jobs are children of the web worker)."""
    if settings.REDIS_URL:
        from dash import CeleryManager

        return CeleryManager(jobs.celery_app())
    import diskcache
    from dash import DiskcacheManager

    return DiskcacheManager(diskcache.Cache(str(settings.BACKGROUND_DIR)))


def adopt(app: dash.Dash, *, state: isolation.ModuleState, slug: str) -> None:
    """The portal's manager for an app with background callbacks and none of its own, and
    the per-user handles, results and job context for every app with background callbacks."""
    needs_manager = any(
        cb.get("background") and cb.get("manager") is None for cb in app.callback_map.values()
    )
    if needs_manager and app._background_manager is None:
        with state:  # so that it registers this module's functions only
            app._background_manager = portal_manager()
    if not state.background_functions:
        return
    app._get_signing_secret = lambda: signing_secret(slug=slug, user_pk=_user_pk())
    for manager in state.background_managers:
        _scope(manager, slug=slug)


def managers_of(app: dash.Dash) -> list:
    """The background managers an app's module built (a worker registers their tasks)."""
    state = isolation._by_app.get(app)
    return list(state.background_managers) if state is not None else []


def signing_secret(*, slug: str, user_pk: Any) -> bytes:
    # Per user and dashboard: a page load, result key or job of one user (or dashboard)
    # does not verify for another; every web worker and instance derives the same one.
    return salted_hmac("dashboards.hosting.background", f"{slug}:{user_pk}").digest()


def _user_pk() -> Any:
    user = _request_user()
    return user.pk if user is not None else None


def _request_user() -> Any:
    try:
        request = flask.request.environ.get(USER_KEY)
    except RuntimeError:  # outside a request: nothing to sign for anyone
        return None
    return request.user if request is not None else None


def _scope(manager: Any, *, slug: str) -> None:
    """Wrap one manager's methods on the instance (Dash calls them through `self`): the
    result key, the job's start and record, and a poll's answer when the job cannot or
    will never answer."""
    if getattr(manager, "_dashengine_scoped", False):
        return
    from dash import CeleryManager

    manager._dashengine_scoped = True
    on_celery = isinstance(manager, CeleryManager)
    if on_celery:
        # A web request must not wait out Celery's retries on a Redis that is down.
        manager.handle.conf.update(jobs.FAST_FAILURE)
    dash_methods = {
        name: getattr(manager, name)
        for name in ("build_cache_key", "call_job_fn", "get_result", "job_running", "terminate_job")
        + ("get_progress", "get_updated_props")
    }
    reading = threading.local()  # Dash's get_result ends a finished job: not a cancel

    def build_cache_key(fn, args, cache_args_to_ignore, triggered):
        # The same inputs give one user's result in one dashboard; `cache_by` results are
        # the dashboard's, for whoever may open it.
        scope = slug if manager.cache_by is not None else f"{slug}:{_user_pk()}"
        key = dash_methods["build_cache_key"](fn, args, cache_args_to_ignore, triggered)
        return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()

    def call_job_fn(key, job_fn, args, context):
        context = without_portal_secrets(context)
        queued_at = timezone.now()
        if not on_celery:
            job = dash_methods["call_job_fn"](key, job_fn, args, context)
        elif not jobs.breaker.usable():
            return BUSY_JOB
        else:
            try:
                job = dash_methods["call_job_fn"](key, job_fn, args, context)
            # Celery's result consumer gives up on a Redis that stopped answering with
            # RuntimeError("Retry limit exceeded ..."); it reconnects on the next call.
            except (*jobs.broker_failures(), RuntimeError) as error:
                jobs.breaker.failed(error, doing="queue a background job")
                return BUSY_JOB
            jobs.breaker.answered()
        _record(
            "job_queued",
            job_id=str(job),
            dashboard=slug,
            user=_request_user(),
            queued_at=queued_at,
            id_may_repeat=not on_celery,
        )
        return job

    def get_result(key, job):
        if job == BUSY_JOB:
            return _note(jobs.BUSY)
        reading.now = True
        try:
            answer = dash_methods["get_result"](key, job)
            why = _stopped(key, job) if answer is manager.UNDEFINED else None
            if answer is manager.UNDEFINED and why is None and not dash_methods["job_running"](job):
                # It finished between the read and now: read again, or Dash would end the
                # page's wait with no answer while the answer sits unread.
                answer = dash_methods["get_result"](key, job)
        except _failures(on_celery) as error:
            jobs.breaker.failed(error, doing="read a background job's answer")
            return _note(jobs.BUSY)
        finally:
            reading.now = False
        if why is not None:
            _record("job_ended", job_id=str(job), state="lost", error=why)
            return _note(why)
        if answer is manager.UNDEFINED:
            return answer
        reading.answered = job
        error = answer.get("background_callback_error") if isinstance(answer, dict) else None
        if error and "SoftTimeLimitExceeded" in str(error.get("tb", "")):
            answer = _note(jobs.time_limit_note())
            error = answer["background_callback_error"]
        _record("job_ended", job_id=str(job), state="failed" if error else "finished", error=_message(error))
        return answer

    def _stopped(key, job) -> str | None:
        if on_celery:
            return jobs.stopped(manager.handle, str(job))
        # Diskcache: the job is a child process of this one; gone without an answer
        # (looked at again: it may have answered since), it never will.
        if manager.job_running(job) or manager.result_ready(key):
            return None
        return jobs.LOST

    def job_running(job):
        if job == BUSY_JOB:
            return False
        try:
            return dash_methods["job_running"](job)
        except _failures(on_celery):
            return True  # not known: the page polls again (False would end it without a word)

    def terminate_job(job):
        # Dash ends a job whose answer it has just read; on Celery that revoke can reach the
        # pool process after it moved on to the next job, and kill that one. A job that
        # answered has nothing left to stop.
        if job == BUSY_JOB or getattr(reading, "now", False) or getattr(reading, "answered", None) == job:
            return
        _record("job_ended", job_id=str(job), state="cancelled")
        try:
            dash_methods["terminate_job"](job)
        except _failures(on_celery) as error:
            jobs.breaker.failed(error, doing="cancel a background job")

    def get_progress(key):
        try:
            return dash_methods["get_progress"](key)
        except _failures(on_celery):
            return None

    def get_updated_props(key):
        try:
            props = dash_methods["get_updated_props"](key) or {}
        except _failures(on_celery):
            props = {}
        # Dash puts the job's `set_props` in place of the request's own, which are the
        # failure note's when the job failed: keep both.
        for component, values in dict(getattr(context_value.get(), "updated_props", {}) or {}).items():
            props.setdefault(component, {}).update(values)
        return props

    for name, wrapper in (
        ("build_cache_key", build_cache_key),
        ("call_job_fn", call_job_fn),
        ("get_result", get_result),
        ("job_running", job_running),
        ("terminate_job", terminate_job),
        ("get_progress", get_progress),
        ("get_updated_props", get_updated_props),
    ):
        setattr(manager, name, wrapper)


def _failures(on_celery: bool) -> tuple[type[BaseException], ...]:
    """What a Celery manager's Redis raises when it is down (nothing, on diskcache)."""
    return jobs.broker_failures() if on_celery else ()


def _note(text: str) -> dict:
    """A job's answer that the failure handler shows as `text` (`note_of`)."""
    return {"background_callback_error": {"msg": NOTE_MARK + text, "tb": ""}}


def note_of(error: BaseException) -> str | None:
    """The plain note of a job that could not run or answer, else None (the callback's own error)."""
    text = str(error)
    return text.split(NOTE_MARK, 1)[1].split("\n", 1)[0] if NOTE_MARK in text else None


def _message(error: dict | None) -> str:
    if not error:
        return ""
    message = str(error.get("msg", ""))
    return message.removeprefix(NOTE_MARK)


def _record(what: str, **fields: Any) -> None:
    """A job record, written by `write_records` once Dash has answered: Dash runs the
    callback on an event loop, where the ORM may not be used."""
    try:
        request = flask.request.environ.get(USER_KEY)
    except RuntimeError:
        request = None
    if request is not None:
        request.__dict__.setdefault("dashengine_job_records", []).append((what, fields))


def write_records(request: HttpRequest) -> None:
    """The job records of this request's callback; a database that fails costs the
    record, never the answer."""
    from dashboards import services  # it imports the registry, which imports this

    for what, fields in request.__dict__.pop("dashengine_job_records", ()):
        try:
            getattr(services, what)(**fields)
        except Exception:
            logger.exception("Could not record %s for job %s", what, fields.get("job_id"))


def without_portal_secrets(context: dict) -> dict:
    """The job's copy of `dash.ctx` without the portal's session and CSRF cookies and the
    CSRF header: the broker keeps it until a worker takes the job, and they are the portal's."""
    portal = {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    csrf_header = settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-").lower()
    kept = type(context)(context)
    kept["cookies"] = {k: v for k, v in (context.get("cookies") or {}).items() if k not in portal}
    headers = {}
    for name, value in (context.get("headers") or {}).items():
        if name.lower() == csrf_header:
            continue
        if name.lower() == "cookie":
            value = "; ".join(
                part.strip() for part in value.split(";") if part.split("=", 1)[0].strip() not in portal
            )
        headers[name] = value
    kept["headers"] = headers
    return kept


def refuse_handles(request: HttpRequest, *, slug: str) -> HttpResponse | None:
    """403 for job handles that are not this user's, for this dashboard and page load.
    (Dash alone would answer 204 and read nothing: here the refusal is said, and logged.)"""
    given = [value for name in HANDLES for value in request.GET.getlist(name)]
    if not given:
        return None
    secret = signing_secret(slug=slug, user_pk=request.user.pk)
    end_id = signing.unsign(secret, signing.END_SCOPE, request.GET.get("endId"))
    if end_id is not None:
        scopes = {"cacheKey": signing.cache_scope(end_id)}
        if all(
            signing.unsign(secret, scopes.get(name, signing.job_scope(end_id)), value) is not None
            for name in HANDLES
            for value in request.GET.getlist(name)
        ):
            return None
    from dashboards.refusals import plain_text  # it imports the registry, which imports this

    logger.warning("Refused background job handles for dashboard %r: not this user's or page's", slug)
    return plain_text(403, NOT_YOURS)
