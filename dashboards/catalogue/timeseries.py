"""Time series: a daily business metric with resampling, rolling mean, year-over-year
overlay and anomalies (rolling z-score), plus a live feed of new points.

History is generated (seeded) for 2023-2025. Live points are published with
`python manage.py publish_point <series> <value>`; the portal pushes them to
every open page over a websocket (`/ws/dashboards/timeseries/live/`). The
standalone run has no websocket and says so in the live panel.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from dashkit import formats
from dashkit.look import control, dark_figure
from dashkit.memo import memoize
from dashkit.spec import Choice, Dashboard, Number, ParamError

FIRST_DAY = dt.date(2023, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)

# name -> (label, unit, level on the first day, yearly growth, how periods combine)
SERIES = {
    "signups": ("Sign-ups", "sign-ups", 420.0, 0.35, "sum"),
    "revenue": ("Revenue", "", 18_500.0, 0.22, "sum"),
    "active_users": ("Active users", "users", 9_800.0, 0.28, "mean"),
}
# How each series' values read, on the chart, in the summary and in the exports.
FORMATS = {
    "signups": formats.number(0),
    "revenue": formats.money(0),
    "active_users": formats.number(0),
}
GROWTH = formats.percent(1, signed=True)
ZSCORE = formats.number(1, signed=True)
RESAMPLE = {"day": ("D", 364), "week": ("W-MON", 52), "month": ("MS", 12)}  # rule, periods in a year
COLORS = {"value": "#4cc9f0", "rolling": "#ffb703", "year_before": "#7b61ff", "anomaly": "#ff6b6b"}
LIVE_KEEP = 500  # points the live chart keeps


@cache
def history() -> pd.DataFrame:
    """Daily values of every series: trend, weekly and yearly cycles, noise, a few incidents."""
    rng = np.random.default_rng(20231)
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    t = np.arange(len(days)) / 365.25
    weekday = days.day_of_week.to_numpy()
    frames = []
    for name, (_, _, level, growth, _) in SERIES.items():
        weekly = np.where(weekday >= 5, 0.78, 1.0 + 0.04 * (weekday == 1))
        yearly = 1 + 0.12 * np.sin(2 * np.pi * (days.day_of_year.to_numpy() - 80) / 365.25)
        values = level * (1 + growth) ** t * weekly * yearly * rng.normal(1, 0.045, len(days))
        # Incidents: outages and campaigns, a dozen per series.
        for index in rng.choice(len(days), size=12, replace=False):
            values[index] *= rng.choice([0.45, 0.6, 1.5, 1.8])
        frames.append(
            pd.DataFrame({"date": days, "series": name, "value": values.round(0 if level > 1000 else 1)})
        )
    return pd.concat(frames, ignore_index=True)


@memoize
def data(params: dict[str, Any]) -> pd.DataFrame:
    """The series resampled, with its rolling mean, z-score, anomaly flag and the value a year before."""
    _, _, _, _, how = SERIES[params["series"]]
    rule, periods_per_year = RESAMPLE[params["resample"]]
    rows = history()
    values = rows.loc[rows["series"] == params["series"]].set_index("date")["value"]
    if params["resample"] != "day":
        values = values.resample(rule, label="left", closed="left").agg(how)
        # A period cut short by the end of the data would look like a crash.
        values = values.iloc[1:-1] if params["resample"] == "week" else values
    frame = values.rename("value").reset_index()
    window = params["window"]
    previous = frame["value"].shift(1).rolling(window, min_periods=window)
    frame["rolling_mean"] = frame["value"].rolling(window, min_periods=1).mean()
    frame["zscore"] = ((frame["value"] - previous.mean()) / previous.std()).round(2)
    frame["anomaly"] = frame["zscore"].abs() > params["threshold"]
    frame["value_year_before"] = frame["value"].shift(periods_per_year)
    frame.insert(1, "series", params["series"])
    return frame


def columns(params: dict[str, Any]) -> list[formats.Column]:
    """The export's columns: their units follow the metric, the mean's name the window."""
    label = SERIES[params["series"]][0]
    fmt = FORMATS[params["series"]]
    return [
        formats.Column(
            "date",
            "Date" if params["resample"] == "day" else f"{params['resample'].title()} from",
            formats.date(),
        ),
        formats.Column("series", "Metric", formats.text({k: v[0] for k, v in SERIES.items()})),
        formats.Column("value", label, fmt),
        formats.Column("rolling_mean", f"{params['window']}-{params['resample']} mean", fmt),
        formats.Column("zscore", "Standard deviations from the recent mean", formats.number(2, signed=True)),
        formats.Column("anomaly", "Unusual", formats.flag()),
        formats.Column("value_year_before", "A year before", fmt),
    ]


def series_figure(frame: pd.DataFrame, params: dict[str, Any]) -> go.Figure:
    label = SERIES[params["series"]][0]
    fmt = FORMATS[params["series"]]
    fig = dark_figure(f"{label} per {params['resample']}", label)
    fig.update_yaxes(**fmt.axis())
    if params["yoy"] == "on":
        fig.add_trace(
            go.Scatter(
                x=frame["date"],
                y=frame["value_year_before"],
                name="A year before",
                mode="lines",
                hovertemplate=fmt.hover(),
                line={"color": COLORS["year_before"], "width": 1.2, "dash": "dot"},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=frame["date"],
            y=frame["value"],
            name=label,
            mode="lines",
            line={"color": COLORS["value"], "width": 1.4},
            hovertemplate=fmt.hover(),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame["date"],
            y=frame["rolling_mean"],
            name=f"{params['window']}-{params['resample']} mean",
            mode="lines",
            hovertemplate=fmt.hover(),
            line={"color": COLORS["rolling"], "width": 2},
        )
    )
    anomalies = frame[frame["anomaly"]]
    fig.add_trace(
        go.Scatter(
            x=anomalies["date"],
            y=anomalies["value"],
            # The threshold is in its control and the hover: a short legend fits a phone.
            name="Anomaly",
            mode="markers",
            marker={"color": COLORS["anomaly"], "size": 8, "symbol": "circle-open", "line": {"width": 2}},
            customdata=anomalies["zscore"],
            hovertemplate=ZSCORE.hover("customdata")
            + " standard deviations from the recent mean<extra>anomaly</extra>",
        )
    )
    return fig


def summary(frame: pd.DataFrame, params: dict[str, Any]) -> list[html.Span]:
    _, unit, *_ = SERIES[params["series"]]
    fmt = FORMATS[params["series"]]
    last = frame.iloc[-1]
    stats = [
        html.Span(
            [
                html.B("Latest"),
                f"{fmt.text(last['value'])}{' ' + unit if unit else ''} ({last['date']:%Y-%m-%d})",
            ],
            className="de-stat",
        )
    ]
    if pd.notna(last["value_year_before"]):
        change = last["value"] / last["value_year_before"] - 1
        stats.append(
            html.Span(
                [
                    html.B("Year over year"),
                    html.Span(GROWTH.text(change), className="de-up" if change >= 0 else "de-down"),
                ],
                className="de-stat",
                id="summary-yoy",
            )
        )
    count = int(frame["anomaly"].sum())
    stats.append(html.Span([html.B("Anomalies"), f"{count}"], className="de-stat", id="summary-anomalies"))
    return stats


# The live feed: a websocket to the portal pushes {"points": [...], "reset": bool}
# into the `live-points` store; the chart is redrawn in the browser.
LIVE_CONNECT_JS = """function (live, series) {
    var dc = window.dash_clientside, old = window._dashengineLive;
    if (old) { old.onclose = null; old.close(); window._dashengineLive = null; }
    clearTimeout(window._dashengineLiveRetry);
    if (!live || live.length === 0) { return ["Live feed paused.", {points: [], reset: true}]; }
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + "/ws/dashboards/timeseries/live/?series=" + encodeURIComponent(series);
    // After a network blip or a deploy the feed reconnects, waiting 1, 2, 4 ... 30 s;
    // on connect it sends its recent points again, so nothing published meanwhile is lost.
    function connect(attempt, wasOpen) {
        var socket = new WebSocket(url);
        window._dashengineLive = socket;
        socket.onopen = function () { attempt = 0; wasOpen = true; dc.set_props("live-status", {children: "Live: connected."}); };
        socket.onmessage = function (event) { dc.set_props("live-points", {data: JSON.parse(event.data)}); };
        socket.onclose = function (event) {
            if (window._dashengineLive !== socket) { return; }
            if (event.code === 4403) {
                dc.set_props("live-status", {children: "Live feed refused: you may no longer open this dashboard."});
            } else if (!wasOpen) {
                dc.set_props("live-status", {children: "Live feed unavailable right now: reload the page to try again."});
            } else {
                var wait = Math.min(30, Math.pow(2, attempt));
                dc.set_props("live-status", {children: "Live feed interrupted: reconnecting in " + wait + " s…"});
                window._dashengineLiveRetry = setTimeout(function () { connect(attempt + 1, true); }, wait * 1000);
            }
        };
    }
    connect(0, false);
    return ["Live: connecting…", {points: [], reset: true}];
}"""

LIVE_DRAW_JS = """function (message, figure) {
    var dc = window.dash_clientside;
    if (!message) { return [dc.no_update, dc.no_update]; }
    var trace = figure.data[0], x = message.reset ? [] : (trace.x || []).slice(), y = message.reset ? [] : (trace.y || []).slice();
    message.points.forEach(function (p) { x.push(p.at); y.push(p.value); });
    x = x.slice(-KEEP); y = y.slice(-KEEP);
    var status = "";
    if (y.length) {
        status = y.length + " point" + (y.length === 1 ? "" : "s") + ", last " +
            Number(y[y.length - 1]).toLocaleString() + " at " + new Date(x[x.length - 1]).toTimeString().slice(0, 8) + ".";
    }
    var empty = y.length === 0, layout = Object.assign({}, figure.layout, {
        xaxis: Object.assign({}, figure.layout.xaxis, {visible: !empty}),
        yaxis: Object.assign({}, figure.layout.yaxis, {visible: !empty}),
        annotations: (figure.layout.annotations || []).map(function (a) { return Object.assign({}, a, {visible: empty}); })
    });
    return [Object.assign({}, figure, {data: [Object.assign({}, trace, {x: x, y: y})], layout: layout}), status];
}""".replace("KEEP", str(LIVE_KEEP))


LIVE_EMPTY = "No new points yet.<br>They appear here as they arrive."


def live_figure() -> go.Figure:
    fig = dark_figure("Live feed")
    fig.add_trace(
        go.Scatter(
            x=[], y=[], name="Live", mode="lines+markers", line={"color": COLORS["value"], "width": 1.5}
        )
    )
    fig.update_layout(showlegend=False, hovermode="closest", uirevision="live")
    # Empty until the first point: a hint instead of bare axes (the browser swaps them).
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=LIVE_EMPTY,
        showarrow=False,
        font={"color": "#8b97ad", "size": 13},
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
    )
    return fig


def layout(params: dict[str, Any]) -> html.Div:
    def dropdown(name: str, options: dict[str, str]) -> dcc.Dropdown:
        return dcc.Dropdown(
            id=name,
            options=[{"label": label, "value": value} for value, label in options.items()],
            value=params[name],
            clearable=False,
            searchable=False,
        )

    number = {"type": "number", "className": "de-input", "debounce": True}
    return html.Div(
        [
            html.Div(
                [
                    control("Metric", dropdown("series", {k: v[0] for k, v in SERIES.items()}), "180px"),
                    control("Per", dropdown("resample", {k: k.title() for k in RESAMPLE}), "120px"),
                    control(
                        "Mean of last",
                        dcc.Input(id="window", value=params["window"], min=2, max=90, step=1, **number),
                        "130px",
                    ),
                    control(
                        "Anomaly threshold",
                        dcc.Input(
                            id="threshold", value=params["threshold"], min=1.5, max=6, step=0.1, **number
                        ),
                        "170px",
                    ),
                    control("Year before", dropdown("yoy", {"on": "Show", "off": "Hide"}), "120px"),
                    control(
                        "Live feed",
                        dcc.Checklist(
                            id="live",
                            options=[{"label": " On", "value": "on"}],
                            value=["on"],
                            style={"height": "38px", "display": "flex", "alignItems": "center"},
                        ),
                        "90px",
                    ),
                    html.Div(id="message", className="de-error", role="alert"),
                ],
                className="de-controls",
            ),
            html.Div(id="summary", className="de-summary"),
            html.Div(
                [
                    dcc.Graph(
                        id="series-chart", className="de-chart", responsive=True, style={"height": "100%"}
                    ),
                    html.Div(
                        [
                            html.Div(id="live-status", className="de-note", role="status"),
                            html.Div(id="live-last", className="de-note"),
                            dcc.Graph(
                                id="live-chart",
                                figure=live_figure(),
                                responsive=True,
                                style={"flex": "1", "minHeight": 0},
                            ),
                            dcc.Store(id="live-points"),
                        ],
                        className="de-chart",
                        style={"display": "flex", "flexDirection": "column", "padding": "10px 4px 0 10px"},
                    ),
                ],
                className="de-charts",
                style={"gridTemplateColumns": "minmax(0, 2fr) minmax(0, 1fr)"},
            ),
        ],
        className="de-root",
    )


@memoize
def view(params: dict[str, Any]) -> tuple[dict, list[html.Span]]:
    """The chart and the summary of these checked parameters: the same for everybody."""
    frame = data(params)
    return series_figure(frame, params).to_dict(), summary(frame, params)


def charts(params: dict[str, Any]) -> dict[str, dict]:
    """The view's chart, for its PDF and PNG and a scheduled report's e-mail."""
    return {"Daily values": view(params)[0]}


def key_figures(params: dict[str, Any]) -> dict[str, float]:
    """The view's key figures, which users can be alerted on."""
    frame = data(params)
    return {"latest value": float(frame["value"].iloc[-1]), "anomalies": float(frame["anomaly"].sum())}


