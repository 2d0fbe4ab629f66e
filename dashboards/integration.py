"""Dash inside Django: one django-plotly-dash app per registered dashboard.

Fixes the traps of django-plotly-dash 2.5.1 with dash 4.4 (docs/ARCHITECTURE.md):
the pseudo Flask server lacks `SECRET_KEY`, dash-renderer must send Django's
CSRF cookie back as a header, and every Dash route needs the portal's
permission check.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable

from dash import Input, Output, dcc, html
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import ensure_csrf_cookie
from django_plotly_dash import DjangoDash, dash_wrapper
from django_plotly_dash.dash_wrapper import WrappedDash

from dashboards import registry
from dashboards.access import can_view
from dashboards.spec import INDEX_STRING, Dashboard, ParamError

PARAMS_STORE = "_portal_params"
POST_PARAMS_JS = """function () {
    var names = %(names)s, params = {};
    for (var i = 0; i < names.length; i++) { params[names[i]] = arguments[i]; }
    window.parent.postMessage({type: "dashengine:params", slug: %(slug)s, params: params}, window.location.origin);
    return window.dash_clientside.no_update;
}"""


class PortalWrappedDash(WrappedDash):
    def __init__(self, **kwargs):
        super().__init__(
            index_string=INDEX_STRING,
            # dash-renderer echoes this cookie in this header on every callback.
            csrf_token_name=settings.CSRF_COOKIE_NAME,
            csrf_header_name="X-CSRFToken",
            **kwargs,
        )
        # dash 4.4.1 signs its page config with `server.secret_key`; the pseudo
        # Flask server of django-plotly-dash only holds DEBUG.
        self.server.config["SECRET_KEY"] = settings.SECRET_KEY


class _CallerOnlyInspect:
    """`inspect` for django-plotly-dash, whose DjangoDash.__init__ calls
    `inspect.stack()` only to find its caller's module: the full stack reads the
    source of every frame (seconds at start-up with hundreds of dashboards)."""

    def __getattr__(self, name):
        return getattr(inspect, name)

    @staticmethod
    def stack(context: int = 1):
        return [None, (sys._getframe(2),)]  # [stack(), DjangoDash.__init__'s caller]


dash_wrapper.inspect = _CallerOnlyInspect()


class PortalDash(DjangoDash):
    """A DjangoDash that builds its per-request Dash instance as PortalWrappedDash."""

    def __init__(self, *, dashboard: Dashboard):
        super().__init__(name=dashboard.slug, serve_locally=True)
        self.title = dashboard.title
        self.layout = html.Div([dashboard.build_layout(), dcc.Store(id=PARAMS_STORE)])
        dashboard.register_callbacks(self)
        # Tell the portal page around the iframe what the parameters are now,
        # for its "Copy link", "Download CSV" and "Save report".
        names = [p.name for p in dashboard.params]
        self.clientside_callback(
            POST_PARAMS_JS % {"slug": json.dumps(dashboard.slug), "names": json.dumps(names)},
            Output(PARAMS_STORE, "data"),
            *[Input(p.name, p.prop) for p in dashboard.params],
        )

    def form_dash_instance(self, replacements=None, ndid=None, base_pathname=None):
        app = PortalWrappedDash(
            base_pathname=base_pathname,
            replacements=replacements,
            ndid=ndid or self._uid,
            serve_locally=self._serve_locally,
            title=self.title,
        )
        app.layout = self.layout
        app.config["suppress_callback_exceptions"] = self._suppress_callback_exceptions
        for callback_args, func in self._callback_sets:
            app.callback(**callback_args)(func)
        for callback_args in self._clientside_callback_sets:
            app.clientside_callback(**callback_args)
        return app


_apps: dict[str, PortalDash] = {}


def app(slug: str) -> PortalDash:
    return _apps[slug]


def build_apps() -> dict[str, PortalDash]:
    """One PortalDash per registered dashboard, built once per process."""
    for dashboard in registry.all_dashboards():
        if dashboard.slug not in _apps:
            _apps[dashboard.slug] = PortalDash(dashboard=dashboard)
    return _apps


def plain_text(status: int, message: str) -> HttpResponse:
    # Never a login page: dash-renderer, or a CSV download, would take it for data.
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _refuse_callback(request: HttpRequest, dashboard: Dashboard) -> HttpResponse | None:
    """A 4xx for a callback body this dashboard would not produce, else None."""
    from dashboards.dash_views import built_app  # it builds on this module

    if request.content_type != "application/json":
        return plain_text(415, "Callbacks must be sent as application/json.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return plain_text(400, "The callback body is not valid JSON.")
    callbacks = built_app(dashboard.slug).app.callback_map
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str) or "callback" not in callbacks.get(output, {}):
        return plain_text(400, "This dashboard has no such callback.")
    inputs, state = body.get("inputs", []), body.get("state", [])
    expected = callbacks[output]
    if not (
        _well_formed(inputs)
        and _well_formed(state)
        and len(inputs) == len(expected["inputs"])
        and len(state) == len(expected["state"])
        and _outputs_match(body.get("outputs"), output)
    ):
        return plain_text(400, "The callback's inputs or outputs do not match the dashboard.")
    # Parameters are checked against the dashboard's spec; an empty choice is
    # left to the dashboard, which tells the user what to pick.
    params = {p.name: p for p in dashboard.params}
    for item in [*inputs, *state]:
        param = params.get(item["id"]) if isinstance(item, dict) and isinstance(item["id"], str) else None
        if param is None or item["property"] != param.prop or item.get("value") in (None, "", []):
            continue
        try:
            param.clean(item["value"])
        except ParamError as error:
            return plain_text(400, f"Bad parameter {error}")
    return None


def _well_formed(items) -> bool:
    """A list of {id, property, value} items (or lists of them, for pattern-matching ids)."""

    def item_ok(item) -> bool:
        if isinstance(item, list):
            return all(item_ok(i) for i in item)
        return (
            isinstance(item, dict)
            and isinstance(item.get("id"), (str, dict))
            and isinstance(item.get("property"), str)
        )

    return isinstance(items, list) and all(item_ok(i) for i in items)


def _outputs_match(outputs, output: str) -> bool:
    """dash-renderer's `outputs` names exactly the outputs of the callback's key."""
    if outputs is None:
        return True
    multi = output.startswith("..")
    names = output[2:-2].split("...") if multi else [output]
    given = outputs if multi else [outputs]
    if not isinstance(given, list) or len(given) != len(names):
        return False
    return all(
        isinstance(o, dict) and f"{o.get('id')}.{o.get('property')}" == name
        for o, name in zip(given, names, strict=True)
    )


def dash_view_decorator(view: Callable, **route) -> Callable:
    """Wraps every django-plotly-dash route (`PLOTLY_DASH["view_decorator"]`)."""
    is_main_view = route.get("url_part") == ""
    is_update = route.get("url_part") == "_dash-update-component"

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args, ident: str, **kwargs) -> HttpResponse:
        # Signed in first: an anonymous caller learns nothing, not even which slugs exist.
        if not request.user.is_authenticated:
            return plain_text(401, "Sign in to use this dashboard.")
        dashboard = registry.get(ident)
        if dashboard is None:
            return plain_text(404, "No such dashboard.")
        if not can_view(user=request.user, dashboard=dashboard):
            return plain_text(403, "You do not have access to this dashboard.")
        if is_update:
            refusal = _refuse_callback(request, dashboard)
            if refusal:
                return refusal
        return view(request, *args, ident=ident, **kwargs)

    if is_main_view:
        # The app page is the portal's iframe; everything else stays DENY.
        guarded = xframe_options_sameorigin(ensure_csrf_cookie(guarded))
    # django-plotly-dash marks the update view csrf_exempt; callbacks change
    # server state, so they go through Django's CSRF check like any POST.
    guarded.csrf_exempt = False
    return guarded
