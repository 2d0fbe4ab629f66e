"""dashkit.stats against statsmodels and scipy, a published example, and its refusals."""

import math

import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

from dashkit.stats import difference_ci, proportion_ci, sample_size_per_variant, two_proportion_ztest

# (successes_a, trials_a, successes_b, trials_b)
PAIRS = [
    (5, 83, 12, 99),
    (12, 99, 5, 83),
    (480, 10_000, 540, 10_000),
    (1_234, 25_000, 1_180, 24_500),
    (3, 40, 9, 35),
    (0, 50, 4, 60),
    (700, 1_000, 655, 900),
]


@pytest.mark.parametrize(
    ("successes", "trials", "level"),
    [
        (5, 83, 0.95),
        (50, 1_000, 0.95),
        (123, 4_567, 0.90),
        (990, 1_000, 0.99),
        (1, 7, 0.80),
        (19, 20, 0.95),
        (0, 20, 0.95),
    ],
)
def test_the_proportion_interval_is_statsmodels_normal_interval(successes, trials, level):
    low, high = proportion_ci(successes=successes, trials=trials, level=level)
    expected = proportion_confint(successes, trials, alpha=1 - level, method="normal")
    assert (low, high) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("sa", "na", "sb", "nb"), PAIRS)
def test_the_z_test_is_statsmodels_pooled_test_with_b_first(sa, na, sb, nb):
    z, p = two_proportion_ztest(successes_a=sa, trials_a=na, successes_b=sb, trials_b=nb)
    expected_z, expected_p = proportions_ztest([sb, sa], [nb, na])
    assert z == pytest.approx(expected_z, rel=1e-9)
    assert p == pytest.approx(expected_p, rel=1e-9)
    # The same p-value from scipy's normal distribution.
    assert p == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-9)


def test_the_proportion_interval_stays_between_0_and_1():
    assert proportion_ci(successes=1, trials=7, level=0.8)[0] == 0.0
    assert proportion_ci(successes=19, trials=20)[1] == 1.0


def test_z_is_positive_when_b_converts_better():
    z, _ = two_proportion_ztest(successes_a=100, trials_a=1_000, successes_b=130, trials_b=1_000)
    assert z > 0
    z, _ = two_proportion_ztest(successes_a=130, trials_a=1_000, successes_b=100, trials_b=1_000)
    assert z < 0


def test_the_z_test_without_any_variation_finds_no_difference():
    assert two_proportion_ztest(successes_a=0, trials_a=100, successes_b=0, trials_b=80) == (0.0, 1.0)
    assert two_proportion_ztest(successes_a=100, trials_a=100, successes_b=80, trials_b=80) == (0.0, 1.0)


def test_a_published_two_proportion_z_test_is_reproduced():
    # Worked example at https://www.usablestats.com/askstats/question/866/ :
    # 118 of 3303 against 80 of 3303, pooled SE .004196, z = 2.74195, two-sided p = .00611.
    z, p = two_proportion_ztest(successes_a=80, trials_a=3303, successes_b=118, trials_b=3303)
    assert round(z, 5) == 2.74195
    assert round(p, 5) == 0.00611


@pytest.mark.parametrize(("sa", "na", "sb", "nb"), PAIRS)
@pytest.mark.parametrize("level", [0.95, 0.90])
def test_the_difference_interval_is_statsmodels_wald_interval_of_b_minus_a(sa, na, sb, nb, level):
    low, high = difference_ci(successes_a=sa, trials_a=na, successes_b=sb, trials_b=nb, level=level)
    expected = confint_proportions_2indep(sb, nb, sa, na, method="wald", compare="diff", alpha=1 - level)
    assert (low, high) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert low < sb / nb - sa / na < high


