"""Raises while its layout is built."""

from dash import Dash


def layout():
    raise RuntimeError("this layout is broken on purpose")


app = Dash(__name__)
app.layout = layout
