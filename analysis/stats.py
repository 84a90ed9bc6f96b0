"""Confidence intervals over seeds and paired effects between arms.

Both functions are deterministic: the bootstrap uses a fixed seed, so the same
inputs always give the same interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ALPHA", "CI", "Effect", "MIN_CLEAR_PAIRS", "SUPPORT", "clear", "mean_ci", "paired_effect", "smallest_p",
           "supported", "too_few_seeds"]

_NAN = float("nan")
#: The level at which a difference is called clear (its 95% interval excludes 0).
ALPHA = 0.05


def smallest_p(n: int) -> float:
    """The smallest two-sided p-value the exact Wilcoxon signed-rank test can give with `n` pairs
    (all differences of one sign): 2 / 2**n, e.g. 0.25 with 3 pairs, 0.0625 with 5."""
    return 2.0 / 2.0**n if n > 0 else 1.0


#: The fewest paired seeds with which the test can reject at ALPHA (6: smallest p 0.031).
MIN_CLEAR_PAIRS = next(n for n in range(1, 64) if smallest_p(n) < ALPHA)


def clear(low: float, high: float, n: int) -> bool:
    """The one rule for calling a difference clear: its 95% interval is finite and excludes 0, over at
    least MIN_CLEAR_PAIRS seeds (with fewer, no test could reject, however far from 0 the interval lies)."""
    finite = np.isfinite(low) and np.isfinite(high)
    return bool(finite and (low > 0 or high < 0) and n >= MIN_CLEAR_PAIRS)


#: Over posterior draws, a direction is called only where it holds in at least this share of the draws (a
#: posterior probability of 0.9 that the sign is right); a mean whose interval excludes 0 while the draws
#: disagree more often is reported as not settled by the posterior (issue 32: "never printed as clear").
SUPPORT = 0.9


def supported(agree: int, n: int) -> bool:
    """True when a direction holds in at least SUPPORT of `n` posterior draws (`agree` of them)."""
    return n > 0 and agree >= SUPPORT * n


def too_few_seeds(n: int) -> str:
    """A warning when `n` seeds cannot show a clear difference ('' when they can)."""
    if n >= MIN_CLEAR_PAIRS:
        return ""
    if n < 2:
        return f"{n} seed: no interval and no test are possible, so no difference can be called clear; use seeds=10 or more"
    return (f"{n} seed{'s' if n != 1 else ''}: too few to call any difference clear (a paired test needs at least "
            f"{MIN_CLEAR_PAIRS}; with {n} its smallest p is {smallest_p(n):.2g}); use seeds=10 or more")


@dataclass(frozen=True)
class CI:
    """A mean with its confidence interval over ``n`` finite observations."""

    mean: float
    low: float
    high: float
    half_width: float
    n: int

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of zero."""
        return bool(self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class Effect:
    """A paired difference (treatment - control) with its CI and Wilcoxon p-value.

    ``relative``, ``relative_low`` and ``relative_high`` are the difference and
    its CI bounds divided by ``|mean control|`` (NaN when that mean is 0).
    """

    diff: float
    low: float
    high: float
    half_width: float
    p_wilcoxon: float
    n: int
    mean_control: float
    mean_treatment: float
    relative: float
    relative_low: float
    relative_high: float
    agree: int = 0  # pairs whose difference has the sign of `diff` (0 when diff is 0 or NaN)

    def excludes_zero(self) -> bool:
        """True when the CI of the difference lies on one side of zero."""
        return bool(self.low > 0 or self.high < 0)

    @property
    def clear(self) -> bool:
        """True when the difference is clear (`clear`: the CI excludes 0 over enough seeds)."""
        return clear(self.low, self.high, self.n)


def _finite(x: Any) -> np.ndarray:
    """Return ``x`` as a 1-D float array without NaNs."""
    arr = np.asarray(x, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def _bootstrap(x: np.ndarray, confidence: float, n_resamples: int, seed: int,
               method: str) -> tuple[float, float]:
    """One bootstrap CI of the mean; may return NaNs when the method is degenerate."""
    from scipy import stats  # here: importing this module stays light (the command reads `too_few_seeds` first)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap(
            (x,), np.mean, n_resamples=n_resamples, confidence_level=confidence,
            method=method, vectorized=True, axis=-1, rng=np.random.default_rng(seed),
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def mean_ci(x: Any, confidence: float = 0.95, n_resamples: int = 4999,
            seed: int = 0) -> CI:
    """Mean of ``x`` with a bootstrap CI (BCa, percentile when BCa is degenerate).

    NaNs are dropped. An empty input gives NaNs everywhere; one value or
    values without variance give ``low == high == mean``.
    """
    arr = _finite(x)
    n = int(arr.size)
    if n == 0:
        return CI(_NAN, _NAN, _NAN, _NAN, 0)
    mean = float(arr.mean())
    if n == 1 or np.ptp(arr) == 0:
        return CI(mean, mean, mean, 0.0, n)
    low, high = _bootstrap(arr, confidence, n_resamples, seed, "BCa")
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        low, high = _bootstrap(arr, confidence, n_resamples, seed, "percentile")
    # Resampled means can differ from the sample mean by rounding only.
    low, high = min(low, mean), max(high, mean)
    return CI(mean, low, high, (high - low) / 2, n)


def _pairs(treatment: Any, control: Any) -> tuple[np.ndarray, np.ndarray]:
    """Aligned finite pairs; two Series are matched on their index."""
    if isinstance(treatment, pd.Series) and isinstance(control, pd.Series):
        both = pd.concat([treatment.rename("t"), control.rename("c")], axis=1, join="inner")
        t, c = both["t"].to_numpy(float), both["c"].to_numpy(float)
    else:
        t = np.asarray(treatment, dtype=float).ravel()
        c = np.asarray(control, dtype=float).ravel()
        if t.shape != c.shape:
            raise ValueError(f"paired_effect needs equal lengths, got {t.size} and {c.size}")
    keep = ~(np.isnan(t) | np.isnan(c))
    return t[keep], c[keep]


def _wilcoxon(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value, NaN when it is undefined."""
    if d.size < 2 or np.all(d == 0):
        return _NAN
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(d).pvalue)


def paired_effect(treatment: Any, control: Any, confidence: float = 0.95,
                  n_resamples: int = 4999, seed: int = 0) -> Effect:
    """Paired mean difference ``treatment - control`` with a bootstrap CI.

    Inputs are matched position by position, or on the index when both are
    pandas Series; pairs with a NaN on either side are dropped.
    """
    t, c = _pairs(treatment, control)
    d = t - c
    ci = mean_ci(d, confidence=confidence, n_resamples=n_resamples, seed=seed)
    mean_c = float(c.mean()) if c.size else _NAN
    mean_t = float(t.mean()) if t.size else _NAN
    scale = abs(mean_c) if c.size and mean_c != 0 else _NAN
    return Effect(
        diff=ci.mean, low=ci.low, high=ci.high, half_width=ci.half_width,
        p_wilcoxon=_wilcoxon(d), n=ci.n, mean_control=mean_c, mean_treatment=mean_t,
        relative=ci.mean / scale, relative_low=ci.low / scale,
        relative_high=ci.high / scale,
        agree=int((np.sign(d) == np.sign(ci.mean)).sum()) if np.isfinite(ci.mean) and ci.mean != 0 else 0,
    )
