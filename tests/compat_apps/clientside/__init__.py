"""Clientside callbacks (inline and from assets/), the app's own CSS, images and server routes."""

import dash
import flask
from dash import ClientsideFunction, Dash, Input, Output, dcc, html

app = Dash(
    __name__,
    title="Compat: clientside",
    suppress_callback_exceptions=True,
    # A stylesheet named from the app's root, answered by a route of its own server.
    external_stylesheets=["/local/theme.css"],
)


@app.server.route("/local/theme.css")
def theme():
    return flask.Response(".compat-length { letter-spacing: 2px; }", mimetype="text/css")


app.layout = html.Div(
    [
        dcc.Input(id="text", value="hello"),
        html.Div(id="upper", className="compat-upper"),
        html.Div(id="length", className="compat-length"),
        html.Img(id="logo", src=dash.get_asset_url("logo.svg"), alt="logo"),
    ]
)

app.clientside_callback(
    "function (value) { return value.toUpperCase(); }",
    Output("upper", "children"),
    Input("text", "value"),
)

dash.clientside_callback(
    ClientsideFunction(namespace="compat", function_name="length"),
    Output("length", "children"),
    Input("text", "value"),
)

if __name__ == "__main__":
    app.run(debug=True)
