"""Stock Today: daily prices of five tickers, 2007-01-03 to 2016-02-29."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html, no_update

from dashkit.dates import DatePresets
from dashkit.look import control, dark_figure
from dashkit.memo import memoize
from dashkit.spec import Dashboard, Date, InOrder, MultiChoice, ParamError, data_dir

TICKERS = ("AAPL", "GSPC", "IBM", "MSFT", "SBUX")
FIRST_DAY = dt.date(2007, 1, 3)
LAST_DAY = dt.date(2016, 2, 29)
DATE_PRESETS = DatePresets(first=FIRST_DAY, last=LAST_DAY)
COLORS = {"AAPL": "#4cc9f0", "GSPC": "#f72585", "IBM": "#7b61ff", "MSFT": "#3ddc97", "SBUX": "#ffb703"}


@cache
def prices() -> pd.DataFrame:
    """The bundled CSV, read once per process."""
    frame = pd.read_csv(data_dir() / "stockdata.csv", parse_dates=["date"])
    return frame.sort_values(["stock", "date"], kind="stable").reset_index(drop=True)


@memoize
def data(params: dict[str, Any]) -> pd.DataFrame:
    frame = prices()
    start = pd.Timestamp(params["start"])
    end = pd.Timestamp(params["end"])
    mask = frame["stock"].isin(params["tickers"]) & frame["date"].between(start, end)
    return frame.loc[mask, ["date", "stock", "value", "change"]].reset_index(drop=True)


def figures(frame: pd.DataFrame, tickers: list[str]) -> tuple[go.Figure, go.Figure]:
    price_fig = dark_figure("Stock Prices", "Price (USD)")
    change_fig = dark_figure("Daily Change", "Change (USD)")
    for ticker in tickers:
        rows = frame[frame["stock"] == ticker]
        line = {"color": COLORS[ticker], "width": 1.5}
        price_fig.add_trace(go.Scatter(x=rows["date"], y=rows["value"], name=ticker, mode="lines", line=line))
        change_fig.add_trace(
            go.Scatter(x=rows["date"], y=rows["change"], name=ticker, mode="lines", line=line)
        )
    return price_fig, change_fig


def summary(frame: pd.DataFrame, tickers: list[str]) -> list[html.Span]:
    stats = []
    for ticker in tickers:
        rows = frame[frame["stock"] == ticker]
        if rows.empty:
            stats.append(html.Span([html.B(ticker), "no data in range"], className="de-stat"))
            continue
        first, last = rows["value"].iloc[0], rows["value"].iloc[-1]
        pct = (last / first - 1) * 100
        stats.append(
            html.Span(
                [
                    html.B(ticker),
                    f"last {last:,.2f} ",
                    html.Span(f"{pct:+.1f}% over range", className="de-up" if pct >= 0 else "de-down"),
                ],
                className="de-stat",
                id=f"summary-{ticker}",
            )
        )
    return stats


@memoize
def view(params: dict[str, Any]) -> tuple[dict, dict, list[html.Span]]:
    """The two charts and the summary of these checked parameters: the same for everybody."""
    frame = data(params)
    price_fig, change_fig = figures(frame, params["tickers"])
    return price_fig.to_dict(), change_fig.to_dict(), summary(frame, params["tickers"])


def charts(params: dict[str, Any]) -> dict[str, dict]:
    """The view's charts, for a scheduled report's e-mail."""
    price, change, _ = view(params)
    return {"Stock prices": price, "Daily change": change}


def layout(params: dict[str, Any]) -> html.Div:
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
                    control(
                        "Tickers",
                        dcc.Dropdown(
                            id="tickers",
                            options=[{"label": t, "value": t} for t in TICKERS],
                            value=params["tickers"],
                            multi=True,
                            clearable=False,
                        ),
                        "420px",
                    ),
                    DATE_PRESETS.control(params["start"], params["end"]),
                    control(
                        "From", dcc.DatePickerSingle(id="start", date=params["start"], **date_args), "160px"
                    ),
                    control("To", dcc.DatePickerSingle(id="end", date=params["end"], **date_args), "160px"),
                    html.Div(id="message", className="de-error", role="alert"),
                ],
                className="de-controls",
            ),
            html.Div(id="summary", className="de-summary"),
            html.Div(
                [
                    dcc.Graph(id="prices", className="de-chart", responsive=True, style={"height": "100%"}),
                    dcc.Graph(id="changes", className="de-chart", responsive=True, style={"height": "100%"}),
                ],
                className="de-charts",
            ),
        ],
        className="de-root",
    )


def register_callbacks(app: Any) -> None:
    DATE_PRESETS.register(app)

    @app.callback(
        Output("prices", "figure"),
        Output("changes", "figure"),
        Output("summary", "children"),
        Output("message", "children"),
        Input("tickers", "value"),
        Input("start", "date"),
        Input("end", "date"),
    )
    def update(tickers, start, end):
        try:
            params = dashboard.clean({"tickers": tickers or [], "start": start, "end": end})
        except ParamError as error:
            # The charts keep the last good result; the note says which choice to fix.
            return no_update, no_update, no_update, error.text
        return *view(params), ""


dashboard = Dashboard(
    slug="stocktoday",
    title="Stock Today",
    description="Daily prices and day-to-day changes of AAPL, the S&P 500, IBM, MSFT and SBUX from 2007 to 2016.",
    category="Finance",
    features=("Compare up to five tickers", "Pick any date range", "Price and daily change charts"),
    tags=("stocks", "time series"),
    traces=("scatter",),
    params=(
        MultiChoice(name="tickers", label="Tickers", choices=TICKERS, default=["AAPL"]),
        Date(name="start", label="From", min=FIRST_DAY, max=LAST_DAY, default=FIRST_DAY),
        Date(name="end", label="To", min=FIRST_DAY, max=LAST_DAY, default=LAST_DAY),
    ),
    rules=(InOrder(first="start", last="end"),),
    data=data,
    charts=charts,
    layout=layout,
    register_callbacks=register_callbacks,
)
