"""Stock Today: daily prices of five tickers, 2007-01-03 to 2016-02-29."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html, no_update

from dashkit import formats
from dashkit.dates import DatePresets
from dashkit.look import control, dark_figure
from dashkit.memo import memoize
from dashkit.spec import Choice, Dashboard, Date, InOrder, MultiChoice, ParamError, data_dir

TICKERS = ("AAPL", "GSPC", "IBM", "MSFT", "SBUX")
# What people call the tickers: GSPC is the S&P 500 index, in points, not a price in dollars.
NAMES = {"AAPL": "AAPL", "GSPC": "S&P 500", "IBM": "IBM", "MSFT": "MSFT", "SBUX": "SBUX"}
INDEX = "GSPC"
FIRST_DAY = dt.date(2007, 1, 3)
LAST_DAY = dt.date(2016, 2, 29)
DATE_PRESETS = DatePresets(first=FIRST_DAY, last=LAST_DAY)
COLORS = {"AAPL": "#4cc9f0", "GSPC": "#f72585", "IBM": "#7b61ff", "MSFT": "#3ddc97", "SBUX": "#ffb703"}
SHOW = {"change": "% change since start", "price": "Price"}

# How the numbers read, on the charts, in the summary and in the exports.
PRICE = formats.money(2)
POINTS = formats.number(0)
SINCE_START = formats.percent(1, signed=True)
DAILY = formats.percent(2, signed=True)
SHARE = formats.percent(0)
DAILY_STEP = formats.percent(0, signed=True)
COLUMNS = (
    formats.Column("date", "Date", formats.date()),
    formats.Column("stock", "Ticker", formats.text(NAMES)),
    formats.Column("value", "Close (USD; S&P 500 in points)", formats.number(2)),
    formats.Column("change", "Change on the day (USD; S&P 500 in points)", formats.number(2, signed=True)),
    formats.Column("change_pct", "Change on the day", DAILY),
    formats.Column("since_start", "Change since start", SINCE_START),
)
# Daily moves are counted in 1% steps; a move beyond ±TAIL counts in the last step.
STEP = 0.01
TAIL = 0.05


@cache
def prices() -> pd.DataFrame:
    """The bundled closes, read once per process, with each day's change from the day before.

    The file's own `change` column does not follow its closes (it is noise from the sample
    the file comes from), so the changes are computed from the closes; the first day has none.
    """
    frame = pd.read_csv(
        data_dir() / "stockdata.csv", parse_dates=["date"], usecols=["date", "stock", "value"]
    )
    frame = frame.sort_values(["stock", "date"], kind="stable").reset_index(drop=True)
    by_stock = frame.groupby("stock")["value"]
    frame["change"] = by_stock.diff().round(6)
    frame["change_pct"] = by_stock.pct_change().round(6)
    return frame


@memoize
def data(params: dict[str, Any]) -> pd.DataFrame:
    """Each ticker's close, change on the day and change since the first day of the range."""
    frame = prices()
    start = pd.Timestamp(params["start"])
    end = pd.Timestamp(params["end"])
    mask = frame["stock"].isin(params["tickers"]) & frame["date"].between(start, end)
    rows = frame.loc[mask, ["date", "stock", "value", "change", "change_pct"]].reset_index(drop=True)
    first = rows.groupby("stock")["value"].transform("first")
    rows["since_start"] = (rows["value"] / first - 1).round(6)
    return rows


def price_figure(frame: pd.DataFrame, tickers: list[str]) -> go.Figure:
    """Closing prices in dollars; the S&P 500, in points, on an axis of its own on the right."""
    stocks = [t for t in tickers if t != INDEX]
    own_axis = INDEX in tickers and bool(stocks)
    fig = dark_figure("Closing price", "Price (USD)" if stocks else "S&P 500 (points)")
    fig.update_yaxes(**(PRICE if stocks else POINTS).axis())
    if own_axis:
        fig.update_layout(
            yaxis2={
                "title": {"text": "S&P 500 (points)"},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                **POINTS.axis(),
            },
            margin={"r": 56},
        )
    for ticker in tickers:
        rows = frame[frame["stock"] == ticker]
        index = ticker == INDEX
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows["value"],
                name=NAMES[ticker],
                mode="lines",
                line={
                    "color": COLORS[ticker],
                    "width": 1.5,
                    **({"dash": "dot"} if index and own_axis else {}),
                },
                yaxis="y2" if index and own_axis else "y",
                hovertemplate=(POINTS.hover() + " points") if index else PRICE.hover(),
            )
        )
    return fig


def change_since_start_figure(frame: pd.DataFrame, tickers: list[str], start: dt.date) -> go.Figure:
    """Every ticker indexed to its first day in the range: comparable whatever its price."""
    fig = dark_figure(f"Change since {start:%Y-%m-%d}", "Change since start")
    fig.update_yaxes(**SINCE_START.axis())
    for ticker in tickers:
        rows = frame[frame["stock"] == ticker]
        unit = POINTS.hover("customdata") + " points" if ticker == INDEX else PRICE.hover("customdata")
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows["since_start"],
                customdata=rows["value"],
                name=NAMES[ticker],
                mode="lines",
                line={"color": COLORS[ticker], "width": 1.5},
                hovertemplate=f"{SINCE_START.hover()} ({unit})",
            )
        )
    fig.add_hline(y=0, line={"color": "#8b97ad", "width": 1})
    return fig


def move_bins() -> list[tuple[float, float, str]]:
    """(low, high, words) of each step of a daily move, the tails open-ended."""
    edges = [round(-TAIL + i * STEP, 4) for i in range(round(2 * TAIL / STEP) + 1)]
    bins = [(-1.0, edges[0], f"{DAILY_STEP.text(edges[0])} or less")]
    bins += [
        (low, high, f"{DAILY_STEP.text(low)} to {DAILY_STEP.text(high)}")
        for low, high in zip(edges[:-1], edges[1:], strict=True)
    ]
    bins.append((edges[-1], 10.0, f"{DAILY_STEP.text(edges[-1])} or more"))
    return bins


