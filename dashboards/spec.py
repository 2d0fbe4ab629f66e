"""What a dashboard declares: metadata, typed parameters, data, layout, callbacks.

This module must not import Django or django_plotly_dash: the catalogue
modules import it, and they also run as plain Dash apps (`examples/`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"


def data_dir() -> Path:
    """Folder of bundled data files (`DATA_DIR`, else `dashboards/data`)."""
    return Path(os.environ.get("DATA_DIR") or DEFAULT_DATA_DIR)


class ParamError(ValueError):
    """A parameter value that the spec does not allow."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True, kw_only=True)
class Param:
    """One parameter: its name is also the id of its input component."""

    name: str
    label: str
    default: Any
    # The component property that holds the value (`value`, `date`, ...).
    prop: str = "value"

    def clean(self, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Choice(Param):
    choices: tuple[str, ...]

    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise ParamError(self.name, f"{value!r} is not one of {', '.join(self.choices)}")
        return value


@dataclass(frozen=True, kw_only=True)
class MultiChoice(Param):
    choices: tuple[str, ...]
    min_items: int = 1
    max_items: int | None = None

    def clean(self, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ParamError(self.name, "expected a list of values")
        unknown = [v for v in value if not isinstance(v, str) or v not in self.choices]
        if unknown:
            raise ParamError(
                self.name, f"{unknown[0]!r} is not one of {', '.join(self.choices)}"
            )
        cleaned = list(dict.fromkeys(value))  # drop repeats, keep order
        if len(cleaned) < self.min_items:
            raise ParamError(self.name, f"choose at least {self.min_items}")
        limit = self.max_items or len(self.choices)
        if len(cleaned) > limit:
            raise ParamError(self.name, f"choose at most {limit}")
        return cleaned


@dataclass(frozen=True, kw_only=True)
class Date(Param):
    min: dt.date
    max: dt.date
    prop: str = "date"

    def clean(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value[:10])
            except ValueError:
                raise ParamError(self.name, f"{value!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(value, dt.date):
            raise ParamError(self.name, "expected a date (YYYY-MM-DD)")
        if not self.min <= value <= self.max:
            raise ParamError(self.name, f"{value} is outside {self.min} to {self.max}")
        return value


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    """A dashboard as the portal and the standalone run both see it."""

    slug: str
    title: str
    description: str
    category: str
    params: tuple[Param, ...]
    # params -> DataFrame: the data behind the view, with no side effects.
    data: Callable[[dict[str, Any]], pd.DataFrame]
    # default params -> Dash component tree.
    layout: Callable[[dict[str, Any]], Any]
    # Registers the callbacks on any object with Dash's `callback` decorator.
    register_callbacks: Callable[[Any], None]
    features: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def clean(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validated parameters: defaults filled in, unknown names refused."""
        known = {p.name for p in self.params}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ParamError(unknown[0], "is not a parameter of this dashboard")
        cleaned = {}
        for p in self.params:
            value = raw.get(p.name)
            cleaned[p.name] = p.clean(p.default if value is None else value)
        return cleaned

    def build_layout(self) -> Any:
        return self.layout(self.defaults())


def component_ids(component: Any) -> set[str]:
    """Every string id in a Dash component tree."""
    found: set[str] = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, (str, int, float)):
            continue
        if isinstance(node, Iterable) and not hasattr(node, "to_plotly_json"):
            stack.extend(node)
            continue
        node_id = getattr(node, "id", None)
        if isinstance(node_id, str):
            found.add(node_id)
        stack.append(getattr(node, "children", None))
    return found


# The page that hosts a Dash app, portal or standalone: dark, full height, no
# page scrollbar. Styles are inline so no file has to be served from elsewhere.
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
  <head>
    {%metas%}
    <title>{%title%}</title>
    {%favicon%}
    {%css%}
    <style>
      html, body { margin: 0; height: 100%; background: #0b1220; color: #e5e9f2;
        font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
      #react-entry-point, #react-entry-point > div { height: 100%; }
      ._dash-loading { padding: 2rem; color: #8b97ad; }
      .de-root { box-sizing: border-box; height: 100vh; display: flex;
        flex-direction: column; gap: 10px; padding: 12px 16px; overflow: hidden; }
      .de-controls { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-end; }
      .de-control label { display: block; font-size: 12px; color: #8b97ad;
        text-transform: uppercase; letter-spacing: .04em; margin-bottom: 4px; }
      .de-summary { display: flex; flex-wrap: wrap; gap: 10px; }
      .de-stat { background: #131c2e; border: 1px solid #24324d; border-radius: 8px;
        padding: 6px 12px; font-size: 13px; }
      .de-stat b { color: #fff; margin-right: 6px; }
      .de-up { color: #3ddc97; } .de-down { color: #ff6b6b; }
      .de-charts { flex: 1; min-height: 0; display: grid; gap: 12px;
        grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
      .de-chart { min-height: 0; background: #131c2e; border: 1px solid #24324d;
        border-radius: 8px; }
      .de-error { color: #ff6b6b; font-size: 13px; }
    </style>
  </head>
  <body>
    {%app_entry%}
    <footer>
      {%config%}
      {%scripts%}
      {%renderer%}
    </footer>
  </body>
</html>"""


def standalone_app(dashboard: Dashboard, **dash_kwargs: Any):
    """The dashboard as a plain `dash.Dash` app, for `examples/`."""
    import dash

    app = dash.Dash(
        dashboard.slug,
        title=dashboard.title,
        index_string=INDEX_STRING,
        serve_locally=True,
        **dash_kwargs,
    )
    app.layout = dashboard.build_layout()
    dashboard.register_callbacks(app)
    return app
