"""File names of downloads: what is in the file, readable in a Downloads folder.

`stock-today-aapl-ibm-2010-01-04-to-2012-12-31.csv` for a view,
`stock-today-tech-pair-2007-01-03-to-2016-02-29.xlsx` for a report: the dates are the
period of the data in the file, never the day of the download (unless the data has none). Names are ASCII letters,
digits and hyphens only, so no browser, shell or file system trips over them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from django.utils.text import slugify

from dashkit import spec

TITLE_CHARS = 40
MIDDLE_CHARS = 70
# Choice values that say nothing about what is in the file: toggles and "everything".
UNTELLING = {"on", "off", "all", "yes", "no", "none", "true", "false"}


def _slug(text: str, limit: int) -> str:
    """Lower-case ASCII words joined by hyphens, cut at a word boundary within `limit`."""
    # A slash separates words ("A/B Test", "Q3 / Q4"); slugify would glue them.
    slug = slugify(text.replace("/", " ").replace("\\", " ")).replace("_", "-").strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut[:limit]).strip("-")


def _key_values(dashboard: spec.Dashboard, params: Mapping[str, Any]) -> tuple[list[str], list[dt.date]]:
    """The chosen values that tell views apart, and the dates, in declaration order.

    Numbers are left out: they tune a view (a window, a threshold) more than they name it.
    """
    words: list[str] = []
    dates: list[dt.date] = []
    for param in dashboard.params:
        value = params.get(param.name)
        if isinstance(param, spec.Date) and isinstance(value, dt.date):
            dates.append(value)
        elif isinstance(param, (spec.Choice, spec.MultiChoice)) and param.describes_data:
            values = value if isinstance(value, (list, tuple)) else [value]
            words += [str(v) for v in values if str(v).strip().lower() not in UNTELLING]
    return words, dates


def export_filename(
    *,
    dashboard: spec.Dashboard,
    params: Mapping[str, Any],
    today: dt.date,
    report_name: str = "",
    report_id: int | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    extension: str = "csv",
    suffix: str = "",
) -> str:
    """The file's name: the dashboard's title, then the report's name or the key
    parameters, then the period of the data (`period`, else the dates the view's parameters
    name, else the day of the download), then `suffix` ("raw")."""
    title = _slug(dashboard.title, TITLE_CHARS) or _slug(dashboard.slug, TITLE_CHARS) or "export"
    dates: list[dt.date] = []
    if report_id is not None:
        middle = _slug(report_name, MIDDLE_CHARS) or f"report-{report_id}"
    else:
        words, dates = _key_values(dashboard, params)
        middle = _slug(" ".join(words), MIDDLE_CHARS)
    if period:
        dates = list(period)
    if len(dates) >= 2 and min(dates) != max(dates):
        when = f"{min(dates):%Y-%m-%d}-to-{max(dates):%Y-%m-%d}"
    elif dates:
        when = f"{dates[0]:%Y-%m-%d}"
    else:
        when = f"{today:%Y-%m-%d}"
    return "-".join(part for part in (title, middle, when, suffix) if part) + f".{extension}"


def attachment_header(filename: str) -> str:
    """Content-Disposition for a download, with the RFC 6266 `filename*` form beside the plain one."""
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename, safe='')}"
