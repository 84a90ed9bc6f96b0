"""Support (sim/support.py): calls that do not get through are negative evidence and stress; a resolution
recovers trust, less at a later call; staffing for demand staffs what is called for.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FROZEN, evidence, make_world, run_model, runs, set_trust

from relsim import stress, support, trust


# --------------------------------------------------------------------------- unreachable support

def test_unreachable_support_lowers_trust_raises_stress_and_leaves_tickets_unreached() -> None:
    common = dict(consumers=1000, days=90, problem_rate=12.0, responsiveness=0.0, behaviour=FROZEN)
    closed = run_model(inbound_capacity=0.0, **common)
    open_ = run_model(inbound_capacity=20.0, **common)
    c, o = runs(closed), runs(open_)
    # same customers, same problems (common random numbers)
    np.testing.assert_array_equal(c.problems, o.problems)
    assert c.problems.sum() > 100
    assert c.tickets_reached.sum() == 0 and c.tickets_unreached.sum() > 0
    assert c.tickets_unreached.sum() > o.tickets_unreached.sum()
    assert o.tickets_reached.sum() > 0
    assert c.mean_trust.iloc[-1] < o.mean_trust.iloc[-1]
    assert c.mean_stress.mean() > o.mean_stress.mean()
    ev_c = closed.recorder.evidence_table()
    assert ev_c[(ev_c.cause == "unreached") & (ev_c.sign == "negative")].amount.sum() > 0
    assert ev_c[ev_c.cause == "heard"].amount.sum() == 0


@pytest.mark.parametrize("capacity", [0.0, 20.0, 1000.0])
def test_calls_that_do_not_get_through_are_negative_evidence_and_stress(capacity: float) -> None:
    w = make_world({"inbound_capacity": capacity, "resolution_quality": 0.0}, consumers=1000, provider=0, seed=2)
    w.open_severity[:], w.seeking[:] = 1.0, True
    support.seek_support(w)
    b = w.market.behaviour
    reached = w.today["tickets_reached"][0]
    assert w.today["tickets"][0] == 1000
    if capacity == 0.0:
        assert reached == 0
    elif capacity == 1000.0:
        assert reached == 1000  # as many slots as callers
    else:
        assert 5 < reached < 40  # 20 slots for 1,000 callers
    lost = w.exchanges == 0
    assert lost.sum() == 1000 - reached
    np.testing.assert_allclose(w.stress_in[lost], b.stress_unreached)
    assert (w.stress_in[~lost] == 0).all()
    assert evidence(w, "negative", "unreached") == pytest.approx(b.unreached_weight * lost.sum())
    assert evidence(w, "positive", "heard") == pytest.approx(b.heard_weight * reached)
    stress.update(w)
    assert (w.stress[lost] > w.stress[~lost].max(initial=0)).all()


# --------------------------------------------------------------------------- service recovery

def _trust_after_problem(recovery: float | None, trust_level: float = 0.7) -> np.ndarray:
    """Trust after a day with a problem of severity 1 resolved at the first call (None: no problem)."""
    w = make_world({"inbound_capacity": 1000.0, "resolution_quality": 1.0}, consumers=500, provider=0,
                   behaviour={"recovery_paradox": recovery or 0.0})
    set_trust(w, trust_level)
    if recovery is not None:
        rows = np.arange(w.n)
        w.add("negative", "problems", rows, np.zeros(w.n, dtype=np.int64), w.market.behaviour.problem_weight, True)
        w.open_severity[:], w.seeking[:], w.calls[:] = 1.0, True, 0
        support.seek_support(w)
        assert w.today["tickets_resolved"][0] == w.n
    trust.update(w)
    return w.trust()[:, 0]


@pytest.mark.parametrize("trust_level", [0.4, 0.7, 0.9])
def test_the_recovery_parameter_sets_trust_after_a_quick_resolution_against_no_problem(trust_level: float) -> None:
    none = _trust_after_problem(None, trust_level)
    at, above, below = (_trust_after_problem(r, trust_level) for r in (0.0, 0.5, -0.5))
    np.testing.assert_allclose(at, none, atol=5e-4)  # 0: back where they were (up to the day's forgetting)
    assert (above > none + 2e-3).all() and (below < none - 2e-3).all()
    assert (above > at).all() and (at > below).all()


def test_a_resolution_at_a_later_call_is_worth_less_than_at_the_first() -> None:
    b = make_world(consumers=10).kernel()[1]
    assert support.resolution(b, 2.0, False, 0.7) < support.resolution(b, 2.0, True, 0.7)
    assert support.resolution(b, 2.0, True, 0.7) < support.resolution(b, 2.0, True, 0.9)  # more to restore


# --------------------------------------------------------------------------- staffing for demand

def test_demand_staffing_rises_with_the_service_level_and_the_forecast_and_stops_at_capacity() -> None:
    levels = [support.staffing(10.0, 10_000, level, 40.0) for level in (0.5, 0.8, 0.95, 0.99)]
    assert levels == sorted(levels) and levels[0] == 40.0 and levels[-1] < 100.0
    assert support.staffing(10.0, 10_000, 0.9, 20.0) < support.staffing(10.0, 10_000, 0.9, 60.0)
    assert support.staffing(1.0, 10_000, 0.9, 60.0) == 10.0  # inbound_capacity is the most the firm staffs
    assert support.staffing(4.0, 2_000, 0.0, 60.0) == 8.0  # service_level 0: the fixed ratio, whatever the demand
    assert support.forecast_of(10.0, 17.0) == pytest.approx(10.0 + 7.0 / support.FORECAST_DAYS)


def test_staffing_for_demand_staffs_what_is_called_for_and_costs_less_than_a_generous_fixed_ratio() -> None:
    out = {}
    for level in (0.0, 0.5, 0.95):
        m = run_model(consumers=3000, days=200, inbound_capacity=20.0, problem_rate=6.0, service_level=level)
        t = runs(m).iloc[50:]  # after the forecast has settled
        out[level] = (t.staffed.mean(), t.tickets_unreached.sum() / t.tickets.sum(), t.spend.sum())
    fixed, median, high = out[0.0], out[0.5], out[0.95]
    assert fixed[0] > high[0] > median[0]  # the fixed ratio staffs 20 per 1,000 whatever the calls
    assert fixed[1] <= high[1] < median[1]  # and a higher service level leaves fewer callers unreached
    assert fixed[2] > high[2] > median[2]
