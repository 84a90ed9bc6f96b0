"""Fees (sim/fees.py): the support fee after the free period and the nuisance fee every 30 days of tenure,
and what each does to calls, trust and stress.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FROZEN, evidence, make_world, run_model, runs, set_traits

from relsim import fees, support


# --------------------------------------------------------------------------- support fee

def test_support_fee_is_charged_only_after_the_free_period() -> None:
    fee, free = 15.0, 90
    w = make_world({"inbound_capacity": 1000.0, "support_fee": fee, "support_free_days": free,
                    "resolution_quality": 0.0}, consumers=400, provider=0)
    w.tenure[:] = np.tile([10, 90, 91, 300], 100)
    w.open_severity[:], w.seeking[:] = 1.0, True
    support.seek_support(w)
    after = w.tenure > free
    assert w.today["tickets_reached"][0] == 400  # everyone got through
    assert w.today["fees"][0] == pytest.approx(fee * after.sum())
    b = w.market.behaviour
    assert evidence(w, "negative", "support_fees") == pytest.approx(
        b.fee_weight * fee / w.market.reference_price * after.sum())
    assert (w.stress_in[after] > w.stress_in[~after]).all()


def test_support_fee_in_a_run_starts_after_the_free_period() -> None:
    m = run_model(consumers=400, days=60, problem_rate=24.0, inbound_capacity=200.0, support_fee=10.0,
                  support_free_days=30, behaviour=FROZEN)
    table = runs(m)  # no churn, no joining: every customer's tenure is the day
    assert (table.fees[table.day <= 30] == 0).all()
    assert table.fees[table.day > 30].sum() > 0


def test_a_support_fee_lowers_the_share_of_problems_that_lead_to_calls() -> None:
    share = {}
    for fee in (0.0, 30.0):
        for tenure in (10, 200):
            w = make_world({"problem_rate": 365.0, "support_fee": fee, "support_free_days": 90}, consumers=2000,
                           provider=0, seed=5)
            set_traits(w, problem_proneness=1.0)
            w.tenure[:] = tenure
            support.experience_problems(w)
            assert w.today["problems"][0] == 2000
            share[fee, tenure] = w.seeking.copy()
    assert share[30.0, 200].mean() < 0.8 * share[0.0, 200].mean()
    assert (share[0.0, 200] | ~share[30.0, 200]).all()  # the fee only deters
    np.testing.assert_array_equal(share[0.0, 10], share[30.0, 10])  # free period: no deterrence


# --------------------------------------------------------------------------- nuisance fee

def test_nuisance_fee_charged_each_30_days_of_tenure() -> None:
    w = make_world({"nuisance_fee": 6.0}, consumers=120, provider=0)
    w.tenure[:] = np.arange(1, 121)
    fees.charge_nuisance_fees(w)
    charged = np.flatnonzero(w.neg_today[:, 0] > 0) + 1
    np.testing.assert_array_equal(charged, [30, 60, 90, 120])
    assert w.today["fees"][0] == pytest.approx(6.0 * 4)
    assert evidence(w, "negative", "nuisance_fees") == pytest.approx(4 * 6.0 / w.market.reference_price)
    assert (w.stress_in[charged - 1] > 0).all() and w.stress_in.sum() == pytest.approx(
        4 * w.market.behaviour.stress_fee)


def test_nuisance_fee_in_a_run_adds_unfairness_and_stress() -> None:
    common = dict(consumers=500, days=95, problem_rate=0.0, behaviour=FROZEN)
    fee, free = run_model(nuisance_fee=6.0, **common), run_model(nuisance_fee=0.0, **common)
    f, n = runs(fee), runs(free)
    assert set(f.day[f.fees > 0]) == {30, 60, 90}
    np.testing.assert_allclose(f.fees[f.fees > 0], 6.0 * f.customers[f.fees > 0])
    ev = fee.recorder.evidence_table()
    nuisance = ev[(ev.cause == "nuisance_fees") & (ev.sign == "negative")]
    assert set(nuisance.day[nuisance.amount > 0]) == {30, 60, 90}
    assert f.mean_stress[f.day == 29].item() == pytest.approx(n.mean_stress[n.day == 29].item())
    assert f.mean_stress[f.day == 30].item() > n.mean_stress[n.day == 30].item()
    assert f.mean_trust.iloc[-1] < n.mean_trust.iloc[-1]
