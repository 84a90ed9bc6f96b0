"""Trust (sim/trust.py): negative evidence moves trust further than equal positive evidence, and evidence
fades with memory_days.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_world, set_trust

from relsim import trust
from relsim.world import begin_day


@pytest.mark.parametrize("bias", [1.0, 2.0, 5.0])
def test_negative_evidence_moves_trust_further_than_equal_positive(bias: float) -> None:
    w = make_world(consumers=200, provider=0, behaviour={"negativity_bias": bias})
    set_trust(w, 0.5, mass=6.0)
    good, bad = np.arange(100), np.arange(100, 200)
    zeros = np.zeros(100, dtype=np.int64)
    before = w.trust()[:, 0].copy()
    w.add("positive", "usage", good, zeros, 1.0)
    w.add("negative", "usage", bad, zeros, 1.0)
    trust.update(w)
    after = w.trust()[:, 0]
    up, down = after[good] - before[good], before[bad] - after[bad]
    assert (up > 0).all() and (down > 0).all()
    if bias == 1.0:
        np.testing.assert_allclose(down, up, rtol=1e-12)
    else:
        assert (down > up * 1.2).all()


def test_equal_loss_and_gain_leave_trust_below_start_with_negativity_bias() -> None:
    """A failure followed by an equal success does not restore trust (rebuilding takes longer)."""
    for bias, expect_below in ((1.0, False), (3.0, True)):
        w = make_world(consumers=50, provider=0, behaviour={"negativity_bias": bias, "memory_days": 1e9})
        set_trust(w, 0.5, mass=8.0)
        start = w.trust()[:, 0].copy()
        rows, firms = np.arange(50), np.zeros(50, dtype=np.int64)
        w.add("negative", "problems", rows, firms, 2.0)
        trust.update(w)
        begin_day(w)
        w.add("positive", "resolved", rows, firms, 2.0)
        trust.update(w)
        end = w.trust()[:, 0]
        if expect_below:
            assert (end < start - 0.01).all()
        else:
            np.testing.assert_allclose(end, start, atol=1e-6)


def test_evidence_decays_with_memory_days() -> None:
    short = make_world(consumers=100, provider=0, behaviour={"memory_days": 30.0})
    long = make_world(consumers=100, provider=0, behaviour={"memory_days": 300.0})
    for w in (short, long):
        w.pos[:, 0], w.neg[:, 0] = 8.0, 2.0  # trust well above 0.5
        for _ in range(30):
            begin_day(w)
            trust.update(w)
    # after one time constant, e^-1 of the evidence is left
    np.testing.assert_allclose(short.pos[:, 0], 8.0 * np.exp(-1.0), rtol=1e-9)
    np.testing.assert_allclose(short.neg[:, 0], 2.0 * np.exp(-1.0), rtol=1e-9)
    np.testing.assert_allclose(long.pos[:, 0], 8.0 * np.exp(-0.1), rtol=1e-9)
    # forgetting pulls trust back towards the prior (0.5), faster with a shorter memory
    t_short, t_long = short.trust()[:, 0], long.trust()[:, 0]
    start = (1 + 8.0) / (2 + 10.0)
    assert (0.5 < t_short).all() and (t_short < t_long).all() and (t_long < start).all()
