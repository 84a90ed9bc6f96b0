"""The relationship budget (sim/budget.py): a budget and its split buy the levers at the strategy's unit
costs, and the model runs what it buys.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import dataclasses

import pytest

from relsim import budget
from relsim.model import RelationshipModel
from relsim.params import Strategy


def test_a_budget_buys_its_levers_at_the_strategys_unit_costs() -> None:
    s = Strategy(budget=40.0, outbound_share=0.5, access_share=0.4, listening_share=0.1)
    bought = budget.levers(s)
    assert bought.contact_rate == pytest.approx(0.5 * 40.0 / s.cost_per_contact)
    assert bought.inbound_capacity == pytest.approx(0.4 * 40.0 * 1000 / (365 * s.cost_per_ticket))
    assert bought.listening == pytest.approx(0.1 * 40.0 * 1000 / (365 * s.listening_cost))
    assert bought.public_listening == 0.0
    assert budget.spend(bought) == pytest.approx(40.0)  # no lever at its cap: the whole budget is planned
    # levers are unchanged without a budget
    assert budget.levers(Strategy(contact_rate=7.0)) == Strategy(contact_rate=7.0)


def test_more_budget_share_buys_more_of_its_lever() -> None:
    low = budget.levers(Strategy(budget=20.0, outbound_share=0.2, access_share=0.7, listening_share=0.1))
    high = budget.levers(Strategy(budget=20.0, outbound_share=0.6, access_share=0.3, listening_share=0.1))
    assert high.contact_rate > low.contact_rate and high.inbound_capacity < low.inbound_capacity
    assert high.listening == low.listening


def test_listening_money_buys_private_listening_first_then_public_and_leaves_the_rest() -> None:
    s = Strategy(budget=100.0, outbound_share=0.0, access_share=0.0, listening_share=1.0, listening_cost=20.0)
    bought = budget.levers(s)  # 100 x 1000 / (365 x 20) = 13.7 units: both at their cap, the rest unspent
    assert bought.listening == 1.0 and bought.public_listening == 1.0
    assert bought.contact_rate == 0.0 and bought.inbound_capacity == 0.0
    assert budget.spend(bought) == pytest.approx(2 * 20.0 * 365 / 1000)
    half = budget.levers(dataclasses.replace(s, budget=1.5 * 20.0 * 365 / 1000))
    assert half.listening == 1.0 and half.public_listening == pytest.approx(0.5)


def test_a_budgets_shares_must_add_up_to_one() -> None:
    with pytest.raises(ValueError, match="outbound_share.*add up to 1"):
        Strategy(budget=10.0, outbound_share=0.5, access_share=0.5, listening_share=0.5)
    Strategy(budget=0.0, outbound_share=0.5, access_share=0.5, listening_share=0.5)  # no budget: shares unused


def test_the_model_runs_the_levers_its_budget_buys() -> None:
    s = Strategy(budget=30.0, outbound_share=0.2, access_share=0.7, listening_share=0.1)
    m = RelationshipModel(s, days=5, consumers=100, rng=0)
    assert m.firms[0].strategy == budget.levers(s)
    assert m.world.firms.inbound_capacity[0] == pytest.approx(budget.levers(s).inbound_capacity)
    m.set_strategy(0, outbound_share=0.7, access_share=0.2)  # a new split of the same budget, mid-run
    assert m.world.firms.contact_rate[0] == pytest.approx(0.7 * 30.0 / s.cost_per_contact)
