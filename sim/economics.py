"""Firm accounting: revenue, costs, profit, discounted value and customer equity (docs/ODD.md §7.18).

Per firm f and day t, with C_f customers at the end of the day:

    revenue  = C_f price_f / 30 + fees charged today + contact sales today (sim/contacts.py)
    outbound = sum_c contacts to customers by channel c x cost_c + prospect contacts x cost of the prospecting channel
    spend    = outbound + staffed slots x cost_per_ticket + answered complaints x cost_per_answer
               + (listening_f + public_listening_f) x listening_cost_f x C_f / 1000
    cost     = C_f max(serve_cost_f - assortment_saving_f s_f, 0) / 30 + sale_cost_share_f x contact sales + spend
    profit   = revenue - cost,       npv += profit / (1 + discount_rate)^(t / 365)

cost_c is the market's price of a contact in channel c (Market.channels; `b.channel_cost`). `spend` is
the firm's relationship (and prospecting) spend, recorded on its own: what a budget buys
(sim/budget.py) plus the answers, which are paid as they come, plus prospecting.

Support capacity is paid for whether or not it is used: staffed slots are inbound_capacity_f per
1,000 customers a day (sim/support.py). s_f is the share of the assortment cut so far (`cut_share`:
0 until the firm's cut day, sim/assortment.py).

Customer equity (docs/ODD.md §7.18.1; Rust, Lemon & Zeithaml 2004, J. Marketing 68(1); the
margin x retention / (1 + d - r) form of Gupta, Lehmann & Stuart 2004, J. Marketing Research 41(1),
with the margin net of the spending that keeps the customer, as in Gupta & Lehmann 2003, J. Interactive
Marketing 17(1)). At the end of day t, the NPV to date plus the expected discounted net margin of the
customers held:

    equity_f(t) = npv_f(t) + (1 + discount_rate)^(-t / 365) sum_n V(m'_f, h_n)
    V(m, h)     = sum_{k >= 1} m/30 (s / delta)^k = m/30 s / (delta - s),
    s = exp(-h),  delta = (1 + discount_rate)^(1 / 365),
    m_f  = price_f + nuisance_fee_f - max(serve_cost_f - assortment_saving_f s_f, 0)     (product margin, a month)
    m'_f = m_f + 30 (g_f - a_f)                                                           (net margin, a month)

a_f is the firm's current relationship spend on its customers per customer-day (contacts to customers,
staffing, answers, listening: `spend` less prospecting) and g_f its current contact-sale margin per
customer-day (sales_revenue x (1 - sale_cost_share)), both over the last RATE_DAYS days recorded
(sim/recorder.py sums them from the recorded columns, so both engines share them). h_n is customer
n's churn hazard today (sim/churn.py:hazard, from its trust, stress, intimacy, propensity and price),
held constant: the customer pays day t+k's net margin if it survives k more daily churn draws
(probability s^k), and day t+k's money is worth delta^-k of day t's, as in the NPV. V is infinite when
s = delta (no churn and no discounting). Support fees, prospecting and future customers are not in
m'_f (docs/ODD.md §7.18.1 says why).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .churn import customer_hazard, hazard_inputs
from .world import (L_NUISANCE_FEE, N_ANSWERED, N_CHANNEL_CONTACTS, N_CHANNELS, N_COST, N_FEES, N_PROSPECT_CONTACTS,
                    N_REVENUE, N_SALES_REVENUE, N_SPEND, N_STAFFED, PROSPECT, World)

#: Days over which a firm's current relationship spend and contact-sale margin per customer-day are
#: measured for its customer equity (the last RATE_DAYS recorded days, fewer at the start of a run).
RATE_DAYS = 30


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


@njit(cache=True)
def outbound_spend(b, contacts, prospect_contacts: float) -> float:
    """A day's outbound spend: sum_c contacts_c cost_c (to customers, by channel) + prospect contacts x the
    prospecting channel's cost. `contacts` holds the day's contacts to customers in the order of CHANNELS."""
    total = 0.0
    for c in range(N_CHANNELS):
        total += contacts[c] * b.channel_cost[c]
    return total + prospect_contacts * b.channel_cost[PROSPECT]


@njit(cache=True, inline="always")
def relationship_spend(customers: int, outbound: float, slots: float, cost_per_ticket: float, answered: float,
                       cost_per_answer: float, listening: float, public_listening: float,
                       listening_cost: float) -> float:
    """A day's relationship spend: outbound contacts (`outbound_spend`), staffed slots, answers and listening."""
    return (outbound
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
        outbound = outbound_spend(b, today[N_CHANNEL_CONTACTS: N_CHANNEL_CONTACTS + N_CHANNELS, f],
                                  today[N_PROSPECT_CONTACTS, f])
        today[N_SPEND, f] = relationship_spend(customers, outbound, today[N_STAFFED, f], fa.cost_per_ticket[f],
                                               today[N_ANSWERED, f], fa.cost_per_answer[f], fa.listening[f],
                                               fa.public_listening[f], fa.listening_cost[f])
        today[N_COST, f] = cost(customers, serve, today[N_SPEND, f], cost_of_goods(sales, fa.sale_cost_share[f]))
        s.npv[f] += discounted(b, today[N_REVENUE, f] - today[N_COST, f], day)
    if s.observe[1]:
        _book_accounts(s, fa)


@njit(cache=True)
def _book_accounts(s, fa) -> None:
    """Customer accounts (RelationshipModel(accounts=True); docs/ODD.md §7.18.2): each of today's customers adds a
    day of its margin less listening, (price - serve cost) / 30 - (listening + public_listening) listening_cost
    / 1000. With what the day's phases booked (a contact's cost and sale margin, fees, an answer's cost, the cell's
    staffing cost per customer), the accounts of a firm's consumers add up to its profit less prospecting."""
    for n in range(s.provider.shape[0]):
        f = s.provider[n]
        if f >= 0:
            serve = serve_cost(fa.serve_cost[f], fa.assortment_saving[f], s.cut_share[f])
            s.account[n, f] += ((fa.price[f] - serve) / 30.0
                                - (fa.listening[f] + fa.public_listening[f]) * fa.listening_cost[f] / 1000.0)


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


@njit(cache=True, inline="always")
def customer_spend(b, spend: float, prospect_contacts: float) -> float:
    """The part of a day's spend that goes to customers: spend - prospect contacts x the prospecting channel's cost."""
    return spend - prospect_contacts * b.channel_cost[PROSPECT]


@njit(cache=True, inline="always")
def sales_margin(sales_revenue: float, cost_share: float) -> float:
    """The margin of a day's contact sales: sales_revenue x (1 - sale_cost_share)."""
    return sales_revenue * (1.0 - cost_share)


@njit(cache=True, inline="always")
def per_customer_day(total: float, customer_days: float) -> float:
    """A current rate: an amount over the last RATE_DAYS days / the customer-days in them (0 without customers)."""
    return total / customer_days if customer_days > 0.0 else 0.0


@njit(cache=True, inline="always")
def net_margin(monthly_margin: float, spend_rate: float, sales_rate: float) -> float:
    """m' = m + 30 (g - a): a customer's monthly product margin, plus the contact-sale margin g, less the
    relationship spend a, both per customer-day at the firm's current rates."""
    return monthly_margin + 30.0 * (sales_rate - spend_rate)


def customer_equity(w: World, spend_rate=None, sales_rate=None) -> np.ndarray:
    """Each firm's customer equity today: NPV to date + the expected discounted net margin of its customers.

    `spend_rate` and `sales_rate` are each firm's current relationship spend and contact-sale margin per
    customer-day (default 0: the product margin only); the recorder measures them (Recorder.equity).
    """
    s, b, fa = w.kernel()
    spend = np.zeros(w.n_firms) if spend_rate is None else np.asarray(spend_rate, dtype=float)
    sales = np.zeros(w.n_firms) if sales_rate is None else np.asarray(sales_rate, dtype=float)
    out = np.empty(w.n_firms)
    _equity(s, b, fa, spend, sales, out)
    return out


def customer_values(w: World) -> np.ndarray:
    """What each firm's customers are worth today at the product margin, in today's money: the sum of
    V(m_f, h_n) over them (a learning firm's estimate, sim/learning.py, starts from it)."""
    s, b, fa = w.kernel()
    margins, out = np.empty(w.n_firms), np.empty(w.n_firms)
    _margins(s, fa, margins)
    _values(s, b, fa, margins, out)
    return out


@njit(cache=True)
def _margins(s, fa, out) -> None:
    """out[f] = m_f, firm f's monthly product margin today (price + nuisance fee - serving cost after any cut)."""
    for f in range(len(out)):
        out[f] = margin(fa.price[f], fa.nuisance_fee[f],
                        serve_cost(fa.serve_cost[f], fa.assortment_saving[f], s.cut_share[f]))


@njit(cache=True)
def _equity(s, b, fa, spend_rate, sales_rate, out) -> None:
    """out[f] = npv_f + today's value, discounted to day 0, of firm f's customers at their hazards today, each
    worth its firm's net margin m'_f (the product margin plus contact sales less relationship spend)."""
    margins = np.empty(len(out))
    _margins(s, fa, margins)
    for f in range(len(out)):
        margins[f] = net_margin(margins[f], spend_rate[f], sales_rate[f])
    _values(s, b, fa, margins, out)
    for f in range(len(out)):
        out[f] = s.npv[f] + discounted(b, out[f], s.clock[0])


@njit(cache=True)
def _values(s, b, fa, margins, values) -> None:
    """values[f] = sum of V(margins[f], h_n) over firm f's customers n, at their hazards today (today's money)."""
    values[:] = 0.0
    provider, inputs, cell = s.provider, hazard_inputs(s, b, fa), s.cell
    for n in range(provider.shape[0]):
        f = provider[n]
        if f < 0:
            continue
        m = margins[f]
        if cell[n]:  # a segment's own nuisance fee (docs/ODD.md §7.22)
            m += fa.cell_lever[f, cell[n], L_NUISANCE_FEE] - fa.nuisance_fee[f]
        values[f] += expected_margin(b, m, customer_hazard(b, inputs, n, f))
