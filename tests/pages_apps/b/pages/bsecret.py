import dash
from dash import html

dash.register_page(__name__, path="/bsecret", title="B secret title", description="B secret description")

layout = html.H1("B: the secret page")
