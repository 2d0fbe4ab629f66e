"""Import the catalogue: each module (or package) on its own, each failure kept apart.

A catalogue entry is one of:
- a plain Dash app module: a module-level `dash.Dash` (named `app`, or the only
  one), optionally with `portal = dashkit.Portal(...)` beside it;
- a `dashboard = dashkit.Dashboard(...)` declaration, built into a `dash.Dash`;
- a module-level `DjangoDash`, rebuilt as a `dash.Dash` with its layout and callbacks.

`@dash.callback` and `dash.clientside_callback` register into process-wide
lists that plain Dash hands to the first app that serves a request; here what
a module registers while it is imported goes to that module's app only.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import json
import logging
import os
import pkgutil
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dash
import dash._callback as dash_callback
from dash import Input, Output, dcc, html, set_props
from dash.exceptions import InvalidConfig
from django.conf import settings
from django.utils.crypto import salted_hmac
from django_plotly_dash import DjangoDash

from dashboards.hosting import background, bundles, compat, isolation
from dashkit.spec import Dashboard, Portal, standalone_app

logger = logging.getLogger(__name__)

PARAMS_STORE = "_portal_params"
ERROR_NOTE = "_portal_error"
ERROR_MESSAGE = (
    "Something went wrong while updating this view, so it still shows the earlier results. "
    "We have recorded the problem; try other choices, or try again later."
)
ERROR_NOTE_HIDDEN = {"display": "none"}
# The values of the declared parameters go to the portal's frame script
# (static/portal/frame.js), which checks each at its control (the rules in
# `checks`), marks the ones the view cannot use, and tells the page around the
# iframe the last good values once the view shows them: its "Copy link", "Download
# CSV", "Save report" and remembered filters always describe what is on screen.
POST_PARAMS_JS = """function () {
    var names = %(names)s, params = {};
    for (var i = 0; i < names.length; i++) { params[names[i]] = arguments[i]; }
    var frame = window.dashEngineFrame;
    if (frame && frame.params) {
        frame.params(%(slug)s, params, %(checks)s);
    } else {
        window.parent.postMessage({type: "dashengine:params", slug: %(slug)s, params: params}, window.location.origin);
    }
    return window.dash_clientside.no_update;
}"""


def app_prefix(slug: str) -> str:
    """Where the browser reaches a dashboard's Dash routes (the URLconf's `app/<ident>/`)."""
    return f"/django_plotly_dash/app/{slug}/"


@dataclass
class Hosted:
    dashboard: Dashboard
    app: dash.Dash
    module: str


@dataclass
class Catalogue:
    # Every entry in discovery order, duplicate slugs included, for the system checks.
    discovered: list[Hosted] = field(default_factory=list)
    by_slug: dict[str, Hosted] = field(default_factory=dict)
    # module name -> traceback, for modules that raised while loading.
    failed: dict[str, str] = field(default_factory=dict)
    # Modules of a catalogue package that define no app and no dashboard.
    without_dashboard: list[str] = field(default_factory=list)


def discover(packages: list[str]) -> Catalogue:
    catalogue = Catalogue()
    for package_name in packages:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            name = f"{package_name}.{info.name}"
            try:
                hosted = load(name, slug=info.name.replace("_", "-"))
            except Exception:  # noqa: BLE001 - one broken module must not stop the portal
                catalogue.failed[name] = traceback.format_exc()
                continue
            if hosted is None:
                catalogue.without_dashboard.append(name)
                continue
            catalogue.discovered.append(hosted)
            catalogue.by_slug.setdefault(hosted.dashboard.slug, hosted)
    # dash.get_asset_url() & co. now follow the app serving each request.
    compat.install_serving_app_config(fallback=dash._get_paths.CONFIG)
    return catalogue


_loaded: dict[str, Hosted | None] = {}


def load(module_name: str, *, slug: str) -> Hosted | None:
    """Import one catalogue module and host what it defines (None if nothing), once per process."""
    if module_name not in _loaded:
        _loaded[module_name] = _load(module_name, slug=slug)
    return _loaded[module_name]


def _load(module_name: str, *, slug: str) -> Hosted | None:
    # `Dash.add_startup_route` keeps routes in a class-wide list that every app built
    # later mounts: what a module adds there is for its own app only.
    startup_routes = len(dash.Dash.STARTUP_ROUTES)
    try:
        return _load_module(module_name, slug=slug)
    finally:
        del dash.Dash.STARTUP_ROUTES[startup_routes:]


def _load_module(module_name: str, *, slug: str) -> Hosted | None:
    # The module's pages and dash.hooks: its own, while it loads and its app is built.
    own = isolation.ModuleState(module_name)
    try:
        with own, _dash_env(requests_pathname_prefix=app_prefix(slug)), _own_global_callbacks() as registered:
            module = importlib.import_module(module_name)
    except InvalidConfig:
        # The app names its own `url_base_pathname`, which Dash will not combine with
        # a requests prefix from the environment; `_adopt` sets the prefix instead.
        sys.modules.pop(module_name, None)
        own = isolation.ModuleState(module_name)
        with own, _own_global_callbacks() as registered:
            module = importlib.import_module(module_name)
    declared = getattr(module, "dashboard", None)
    if isinstance(declared, Dashboard):
        with own, _dash_env(requests_pathname_prefix=app_prefix(declared.slug)):
            app = standalone_app(declared)
        dashboard = declared
    else:
        with own:
            app = _module_app(module)
        if app is None:
            return None
        dashboard = _dashboard_for(module, app, slug=slug)
    if dashboard.params and app.use_pages:
        raise ValueError(
            "A Dash Pages app cannot declare parameters (`Portal(params=...)`): a view's "
            "parameters live in its address, where the app's pages are. Leave them out."
        )
    registered.give_to(app)
    own.give_to(app)
    background.adopt(app, state=own, slug=dashboard.slug)
    _adopt(app, dashboard=dashboard, module=module)
    return Hosted(dashboard=dashboard, app=app, module=module_name)


def _module_app(module) -> dash.Dash | None:
    found = getattr(module, "app", None)
    if not isinstance(found, (dash.Dash, DjangoDash)):
        apps = [v for v in vars(module).values() if isinstance(v, (dash.Dash, DjangoDash))]
        found = apps[0] if len(apps) == 1 else None
    if isinstance(found, DjangoDash):
        return _from_django_dash(found, module)
    return found


def _from_django_dash(source: DjangoDash, module) -> dash.Dash:
    """A DjangoDash written for django-plotly-dash, as the plain Dash app it describes."""
    app = dash.Dash(module.__name__, serve_locally=True, title=source._uid)
    app.layout = source.layout
    app.config.suppress_callback_exceptions = source._suppress_callback_exceptions
    for callback_args, func in source._callback_sets:
        app.callback(**callback_args)(func)
    for callback_args in source._clientside_callback_sets:
        app.clientside_callback(**callback_args)
    return app


def _dashboard_for(module, app: dash.Dash, *, slug: str) -> Dashboard:
    portal = getattr(module, "portal", None)
    if not isinstance(portal, Portal):
        portal = Portal()
    doc = inspect.cleandoc(module.__doc__ or "")
    first_line, _, rest = doc.partition("\n")
    title = portal.title or (app.title if app.title != "Dash" else "") or first_line.rstrip(".") or slug
    return Dashboard(
        slug=slug,
        title=title,
        description=portal.description
        or " ".join(rest.split())
        or (first_line if title != first_line else ""),
        category=portal.category,
        params=portal.params,
        data=portal.data,
        charts=portal.charts,
        key_figures=portal.key_figures,
        features=portal.features,
        tags=portal.tags,
        live=portal.live,
        staff_note=portal.staff_note,
        traces=portal.traces,
        columns=portal.columns,
    )


def _adopt(app: dash.Dash, *, dashboard: Dashboard, module) -> None:
    """What the portal changes in a hosted app: where the browser sends its
    requests, which cookie carries the CSRF token, which libraries its page
    loads, and, for declared parameters, telling the page around it their values."""
    config = app.config
    config.unset_read_only(["requests_pathname_prefix", "csrf_token_name"])
    config.requests_pathname_prefix = app_prefix(dashboard.slug)
    config.csrf_token_name = settings.CSRF_COOKIE_NAME
    if not app.server.secret_key:
        # Dash signs background-callback handles with it: every worker and instance
        # must agree, so it comes from the site's secret, not from each process.
        app.server.secret_key = salted_hmac("dashboards.hosting", dashboard.slug).hexdigest()
    # Dash's dispatch is async whenever asgiref is installed; Flask runs it through
    # asgiref's AsyncToSync: a new thread and a new event loop for every callback.
    app.server.async_to_sync = functools.partial(_run_on_thread_loop, app.server)
    bundles.limit_to_own_libraries(app, module=module)
    bundles.localise_external_resources(app)
    if dashboard.params:
        app._extra_components.append(dcc.Store(id=PARAMS_STORE))
        app.clientside_callback(
            POST_PARAMS_JS
            % {
                "slug": json.dumps(dashboard.slug),
                "names": json.dumps([p.name for p in dashboard.params]),
                "checks": json.dumps(dashboard.checks(), default=str),
            },
            Output(PARAMS_STORE, "data"),
            *[Input(p.name, p.prop) for p in dashboard.params],
        )
    if app._on_error is None:
        # A callback that raises: logged with its traceback, a plain note in the
        # page (the frame script shows it, themed, with Retry), no update; an app's
        # own `on_error` keeps its place.
        app._extra_components.append(html.Div(id=ERROR_NOTE, role="alert", style=ERROR_NOTE_HIDDEN))
        app._on_error = functools.partial(_callback_failed, dashboard.slug)
    # What plain Dash does on the first request: check the layout, list the
    # scripts, take the callbacks. Done now, so that a broken layout fails the load.
    app._setup_server()


def _callback_failed(slug: str, error: Exception) -> None:
    note = background.note_of(error)  # a background job that could not run or answer
    if note is None:
        logger.error("A callback of dashboard %r raised %r", slug, error, exc_info=error)
    else:
        logger.warning("A background job of dashboard %r did not answer: %s", slug, note)
    # Hidden: portal/frame.js reads it from the answer and shows it in its own note.
    set_props(ERROR_NOTE, {"children": note or ERROR_MESSAGE})


@contextmanager
def _dash_env(**values: str) -> Iterator[None]:
    """Dash reads `DASH_<SETTING>` when an app is built; `get_asset_url()` in a
    module-level layout then names the portal's address, not `/`."""
    names = {f"DASH_{k.upper()}": v for k, v in values.items()}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Registered:
    """What `@dash.callback` & co. registered since `start`."""

    def __init__(self):
        self.callbacks: list = []
        self.callback_map: dict = {}
        self.inline_scripts: list = []
        self.api_paths: dict = {}

    def give_to(self, app: dash.Dash) -> None:
        app._callback_list.extend(self.callbacks)
        app.callback_map.update(self.callback_map)
        app._inline_scripts.extend(self.inline_scripts)
        app.callback_api_paths.update(self.api_paths)


