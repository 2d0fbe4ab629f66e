"""Each hosted app's own Dash Pages registry and `dash.hooks`.

Dash keeps both process-wide: every `dash.register_page` of every module goes
into one page registry, which every Pages app routes through, and every
`@dash.hooks.layout()` & co. applies to every app. One process hosts the whole
catalogue, so here each catalogue module gets a `ModuleState` of its own:

- while the loader imports the module (and builds its app), what it registers
  goes to that state (a context variable says which module is loading);
- once its app is built, the app reads its own state: its hooks through
  `app._hooks`, its pages through `dash.page_registry` & co., which resolve to
  the app serving the request (`dash._get_app.app_context`, set per request by
  `views.call_app`);
- anything else (a plain Dash app outside the loader) sees Dash's own objects.

Page modules that two catalogue packages both call `pages/home.py` get their
package's name in `sys.modules`, where Dash would give both the same one.

Private names of dash, read from dash 4.4.1 (`DASH_VERSION`); the test
`test_the_private_names_of_dash_it_relies_on_are_where_it_reads_them` fails
when they move.
"""

from __future__ import annotations

import contextvars
import importlib.util
import os
import sys
import weakref
from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

import dash
import dash._get_app
import dash._hooks
import dash._pages
from dash._utils import AttributeDict

DASH_VERSION = "4.4.1"

# Modules of dash that bind the page registry under their own name (`from dash._pages
# import PAGE_REGISTRY`), so replacing `dash._pages.PAGE_REGISTRY` alone is not enough.
PAGE_REGISTRY_NAMES = {
    "dash._pages": "PAGE_REGISTRY",
    "dash": "page_registry",
    "dash._layout_utils": "PAGE_REGISTRY",
    "dash.mcp.primitives.resources.resource_page_layout": "PAGE_REGISTRY",
    "dash.mcp.primitives.resources.resource_pages": "PAGE_REGISTRY",
}

_DASH_PAGE_REGISTRY = dash._pages.PAGE_REGISTRY
_DASH_HOOKS = dash._hooks.hooks
_dash_infer_module_name = dash._pages._infer_module_name

# The catalogue module being imported (or its app being built), if any.
_loading: contextvars.ContextVar[ModuleState | None] = contextvars.ContextVar(
    "dashengine_module_loading", default=None
)
_by_app: weakref.WeakKeyDictionary[dash.Dash, ModuleState] = weakref.WeakKeyDictionary()


class ModuleState:
    """One catalogue module's pages and hooks. `with state:` makes it the one
    Dash registers into; `give_to(app)` makes it the one the app reads."""

    def __init__(self, module_name: str):
        install()
        self.module_name = module_name
        self.pages: OrderedDict[str, dict] = OrderedDict()
        self.hooks = _copy_of(_DASH_HOOKS)  # hooks of installed plugins (entry points) stay everyone's
        # Dash's `_pages.CONFIG` is the last app built; pages registered by this module read its own.
        self._pages_config: Any = AttributeDict()
        spec = importlib.util.find_spec(module_name)
        locations = spec.submodule_search_locations if spec else None
        self.package_dir = os.path.abspath(locations[0]) if locations else None
        self._entered: list[tuple[contextvars.Token, Any]] = []
        # Dash's background managers and functions, this module's (`background`).
        self.background_managers: list = []
        self.background_functions: list = []

    def __enter__(self) -> ModuleState:
        self._entered.append((_loading.set(self), dash._pages.CONFIG))
        dash._pages.CONFIG = self._pages_config
        return self

    def __exit__(self, *exc_info) -> None:
        token, pages_config = self._entered.pop()
        self._pages_config = dash._pages.CONFIG
        dash._pages.CONFIG = pages_config
        _loading.reset(token)

    def give_to(self, app: dash.Dash) -> None:
        """The app reads its pages and hooks from this state from now on."""
        if app in _by_app:  # an app another catalogue module built and this one imports
            return
        _by_app[app] = self
        app._hooks = type(f"HooksOf_{self.module_name}", (dash._hooks.HooksManager,), {"hooks": self.hooks})
        if isinstance(app._on_error, dash._hooks.HooksManager.HookErrorHandler):
            # Dash's handler looks the error hooks up process-wide; these are the app's.
            app._on_error = _ErrorHooks(app._on_error.original, hooks=self.hooks)


