"""Economics (sim/economics.py): profit is revenue minus cost every day, staffed capacity costs money,
spend is what lies beyond serving and goods, and NPV accumulates discounted profit.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MAIL_ONLY, make_world, run_model, runs

from relsim import economics, support
from relsim.params import CHANNELS, Strategy


def test_profit_is_revenue_minus_cost_every_day() -> None:
    m = run_model(consumers=400, days=60, rivals=[{}], nuisance_fee=3.0, support_fee=5.0, support_free_days=10,
                  public_listening=0.5, assortment_cut=0.3, cut_day=20)
    table = runs(m, firm=None)
    np.testing.assert_allclose(table.revenue - table.cost, table.profit, rtol=0, atol=1e-9)
    assert table.fees.sum() > 0
    assert table.sales_revenue.sum() > 0
    np.testing.assert_allclose(table.revenue, table.customers * 30.0 / 30.0 + table.fees + table.sales_revenue,
                               rtol=1e-12)
    np.testing.assert_allclose(table.sales_revenue, table.contact_sales * Strategy().sale_price, rtol=1e-12)


def test_staffed_capacity_costs_money_even_without_calls() -> None:
    cost = {}
    for capacity in (0.0, 10.0):
        w = make_world({"inbound_capacity": capacity, "problem_rate": 0.0, "mail_rate": 0.0, **MAIL_ONLY,
                        "listening": 0.0,
                        "serve_cost": 0.0, "cost_per_ticket": 5.0}, consumers=1000, provider=0)
        support.seek_support(w)
        economics.account(w)
        assert w.today["tickets"][0] == 0
        cost[capacity] = w.today["cost"][0]
    assert cost[0.0] == 0
    assert cost[10.0] == pytest.approx(10.0 * 1000 / 1000 * 5.0)


def test_spend_is_the_cost_beyond_serving_and_the_goods_of_contact_sales() -> None:
    m = run_model(consumers=400, days=60, rivals=[{}], listening=0.5, public_listening=0.5)
    table = runs(m, firm=None)
    serving = table.customers * Strategy().serve_cost / 30.0
    goods = table.sales_revenue * Strategy().sale_cost_share
    np.testing.assert_allclose(table.spend, table.cost - serving - goods, rtol=1e-9, atol=1e-9)
    assert (table.spend > 0).all()


def test_contacts_cost_the_markets_price_of_their_channel() -> None:
    m = run_model(consumers=400, days=60, rivals=[{}], inbound_capacity=0.0, listening=0.0, public_listening=0.0)
    table = runs(m, firm=None)
    prices = m.market.channels
    contacts_ = sum(table[f"contacts_{c}"] * prices.of(c).cost for c in CHANNELS)
    prospecting = table.prospect_contacts * prices.mail.cost
    answers = table.complaints_answered * Strategy().cost_per_answer
    focal = table.firm == 0
    np.testing.assert_allclose(table.spend[focal], (contacts_ + prospecting + answers)[focal], rtol=1e-9)
    np.testing.assert_array_equal(table.contacts,
                                  sum(table[f"contacts_{c}"] for c in CHANNELS) + table.prospect_contacts)
    np.testing.assert_array_equal(table.contact_sales, sum(table[f"sales_{c}"] for c in CHANNELS))
    assert all(table[f"sales_{c}"].sum() > 0 for c in CHANNELS)


def test_npv_accumulates_discounted_profit() -> None:
    m = run_model(consumers=300, days=40)
    table = runs(m)
    r = m.market.discount_rate
    discounted = table.profit / (1 + r) ** (table.day / 365.0)
    np.testing.assert_allclose(table.npv, discounted.cumsum(), rtol=1e-9)
