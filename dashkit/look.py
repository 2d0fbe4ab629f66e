"""The portal's look for dashboards: dark figures and labelled controls.

Django-free, like the catalogue modules that use it. The page styles that go
with it (`de-root`, `de-control`, `de-chart`, ...) are in `spec.INDEX_STRING`.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html


def dark_figure(title: str, yaxis: str = "", **layout: Any) -> go.Figure:
    """An empty figure in the portal's style; `layout` is merged over the defaults."""
    fig = go.Figure()
    fig.update_layout(
        template="plotly_dark",
        title={"text": title, "x": 0.02, "font": {"size": 15}},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 56, "r": 16, "t": 40, "b": 36},
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        yaxis_title=yaxis,
        hovermode="x unified",
    )
    if layout:
        fig.update_layout(**layout)
    return fig


def control(label: str, component: Any, width: str) -> html.Div:
    """An input with its label above it; the label points at the component's id."""
    return html.Div(
        [html.Label(label, htmlFor=component.id), component], className="de-control", style={"width": width}
    )
