"""A view with declared parameters whose first callback greets the user asking."""

import flask
from dash import Dash, Input, Output, dcc, html

from dashkit.spec import Choice, Portal

app = Dash(__name__, title="Greeting")
portal = Portal(
    cache_answers=True,
    params=(Choice(name="region", label="Region", choices=("North", "South"), default="North"),),
)

app.layout = html.Div(
    [dcc.Dropdown(id="region", options=["North", "South"], value="North"), html.Div(id="hello")]
)


@app.callback(Output("hello", "children"), Input("region", "value"))
def hello(region):
    request = dict(flask.request.environ)["dashengine.request"]  # a copy: no read is seen
    return f"{region} for {request.user.email}, session {request.session.session_key}"
