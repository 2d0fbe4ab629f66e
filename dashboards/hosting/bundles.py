"""Component libraries' files as versioned static files, and each page naming only its own.

Plain Dash serves `_dash-component-suites/<package>/<file>` itself; the portal
serves the same files as `/static/dash-bundles/<package>/<version>/<file>`
through WhiteNoise (compressed, cached for a year: the version is in the path)
for every installed component library, Dash's own and plotly.js included.

Only a real component library's own files: a package Dash registers is not one
by that alone (subclassing `html.Div` in `dashboards/catalogue/x/` registers
`dashboards`), so a package is served only when it is the installed
distribution's own folder, outside this project, and declares Dash component
resources (`_js_dist` / `_css_dist`); Dash (`dash`) and plotly.js (`plotly`) too.

Dash's component registry is process-wide: once one catalogue module imports
dash-bootstrap-components, plain Dash would list its bundles on every app's
page. A hosted app's page names only the libraries its own module uses.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import json
import os
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import dash
from dash.development.base_component import Component, ComponentRegistry
from dash.fingerprint import check_fingerprint
from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.utils import get_files
from django.core.files.storage import FileSystemStorage
from django.templatetags.static import static

from dashkit import look

BUNDLE_ROOT = "dash-bundles"
# What a component package may serve: scripts, styles, source maps, fonts, images.
SERVED_SUFFIXES = {".js", ".css", ".map", ".json", ".woff", ".woff2", ".ttf", ".eot", ".svg", ".png", ".gif"}
# Dash's own packages: always on the page (dash-renderer, dcc, html, dash_table, plotly.js).
DASH_PACKAGES = {"dash", "plotly"}


def _package_root(package: str) -> Path | None:
    """The folder whose files `package` serves, if it is a component library (or Dash's own)."""
    # Registered by a component class of an imported module: nothing is imported for a request.
    if package not in DASH_PACKAGES and package not in ComponentRegistry.registry:
        return None
    return _library_root(package)


@functools.cache
def _installed_packages() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@functools.cache
def _library_root(package: str) -> Path | None:
    module = sys.modules.get(package) or importlib.import_module(package)
    if package not in DASH_PACKAGES and not (
        getattr(module, "_js_dist", None) or getattr(module, "_css_dist", None)
    ):
        return None  # registered by a subclass, but no component library: an app's own package
    init = Path(module.__file__ or "").resolve()
    if not _installed_as(package, init):
        return None
    project = Path(settings.BASE_DIR).resolve()
    # The project folder may hold the virtualenv (`.venv/`): only that part of it counts as installed.
    if init.is_relative_to(project) and not init.is_relative_to(Path(sys.prefix).resolve()):
        return None
    return init.parent


def _installed_as(package: str, init: Path) -> bool:
    """Whether `init` is the `__init__.py` an installed distribution lists as its own
    (its RECORD): a folder of this project with the same name, or an editable install
    of it, is not."""
    for name in _installed_packages().get(package, []):
        files = importlib.metadata.distribution(name).files or []
        for file in files:
            if str(file) == f"{package}/__init__.py" and Path(file.locate()).resolve() == init:
                return True
    return False


def _version(package: str) -> str:
    return str(getattr(sys.modules[package], "__version__", "0"))


def package_file(package: str, path_in_package: str, *, version: str | None = None) -> str | None:
    """The file a component package serves at this path (of this version), else None."""
    try:
        root = _package_root(package)
        if root is None or version not in (None, _version(package)):
            return None
        candidate = (root / path_in_package).resolve()
        if candidate.is_relative_to(root) and candidate.suffix in SERVED_SUFFIXES and candidate.is_file():
            return str(candidate)
    except (ImportError, ValueError, OSError):  # no such package, a NUL byte, a name too long
        pass
    return None


def bundle_path(package: str, path_in_package: str) -> str:
    return f"{BUNDLE_ROOT}/{package}/{_version(package)}/{path_in_package}"


class DashBundleFinder(BaseFinder):
    """`dash-bundles/<package>/<version>/<path>` from the installed component packages."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        found = self._find(path)
        if find_all:
            return [found] if found else []
        # Django's staticfiles expects an empty list, not None, for "not here".
        return found or []

    def _find(self, path: str) -> str | None:
        parts = path.split("/", 3)
        if len(parts) != 4 or parts[0] != BUNDLE_ROOT:
            return None
        _, package, version, rest = parts
        return package_file(package, rest, version=version)

    def list(self, ignore_patterns):
        from dashboards import registry

        registry.catalogue()  # the component packages the catalogue imports
        for package in sorted(DASH_PACKAGES | set(ComponentRegistry.registry)):
            root = _package_root(package)
            if root is None:
                continue
            storage = FileSystemStorage(location=root)
            storage.prefix = f"{BUNDLE_ROOT}/{package}/{_version(package)}"
            if os.path.isdir(storage.location):
                for path in get_files(storage, ignore_patterns or []):
                    if Path(path).suffix in SERVED_SUFFIXES:
                        yield path, storage


def direct_bundle_urls(page: str, prefix: str) -> str:
    """Point a page's `_dash-component-suites/` addresses straight at the static files."""
    suites = re.escape(prefix + "_dash-component-suites/")

    def direct(match: re.Match) -> str:
        path, _ = check_fingerprint(match["path"])
        return f'{match["attr"]}="{static(bundle_path(match["package"], path))}"'

    return re.sub(
        rf'(?P<attr>src|href)="{suites}(?P<package>[^/"]+)/(?P<path>[^"?]+)(\?[^"]*)?"', direct, page
    )


# CDN files the portal ships itself (`dashboards/static/vendor/`), so a page never asks
# another host: what dash-bootstrap-components' `themes` and `icons` name. The
# Bootswatch themes come without their Google Fonts import: the fonts fall back to
# the system's.
LOCAL_COPIES = [
    (
        r"https://cdn\.jsdelivr\.net/npm/bootstrap@5\.3\.6/dist/css/(bootstrap(?:-grid)?\.min\.css)",
        r"bootstrap-5.3.6/\1",
    ),
    (
        r"https://cdn\.jsdelivr\.net/npm/bootswatch@5\.3\.6/dist/(\w+)/bootstrap\.min\.css",
        r"bootswatch-5.3.6/\1/bootstrap.min.css",
    ),
    (
        r"https://cdn\.jsdelivr\.net/npm/bootstrap-icons@1\.11\.3/font/bootstrap-icons\.css",
        "bootstrap-icons-1.11.3/bootstrap-icons.css",
    ),
    (r"https://use\.fontawesome\.com/releases/v6\.7\.2/css/all\.css", "fontawesome-free-6.7.2/css/all.css"),
]
VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"


def local_copy(url: str) -> str | None:
    """The static path of the portal's copy of a CDN file, if it ships one."""
    for pattern, local in LOCAL_COPIES:
        match = re.fullmatch(pattern, url)
        if match and (VENDOR / match.expand(local)).is_file():
            return f"vendor/{match.expand(local)}"
    return None


def _url(resource) -> str:
    return (
        (resource.get("href") or resource.get("src") or "") if isinstance(resource, dict) else str(resource)
    )


def remote_resources(app: dash.Dash) -> list[str]:
    """The app's external stylesheets and scripts that the portal cannot serve from this site."""
    urls = [_url(r) for r in [*app.config.external_stylesheets, *app.config.external_scripts]]
    return [u for u in urls if re.match(r"^(https?:)?//", u)]


def localise_external_resources(app: dash.Dash) -> None:
    """`external_stylesheets` and `external_scripts` as this site serves them: a CDN file
    the portal ships becomes its static copy, and an address from the app's root
    (`/assets/x.css`, a route of its own server) goes below the app's prefix."""
    prefix = app.config.requests_pathname_prefix

    def localised(resource):
        url = _url(resource)
        if local := local_copy(url):
            url = static(local)
        elif url.startswith("/") and not url.startswith(("//", prefix)):
            url = prefix + url[1:]
        else:
            return resource
        if isinstance(resource, dict):
            return {**resource, ("href" if "href" in resource else "src"): url}
        return url

    for name in ("external_stylesheets", "external_scripts"):
        app.config[name] = [localised(r) for r in app.config[name]]


# plotly.js as the `plotly` package ships it: every trace type, 4.8 MB to compile on
# every first visit. plotly.js's own partial bundles (npm `plotly.js-<name>-dist-min`)
# carry a few trace types each: a dashboard that declares its trace types
# (`dashkit.Dashboard(traces=...)`) gets the smallest one that has them all.
FULL_PLOTLY_JS = "package_data/plotly.min.js"


@dataclass(frozen=True)
class PlotlyBundle:
    static_path: str
    version: str
    traces: frozenset[str]
    size: int


def _read_bundle(path: Path, static_path: str) -> PlotlyBundle:
    text = path.read_text(encoding="utf-8")
    version = re.search(r"plotly\.js.*? v(\d+\.\d+\.\d+)", text[:200])
    return PlotlyBundle(
        static_path=static_path,
        version=version[1] if version else "",
        traces=frozenset(re.findall(r'moduleType:"trace",name:"(\w+)"', text)),
        size=path.stat().st_size,
    )


@functools.cache
def full_plotly_js() -> PlotlyBundle:
    return _read_bundle(Path(package_file("plotly", FULL_PLOTLY_JS)), bundle_path("plotly", FULL_PLOTLY_JS))


@functools.cache
def plotly_js(traces: frozenset[str]) -> PlotlyBundle:
    """The smallest plotly.js of the installed version that draws these trace types;
    the full one when none is declared or no partial bundle has them all."""
    full = full_plotly_js()
    partial = [
        _read_bundle(path, str(path.relative_to(VENDOR.parent)))
        for path in sorted(VENDOR.glob("plotly.js-*/plotly-*.min.js"))
    ]
    fitting = [b for b in partial if b.version == full.version and traces and traces <= b.traces]
    return min(fitting, key=lambda b: b.size, default=full)


# A page styled with the dashboard kit names this class in its styles (`spec.INDEX_STRING`).
KIT_STYLES = ".de-root"


def themes_its_figures(app: dash.Dash) -> bool:
    """Whether the app's page is styled with the kit, and so puts the portal theme's
    chart template on each figure itself (`_local_page`, `portal/plotly-defaults.js`)."""
    return KIT_STYLES in app.index_string


# Dash gives every page it renders a signed page-load id of its own (`end_id`).
END_ID = re.compile(r'("end_id":\s*")([^"]*)(")')


def local_page(page: str, prefix: str, *, traces: frozenset[str] = frozenset()) -> str:
    """`_local_page` of Dash's page, made once per distinct page: the rewrite depends on
    the page's text alone, the same for every request but for the page-load id."""
    own = END_ID.search(page)
    if own is None:
        return _local_page(page, prefix, traces)
    made = _local_page(page[: own.start(2)] + page[own.end(2) :], prefix, traces)
    return END_ID.sub(lambda m: m[1] + own[2] + m[3], made, count=1)


@functools.lru_cache(maxsize=256)
def _local_page(page: str, prefix: str, traces: frozenset[str]) -> str:
    """A hosted app's page naming only this site: bundles as static files, files on
    other hosts left out (the system check names them), and the portal's frame
    loaded before anything else: loading, busy and error states, the chart toolbar
    and the portal's theme (`portal/frame.css`, `frame.js`, `plotly-defaults.js`).

    A page styled with the kit also follows the theme in its own colours: it is
    marked `data-dashkit` and carries the kit's chart template of each theme.
    Other apps keep their own look. plotly.js is the smallest bundle that draws
    `traces`, the chart types the dashboard declares (`plotly_js`)."""
    page = direct_bundle_urls(page, prefix)
    # plotly.js (the largest file) from its static address, cached for a year, and asked
    # for with the page's first files rather than once the first chart is rendered.
    plotly = static(plotly_js(traces).static_path)
    page = re.sub(
        r'"serve_locally":\s*true',
        f'"serve_locally": false, "plotlyjs_url": {json.dumps(plotly)}',
        page,
        count=1,
    )
    # The layout and the dependencies too: the renderer asks for them only once its
    # scripts have run; by then they are here.
    frame = (
        f'<link rel="preload" href="{plotly}" as="script">'
        f'<link rel="preload" href="{prefix}_dash-layout" as="fetch" crossorigin>'
        f'<link rel="preload" href="{prefix}_dash-dependencies" as="fetch" crossorigin>'
        f'<link rel="stylesheet" href="{static("portal/frame.css")}">'
        f'<script src="{static("portal/frame.js")}"></script>'
        f'<link rel="stylesheet" href="{static("portal/frame-phone.css")}">'
        f'<script src="{static("portal/frame-phone.js")}"></script>'
        f'<script src="{static("portal/plotly-defaults.js")}"></script>'
    )
    kit = KIT_STYLES in page
    if kit:
        # Data, not a script: nothing runs, and `<` cannot end the element early.
        templates = json.dumps(look.chart_templates_json(), separators=(",", ":")).replace("<", "\\u003c")
        frame += f'<script type="application/json" id="dashkit-chart-templates">{templates}</script>'
        page = re.sub(r"<html\b", "<html data-dashkit", page, count=1)
    page = page.replace("<head>", "<head>" + frame, 1) if "<head>" in page else frame + page
    return re.sub(r'<(link|script)\b[^>]*\b(href|src)="(https?:)?//[^"]*"[^>]*>(</script>)?', "", page)


def limit_to_own_libraries(app: dash.Dash, *, module: types.ModuleType) -> None:
    """The app's page lists the component libraries its module and layout use, no others."""
    libraries = sorted(_libraries_of(app, module))
    app.scripts.get_all_scripts = lambda dev_bundles=False: app.scripts.get_library_scripts(
        libraries, dev_bundles
    )
    app.css.get_all_css = lambda: app.css.get_library_css(libraries)


def _libraries_of(app: dash.Dash, module: types.ModuleType) -> set[str]:
    registered = set(ComponentRegistry.registry)
    used = {"dash"}
    modules = [
        m
        for name, m in list(sys.modules.items())
        if name == module.__name__ or name.startswith(module.__name__ + ".")
    ]
    for mod in modules:
        for value in vars(mod).values():
            owner = (
                value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
            )
            if isinstance(owner, str):
                used.add(owner.split(".")[0])
    stack = [app._layout_value()]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, Component):
            used.add(type(node).__module__.split(".")[0])
            stack.extend(getattr(node, prop, None) for prop in node._prop_names)
    return used & registered
