import dash
from dash import html

dash.register_page(__name__, path="/", title="A home", description="The home page of A")

layout = html.H1("A: home")
