"""Component libraries: dash-bootstrap-components (with its Bootstrap theme), dash-ag-grid, dash-mantine-components."""

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_mantine_components as dmc
from dash import Dash, Input, Output, html

ROWS = [{"make": "Volvo", "price": 32000}, {"make": "Fiat", "price": 18000}, {"make": "Kia", "price": 21000}]

app = Dash(
    __name__,
    title="Compat: libraries",
    external_stylesheets=[dbc.themes.BOOTSTRAP, dbc.icons.BOOTSTRAP, dbc.icons.FONT_AWESOME],
)

app.layout = dmc.MantineProvider(
    dbc.Container(
        [
            dbc.Button(
                [html.I(className="bi bi-star", id="icon"), " Count"], id="count", n_clicks=0, color="primary"
            ),
            dbc.Alert(id="alert", color="info"),
            dmc.Badge("mantine", id="badge"),
            dag.AgGrid(id="grid", rowData=ROWS, columnDefs=[{"field": "make"}, {"field": "price"}]),
            html.Div(id="selected"),
        ]
    )
)


@app.callback(Output("alert", "children"), Input("count", "n_clicks"))
def count(n):
    return f"clicked {n} times"


@app.callback(Output("selected", "children"), Input("grid", "cellClicked"))
def selected(cell):
    return f"cell {cell['value']}" if cell else "no cell"


if __name__ == "__main__":
    app.run(debug=True)
