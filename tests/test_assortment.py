"""The assortment cut and its spin (sim/assortment.py): who loses fit, and who sees through the framing.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import evidence, make_world, set_traits

from relsim import assortment
from relsim.world import World


def test_assortment_cut_lowers_fit_of_affected_once_when_the_calendar_says_so() -> None:
    w = make_world({"assortment_cut": 0.4, "cut_day": 5, "cut_framing": 0.0}, consumers=1000, provider=0,
                   behaviour={"fit_loss": 0.5})  # announced honestly: the loss is not softened
    fit0 = w.fit.copy()
    w.day = 5
    assortment.cut_assortment(w)  # no calendar event today: the phase does not poll the date
    np.testing.assert_array_equal(w.fit, fit0)
    assert evidence(w, "negative", "assortment") == 0 and w.cut_share[0] == 0
    w.cut_today[0] = True  # the calendar's event (sim/calendar.py)
    assortment.cut_assortment(w)
    assert not w.cut_today[0] and w.cut_share[0] == 0.4
    affected = w.traits.assortment_rank < 0.4
    assert 300 < affected.sum() < 500
    np.testing.assert_allclose(w.fit[affected, 0], 0.5 * fit0[affected, 0])
    np.testing.assert_array_equal(w.fit[~affected, 0], fit0[~affected, 0])
    assert (w.neg_today[affected, 0] >= w.market.behaviour.assortment_weight).all()
    assert evidence(w, "negative", "assortment") == pytest.approx(affected.sum())
    cut_once = w.fit.copy()
    assortment.cut_assortment(w)
    np.testing.assert_array_equal(w.fit, cut_once)


def test_consumers_high_in_spin_detection_see_through_the_cut_more() -> None:
    seen = {}
    for detection in (0.1, 0.8):
        w = make_world({"assortment_cut": 0.5, "cut_day": 3}, consumers=1000, provider=0, day=3)
        set_traits(w, spin_detection=detection)
        w.cut_today[0] = True
        assortment.cut_assortment(w)
        seen[detection] = (evidence(w, "negative", "spin"), w.stress_in > 0)
    (low, low_rows), (high, high_rows) = seen[0.1], seen[0.8]
    assert low > 0 and high > 3 * low
    assert (high_rows | ~low_rows).all()
    assert 0.05 < low_rows.mean() < 0.15 and 0.7 < high_rows.mean() < 0.9


def _cut_world(framing: float, detection: float) -> World:
    w = make_world({"assortment_cut": 0.5, "cut_day": 3, "cut_framing": framing}, consumers=1000, provider=0, day=3)
    set_traits(w, spin_detection=detection)
    w.cut_today[0] = True
    assortment.cut_assortment(w)
    return w


def test_seen_through_spin_is_more_negative_evidence_and_stress() -> None:
    fooled, seen = _cut_world(1.0, detection=0.0), _cut_world(1.0, detection=1.0)
    affected = fooled.traits.assortment_rank < 0.5
    assert (seen.neg_today[:, 0] > fooled.neg_today[:, 0]).all()
    assert evidence(seen, "negative", "spin") > 0 and evidence(fooled, "negative", "spin") == 0
    assert (seen.stress_in > 0).all() and (fooled.stress_in == 0).all()
    assert evidence(seen, "negative", "assortment") > evidence(fooled, "negative", "assortment")
    assert affected.any()


def test_framing_softens_the_loss_for_those_who_do_not_see_through_it() -> None:
    honest, spun, half = _cut_world(0.0, 0.0), _cut_world(1.0, 0.0), _cut_world(0.5, 0.0)
    b = honest.market.behaviour
    loss = {k: evidence(w, "negative", "assortment") for k, w in (("honest", honest), ("spun", spun), ("half", half))}
    assert loss["spun"] < loss["half"] < loss["honest"]
    assert loss["spun"] == pytest.approx((1 - b.spin_softening) * loss["honest"])
    assert evidence(spun, "negative", "spin") == 0


def test_an_honest_cut_neither_softens_nor_betrays() -> None:
    honest_seen, honest_fooled = _cut_world(0.0, 1.0), _cut_world(0.0, 0.0)
    np.testing.assert_array_equal(honest_seen.neg_today, honest_fooled.neg_today)
    assert evidence(honest_seen, "negative", "spin") == 0 and (honest_seen.stress_in == 0).all()
    more = _cut_world(1.0, 1.0)
    assert evidence(more, "negative", "spin") == pytest.approx(honest_seen.market.behaviour.spin_weight * 1000)
