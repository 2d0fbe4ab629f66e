"""Marketing funnel: visits → sign-ups → trials → purchases by channel and country,
2024-01-01 to 2025-12-31, with two segments (channel + country) compared side by side.

The daily rows are generated (seeded): visits follow a weekly pattern (weekends
lower), a yearly cycle peaking in November and December, a gentle growth trend
and noise; each later stage is a binomial draw from the stage before it, with
rates that differ by channel and by country.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html, no_update

from dashkit import formats
from dashkit.dates import DatePresets
from dashkit.look import control, dark_figure, ink
from dashkit.memo import memoize
from dashkit.spec import Choice, Dashboard, Date, InOrder, ParamError

FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
DATE_PRESETS = DatePresets(first=FIRST_DAY, last=LAST_DAY)
ALL = "All"
STAGES = ("visits", "signups", "trials", "purchases")
STAGE_LABELS = {"visits": "Visits", "signups": "Sign-ups", "trials": "Trials", "purchases": "Purchases"}

# channel -> (visits a day on the first day in the US, sign-up rate, trial rate, purchase rate)
CHANNELS = {
    "Organic search": (1800.0, 0.060, 0.34, 0.22),
    "Paid search": (1200.0, 0.045, 0.30, 0.26),
    "Social": (900.0, 0.025, 0.24, 0.15),
    "Email": (400.0, 0.090, 0.45, 0.31),
    "Referral": (300.0, 0.080, 0.40, 0.28),
}
# country -> (visits relative to the US, conversion relative to the US)
COUNTRIES = {
    "US": (1.00, 1.10),
    "UK": (0.35, 1.05),
    "DE": (0.30, 1.00),
    "FR": (0.25, 0.94),
    "BR": (0.30, 0.80),
    "IN": (0.45, 0.70),
}
CHANNEL_CHOICES = (ALL, *CHANNELS)
COUNTRY_CHOICES = (ALL, *COUNTRIES)
COLORS = {"A": "#4cc9f0", "B": "#f72585"}
INK = {"A": "#0b1220", "B": "#ffffff"}  # text inside the bars

# How the numbers read, on the chart, in the table, the summary and the exports.
COUNT = formats.number(0)
STEP = formats.percent(1)
OVERALL = formats.percent(2)
SHARE_AXIS = formats.percent(1)
POINTS_DIFF = formats.number(2, signed=True)  # A − B, in percentage points
COLUMNS = (
    formats.Column("segment", "Segment", formats.text()),
    formats.Column("date", "Date", formats.date()),
    formats.Column("channel", "Channel", formats.text()),
    formats.Column("country", "Country", formats.text()),
    *(formats.Column(stage, STAGE_LABELS[stage], COUNT) for stage in STAGES),
)


@cache
def daily() -> pd.DataFrame:
    """Every day × channel × country, generated once per process."""
    rng = np.random.default_rng(20240101)
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    t = np.arange(len(days)) / 365.25
    weekday = days.day_of_week.to_numpy()
    doy = days.day_of_year.to_numpy()
    weekly = np.where(weekday == 5, 0.72, np.where(weekday == 6, 0.66, 1.0 + 0.03 * (weekday == 1)))
    # A gentle yearly wave with its top in mid-December, plus a holiday-shopping peak
    # from late November (Black Friday) through December.
    yearly = 1 + 0.08 * np.cos(2 * np.pi * (doy - 350) / 365.25) + 0.30 * np.exp(-(((doy - 335) / 18) ** 2))
    growth = 1.14**t
    # Buyers are a little more decided in the holiday season.
    season_buy = 1 + 0.12 * np.exp(-(((doy - 335) / 20) ** 2))
    frames = []
    for channel, (level, signup, trial, purchase) in CHANNELS.items():
        for country, (share, quality) in COUNTRIES.items():
            expected = level * share * weekly * yearly * growth * rng.lognormal(0, 0.09, len(days))
            visits = rng.poisson(expected)
            signups = rng.binomial(visits, min(signup * quality, 1.0))
            trials = rng.binomial(signups, min(trial * quality, 1.0))
            purchases = rng.binomial(trials, np.minimum(purchase * quality * season_buy, 1.0))
            frames.append(
                pd.DataFrame(
                    {
                        "date": days,
                        "channel": channel,
                        "country": country,
                        "visits": visits,
                        "signups": signups,
                        "trials": trials,
                        "purchases": purchases,
                    }
                )
            )
    frame = pd.concat(frames, ignore_index=True)
    return frame.astype({stage: "int64" for stage in STAGES})


def segment(channel: str, country: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The daily rows of one channel + country ("All" sums over all of them)."""
    frame = daily()
    mask = frame["date"].between(pd.Timestamp(start), pd.Timestamp(end))
    if channel != ALL:
        mask &= frame["channel"] == channel
    if country != ALL:
        mask &= frame["country"] == country
    rows = frame.loc[mask].groupby("date", as_index=False)[list(STAGES)].sum()
    rows.insert(1, "channel", channel)
    rows.insert(2, "country", country)
    return rows


