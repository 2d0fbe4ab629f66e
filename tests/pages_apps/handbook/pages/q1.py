import dash
from dash import html

dash.register_page(__name__, path="/reports/q1", name="Q1", title="Q1 report")

layout = html.H1("First quarter", id="q1-title")
