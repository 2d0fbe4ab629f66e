"""Jobs that take as many seconds as the button's clicks, say which process runs them,
and one that fails: for the faults, the time limits and the load."""

import os
import time

from dash import Dash, Input, Output, html

app = Dash(__name__)
app.layout = html.Div(
    [html.Button(id="go"), html.Button(id="fail"), html.P(id="pid"), html.P(id="out"), html.P(id="failed")]
)


@app.callback(
    Output("out", "children"),
    Input("go", "n_clicks"),
    background=True,
    progress=Output("pid", "children"),
    prevent_initial_call=True,
    interval=1000,  # Dash's default poll interval
)
def run(set_progress, n):
    set_progress(str(os.getpid()))
    time.sleep(n)
    return f"slept {n} s in {os.getpid()}"


@app.callback(
    Output("failed", "children"), Input("fail", "n_clicks"), background=True, prevent_initial_call=True
)
def fail(n):
    raise ValueError("no sales recorded for this period")
