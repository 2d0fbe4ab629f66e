"""Answers that are the same for everyone who may see them, given again before Django.

A dashboard's app page, `_dash-layout` and `_dash-dependencies` (a view's too,
`initial/<token>/`) are the same bytes for every user allowed to open it, as
long as the app's layout does not change per request and its data generation
stands. Django answers the first such request as any other (every middleware,
the view, `can_view`); `KeepKnownAnswers` keeps that complete answer, headers
included. The next GET of the same address, from the same host and scheme, is
answered on the event loop by `replay` (`dashengine_site.asgi.KnownAnswers`)
after the decisions Django's path would make, from the entries that path keeps
in the cache, read in one Redis round trip:

- the session (cached_db's entry): signed in, with this site's user backend;
- the user (`accounts.backends`' entry): active, and the session's auth hash is
  still the user's (a password change signs the session out);
- the access version, with this process's decision for it, then `can_view`;
- the dashboard's data generation (a live point, `forget_answers`).

Anything else goes to Django, which answers it and keeps it again: no Redis (the
file cache has no asynchronous reads), a query string, a HEAD, an entry not in
the cache, a CSRF cookie Django would rewrite, an answer older than
`CALLBACK_CACHE_SECONDS`. Django's answer is the reference: the replay sends its
bytes and headers (a page with a page-load id of its own, as every page has), and
renews the CSRF cookie as Django's CSRF middleware does.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import threading
import time
from dataclasses import dataclass

import redis.asyncio
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_CACHE_PREFIX
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, parse_cookie
from django.utils.crypto import constant_time_compare

from accounts.backends import CachedModelBackend, user_cache_key
from dashboards import access, registry
from dashboards.hosting import answers, bundles
from dashboards.hosting.loader import app_prefix
from dashengine_site import metrics

ROOT = app_prefix("x").removesuffix("x/")
# Where Django's CSRF middleware keeps a cookie as it is: an unmasked secret.
CSRF_SECRET = re.compile(r"[a-zA-Z0-9]{32}")
USER_BACKEND = f"{CachedModelBackend.__module__}.{CachedModelBackend.__qualname__}"
KEPT = 2048
SESSIONS_KEPT = 10_000
# Request headers the replay reads. Any of them twice, or a body's type, and Django decides:
# repeated headers reach Django joined by commas, which no kept answer is keyed by.
READ = (b"host", b"cookie")


@dataclass(frozen=True)
class Known:
    slug: str
    generation: int
    made: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    # Django's CSRF middleware sends the page's cookie again, to renew it.
    renews_csrf_cookie: bool
    # A page: each one is given its own page-load id, as Django's are.
    page: bool


# (scheme, the TLS proxy header, Host, path) -> the answer Django gave there, oldest first.
_known: dict[tuple[str, str, str, str], Known] = {}
_keeping = threading.Lock()
# session key -> user id, as the session said: the user's entry is then read with the session's.
_session_users: dict[str, str] = {}
_clients: dict[object, redis.asyncio.Redis] = {}


def enabled() -> bool:
    """With Redis, and with the settings the replay follows: Django's host is the Host
    header (no X-Forwarded-Host or -Port), and the session's backend is this site's."""
    return (
        bool(settings.REDIS_URL)
        and settings.CALLBACK_CACHE_SECONDS > 0
        and not settings.USE_X_FORWARDED_HOST
        and not settings.USE_X_FORWARDED_PORT
        and USER_BACKEND in settings.AUTHENTICATION_BACKENDS
    )


def _proxy_header() -> str:
    """The header that tells Django a request came over TLS (`SECURE_PROXY_SSL_HEADER`), as in META."""
    return (settings.SECURE_PROXY_SSL_HEADER or ("",))[0]


def mark(response: HttpResponse, *, slug: str, generation: int) -> None:
    """Django's answer to this request is everyone's who may open `slug`, at this data generation."""
    response.known_as = (slug, generation)


class KeepKnownAnswers:
    """Keeps the complete answers the hosting views mark, as the browser receives them.
    Placed first, so that every other middleware has added its headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        marked = getattr(response, "known_as", None)
        if marked and enabled() and request.method == "GET" and not request.META.get("QUERY_STRING"):
            _keep(request, response, *marked)
        return response


def _keep(request: HttpRequest, response: HttpResponse, slug: str, generation: int) -> None:
    cookies = set(response.cookies)
    if response.status_code != 200 or response.streaming or not cookies <= {settings.CSRF_COOKIE_NAME}:
        return
    if cookies and response.cookies[settings.CSRF_COOKIE_NAME].value != request.COOKIES.get(
        settings.CSRF_COOKIE_NAME
    ):
        return  # a new token: the replay only renews one the browser already has
    if {v.strip().lower() for v in response.get("Vary", "cookie").split(",")} != {"cookie"}:
        return  # an answer that varies with more than the session is not everyone's
    meta = request.META
    where = (meta.get("wsgi.url_scheme", ""), meta.get(_proxy_header(), ""), meta.get("HTTP_HOST", ""))
    with _keeping:
        while len(_known) >= KEPT:
            del _known[next(iter(_known))]
        _known[(*where, meta.get("PATH_INFO", ""))] = Known(
            slug=slug,
            generation=generation,
            made=time.monotonic(),
            headers=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.items()],
            body=response.content,
            renews_csrf_cookie=bool(cookies),
            page=response["Content-Type"].startswith("text/html"),
        )


