"""Hooked: a module that registers every kind of dash.hooks it can."""

import dash
from dash import Dash, Input, Output, dcc, html

SET_UP: list[str] = []
ERRORS: list[str] = []


@dash.hooks.setup()
def remember(app):
    SET_UP.append(app.title)


@dash.hooks.layout()
def banner(layout):
    return [html.Div("HOOKED BANNER", id="hooked-banner"), layout]


@dash.hooks.index()
def marked(index):
    return index.replace("</head>", "<!-- HOOKED INDEX --></head>")


@dash.hooks.route("hooked-route")
def hooked_route():
    return "HOOKED ROUTE"


@dash.hooks.error()
def recorded(error):
    ERRORS.append(str(error))


@dash.hooks.callback(Output("hooked-out", "children"), Input("hooked-in", "value"))
def hooked_echo(value):
    if value == "boom":
        raise ValueError("boom")
    return f"HOOKED {value}"


dash.hooks.stylesheet([{"external_url": "/static/hooked.css", "external_only": True}])
dash.hooks.script([{"external_url": "/static/hooked.js", "external_only": True}])

app = Dash(__name__, title="Hooked")
app.layout = html.Div([dcc.Input(id="hooked-in", value="x"), html.Div(id="hooked-out")])
