import datetime as dt
import json

import pandas as pd
import pytest

from dashboards.catalogue import abtest
from dashkit.stats import difference_ci, proportion_ci, sample_size_per_variant, two_proportion_ztest
from tests.dash_requests import portal_callback, portal_callback_response, server_callbacks

RESULTS = (
    "..results.children...test-note.children...verdict.children...cumulative.figure"
    "...experiment-note.children...message.children.."
)
CALCULATOR = "sample-size.children"


def text(node) -> str:
    """The visible text of a component tree, as Dash objects or as JSON from a callback."""
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return "".join(text(n) for n in node)
    if isinstance(node, dict):
        return text(node.get("props", {}).get("children"))
    return text(getattr(node, "children", None))


def frame(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """A tiny daily frame: (date, variant, visitors, conversions)."""
    out = pd.DataFrame(rows, columns=["date", "variant", "visitors", "conversions"])
    out["date"] = pd.to_datetime(out["date"])
    return out


# The generated data


def test_the_generated_data_has_three_experiments_of_two_variants_over_28_days():
    daily = abtest.daily()
    assert list(daily.columns) == ["date", "experiment", "variant", "visitors", "signups", "purchases"]
    assert set(daily["experiment"]) == set(abtest.EXPERIMENTS)
    for name, experiment in abtest.EXPERIMENTS.items():
        rows = daily[daily["experiment"] == name]
        assert sorted(rows["variant"].unique()) == ["A", "B"]
        assert len(rows) == 2 * 28
        assert rows["date"].min().date() == experiment.start
        assert rows["date"].max().date() == experiment.start + dt.timedelta(days=27)
    assert (daily["signups"] <= daily["visitors"]).all()
    assert (daily["purchases"] <= daily["signups"]).all()
    assert (daily["purchases"] > 0).all()


def test_the_generated_data_is_the_same_on_every_run():
    pd.testing.assert_frame_equal(abtest.daily.__wrapped__(), abtest.daily.__wrapped__())
    pd.testing.assert_frame_equal(abtest.daily(), abtest.daily.__wrapped__())


def test_weekends_bring_less_traffic_than_weekdays():
    daily = abtest.daily()
    weekend = daily["date"].dt.day_of_week >= 5
    assert daily.loc[weekend, "visitors"].mean() < 0.8 * daily.loc[~weekend, "visitors"].mean()


def test_the_experiments_differ_as_described():
    def p_value(experiment: str, metric: str) -> float:
        return abtest.compare(abtest.data({"experiment": experiment, "metric": metric})).p_value

    assert p_value("checkout-redesign", "signups") < 0.001
    assert p_value("checkout-redesign", "purchases") < 0.001
    assert p_value("pricing-page-copy", "signups") > 0.2
    assert p_value("pricing-page-copy", "purchases") > 0.2
    assert 0.05 < p_value("onboarding-email", "signups") < 0.2  # borderline
    # Sign-ups are more frequent than purchases, and the baselines differ by experiment.
    rates = {
        e: abtest.compare(abtest.data({"experiment": e, "metric": "signups"})).a.rate
        for e in abtest.EXPERIMENTS
    }
    assert len({round(r, 3) for r in rates.values()}) == 3


def test_the_data_function_gives_one_experiment_and_one_metric_with_running_totals():
    rows = abtest.data({"experiment": "pricing-page-copy", "metric": "purchases"})
    assert list(rows.columns) == [
        "date",
        "variant",
        "visitors",
        "conversions",
        "cumulative_visitors",
        "cumulative_conversions",
        "cumulative_rate",
    ]
    assert len(rows) == 56
    daily = abtest.daily()
    source = daily[daily["experiment"] == "pricing-page-copy"]
    for variant in ("A", "B"):
        mine = rows[rows["variant"] == variant]
        theirs = source[source["variant"] == variant]
        assert mine["date"].min().date() == abtest.EXPERIMENTS["pricing-page-copy"].start
        assert mine["date"].is_monotonic_increasing
        assert mine["conversions"].tolist() == theirs["purchases"].tolist()
        assert mine["visitors"].tolist() == theirs["visitors"].tolist()
        assert mine["cumulative_visitors"].iloc[-1] == theirs["visitors"].sum()
        assert mine["cumulative_conversions"].iloc[-1] == theirs["purchases"].sum()
    signups = abtest.data({"experiment": "pricing-page-copy", "metric": "signups"})
    assert signups["conversions"].sum() == source["signups"].sum()


# The numbers on screen, on a tiny frame


def test_the_comparison_of_a_tiny_frame_gives_the_obvious_numbers():
    # A: 20 of 200 (10%); B: 30 of 200 (15%).
    tiny = frame(
        [
            ("2025-01-01", "A", 100, 10),
            ("2025-01-02", "A", 100, 10),
            ("2025-01-01", "B", 120, 18),
            ("2025-01-02", "B", 80, 12),
        ]
    )
    c = abtest.compare(tiny)
    assert (c.a.visitors, c.a.conversions, c.b.visitors, c.b.conversions) == (200, 20, 200, 30)
    assert c.a.rate == pytest.approx(0.10)
    assert c.b.rate == pytest.approx(0.15)
    assert c.lift == pytest.approx(0.05)
    assert c.relative_lift == pytest.approx(0.5)
    # 0.10 ± 1.96·√(0.1·0.9/200)
    assert c.a.ci == pytest.approx((0.10 - 1.959964 * 0.0212132, 0.10 + 1.959964 * 0.0212132), abs=1e-6)
    # 0.05 ± 1.96·√(0.1·0.9/200 + 0.15·0.85/200)
    assert c.lift_ci == pytest.approx((0.05 - 1.959964 * 0.0329773, 0.05 + 1.959964 * 0.0329773), abs=1e-6)
    # pooled 0.125: z = 0.05 / √(0.125·0.875·2/200)
    assert c.z == pytest.approx(0.05 / 0.0330719, rel=1e-5)
    assert c.p_value == pytest.approx(0.1306, abs=1e-4)
    assert not c.significant
    assert c.days == 2
    assert c.visitors_per_day == 200


def test_the_results_table_shows_rates_intervals_and_the_lift():
    tiny = frame([("2025-01-01", "A", 200, 20), ("2025-01-01", "B", 200, 30)])
    table = abtest.results_table(abtest.compare(tiny))
    shown = text(table)
    assert "10.00%" in shown and "15.00%" in shown
    assert "B − A, percentage points" in shown
    assert "+5.00 (+50.0%)" in shown
    low, high = difference_ci(successes_a=20, trials_a=200, successes_b=30, trials_b=200)
    assert f"{low * 100:+.2f} to {high * 100:+.2f}".replace("-", "−") in shown
    a_low, a_high = proportion_ci(successes=20, trials=200)
    assert f"{a_low * 100:.2f}% – {a_high * 100:.2f}%" in shown


def test_a_significant_win_and_a_significant_loss_are_named():
    win = abtest.compare(frame([("2025-01-01", "A", 10_000, 1_000), ("2025-01-01", "B", 10_000, 1_120)]))
    words = text(abtest.verdict(win, None))
    z, p = two_proportion_ztest(successes_a=1_000, trials_a=10_000, successes_b=1_120, trials_b=10_000)
    assert words == (
        f"B converts better than A: +1.2 percentage points (+12.0%), p = {p:.3f}, significant at 95%."
    )
    loss = abtest.compare(frame([("2025-01-01", "A", 10_000, 1_120), ("2025-01-01", "B", 10_000, 1_000)]))
    assert text(abtest.verdict(loss, None)).startswith(
        "B converts worse than A: −1.2 percentage points (−10.7%)"
    )


def test_no_significant_difference_says_how_many_visitors_the_calculator_needs():
    plan = abtest.plan({"baseline": 10.0, "mde": 1.0, "power": 80.0, "alpha": 5.0})
    needed = sample_size_per_variant(baseline=0.10, mde=0.01)
    assert plan.per_variant == needed
    # 2,000 per variant over 10 days (400 a day in all): far from enough.
    small = abtest.compare(
        frame([(f"2025-01-{d:02}", v, 200, 20 + (v == "B")) for d in range(1, 11) for v in ("A", "B")])
    )
    words = text(abtest.verdict(small, plan))
    more = -(-2 * (needed - 2_000) // 400)
    assert words.startswith("No significant difference yet: p = 0.")
    assert f"takes {needed:,} visitors per variant; this test has 2,000, about {more} more days" in words
    assert words.endswith(
        "Keep the test running or accept that the effect is smaller than 1 percentage point."
    )
    # With more than enough visitors, the effect is smaller than the one planned for.
    large = abtest.compare(frame([("2025-01-01", "A", 50_000, 5_000), ("2025-01-01", "B", 50_000, 5_010)]))
    words = text(abtest.verdict(large, plan))
    assert words.startswith("No significant difference: p = 0.")
    assert "this test has 50,000: accept that the effect is smaller than 1 percentage point" in words
    # Without calculator values, the verdict asks for them.
    assert "Enter valid calculator values" in text(abtest.verdict(large, None))


def test_the_calculator_plan_gives_visitors_in_total_and_days():
    plan = abtest.plan({"baseline": 5.0, "mde": 1.0, "power": 80.0, "alpha": 5.0})
    assert plan.per_variant == 8143
    assert plan.total == 16286
    assert plan.days(1_000) == 17
    with pytest.raises(ValueError, match="below 100%"):
        abtest.plan({"baseline": 98.0, "mde": 5.0, "power": 80.0, "alpha": 5.0})


def test_the_chart_draws_the_running_rate_of_each_variant():
    rows = abtest.data({"experiment": "checkout-redesign", "metric": "signups"})
    fig = abtest.cumulative_figure(rows, "signups")
    lines = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in lines] == ["A", "B"]
    assert list(lines[1].y) == rows.loc[rows["variant"] == "B", "cumulative_rate"].tolist()
    assert fig.layout.title.text == "Cumulative sign-up rate by variant"


# Through the portal


def test_the_dashboard_has_a_results_and_a_calculator_callback(client_for):
    client = client_for("abtest")
    response = client.get("/django_plotly_dash/app/abtest/_dash-dependencies")
    outputs = sorted(d["output"] for d in server_callbacks(json.loads(response.content)))
    assert outputs == sorted([RESULTS, CALCULATOR])


def test_the_results_callback_with_defaults_shows_the_checkout_win(client_for):
    answer = portal_callback(client_for("abtest"), "abtest", output=RESULTS)
    assert answer["message"]["children"] == ""
    assert text(answer["verdict"]["children"]).startswith("B converts better than A: +0.7 percentage points")
    table = text(answer["results"]["children"])
    assert "37,699" in table and "37,710" in table
    names = [t["name"] for t in answer["cumulative"]["figure"]["data"] if t.get("showlegend") is not False]
    assert names == ["A", "B"]
    assert "2025-03-03 to 2025-03-30" in answer["experiment-note"]["children"]
    assert answer["test-note"]["children"] == (
        "p < 0.001: how likely chance alone gives a gap this large; under 5% counts as significant."
    )


def test_the_results_callback_for_another_experiment_and_metric(client_for):
    answer = portal_callback(
        client_for("abtest"),
        "abtest",
        output=RESULTS,
        **{"experiment.value": "pricing-page-copy", "metric.value": "purchases", "mde.value": 1.5},
    )
    c = abtest.compare(abtest.data({"experiment": "pricing-page-copy", "metric": "purchases"}))
    words = text(answer["verdict"]["children"])
    assert words.startswith(f"No significant difference: p = {c.p_value:.2f}.")
    assert "accept that the effect is smaller than 1.5 percentage points" in words
    assert f"{c.b.conversions:,}" in text(answer["results"]["children"])
    assert answer["cumulative"]["figure"]["layout"]["title"]["text"] == "Cumulative purchase rate by variant"


def test_the_calculator_callback_with_defaults(client_for):
    answer = portal_callback(client_for("abtest"), "abtest", output=CALCULATOR)
    per_day = abtest.visitors_per_day("checkout-redesign")
    assert text(answer["sample-size"]["children"]) == (
        f"8,143 visitors per variant, 16,286 in total: about 7 days at this experiment's {per_day:,.0f} visitors a day."
    )


def test_the_calculator_callback_with_other_values(client_for):
    answer = portal_callback(
        client_for("abtest"),
        "abtest",
        output=CALCULATOR,
        **{
            "baseline.value": 12,
            "mde.value": 0.5,
            "power.value": 90,
            "alpha.value": 1,
            "experiment.value": "onboarding-email",
        },
    )
    n = sample_size_per_variant(baseline=0.12, mde=0.005, power=0.9, alpha=0.01)
    days = -(-2 * n // abtest.visitors_per_day("onboarding-email"))
    shown = text(answer["sample-size"]["children"])
    assert shown.startswith(f"{n:,} visitors per variant, {2 * n:,} in total: about {days:.0f} days")


def test_an_empty_calculator_input_says_which_field_and_what_it_takes(client_for):
    client = client_for("abtest")
    answer = portal_callback(client, "abtest", output=CALCULATOR, **{"power.value": None})
    assert (
        text(answer["sample-size"]["children"]) == "Chance to detect it (%): enter a number from 50 to 99.9."
    )
    results = portal_callback(client, "abtest", output=RESULTS, **{"power.value": None})
    assert results["message"]["children"] == ""
    assert "B converts better" in text(results["verdict"]["children"])


def test_out_of_range_calculator_values_say_what_is_wrong_with_which_field(client_for):
    # −3 and 150 typed into number fields with bounds: the browser sends nothing for
    # either, as for an empty field; the answer names both fields and their ranges.
    client = client_for("abtest")
    answer = portal_callback(client, "abtest", output=CALCULATOR, **{"mde.value": None, "power.value": None})
    assert text(answer["sample-size"]["children"]) == (
        "Effect (percentage points): enter a number from 0.1 to 50. "
        "Chance to detect it (%): enter a number from 50 to 99.9."
    )


def test_an_impossible_calculator_combination_is_explained(client_for):
    answer = portal_callback(
        client_for("abtest"), "abtest", output=CALCULATOR, **{"baseline.value": 98, "mde.value": 5}
    )
    shown = answer["sample-size"]["children"]
    assert shown["props"]["className"] == "de-error"
    assert text(shown) == "Baseline + effect must stay below 100%: 98% + 5 percentage points = 103%."


@pytest.mark.parametrize(
    ("output", "values", "name"),
    [
        (RESULTS, {"experiment.value": "homepage-hero"}, b"experiment"),
        (RESULTS, {"metric.value": "revenue"}, b"metric"),
        (CALCULATOR, {"baseline.value": 0}, b"baseline"),
        (CALCULATOR, {"mde.value": 60}, b"mde"),
        (CALCULATOR, {"power.value": 100}, b"power"),
        (CALCULATOR, {"alpha.value": "lots"}, b"alpha"),
    ],
)
def test_a_value_outside_the_spec_gets_400_naming_the_parameter(client_for, output, values, name):
    response = portal_callback_response(client_for("abtest"), "abtest", output=output, **values)
    assert response.status_code == 400
    assert name in response.content


def test_a_user_without_a_grant_gets_403(client, viewer):
    client.force_login(viewer)
    assert client.get("/dashboards/abtest/").status_code == 403
