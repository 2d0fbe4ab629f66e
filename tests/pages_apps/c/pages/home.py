import dash
from dash import html

dash.register_page(__name__, path="/", title="C home")

layout = html.H1("C: home")
