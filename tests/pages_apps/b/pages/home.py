import dash
from dash import html

dash.register_page(__name__, path="/", title="B home")

layout = html.H1("B: home")
