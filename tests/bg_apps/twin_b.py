"""Twin B: the same callback source and output id as its twin, on its own Celery app."""

import os

from celery import Celery
from dash import CeleryManager, Dash, Input, Output, html

celery_app = Celery(__name__, broker=os.environ["REDIS_URL"], backend=os.environ["REDIS_URL"])
app = Dash(__name__, background_callback_manager=CeleryManager(celery_app))
app.layout = html.Div([html.Button(id="go"), html.P(id="out")])
ANSWER = "B"


@app.callback(Output("out", "children"), Input("go", "n_clicks"), background=True, prevent_initial_call=True)
def run(n):
    return ANSWER
