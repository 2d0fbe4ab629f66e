import dash
from dash import Input, Output, callback, dcc, html

dash.register_page(__name__, name="Analytics")

layout = html.Div(
    [
        html.H1("Analytics", id="analytics-title"),
        dcc.RadioItems(["A", "B"], "A", id="choice"),
        html.Div(id="chosen"),
    ]
)


@callback(Output("chosen", "children"), Input("choice", "value"))
def chosen(value):
    return f"You chose {value}"
