"""Firm accounting: revenue, costs, profit and discounted value (docs/ODD.md §7.18).

Per firm f and day t, with C_f customers at the end of the day:

    revenue = C_f price_f / 30 + fees charged today + contact sales today (sim/contacts.py)
    spend   = contacts x cost_per_contact + staffed slots x cost_per_ticket
              + answered complaints x cost_per_answer
              + (listening_f + public_listening_f) x listening_cost_f x C_f / 1000
    cost    = C_f max(serve_cost_f - assortment_saving_f s_f, 0) / 30 + sale_cost_share_f x contact sales + spend
    profit  = revenue - cost,       npv += profit / (1 + discount_rate)^(t / 365)

`spend` is the firm's relationship (and prospecting) spend, recorded on its own: what a budget buys
(sim/budget.py) plus the answers, which are paid as they come.

Support capacity is paid for whether or not it is used: staffed slots are inbound_capacity_f per
1,000 customers a day (sim/support.py). s_f is the share of the assortment cut so far (`cut_share`:
0 until the firm's cut day, sim/assortment.py).

Customer equity (docs/ODD.md §7.18.1; Rust, Lemon & Zeithaml 2004, J. Marketing 68(1); the
margin x retention / (1 + d - r) form of Gupta, Lehmann & Stuart 2004, J. Marketing Research 41(1)).
At the end of day t, the NPV to date plus the expected discounted margin of the customers held:

    equity_f(t) = npv_f(t) + (1 + discount_rate)^(-t / 365) sum_n V(m_f, h_n)
    V(m, h)     = sum_{k >= 1} m/30 (s / delta)^k = m/30 s / (delta - s),
    s = exp(-h),  delta = (1 + discount_rate)^(1 / 365),
    m_f = price_f + nuisance_fee_f - max(serve_cost_f - assortment_saving_f s_f, 0)   (a month)

h_n is customer n's churn hazard today (sim/churn.py:hazard, from its trust, stress, intimacy,
propensity and price), held constant: the customer pays day t+k's margin if it survives k more daily
churn draws (probability s^k), and day t+k's money is worth delta^-k of day t's, as in the NPV. V is
infinite when s = delta (no churn and no discounting). Contacts, staffing, answers, listening,
support fees and future customers are not in m_f (docs/ODD.md §7.18.1 says why).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .churn import customer_hazard, hazard_inputs
from .world import (N_ANSWERED, N_CONTACTS, N_COST, N_FEES, N_REVENUE, N_SALES_REVENUE, N_SPEND, N_STAFFED,
                    World)


@njit(cache=True, inline="always")
def revenue(customers: int, price: float, fees: float, sales: float) -> float:
    """A day's revenue: C price / 30 + the fees charged today + today's contact sales."""
    return customers * price / 30.0 + fees + sales


@njit(cache=True, inline="always")
def cost_of_goods(sales: float, cost_share: float) -> float:
    """The cost of goods of today's contact sales: sale_cost_share x their revenue."""
    return sales * cost_share


@njit(cache=True, inline="always")
def serve_cost(serve: float, saving: float, cut: float) -> float:
    """The monthly cost to serve a customer: serve_cost - assortment_saving x cut, at least 0."""
    return max(serve - saving * cut, 0.0)


@njit(cache=True, inline="always")
def relationship_spend(customers: int, contacts: float, cost_per_contact: float, slots: float,
                       cost_per_ticket: float, answered: float, cost_per_answer: float, listening: float,
                       public_listening: float, listening_cost: float) -> float:
    """A day's relationship spend: contacts, staffed slots, answers and listening."""
    return (contacts * cost_per_contact
            + slots * cost_per_ticket
            + answered * cost_per_answer
            + (listening + public_listening) * listening_cost * customers / 1000.0)


@njit(cache=True, inline="always")
def cost(customers: int, serve: float, spend: float, cost_of_sales: float) -> float:
    """A day's cost: serving (serve a month per customer), the relationship spend and the contact sales' goods."""
    return customers * serve / 30.0 + spend + cost_of_sales


