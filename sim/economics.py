"""Firm accounting: revenue, costs, profit and discounted value.

Per firm f and day t, with C_f customers at the end of the day:

    revenue = C_f price_f / 30 + fees charged today
    cost    = C_f (serve_cost_f - assortment_saving_f s_f [t >= cut_day_f]) / 30
              + contacts x cost_per_contact + staffed slots x cost_per_ticket
              + answered complaints x cost_per_answer
              + (listening_f + public_listening_f) x listening_cost_f x C_f / 1000
    profit  = revenue - cost,       npv += profit / (1 + discount_rate)^(t / 365)

Support capacity is paid for whether or not it is used: staffed slots are inbound_capacity_f per
1,000 customers a day (sim/support.py).
"""

from __future__ import annotations

from numba import njit

from relsim.world import N_ANSWERED, N_CONTACTS, N_COST, N_FEES, N_REVENUE, N_STAFFED, World


def account(w: World) -> None:
    """Book today's revenue, cost and profit, and add the discounted profit to the firm's NPV."""
    _account(*w.kernel())


@njit(cache=True)
def _account(s, b, fa) -> None:
    day, today = s.clock[0], s.today_arr
    for f in range(len(fa.price)):
        customers = s.firm_customers[f]
        cut = fa.assortment_cut[f] if day >= max(fa.cut_day[f], 1.0) else 0.0
        serve = max(fa.serve_cost[f] - fa.assortment_saving[f] * cut, 0.0)
        today[N_REVENUE, f] = customers * fa.price[f] / 30.0 + today[N_FEES, f]
        today[N_COST, f] = (customers * serve / 30.0
                            + today[N_CONTACTS, f] * fa.cost_per_contact[f]
                            + today[N_STAFFED, f] * fa.cost_per_ticket[f]
                            + today[N_ANSWERED, f] * fa.cost_per_answer[f]
                            + (fa.listening[f] + fa.public_listening[f]) * fa.listening_cost[f] * customers / 1000.0)
        s.npv[f] += (today[N_REVENUE, f] - today[N_COST, f]) / (1.0 + b.discount_rate) ** (day / 365.0)
