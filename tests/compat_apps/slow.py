"""Slow: a callback that takes its time and one that fails, to see how a frame shows both."""

import threading

from dash import Dash, Input, Output, dcc, html

# Each answer of `slow` waits until `release` is set, `HOLD` seconds at most: alone the
# app is simply slow; a test holds the answer for as long as it looks at the page.
HOLD = 2.0
release = threading.Event()

app = Dash(__name__, title="Compat: slow")

app.layout = html.Div(
    [
        html.Button("Again", id="again", n_clicks=0),
        html.Button("Break", id="break", n_clicks=0),
        html.Div(id="result"),
        # A title on the left and a legend across the top right, where plotly.js puts its toolbar.
        dcc.Graph(id="chart", style={"height": "360px", "width": "640px"}),
        html.Div(id="broken"),
    ]
)


@app.callback(Output("result", "children"), Output("chart", "figure"), Input("again", "n_clicks"))
def slow(clicks):
    release.wait(HOLD)
    figure = {
        "data": [
            {"type": "bar", "name": "North", "x": ["Q1", "Q2", "Q3"], "y": [3, 5, 4]},
            {"type": "bar", "name": "South", "x": ["Q1", "Q2", "Q3"], "y": [2, 4, 6]},
        ],
        "layout": {
            "title": {"text": f"Sales, run {clicks}", "x": 0.02},
            "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
            "margin": {"t": 40, "r": 16},
        },
    }
    return f"Done {clicks}", figure


@app.callback(Output("broken", "children"), Input("break", "n_clicks"), prevent_initial_call=True)
def fail(clicks):
    raise RuntimeError("this callback fails on purpose")


if __name__ == "__main__":
    app.run(debug=True)
