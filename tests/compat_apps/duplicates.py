"""Outputs shared between callbacks: Patch with allow_duplicate (one output, several, and a
pattern-matching one), a callback without outputs, and an optional State that is not there."""

from dash import MATCH, Dash, Input, Output, Patch, State, dcc, html, set_props

app = Dash(__name__, title="Compat: duplicates")

app.layout = html.Div(
    [
        html.Button("Grow", id="grow", n_clicks=0),
        html.Button("Both", id="both", n_clicks=0),
        html.Button("Ping", id="ping", n_clicks=0),
        html.Div(id="status"),
        html.Div(id="pinged"),
        dcc.Graph(id="chart"),
        html.Div(
            [
                html.Div(
                    [
                        html.Button(f"Mark {i}", id={"type": "mark", "index": i}, n_clicks=0),
                        html.Span(id={"type": "cell", "index": i}),
                    ]
                )
                for i in range(2)
            ]
        ),
    ]
)


# Once, at load: drawn again on every Grow, its answer could arrive after the Patch's
# and put "start" back over "grown 1" (two callbacks racing for one output).
@app.callback(Output("chart", "figure"), Output("status", "children"), Input("chart", "id"))
def draw(_id):
    return {"data": [{"type": "bar", "x": ["a"], "y": [0]}], "layout": {"title": {"text": "start"}}}, "drawn"


@app.callback(
    Output("chart", "figure", allow_duplicate=True),
    Input("grow", "n_clicks"),
    State("missing", "value", allow_optional=True),
    prevent_initial_call=True,
)
def grow(n, missing):
    patched = Patch()
    patched["data"][0]["y"].append(n * 10)
    patched["layout"]["title"]["text"] = f"grown {n} ({missing})"
    return patched


@app.callback(
    Output("chart", "figure", allow_duplicate=True),
    Output("status", "children", allow_duplicate=True),
    Input("both", "n_clicks"),
    prevent_initial_call=True,
)
def both(n):
    patched = Patch()
    patched["layout"]["title"]["text"] = f"both {n}"
    return patched, f"both {n}"


@app.callback(
    Output({"type": "cell", "index": MATCH}, "children"), Input({"type": "mark", "index": MATCH}, "id")
)
def cell(id_):
    return f"cell {id_['index']}"


@app.callback(
    Output({"type": "cell", "index": MATCH}, "children", allow_duplicate=True),
    Input({"type": "mark", "index": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)
def mark(n):
    return f"marked {n}"


@app.callback(Input("ping", "n_clicks"), prevent_initial_call=True)
def ping(n):
    set_props("pinged", {"children": f"pinged {n}"})


if __name__ == "__main__":
    app.run(debug=True)
