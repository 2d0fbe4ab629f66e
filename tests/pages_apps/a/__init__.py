"""Pages A: a Dash Pages app built in its package's __init__."""

import dash
from dash import Dash, dcc, html

app = Dash(__name__, use_pages=True, title="Pages A")

app.layout = html.Div(
    [
        html.Nav(
            [dcc.Link(page["name"], href=page["relative_path"]) for page in dash.page_registry.values()]
        ),
        dash.page_container,
    ]
)
