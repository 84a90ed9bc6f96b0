"""Customer equity (docs/ODD.md §7.18.1, sim/economics.py): the closed form, its directions, the record.

Directions only: more margin, more equity; a higher hazard (lower trust), less; more relationship spend
per customer, less; more contact-sale margin per customer, more. Nothing here says which strategy earns
more equity.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make_world, run_model, runs, set_trust

from relsim import economics
from relsim.params import Strategy
from relsim.model import RelationshipModel
from relsim.recorder import EQUITY_EVERY


def _b(discount_rate: float = 0.1):
    w = make_world(consumers=10, discount_rate=discount_rate)
    return w.kernel()[1]


@pytest.mark.parametrize("h", [0.0005, 0.01, 0.2])
@pytest.mark.parametrize("rate", [0.0, 0.1, 2.0])
def test_expected_margin_is_the_discounted_survival_weighted_sum(h: float, rate: float) -> None:
    b = _b(rate)
    delta, s = (1 + rate) ** (1 / 365), math.exp(-h)
    brute = sum(12.0 / 30 * s ** k / delta ** k for k in range(1, 200_000))
    assert economics.expected_margin(b, 12.0, h) == pytest.approx(brute, rel=1e-6)
    assert economics.expected_margin.py_func(b, 12.0, h) == pytest.approx(brute, rel=1e-6)


def test_expected_margin_rises_with_margin_and_falls_with_hazard() -> None:
    b = _b()
    margins = [economics.expected_margin(b, m, 0.002) for m in (1.0, 5.0, 12.0)]
    hazards = [economics.expected_margin(b, 12.0, h) for h in (0.0005, 0.002, 0.02)]
    assert margins == sorted(margins) and len(set(margins)) == 3
    assert hazards == sorted(hazards, reverse=True) and len(set(hazards)) == 3
    assert economics.expected_margin(b, 0.0, 0.002) == 0.0
    assert economics.expected_margin(b, -3.0, 0.002) < 0


def test_no_churn_and_no_discounting_is_an_infinite_value() -> None:
    assert economics.expected_margin(_b(0.0), 12.0, 0.0) == math.inf


def _equity(price: float = 30.0, serve_cost: float = 18.0, trust: float = 0.6, day: int = 1, spend: float = 0.0,
            sales: float = 0.0) -> float:
    w = make_world({"price": price, "serve_cost": serve_cost}, consumers=200, provider=0, day=day)
    set_trust(w, trust)
    return economics.customer_equity(w, [spend], [sales])[0] - w.npv[0]


def test_customer_equity_rises_with_price_margin_and_falls_with_hazard() -> None:
    assert _equity(price=25) < _equity(price=30) < _equity(price=40)
    assert _equity(serve_cost=24) < _equity(serve_cost=18)
    assert _equity(trust=0.3) < _equity(trust=0.6) < _equity(trust=0.9)  # lower trust, higher hazard
    assert _equity(price=18, serve_cost=18) == 0.0  # no margin: equity is the NPV


def test_customer_equity_counts_the_relationship_spend_and_the_contact_sales_at_the_current_rates() -> None:
    """All else equal, a higher spend per customer-day is less equity, a higher contact-sale margin more; a day's
    spend of a (per customer) is worth as much as a month's margin of 30 a."""
    assert _equity(spend=0.4) < _equity(spend=0.1) < _equity()
    assert _equity(sales=0.2) > _equity(sales=0.05) > _equity()
    assert _equity(spend=0.2, sales=0.2) == pytest.approx(_equity())  # they offset
    assert _equity(spend=0.1) == pytest.approx(_equity(serve_cost=21.0))  # 0.1 a day = 3 a month of serving cost
    assert economics.net_margin(12.0, 0.1, 0.05) == pytest.approx(12.0 - 3.0 + 1.5)
    assert _equity(price=18, serve_cost=18, spend=0.05) < 0  # a customer who costs more than it brings


