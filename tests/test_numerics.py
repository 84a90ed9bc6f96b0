"""Numerics (sim/numerics.py): the normal quantile that staffing for demand uses.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import pytest

from relsim import numerics


def test_normal_quantile_matches_scipy() -> None:
    from scipy.stats import norm

    for p in (0.001, 0.2, 0.5, 0.8, 0.95, 0.999):
        assert numerics.normal_quantile(p) == pytest.approx(norm.ppf(p), abs=1e-9)
