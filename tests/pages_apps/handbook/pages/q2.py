import dash
from dash import html

dash.register_page(__name__, path="/reports/q2", name="Q2", title="Q2 report")

layout = html.H1("Second quarter", id="q2-title")
