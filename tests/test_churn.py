"""Churn and switching (sim/churn.py): more base churn and less trust raise churn; leavers switch to a
rival only when there is one and switch_share allows it.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
from conftest import make_world, run_model, runs, set_provider, set_trust

from relsim import churn
from relsim.world import World


def _churn_world(n_firms: int = 1, trust_level: float = 0.5, **behaviour) -> World:
    w = make_world(*([{}] * n_firms), consumers=2000, seed=13, provider=0,
                   behaviour={"base_churn": 20.0, **behaviour})
    set_trust(w, trust_level)
    return w


def test_higher_base_churn_raises_churn() -> None:
    low, high = _churn_world(base_churn=5.0), _churn_world(base_churn=50.0)
    churn.churn(low)
    churn.churn(high)
    left_low, left_high = low.provider < 0, high.provider < 0
    assert 0 < left_low.sum() < 0.5 * left_high.sum()
    assert (left_high | ~left_low).all()


def test_lower_trust_raises_churn() -> None:
    trusting, wary = _churn_world(trust_level=0.8), _churn_world(trust_level=0.3)
    churn.churn(trusting)
    churn.churn(wary)
    assert 0 < trusting.today["churned"][0] < 0.5 * wary.today["churned"][0]
    assert ((wary.provider < 0) | (trusting.provider >= 0)).all()


def test_leavers_switch_to_the_rival_in_a_two_firm_market() -> None:
    w = _churn_world(n_firms=2, switch_share=1.0)
    set_provider(w, np.r_[np.zeros(1000, dtype=np.int64), np.ones(1000, dtype=np.int64)])
    set_trust(w, 0.5)
    was = w.provider.copy()
    churn.churn(w)
    left, from_firm = w.defections
    assert len(left) > 50
    np.testing.assert_array_equal(from_firm, was[left])
    np.testing.assert_array_equal(w.provider[left], 1 - from_firm)
    np.testing.assert_array_equal(w.today["acquired"], w.today["churned"][::-1])


def test_no_switching_when_switch_share_is_zero_or_in_a_monopoly() -> None:
    for n_firms, share in ((2, 0.0), (1, 1.0)):
        w = _churn_world(n_firms=n_firms, switch_share=share)
        churn.churn(w)
        left, _ = w.defections
        assert len(left) > 50
        assert (w.provider[left] == -1).all()
        assert w.today["acquired"].sum() == 0


def test_switching_in_runs() -> None:
    """Monopoly (rivals=[]): leavers never switch; 2 firms, switch_share 1: every leaver switches."""
    common = dict(consumers=600, days=60, behaviour={"base_churn": 3.0, "acquisition_rate": 0.0, "switch_share": 1.0})
    mono = runs(run_model(**common), firm=None)
    assert mono.churned.sum() > 0 and mono.acquired.sum() == 0
    duo = runs(run_model(rivals=[{}], **common), firm=None)
    by_day = duo.pivot(index="day", columns="firm")
    assert duo.churned.sum() > 0
    np.testing.assert_array_equal(by_day["acquired"][1], by_day["churned"][0])
    np.testing.assert_array_equal(by_day["acquired"][0], by_day["churned"][1])
