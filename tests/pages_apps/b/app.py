import dash
from dash import Dash, html

# Built in `b.app`, not in the package: Dash names the page modules `pages.<file>`.
app = Dash(__name__, use_pages=True, title="Pages B")

app.layout = html.Div([html.Nav(f"B has {len(dash.page_registry)} pages"), dash.page_container])
