"""Downloads, app-level prevent_initial_callbacks, on_error, callbacks into later layout."""

import itertools

import pandas as pd
from dash import Dash, Input, Output, dcc, html

FRAME = pd.DataFrame({"city": ["Oslo", "Lima", "Pune"], "people": [709000, 10090000, 3124000]})


def handle_error(error):
    return f"Sorry: {error}"


app = Dash(
    __name__, title="Compat: downloads", prevent_initial_callbacks=True, suppress_callback_exceptions=True
)

app.layout = html.Div(
    [
        html.Button("Download", id="download-btn", n_clicks=0),
        dcc.Download(id="download"),
        html.Button("Fail", id="fail-btn", n_clicks=0),
        html.Div(id="failure"),
        html.Div(id="later"),
    ]
)


@app.callback(Output("download", "data"), Input("download-btn", "n_clicks"))
def download(_):
    return dcc.send_data_frame(FRAME.to_csv, "cities.csv", index=False)


@app.callback(Output("failure", "children"), Input("fail-btn", "n_clicks"), on_error=handle_error)
def fail(n):
    raise ValueError(f"click {n} failed")


@app.callback(Output("later", "children"), Input("fail-btn", "n_clicks"))
def later(n):
    return html.Div(html.Span(f"made by click {n}", id="made-later"))


@app.callback(Output("made-later", "title"), Input("made-later", "children"))
def title_later(text):
    return text.upper()


served = itertools.count(1)


@app.server.after_request
def count_answers(response):
    # A request hook of the app's own: its answers may differ on every request.
    response.headers["X-Served"] = str(next(served))
    return response


if __name__ == "__main__":
    app.run(debug=True)
