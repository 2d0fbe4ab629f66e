"""A/B test: three experiments with variants A and B over 28 days each, compared on
sign-ups or purchases, with confidence intervals, a two-proportion z-test, a
verdict in plain words and a sample-size calculator.

The daily rows are generated (seeded): traffic follows a weekly pattern (weekends
lower) with noise and is split at random between A and B; sign-ups are a
binomial draw from visitors and purchases a binomial draw from sign-ups, with
rates that differ by experiment and, where the change works, by variant:
"checkout-redesign" clearly helps, "pricing-page-copy" changes nothing and
"onboarding-email" has a small effect that 28 days cannot quite confirm.
The statistics are in `dashkit.stats`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html, no_update

from dashkit import formats
from dashkit.look import control, dark_figure, ink
from dashkit.memo import memoize
from dashkit.spec import Choice, Dashboard, Number, ParamError
from dashkit.stats import difference_ci, proportion_ci, sample_size_per_variant, two_proportion_ztest

DAYS = 28
VARIANTS = ("A", "B")
METRICS = {"signups": "Sign-ups", "purchases": "Purchases"}
RATE_NAMES = {"signups": "sign-up", "purchases": "purchase"}
LEVEL = 0.95  # of the results' intervals and test


@dataclass(frozen=True)
class Experiment:
    name: str  # what people call it; the key is for links and reports
    description: str
    start: dt.date
    visitors_per_day: float  # both variants together, on a weekday
    # variant -> (sign-up rate of visitors, purchase rate of sign-ups)
    rates: dict[str, tuple[float, float]]


EXPERIMENTS = {
    "checkout-redesign": Experiment(
        "Checkout redesign",
        "One-page checkout (B) against the three-step checkout (A)",
        dt.date(2025, 3, 3),
        3000.0,
        {"A": (0.060, 0.33), "B": (0.063, 0.40)},
    ),
    "pricing-page-copy": Experiment(
        "Pricing page copy",
        "Benefit-led pricing page copy (B) against the feature list (A)",
        dt.date(2025, 4, 7),
        1800.0,
        {"A": (0.040, 0.30), "B": (0.040, 0.30)},
    ),
    "onboarding-email": Experiment(
        "Onboarding email",
        "Personalised onboarding email (B) against the generic one (A)",
        dt.date(2025, 5, 5),
        1200.0,
        {"A": (0.120, 0.25), "B": (0.127, 0.25)},
    ),
}
COLORS = {"A": "#4cc9f0", "B": "#f72585"}
# How the numbers read, on the chart, in the results and in the exports.
RATE = formats.percent(2)
RATE_AXIS = formats.percent(1)
COUNT = formats.number(0)
# "normal": the filled bands would otherwise reverse the legend.
RATE_LAYOUT = {"legend": {"traceorder": "normal"}, "yaxis_tickformat": RATE_AXIS.d3()}
BANDS = {"A": "rgba(76, 201, 240, 0.15)", "B": "rgba(247, 37, 133, 0.15)"}


@cache
def daily() -> pd.DataFrame:
    """Every day × experiment × variant, generated once per process."""
    rng = np.random.default_rng(5)
    frames = []
    for name, experiment in EXPERIMENTS.items():
        days = pd.date_range(experiment.start, periods=DAYS, freq="D")
        weekday = days.day_of_week.to_numpy()
        weekly = np.where(weekday == 5, 0.70, np.where(weekday == 6, 0.62, 1.0 + 0.04 * (weekday == 0)))
        total = rng.poisson(experiment.visitors_per_day * weekly * rng.lognormal(0, 0.08, DAYS))
        visitors_a = rng.binomial(total, 0.5)
        for variant, visitors in zip(VARIANTS, (visitors_a, total - visitors_a), strict=True):
            signup_rate, purchase_rate = experiment.rates[variant]
            signups = rng.binomial(visitors, signup_rate)
            purchases = rng.binomial(signups, purchase_rate)
            frames.append(
                pd.DataFrame(
                    {
                        "date": days,
                        "experiment": name,
                        "variant": variant,
                        "visitors": visitors,
                        "signups": signups,
                        "purchases": purchases,
                    }
                )
            )
    frame = pd.concat(frames, ignore_index=True)
    return frame.astype({"visitors": "int64", "signups": "int64", "purchases": "int64"})


@memoize
def data(params: dict[str, Any]) -> pd.DataFrame:
    """The daily rows of one experiment for one metric, with running totals per variant."""
    frame = daily()
    rows = frame.loc[frame["experiment"] == params["experiment"], ["date", "variant", "visitors"]].copy()
    rows["conversions"] = frame.loc[rows.index, params["metric"]]
    rows = rows.sort_values(["variant", "date"], kind="stable").reset_index(drop=True)
    grouped = rows.groupby("variant")
    rows["cumulative_visitors"] = grouped["visitors"].cumsum()
    rows["cumulative_conversions"] = grouped["conversions"].cumsum()
    rows["cumulative_rate"] = rows["cumulative_conversions"] / rows["cumulative_visitors"]
    return rows


@dataclass(frozen=True)
class VariantResult:
    variant: str
    visitors: int
    conversions: int
    rate: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class Comparison:
    a: VariantResult
    b: VariantResult
    lift: float  # p_b − p_a
    relative_lift: float  # (p_b − p_a) / p_a, NaN when p_a is 0
    lift_ci: tuple[float, float]
    z: float
    p_value: float
    days: int

    @property
    def significant(self) -> bool:
        return self.p_value < 1 - LEVEL

    @property
    def visitors_per_day(self) -> float:
        """Both variants together, on average over the days observed."""
        return (self.a.visitors + self.b.visitors) / self.days


def compare(frame: pd.DataFrame) -> Comparison:
    """Totals per variant of daily rows (`date, variant, visitors, conversions`) and B against A."""
    totals = {}
    for variant in VARIANTS:
        rows = frame[frame["variant"] == variant]
        visitors, conversions = int(rows["visitors"].sum()), int(rows["conversions"].sum())
        totals[variant] = VariantResult(
            variant,
            visitors,
            conversions,
            conversions / visitors,
            proportion_ci(successes=conversions, trials=visitors, level=LEVEL),
        )
    a, b = totals["A"], totals["B"]
    counts = {
        "successes_a": a.conversions,
        "trials_a": a.visitors,
        "successes_b": b.conversions,
        "trials_b": b.visitors,
    }
    z, p_value = two_proportion_ztest(**counts)
    return Comparison(
        a=a,
        b=b,
        lift=b.rate - a.rate,
        relative_lift=(b.rate - a.rate) / a.rate if a.rate > 0 else math.nan,
        lift_ci=difference_ci(**counts, level=LEVEL),
        z=z,
        p_value=p_value,
        days=int(frame["date"].nunique()),
    )


def visitors_per_day(experiment: str) -> float:
    """The observed traffic of an experiment: both variants together, on average over its days."""
    rows = daily()[daily()["experiment"] == experiment]
    return int(rows["visitors"].sum()) / rows["date"].nunique()


@dataclass(frozen=True)
class Plan:
    """The calculator's answer: visitors per variant, in total, and days at a traffic."""

    baseline: float  # fractions
    mde: float
    power: float
    alpha: float
    per_variant: int

    @property
    def total(self) -> int:
        return 2 * self.per_variant

    def days(self, visitors_per_day: float) -> int:
        return math.ceil(self.total / visitors_per_day)


