"""Its own DiskcacheManager, as in Dash's docs."""

import os
import tempfile

import diskcache
from dash import Dash, DiskcacheManager, Input, Output, html

manager = DiskcacheManager(diskcache.Cache(os.path.join(tempfile.gettempdir(), "dashengine-test-disk-app")))
app = Dash(__name__, background_callback_manager=manager)
app.layout = html.Div([html.Button(id="go"), html.P(id="out")])


@app.callback(
    Output("out", "children"),
    Input("go", "n_clicks"),
    background=True,
    prevent_initial_call=True,
    interval=200,
)
def run(n):
    return f"disk {n} pid {os.getpid()}"
