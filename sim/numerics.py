"""Numerics shared by the rules of both engines.

A rule runs compiled (numba) in the vectorized engine and as plain Python in the reference engine
(`.py_func`). Where the two would differ, the rule uses a function from here that behaves the same
in both: `exp` overflows to infinity, as compiled code does, instead of raising OverflowError as
`math.exp` does in plain Python (a hazard of e**800 is a certain event in both engines);
`normal_quantile` needs no SciPy, so compiled rules can call it.
"""

from __future__ import annotations

import math

from numba import njit

#: Above this, e**x is beyond the largest float.
EXP_LIMIT = 709.78


@njit(cache=True, inline="always")
def exp(x: float) -> float:
    """e**x, or infinity where it would overflow (in both engines)."""
    return math.exp(x) if x < EXP_LIMIT else math.inf


@njit(cache=True, inline="always")
def normal_quantile(p: float) -> float:
    """z with Phi(z) = p for p in (0, 1), the standard normal quantile (bisection on erfc; |error| < 1e-12)."""
    lo, hi = -40.0, 40.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
