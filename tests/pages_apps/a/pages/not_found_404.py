import dash
from dash import html

dash.register_page(__name__, title="A: not found")

layout = html.H1("A: no such page")
