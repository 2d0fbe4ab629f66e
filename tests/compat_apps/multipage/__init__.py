"""Dash Pages: a multi-page app with a pages/ folder."""

import dash
from dash import Dash, dcc, html

app = Dash(__name__, use_pages=True, title="Compat: pages")

app.layout = html.Div(
    [
        html.Nav(
            [
                dcc.Link(page["name"], href=page["relative_path"], id=f"to-{page['module'].split('.')[-1]}")
                for page in dash.page_registry.values()
            ]
        ),
        dash.page_container,
    ]
)