def plan(params: dict[str, Any]) -> Plan:
    """The sample size of the calculator's params (percentages); ValueError if impossible."""
    baseline, mde, power, alpha = (params[name] / 100 for name in ("baseline", "mde", "power", "alpha"))
    if baseline + mde >= 1:
        raise ValueError(
            f"Baseline + effect must stay below 100%: {params['baseline']:g}% + "
            f"{params['mde']:g} percentage points = {params['baseline'] + params['mde']:g}%."
        )
    n = sample_size_per_variant(baseline=baseline, mde=mde, power=power, alpha=alpha)
    return Plan(baseline=baseline, mde=mde, power=power, alpha=alpha, per_variant=n)


CALCULATOR = ("baseline", "mde", "power", "alpha")


def calculator_problems(values: dict[str, Any]) -> list[str]:
    """What is wrong with each calculator field, in the order they are shown, by label.

    A number field holding a value outside its bounds sends nothing (None), as an
    empty one does: either way, the field's range is what to say."""
    problems = []
    for name in CALCULATOR:
        param = dashboard.param(name)
        try:
            if values.get(name) in (None, ""):
                raise ParamError(name, "no value")
            param.clean(values[name])
        except ParamError:
            problems.append(f"{param.label}: {param.hint}")
    return problems


def calculator_params(values: dict[str, Any]) -> dict[str, Any]:
    """Validated calculator values (percentages); ParamError names the first bad one."""
    for name in CALCULATOR:
        if values.get(name) in (None, ""):
            param = dashboard.param(name)
            raise ParamError(name, "no value", label=param.label, hint=param.hint)
    return dashboard.clean({name: values[name] for name in CALCULATOR})


