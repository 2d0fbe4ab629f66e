"""Plain: a one-page app loaded after the hooks module."""

from dash import Dash, html

app = Dash(__name__, title="Plain")
app.layout = html.Div("Plain and simple", id="plain")
