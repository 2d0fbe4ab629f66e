"""Pattern matching: MATCH, ALL, ALLSMALLER, Patch and allow_duplicate."""

from dash import ALL, ALLSMALLER, MATCH, Dash, Input, Output, Patch, State, dcc, html

app = Dash(__name__, title="Compat: patterns", prevent_initial_callbacks="initial_duplicate")

app.layout = html.Div(
    [
        html.Button("Add", id="add", n_clicks=0),
        html.Button("Reset", id="reset", n_clicks=0),
        html.Div(
            [dcc.Input(id={"type": "item", "index": i}, value=f"v{i}") for i in range(3)],
            id="items",
        ),
        html.Div([html.Div(id={"type": "echo", "index": i}) for i in range(3)]),
        html.Div([html.Div(id={"type": "before", "index": i}) for i in range(3)]),
        html.Div(id="total"),
        dcc.Store(id="log", data=[]),
    ]
)


@app.callback(
    Output({"type": "echo", "index": MATCH}, "children"), Input({"type": "item", "index": MATCH}, "value")
)
def echo(value):
    return f"echo {value}"


@app.callback(
    Output({"type": "before", "index": MATCH}, "children"),
    Input({"type": "item", "index": MATCH}, "value"),
    State({"type": "item", "index": ALLSMALLER}, "value"),
)
def before(value, smaller):
    return f"{value} after {smaller}"


@app.callback(Output("total", "children"), Input({"type": "item", "index": ALL}, "value"))
def total(values):
    return " + ".join(values)


@app.callback(Output("items", "children"), Input("add", "n_clicks"), prevent_initial_call=True)
def add(n):
    patched = Patch()
    patched.append(dcc.Input(id={"type": "item", "index": 2 + n}, value=f"new{n}"))
    return patched


@app.callback(Output("log", "data"), Input("add", "n_clicks"), prevent_initial_call=True)
def log_add(n):
    patched = Patch()
    patched.append(f"add {n}")
    return patched


@app.callback(
    Output("log", "data", allow_duplicate=True), Input("reset", "n_clicks"), prevent_initial_call=True
)
def log_reset(_):
    return ["reset"]


if __name__ == "__main__":
    app.run(debug=True)
