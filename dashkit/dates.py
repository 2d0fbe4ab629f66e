"""Date presets for a From/To pair of date pickers: last 7, 30 and 90 days, month
to date, year to date and all, counted back from the data's last day (not from
today, which may be years after the data ends).

Django-free, like the catalogue modules that use it:

    DATE_PRESETS = DatePresets(first=FIRST_DAY, last=LAST_DAY)  # pickers "start" and "end"
    DATE_PRESETS.control(params["start"], params["end"])  # in the layout, before From and To
    DATE_PRESETS.register(app)  # beside the dashboard's own callbacks
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from dash import Input, Output, dcc

from dashkit.look import control

# (value, label) in the order the menu lists them.
PRESETS: tuple[tuple[str, str], ...] = (
    ("last-7", "Last 7 days"),
    ("last-30", "Last 30 days"),
    ("last-90", "Last 90 days"),
    ("month", "Month to date"),
    ("year", "Year to date"),
    ("all", "All dates"),
)
# Shown when the dates match no preset; it cannot be chosen.
CUSTOM = "custom"
CUSTOM_LABEL = "Custom"
# When several presets give the same days (data shorter than 90 days, the first of
# January, ...), the widest name wins: "All dates" rather than "Last 90 days".
_MATCH_ORDER = ("all", "year", "month", "last-90", "last-30", "last-7")
_LAST_DAYS = {"last-7": 7, "last-30": 30, "last-90": 90}


def preset_range(preset: str, *, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of `preset` for data from `first` to `last`, both included.

    Every preset ends on the data's last day and starts no earlier than its first.
    """
    if first > last:
        raise ValueError(f"the data's first day {first} comes after its last day {last}")
    if preset in _LAST_DAYS:
        start = last - dt.timedelta(days=_LAST_DAYS[preset] - 1)
    elif preset == "month":
        start = last.replace(day=1)
    elif preset == "year":
        start = last.replace(month=1, day=1)
    elif preset == "all":
        start = first
    else:
        raise ValueError(f"{preset!r} is not a date preset")
    return max(start, first), last


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
# matches, or "Custom". One callback with the dates as input and output, so that
# neither change loops back. Runs in the browser: the days are computed here.
_FOLLOW_JS = """function (preset, start, end) {
    var ranges = %(ranges)s, dc = window.dash_clientside, keep = dc.no_update, i;
    if (dc.callback_context.triggered_id === %(id)s) {
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
    """A "Period" menu of presets for the date pickers `start_id` and `end_id` (their `date`)."""

    first: dt.date
    last: dt.date
    start_id: str = "start"
    end_id: str = "end"
    id: str = "date-preset"
    label: str = "Period"

    def __post_init__(self):
        if self.first > self.last:
            raise ValueError(f"the data's first day {self.first} comes after its last day {self.last}")

    def range(self, preset: str) -> tuple[dt.date, dt.date]:
        return preset_range(preset, first=self.first, last=self.last)

    def preset_for(self, start: Any, end: Any) -> str:
        return preset_for(start, end, first=self.first, last=self.last)

    def control(self, start: Any, end: Any, width: str = "160px") -> Any:
        """The labelled menu, showing the preset of `start` to `end` (or "Custom")."""
        options = [{"label": label, "value": value} for value, label in PRESETS]
        options.append({"label": CUSTOM_LABEL, "value": CUSTOM, "disabled": True})
        menu = dcc.Dropdown(
            id=self.id,
            options=options,
            value=self.preset_for(start, end),
            clearable=False,
            searchable=False,
            maxHeight=280,  # every choice in view, no scrolling inside the menu
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