@njit(cache=True, inline="always")
def discounted(b, profit: float, day: int) -> float:
    """A day's profit in day-0 money: profit / (1 + discount_rate)^(day / 365)."""
    return profit / (1.0 + b.discount_rate) ** (day / 365.0)


def account(w: World) -> None:
    """Book today's revenue, cost and profit, and add the discounted profit to the firm's NPV."""
    _account(*w.kernel())


@njit(cache=True)
def _account(s, b, fa) -> None:
    day, today = s.clock[0], s.today_arr
    for f in range(len(fa.price)):
        customers = s.firm_customers[f]
        serve = serve_cost(fa.serve_cost[f], fa.assortment_saving[f], s.cut_share[f])
        sales = today[N_SALES_REVENUE, f]
        today[N_REVENUE, f] = revenue(customers, fa.price[f], today[N_FEES, f], sales)
        today[N_SPEND, f] = relationship_spend(customers, today[N_CONTACTS, f], fa.cost_per_contact[f],
                                               today[N_STAFFED, f], fa.cost_per_ticket[f], today[N_ANSWERED, f],
                                               fa.cost_per_answer[f], fa.listening[f], fa.public_listening[f],
                                               fa.listening_cost[f])
        today[N_COST, f] = cost(customers, serve, today[N_SPEND, f], cost_of_goods(sales, fa.sale_cost_share[f]))
        s.npv[f] += discounted(b, today[N_REVENUE, f] - today[N_COST, f], day)


@njit(cache=True, inline="always")
def margin(price: float, nuisance_fee: float, serve: float) -> float:
    """A customer's monthly margin m = price + nuisance fee - serving cost (serve from `serve_cost`)."""
    return price + nuisance_fee - serve


@njit(cache=True, inline="always")
def expected_margin(b, monthly_margin: float, h: float) -> float:
    """Expected future margin of a customer with constant daily churn hazard h, in today's money.

    V = sum_{k>=1} m/30 (s/delta)^k = m/30 s / (delta - s), s = exp(-h), delta = (1 + discount_rate)^(1/365)
    (infinite, with the margin's sign, when s = delta: no churn and no discounting).
    """
    s, delta = math.exp(-h), (1.0 + b.discount_rate) ** (1.0 / 365.0)
    if delta - s <= 0.0:
        return math.copysign(math.inf, monthly_margin) if monthly_margin != 0.0 else 0.0
    return monthly_margin / 30.0 * s / (delta - s)


def customer_equity(w: World) -> np.ndarray:
    """Each firm's customer equity today (NPV to date + expected discounted margin of its customers)."""
    s, b, fa = w.kernel()
    out = np.empty(w.n_firms)
    _equity(s, b, fa, out)
    return out


def customer_values(w: World) -> np.ndarray:
    """What each firm's customers are worth today, in today's money: the sum of V(m_f, h_n) over them."""
    s, b, fa = w.kernel()
    out = np.empty(w.n_firms)
    _values(s, b, fa, out)
    return out


@njit(cache=True)
def _equity(s, b, fa, out) -> None:
    """out[f] = npv_f + today's value, discounted to day 0, of firm f's customers at their hazards today."""
    _values(s, b, fa, out)
    for f in range(len(out)):
        out[f] = s.npv[f] + discounted(b, out[f], s.clock[0])


@njit(cache=True)
def _values(s, b, fa, values) -> None:
    """values[f] = sum of V(m_f, h_n) over firm f's customers n, at their hazards today (today's money)."""
    n_firms = len(fa.price)
    values[:] = 0.0
    margins = np.empty(n_firms)
    for f in range(n_firms):
        margins[f] = margin(fa.price[f], fa.nuisance_fee[f],
                            serve_cost(fa.serve_cost[f], fa.assortment_saving[f], s.cut_share[f]))
    provider, inputs = s.provider, hazard_inputs(s, b, fa)
    for n in range(provider.shape[0]):
        f = provider[n]
        if f < 0:
            continue
        values[f] += expected_margin(b, margins[f], customer_hazard(b, inputs, n, f))
