"""Outbound contacts, contact load against capacity, and data requests (article ideas 1 and 2).

"They can call me at dinner, but I can't reach them on the phone. They can send me a hundred pieces
of mail a year." Firms contact customers at `contact_rate` and prospects at `prospect_rate` (per
year); other firms outside the model add `clutter_rate` contacts per 30 days. Each consumer's
contact load is an exponentially weighted count of contacts over `load_days`, counted over all
firms, where a contact of a firm using c channels weighs 1 + channel_reactance (c - 1) (more
channels make the downturn come sooner: Godfrey, Seiders & Voss 2011):

    L_n <- L_n exp(-1/load_days) + sum_f [f contacts n] w_f + [clutter]

For a contact of firm f with intrusiveness i_f to consumer n with tolerance t_n:

    positive evidence = contact_value (1 - i_f)                      if L_n <= capacity_n, else 0
    negative evidence = (1 - t_n) (intrusion_weight i_f + burden_weight [L_n > capacity_n])
    stress           += stress_burden (1 - t_n)                      if L_n > capacity_n

One-way contact never raises intimacy: only two-way exchanges do (sim/intimacy.py).

Contact response (docs/ODD.md §7.2.1). A contact of firm f to its own customer n can bring a sale
(a cross-sell, upgrade, renewal or repeat purchase) with probability

    r_nf = response_rate x fit_nf x T_nf x capacity_n / (capacity_n + L_n)

(T_nf trust at the start of the day, L_n the updated load): it rises with fit and trust and halves
when the load reaches the consumer's capacity. A sale brings sale_price_f of revenue and
sale_cost_share_f x sale_price_f of cost of goods (sim/economics.py); it is counted on its own
(`contact_sales`, `sales_revenue`).

Sampling of the response: one uniform per contact to a customer, keyed by (consumer, firm, day) on
the `response` stream (rand.keyed_uniform): the stream is never advanced, so a customer contacted by
the same firm on the same day in two arms responds or not alike whenever its chance is the same, and
more often in the arm where it is higher (common random numbers, as far as the contacts coincide).

Sampling (docs/ODD.md §7.2). Each day firm f contacts each consumer with probability p_nf =
contact_rate_f/365 (customers) or prospect_rate_f/365 (prospects). The engine walks each firm's
contacts with geometric skips at p_max = max of the two and keeps a candidate with probability
p_nf / p_max (thinning), so it draws per contact, not per pair; each firm has its own stream.
Clutter is walked the same way on its own stream, so it is the same in every arm.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .rand import keyed_uniform, skip, uniform
from .trust import beta_mean, kept, prior
from .world import (CONTACTS, DATA_REQUESTS, N_CONTACTS, N_SALES, N_SALES_REVENUE, R_CLUTTER, R_CONTACTS,
                    R_RESPONSE, World, add, add_to, ledger_of)


@njit(cache=True, inline="always")
def load_weight(b, channels: float) -> float:
    """w_f = 1 + channel_reactance (c - 1): the load one contact of a firm using c channels adds."""
    return 1.0 + b.channel_reactance * (channels - 1.0)


@njit(cache=True, inline="always")
def clutter_chance(b) -> float:
    """The daily probability of a contact from firms outside the model: min(1, clutter_rate / 30)."""
    return min(1.0, b.clutter_rate / 30.0)


@njit(cache=True, inline="always")
def burdened(load: float, capacity: float) -> bool:
    """A contact is a burden when the consumer's updated load exceeds its capacity."""
    return load > capacity


@njit(cache=True, inline="always")
def welcome(b, intrusiveness: float) -> float:
    """Positive evidence of a contact that is not a burden: contact_value (1 - i_f)."""
    return b.contact_value * (1.0 - intrusiveness)


@njit(cache=True, inline="always")
def intrusion(b, intrusiveness: float, tolerance: float, burden: bool) -> float:
    """Negative evidence of a contact: (1 - t_n)(intrusion_weight i_f + burden_weight [burden])."""
    return (1.0 - tolerance) * (b.intrusion_weight * intrusiveness + b.burden_weight * burden)


