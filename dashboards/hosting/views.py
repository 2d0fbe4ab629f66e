"""The Django views in front of each hosted Dash app.

Every request to `/django_plotly_dash/app/<slug>/...` is checked here (signed
in, may view the dashboard, a callback is a JSON POST with Django's CSRF token
and parameters the dashboard allows), then answered by the app's own Flask
routes, called as a WSGI application. The answers are Dash's, byte for byte,
except the page, whose bundle addresses point at static files, and the layout
of a permalink, which starts from the permalink's parameters.
"""

from __future__ import annotations

import contextvars
import functools
import io
import json
import sys
import time
from http.cookies import SimpleCookie

import dash
from dash._get_app import app_context
from dash.fingerprint import check_fingerprint
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import path
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import ensure_csrf_cookie

from dashboards import registry
from dashboards.hosting import answers, bundles, first_view, known
from dashboards.hosting.guard import refuse_callback
from dashboards.hosting.loader import app_prefix
from dashboards.refusals import plain_text, viewable_dashboard
from dashengine_site import metrics
from dashkit.spec import Dashboard

# Set by the WSGI server, not by the answer's producer.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "set-cookie"}
UPDATE = "_dash-update-component"
# No timestamp, so that a view's token is the same every time; `~`: safe in a path.
_INITIAL_SIGNER = signing.Signer(sep="~", salt="dashboards.hosting.initial")
SUITES = "_dash-component-suites/"