def _client() -> redis.asyncio.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        # As the cache's: a Redis that is slow or down is a miss within a second.
        # More requests at once than connections: a miss, answered by Django.
        client = redis.asyncio.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1, max_connections=64
        )
        _clients.clear()
        _clients[loop] = client
    return client


async def replay(scope: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
    """Django's kept answer to this GET, if Django would give it to this user now; else None."""
    if scope["method"] != "GET" or scope["query_string"] or not _known:
        return None
    proxy = _proxy_header().removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
    headers: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in headers or name == b"content-type":
            return None  # Django reads these otherwise (joined by commas; a form's charset)
        if name in READ or name == proxy:
            headers[name] = value.decode("latin-1")
    where = (scope.get("scheme", "http"), headers.get(proxy, ""), headers.get(b"host", ""))
    known = _known.get((*where, scope["path"]))
    if known is None or time.monotonic() - known.made > settings.CALLBACK_CACHE_SECONDS:
        return None
    cookies = parse_cookie(headers.get(b"cookie", ""))
    session_key = cookies.get(settings.SESSION_COOKIE_NAME, "")
    csrf_cookie = cookies.get(settings.CSRF_COOKIE_NAME)
    if len(session_key) < 8:
        return None
    # Django gives a new CSRF cookie for a malformed one, and renews the page's.
    if (csrf_cookie is not None or known.renews_csrf_cookie) and not CSRF_SECRET.fullmatch(csrf_cookie or ""):
        return None
    client = scope.get("client")
    try:
        ipaddress.ip_address(client[0] if client else "")
    except ValueError:
        return None  # Django's answer: a 400 (dashengine_site.middleware)
    signed_in = await _signed_in(session_key, known.slug)
    if signed_in is None:
        return None
    user, version, generation = signed_in
    if generation != known.generation:
        return None
    dashboard = registry.get(known.slug)
    if dashboard is None or (not user.is_superuser and access.decided_slugs(user, version=version) is None):
        return None
    if not access.can_view(user=user, dashboard=dashboard):
        return None  # Django's answer: a 403
    metrics.KNOWN_ANSWERS.labels(dashboard=known.slug).inc()
    body = bundles.fresh_end_id(known.body, registry.app(known.slug)) if known.page else known.body
    if known.renews_csrf_cookie:
        return 200, [*known.headers, (b"set-cookie", _csrf_cookie(csrf_cookie))], body
    return 200, known.headers, body


def _csrf_cookie(secret: str) -> bytes:
    """The cookie Django's CSRF middleware sends to renew this one."""
    renewed = HttpResponse()
    renewed.set_cookie(
        settings.CSRF_COOKIE_NAME,
        secret,
        max_age=settings.CSRF_COOKIE_AGE,
        domain=settings.CSRF_COOKIE_DOMAIN,
        path=settings.CSRF_COOKIE_PATH,
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=settings.CSRF_COOKIE_HTTPONLY,
        samesite=settings.CSRF_COOKIE_SAMESITE,
    )
    return renewed.cookies[settings.CSRF_COOKIE_NAME].OutputString().encode("latin-1")


async def _signed_in(session_key: str, slug: str):
    """(user, access version, data generation) if the session is signed in as an active
    user whose entry is in the cache, else None: as `django.contrib.auth.get_user`."""
    sessions, shared = _backends()
    keys = [
        sessions.make_key(SESSION_CACHE_PREFIX + session_key),
        shared.make_key(access.VERSION_KEY),
        shared.make_key(answers.generation_key(slug)),
    ]
    user_id = _session_users.get(session_key)
    if user_id is not None:
        keys.append(shared.make_key(user_cache_key(user_id)))
    try:
        values = await _client().mget(keys)
        session = _decode(sessions, values[0])
        if not isinstance(session, dict) or session.get(BACKEND_SESSION_KEY) != USER_BACKEND:
            return None
        if str(session.get(SESSION_KEY)) != user_id:
            user_id = str(session.get(SESSION_KEY))
            if len(_session_users) >= SESSIONS_KEPT:
                _session_users.clear()
            _session_users[session_key] = user_id
            values = [*values[:3], await _client().get(shared.make_key(user_cache_key(user_id)))]
        user, version, generation = (_decode(shared, values[i]) for i in (3, 1, 2))
    except Exception:  # noqa: BLE001 - Redis down or slow, an entry that does not decode: Django decides
        return None
    if user is None or version is None or str(user.pk) != user_id or not user.is_active:
        return None
    session_hash = session.get(HASH_SESSION_KEY) or ""
    if not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None  # Django may sign the session out, or move it to the current secret
    return user, version, generation or 0


@functools.cache
def _backends():
    """The session cache and the shared cache, for their keys and their encoding only:
    one of each, not one per request (Django makes a backend per asynchronous task)."""
    return caches[settings.SESSION_CACHE_ALIAS], caches["default"]


def _decode(backend, value):
    return None if value is None else backend.client.decode(value)
