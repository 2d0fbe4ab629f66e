"""django-plotly-dash's app routes, served from one Dash instance per app per process.

django-plotly-dash builds a whole Dash app (a `dash.Dash.__init__`, every
callback registered again) on every request, looks the app up in the
database, and rewrites the session on every callback. These views answer the
same requests with the same bytes from an instance built once: the page, the
layout and the dependencies are computed once, and a callback is only the
dispatch. The page's scripts point straight at versioned static files. The django-plotly-dash views stay reachable with `DASH_FAST_VIEWS=0`
(the benchmark's third column).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

from dash.exceptions import PreventUpdate
from dash.fingerprint import check_fingerprint
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import URLPattern, path
from django_plotly_dash import urls as dpd_urls
from django_plotly_dash._patches import DjangoPlotlyJSONEncoder
from django_plotly_dash.util import get_initial_arguments

from dashboards import integration
from dashboards.finders import BUNDLE_ROOT


@dataclass(frozen=True)
class BuiltApp:
    app: integration.PortalWrappedDash
    base_path: str
    index: str
    layout_tree: dict
    layout: str
    dependencies: bytes


_built: dict[str, BuiltApp] = {}
_lock = threading.Lock()


def built_app(slug: str) -> BuiltApp:
    """The Dash instance of a dashboard and its constant answers, made on first use."""
    found = _built.get(slug)
    if found is None:
        with _lock:
            found = _built.get(slug) or _build(slug)
            _built[slug] = found
    return found


def _build(slug: str) -> BuiltApp:
    app = integration.app(slug).as_dash_instance()
    with app.app_context():
        dependencies = app.locate_endpoint_function("dash-dependencies")().data
    layout_response = app.locate_endpoint_function("dash-layout")()
    return BuiltApp(
        app=app,
        base_path=app.base_url(),
        index=_direct_bundle_urls(app.locate_endpoint_function()(), app.base_url()),
        layout_tree=json.loads(layout_response.data),
        layout=app.augment_initial_layout(layout_response, None)[0],
        dependencies=dependencies,
    )


def _direct_bundle_urls(page: str, base_path: str) -> str:
    """Point the page's scripts straight at the static files.

    django-plotly-dash answers each `_dash-component-suites/` address with a
    redirect to an unversioned static file cached for a minute; the versioned
    path is served by WhiteNoise, compressed and cached for a year.
    """
    suites = re.escape(base_path + "_dash-component-suites/")

    def direct(match: re.Match) -> str:
        path, _ = check_fingerprint(match["path"])
        return f'{match["attr"]}="{static(f"{BUNDLE_ROOT}/{path}")}"'

    return re.sub(rf'(?P<attr>src|href)="{suites}(?P<path>[^"?]+)(\?[^"]*)?"', direct, page)


def main(request: HttpRequest, ident: str, stateless: bool = True, cache_id: str | None = None, **kwargs):
    built = built_app(ident)
    page = built.index
    if cache_id:
        # The page differs from the plain one only in the base path it names.
        page = page.replace(built.base_path, f"{built.base_path}initial/{cache_id}/")
    return HttpResponse(page)


def layout(request: HttpRequest, ident: str, stateless: bool = True, cache_id: str | None = None, **kwargs):
    built = built_app(ident)
    initial = get_initial_arguments(request, cache_id)
    if not isinstance(initial, dict) or not initial:  # unknown, expired or forged cache id
        return HttpResponse(built.layout, content_type="application/json")
    tree = built.app.walk_tree_and_replace(built.layout_tree, initial)
    return HttpResponse(json.dumps(tree, cls=DjangoPlotlyJSONEncoder), content_type="application/json")


def dependencies(request: HttpRequest, ident: str, **kwargs):
    return HttpResponse(built_app(ident).dependencies, content_type="application/json")


def update(request: HttpRequest, ident: str, **kwargs):
    # The route guard has checked the body's shape and its parameters.
    built = built_app(ident)
    arg_map = {
        "dash_app_id": ident,
        "dash_app": integration.app(ident),
        "user": request.user,
        "request": request,
        # Not kept between callbacks: no portal dashboard keeps session state,
        # and writing the session on every callback costs a database write.
        "session_state": {},
    }
    try:
        answer = built.app.dispatch_with_args(json.loads(request.body), arg_map)
    except PreventUpdate:
        return HttpResponse(status=204)
    if str(answer) == "EDGECASEEXIT":
        return HttpResponse("")
    data, mimetype = getattr(answer, "data", answer), getattr(answer, "mimetype", "application/json")
    return HttpResponse(data, content_type=mimetype)


FAST_VIEWS = {
    "main": ("", main),
    "layout": ("_dash-layout", layout),
    "dependencies": ("_dash-dependencies", dependencies),
    "update-component": ("_dash-update-component", update),
}


# `routes` is not implemented by django-plotly-dash (a 500), and `asset-redirect`
# writes a database row on a GET; no portal dashboard has assets of its own.
UNUSED_ROUTES = {"routes", "asset-redirect"}


def app_urlpatterns() -> list[URLPattern]:
    """django-plotly-dash's routes for apps defined in code, guarded, the hot ones served from here.

    The database-instance routes and `add_stateless_apps` (which writes rows for
    any caller) are left out, and so are the unused routes.
    """
    patterns = []
    for pattern in dpd_urls.urlpatterns:
        if not pattern.name.startswith("app-"):
            continue
        kind = pattern.name.removeprefix("app-").removesuffix("--args")
        if kind in UNUSED_ROUTES:
            continue
        if settings.DASH_FAST_VIEWS and kind in FAST_VIEWS:
            url_part, view = FAST_VIEWS[kind]
            guarded = integration.dash_view_decorator(view, url_part=url_part)
            pattern = path(str(pattern.pattern), guarded, pattern.default_args, name=pattern.name)
        patterns.append(pattern)
    return patterns
