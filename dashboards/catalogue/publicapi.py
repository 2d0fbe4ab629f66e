"""Exchange rates from a public HTTP JSON API (the Frankfurter API's format).

The base URL comes from the `EXCHANGE_RATES_URL` setting; left empty (the
default in development) the dashboard reads the offline snapshot that ships in
`dashboards/data/`, so it works with no network. One request fetches a year of
euro rates for every currency; the chosen base and period are computed from it,
so every view shares one cached answer. When the API fails, the dashboard shows
the last good answer (or the snapshot) with its age and a notice.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html, no_update

from dashkit import formats
from dashkit.look import control, dark_figure
from dashkit.sources import Fetched, JsonSource
from dashkit.spec import Choice, Dashboard, MultiChoice, ParamError, data_dir

CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "SEK", "NOK")
BASES = ("EUR", "USD", "GBP", "CHF", "JPY")
PERIODS = {"1M": 31, "3M": 92, "6M": 183, "1Y": 366}  # calendar days back from the latest rate
COLORS = ("#4cc9f0", "#f72585", "#7b61ff", "#3ddc97", "#ffb703", "#ff8a5b")
SNAPSHOT = "exchange_rates_snapshot.json"
# How the numbers read, on the chart, in the table and in the exports.
CHANGE = formats.percent(2, points=True, signed=True)
RATE = formats.number(4)


def setting(name: str, default: str) -> str:
    """A setting from Django in the portal, from the environment in a standalone run."""
    if "django.conf" in sys.modules:
        from django.conf import settings

        if settings.configured:
            return str(getattr(settings, name, default))
    return os.environ.get(name) or default


def validate(payload: Any) -> None:
    """A Frankfurter time-series answer: {"base": "EUR", "rates": {"YYYY-MM-DD": {"USD": 1.08, ...}}}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("rates"), dict) or not payload["rates"]:
        raise ValueError("no rates in the answer")
    if payload.get("base") != "EUR":
        raise ValueError(f"rates against {payload.get('base')!r}, expected EUR")
    for day, row in payload["rates"].items():
        dt.date.fromisoformat(day)
        if not isinstance(row, dict) or not all(isinstance(v, (int, float)) and v > 0 for v in row.values()):
            raise ValueError(f"bad rates on {day}")


def source() -> JsonSource:
    return JsonSource(
        name="the exchange-rate service",
        base_url=setting("EXCHANGE_RATES_URL", ""),
        snapshot=data_dir() / SNAPSHOT,
        validate=validate,
        timeout=float(setting("EXCHANGE_RATES_TIMEOUT", "3")),
        retries=int(setting("EXCHANGE_RATES_RETRIES", "2")),
        backoff=float(setting("EXCHANGE_RATES_BACKOFF", "0.5")),
        ttl=float(setting("EXCHANGE_RATES_TTL", "3600")),
    )


def fetch(today: dt.date | None = None) -> Fetched:
    """A year of euro rates for every currency, up to today."""
    start = (today or dt.date.today()) - dt.timedelta(days=PERIODS["1Y"])
    others = ",".join(c for c in CURRENCIES if c != "EUR")
    return source().get(f"{start.isoformat()}..?from=EUR&to={others}")


def frame_from(payload: dict[str, Any], params: dict[str, Any]) -> pd.DataFrame:
    """Rates of the chosen currencies per one unit of the base, over the period."""
    euro = pd.DataFrame.from_dict(payload["rates"], orient="index").sort_index()
    euro.index = pd.to_datetime(euro.index)
    euro["EUR"] = 1.0
    euro = euro.loc[euro.index >= euro.index.max() - pd.Timedelta(days=PERIODS[params["period"]])]
    symbols = [c for c in params["symbols"] if c != params["base"] and c in euro.columns]
    rates = euro[symbols].div(euro[params["base"]], axis=0)
    frame = (
        rates.rename_axis("date").reset_index().melt(id_vars="date", var_name="currency", value_name="rate")
    )
    frame = frame.dropna(subset=["rate"]).sort_values(["currency", "date"], kind="stable")
    first = frame.groupby("currency")["rate"].transform("first")
    frame["change_pct"] = ((frame["rate"] / first - 1) * 100).round(3)
    frame.insert(1, "base", params["base"])
    frame["rate"] = frame["rate"].round(6)
    return frame.reset_index(drop=True)


def data(params: dict[str, Any]) -> pd.DataFrame:
    return frame_from(fetch().payload, params)


def columns(params: dict[str, Any]) -> list[formats.Column]:
    return [
        formats.Column("date", "Date", formats.date()),
        formats.Column("base", "Base", formats.text()),
        formats.Column("currency", "Currency", formats.text()),
        formats.Column("rate", f"Rate (per 1 {params['base']})", RATE),
        formats.Column("change_pct", "Change since start", CHANGE),
    ]


def change_figure(frame: pd.DataFrame, params: dict[str, Any]) -> go.Figure:
    fig = dark_figure(f"Change against {params['base']} since {frame['date'].min():%Y-%m-%d}", "Change")
    fig.update_yaxes(**CHANGE.axis())
    for color, (currency, rows) in zip(COLORS, frame.groupby("currency", sort=False), strict=False):
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows["change_pct"],
                name=currency,
                mode="lines",
                line={"color": color, "width": 1.6},
                customdata=rows["rate"],
                hovertemplate=f"{CHANGE.hover()} ({RATE.hover('customdata')} per {params['base']})",
            )
        )
    fig.add_hline(y=0, line={"color": "#3a4b6e", "width": 1})
    return fig


