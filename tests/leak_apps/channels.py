"""Per-user channels: an app that opts in to what used to be shared answers and reads,
in each callback, one thing of the user asking."""

import flask
from dash import Dash, Input, Output, ctx, dcc, html

from dashkit.spec import Portal

app = Dash(__name__, title="Channels")
portal = Portal(cache_answers=True)

READERS = {
    "cookie": lambda: ctx.cookies.get("sessionid", ""),
    "remote-user": lambda: ctx.headers.get("X-Remote-User", ""),
    "language": lambda: ctx.headers.get("Accept-Language", ""),
    "address": lambda: flask.request.remote_addr,
    "query": lambda: flask.request.query_string.decode(),
    "session": lambda: flask.request.environ["dashengine.request"].session.session_key,
    "environ-get": lambda: flask.request.environ.get("HTTP_X_REMOTE_USER", ""),
    "environ-copy": lambda: dict(flask.request.environ).get("HTTP_X_REMOTE_USER", ""),
    "user": lambda: flask.request.environ["dashengine.request"].user.get_username(),
}

app.layout = html.Div([dcc.Input(id="word", value="hello"), *[html.Div(id=name) for name in READERS]])


def _reader(name):
    def read(word):
        return f"{word} {READERS[name]()}"

    return read


for _name in READERS:
    app.callback(Output(_name, "children"), Input("word", "value"))(_reader(_name))
