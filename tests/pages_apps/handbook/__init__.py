"""Handbook.

A Dash Pages app whose pages have titles of their own, linked from a menu.
"""

import dash
from dash import Dash, dcc, html

app = Dash(__name__, use_pages=True)

app.layout = html.Div(
    [
        html.Nav(
            [
                dcc.Link(page["name"], href=page["relative_path"], id=f"to-{page['module'].split('.')[-1]}")
                for page in dash.page_registry.values()
                if page["module"].startswith(__name__)
            ]
        ),
        dash.page_container,
    ]
)
