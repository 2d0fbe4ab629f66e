"""Regional sales.

Sales by region: its chart exists only once its callback has run, in the browser.
"""

import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html

SALES = {"North": 120, "South": 95, "East": 143, "West": 77}

app = Dash(__name__)
app.layout = html.Div(
    [
        dcc.Dropdown(id="regions", options=list(SALES), value=list(SALES), multi=True),
        dcc.Graph(id="sales", style={"height": "400px"}),
    ]
)


@app.callback(Output("sales", "figure"), Input("regions", "value"))
def draw(regions):
    figure = go.Figure(go.Bar(x=regions, y=[SALES[r] for r in regions]))
    figure.update_layout(title="Sales by region")
    return figure
