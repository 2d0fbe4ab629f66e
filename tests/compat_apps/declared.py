"""Orders by region: a plain Dash app with a portal declaration beside it."""

import pandas as pd
from dash import Dash, Input, Output, dcc, html

from dashkit import spec

ORDERS = pd.DataFrame({"region": ["North", "South", "North"], "orders": [3, 5, 7]})

app = Dash(__name__)
app.layout = html.Div([dcc.Dropdown(["North", "South"], "North", id="region"), html.Div(id="total")])


@app.callback(Output("total", "children"), Input("region", "value"))
def total(region):
    return str(ORDERS[ORDERS.region == region].orders.sum())


portal = spec.Portal(
    title="Orders by region",
    category="Sales",
    params=(spec.Choice(name="region", label="Region", choices=("North", "South"), default="North"),),
    data=lambda params: ORDERS[ORDERS.region == params["region"]].reset_index(drop=True),
)

if __name__ == "__main__":
    app.run(debug=True)