def _current() -> ModuleState | None:
    state = _loading.get()
    if state is not None:
        return state
    try:
        app = dash._get_app.app_context.get()
    except LookupError:
        return None
    return _by_app.get(app) if app is not None else None


class _PageRegistryProxy(MutableMapping):
    """`dash.page_registry` of the module loading, else of the app serving the request."""

    def _pages(self) -> OrderedDict:
        state = _current()
        return state.pages if state is not None else _DASH_PAGE_REGISTRY

    def __getitem__(self, key):
        return self._pages()[key]

    def __setitem__(self, key, value):
        self._pages()[key] = value

    def __delitem__(self, key):
        del self._pages()[key]

    def __iter__(self):
        return iter(self._pages())

    def __len__(self):
        return len(self._pages())

    def __repr__(self):
        return repr(self._pages())

    def __getattr__(self, name):  # move_to_end, copy, popitem...
        return getattr(self._pages(), name)


class _HooksProxy:
    """`dash.hooks` of the module loading, else of the app serving the request."""

    def __getattr__(self, name):
        state = _current()
        return getattr(state.hooks if state is not None else _DASH_HOOKS, name)


class _ErrorHooks:
    """`HooksManager.HookErrorHandler`, reading one app's error hooks."""

    def __init__(self, original, *, hooks: dash._hooks._Hooks):
        self.original = original
        self.hooks = hooks

    def __call__(self, error: Exception):
        result = self.original(error) if self.original else None
        hook_result = None
        for hook in self.hooks.get_hooks("error"):
            hook_result = hook(error)
        return result or hook_result


def _copy_of(hooks: dash._hooks._Hooks) -> dash._hooks._Hooks:
    copy = dash._hooks._Hooks()
    copy._ns = {kind: list(registered) for kind, registered in hooks._ns.items()}
    copy._finals = dict(hooks._finals)
    copy._js_dist = list(hooks._js_dist)
    copy._css_dist = list(hooks._css_dist)
    copy._clientside_callbacks = list(hooks._clientside_callbacks)
    return copy


def _infer_module_name(page_path: str) -> str:
    """Dash names a page module from its folder alone (`pages.home`): two catalogue
    packages with `pages/home.py` would replace each other in `sys.modules`. A page of
    the module loading is named inside it instead (`<package>.pages.home`)."""
    name = _dash_infer_module_name(page_path)
    state = _loading.get()
    if state is None or name.startswith(f"{state.module_name}."):
        return name
    path = os.path.abspath(page_path)
    if state.package_dir and path.startswith(state.package_dir + os.sep):
        relative = os.path.relpath(os.path.splitext(path)[0], state.package_dir)
        return ".".join([state.module_name, *relative.split(os.sep)])
    return f"{state.module_name}.{name}"


def install() -> None:
    """Put the per-app registry and hooks in place of Dash's, once per process."""
    if isinstance(dash._pages.PAGE_REGISTRY, _PageRegistryProxy):
        return
    from dashboards.hosting import background  # it reads this module's states

    background.install()
    # Plugins' hooks (the `dash_hooks` entry points) load on the first app built: load them
    # now, so that they go to every app rather than to the first module loading.
    dash._hooks.HooksManager.register_setuptools()
    registry = _PageRegistryProxy()
    for module_name, attribute in PAGE_REGISTRY_NAMES.items():
        module = sys.modules.get(module_name)  # one not imported yet binds dash._pages' name
        if module is not None and getattr(module, attribute, None) is _DASH_PAGE_REGISTRY:
            setattr(module, attribute, registry)
    dash._pages.PAGE_REGISTRY = registry
    dash._pages._infer_module_name = _infer_module_name
    hooks = _HooksProxy()
    dash.hooks = dash._hooks.hooks = dash._hooks.HooksManager.hooks = hooks
