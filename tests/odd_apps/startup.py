"""An app whose module adds a Dash startup route (a class-wide list in Dash)."""

from dash import Dash, html

Dash.add_startup_route("odd-hello", lambda: "hello from startup", ["GET"])
app = Dash(__name__)
app.layout = html.Div("startup")