@memoize
def data(params: dict[str, Any]) -> pd.DataFrame:
    """The daily rows of segment A and segment B, in the date range."""
    parts = []
    for name, channel, country in (
        ("A", params["channel"], params["country"]),
        ("B", params["compare_channel"], params["compare_country"]),
    ):
        rows = segment(channel, country, params["start"], params["end"])
        rows.insert(0, "segment", name)
        parts.append(rows)
    frame = pd.concat(parts, ignore_index=True)
    return frame[["segment", "date", "channel", "country", *STAGES]]


def funnel_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Stage counts of a frame's rows, with step and overall conversion and drop-off.

    step_rate = stage / previous stage, overall_rate = stage / visits,
    drop_off = previous stage − stage, drop_off_rate = drop_off / previous stage.
    The first stage has no previous one: its step rate and drop-off are NaN.
    A rate over zero is NaN.
    """
    counts = np.array([int(frame[stage].sum()) for stage in STAGES], dtype="int64")
    previous = np.concatenate([[np.nan], counts[:-1].astype(float)])
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(previous > 0, counts / previous, np.nan)
        overall = counts / counts[0] if counts[0] > 0 else np.full(len(STAGES), np.nan)
        drop = previous - counts
        drop_rate = np.where(previous > 0, drop / previous, np.nan)
    return pd.DataFrame(
        {
            "stage": [STAGE_LABELS[stage] for stage in STAGES],
            "count": counts,
            "step_rate": step,
            "overall_rate": overall,
            "drop_off": drop,
            "drop_off_rate": drop_rate,
        }
    )


def segment_label(channel: str, country: str) -> str:
    return (
        f"{'All channels' if channel == ALL else channel} · {'all countries' if country == ALL else country}"
    )


def funnel_figure(tables: dict[str, pd.DataFrame], labels: dict[str, str]) -> go.Figure:
    """Each step's share of visits, per segment, on a log scale: a purchase rate of 0.4%
    is still a bar a person can see and compare, where bars to scale would be slivers."""
    fig = dark_figure("Funnel: count (step conversion)", hovermode="closest", barmode="group", bargap=0.25)
    # Segments are named A and B in the legend, as in the summary and the table: a phone has
    # no room for "All channels · all countries" beside the title.
    fig.update_layout(margin={"l": 84, "b": 48})
    shares = [rate for table in tables.values() for rate in table["overall_rate"] if rate > 0]
    low = min(shares, default=0.001)
    fig.update_xaxes(
        type="log",
        # From a third of the smallest share: the shortest bar keeps room for its label.
        range=[math.log10(low / 3), 0.06],
        dtick=1,  # 0.1%, 1%, 10%, 100%: a label per tenfold step
        title={"text": "Share of visits (log scale)"},
        **SHARE_AXIS.axis(),
    )
    fig.update_yaxes(autorange="reversed")
    for name, table in tables.items():
        text = [
            COUNT.text(count) if math.isnan(step) else f"{COUNT.text(count)} ({STEP.text(step)})"
            for count, step in zip(table["count"], table["step_rate"], strict=True)
        ]
        fig.add_trace(
            go.Bar(
                name=name,
                y=table["stage"].tolist(),
                x=table["overall_rate"].fillna(0).tolist(),
                orientation="h",
                text=text,
                textposition="auto",
                insidetextanchor="end",
                textfont={"size": 12},
                insidetextfont={"color": INK[name]},
                marker={"color": COLORS[name]},
                customdata=[
                    [int(count), 1.0 if math.isnan(step) else float(step)]
                    for count, step in zip(table["count"], table["step_rate"], strict=True)
                ],
                hovertemplate=f"%{{y}}: {COUNT.hover('customdata[0]')}"
                f"<br>{STEP.hover('customdata[1]')} of the step before"
                f"<br>{OVERALL.hover('x')} of visits<extra>{name}: {labels[name]}</extra>",
            )
        )
    return fig


def conversion_table(tables: dict[str, pd.DataFrame], labels: dict[str, str]) -> html.Table:
    """Stages down, per segment count / step / overall / drop-off, then A − B overall."""
    cell = {"padding": "5px 7px"}
    muted = {"color": ink("muted", "#8b97ad"), "fontSize": "12px"}
    a, b = tables["A"], tables["B"]
    head = html.Thead(
        [
            html.Tr(
                [
                    html.Th("", style=cell),
                    *[
                        html.Th(
                            f"{name}: {labels[name]}",
                            colSpan=4,
                            style={**cell, "color": ink(f"series-{name.lower()}", COLORS[name])},
                        )
                        for name in tables
                    ],
                    html.Th("A − B", style=cell),
                ]
            ),
            html.Tr(
                [
                    html.Th("Stage", style=cell),
                    *[
                        html.Th(heading, style=cell)
                        for _ in tables
                        for heading in ("Count", "Step", "Overall", "Drop-off")
                    ],
                    html.Th("Overall", style=cell),
                ]
            ),
        ]
    )
    rows = []
    for i, stage in enumerate(a["stage"]):
        cells: list[Any] = [html.Td(stage, style=cell)]
        for table in (a, b):
            row = table.iloc[i]
            drop = (
                "—"
                if math.isnan(row["drop_off"])
                else [
                    COUNT.text(row["drop_off"]),
                    html.Br(),
                    html.Span(STEP.text(row["drop_off_rate"]), style=muted),
                ]
            )
            cells += [
                html.Td(COUNT.text(row["count"]), style=cell),
                html.Td(STEP.text(row["step_rate"]), style=cell),
                html.Td(OVERALL.text(row["overall_rate"]), style=cell),
                html.Td(drop, style=cell),
            ]
        diff = (a["overall_rate"].iloc[i] - b["overall_rate"].iloc[i]) * 100
        if i == 0 or math.isnan(diff):
            cells.append(html.Td("—", style=cell))
        else:
            cells.append(
                html.Td(POINTS_DIFF.text(diff), className="de-up" if diff >= 0 else "de-down", style=cell)
            )
        rows.append(html.Tr(cells))
    # The unit under the table, not in its header: a wider column would not fit beside the chart.
    caption = html.Caption(
        "A − B: the difference in overall conversion, in percentage points.",
        style={**muted, "captionSide": "bottom", "textAlign": "left", "padding": "6px 7px 0"},
    )
    return html.Table([caption, head, html.Tbody(rows)], className="de-table", id="conversion-table")


def summary(tables: dict[str, pd.DataFrame], labels: dict[str, str]) -> list[html.Span]:
    stats = []
    for name, table in tables.items():
        stats.append(
            html.Span(
                [
                    html.B(name, style={"color": ink(f"series-{name.lower()}", COLORS[name])}),
                    labels[name],
                    ": visits ",
                    html.B(COUNT.text(table["count"].iloc[0])),
                    " · conversion ",
                    html.B(OVERALL.text(table["overall_rate"].iloc[-1])),
                ],
                className="de-stat",
                title="Overall conversion: purchases / visits",
                id=f"summary-{name}",
            )
        )
    diff = (tables["A"]["overall_rate"].iloc[-1] - tables["B"]["overall_rate"].iloc[-1]) * 100
    if not math.isnan(diff):
        stats.append(
            html.Span(
                [
                    "A − B conversion ",
                    html.Span(
                        f"{POINTS_DIFF.text(diff)} percentage points",
                        className="de-up" if diff >= 0 else "de-down",
                    ),
                ],
                className="de-stat",
                title="Difference in overall conversion, in percentage points",
                id="summary-diff",
            )
        )
    return stats


def layout(params: dict[str, Any]) -> html.Div:
    def dropdown(name: str, choices: tuple[str, ...]) -> dcc.Dropdown:
        return dcc.Dropdown(
            id=name,
            options=[{"label": c, "value": c} for c in choices],
            value=params[name],
            clearable=False,
        )

    date_args = {
        "min_date_allowed": FIRST_DAY,
        "max_date_allowed": LAST_DAY,
        "display_format": "YYYY-MM-DD",
        "clearable": False,
    }
    return html.Div(
        [
            html.Div(
                [
                    control("A: channel", dropdown("channel", CHANNEL_CHOICES), "170px"),
                    control("A: country", dropdown("country", COUNTRY_CHOICES), "110px"),
                    control("B: channel", dropdown("compare_channel", CHANNEL_CHOICES), "170px"),
                    control("B: country", dropdown("compare_country", COUNTRY_CHOICES), "110px"),
                    DATE_PRESETS.control(params["start"], params["end"], preset=params["date-preset"]),
                    control(
                        "From", dcc.DatePickerSingle(id="start", date=params["start"], **date_args), "150px"
                    ),
                    control("To", dcc.DatePickerSingle(id="end", date=params["end"], **date_args), "150px"),
                    html.Div(id="message", className="de-error", role="alert"),
                ],
                className="de-controls",
            ),
            html.Div(id="summary", className="de-summary"),
            html.Div(
                [
                    dcc.Graph(id="funnel", className="de-chart", responsive=True, style={"height": "100%"}),
                    html.Div(
                        [html.H2("Conversion by stage"), html.Div(id="table")],
                        className="de-panel",
                        id="conversion",
                        # Wider than a phone: it scrolls, so the keyboard must reach it.
                        tabIndex="0",
                        role="region",
                        **{"aria-label": "Conversion by stage"},
                    ),
                ],
                className="de-charts",
                style={"gridTemplateColumns": "minmax(0, 5fr) minmax(0, 7fr)"},
            ),
        ],
        className="de-root",
    )


@memoize
def view(params: dict[str, Any]) -> tuple[dict, html.Table, list[html.Span]]:
    """The funnel, the conversion table and the summary of these checked parameters."""
    frame = data(params)
    tables = {name: funnel_table(frame[frame["segment"] == name]) for name in ("A", "B")}
    labels = {
        "A": segment_label(params["channel"], params["country"]),
        "B": segment_label(params["compare_channel"], params["compare_country"]),
    }
    return funnel_figure(tables, labels).to_dict(), conversion_table(tables, labels), summary(tables, labels)


def charts(params: dict[str, Any]) -> dict[str, dict]:
    """The view's chart, for its PDF and PNG and a scheduled report's e-mail."""
    return {"Funnel": view(params)[0]}


def key_figures(params: dict[str, Any]) -> dict[str, float]:
    """The view's key figures, which users can be alerted on."""
    frame = data(params)
    rates = {
        name: funnel_table(frame[frame["segment"] == name])["overall_rate"].iloc[-1] for name in ("A", "B")
    }
    return {"conversion A (%)": round(rates["A"] * 100, 3), "conversion B (%)": round(rates["B"] * 100, 3)}


