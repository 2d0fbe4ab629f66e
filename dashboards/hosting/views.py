"""The Django views in front of each hosted Dash app.

Every request to `/django_plotly_dash/app/<slug>/...` is checked here (signed
in, may view the dashboard, a callback is a JSON POST with Django's CSRF token
and parameters the dashboard allows), then answered by the app's own Flask
routes, called as a WSGI application. The answers are Dash's, byte for byte,
except the page, whose bundle addresses point at static files, and the layout
of a view (`initial/<token>/`), which starts from the view's parameters.

Nothing is answered from a copy: every request goes through Django's
middleware, its session and `can_view`, and the app computes its answer for
this request. The layout and the dependencies carry an ETag, so a browser that
has them gets a 304 after the same decisions.
"""

from __future__ import annotations

import contextvars
import functools
import io
import json
import sys
from http.cookies import SimpleCookie

import dash
from dash._get_app import app_context
from dash.fingerprint import check_fingerprint
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import path, re_path
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from werkzeug.exceptions import HTTPException

from dashboards import registry
from dashboards.hosting import background, bundles
from dashboards.hosting.guard import refuse_callback
from dashboards.hosting.loader import app_prefix
from dashboards.refusals import plain_text, viewable_dashboard
from dashengine_site import metrics
from dashkit import look
from dashkit.spec import Dashboard, ParamError

# Set by the WSGI server, not by the answer's producer.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "set-cookie"}
UPDATE = "_dash-update-component"
# What the renderer asks for once per page: the browser may keep it and revalidate.
REVALIDATED = ("_dash-layout", "_dash-dependencies")
# The signed-in user's request, for a callback that needs it (`flask.request.environ[USER_KEY]`).
USER_KEY = "dashengine.request"
SUITES = "_dash-component-suites/"


def call_app(request: HttpRequest, app: dash.Dash, rest: str) -> HttpResponse:
    """The app's own answer to this request, for the route `rest` below its prefix."""
    environ = {
        **request.META,
        # WSGI carries the path as latin-1 text of its UTF-8 bytes.
        "PATH_INFO": (app.config.routes_pathname_prefix + rest).encode().decode("latin-1"),
        "SCRIPT_NAME": "",
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": request.scheme,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        # A dashboard that needs the signed-in user reads it from here.
        USER_KEY: request,
    }
    started: dict = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    def run():
        app_context.set(app)
        # A template the kit built into a figure would be replaced unseen by such a page.
        look.TEMPLATE_ON_PAGE.set(bundles.themes_its_figures(app))
        result = app.server.wsgi_app(environ, start_response)
        try:
            return b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()

    content = contextvars.copy_context().run(run)
    background.write_records(request)
    response = HttpResponse(content, status=int(started["status"][:3]))
    for name, value in started["headers"]:
        if name.lower() == "set-cookie":
            response.cookies.update(SimpleCookie(value))
        elif name.lower() not in HOP_BY_HOP:
            response[name] = value
    return response


def is_page(request: HttpRequest, app: dash.Dash, rest: str) -> bool:
    """Whether `rest` is answered by Dash's index: the app's first page, or any path its
    catch-all route serves (a page of a Dash Pages app, or its 404 content)."""
    if request.method != "GET":
        return False
    if rest == "":
        return True
    prefix = app.config.routes_pathname_prefix
    try:
        endpoint, _ = app.server.url_map.bind("portal").match(prefix + rest, method="GET")
    except HTTPException:
        return False
    return endpoint == prefix + "<path:path>"


def serve(request: HttpRequest, ident: str, rest: str = "", cache_id: str | None = None) -> HttpResponse:
    response, page = _serve(request, ident, rest, cache_id)
    if rest == UPDATE and registry.get(ident) is not None:  # no label for a slug that is not one
        metrics.CALLBACKS.labels(dashboard=ident, status=str(response.status_code)).inc()
    if page and response.status_code == 200:
        # Framed by the portal's dashboard page (site-wide DENY), with the CSRF cookie callbacks echo.
        response["X-Frame-Options"] = "SAMEORIGIN"
        get_token(request)
        # The page's own inline scripts (renderer, clientside callbacks) by their hashes.
        response._csp_update = {"script-src": _inline_script_hashes(ident)}
    if rest.startswith(SUITES):  # component files are public library code
        return response
    if rest in REVALIDATED and response.status_code == 200 and response.content:
        # This user's browser may keep it, and asks each time whether it changed:
        # every request is still decided here, a 304 only saves sending it again.
        patch_cache_control(response, private=True, no_cache=True)
        set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)
    # What a dashboard shows is for this user only: no shared or stored copies.
    patch_cache_control(response, private=True, no_store=True)
    return response


