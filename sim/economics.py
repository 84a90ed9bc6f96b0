"""Firm accounting: revenue, costs, profit and discounted value (docs/ODD.md §7.18).

Per firm f and day t, with C_f customers at the end of the day:

    revenue = C_f price_f / 30 + fees charged today
    cost    = C_f max(serve_cost_f - assortment_saving_f s_f, 0) / 30
              + contacts x cost_per_contact + staffed slots x cost_per_ticket
              + answered complaints x cost_per_answer
              + (listening_f + public_listening_f) x listening_cost_f x C_f / 1000
    profit  = revenue - cost,       npv += profit / (1 + discount_rate)^(t / 365)

Support capacity is paid for whether or not it is used: staffed slots are inbound_capacity_f per
1,000 customers a day (sim/support.py). s_f is the share of the assortment cut so far (`cut_share`:
0 until the firm's cut day, sim/assortment.py).
"""

from __future__ import annotations

from numba import njit

from relsim.world import N_ANSWERED, N_CONTACTS, N_COST, N_FEES, N_REVENUE, N_STAFFED, World


@njit(cache=True, inline="always")
def revenue(customers: int, price: float, fees: float) -> float:
    """A day's revenue: C price / 30 + the fees charged today."""
    return customers * price / 30.0 + fees


@njit(cache=True, inline="always")
def serve_cost(serve: float, saving: float, cut: float) -> float:
    """The monthly cost to serve a customer: serve_cost - assortment_saving x cut, at least 0."""
    return max(serve - saving * cut, 0.0)


@njit(cache=True, inline="always")
def cost(customers: int, serve: float, contacts: float, cost_per_contact: float, slots: float,
         cost_per_ticket: float, answered: float, cost_per_answer: float, listening: float,
         public_listening: float, listening_cost: float) -> float:
    """A day's cost: serving, contacts, staffed slots, answers and listening."""
    return (customers * serve / 30.0
            + contacts * cost_per_contact
            + slots * cost_per_ticket
            + answered * cost_per_answer
            + (listening + public_listening) * listening_cost * customers / 1000.0)


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
        today[N_REVENUE, f] = revenue(customers, fa.price[f], today[N_FEES, f])
        today[N_COST, f] = cost(customers, serve, today[N_CONTACTS, f], fa.cost_per_contact[f], today[N_STAFFED, f],
                                fa.cost_per_ticket[f], today[N_ANSWERED, f], fa.cost_per_answer[f], fa.listening[f],
                                fa.public_listening[f], fa.listening_cost[f])
        s.npv[f] += discounted(b, today[N_REVENUE, f] - today[N_COST, f], day)
