"""What a dashboard declares: metadata, typed parameters, data, layout, callbacks.

This module must not import Django or django_plotly_dash: the catalogue
modules import it, and they also run as plain Dash apps (`examples/`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "dashboards" / "data"


_data_dir: Path | None = None


def use_data_dir(path: Path) -> None:
    """Where `data_dir` points when `DATA_DIR` is not in the environment (the portal's setting)."""
    global _data_dir
    _data_dir = Path(path)


def data_dir() -> Path:
    """Folder of bundled data files (`DATA_DIR`, else the portal's setting, else `dashboards/data`)."""
    return Path(os.environ.get("DATA_DIR") or _data_dir or DEFAULT_DATA_DIR)


class ParamError(ValueError):
    """A parameter value that the spec does not allow.

    `str(error)` names the parameter by its code name (logs, the callback guard);
    `text` says it in business words, by the parameter's label, for the people who
    see it: "Rolling window: enter a whole number from 2 to 90."
    """

    def __init__(self, name: str, message: str, *, label: str = "", hint: str = ""):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.label = label
        self.hint = hint

    @property
    def text(self) -> str:
        return f"{self.label or self.name}: {self.hint or self.message}"


@dataclass(frozen=True, kw_only=True)
class Param:
    """One parameter: its name is also the id of its input component."""

    name: str
    label: str
    default: Any
    # The component property that holds the value (`value`, `date`, ...).
    prop: str = "value"
    # False for a choice of how the data is shown (a chart's scale), not of which data:
    # a download's file name leaves it out.
    describes_data: bool = True
    # (value, what people call it) for values that are codes: ("GSPC", "S&P 500").
    labels: tuple[tuple[str, str], ...] = ()

    def clean(self, value: Any) -> Any:
        raise NotImplementedError

    @property
    def hint(self) -> str:
        """What a good value is, in business words (after the label and a colon)."""
        return "choose one of the listed options"

    def check(self) -> dict[str, Any]:
        """What the portal's frame needs to check a value at its control, as JSON."""
        return {"name": self.name, "prop": self.prop, "label": self.label, "hint": self.hint, "kind": "any"}

    def text(self, value: Any) -> str:
        """A checked value in words, for a printed view's filters."""
        names = dict(self.labels)
        values = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(
            names.get(
                str(v),
                v.isoformat() if isinstance(v, dt.date) else f"{v:g}" if isinstance(v, float) else str(v),
            )
            for v in values
        )


@dataclass(frozen=True, kw_only=True)
class Choice(Param):
    choices: tuple[str, ...]

    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise ParamError(self.name, f"{value!r} is not one of {', '.join(self.choices)}")
        return value

    def check(self) -> dict[str, Any]:
        return {**super().check(), "kind": "choice", "choices": list(self.choices)}


@dataclass(frozen=True, kw_only=True)
class Period(Choice):
    """A named period of a From/To pair of `Date` parameters ("last-90"): unless it is
    `custom`, cleaning the parameters sets their dates from it, so a saved report, a link
    or a default that says "the last 90 days" shows the last 90 days of the data as it is
    now. `resolve(rule)` gives the first and last day; `dashkit.dates.DatePresets.param()`
    makes one."""

    start: str = "start"
    end: str = "end"
    resolve: Callable[[str], tuple[dt.date, dt.date]]
    # The rule whose days are exactly these (else `custom`): for dates given without a
    # rule, as the period menu shows them.
    match: Callable[[Any, Any], str] | None = None
    custom: str = "custom"
    # The dates it gives name the data; a file name has them already.
    describes_data: bool = False

    def describe(self, rule: str, start: dt.date, end: dt.date) -> str:
        """The rule and the days it gives: "Last 90 days (3 Oct 2025 to 31 Dec 2025)"."""
        label = dict(self.labels).get(rule, rule)
        if rule == self.custom:
            return f"{start:%-d %b %Y} to {end:%-d %b %Y}"
        return f"{label} ({start:%-d %b %Y} to {end:%-d %b %Y})"


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
            raise ParamError(self.name, f"{unknown[0]!r} is not one of {', '.join(self.choices)}")
        limit = self.max_items or len(self.choices)
        if len(value) > limit:
            raise ParamError(self.name, f"choose at most {limit}")
        cleaned = list(dict.fromkeys(value))  # drop repeats, keep order
        if len(cleaned) < self.min_items:
            raise ParamError(self.name, f"choose at least {self.min_items}")
        return cleaned

    @property
    def limit(self) -> int:
        return self.max_items or len(self.choices)

    @property
    def hint(self) -> str:
        least = "at least one" if self.min_items == 1 else f"at least {self.min_items}"
        if self.limit < len(self.choices):
            return f"choose {least} and at most {self.limit} of the listed options"
        return f"choose {least} of the listed options"

    def check(self) -> dict[str, Any]:
        return {
            **super().check(),
            "kind": "multi",
            "choices": list(self.choices),
            "min_items": self.min_items,
            "max_items": self.limit,
        }


@dataclass(frozen=True, kw_only=True)
class Number(Param):
    """A number between `min` and `max` (a whole number when `integer`)."""

    min: float
    max: float
    integer: bool = False

    def clean(self, value: Any) -> float | int:
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ParamError(self.name, f"{value!r} is not a number") from None
        # bool is an int to Python, never to a user.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(self.name, "expected a number")
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            number = math.inf
        if not math.isfinite(number):
            raise ParamError(self.name, "expected a finite number")
        if not self.min <= number <= self.max:
            raise ParamError(self.name, f"{number:g} is outside {self.min:g} to {self.max:g}")
        if self.integer:
            if number != int(number):
                raise ParamError(self.name, f"{number:g} is not a whole number")
            return int(number)
        return number

    @property
    def hint(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        return f"enter {kind} from {self.min:g} to {self.max:g}"

    def check(self) -> dict[str, Any]:
        return {
            **super().check(),
            "kind": "number",
            "min": self.min,
            "max": self.max,
            "integer": self.integer,
        }


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
                # A date, or the midnight a date picker may append to it.
                if len(value) > 10 and value[10:] not in ("T00:00:00", "T00:00:00.000", " 00:00:00"):
                    raise ValueError
                value = dt.date.fromisoformat(value[:10])
            except ValueError:
                raise ParamError(self.name, f"{value!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(value, dt.date):
            raise ParamError(self.name, "expected a date (YYYY-MM-DD)")
        if not self.min <= value <= self.max:
            raise ParamError(self.name, f"{value} is outside {self.min} to {self.max}")
        return value

    @property
    def hint(self) -> str:
        return f"pick a day from {self.min.isoformat()} to {self.max.isoformat()}"

    def check(self) -> dict[str, Any]:
        return {**super().check(), "kind": "date", "min": self.min.isoformat(), "max": self.max.isoformat()}


@dataclass(frozen=True, kw_only=True)
class InOrder:
    """A rule between two parameters: `first` is not after `last` (a date range, a band
    of numbers). Declared once, it is checked for links, reports, exports, callbacks and
    at the controls."""

    first: str
    last: str

    def holds(self, params: Mapping[str, Any]) -> bool:
        return params[self.first] <= params[self.last]

    def error(self, dashboard: Dashboard) -> ParamError:
        first, last = dashboard.param(self.first), dashboard.param(self.last)
        return ParamError(
            self.first,
            f"comes after {self.last}",
            label=first.label,
            hint=f"must not be after “{last.label}”",
        )


@dataclass(frozen=True, kw_only=True)
class Portal:
    """What the portal adds to a plain Dash app module: `portal = Portal(...)` beside `app`.

    A plain run (`python app.py`) ignores it. Title and description default to
    the app's `title` and the module's docstring; `params` name input
    components of the layout by id, and `data(params)` is the frame behind the
    view (saved reports, permalinks and CSV export need them); `charts(params)`
    names its figures (the PDF and PNG of a view, the images of a scheduled report's
    e-mail), and `key_figures(params)` its key numbers (what users set alerts on).
    `staff_note` is shown to staff only, above the dashboard: operating hints for those
    who run it.
    """

    title: str = ""
    description: str = ""
    category: str = "General"
    params: tuple[Param, ...] = ()
    data: Callable[[dict[str, Any]], pd.DataFrame] | None = None
    charts: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    key_figures: Callable[[dict[str, Any]], dict[str, float]] | None = None
    features: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    live: bool = False
    staff_note: str = ""
    # Accepted for modules written before `dashkit.memo`; the portal never shares a
    # callback's answer (it cannot know what the callback read): memoise data functions.
    cache_answers: bool = False
    # The plotly.js trace types of every figure the app draws, as in `Dashboard`.
    traces: tuple[str, ...] = ()
    # How the data's columns read in the exports, as in `Dashboard`.
    columns: Any = ()


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    """A dashboard as the portal and the standalone run both see it."""

    slug: str
    title: str
    description: str
    category: str
    params: tuple[Param, ...] = ()
    # params -> DataFrame: the data behind the view, with no side effects.
    data: Callable[[dict[str, Any]], pd.DataFrame] | None = None
    # params -> {title: plotly figure (or its dict)}: the view's charts in reading order, for
    # the PDF and PNG of the view (under its filters and period) and the images of a
    # scheduled report's e-mail. None: no such export; the e-mail links to the view.
    charts: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # params -> {name: number}: the view's key figures ("conversion", "p-value"), which
    # users can be alerted on ("tell me when conversion goes below 2%").
    key_figures: Callable[[dict[str, Any]], dict[str, float]] | None = None
    # default params -> Dash component tree (None for a dropped-in Dash app).
    layout: Callable[[dict[str, Any]], Any] | None = None
    # Registers the callbacks on any object with Dash's `callback` decorator.
    register_callbacks: Callable[[Any], None] | None = None
    features: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())
    # New data reaches open pages without a reload (shown as a badge).
    live: bool = False
    # For the people who run the site (how to feed it, where its data comes from):
    # the portal shows it to staff only, never inside the dashboard.
    staff_note: str = ""
    # Accepted for modules written before `dashkit.memo`; it changes nothing.
    cache_answers: bool = False
    # The plotly.js trace types ("scatter", "bar", ...) of every figure the dashboard
    # draws: the portal then loads a plotly.js with just those, much quicker to start
    # than the full one. Empty: any trace type (the full plotly.js). A trace type
    # left out is not drawn in the portal, so declare all or none.
    traces: tuple[str, ...] = ()
    # Rules between parameters (`InOrder(first="start", last="end")`), checked wherever
    # the parameters are.
    rules: tuple[InOrder, ...] = ()
    # How the data's columns read (`dashkit.formats.Column`): their labels and formats in the
    # business CSV and the Excel file; a sequence, or a function of the parameters. Columns
    # left out keep their names; the raw CSV keeps the data function's frame as it is.
    columns: Any = ()

    @property
    def has_params(self) -> bool:
        return bool(self.params)

    @property
    def has_data(self) -> bool:
        return self.data is not None

    @property
    def has_charts(self) -> bool:
        return self.charts is not None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def period_words(self, params: Mapping[str, Any]) -> str:
        """The view's period in words, with its rule when it is relative: "Last 90 days
        (1 Jan 2026 to 31 Mar 2026)"; "" for a dashboard without dates."""
        for param in self.params:
            if isinstance(param, Period):
                return param.describe(params[param.name], params[param.start], params[param.end])
        start, end = params.get("start"), params.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            return f"{start:%-d %b %Y} to {end:%-d %b %Y}"
        return ""

    @property
    def default_props(self) -> dict[str, dict[str, Any]]:
        """{component id: {property: default}} as JSON values: what Reset puts back on screen."""
        values = self.to_json(self.defaults())
        return {p.name: {p.prop: values[p.name]} for p in self.params}

    @property
    def default_props_json(self) -> str:
        # Templates have no JSON filter; `str` covers any default a dropped-in app declares.
        return json.dumps(self.default_props, default=str)

    def clean(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validated parameters: defaults filled in, unknown names refused."""
        known = {p.name for p in self.params}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ParamError(unknown[0], "is not a parameter of this dashboard")
        raw = self._periods_applied(raw)
        cleaned = {}
        for p in self.params:
            value = raw.get(p.name)
            try:
                cleaned[p.name] = p.clean(p.default if value is None else value)
            except ParamError as error:
                raise ParamError(p.name, error.message, label=p.label, hint=p.hint) from None
        for rule in self.rules:
            if not rule.holds(cleaned):
                raise rule.error(self)
        return cleaned

    def _periods_applied(self, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        """The dates of each relative period's pair, from the period as the data is now.
        Dates given without a period (a link or report made before the dashboard had one)
        keep their days: they take the rule the period menu shows for them ("Last 90
        days" for exactly those days), else `custom`. A `custom` given stays custom."""
        periods = [p for p in self.params if isinstance(p, Period)]
        if not periods:
            return raw
        raw = dict(raw)
        for period in periods:
            rule = raw.get(period.name)
            if rule is None:
                start, end = raw.get(period.start), raw.get(period.end)
                if start is None and end is None:
                    rule = period.default
                elif start is not None and end is not None and period.match:
                    rule = period.match(start, end)
                else:
                    rule = period.custom
            rule = raw[period.name] = period.clean(rule)
            if rule != period.custom:
                start, end = period.resolve(rule)
                raw[period.start], raw[period.end] = start, end
        return raw

    def from_link(self, query: Mapping[str, list[str]]) -> tuple[dict[str, Any], list[str]]:
        """The parameters of a link that may be out of date or partly wrong (see `salvage`)."""
        raw: dict[str, Any] = {}
        for name, values in query.items():
            known = next((p for p in self.params if p.name == name), None)
            raw[name] = list(values) if isinstance(known, MultiChoice) else (values[-1] if values else None)
        return self.salvage(raw)

    def salvage(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """What can be used of parameters that may be out of date or partly wrong (an old
        link, a report saved before the dashboard changed), and what was dropped, in
        business words. Each bad part is left out, its default used instead, rather than
        the whole refused; an unknown ticker among good ones drops only that ticker."""
        dropped: list[str] = []
        kept: dict[str, Any] = {}
        for name, value in raw.items():
            try:
                param = self.param(name)
            except KeyError:
                dropped.append(f"“{str(name)[:40]}” is not a setting of this dashboard")
                continue
            if isinstance(param, MultiChoice) and isinstance(value, (list, tuple)):
                good = [v for v in value if isinstance(v, str) and v in param.choices]
                unknown = dict.fromkeys(str(v)[:40] for v in value if not (isinstance(v, str) and v in good))
                dropped += [f"{param.label}: “{v}” is not one of the options" for v in unknown]
                if unknown and not good:
                    continue  # nothing left of it: its default
                value = list(dict.fromkeys(good))  # a repeated ticker is no reason to drop the rest
            try:
                kept[name] = param.clean(value)
            except ParamError:
                shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
                dropped.append(f"{param.label}: “{shown[:40]}” cannot be used ({param.hint})")
        raw = kept
        for rule in self.rules:
            merged = {**{p.name: p.clean(p.default) for p in self.params}, **raw}
            if rule.holds(merged):
                continue
            first, last = self.param(rule.first).label, self.param(rule.last).label
            dropped.append(f"{first} and {last}: “{first}” came after “{last}”")
            raw.pop(rule.first, None)
            raw.pop(rule.last, None)
        try:
            return self.clean(raw), dropped
        except ParamError:
            # A default the link's other values do not fit (e.g. a start after the default end).
            return self.clean({}), dropped

    def checks(self) -> dict[str, Any]:
        """What the portal's frame checks at the controls, as JSON: each parameter's
        kind, bounds and hint, and the rules between them."""
        return {
            "params": [p.check() for p in self.params],
            "rules": [{"first": r.first, "last": r.last, "text": r.error(self).text} for r in self.rules],
        }

    def from_query(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """Validated parameters from a URL query (`?tickers=AAPL&tickers=IBM&start=...`)."""
        raw: dict[str, Any] = {}
        for name, values in query.items():
            try:
                param = self.param(name)
            except KeyError:
                raise ParamError(name, "is not a parameter of this dashboard") from None
            raw[name] = list(values) if isinstance(param, MultiChoice) else values[-1]
        return self.clean(raw)

    def to_query(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The URL query of validated parameters: the inverse of `from_query`."""
        pairs = []
        omitted = self.link_omits
        for p in self.params:
            if p.name in omitted and params[p.name] == omitted[p.name]:
                continue
            values = params[p.name] if isinstance(p, MultiChoice) else [params[p.name]]
            pairs += [(p.name, v.isoformat() if isinstance(v, dt.date) else str(v)) for v in values]
        return pairs

    @property
    def link_omits(self) -> dict[str, str]:
        """{parameter: value} left out of links: a custom period (the dates alone say it,
        as in links made before periods)."""
        return {p.name: p.custom for p in self.params if isinstance(p, Period)}

    def to_json(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validated parameters as JSON values (dates as ISO strings)."""
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}

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
      /* Dash 4 components read these variables: dark values, accent #4cc9f0.
         `html:root` outranks the `:root` defaults the components inject later. */
      html:root { color-scheme: dark;
        --Dash-Spacing: 4px;
        --Dash-Stroke-Strong: #3a4b6e; --Dash-Stroke-Weak: #24324d;
        --Dash-Fill-Interactive-Strong: #4cc9f0; --Dash-Fill-Interactive-Weak: rgba(76, 201, 240, .14);
        --Dash-Fill-Inverse-Strong: #0f1829;
        --Dash-Text-Primary: #e5e9f2; --Dash-Text-Strong: #f3f6fb;
        --Dash-Text-Weak: #aeb8ca; --Dash-Text-Disabled: #7f8ba1;
        --Dash-Fill-Primary-Hover: rgba(255, 255, 255, .06); --Dash-Fill-Primary-Active: rgba(255, 255, 255, .1);
        --Dash-Fill-Disabled: #24324d;
        --Dash-Shading-Strong: rgba(0, 0, 0, .6); --Dash-Shading-Weak: rgba(0, 0, 0, .45);
        --Dash-Tooltip-Background-Color: #131c2e; --Dash-Tooltip-Border-Color: #24324d; }
      *, *::before, *::after { box-sizing: border-box; }
      html, body { margin: 0; height: 100%; overflow: hidden; background: #0b1220; color: #e5e9f2;
        font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
        font-size: 14px; line-height: 1.4; }
      #react-entry-point, #react-entry-point > div { height: 100%; }
      ._dash-loading { padding: 2rem; color: #8b97ad; }
      :focus-visible { outline: 2px solid #a5e6fa; outline-offset: 2px; }
      .de-root { height: 100vh; display: flex; flex-direction: column; gap: 12px;
        padding: 14px 20px 16px; overflow: hidden; }
      .de-controls { flex: 0 0 auto; display: flex; flex-wrap: wrap; gap: 14px 16px; align-items: flex-end; }
      .de-control { max-width: 100%; }
      .de-control > label { display: block; font-size: 11px; font-weight: 600; color: #8b97ad;
        text-transform: uppercase; letter-spacing: .06em; margin-bottom: 5px; }
      .de-control .dash-dropdown, .de-control .dash-datepicker-input-wrapper {
        min-height: 38px; background: #0f1829; border-color: #3a4b6e; border-radius: 8px; color: #f3f6fb; }
      .de-control .dash-dropdown:hover, .de-control .dash-datepicker-input-wrapper:hover { border-color: #4d628c; }
      .de-control .dash-dropdown-trigger { min-height: 36px; }
      .de-control .dash-dropdown-value-item { font-weight: 600; }
      .de-control .dash-datepicker-input { height: 36px; font-size: 14px; font-weight: 600; color: #f3f6fb; }
      .dash-dropdown-content, .dash-datepicker-content, .dash-datepicker-calendar-wrapper {
        border-color: #34466a; border-radius: 8px; color: #e5e9f2; }
      .dash-dropdown-option:hover { background: rgba(76, 201, 240, .1); }
      .dash-dropdown-search-container { box-shadow: 0 -9px 0 0 #0f1829; }
      .dash-dropdown-search:focus-visible, .dash-datepicker-input:focus-visible { outline: none; }
      .dash-datepicker-calendar td.dash-datepicker-calendar-date-inside { color: #e5e9f2; }
      .de-summary { flex: 0 0 auto; display: flex; flex-wrap: wrap; gap: 8px; min-height: 32px; }
      .de-stat { display: inline-flex; align-items: center; gap: 6px; background: #131c2e;
        border: 1px solid #24324d; border-radius: 999px; padding: 5px 14px; font-size: 13px;
        color: #c9d1e0; font-variant-numeric: tabular-nums; }
      .de-stat b { color: #fff; }
      .de-up, .de-down { font-weight: 600; }
      .de-up { color: #3ddc97; } .de-down { color: #ff6b6b; }
      .de-charts { flex: 1; min-height: 0; display: grid; gap: 14px;
        grid-template-columns: repeat(auto-fit, minmax(min(420px, 100%), 1fr)); grid-auto-rows: minmax(0, 1fr); }
      .de-chart { min-height: 0; min-width: 0; overflow: hidden; background: #131c2e;
        border: 1px solid #24324d; border-radius: 10px; }
      .de-error { color: #ff8a8a; font-size: 13px; align-self: center; }
      .de-error:empty { display: none; }
      /* Panels, tables and number inputs for dashboards that show more than charts. */
      .de-panel { min-height: 0; min-width: 0; overflow: auto; background: #131c2e;
        border: 1px solid #24324d; border-radius: 10px; padding: 12px 14px; }
      .de-panel > h2 { margin: 0 0 8px; font-size: 13px; font-weight: 600; color: #8b97ad;
        text-transform: uppercase; letter-spacing: .06em; }
      .de-table { width: 100%; border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
      .de-table th, .de-table td { padding: 6px 10px; border-bottom: 1px solid #24324d; text-align: right;
        white-space: nowrap; }
      .de-table th:first-child, .de-table td:first-child { text-align: left; }
      .de-table th { color: #8b97ad; font-weight: 600; font-size: 12px; }
      .de-input { height: 38px; width: 100%; background: #0f1829; color: #f3f6fb; font: inherit; font-weight: 600;
        border: 1px solid #3a4b6e; border-radius: 8px; padding: 0 10px; }
      .de-input:hover { border-color: #4d628c; }
      .de-note { color: #aeb8ca; font-size: 13px; align-self: center; }
      .de-note:empty { display: none; }
      /* Phones: one chart per row, each tall enough to read; the page scrolls instead
         of squeezing every chart into one screen (an inline column layout included). */
      @media (max-width: 640px) {
        html, body { overflow: auto; }
        .de-root { height: auto; min-height: 100vh; overflow: visible; padding: 12px; }
        .de-charts { flex: none; grid-template-columns: minmax(0, 1fr) !important; grid-auto-rows: minmax(300px, auto); }
      }
      .de-warn { color: #1b1300; background: #ffb703; border-radius: 8px; padding: 6px 12px; font-size: 13px;
        font-weight: 500; align-self: center; }
      .de-root > .de-note { align-self: flex-start; }
      .de-warn:empty { display: none; }
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


def cacheable(func: Callable) -> Callable:
    """Accepted for modules written before `dashkit.memo`; it changes nothing: the
    portal never shares a callback's answer. Memoise the data functions it calls."""
    return func


def not_cacheable(func: Callable) -> Callable:
    """Accepted for modules written before `dashkit.memo`; it changes nothing."""
    return func