@functools.cache
def _inline_script_hashes(slug: str) -> tuple[str, ...]:
    return tuple(registry.app(slug).csp_hashes())


def _serve(request: HttpRequest, ident: str, rest: str, cache_id: str | None) -> tuple[HttpResponse, bool]:
    """The answer, and whether it is one of the app's pages."""
    dashboard, refusal = viewable_dashboard(request, ident, sign_in="Sign in to use this dashboard.")
    if refusal:
        return refusal, False
    app = registry.app(ident)
    if rest.startswith(SUITES):
        return component_file(rest.removeprefix(SUITES)), False
    if rest == UPDATE:
        refusal = refuse_callback(request, dashboard, app) or background.refuse_handles(request, slug=ident)
        if refusal:
            return refusal, False
    elif request.method not in ("GET", "HEAD"):
        # Dash's other routes that take a body (`api_endpoint` callbacks, MCP tools) would
        # run callbacks past the guard: only `_dash-update-component` takes one here.
        return plain_text(405, "Only callbacks are sent with POST."), False
    page = is_page(request, app, rest)
    response = call_app(request, app, rest)
    if response.status_code != 200:
        return response, page
    if page:
        response.content = bundles.local_page(
            response.content.decode(), app_prefix(ident), traces=frozenset(dashboard.traces)
        ).encode()
    if cache_id is not None and rest == "":
        # The page names its prefix in attributes, and escaped (`\u002f`) in its config.
        # (`cache_id` is of the token's own alphabet: the URLconf takes no other.)
        text, prefix = response.content.decode(), app_prefix(ident)
        for slash in ("/", "\\u002f"):
            text = text.replace(
                prefix.replace("/", slash), f"{prefix}initial/{cache_id}/".replace("/", slash)
            )
        response.content = text.encode()
    elif cache_id is not None and rest == "_dash-layout":
        tree = json.loads(response.content)
        with_values(tree, initial_values(cache_id, dashboard=dashboard))
        response.content = json.dumps(tree).encode()
    return response, page


def _initial_signer(slug: str) -> signing.Signer:
    # No timestamp, so that a view's token is the same every time; `~`: safe in a path.
    # The salt names the dashboard: a token of one dashboard means nothing to another.
    return signing.Signer(sep="~", salt=f"dashboards.hosting.initial:{slug}")


def initial_token(*, dashboard: Dashboard, params: dict) -> str:
    """The part of the app's address that starts its layout from `params` (checked
    values of the dashboard's parameters): signed for this dashboard, so nobody can
    make up one, and the same for the same values."""
    return _initial_signer(dashboard.slug).sign_object(dashboard.to_json(params), compress=True)


def initial_values(token: str, *, dashboard: Dashboard) -> dict[str, dict]:
    """{component id: {prop: value}} of a view's token, each value checked as a callback's
    would be; the dashboard's defaults for a forged, damaged or outdated token."""
    try:
        raw = _initial_signer(dashboard.slug).unsign_object(token)
        params = dashboard.clean(raw if isinstance(raw, dict) else {})
    except (signing.BadSignature, ParamError, ValueError, TypeError):
        params = dashboard.clean({})
    as_json = dashboard.to_json(params)
    return {p.name: {p.prop: as_json[p.name]} for p in dashboard.params}


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


def with_values(tree, values: dict[str, dict]) -> None:
    """Replace, in place, the props in `values` ({id: {prop: value}}) of a `_dash-layout` tree."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                if isinstance(props.get("id"), str) and props["id"] in values:
                    props.update(values[props["id"]])
                stack.extend(v for v in props.values() if isinstance(v, (list, dict)))


def app_urlpatterns():
    """Each hosted app's routes: the page, Dash's API, assets, component suites."""
    # `serve` frames every page of the app and gives it the CSRF cookie (`is_page`).
    # A view's token is a signature's alphabet only: it is written into the page as it is.
    view = r"app/(?P<ident>[-a-zA-Z0-9_]+)/initial/(?P<cache_id>[A-Za-z0-9_:.~-]+)/"
    return [
        path("app/<slug:ident>/", serve, name="app-main"),
        re_path(view + "$", serve, name="app-main--args"),
        re_path(view + "(?P<rest>.+)$", serve, name="app-route--args"),
        path("app/<slug:ident>/<path:rest>", serve, name="app-route"),
    ]
