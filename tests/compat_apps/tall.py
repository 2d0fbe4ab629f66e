"""Taller than any window: sixty numbered lines, and a layout made afresh for each visit."""

import itertools

from dash import Dash, html

visits = itertools.count(1)


def layout():
    return html.Div(
        [html.P(f"Visit {next(visits)}", id="visit")]
        + [html.P(f"Line {i}", id=f"line-{i}") for i in range(1, 61)]
    )


app = Dash(__name__)
app.layout = layout
