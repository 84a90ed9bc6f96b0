"""Outbound contacts, contact load against capacity, and data requests (article ideas 1 and 2).

"They can call me at dinner, but I can't reach them on the phone. They can send me a hundred pieces
of mail a year." Firms contact customers at `contact_rate` and prospects at `prospect_rate` (per
year); other firms outside the model add `clutter_rate` contacts per 30 days. Each consumer's
contact load is an exponentially weighted count of contacts over `load_days`, counted over all
firms, where a contact of a firm using c channels weighs 1 + channel_reactance (c - 1) (more
channels make the downturn come sooner: Godfrey, Seiders & Voss 2011).

For a contact of firm f with intrusiveness i_f to consumer n with tolerance t_n:

    positive evidence = contact_value (1 - i_f)                      if load_n <= capacity_n, else 0
    negative evidence = (1 - t_n) (intrusion_weight i_f + burden_weight [load_n > capacity_n])
    stress           += stress_burden (1 - t_n)                      if load_n > capacity_n

One-way contact never raises intimacy: only two-way exchanges do (sim/trust.py).
"""

from __future__ import annotations

import numpy as np

from sim.world import World


def contact(w: World) -> None:
    """Firms contact customers and prospects; the load over all firms decides welcome or burden."""
    b, fa = w.market.behaviour, w.firms
    n, n_firms = w.n, w.n_firms
    rng = w.rng["contacts"]
    is_customer = w.provider[:, None] == np.arange(n_firms)
    rate = np.where(is_customer, fa.contact_rate, fa.prospect_rate) / 365.0
    hit = rng.random((n, n_firms)) < rate
    clutter = rng.random(n) < min(1.0, b.clutter_rate / 30.0)
    w.contacted[:] = hit
    rows, firms = np.nonzero(hit)
    w.count("contacts", firms)

    weight = 1.0 + b.channel_reactance * (fa.channels - 1)
    w.load *= np.exp(-1.0 / b.load_days)
    w.load += hit @ weight + clutter
    burdened = (w.load > w.traits.contact_capacity)[rows]
    intrusive = fa.intrusiveness[firms]
    impatience = 1.0 - w.traits.contact_tolerance[rows]
    w.add("positive", "contacts", rows, firms, b.contact_value * (1 - intrusive) * ~burdened)
    w.add("negative", "contacts", rows, firms,
          impatience * (b.intrusion_weight * intrusive + b.burden_weight * burdened), direct=True)
    np.add.at(w.stress_in, rows[burdened], b.stress_burden * impatience[burdened])


def request_data(w: World) -> None:
    """Firms ask customers for information they put to no visible use: effort, nothing back."""
    b = w.market.behaviour
    u = w.rng["contacts"].random(w.n)
    rows = np.flatnonzero((w.provider >= 0) & (u < w.firms.data_requests[w.provider] / 365.0))
    firms = w.provider[rows]
    w.add("negative", "data_requests", rows, firms, b.data_request_weight, direct=True)
    w.stress_in[rows] += b.stress_data