@contextmanager
def _own_global_callbacks() -> Iterator[_Registered]:
    registered = _Registered()
    before_list = len(dash_callback.GLOBAL_CALLBACK_LIST)
    before_map = set(dash_callback.GLOBAL_CALLBACK_MAP)
    before_scripts = len(dash_callback.GLOBAL_INLINE_SCRIPTS)
    before_api = set(dash_callback.GLOBAL_API_PATHS)
    try:
        yield registered
    finally:
        registered.callbacks = dash_callback.GLOBAL_CALLBACK_LIST[before_list:]
        del dash_callback.GLOBAL_CALLBACK_LIST[before_list:]
        for key in set(dash_callback.GLOBAL_CALLBACK_MAP) - before_map:
            registered.callback_map[key] = dash_callback.GLOBAL_CALLBACK_MAP.pop(key)
        registered.inline_scripts = dash_callback.GLOBAL_INLINE_SCRIPTS[before_scripts:]
        del dash_callback.GLOBAL_INLINE_SCRIPTS[before_scripts:]
        for key in set(dash_callback.GLOBAL_API_PATHS) - before_api:
            registered.api_paths[key] = dash_callback.GLOBAL_API_PATHS.pop(key)


_thread_loops = threading.local()


def _run_on_thread_loop(server, func):
    """Flask's `async_to_sync` (a documented override): the coroutine runs on an event
    loop this thread keeps, instead of a new thread and loop per call. As with
    `asyncio.run`, nothing it left running outlives the call. In a thread that already
    runs a loop, Flask's own way. (An async callback's `sync_to_async` calls then run on
    asgiref's one shared thread, as they would from any event loop.)"""

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # none: the usual case in a request thread
            pass
        else:
            return type(server).async_to_sync(server, func)(*args, **kwargs)
        loop = getattr(_thread_loops, "loop", None)
        if loop is None:
            loop = _thread_loops.loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(func(*args, **kwargs))
        finally:
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())

    return run