@njit(cache=True, inline="always")
def burden_stress(b, tolerance: float) -> float:
    """Stress of a contact beyond capacity: stress_burden (1 - t_n)."""
    return b.stress_burden * (1.0 - tolerance)


@njit(cache=True, inline="always")
def response_chance(b, fit: float, trust: float, load: float, capacity: float) -> float:
    """The chance that a contact brings a sale: response_rate fit T capacity / (capacity + L)."""
    room = capacity / (capacity + load) if capacity + load > 0.0 else 1.0
    return b.response_rate * fit * trust * room


def contact(w: World) -> None:
    """Firms contact customers and prospects; the load over all firms decides welcome or burden."""
    _contact(*w.kernel())


@njit(cache=True)
def _contact(s, b, fa) -> None:
    n_consumers, n_firms = s.pos.shape
    decay, load, provider, contacted, pairs = kept(b.load_days), s.load, s.provider, s.contacted, s.pairs
    for n in range(n_consumers):
        load[n] *= decay
    # who is contacted today, and the load it adds (all of today's contacts before any is judged)
    k = 0
    for f in range(n_firms):
        p_customer, p_prospect = fa.contact_rate[f] / 365.0, fa.prospect_rate[f] / 365.0
        p_max = max(p_customer, p_prospect)
        st = s.contact_streams[f]
        weight = load_weight(b, fa.channels[f])
        log_q = np.log1p(-p_max)
        n = skip(st, log_q) - 1
        while n < n_consumers:
            keep = True
            if p_customer != p_prospect:  # thinning: always one draw, so the stream stays paired
                p = p_customer if provider[n] == f else p_prospect
                keep = uniform(st) * p_max < p
            if keep:
                contacted[n, f] = True
                load[n] += weight
                pairs[k] = n * n_firms + f
                k += 1
            n += skip(st, log_q)
    st = s.streams[R_CLUTTER]
    log_q = np.log1p(-clutter_chance(b))
    n = skip(st, log_q) - 1
    while n < n_consumers:
        load[n] += 1.0
        n += skip(st, log_q)
    # each contact is welcome or a burden, by the updated load; a contact to a customer may sell
    day, key, today, ledger = s.clock[0], s.streams[R_RESPONSE], s.today_arr, ledger_of(s)
    capacity, tolerances, stress_in, fit, pos, neg = (s.contact_capacity, s.contact_tolerance, s.stress_in, s.fit,
                                                      s.pos, s.neg)
    intrusiveness, sale_price, a0 = fa.intrusiveness, fa.sale_price, prior(b)
    for j in range(k):
        n, f = pairs[j] // n_firms, pairs[j] % n_firms
        today[N_CONTACTS, f] += 1
        burden = burdened(load[n], capacity[n])
        intrusive, tolerance = intrusiveness[f], tolerances[n]
        if not burden:
            add_to(ledger, True, CONTACTS, n, f, welcome(b, intrusive), False)
        add_to(ledger, False, CONTACTS, n, f, intrusion(b, intrusive, tolerance, burden), True)
        if burden:
            stress_in[n] += burden_stress(b, tolerance)
        if provider[n] == f:
            chance = response_chance(b, fit[n, f], beta_mean(a0, pos[n, f], neg[n, f]), load[n], capacity[n])
            if chance > 0.0 and keyed_uniform(key, n, f, day) < chance:
                today[N_SALES, f] += 1
                today[N_SALES_REVENUE, f] += sale_price[f]


def request_data(w: World) -> None:
    """Firms ask customers for information they put to no visible use: effort, nothing back."""
    _request_data(*w.kernel())


@njit(cache=True)
def _request_data(s, b, fa) -> None:
    """Each customer of f is asked with probability data_requests_f/365 (contacts stream, thinned)."""
    p_max = fa.data_requests.max() / 365.0
    st = s.streams[R_CONTACTS]
    log_q = np.log1p(-p_max)
    n = skip(st, log_q) - 1
    while n < s.provider.shape[0]:
        f = s.provider[n]
        if uniform(st) * p_max < (fa.data_requests[f] / 365.0 if f >= 0 else 0.0):
            add(s, False, DATA_REQUESTS, n, f, b.data_request_weight, True)
            s.stress_in[n] += b.stress_data
        n += skip(st, log_q)