@pytest.mark.parametrize(
    ("baseline", "mde", "power", "alpha"),
    [
        (0.05, 0.01, 0.8, 0.05),
        (0.05, 0.005, 0.8, 0.05),
        (0.10, 0.02, 0.9, 0.05),
        (0.02, 0.003, 0.8, 0.01),
        (0.30, 0.05, 0.95, 0.10),
        (0.50, 0.10, 0.8, 0.05),
        (0.90, 0.05, 0.7, 0.20),
        (0.001, 0.001, 0.999, 0.001),
    ],
)
def test_the_sample_size_agrees_with_statsmodels_normal_power(baseline, mde, power, alpha):
    n = sample_size_per_variant(baseline=baseline, mde=mde, power=power, alpha=alpha)
    effect = proportion_effectsize(baseline + mde, baseline)
    expected = NormalIndPower().solve_power(
        effect_size=effect, alpha=alpha, power=power, ratio=1, alternative="two-sided"
    )
    # statsmodels also counts the (negligible) power of the opposite tail.
    assert abs(n - math.ceil(expected)) <= 1
    assert isinstance(n, int)


def test_the_sample_size_is_cohens_h_formula_rounded_up():
    h = 2 * math.asin(math.sqrt(0.06)) - 2 * math.asin(math.sqrt(0.05))
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert sample_size_per_variant(baseline=0.05, mde=0.01) == math.ceil(2 * (z / h) ** 2) == 8143


def test_a_smaller_effect_or_more_power_needs_more_visitors():
    n = sample_size_per_variant(baseline=0.05, mde=0.01)
    assert sample_size_per_variant(baseline=0.05, mde=0.005) > n
    assert sample_size_per_variant(baseline=0.05, mde=0.01, power=0.9) > n
    assert sample_size_per_variant(baseline=0.05, mde=0.01, alpha=0.01) > n


@pytest.mark.parametrize(
    ("function", "kwargs", "message"),
    [
        (proportion_ci, {"successes": 0, "trials": 0}, "trials"),
        (proportion_ci, {"successes": 5, "trials": 4}, "successes"),
        (proportion_ci, {"successes": -1, "trials": 4}, "successes"),
        (proportion_ci, {"successes": 1.5, "trials": 4}, "whole number"),
        (proportion_ci, {"successes": 1, "trials": 4, "level": 1.0}, "level"),
        (proportion_ci, {"successes": 1, "trials": 4, "level": 0}, "level"),
        (
            two_proportion_ztest,
            {"successes_a": 1, "trials_a": 0, "successes_b": 1, "trials_b": 4},
            "trials_a",
        ),
        (
            two_proportion_ztest,
            {"successes_a": 1, "trials_a": 4, "successes_b": 9, "trials_b": 4},
            "successes_b",
        ),
        (difference_ci, {"successes_a": 1, "trials_a": 4, "successes_b": 0, "trials_b": 0}, "trials_b"),
        (
            difference_ci,
            {"successes_a": 1, "trials_a": 4, "successes_b": 1, "trials_b": 4, "level": 95},
            "level",
        ),
        (sample_size_per_variant, {"baseline": 0, "mde": 0.01}, "baseline"),
        (sample_size_per_variant, {"baseline": 1.2, "mde": 0.01}, "baseline"),
        (sample_size_per_variant, {"baseline": 0.95, "mde": 0.05}, "below 1"),
        (sample_size_per_variant, {"baseline": 0.95, "mde": 0.2}, "below 1"),
        (sample_size_per_variant, {"baseline": 0.05, "mde": 0}, "mde"),
        (sample_size_per_variant, {"baseline": 0.05, "mde": -0.01}, "mde"),
        (sample_size_per_variant, {"baseline": 0.05, "mde": 0.01, "power": 1.0}, "power"),
        (sample_size_per_variant, {"baseline": 0.05, "mde": 0.01, "power": 80}, "power"),
        (sample_size_per_variant, {"baseline": 0.05, "mde": 0.01, "alpha": 0}, "alpha"),
        (sample_size_per_variant, {"baseline": 0.05, "mde": 0.01, "alpha": 1}, "alpha"),
    ],
)
def test_impossible_inputs_are_refused(function, kwargs, message):
    with pytest.raises(ValueError, match=message):
        function(**kwargs)


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        proportion_ci(5, 83)  # type: ignore[misc]
    with pytest.raises(TypeError):
        sample_size_per_variant(0.05, 0.01)  # type: ignore[misc]