def columns(params: dict[str, Any]) -> list[formats.Column]:
    """The export's columns, named for the metric."""
    metric = METRICS[params["metric"]]
    return [
        formats.Column("date", "Date", formats.date()),
        formats.Column("variant", "Variant", formats.text()),
        formats.Column("visitors", "Visitors", COUNT),
        formats.Column("conversions", metric, COUNT),
        formats.Column("cumulative_visitors", "Visitors so far", COUNT),
        formats.Column("cumulative_conversions", f"{metric} so far", COUNT),
        formats.Column("cumulative_rate", f"{RATE_NAMES[params['metric']].capitalize()} rate so far", RATE),
    ]


def _points(value: float, digits: int = 2) -> str:
    return f"{value * 100:+.{digits}f}".replace("-", "−")


def _p(value: float) -> str:
    if value < 0.001:
        return "p < 0.001"
    return f"p = {value:.3f}" if value < 0.1 else f"p = {value:.2f}"


def verdict(comparison: Comparison, plan_: Plan | None) -> list[Any]:
    """The result in plain words; when not significant, what the calculator says it takes."""
    c = comparison
    if c.significant:
        better = c.lift > 0
        relative = "" if math.isnan(c.relative_lift) else f" ({_points(c.relative_lift, 1)}%)"
        return [
            html.B(
                f"B converts {'better' if better else 'worse'} than A: "
                f"{_points(c.lift, 1)} percentage points{relative}, {_p(c.p_value)}, "
                f"significant at {LEVEL:.0%}.",
                className="de-up" if better else "de-down",
            )
        ]
    if plan_ is None:
        return [
            html.B(f"No significant difference yet: {_p(c.p_value)}."),
            " Enter valid calculator values to see how many visitors the test needs.",
        ]
    mde = plan_.mde * 100
    effect = f"{mde:g} percentage point{'' if mde == 1 else 's'}"
    have = min(c.a.visitors, c.b.visitors)
    needed = (
        f" Detecting +{effect} from a {plan_.baseline * 100:g}% baseline "
        f"({plan_.power * 100:g}% chance to detect it, {plan_.alpha * 100:g}% false-alarm risk) takes "
        f"{plan_.per_variant:,} visitors per variant"
    )
    if have < plan_.per_variant:
        more = math.ceil(2 * (plan_.per_variant - have) / c.visitors_per_day)
        return [
            html.B(f"No significant difference yet: {_p(c.p_value)}."),
            f"{needed}; this test has {have:,}, about {more} more day{'' if more == 1 else 's'} "
            f"at its traffic. Keep the test running or accept that the effect is smaller than {effect}.",
        ]
    return [
        html.B(f"No significant difference: {_p(c.p_value)}."),
        f"{needed} and this test has {have:,}: accept that the effect is smaller than {effect}, "
        "or keep the test running to detect a smaller one.",
    ]


def results_table(comparison: Comparison) -> html.Table:
    c = comparison
    head = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in ("Variant", "Visitors", "Conversions", "Rate", f"Likely range ({LEVEL:.0%})")
            ]
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(
                    html.B(v.variant, style={"color": ink(f"series-{v.variant.lower()}", COLORS[v.variant])})
                ),
                html.Td(COUNT.text(v.visitors)),
                html.Td(COUNT.text(v.conversions)),
                html.Td(RATE.text(v.rate)),
                html.Td(f"{RATE.text(v.ci[0])} – {RATE.text(v.ci[1])}"),
            ]
        )
        for v in (c.a, c.b)
    ]
    relative = "" if math.isnan(c.relative_lift) else f" ({_points(c.relative_lift, 1)}%)"
    # Coloured only when the test says the difference is real.
    style = None if not c.significant else "de-up" if c.lift > 0 else "de-down"
    rows.append(
        html.Tr(
            [
                html.Td("B − A, percentage points"),
                html.Td(""),
                html.Td(""),
                html.Td(f"{_points(c.lift)}{relative}", className=style),
                html.Td(f"{_points(c.lift_ci[0])} to {_points(c.lift_ci[1])}"),
            ]
        )
    )
    return html.Table([head, html.Tbody(rows)], className="de-table", id="results-table")


def chart_title(metric: str) -> str:
    return f"Cumulative {RATE_NAMES[metric]} rate by variant"