def call_app(
    request: HttpRequest, app: dash.Dash, rest: str, *, callback: bytes | None = None
) -> HttpResponse:
    """The app's own answer to this request, for the route `rest` below its prefix; with
    `callback`, to that callback request body instead, as this user."""
    body = request.body if callback is None else callback
    environ = answers.WatchedEnviron(
        {
            **request.META,
            **(
                {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json", "QUERY_STRING": ""}
                if callback
                else {}
            ),
            # WSGI carries the path as latin-1 text of its UTF-8 bytes.
            "PATH_INFO": (app.config.routes_pathname_prefix + rest).encode().decode("latin-1"),
            "SCRIPT_NAME": "",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": request.scheme,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            # A dashboard that needs the signed-in user reads it from here.
            answers.USER_KEY: request,
        }
    )
    started: dict = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    def run():
        app_context.set(app)
        result = app.server.wsgi_app(environ, start_response)
        try:
            return b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()

    content = contextvars.copy_context().run(run)
    response = HttpResponse(content, status=int(started["status"][:3]))
    # Whether `answers` may give this answer to others (the app did not read the user).
    response.shareable = environ.shareable
    for name, value in started["headers"]:
        if name.lower() == "set-cookie":
            response.cookies.update(SimpleCookie(value))
        elif name.lower() not in HOP_BY_HOP:
            response[name] = value
    return response


def serve(request: HttpRequest, ident: str, rest: str = "", cache_id: str | None = None) -> HttpResponse:
    response = _serve(request, ident, rest, cache_id)
    if rest == UPDATE and registry.get(ident) is not None:  # no label for a slug that is not one
        metrics.CALLBACKS.labels(dashboard=ident, status=str(response.status_code)).inc()
    if rest == "" and response.status_code == 200:
        response.content = bundles.fresh_end_id(response.content, registry.app(ident))
        # The page's own inline scripts (renderer, clientside callbacks) by their hashes.
        response._csp_update = {"script-src": _inline_script_hashes(ident)}
    if not rest.startswith(SUITES):  # component files are public library code
        # What a dashboard shows is for this user only: no shared or stored copies.
        patch_cache_control(response, private=True, no_store=True)
    return response


@functools.cache
def _inline_script_hashes(slug: str) -> tuple[str, ...]:
    return tuple(registry.app(slug).csp_hashes())


def _serve(request: HttpRequest, ident: str, rest: str, cache_id: str | None) -> HttpResponse:
    dashboard, refusal = viewable_dashboard(request, ident, sign_in="Sign in to use this dashboard.")
    if refusal:
        return refusal
    app = registry.app(ident)
    if rest.startswith(SUITES):
        return component_file(rest.removeprefix(SUITES))
    kept_as = None
    if rest == UPDATE:
        refusal = refuse_callback(request, dashboard, app)
        if refusal:
            return refusal
        kept_as = answers.cache_key(
            dashboard=dashboard,
            app=app,
            module=registry.catalogue().by_slug[ident].module,
            output=json.loads(request.body)["output"],
            body=request.body,
        )
        kept = kept_as and answers.answer_get(kept_as)
        if kept:
            metrics.CALLBACK_ANSWERS.labels(dashboard=ident, result="shared").inc()
            return kept
    response = app_answer(request, app, ident, rest)
    if kept_as:
        metrics.CALLBACK_ANSWERS.labels(dashboard=ident, result="computed").inc()
        answers.answer_keep(kept_as, response)
    if rest not in ("", "_dash-layout", "_dash-dependencies"):
        return response
    # Read before a view's first answers are made: a newer one can only make them miss.
    generation = answers.generation(ident)
    if rest == "" and cache_id and response.status_code == 200:
        # The page names its prefix in attributes, and escaped (`\u002f`) in its config.
        page, prefix = response.content.decode(), app_prefix(ident)
        for slash in ("/", "\\u002f"):
            page = page.replace(
                prefix.replace("/", slash), f"{prefix}initial/{cache_id}/".replace("/", slash)
            )
        response.content = page.encode()
    elif rest in ("_dash-layout", "_dash-dependencies") and cache_id and response.status_code == 200:
        layout = response if rest == "_dash-layout" else app_answer(request, app, ident, "_dash-layout")
        content, answered = _first_view(request, dashboard, app, ident, layout.content, cache_id, generation)
        if rest == "_dash-layout":
            response.content = content
        elif answered:
            # The renderer does not ask for what the layout already holds.
            dependencies = json.loads(response.content)
            for dependency in dependencies:
                if dependency["output"] in answered:
                    dependency["prevent_initial_call"] = True
            response.content = json.dumps(dependencies)
    # A view's answers are everyone's too (`_first_view`); a forged view's are left to Django.
    if (ident, rest) in _constant_answers and (not cache_id or initial_values(cache_id) is not None):
        known.mark(response, slug=ident, generation=generation)
    return response


def initial_token(values: dict[str, dict]) -> str:
    """The part of the app's address that starts its layout from `values` ({id: {prop: value}}):
    signed, so nobody can make up one, and the same for the same values, so the layout
    of a view can be kept."""
    return _INITIAL_SIGNER.sign_object(values, compress=True)


def initial_values(token: str) -> dict[str, dict] | None:
    """The values of a token from `initial_token`; None for a forged or damaged one."""
    try:
        values = _INITIAL_SIGNER.unsign_object(token)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


# (slug, token, data generation) -> (layout, answered outputs, when made), for apps
# whose layout does not change: a view's first answers are everyone's.
_first_views: dict[tuple[str, str, int], tuple[bytes, frozenset[str], float]] = {}
FIRST_VIEWS_KEPT = 1024


def _first_view(
    request: HttpRequest,
    dashboard: Dashboard,
    app: dash.Dash,
    ident: str,
    layout: bytes,
    token: str,
    generation: int,
) -> tuple[bytes, frozenset[str]]:
    """The layout of a view (the defaults for a bad token) and, when the app's layout does
    not change, with its first answers in it (`first_view`): then also the outputs of
    the callbacks so answered. (A layout made per request could differ between the
    layout and the dependencies the browser asks for: its callbacks stay the browser's.)"""
    constant = (ident, "_dash-layout") in _constant_answers
    memo_key = (ident, token, generation)
    known = _first_views.get(memo_key) if constant else None
    if known and time.monotonic() - known[2] < settings.CALLBACK_CACHE_SECONDS:
        return known[0], known[1]
    tree = json.loads(layout)
    values = initial_values(token)
    if values:
        with_values(tree, values)
    if not constant:
        return json.dumps(tree).encode(), frozenset()
    answered = first_view.first_answers(
        dashboard=dashboard,
        app=app,
        module=registry.catalogue().by_slug[ident].module,
        layout=tree,
        ask=lambda body: call_app(request, app, UPDATE, callback=body),
    )
    made = (json.dumps(tree).encode(), frozenset(answered))
    if len(_first_views) >= FIRST_VIEWS_KEPT:
        _first_views.clear()
    _first_views[memo_key] = (*made, time.monotonic())
    return made


# (slug, route) -> (status, headers, content) of answers that cannot change in this process.
_constant_answers: dict[tuple[str, str], tuple[int, list[tuple[str, str]], bytes]] = {}


def app_answer(request: HttpRequest, app: dash.Dash, slug: str, rest: str) -> HttpResponse:
    """The app's answer, its page naming only this site; the page, the dependencies and a
    layout that is not a function are the same on every request, so they are made once."""
    known = _constant_answers.get((slug, rest))
    if known:
        status, headers, content = known
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        return response
    response = call_app(request, app, rest)
    if rest == "" and response.status_code == 200:
        traces = frozenset(registry.get(slug).traces)
        response.content = bundles.local_page(
            response.content.decode(), app_prefix(slug), traces=traces
        ).encode()
    if response.status_code == 200 and not response.cookies and _is_constant(app, rest):
        _constant_answers[(slug, rest)] = (200, list(response.items()), response.content)
    return response


def _is_constant(app: dash.Dash, rest: str) -> bool:
    server = app.server
    # Request hooks of the app's own (Dash registers only `_setup_server`) may make any answer vary.
    hooks = [f for funcs in server.before_request_funcs.values() for f in funcs]
    own_hooks = [f for f in hooks if getattr(f, "__func__", None) is not type(app)._setup_server] + [
        f for funcs in server.after_request_funcs.values() for f in funcs
    ]
    if own_hooks or app._hooks.get_hooks("layout") or app._hooks.get_hooks("index"):
        return False
    return rest in ("", "_dash-dependencies") or (rest == "_dash-layout" and not app._layout_is_function)


def component_file(package_path: str) -> HttpResponse:
    """A component package's file, as Dash serves it, from the static bundle folder
    (what dash-renderer asks for when it loads a chunk on demand); 404 if there is none."""
    package, _, fingerprinted = package_path.partition("/")
    path_in_package, has_fingerprint = check_fingerprint(fingerprinted)
    if not bundles.package_file(package, path_in_package):
        return plain_text(404, "No such file.")
    # To its static copy (compressed, cached for a year under its version), which every
    # view of every dashboard shares, whatever address the renderer asked at.
    response = HttpResponseRedirect(static(bundles.bundle_path(package, path_in_package)))
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if has_fingerprint else "public, max-age=300"
    )
    return response


def with_values(tree, values: dict[str, dict]):
    """A `_dash-layout` tree with the props in `values` ({id: {prop: value}}) replaced."""
    for component_id, props in first_view.props_by_id(tree).items():
        if component_id in values:
            props.update(values[component_id])
    return tree


def app_urlpatterns():
    """Each hosted app's routes: the page, Dash's API, assets, component suites."""
    page = xframe_options_sameorigin(ensure_csrf_cookie(serve))
    return [
        path("app/<slug:ident>/", page, name="app-main"),
        path("app/<slug:ident>/initial/<str:cache_id>/", page, name="app-main--args"),
        path("app/<slug:ident>/initial/<str:cache_id>/<path:rest>", serve, name="app-route--args"),
        path("app/<slug:ident>/<path:rest>", serve, name="app-route"),
    ]
