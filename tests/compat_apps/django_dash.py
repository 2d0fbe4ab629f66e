"""An app written for django-plotly-dash: a module-level DjangoDash."""

from dash import Input, Output, ctx, dcc, html
from django_plotly_dash import DjangoDash

app = DjangoDash("CompatDjangoDash")
app.layout = html.Div([dcc.Input(id="number", type="number", value=1), html.Div(id="doubled")])


@app.callback(Output("doubled", "children"), Input("number", "value"))
def double(number):
    return f"{number * 2} (triggered by {ctx.triggered_id})"
