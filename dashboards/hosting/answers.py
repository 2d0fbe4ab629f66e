"""Callback answers shared between users, workers and instances.

A callback whose answer depends only on its inputs gives everyone who sends the
same request body the same answer: the first to ask pays for it, everyone after
gets it from the cache (Redis when `REDIS_URL` is set, so every worker and
instance shares it). Permission, the callback guard and the audit still run on
every request first: a revoked user is refused before the cache is asked.

Which callbacks: every callback of a dashboard whose `cache_answers` is true (the
default for `dashkit.Dashboard` declarations, off for dropped-in apps unless their
`Portal(cache_answers=True)`), except those marked `@not_cacheable`; a callback
marked `@cacheable` is shared whatever its dashboard says. Background callbacks
never are. An answer is not kept when the callback read the signed-in user (the
`dashengine.request` WSGI key), when it failed, or when it sets a cookie.

The key holds the dashboard, its code version (its module's source, the kit's and
the data folder's listing), its data generation and a digest of the body. A data
change moves the generation (`answers_forget`): a live point does, and so does
`manage.py forget_answers <slug>` after a new data file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from pathlib import Path

import dash
import flask
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

import dashkit
from dashkit.spec import Dashboard, data_dir

USER_KEY = "dashengine.request"


class WatchedEnviron(dict):
    """The WSGI environ of one call into an app: notes whether its answer was made for
    this user only (the callback read the user, or failed)."""

    shareable = True

    def __getitem__(self, key):
        if key == USER_KEY:
            self.shareable = False
        return super().__getitem__(key)

    def get(self, key, default=None):
        if key == USER_KEY:
            self.shareable = False
        return super().get(key, default)


def keep_private() -> None:
    """Called inside a callback's request: its answer is not to be shared."""
    environ = flask.request.environ if flask.has_request_context() else None
    if isinstance(environ, WatchedEnviron):
        environ.shareable = False


def cache_key(*, dashboard: Dashboard, app: dash.Dash, module: str, output: str, body: bytes) -> str | None:
    """Where the answer to this callback request (checked by the guard) is kept, or
    None if it is not to be shared."""
    if not settings.CALLBACK_CACHE_SECONDS or not _shared(dashboard, app, output):
        return None
    digest = hashlib.sha256(body).hexdigest()
    return f"answers:{dashboard.slug}:{code_version(module)}:{generation(dashboard.slug)}:{digest}"


def generation(slug: str) -> int:
    """How many times this dashboard's answers were forgotten (its data changed)."""
    return cache.get(generation_key(slug), 0)


def answer_get(key: str) -> HttpResponse | None:
    kept = cache.get(key)
    if not kept:
        return None
    content_type, content = kept
    return HttpResponse(content, content_type=content_type)


def answer_keep(key: str, response: HttpResponse) -> None:
    if response.status_code == 200 and not response.cookies and response.shareable:
        cache.set(key, (response["Content-Type"], response.content), settings.CALLBACK_CACHE_SECONDS)


def answers_forget(*, dashboard: str) -> None:
    """Every kept answer of this dashboard is stale (its data changed): the next ask computes."""
    key = generation_key(dashboard)
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # evicted between the two calls
        cache.set(key, 1, timeout=None)


def generation_key(slug: str) -> str:
    return f"answers:generation:{slug}"


def _shared(dashboard: Dashboard, app: dash.Dash, output: str) -> bool:
    entry = app.callback_map[output]
    if entry.get("background"):
        return False
    choice = getattr(entry.get("callback"), "dashkit_cacheable", None)
    return dashboard.cache_answers if choice is None else choice


@functools.cache
def code_version(module: str) -> str:
    """A digest of what a dashboard's answers are made from, read once per process."""
    found = importlib.import_module(module)
    roots = [Path(p) for p in getattr(found, "__path__", [])] or [Path(found.__file__)]
    files = [f for root in roots for f in ([root] if root.is_file() else sorted(root.rglob("*.py")))]
    files += sorted(Path(dashkit.__file__).parent.glob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    folder = data_dir()
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