def latest_table(frame: pd.DataFrame, params: dict[str, Any]) -> html.Table:
    rows = []
    for currency, group in frame.groupby("currency", sort=False):
        last, before = (
            group["rate"].iloc[-1],
            group["rate"].iloc[-2] if len(group) > 1 else group["rate"].iloc[-1],
        )
        day = (last / before - 1) * 100
        period = group["change_pct"].iloc[-1]
        rows.append(
            html.Tr(
                [
                    html.Td(currency),
                    html.Td(RATE.text(last)),
                    html.Td(CHANGE.text(day), className="de-up" if day >= 0 else "de-down"),
                    html.Td(CHANGE.text(period), className="de-up" if period >= 0 else "de-down"),
                ]
            )
        )
    head = html.Tr(
        [html.Th("Currency"), html.Th(f"per 1 {params['base']}"), html.Th("Day"), html.Th(params["period"])]
    )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="de-table")


def status(fetched: Fetched, frame: pd.DataFrame) -> tuple[str, str]:
    """(warning, note): the warning is empty when the data is as fresh as it should be."""
    latest = f"rates up to {frame['date'].max():%Y-%m-%d}" if not frame.empty else "no rates"
    if fetched.notice:
        return fetched.notice, ""
    if fetched.origin == "snapshot":
        return "", f"Offline snapshot, {latest}."
    return "", f"Live from {setting('EXCHANGE_RATES_URL', '')}, fetched {fetched.age_text()}; {latest}."


def layout(params: dict[str, Any]) -> html.Div:
    def dropdown(name: str, choices, **extra) -> dcc.Dropdown:
        return dcc.Dropdown(
            id=name,
            options=[{"label": c, "value": c} for c in choices],
            value=params[name],
            clearable=False,
            **extra,
        )

    return html.Div(
        [
            html.Div(
                [
                    control("Base", dropdown("base", BASES), "110px"),
                    control("Currencies", dropdown("symbols", CURRENCIES, multi=True), "440px"),
                    control("Period", dropdown("period", PERIODS), "110px"),
                    html.Div(id="message", className="de-error", role="alert"),
                    html.Div(id="source-warning", className="de-warn", role="alert"),
                ],
                className="de-controls",
            ),
            html.Div(id="source-note", className="de-note", role="status"),
            html.Div(
                [
                    dcc.Graph(
                        id="rates-chart", className="de-chart", responsive=True, style={"height": "100%"}
                    ),
                    html.Div([html.H2("Latest rates"), html.Div(id="rates-table")], className="de-panel"),
                ],
                className="de-charts",
                style={"gridTemplateColumns": "minmax(0, 2fr) minmax(0, 1fr)"},
            ),
        ],
        className="de-root",
    )


def charts(params: dict[str, Any]) -> dict[str, go.Figure]:
    """The view's chart, for its PDF and PNG and a scheduled report's e-mail."""
    return {"Exchange rates": change_figure(data(params), params)}


def register_callbacks(app: Any) -> None:
    @app.callback(
        Output("rates-chart", "figure"),
        Output("rates-table", "children"),
        Output("source-warning", "children"),
        Output("source-note", "children"),
        Output("message", "children"),
        Input("base", "value"),
        Input("symbols", "value"),
        Input("period", "value"),
    )
    def update(base, symbols, period):
        try:
            params = dashboard.clean({"base": base, "symbols": symbols or [], "period": period})
            if not [c for c in params["symbols"] if c != params["base"]]:
                raise ParamError(
                    "symbols",
                    "only the base",
                    label="Currencies",
                    hint=f"pick a currency other than {params['base']}",
                )
        except ParamError as error:
            # The chart keeps the last good result; the note says which choice to fix.
            return no_update, no_update, no_update, no_update, error.text
        fetched = fetch()
        frame = frame_from(fetched.payload, params)
        warning, note = status(fetched, frame)
        return (
            change_figure(frame, params),
            latest_table(frame, params),
            warning,
            base_note(params) + note,
            "",
        )


def base_note(params: dict[str, Any]) -> str:
    """Said, not done silently: a chosen currency that is also the base is not drawn."""
    base = params["base"]
    return (
        f"{base} is the base, so it is not drawn (1 {base} is always 1 {base}). "
        if base in params["symbols"]
        else ""
    )


dashboard = Dashboard(
    slug="publicapi",
    title="Exchange Rates",
    description="Euro reference rates from a public API: how currencies moved against the one you pick.",
    category="Finance",
    features=(
        "Any of five bases",
        "Change since the start of the period",
        "Keeps working when the API is down",
    ),
    tags=("currencies", "public API", "time series"),
    traces=("scatter",),
    params=(
        Choice(name="base", label="Base", choices=BASES, default="EUR"),
        MultiChoice(
            name="symbols",
            label="Currencies",
            choices=CURRENCIES,
            max_items=6,
            default=["USD", "GBP", "JPY", "CHF"],
        ),
        Choice(name="period", label="Period", choices=tuple(PERIODS), default="3M"),
    ),
    data=data,
    charts=charts,
    columns=columns,
    layout=layout,
    register_callbacks=register_callbacks,
)
