"""Who am I: a dropped-in app that opts in to shared answers, with one callback that reads the user."""

import flask
from dash import Dash, Input, Output, dcc, html

from dashkit.spec import Portal, not_cacheable

app = Dash(__name__, title="Who am I")
portal = Portal(cache_answers=True)

app.layout = html.Div(
    [dcc.Input(id="word", value="hello"), html.Div(id="echo"), html.Div(id="me"), html.Div(id="now")]
)
calls = {"echo": 0, "now": 0}


@app.callback(Output("echo", "children"), Input("word", "value"))
def echo(word):
    calls["echo"] += 1
    return f"{word}!"


@app.callback(Output("me", "children"), Input("word", "value"))
def me(word):
    request = flask.request.environ.get("dashengine.request")
    return f"{word}, {request.user.get_username() if request else 'someone'}"


@app.callback(Output("now", "children"), Input("word", "value"))
@not_cacheable
def now(word):
    calls["now"] += 1
    return f"{word} #{calls['now']}"
