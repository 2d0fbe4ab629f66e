"""Statistics for comparing two conversion rates (A/B tests).

Pure functions on counts, without Django, pandas or scipy: the normal
distribution comes from `statistics.NormalDist`. Every function takes keyword
arguments only and refuses impossible inputs with `ValueError`.

Rates are fractions (0.05 for 5%), never percentages.
"""

from __future__ import annotations

import math
from numbers import Integral
from statistics import NormalDist

_NORMAL = NormalDist()


def _count(name: str, value: int) -> int:
    # bool is an int to Python, never a count; numpy integers are welcome.
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _counts(successes: int, trials: int, *, suffix: str = "") -> tuple[int, int]:
    successes = _count(f"successes{suffix}", successes)
    trials = _count(f"trials{suffix}", trials)
    if trials <= 0:
        raise ValueError(f"trials{suffix} must be at least 1, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(
            f"successes{suffix} must be between 0 and trials{suffix} ({trials}), got {successes}"
        )
    return successes, trials


def _fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value:g}")
    return float(value)


def _z_two_sided(level: float) -> float:
    """The normal quantile z with P(|Z| ≤ z) = level."""
    return _NORMAL.inv_cdf(1 - (1 - level) / 2)


def proportion_ci(*, successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval of a proportion by the normal approximation (Wald).

    p̂ ± z·√(p̂(1 − p̂)/n) with z the two-sided normal quantile of `level`,
    clipped to [0, 1], as statsmodels' `proportion_confint(method="normal")`.
    """
    successes, trials = _counts(successes, trials)
    level = _fraction("level", level)
    p = successes / trials
    half = _z_two_sided(level) * math.sqrt(p * (1 - p) / trials)
    return max(0.0, p - half), min(1.0, p + half)


def two_proportion_ztest(
    *, successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> tuple[float, float]:
    """Two-sided z-test of p_a = p_b with the pooled standard error.

    z = (p̂_b − p̂_a) / √(p̄(1 − p̄)(1/n_a + 1/n_b)), p̄ = (x_a + x_b)/(n_a + n_b);
    p-value = 2·Φ(−|z|). z is positive when B converts better than A (as
    statsmodels' `proportions_ztest([x_b, x_a], [n_b, n_a])`). When both
    groups have no successes, or only successes, there is no difference to
    test: z = 0 and p = 1.
    """
    successes_a, trials_a = _counts(successes_a, trials_a, suffix="_a")
    successes_b, trials_b = _counts(successes_b, trials_b, suffix="_b")
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if se == 0:
        return 0.0, 1.0
    z = (successes_b / trials_b - successes_a / trials_a) / se
    return z, 2 * _NORMAL.cdf(-abs(z))


def difference_ci(
    *, successes_a: int, trials_a: int, successes_b: int, trials_b: int, level: float = 0.95
) -> tuple[float, float]:
    """Confidence interval of p_b − p_a by the unpooled Wald method.

    (p̂_b − p̂_a) ± z·√(p̂_a(1 − p̂_a)/n_a + p̂_b(1 − p̂_b)/n_b), as statsmodels'
    `confint_proportions_2indep(x_b, n_b, x_a, n_a, method="wald")`.
    """
    successes_a, trials_a = _counts(successes_a, trials_a, suffix="_a")
    successes_b, trials_b = _counts(successes_b, trials_b, suffix="_b")
    level = _fraction("level", level)
    p_a, p_b = successes_a / trials_a, successes_b / trials_b
    half = _z_two_sided(level) * math.sqrt(p_a * (1 - p_a) / trials_a + p_b * (1 - p_b) / trials_b)
    diff = p_b - p_a
    return diff - half, diff + half


def sample_size_per_variant(*, baseline: float, mde: float, power: float = 0.8, alpha: float = 0.05) -> int:
    """Visitors needed in each of two equal groups to detect `baseline` → `baseline + mde`.

    Normal approximation on the arcsine scale (Cohen's h):
    h = 2·asin(√p₂) − 2·asin(√p₁), p₁ = baseline, p₂ = baseline + mde, and
    n = 2·((z₁₋α/₂ + z_power) / h)², rounded up, for a two-sided test at
    level `alpha`. 2·asin(√p̂) has variance 1/n, so the difference of two
    groups of n has variance 2/n: hence the factor 2. The opposite tail's
    negligible power is ignored; statsmodels'
    `NormalIndPower().solve_power(effect_size=h, ratio=1, alternative="two-sided")`
    includes it, and agrees within one visitor.

    `mde` is the absolute lift (0.01 for one percentage point) and must be
    positive, with baseline + mde below 1.
    """
    baseline = _fraction("baseline", baseline)
    power = _fraction("power", power)
    alpha = _fraction("alpha", alpha)
    if isinstance(mde, bool) or not isinstance(mde, (int, float)) or math.isnan(mde):
        raise ValueError(f"mde must be a number, got {mde!r}")
    if mde <= 0:
        raise ValueError(f"mde must be positive, got {mde:g}")
    target = baseline + mde
    if target >= 1:
        raise ValueError(f"baseline + mde must be below 1, got {target:g}")
    z_total = _z_two_sided(1 - alpha) + _NORMAL.inv_cdf(power)
    if z_total <= 0:
        raise ValueError("power must be larger than alpha / 2")
    h = 2 * math.asin(math.sqrt(target)) - 2 * math.asin(math.sqrt(baseline))
    n = 2 * (z_total / h) ** 2
    # Round away the last bits of float noise before rounding up (1000.0000000001 is 1000).
    return max(1, math.ceil(round(n, 6)))
