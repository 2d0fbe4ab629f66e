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
import io
import json
import sys
from http.cookies import SimpleCookie

import dash
from dash._get_app import app_context
from dash.fingerprint import check_fingerprint
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import ensure_csrf_cookie
from django_plotly_dash.util import get_initial_arguments

from dashboards import registry
from dashboards.hosting import bundles
from dashboards.hosting.loader import app_prefix
from dashboards.refusals import plain_text, viewable_dashboard
from dashkit.spec import Dashboard, ParamError

# Set by the WSGI server, not by the answer's producer.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "set-cookie"}
UPDATE = "_dash-update-component"
SUITES = "_dash-component-suites/"


def call_app(request: HttpRequest, app: dash.Dash, rest: str) -> HttpResponse:
    """The app's own answer to this request, for the route `rest` below its prefix."""
    body = request.body
    environ = {
        **request.META,
        "PATH_INFO": app.config.routes_pathname_prefix + rest,
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
        "dashengine.request": request,
    }
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
    for name, value in started["headers"]:
        if name.lower() == "set-cookie":
            response.cookies.update(SimpleCookie(value))
        elif name.lower() not in HOP_BY_HOP:
            response[name] = value
    return response


def serve(request: HttpRequest, ident: str, rest: str = "", cache_id: str | None = None) -> HttpResponse:
    dashboard, refusal = viewable_dashboard(request, ident, sign_in="Sign in to use this dashboard.")
    if refusal:
        return refusal
    app = registry.app(ident)
    if rest.startswith(SUITES):
        return component_file(rest.removeprefix(SUITES))
    if rest == UPDATE:
        refusal = refuse_callback(request, dashboard, app)
        if refusal:
            return refusal
    response = call_app(request, app, rest)
    if rest == "" and response.status_code == 200:
        prefix = app_prefix(ident)
        page = bundles.local_page(response.content.decode(), prefix)
        if cache_id:
            # The page names its prefix in attributes, and escaped (`\u002f`) in its config.
            for slash in ("/", "\\u002f"):
                page = page.replace(
                    prefix.replace("/", slash), f"{prefix}initial/{cache_id}/".replace("/", slash)
                )
        response.content = page.encode()
    elif rest == "_dash-layout" and cache_id and response.status_code == 200:
        initial = get_initial_arguments(request, cache_id)
        if isinstance(initial, dict) and initial:  # else an unknown, expired or forged id
            response.content = json.dumps(with_values(json.loads(response.content), initial))
    return response


def component_file(package_path: str) -> HttpResponse:
    """A component package's file, as Dash serves it, from the static bundle folder
    (what dash-renderer asks for when it loads a chunk on demand); 404 if there is none."""
    package, _, fingerprinted = package_path.partition("/")
    path_in_package, has_fingerprint = check_fingerprint(fingerprinted)
    found = (
        bundles.DashBundleFinder().find(bundles.bundle_path(package, path_in_package)) if package else None
    )
    if not found:
        return plain_text(404, "No such file.")
    response = FileResponse(open(found, "rb"))  # noqa: SIM115 - FileResponse closes it
    if has_fingerprint:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def with_values(tree, values: dict[str, dict]):
    """A `_dash-layout` tree with the props in `values` ({id: {prop: value}}) replaced."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                node_id = props.get("id")
                if isinstance(node_id, str) and node_id in values:
                    props.update(values[node_id])
                stack.extend(v for v in props.values() if isinstance(v, (list, dict)))
    return tree


def refuse_callback(request: HttpRequest, dashboard: Dashboard, app: dash.Dash) -> HttpResponse | None:
    """A 4xx for a callback this dashboard would not produce, else None."""
    if request.method != "POST":
        return plain_text(405, "Callbacks are sent with POST.")
    if request.content_type != "application/json":
        return plain_text(415, "Callbacks must be sent as application/json.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return plain_text(400, "The callback body is not valid JSON.")
    output = body.get("output") if isinstance(body, dict) else None
    callback = app.callback_map.get(output) if isinstance(output, str) else None
    if callback is None or "callback" not in callback:
        return plain_text(400, "This dashboard has no such callback.")
    inputs, state = body.get("inputs", []), body.get("state", [])
    if not (isinstance(inputs, list) and isinstance(state, list)):
        return plain_text(400, "The callback's inputs do not match the dashboard.")
    if len(inputs) != len(callback["inputs"]) or len(state) != len(callback["state"]):
        return plain_text(400, "The callback's inputs do not match the dashboard.")
    if not outputs_match(body.get("outputs"), output):
        return plain_text(400, "The callback's outputs do not match the dashboard.")
    # Declared parameters are checked against the spec; an empty choice is left
    # to the dashboard, which tells the user what to pick.
    params = {p.name: p for p in dashboard.params}
    for item in [*inputs, *state]:
        if not isinstance(item, dict):
            continue
        param = params.get(item.get("id")) if isinstance(item.get("id"), str) else None
        if param is None or item.get("property") != param.prop or item.get("value") in (None, "", []):
            continue
        try:
            param.clean(item["value"])
        except ParamError as error:
            return plain_text(400, f"Bad parameter {error}")
    return None


WILDCARDS = ('["MATCH"]', '["ALL"]', '["ALLSMALLER"]')


def outputs_match(outputs, output: str) -> bool:
    """dash-renderer's `outputs` name exactly the outputs of the callback key `output`:
    the same ids (pattern-matching ids: the same keys, equal where not a wildcard)
    and properties, one item per output (a list of items for ALL and ALLSMALLER)."""
    multi = output.startswith("..")
    parts = output[2:-2].split("...") if multi else [output]
    given = outputs if multi else [outputs]
    if not isinstance(given, list) or len(given) != len(parts):
        return False
    for item, part in zip(given, parts, strict=True):
        key, _, prop = part.rpartition(".")
        prop = prop.split("@")[0]  # allow_duplicate outputs carry a hash
        if not key.startswith("{"):
            if not (isinstance(item, dict) and item.get("id") == key and item.get("property") == prop):
                return False
            continue
        pattern = json.loads(key)
        many = any(json.dumps(v) in WILDCARDS[1:] for v in pattern.values())
        items = item if many and isinstance(item, list) else [item]
        for one in items:
            concrete = one.get("id") if isinstance(one, dict) else None
            if not (
                isinstance(concrete, dict)
                and set(concrete) == set(pattern)
                and one.get("property") == prop
                and all(json.dumps(v) in WILDCARDS or concrete[k] == v for k, v in pattern.items())
            ):
                return False
    return True


def app_urlpatterns():
    """Each hosted app's routes: the page, Dash's API, assets, component suites."""
    page = xframe_options_sameorigin(ensure_csrf_cookie(serve))
    return [
        path("app/<slug:ident>/", page, name="app-main"),
        path("app/<slug:ident>/initial/<slug:cache_id>/", page, name="app-main--args"),
        path("app/<slug:ident>/initial/<slug:cache_id>/<path:rest>", serve, name="app-route--args"),
        path("app/<slug:ident>/<path:rest>", serve, name="app-route"),
    ]
