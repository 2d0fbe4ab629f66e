"""The portal's look for dashboards: themed figures and labelled controls.

Django-free, like the catalogue modules that use it. The page styles that go
with it (`de-root`, `de-control`, `de-chart`, ...) are in `spec.INDEX_STRING`
(dark); in the portal, `dashboards/static/portal/frame.css` adds their light
palette.

Figures carry the dark template, which a standalone run shows. In the portal a
dashboard's page follows the theme of the page around it: the portal hands the
page both `CHART_TEMPLATES`, and the page puts the current theme's template on
each figure before plotly.js draws it, so a new figure never shows the other
theme first. There, while the portal answers that page's requests, `figure` builds none
(`TEMPLATE_ON_PAGE`): the page would replace it unseen, and plotly.py takes about
a millisecond to check a template into each new figure.
"""

from __future__ import annotations

import contextvars
from typing import Any

import plotly.graph_objects as go
from dash import html

from dashkit import memo

# Series colours, in order, for traces that name none.
COLORWAY = ("#4cc9f0", "#f72585", "#7b61ff", "#3ddc97", "#ffb703", "#ff8a5b")

# The chart colours of each theme, the same as the page's (`spec.INDEX_STRING`, `frame.css`).
PALETTES: dict[str, dict[str, str]] = {
    "dark": {
        "card": "#131c2e",
        "text": "#c9d1e0",
        "title": "#e5e9f2",
        "grid": "#24324d",
        "line": "#3a4b6e",
        "spike": "#8b97ad",
        "hover_bg": "#131c2e",
        "hover_text": "#e5e9f2",
        "toolbar_bg": "rgba(19, 28, 46, 0.9)",
        "toolbar_icon": "#8b97ad",
        "toolbar_active": "#4cc9f0",
    },
    "light": {
        "card": "#ffffff",
        "text": "#3d4859",
        "title": "#142033",
        "grid": "#e3e8f0",
        "line": "#b3bfd1",
        "spike": "#556073",
        "hover_bg": "#ffffff",
        "hover_text": "#142033",
        "toolbar_bg": "rgba(255, 255, 255, 0.92)",
        "toolbar_icon": "#556073",
        "toolbar_active": "#00729e",
    },
}


def chart_template(theme: str) -> go.layout.Template:
    """The figure template of a theme: colours only; the figure keeps its own layout."""
    p = PALETTES[theme]
    axis = {
        "gridcolor": p["grid"],
        "linecolor": p["line"],
        "zerolinecolor": p["line"],
        "zerolinewidth": 1,
        "tickcolor": p["line"],
        "ticks": "",
        "spikecolor": p["spike"],
        "spikethickness": 1,
        "spikedash": "solid",
        "automargin": True,
        "title": {"standoff": 12},
    }
    return go.layout.Template(
        layout={
            "font": {"color": p["text"]},
            "title": {"font": {"color": p["title"]}},
            # The card's colour (`.de-chart`): plotly.js draws some lines over it in its contrast.
            "paper_bgcolor": p["card"],
            "plot_bgcolor": p["card"],
            "colorway": list(COLORWAY),
            "xaxis": axis,
            "yaxis": axis,
            "legend": {"bgcolor": "rgba(0,0,0,0)", "font": {"color": p["text"]}},
            "hoverlabel": {
                "bgcolor": p["hover_bg"],
                "bordercolor": p["line"],
                "font": {"color": p["hover_text"]},
                "align": "left",
            },
            "modebar": {
                "bgcolor": p["toolbar_bg"],
                "color": p["toolbar_icon"],
                "activecolor": p["toolbar_active"],
            },
        }
    )


CHART_TEMPLATES: dict[str, go.layout.Template] = {theme: chart_template(theme) for theme in PALETTES}

# True while the portal answers a request of a page that themes its own figures (it
# sets this around the app's answer); memoised functions keep it, and answer for each value apart.
TEMPLATE_ON_PAGE: contextvars.ContextVar[bool] = contextvars.ContextVar("template_on_page", default=False)
memo.carry(TEMPLATE_ON_PAGE)


def chart_templates_json() -> dict[str, Any]:
    """Every theme's template as plotly.js reads it, for the page."""
    return {theme: template.to_plotly_json() for theme, template in CHART_TEMPLATES.items()}


def figure(title: str, yaxis: str = "", **layout: Any) -> go.Figure:
    """An empty figure in the portal's style; `layout` is merged over the defaults."""
    # One layout given to the constructor: `update_layout(template=...)` on an empty
    # figure validates the template again and takes about three times as long.
    fig = go.Figure(
        layout={
            # "none": plotly.py's empty template, not its default one (as slow to check).
            "template": "none" if TEMPLATE_ON_PAGE.get() else CHART_TEMPLATES["dark"],
            "title": {"text": title, "x": 0.02, "font": {"size": 15}},
            "margin": {"l": 56, "r": 16, "t": 40, "b": 36},
            "legend": {"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
            "yaxis": {"title": {"text": yaxis}},
            "hovermode": "x unified",
        }
    )
    if layout:
        fig.update_layout(**layout)
    return fig


# The name the catalogue modules import: figures were dark before the portal had themes.
dark_figure = figure


def ink(name: str, dark: str) -> str:
    """A text colour for an inline style that the portal's light theme may change:
    `--de-<name>` when the page defines it (`frame.css`: `muted`, `series-a`,
    `series-b`), else `dark`, the colour on the dark page."""
    return f"var(--de-{name}, {dark})"


def control(label: str, component: Any, width: str) -> html.Div:
    """An input with its label above it; the label points at the component's id."""
    return html.Div(
        [html.Label(label, htmlFor=component.id), component], className="de-control", style={"width": width}
    )
