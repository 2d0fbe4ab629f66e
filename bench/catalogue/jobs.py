"""Background jobs on Celery: a fixed half second of work per click, and an ordinary chart.

For bench/background.py, written as Dash's docs write a background-callback app: the
same file is the plain side (`gunicorn bench.catalogue.jobs:server` and
`celery -A bench.catalogue.jobs:celery_app worker`) and, in the portal's catalogue,
the portal side (slug `jobs`). Without REDIS_URL (another bench that puts
bench.catalogue in the catalogue) it falls back to diskcache, as the docs' example does.
"""

import os

import pandas as pd
import plotly.graph_objects as go
from dash import CeleryManager, Dash, DiskcacheManager, Input, Output, callback, dcc, html

if "REDIS_URL" in os.environ:
    from celery import Celery

    celery_app = Celery(__name__, broker=os.environ["REDIS_URL"], backend=os.environ["REDIS_URL"])
    background_callback_manager = CeleryManager(celery_app)
else:
    import diskcache

    cache = diskcache.Cache("./cache")
    background_callback_manager = DiskcacheManager(cache)

app = Dash(__name__, background_callback_manager=background_callback_manager)
server = app.server

# About 0.5 s of one core's CPU on the bench machine (Python 3.11), the same for every input.
LOOPS = 8_000_000

REGIONS = ("north", "south", "east", "west")
SALES = pd.DataFrame(
    {
        "region": [REGIONS[i % 4] for i in range(2000)],
        "month": [1 + (i * 7) % 12 for i in range(2000)],
        "amount": [float((i * 37) % 101) for i in range(2000)],
    }
)

app.layout = html.Div(
    [
        html.H1("Background jobs"),
        html.Button("Run the job", id="run"),
        html.P(id="result"),
        dcc.Input(id="shift", type="number", value=0),
        dcc.Graph(id="chart"),
    ]
)


def work(seed: int) -> int:
    """Deterministic pure-Python work; its cost does not depend on `seed`."""
    total = seed % 1_000_003
    for i in range(LOOPS):
        total = (total * 31 + (i ^ seed)) % 1_000_003
    return total


@callback(
    Output("result", "children"),
    Input("run", "n_clicks"),
    background=True,
    interval=250,
    prevent_initial_call=True,
)
def run_job(n_clicks):
    return f"job {n_clicks}: {work(n_clicks)}"


@callback(Output("chart", "figure"), Input("shift", "value"))
def chart(shift):
    shift = int(shift or 0)
    frame = SALES.assign(amount=SALES["amount"] + shift % 97)
    frame = frame[frame["month"] != 1 + shift % 12]
    totals = frame.groupby(["region", "month"], as_index=False)["amount"].sum()
    figure = go.Figure()
    for region, rows in totals.groupby("region"):
        figure.add_bar(x=rows["month"], y=rows["amount"], name=region)
    figure.update_layout(title=f"Sales, shifted by {shift}", barmode="group")
    return figure
