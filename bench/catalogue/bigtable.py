"""A synthetic dashboard with a million rows, for the export benchmark."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from dash import Input, Output, dcc, html

from dashkit.spec import Dashboard, MultiChoice

REGIONS = ("north", "south", "east", "west", "=formula")
ROWS = 1_000_000


@cache
def table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "id": np.arange(ROWS),
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, ROWS), unit="D"),
            "region": rng.choice(REGIONS, ROWS),
            "amount": rng.normal(100, 25, ROWS).round(2),
            "units": rng.integers(1, 50, ROWS),
        }
    )


def data(params: dict[str, Any]) -> pd.DataFrame:
    frame = table()
    if len(params["regions"]) == len(REGIONS):
        return frame
    return frame[frame["region"].isin(params["regions"])].reset_index(drop=True)


def layout(params: dict[str, Any]) -> html.Div:
    return html.Div(
        [
            dcc.Dropdown(id="regions", options=list(REGIONS), value=params["regions"], multi=True),
            html.Div(id="count"),
        ]
    )


def register_callbacks(app: Any) -> None:
    @app.callback(Output("count", "children"), Input("regions", "value"))
    def count(regions):
        return f"{len(data(dashboard.clean({'regions': regions or list(REGIONS)}))):,} rows"


dashboard = Dashboard(
    slug="bigtable",
    title="Big table (benchmark)",
    description="A million synthetic rows.",
    category="Benchmark",
    params=(MultiChoice(name="regions", label="Regions", choices=REGIONS, default=list(REGIONS)),),
    data=data,
    layout=layout,
    register_callbacks=register_callbacks,
)
