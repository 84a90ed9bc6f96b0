"""Voice (sim/voice.py): private complaints need a reachable firm and fall with a support fee; satisfied
customers advocate more than dissatisfied ones.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
from conftest import FROZEN, make_world, run_model, runs, set_traits, set_trust

from relsim import voice
from relsim.world import World


def _voice_world(**firm) -> World:
    w = make_world(firm, consumers=2000, provider=0, seed=7)
    w.direct_neg[:] = 2.0
    return w


def test_private_complaints_need_a_reachable_firm() -> None:
    reachable, closed = _voice_world(inbound_capacity=4.0), _voice_world(inbound_capacity=0.0)
    voice.voice(reachable)
    voice.voice(closed)
    assert reachable.today["complaints_private"][0] > 100
    assert closed.today["complaints_private"][0] == 0
    # blocked private voice partly goes public instead
    assert closed.today["complaints_public"][0] > reachable.today["complaints_public"][0]


def test_private_complaints_fall_as_the_support_fee_rises() -> None:
    counts = []
    for fee in (0.0, 10.0, 40.0):
        w = _voice_world(support_fee=fee, support_free_days=90)
        w.tenure[:] = 200
        voice.voice(w)
        counts.append(w.today["complaints_private"][0])
    assert counts[0] > counts[1] > counts[2]
    # within the free period the fee does not deter
    w = _voice_world(support_fee=40.0, support_free_days=90)
    w.tenure[:] = 10
    voice.voice(w)
    assert w.today["complaints_private"][0] == counts[0]


def test_private_complaints_in_a_run_fall_without_a_channel_or_with_a_fee() -> None:
    common = dict(consumers=800, days=60, problem_rate=12.0, responsiveness=0.0, behaviour=FROZEN)
    base = runs(run_model(inbound_capacity=10.0, **common)).complaints_private.sum()
    closed = runs(run_model(inbound_capacity=0.0, **common)).complaints_private.sum()
    fee = runs(run_model(inbound_capacity=10.0, support_fee=60.0, support_free_days=0, **common))
    assert base > 20
    assert closed == 0
    assert fee.complaints_private.sum() < base


def _advocacy_world(rate: float) -> World:
    """2,000 customers without incidents: the first half trusts its provider (0.8), the second does not (0.3)."""
    w = make_world({}, consumers=2000, provider=0, seed=7, behaviour={"advocacy_rate": rate, **FROZEN})
    set_trust(w, np.where(np.arange(w.n) < w.n // 2, 0.8, 0.3))
    set_traits(w, voice_propensity=1.0, public_voice=0.5)
    return w


def _praise_by_half(w: World, days: int = 30) -> tuple[int, int]:
    """Positive posts over `days` days of voice with no support events, by half (trusting, wary)."""
    counts = np.zeros(w.n, dtype=int)
    for _ in range(days):
        assert not w.direct_pos.any() and not w.direct_neg.any()
        voice.voice(w)
        np.add.at(counts, np.asarray(w.praise_posts, dtype=np.int64), 1)
    return int(counts[: w.n // 2].sum()), int(counts[w.n // 2:].sum())


def test_satisfied_customers_advocate_more_than_dissatisfied_ones() -> None:
    trusting, wary = _praise_by_half(_advocacy_world(0.7))
    assert trusting > 100
    assert trusting > 10 * wary


def test_without_advocacy_nobody_praises_without_a_support_event() -> None:
    assert _praise_by_half(_advocacy_world(0.0)) == (0, 0)
