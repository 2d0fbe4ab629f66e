"""Context: dash.ctx, callback_context, dict-grouped arguments, set_props, no_update."""

import dash
from dash import Dash, Input, Output, State, callback, ctx, html, no_update, set_props
from dash.exceptions import PreventUpdate

app = Dash(__name__, title="Compat: context")

app.layout = html.Div(
    [
        html.Button("One", id="btn-1", n_clicks=0),
        html.Button("Two", id="btn-2", n_clicks=0),
        html.Div(id="which"),
        html.Div(id="side"),
        html.Div(id="grouped"),
        html.Div("unchanged", id="kept"),
    ]
)


@callback(Output("which", "children"), Input("btn-1", "n_clicks"), Input("btn-2", "n_clicks"))
def which(one, two):
    if not ctx.triggered_id:
        return "nothing yet"
    set_props("side", {"children": f"set_props from {ctx.triggered_id}"})
    ctx.response.set_cookie("last-button", str(ctx.triggered_id))
    return f"{ctx.triggered_id} {sorted(ctx.triggered_prop_ids)} {one + two} {ctx.inputs_list[0]['id']}"


@app.callback(
    output={"text": Output("grouped", "children")},
    inputs={"clicks": {"one": Input("btn-1", "n_clicks"), "two": Input("btn-2", "n_clicks")}},
    state={"kept": State("kept", "children")},
)
def grouped(clicks, kept):
    if clicks["one"] + clicks["two"] == 0:
        raise PreventUpdate
    grouping = dash.callback_context.args_grouping
    return {"text": f"{clicks} {kept} {grouping['clicks']['one']['triggered']} {ctx.using_args_grouping}"}


@callback(Output("kept", "children"), Input("btn-2", "n_clicks"), prevent_initial_call=True)
def keep(_):
    return no_update


if __name__ == "__main__":
    app.run(debug=True)