def cumulative_figure(frame: pd.DataFrame, metric: str) -> go.Figure:
    """Running conversion rate per variant, with its 95% interval as a band."""
    fig = dark_figure(chart_title(metric), "Conversion rate", **RATE_LAYOUT)
    for variant in VARIANTS:
        rows = frame[frame["variant"] == variant]
        bounds = [
            proportion_ci(successes=int(c), trials=int(n), level=LEVEL)
            for c, n in zip(rows["cumulative_conversions"], rows["cumulative_visitors"], strict=True)
        ]
        low, high = [b[0] for b in bounds], [b[1] for b in bounds]
        band = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False}
        fig.add_trace(go.Scatter(x=rows["date"], y=high, name=f"{variant} upper", **band))
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=low,
                name=f"{variant} lower",
                fill="tonexty",
                fillcolor=BANDS[variant],
                **band,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows["cumulative_rate"],
                name=variant,
                mode="lines",
                line={"color": COLORS[variant], "width": 2},
                hovertemplate=RATE.hover(),
            )
        )
    return fig


def layout(params: dict[str, Any]) -> html.Div:
    def number(name: str) -> dcc.Input:
        param = dashboard_params[name]
        return dcc.Input(
            id=name,
            type="number",
            className="de-input",
            value=params[name],
            min=param.min,
            max=param.max,
            # Every bound and default is a multiple of 0.1 away from `min`: all valid.
            step=0.1,
            debounce=True,
        )

    dashboard_params = {p.name: p for p in PARAMS}
    return html.Div(
        [
            html.Div(
                [
                    control(
                        "Experiment",
                        dcc.Dropdown(
                            id="experiment",
                            options=[{"label": e.name, "value": key} for key, e in EXPERIMENTS.items()],
                            value=params["experiment"],
                            clearable=False,
                        ),
                        "230px",
                    ),
                    control(
                        "Metric",
                        dcc.Dropdown(
                            id="metric",
                            options=[{"label": label, "value": value} for value, label in METRICS.items()],
                            value=params["metric"],
                            clearable=False,
                            searchable=False,
                        ),
                        "150px",
                    ),
                    html.Div(id="experiment-note", className="de-note"),
                    html.Div(id="message", className="de-error", role="alert"),
                ],
                className="de-controls",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Results"),
                            html.P(id="verdict", role="status", style={"margin": "0 0 8px"}),
                            html.Div(id="results"),
                            html.P(
                                id="test-note",
                                className="de-note",
                                style={"margin": "8px 0 0"},
                                title="Two-proportion z-test, pooled, two-sided",
                            ),
                        ],
                        className="de-panel",
                        id="results-panel",
                        # Wider than a phone: it scrolls, so the keyboard must reach it.
                        tabIndex="0",
                        role="region",
                        **{"aria-label": "Results"},
                        style={"gridColumn": "1", "gridRow": "1"},
                    ),
                    html.Div(
                        [
                            html.H2("Sample size calculator"),
                            html.Div(
                                [
                                    control("Baseline rate (%)", number("baseline"), "150px"),
                                    control("Effect (percentage points)", number("mde"), "200px"),
                                    control("Chance to detect it (%)", number("power"), "180px"),
                                    control("False-alarm risk (%)", number("alpha"), "170px"),
                                ],
                                style={"display": "flex", "flexWrap": "wrap", "gap": "10px 12px"},
                            ),
                            html.P(id="sample-size", role="status", style={"margin": "10px 0 0"}),
                        ],
                        className="de-panel",
                        id="calculator",
                        style={"gridColumn": "1", "gridRow": "2"},
                    ),
                    dcc.Graph(
                        id="cumulative",
                        className="de-chart",
                        responsive=True,
                        style={"height": "100%", "gridColumn": "2", "gridRow": "1 / span 2"},
                    ),
                ],
                className="de-charts",
                style={
                    "gridTemplateColumns": "minmax(0, 11fr) minmax(0, 9fr)",
                    "gridTemplateRows": "minmax(0, 1fr) auto",
                },
            ),
        ],
        className="de-root",
    )


def charts(params: dict[str, Any]) -> dict[str, go.Figure]:
    """The view's chart, for its PDF and PNG and a scheduled report's e-mail."""
    return {chart_title(params["metric"]): cumulative_figure(data(params), params["metric"])}