def _frozen(**focal) -> RelationshipModel:
    """A 90-day monopoly in which nobody churns or joins: the same customers whatever the firm spends."""
    return run_model(consumers=400, days=90, behaviour={"base_churn": 0.0, "acquisition_rate": 0.0}, **focal)


def test_a_firm_that_spends_more_per_customer_has_less_equity_all_else_equal() -> None:
    """The same customers and hazards (no churn, nothing moves trust but what is compared): listening costs money
    and (with nobody complaining) buys nothing; staffing the same."""
    quiet = dict(problem_rate=0.0, mail_rate=0.0, email_rate=0.0, phone_rate=0.0, prospect_rate=0.0,
                 inbound_capacity=0.0, listening=0.0, public_listening=0.0)
    cheap, dear = _frozen(**quiet), _frozen(**{**quiet, "listening": 1.0, "public_listening": 1.0,
                                               "inbound_capacity": 10.0})
    np.testing.assert_allclose(cheap.world.pos, dear.world.pos)  # the same customers, the same trust
    spend_cheap, _ = cheap.recorder.current_rates(cheap.world)
    spend_dear, _ = dear.recorder.current_rates(dear.world)
    assert spend_cheap[0] == 0.0 and spend_dear[0] > 0.0
    a, b = runs(cheap).iloc[-1], runs(dear).iloc[-1]
    assert b.customer_equity < a.customer_equity
    # the gap beyond the horizon is the spend rate's value: V(m, h) is linear in m
    beyond = (a.customer_equity - a.npv) - (b.customer_equity - b.npv)
    assert beyond > 0 and b.npv < a.npv


def test_future_contact_sales_raise_equity_and_their_cost_lowers_it() -> None:
    """Contacts that sell: the sales' margin at the current rate is in the equity, and so is what the contacts cost."""
    quiet = dict(problem_rate=0.0, email_rate=0.0, phone_rate=0.0, prospect_rate=0.0, inbound_capacity=0.0,
                 listening=0.0, public_listening=0.0)
    model = _frozen(mail_rate=52.0, **quiet)
    spend, sales = model.recorder.current_rates(model.world)
    table = runs(model)
    last30 = table.iloc[-30:]
    customer_days = last30.customers.sum()
    assert spend[0] == pytest.approx(last30.contacts_mail.sum() * model.market.channels.mail.cost / customer_days)
    margin = Strategy().sale_price * (1 - Strategy().sale_cost_share)
    assert sales[0] == pytest.approx(last30.sales_mail.sum() * margin / customer_days)
    assert sales[0] > 0 and spend[0] > 0
    product_only = economics.customer_equity(model.world)[0]
    assert table.iloc[-1].customer_equity == pytest.approx(economics.customer_equity(model.world, spend, sales)[0])
    assert (table.iloc[-1].customer_equity > product_only) == (sales[0] > spend[0])


def test_customer_equity_is_discounted_to_day_0_like_the_npv() -> None:
    assert _equity(day=366) == pytest.approx(_equity(day=1) * 1.1 ** (-365 / 365), rel=1e-9)


def test_customer_equity_is_recorded_on_sampled_days_and_the_last_day() -> None:
    model = run_model(consumers=300, days=65)
    table = runs(model)
    recorded = table.loc[table["customer_equity"].notna(), "day"].tolist()
    assert recorded == [d for d in range(1, 66) if d % EQUITY_EVERY == 0 or d == 65]
    last = table.iloc[-1]
    assert last["customer_equity"] == pytest.approx(model.recorder.equity(model.world)[0])
    assert last["customer_equity"] > last["npv"]  # positive net margin, customers held


def test_both_engines_record_customer_equity() -> None:
    for engine in ("vectorized", "agents"):
        model = RelationshipModel(days=31, consumers=40, rng=3, engine=engine)
        for _ in range(31):
            model.step()
        table = model.recorder.runs()
        assert np.isfinite(table.loc[table["day"].isin([30, 31]), "customer_equity"]).all()
        assert table.loc[table["day"] == 29, "customer_equity"].isna().all()
