"""Dash's All-in-One component pattern, beside a file of the app's own that must stay private."""

from dash import Dash, html


class Greeting(html.Div):
    def __init__(self, name: str):
        super().__init__([html.H1(f"Hello, {name}")], id="greeting")


app = Dash(__name__)
app.layout = Greeting("sales")