def key_figures(params: dict[str, Any]) -> dict[str, float]:
    """The view's key figures, which users can be alerted on."""
    comparison = compare(data(params))
    return {
        "p-value": round(comparison.p_value, 6),
        "conversion A (%)": round(comparison.a.rate * 100, 3),
        "conversion B (%)": round(comparison.b.rate * 100, 3),
        "lift (points)": round(comparison.lift * 100, 3),
    }


def register_callbacks(app: Any) -> None:
    @app.callback(
        Output("results", "children"),
        Output("test-note", "children"),
        Output("verdict", "children"),
        Output("cumulative", "figure"),
        Output("experiment-note", "children"),
        Output("message", "children"),
        Input("experiment", "value"),
        Input("metric", "value"),
        Input("baseline", "value"),
        Input("mde", "value"),
        Input("power", "value"),
        Input("alpha", "value"),
    )
    def update_results(experiment, metric, baseline, mde, power, alpha):
        try:
            params = dashboard.clean({"experiment": experiment, "metric": metric})
        except ParamError as error:
            # The results keep the last good answer; the note says which choice to fix.
            return no_update, no_update, no_update, no_update, no_update, error.text
        frame = data(params)
        comparison = compare(frame)
        try:
            plan_ = plan(
                calculator_params({"baseline": baseline, "mde": mde, "power": power, "alpha": alpha})
            )
        except ValueError:  # ParamError too: the calculator panel explains it
            plan_ = None
        first, last = frame["date"].min(), frame["date"].max()
        note = (
            f"{EXPERIMENTS[params['experiment']].description} · {comparison.days} days, "
            f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
        )
        test = (
            f"{_p(comparison.p_value)}: how likely chance alone gives a gap this large; "
            f"under {1 - LEVEL:.0%} counts as significant."
        )
        return (
            results_table(comparison),
            test,
            verdict(comparison, plan_),
            cumulative_figure(frame, params["metric"]),
            note,
            "",
        )

    @app.callback(
        Output("sample-size", "children"),
        Input("baseline", "value"),
        Input("mde", "value"),
        Input("power", "value"),
        Input("alpha", "value"),
        Input("experiment", "value"),
    )
    def update_sample_size(baseline, mde, power, alpha, experiment):
        values = {"baseline": baseline, "mde": mde, "power": power, "alpha": alpha}
        problems = calculator_problems(values)
        if problems:
            # Each field that cannot be used, by its label and what it takes.
            return html.Span(" ".join(f"{p}." for p in problems), className="de-error", role="alert")
        try:
            plan_ = plan(calculator_params(values))
            params = dashboard.clean({"experiment": experiment})
        except ParamError as error:
            return html.Span(f"{error.text}.", className="de-error", role="alert")
        except ValueError as error:
            return html.Span(str(error), className="de-error", role="alert")
        per_day = visitors_per_day(params["experiment"])
        days = plan_.days(per_day)
        return [
            html.B(f"{plan_.per_variant:,}"),
            " visitors per variant, ",
            html.B(f"{plan_.total:,}"),
            " in total: about ",
            html.B(f"{days} day{'s' if days != 1 else ''}"),
            f" at this experiment's {per_day:,.0f} visitors a day.",
        ]


PARAMS = (
    Choice(
        name="experiment",
        label="Experiment",
        choices=tuple(EXPERIMENTS),
        default="checkout-redesign",
        labels=tuple((key, e.name) for key, e in EXPERIMENTS.items()),
    ),
    Choice(
        name="metric",
        label="Metric",
        choices=tuple(METRICS),
        default="signups",
        labels=tuple(METRICS.items()),
    ),
    Number(name="baseline", label="Baseline rate (%)", min=0.1, max=99, default=5.0),
    Number(name="mde", label="Effect (percentage points)", min=0.1, max=50, default=1.0),
    Number(name="power", label="Chance to detect it (%)", min=50, max=99.9, default=80.0),
    Number(name="alpha", label="False-alarm risk (%)", min=0.1, max=20, default=5.0),
)

dashboard = Dashboard(
    slug="abtest",
    title="A/B Test",
    description="Three experiments compared on sign-ups or purchases: how often each version converts, "
    "how much better B does, whether the difference is real, and how long a test needs to run.",
    category="Product",
    features=(
        "Conversion rate of each version, with its likely range",
        "How much better B does, with a verdict in plain words",
        "How many visitors and days a test needs",
    ),
    tags=("a/b test", "experiments", "statistics"),
    traces=("scatter",),
    params=PARAMS,
    data=data,
    charts=charts,
    key_figures=key_figures,
    columns=columns,
    layout=layout,
    register_callbacks=register_callbacks,
)