def daily_moves_figure(frame: pd.DataFrame, tickers: list[str]) -> go.Figure:
    """How often a day moved the price by how much: a few bars instead of thousands of points."""
    fig = dark_figure("Daily moves: share of trading days", "Share of days", hovermode="closest", bargap=0.15)
    fig.update_yaxes(**SHARE.axis())
    bins = move_bins()
    # Each bar sits over its step of the axis; the open-ended tails one step beyond ±TAIL.
    middles = [
        round(max(min((low + high) / 2, TAIL + STEP / 2), -TAIL - STEP / 2), 4) for low, high, _ in bins
    ]
    # Ticks on the steps' edges only: the tails' bars stand beyond the last one.
    edges = [low for low, _, _ in bins[1:]]
    fig.update_xaxes(
        title={"text": "Change on the day"},
        tickvals=edges,
        ticktext=[DAILY_STEP.text(edge) for edge in edges],
        hoverformat=DAILY_STEP.d3(),
    )
    for ticker in tickers:
        # The first day of the data has no day before it: it moved by nothing we know.
        moves = frame.loc[frame["stock"] == ticker, "change_pct"].dropna()
        days = len(moves)
        counts = [int(((moves >= low) & (moves < high)).sum()) for low, high, _ in bins]
        shares = [count / days if days else 0.0 for count in counts]
        fig.add_trace(
            go.Bar(
                x=middles,
                y=shares,
                name=NAMES[ticker],
                marker={"color": COLORS[ticker]},
                customdata=[[words, count] for (_, _, words), count in zip(bins, counts, strict=True)],
                hovertemplate=f"%{{customdata[0]}}: {SHARE.hover()} of days (%{{customdata[1]:,}})"
                f"<extra>{NAMES[ticker]}</extra>",
            )
        )
    return fig


def figures(frame: pd.DataFrame, params: dict[str, Any]) -> tuple[go.Figure, go.Figure]:
    tickers = params["tickers"]
    if params.get("show", "change") == "price":
        first = price_figure(frame, tickers)
    else:
        first = change_since_start_figure(frame, tickers, params["start"])
    return first, daily_moves_figure(frame, tickers)


def summary(frame: pd.DataFrame, tickers: list[str]) -> list[html.Span]:
    stats = []
    for ticker in tickers:
        rows = frame[frame["stock"] == ticker]
        name = NAMES[ticker]
        if rows.empty:
            stats.append(html.Span([html.B(name), "no data in range"], className="de-stat"))
            continue
        last, since = rows["value"].iloc[-1], rows["since_start"].iloc[-1]
        closing = f"{POINTS.text(last)} points" if ticker == INDEX else PRICE.text(last)
        stats.append(
            html.Span(
                [
                    html.B(name),
                    f"{closing} ",
                    html.Span(
                        f"{SINCE_START.text(since)} since start",
                        className="de-up" if since >= 0 else "de-down",
                    ),
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
    first, moves = figures(frame, params)
    return first.to_dict(), moves.to_dict(), summary(frame, params["tickers"])


def charts(params: dict[str, Any]) -> dict[str, dict]:
    """The view's charts, for its PDF and PNG and a scheduled report's e-mail."""
    first, moves, _ = view(params)
    return {"Change since start": first, "Daily moves": moves}


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
                            options=[{"label": NAMES[t], "value": t} for t in TICKERS],
                            value=params["tickers"],
                            multi=True,
                            clearable=False,
                        ),
                        "420px",
                    ),
                    control(
                        "Show",
                        dcc.Dropdown(
                            id="show",
                            options=[{"label": label, "value": value} for value, label in SHOW.items()],
                            value=params["show"],
                            clearable=False,
                            searchable=False,
                        ),
                        "230px",
                    ),
                    DATE_PRESETS.control(params["start"], params["end"], preset=params["date-preset"]),
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
        Input("show", "value"),
    )
    def update(tickers, start, end, show):
        try:
            params = dashboard.clean({"tickers": tickers or [], "start": start, "end": end, "show": show})
        except ParamError as error:
            # The charts keep the last good result; the note says which choice to fix.
            return no_update, no_update, no_update, error.text
        return *view(params), ""


dashboard = Dashboard(
    slug="stocktoday",
    title="Stock Today",
    description="Daily prices and day-to-day changes of AAPL, the S&P 500, IBM, MSFT and SBUX from 2007 to 2016.",
    category="Finance",
    features=(
        "Compare up to five tickers, the S&P 500 among them",
        "Change since the start of any date range, or prices",
        "How much a day moves the price",
    ),
    tags=("stocks", "time series"),
    traces=("scatter", "bar"),
    params=(
        MultiChoice(
            name="tickers", label="Tickers", choices=TICKERS, default=["AAPL"], labels=tuple(NAMES.items())
        ),
        DATE_PRESETS.param(default="all"),
        Date(name="start", label="From", min=FIRST_DAY, max=LAST_DAY, default=FIRST_DAY),
        Date(name="end", label="To", min=FIRST_DAY, max=LAST_DAY, default=LAST_DAY),
        Choice(
            name="show",
            label="Show",
            choices=tuple(SHOW),
            default="change",
            labels=tuple(SHOW.items()),
            describes_data=False,
        ),
    ),
    rules=(InOrder(first="start", last="end"),),
    data=data,
    charts=charts,
    columns=COLUMNS,
    layout=layout,
    register_callbacks=register_callbacks,
)
