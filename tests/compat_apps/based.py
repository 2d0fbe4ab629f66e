"""Written to live below its own base path."""

from dash import Dash, Input, Output, dcc, html

app = Dash(__name__, url_base_pathname="/based/")
app.layout = html.Div([dcc.Input(id="name", value="x"), html.Div(id="greeting")])


@app.callback(Output("greeting", "children"), Input("name", "value"))
def greet(name):
    return f"hello {name}"
