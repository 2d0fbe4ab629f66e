"""No manager: `background=True` alone; the portal gives the app its own."""

import os
import time

from dash import Dash, Input, Output, ctx, html, set_props

app = Dash(__name__)
app.layout = html.Div([html.Button(id="go"), html.Button(id="stop"), html.P(id="out"), html.P(id="seen")])


@app.callback(
    Output("out", "children"),
    Input("go", "n_clicks"),
    background=True,
    cancel=Input("stop", "n_clicks"),
    prevent_initial_call=True,
    interval=200,
)
def run(n):
    # Long enough for another request to come while the job runs.
    time.sleep(1.5)
    # The names of the cookies and headers the job was handed.
    set_props("seen", {"children": " ".join(sorted([*ctx.cookies, *(h.lower() for h in ctx.headers)]))})
    return f"done {n} pid {os.getpid()}"
