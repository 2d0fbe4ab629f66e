"""`cache_by`, as in Dash's docs: an answer computed once is given to everyone who asks
the same (here: everyone who may open this dashboard), until it expires."""

import os
import tempfile
import time
import uuid

import diskcache
from dash import Dash, DiskcacheManager, Input, Output, html

LAUNCH = uuid.uuid4().hex  # Dash's docs key the cache on the app's launch
manager = DiskcacheManager(
    diskcache.Cache(os.path.join(tempfile.gettempdir(), "dashengine-test-cached-app")),
    cache_by=[lambda: LAUNCH],
    expire=60,
)
app = Dash(__name__, background_callback_manager=manager)
app.layout = html.Div([html.Button(id="go"), html.P(id="out"), html.Progress(id="bar")])


@app.callback(
    Output("out", "children"),
    Input("go", "n_clicks"),
    background=True,
    progress=Output("bar", "value"),
    progress_default="0",
    prevent_initial_call=True,
    interval=200,
)
def run(set_progress, n):
    set_progress("1")
    # Dash starts a job even when the answer is cached, and the first poll ends it
    # with the cached answer: a job slower than that poll keeps the cached one.
    time.sleep(1)
    return f"answer {n} computed as {uuid.uuid4().hex}"
