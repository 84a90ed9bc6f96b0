"""The relationship budget (sim/budget.py): a budget and its split buy the levers at the strategy's unit
costs, and the model runs what it buys.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import channel_table

from relsim import budget
from relsim.model import RelationshipModel
from relsim.params import CHANNELS, Channels, Strategy


def test_more_budget_share_buys_more_of_its_lever() -> None:
    prices = Channels()
    low = budget.levers(Strategy(budget=20.0, outbound_share=0.2, access_share=0.7, listening_share=0.1), prices)
    high = budget.levers(Strategy(budget=20.0, outbound_share=0.6, access_share=0.3, listening_share=0.1), prices)
    assert all(h > lo for h, lo in zip(high.rates, low.rates, strict=True))
    assert high.inbound_capacity < low.inbound_capacity
    assert high.listening == low.listening


def test_listening_money_buys_private_listening_first_then_public_and_leaves_the_rest() -> None:
    prices = Channels()
    s = Strategy(budget=100.0, outbound_share=0.0, access_share=0.0, listening_share=1.0, listening_cost=20.0)
    bought = budget.levers(s, prices)  # 100 x 1000 / (365 x 20) = 13.7 units: both at their cap, the rest unspent
    assert bought.listening == 1.0 and bought.public_listening == 1.0
    assert bought.rates == (0.0, 0.0, 0.0) and bought.inbound_capacity == 0.0
    assert budget.spend(bought, prices) == pytest.approx(2 * 20.0 * 365 / 1000)
    half = budget.levers(dataclasses.replace(s, budget=1.5 * 20.0 * 365 / 1000), prices)
    assert half.listening == 1.0 and half.public_listening == pytest.approx(0.5)


def test_a_budgets_shares_must_add_up_to_one() -> None:
    with pytest.raises(ValueError, match="outbound_share.*add up to 1"):
        Strategy(budget=10.0, outbound_share=0.5, access_share=0.5, listening_share=0.5)
    Strategy(budget=0.0, outbound_share=0.5, access_share=0.5, listening_share=0.5)  # no budget: shares unused


def test_the_model_runs_the_levers_its_budget_buys() -> None:
    s = Strategy(budget=30.0, outbound_share=0.2, access_share=0.7, listening_share=0.1)
    m = RelationshipModel(s, days=5, consumers=100, rng=0)
    prices = m.market.channels
    assert m.firms[0].strategy == budget.levers(s, prices)
    assert m.world.firms.inbound_capacity[0] == pytest.approx(budget.levers(s, prices).inbound_capacity)
    m.set_strategy(0, outbound_share=0.7, access_share=0.2)  # a new split of the same budget, mid-run
    assert budget.outbound(m.firms[0].strategy, prices) == pytest.approx(0.7 * 30.0)
    ratio = m.world.firms.channel_rate[0] / np.array(s.rates)
    np.testing.assert_allclose(ratio, ratio[0])  # still the strategy's mix


def test_a_budget_buys_its_channel_mix_and_levers_and_spend_inverts_it() -> None:
    prices = Channels()
    s = Strategy(budget=40.0, outbound_share=0.5, access_share=0.4, listening_share=0.1)
    bought = budget.levers(s, prices)
    mix_cost = sum(r * prices.of(c).cost for c, r in zip(CHANNELS, s.rates, strict=True))
    for c in CHANNELS:  # the mix's proportions, scaled so that the outbound money is spent
        assert getattr(bought, f"{c}_rate") == pytest.approx(getattr(s, f"{c}_rate") * 0.5 * 40.0 / mix_cost)
    assert budget.outbound(bought, prices) == pytest.approx(0.5 * 40.0)
    assert bought.inbound_capacity == pytest.approx(0.4 * 40.0 * 1000 / (365 * s.cost_per_ticket))
    assert bought.listening == pytest.approx(0.1 * 40.0 * 1000 / (365 * s.listening_cost))
    assert bought.public_listening == 0.0
    assert budget.spend(bought, prices) == pytest.approx(40.0)  # no lever at its cap: the whole budget is planned
    assert budget.levers(bought, prices).rates == pytest.approx(bought.rates)  # buying again buys the same
    # levers are unchanged without a budget
    assert budget.levers(Strategy(mail_rate=7.0), prices) == Strategy(mail_rate=7.0)


@pytest.mark.parametrize("budget_, shares", [(10.0, (0.3, 0.5, 0.2)), (55.0, (0.6, 0.3, 0.1)),
                                             (200.0, (0.2, 0.7, 0.1))])
@pytest.mark.parametrize("mix", [(6.0, 18.0, 2.0), (40.0, 0.0, 12.0), (0.0, 1.0, 0.0)])
def test_spend_inverts_levers_for_any_mix_below_the_caps(budget_: float, shares: tuple, mix: tuple) -> None:
    prices = Channels()
    s = Strategy(budget=budget_, **dict(zip(("outbound_share", "access_share", "listening_share"), shares)),
                 **{f"{c}_rate": r for c, r in zip(CHANNELS, mix, strict=True)})
    bought = budget.levers(s, prices)
    capped = (max(bought.rates) >= 365 or bought.listening + bought.public_listening >= 2
              or bought.inbound_capacity >= 1000)
    if not capped:
        assert budget.spend(bought, prices) == pytest.approx(budget_)
    ratios = [b / r for b, r in zip(bought.rates, mix, strict=True) if r > 0]
    assert ratios == pytest.approx([ratios[0]] * len(ratios))  # one factor for every channel: the mix is kept


def test_a_mix_of_all_zeros_buys_no_contacts_and_leaves_the_outbound_money_unspent() -> None:
    prices = Channels()
    s = Strategy(budget=20.0, mail_rate=0.0, email_rate=0.0, phone_rate=0.0)
    bought = budget.levers(s, prices)
    assert bought.rates == (0.0, 0.0, 0.0)
    assert budget.spend(bought, prices) == pytest.approx((s.access_share + s.listening_share) * 20.0)


def test_a_mix_of_free_channels_is_bought_up_to_the_most_contacts() -> None:
    free = channel_table(every={"cost": 0.0})
    bought = budget.levers(Strategy(budget=20.0, mail_rate=1.0, email_rate=2.0, phone_rate=0.0), free)
    assert bought.rates == pytest.approx((182.5, 365.0, 0.0))
    capped = budget.levers(Strategy(budget=1e6, outbound_share=1.0, access_share=0.0, listening_share=0.0), Channels())
    assert max(capped.rates) == pytest.approx(365.0)
