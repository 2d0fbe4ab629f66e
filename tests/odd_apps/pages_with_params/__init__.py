"""A Dash Pages app that declares parameters: refused, with the reason."""

from dash import Dash, dcc, html, page_container

from dashkit.spec import Choice, Portal

app = Dash(__name__, use_pages=True, pages_folder="pages")
app.layout = html.Div([dcc.Dropdown(id="region", options=["North"], value="North"), page_container])
portal = Portal(params=(Choice(name="region", label="Region", choices=("North",), default="North"),))