def register_callbacks(app: Any) -> None:
    @app.callback(
        Output("series-chart", "figure"),
        Output("summary", "children"),
        Output("message", "children"),
        Input("series", "value"),
        Input("resample", "value"),
        Input("window", "value"),
        Input("threshold", "value"),
        Input("yoy", "value"),
    )
    def update(series, resample, window, threshold, yoy):
        try:
            # A number box that is empty or out of its bounds sends None.
            for name, value in (("window", window), ("threshold", threshold)):
                if value is None:
                    param = dashboard.param(name)
                    raise ParamError(name, "no value", label=param.label, hint=param.hint)
            params = dashboard.clean(
                {"series": series, "resample": resample, "window": window, "threshold": threshold, "yoy": yoy}
            )
        except ParamError as error:
            # The chart keeps the last good result; the note says which choice to fix.
            return no_update, no_update, error.text
        return *view(params), ""

    app.clientside_callback(
        LIVE_CONNECT_JS,
        Output("live-status", "children"),
        Output("live-points", "data"),
        Input("live", "value"),
        Input("series", "value"),
    )
    app.clientside_callback(
        LIVE_DRAW_JS,
        Output("live-chart", "figure"),
        Output("live-last", "children"),
        Input("live-points", "data"),
        State("live-chart", "figure"),
    )


