"""Loaded after `startup`: must not get its route."""

from dash import Dash, html

app = Dash(__name__)
app.layout = html.Div("later")