def register_callbacks(app: Any) -> None:
    DATE_PRESETS.register(app)

    @app.callback(
        Output("funnel", "figure"),
        Output("table", "children"),
        Output("summary", "children"),
        Output("message", "children"),
        Input("channel", "value"),
        Input("country", "value"),
        Input("compare_channel", "value"),
        Input("compare_country", "value"),
        Input("start", "date"),
        Input("end", "date"),
    )
    def update(channel, country, compare_channel, compare_country, start, end):
        try:
            params = dashboard.clean(
                {
                    "channel": channel,
                    "country": country,
                    "compare_channel": compare_channel,
                    "compare_country": compare_country,
                    "start": start,
                    "end": end,
                }
            )
        except ParamError as error:
            # The charts keep the last good result; the note says which choice to fix.
            return no_update, no_update, no_update, error.text
        return *view(params), ""


dashboard = Dashboard(
    slug="funnel",
    title="Marketing Funnel",
    description="Visits, sign-ups, trials and purchases by channel and country in 2024-2025, "
    "with step and overall conversion, drop-off and two segments side by side.",
    category="Marketing",
    features=(
        "Filter by channel, country and date range",
        "Step and overall conversion, drop-off",
        "Compare two segments side by side",
    ),
    tags=("funnel", "conversion", "marketing"),
    traces=("bar",),
    params=(
        Choice(name="channel", label="A: channel", choices=CHANNEL_CHOICES, default=ALL),
        Choice(name="country", label="A: country", choices=COUNTRY_CHOICES, default=ALL),
        Choice(name="compare_channel", label="B: channel", choices=CHANNEL_CHOICES, default="Paid search"),
        Choice(name="compare_country", label="B: country", choices=COUNTRY_CHOICES, default=ALL),
        DATE_PRESETS.param(default="all"),
        Date(name="start", label="From", min=FIRST_DAY, max=LAST_DAY, default=FIRST_DAY),
        Date(name="end", label="To", min=FIRST_DAY, max=LAST_DAY, default=LAST_DAY),
    ),
    rules=(InOrder(first="start", last="end"),),
    data=data,
    charts=charts,
    key_figures=key_figures,
    columns=COLUMNS,
    layout=layout,
    register_callbacks=register_callbacks,
)
