"""Date presets for a From/To pair of date pickers: last 7, 30 and 90 days, last 12
weeks and months, month to date, the previous month, year to date and all, counted
back from the data's last day (not from today, which may be years after the data
ends) — or from today, for a dashboard that says so (`last=dt.date.today`).

Django-free, like the catalogue modules that use it:

    DATE_PRESETS = DatePresets(first=FIRST_DAY, last=LAST_DAY)  # pickers "start" and "end"
    DATE_PRESETS.control(params["start"], params["end"])  # in the layout, before From and To
    DATE_PRESETS.register(app)  # beside the dashboard's own callbacks

A period that stays relative: declare `DATE_PRESETS.param()` among the dashboard's
parameters, and pass its value to `control(..., preset=params["date-preset"])`. A saved
report, a link or a default then keeps "last 90 days", and its dates follow the data
(`last` may be a function giving the data's last day now).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash import Input, Output, dcc

from dashkit.look import control
from dashkit.spec import Period

# (value, label) in the order the menu lists them.
PRESETS: tuple[tuple[str, str], ...] = (
    ("last-7", "Last 7 days"),
    ("last-30", "Last 30 days"),
    ("last-90", "Last 90 days"),
    ("last-12-weeks", "Last 12 weeks"),
    ("last-12-months", "Last 12 months"),
    ("month", "Month to date"),
    ("previous-month", "Previous month"),
    ("year", "Year to date"),
    ("all", "All dates"),
)
# Shown when the dates match no preset; it cannot be chosen.
CUSTOM = "custom"
CUSTOM_LABEL = "Custom"
# When several presets give the same days (data shorter than 90 days, the first of
# January, ...), the widest name wins: "All dates" rather than "Last 90 days".
_MATCH_ORDER = (
    "all",
    "last-12-months",
    "year",
    "previous-month",
    "month",
    "last-90",
    "last-12-weeks",
    "last-30",
    "last-7",
)
_LAST_DAYS = {"last-7": 7, "last-30": 30, "last-90": 90, "last-12-weeks": 84}


def preset_range(preset: str, *, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of `preset` for data from `first` to `last`, both included.

    Every preset but the previous month ends on the data's last day, and none starts
    before its first.
    """
    if first > last:
        raise ValueError(f"the data's first day {first} comes after its last day {last}")
    if preset in _LAST_DAYS:
        start = last - dt.timedelta(days=_LAST_DAYS[preset] - 1)
    elif preset == "last-12-months":
        # The same day a year before, plus one: 1 Mar 2015 – 29 Feb 2016.
        start = _year_before(last) + dt.timedelta(days=1)
    elif preset == "previous-month":
        end = last.replace(day=1) - dt.timedelta(days=1)
        return max(end.replace(day=1), first), max(end, first)
    elif preset == "month":
        start = last.replace(day=1)
    elif preset == "year":
        start = last.replace(month=1, day=1)
    elif preset == "all":
        start = first
    else:
        raise ValueError(f"{preset!r} is not a date preset")
    return max(start, first), last


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def preset_for(start: Any, end: Any, *, first: dt.date, last: dt.date) -> str:
    """The preset that covers exactly `start` to `end` (dates or ISO strings), else `CUSTOM`."""
    try:
        days = (_as_date(start), _as_date(end))
    except ValueError:
        return CUSTOM
    for preset in _MATCH_ORDER:
        if preset_range(preset, first=first, last=last) == days:
            return preset
    return CUSTOM


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    raise ValueError(f"{value!r} is not a date")


# Choosing a preset sets both dates; changing a date shows the preset that now
# matches, or "Custom" (the first draw shows what the page was built with). One callback with the dates as input and output, so that
# neither change loops back. Runs in the browser: the days are computed here.
_FOLLOW_JS = """function (preset, start, end) {
    var ranges = %(ranges)s, dc = window.dash_clientside, keep = dc.no_update, i;
    var changed = dc.callback_context.triggered_id;
    // On the first draw the page's own values stand: the server chose the rule (a
    // report saved as "Custom" keeps saying so even when its days match a preset).
    if (changed === undefined || changed === null) return [keep, keep, keep];
    if (changed === %(id)s) {
        for (i = 0; i < ranges.length; i++) {
            if (ranges[i][0] === preset) return [ranges[i][1], ranges[i][2], keep];
        }
        return [keep, keep, keep];
    }
    var from = String(start || "").slice(0, 10), to = String(end || "").slice(0, 10);
    for (i = 0; i < ranges.length; i++) {
        if (ranges[i][1] === from && ranges[i][2] === to) return [keep, keep, ranges[i][0]];
    }
    return [keep, keep, %(custom)s];
}"""


@dataclass(frozen=True, kw_only=True)
class DatePresets:
    """A "Period" menu of presets for the date pickers `start_id` and `end_id` (their `date`).

    `first` and `last` are the data's first and last days, or functions giving them now
    (data that grows: a relative period then moves with it).
    """

    first: dt.date | Callable[[], dt.date]
    last: dt.date | Callable[[], dt.date]
    start_id: str = "start"
    end_id: str = "end"
    id: str = "date-preset"
    label: str = "Period"

    def __post_init__(self):
        if not callable(self.first) and not callable(self.last) and self.first > self.last:
            raise ValueError(f"the data's first day {self.first} comes after its last day {self.last}")

    def bounds(self) -> tuple[dt.date, dt.date]:
        """The data's first and last days now."""
        return tuple(day() if callable(day) else day for day in (self.first, self.last))

    def range(self, preset: str) -> tuple[dt.date, dt.date]:
        first, last = self.bounds()
        return preset_range(preset, first=first, last=last)

    def preset_for(self, start: Any, end: Any) -> str:
        first, last = self.bounds()
        return preset_for(start, end, first=first, last=last)

    def param(self, *, default: str = "all") -> Period:
        """The menu as a parameter of the dashboard: saved with reports and links, it keeps
        their dates relative (see `spec.Period`)."""
        return Period(
            name=self.id,
            label=self.label,
            choices=(*(value for value, _ in PRESETS), CUSTOM),
            labels=(*PRESETS, (CUSTOM, CUSTOM_LABEL)),
            default=default,
            start=self.start_id,
            end=self.end_id,
            resolve=self.range,
            match=self.preset_for,
        )

    def control(self, start: Any, end: Any, width: str = "160px", *, preset: str | None = None) -> Any:
        """The labelled menu, showing `preset`, else the preset of `start` to `end` (or "Custom")."""
        options = [{"label": label, "value": value} for value, label in PRESETS]
        options.append({"label": CUSTOM_LABEL, "value": CUSTOM, "disabled": True})
        menu = dcc.Dropdown(
            id=self.id,
            options=options,
            value=preset or self.preset_for(start, end),
            clearable=False,
            searchable=False,
            maxHeight=400,  # every choice in view, no scrolling inside the menu
        )
        return control(self.label, menu, width)

    def register(self, app: Any) -> None:
        """Wire the menu and the pickers on `app` (a `dash.Dash`, or the `dash` module)."""
        ranges = [[p, *(day.isoformat() for day in self.range(p))] for p in _MATCH_ORDER]
        app.clientside_callback(
            _FOLLOW_JS
            % {"ranges": json.dumps(ranges), "id": json.dumps(self.id), "custom": json.dumps(CUSTOM)},
            Output(self.start_id, "date"),
            Output(self.end_id, "date"),
            Output(self.id, "value"),
            Input(self.id, "value"),
            Input(self.start_id, "date"),
            Input(self.end_id, "date"),
        )
