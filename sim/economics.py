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

import numpy as np

from sim.world import World


def account(w: World) -> None:
    """Book today's revenue, cost and profit, and add the discounted profit to the firm's NPV."""
    fa, today = w.firms, w.today
    customers = w.customers
    cut = fa.assortment_cut * (w.day >= np.maximum(fa.cut_day, 1))
    serve = np.maximum(fa.serve_cost - fa.assortment_saving * cut, 0.0)
    today["revenue"] = customers * fa.price / 30.0 + today["fees"]
    today["cost"] = (customers * serve / 30.0
                     + today["contacts"] * fa.cost_per_contact
                     + today["staffed"] * fa.cost_per_ticket
                     + today["complaints_answered"] * fa.cost_per_answer
                     + (fa.listening + fa.public_listening) * fa.listening_cost * customers / 1000.0)
    w.npv += (today["revenue"] - today["cost"]) / (1 + w.market.discount_rate) ** (w.day / 365.0)
