"""Tests of analysis.stats: bootstrap CIs of means and paired effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from relsim.analysis import stats
from relsim.analysis.stats import CI, Effect, mean_ci, paired_effect


def _symmetric(n: int, sd: float, seed: int) -> np.ndarray:
    """Noise whose sample mean is exactly 0 and whose distribution is symmetric."""
    z = np.random.default_rng(seed).normal(0.0, sd, n // 2)
    return np.concatenate([z, -z])


# --------------------------------------------------------------------------- mean_ci

def test_mean_ci_covers_true_mean_with_plausible_width() -> None:
    x = np.random.default_rng(1).normal(10.0, 1.0, 50)
    ci = mean_ci(x)
    assert isinstance(ci, CI)
    assert ci.n == 50
    assert ci.mean == pytest.approx(x.mean())
    assert ci.low < 10.0 < ci.high
    assert ci.low < ci.mean < ci.high
    # normal theory: 1.96 / sqrt(50) = 0.277
    assert 0.2 < ci.half_width < 0.36
    assert ci.half_width == pytest.approx((ci.high - ci.low) / 2)


def test_mean_ci_wider_at_higher_confidence() -> None:
    x = np.random.default_rng(2).normal(0.0, 1.0, 30)
    assert mean_ci(x, confidence=0.99).half_width > mean_ci(x, confidence=0.80).half_width


@pytest.mark.parametrize("x, mean", [([5.0], 5.0), ([3.0, 3.0, 3.0], 3.0),
                                     ([np.nan, 7.0, np.nan], 7.0)])
def test_mean_ci_degenerate_collapses_to_mean(x: list[float], mean: float) -> None:
    ci = mean_ci(x)
    assert (ci.mean, ci.low, ci.high, ci.half_width) == (mean, mean, mean, 0.0)


@pytest.mark.parametrize("x", [[], [np.nan, np.nan]])
def test_mean_ci_empty_is_all_nan(x: list[float]) -> None:
    ci = mean_ci(x)
    assert ci.n == 0
    assert all(math.isnan(v) for v in (ci.mean, ci.low, ci.high, ci.half_width))


def test_mean_ci_drops_nans() -> None:
    ci = mean_ci([1.0, np.nan, 2.0, 3.0, np.nan])
    assert ci.n == 3
    assert ci.mean == pytest.approx(2.0)
    assert ci.low <= 2.0 <= ci.high


def test_mean_ci_is_deterministic() -> None:
    x = np.random.default_rng(3).exponential(2.0, 12)
    assert mean_ci(x) == mean_ci(x.copy())
    assert mean_ci(list(x)) == mean_ci(pd.Series(x))


def test_mean_ci_falls_back_to_percentile_when_bca_degenerate(monkeypatch) -> None:
    real = stats._bootstrap
    calls: list[str] = []

    def fake(x, confidence, n_resamples, seed, method):
        calls.append(method)
        if method == "BCa":
            return math.nan, math.nan
        return real(x, confidence, n_resamples, seed, method)

    monkeypatch.setattr(stats, "_bootstrap", fake)
    ci = mean_ci([1.0, 2.0, 4.0, 8.0])
    assert calls == ["BCa", "percentile"]
    assert math.isfinite(ci.low) and math.isfinite(ci.high)
    assert ci.low <= ci.mean <= ci.high


# --------------------------------------------------------------------------- paired_effect

def test_paired_effect_recovers_large_effect() -> None:
    rng = np.random.default_rng(4)
    control = rng.normal(100.0, 20.0, 40)  # large between-seed spread ...
    treatment = control + 2.0 + _symmetric(40, 1.0, 5)  # ... but small paired noise
    eff = paired_effect(treatment, control)
    assert isinstance(eff, Effect)
    assert eff.n == 40
    assert eff.diff == pytest.approx(2.0)
    assert eff.low < 2.0 < eff.high
    assert eff.low > 0, "a large effect must have a CI excluding 0"
    assert eff.excludes_zero()
    assert eff.p_wilcoxon < 1e-6
    assert eff.relative == pytest.approx(2.0 / abs(control.mean()))
    assert eff.relative_low == pytest.approx(eff.low / abs(control.mean()))


def test_paired_effect_no_effect_includes_zero() -> None:
    control = np.random.default_rng(6).normal(50.0, 10.0, 30)
    treatment = control + _symmetric(30, 1.0, 7)
    eff = paired_effect(treatment, control)
    assert eff.diff == pytest.approx(0.0, abs=1e-12)
    assert eff.low < 0 < eff.high
    assert not eff.excludes_zero()
    assert eff.p_wilcoxon > 0.5


def test_paired_effect_negative_effect() -> None:
    control = np.linspace(10.0, 20.0, 20)
    treatment = control - 3.0 + _symmetric(20, 0.5, 8)
    eff = paired_effect(treatment, control)
    assert eff.high < 0
    assert eff.relative < 0


def test_paired_effect_is_deterministic() -> None:
    rng = np.random.default_rng(9)
    c = rng.normal(0, 1, 8)
    t = c + rng.normal(0.5, 1, 8)
    assert paired_effect(t, c) == paired_effect(t.copy(), c.copy())


def test_paired_effect_aligns_series_on_index_and_drops_nan_pairs() -> None:
    treatment = pd.Series([11.0, 12.0, 13.0, np.nan, 15.0], index=[0, 1, 2, 3, 4])
    control = pd.Series([2.0, 3.0, 4.0, 5.0], index=[4, 3, 2, 1])
    eff = paired_effect(treatment, control)
    # common, non-NaN seeds: 1 (12-5), 2 (13-4), 4 (15-2)
    assert eff.n == 3
    assert eff.diff == pytest.approx((7 + 9 + 13) / 3)


def test_paired_effect_p_value_undefined_cases() -> None:
    one = paired_effect([2.0], [1.0])
    assert one.n == 1 and math.isnan(one.p_wilcoxon)
    assert (one.low, one.high) == (1.0, 1.0)
    same = paired_effect([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert math.isnan(same.p_wilcoxon)
    assert (same.diff, same.low, same.high) == (0.0, 0.0, 0.0)


def test_paired_effect_relative_nan_when_control_mean_zero() -> None:
    eff = paired_effect([1.0, 2.0, 3.0], [-1.0, 0.0, 1.0])
    assert eff.diff == pytest.approx(2.0)
    assert math.isnan(eff.relative)


def test_paired_effect_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        paired_effect([1.0, 2.0], [1.0])


# --------------------------------------------------------------------------- when a difference is clear

def test_clear_needs_enough_seeds_for_the_test_to_reject() -> None:
    from scipy import stats as sps

    from relsim.analysis.stats import ALPHA, MIN_CLEAR_PAIRS, clear, smallest_p, too_few_seeds

    # smallest_p is the exact Wilcoxon p of all-positive differences, as scipy computes it
    for n in (3, 5, 6, 8):
        assert sps.wilcoxon(np.arange(1.0, n + 1)).pvalue == pytest.approx(smallest_p(n))
    assert smallest_p(3) == 0.25
    assert smallest_p(MIN_CLEAR_PAIRS) < ALPHA <= smallest_p(MIN_CLEAR_PAIRS - 1)
    assert not clear(1.0, 2.0, 3)  # an interval far from 0 over 3 seeds is still not clear
    assert clear(1.0, 2.0, MIN_CLEAR_PAIRS) and clear(-2.0, -1.0, MIN_CLEAR_PAIRS)
    assert not clear(-1.0, 2.0, 100) and not clear(float("nan"), 2.0, 100)
    assert "too few" in too_few_seeds(3) and "0.25" in too_few_seeds(3)
    assert too_few_seeds(1).startswith("1 seed: no interval")
    assert too_few_seeds(MIN_CLEAR_PAIRS) == ""
    assert not paired_effect([2.0, 3.0, 4.0], [0.0, 0.0, 0.0]).clear
    assert paired_effect(np.arange(2.0, 12.0), np.zeros(10)).clear


def test_the_uncertainty_split_says_so_when_a_difference_does_not_vary(monkeypatch) -> None:
    from relsim.analysis import wording
    from relsim.analysis.load import DRAW_STRIDE, RunData

    seeds = [d * DRAW_STRIDE + s for d in range(3) for s in range(2)]
    per = pd.DataFrame({"arm": ["a"] * 6 + ["b"] * 6, "seed": seeds * 2, "npv": [1.0] * 6 + [3.0] * 6})
    monkeypatch.setattr(wording, "per_seed_metrics", lambda run: per)
    run = RunData(runs=pd.DataFrame({"arm": ["a", "b"]}), retention=pd.DataFrame(), evidence=pd.DataFrame(),
                  manifest={"arms": ["a", "b"]})
    text = wording.uncertainty_split(run, draws=3, seeds=2, metrics=("npv",))
    assert "b - a, npv: mean 2" in text and "does not vary at all" in text and "nan" not in text
    per.loc[per["arm"] == "b", "npv"] = [3.0, 5.0, 3.0, 5.0, 3.0, 5.0]  # seed noise only
    assert "parameter uncertainty is 0% of the variance" in wording.uncertainty_split(run, 3, 2, ("npv",))
