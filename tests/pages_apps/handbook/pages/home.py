import dash
from dash import html

dash.register_page(__name__, path="/", name="Home", title="Handbook home")

layout = html.H1("Welcome to the handbook", id="home-title")