dashboard = Dashboard(
    slug="timeseries",
    title="Business Metrics",
    description="Daily sign-ups, revenue and active users with trends, year-over-year comparison, anomalies and a live feed.",
    category="Operations",
    features=("Day, week or month", "Unusual values flagged", "Live points without reload"),
    tags=("time series", "anomalies", "live"),
    traces=("scatter",),
    live=True,
    staff_note=(
        "New points reach open pages live. Publish one on the server with "
        ".venv/bin/python manage.py publish_point signups 512 (series: signups, revenue, "
        "active_users); add --every 2 for a demo stream."
    ),
    params=(
        Choice(
            name="series",
            label="Metric",
            choices=tuple(SERIES),
            default="signups",
            labels=tuple((k, v[0]) for k, v in SERIES.items()),
        ),
        Choice(
            name="resample",
            label="Per",
            choices=tuple(RESAMPLE),
            default="day",
            labels=tuple((k, k.title()) for k in RESAMPLE),
        ),
        Number(name="window", label="Rolling window", min=2, max=90, integer=True, default=28),
        Number(name="threshold", label="Anomaly threshold", min=1.5, max=6, default=3.0),
        Choice(
            name="yoy",
            label="Year before",
            choices=("on", "off"),
            default="on",
            labels=(("on", "Show"), ("off", "Hide")),
            describes_data=False,
        ),
    ),
    data=data,
    charts=charts,
    key_figures=key_figures,
    columns=columns,
    layout=layout,
    register_callbacks=register_callbacks,
)
