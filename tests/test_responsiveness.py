"""Responsiveness (sim/responsiveness.py): the problem rate falls only if the firm hears and acts, and
never below its floor.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_world, run_model, runs

from relsim import responsiveness


@pytest.mark.parametrize(("listening", "responsiveness", "learns"),
                         [(0.5, 0.5, True), (0.5, 0.0, False), (0.0, 0.5, False)])
def test_responsiveness_lowers_the_problem_rate_only_if_the_firm_hears_and_acts(
        listening: float, responsiveness: float, learns: bool) -> None:
    m = run_model(consumers=500, days=90, problem_rate=6.0, listening=listening, responsiveness=responsiveness,
                  public_listening=0.0, inbound_capacity=10.0)
    rate = runs(m).problem_rate.to_numpy()
    floor = m.market.behaviour.problem_floor * 6.0
    if learns:
        assert (np.diff(rate) <= 1e-12).all()
        assert rate[-1] < 0.9 * 6.0
        assert (rate >= floor - 1e-12).all()
    else:
        assert (rate == 6.0).all()


def test_learning_approaches_but_never_passes_the_floor() -> None:
    w = make_world({"problem_rate": 10.0, "responsiveness": 1.0}, consumers=100, provider=0)
    floor = w.market.behaviour.problem_floor * 10.0
    responsiveness.learn(w, np.array([1e6]))
    assert w.problem_rate[0] == pytest.approx(floor)
    assert w.problem_rate[0] >= floor
