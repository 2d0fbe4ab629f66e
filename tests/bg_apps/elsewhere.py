"""Its own Celery app on a Redis the portal's worker does not read: a system check says so."""

from celery import Celery
from dash import CeleryManager, Dash, Input, Output, html

celery_app = Celery(__name__, broker="redis://127.0.0.1:6399/3", backend="redis://127.0.0.1:6399/3")
app = Dash(__name__, background_callback_manager=CeleryManager(celery_app))
app.layout = html.Div([html.Button(id="go"), html.P(id="out")])


@app.callback(Output("out", "children"), Input("go", "n_clicks"), background=True, prevent_initial_call=True)
def run(n):
    return f"never run by the portal's worker: {n}"
