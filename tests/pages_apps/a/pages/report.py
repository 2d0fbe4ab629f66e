import dash
from dash import html

dash.register_page(__name__, path="/report", title="A report")

layout = html.H1("A: report")
