"""Outbound contacts by channel, contact load against capacity, and data requests (article ideas 1 and 2).

"Sure, they can call me at dinner, but I can't reach them on the phone. They can send me a hundred
pieces of mail a year." Firms contact their customers through named channels (CHANNELS: direct mail,
e-mail, telephone), channel c at the firm's rate `<c>_rate` (contacts per customer-year), and
prospects at `prospect_rate` by the prospecting channel (PROSPECTING: mail); firms outside the model
add `clutter_rate` contacts per 30 days. The market's channel table (Market.channels; the rules get it
as `b.channel_cost[c]`, `b.channel_response[c]`, `b.channel_intrusiveness[c]`, `b.channel_load[c]`)
says what a contact costs, how often it sells, how intrusive it is and how much load it adds.

Each consumer's contact load is an exponentially weighted count of contacts over `load_days`, counted
over all firms. A contact of channel c from a firm that reaches its customers through k channels
(the channels with a positive rate) weighs load_c (1 + channel_reactance (k - 1)): more channels make
the downturn come sooner (Godfrey, Seiders & Voss 2011); a prospect gets one channel, so k = 1:

    L_n <- L_n exp(-1/load_days) + sum over today's contacts of their weights + [clutter]

For a contact of channel c (intrusiveness i_c) to consumer n with tolerance t_n:

    positive evidence = contact_value (1 - i_c)                      if L_n <= capacity_n, else 0
    negative evidence = (1 - t_n) (intrusion_weight i_c + burden_weight [L_n > capacity_n])
    stress           += stress_burden (1 - t_n)                      if L_n > capacity_n

One-way contact never raises intimacy: only two-way exchanges do (sim/intimacy.py).

Contact response (docs/ODD.md §7.2.1). A contact of channel c from firm f to its own customer n can
bring a sale (a cross-sell, upgrade, renewal or repeat purchase) with probability

    r_nfc = response_c x fit_nf x T_nf x capacity_n / (capacity_n + L_n)

(response_c the channel's base response, T_nf trust at the start of the day, L_n the updated load):
it rises with fit and trust and halves when the load reaches the consumer's capacity. A sale brings
sale_price_f of revenue and sale_cost_share_f x sale_price_f of cost of goods (sim/economics.py); it
is counted on its own (`contact_sales`, `sales_revenue`) and by channel (`sales_<c>`).

Sampling of the response: one uniform per contact to a customer, keyed by (consumer, firm and channel,
day) on the `response` stream (rand.keyed_uniform): the stream is never advanced, so a customer
contacted by the same firm through the same channel on the same day in two arms responds or not alike
whenever its chance is the same, and more often in the arm where it is higher (common random numbers,
as far as the contacts coincide).

Sampling (docs/ODD.md §7.2). Each (firm, channel) walks over all consumers with geometric skips at
its daily probability rate/365, from its own random stream (world.contact_seeds), and keeps the
candidates who are its customers (prospecting: who are not); so it draws per contact, not per pair,
and a channel's contacts do not depend on any other channel's rate. Clutter is walked the same way on
its own stream, so it is the same in every arm.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .rand import keyed_uniform, skip, uniform
from .trust import beta_mean, kept, prior
from .world import (CONTACTS, DATA_REQUESTS, L_DATA_REQUESTS, N_CHANNEL_CONTACTS, N_CHANNEL_SALES, N_CHANNELS,
                    N_CONTACTS, N_PROSPECT_CONTACTS, N_SALES, N_SALES_REVENUE, PROSPECT, R_CLUTTER, R_CONTACTS,
                    R_RESPONSE, THIN_KEY, World, add, add_to, ledger_of)


@njit(cache=True)
def channels_in_use(rates) -> int:
    """k_f: the number of channels a firm reaches its customers through (those with a positive rate)."""
    k = 0
    for rate in rates:
        if rate > 0.0:
            k += 1
    return k


@njit(cache=True, inline="always")
def load_weight(b, load: float, channels: float) -> float:
    """The load one contact adds: load_c (1 + channel_reactance (k - 1)), k the channels its firm uses."""
    return load * (1.0 + b.channel_reactance * (channels - 1.0))


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
    """Positive evidence of a contact that is not a burden: contact_value (1 - i_c)."""
    return b.contact_value * (1.0 - intrusiveness)


@njit(cache=True, inline="always")
def intrusion(b, intrusiveness: float, tolerance: float, burden: bool) -> float:
    """Negative evidence of a contact: (1 - t_n)(intrusion_weight i_c + burden_weight [burden])."""
    return (1.0 - tolerance) * (b.intrusion_weight * intrusiveness + b.burden_weight * burden)


@njit(cache=True, inline="always")
def burden_stress(b, tolerance: float) -> float:
    """Stress of a contact beyond capacity: stress_burden (1 - t_n)."""
    return b.stress_burden * (1.0 - tolerance)


@njit(cache=True, inline="always")
def response_chance(response: float, fit: float, trust: float, load: float, capacity: float) -> float:
    """The chance that a contact brings a sale: response_c fit T capacity / (capacity + L)."""
    room = capacity / (capacity + load) if capacity + load > 0.0 else 1.0
    return response * fit * trust * room


@njit(cache=True, inline="always")
def highest_rate(fa, f: int, c: int) -> float:
    """The highest rate of firm f's cells in channel c (its channel rate when it has no segments): the rate its
    contact walk runs at; a customer in a cell with a lower rate keeps a walked contact with probability rate / this."""
    rate = fa.channel_rate[f, c]
    for k in range(1, np.int64(fa.cell_count[f])):
        rate = max(rate, fa.cell_lever[f, k, c])
    return rate


@njit(cache=True, inline="always")
def sale_key(f: int, c: int) -> int:
    """The key of firm f's channel c in the response draw (consumer, this, day): f N_CHANNELS + c."""
    return f * N_CHANNELS + c


def contact(w: World) -> None:
    """Firms contact customers and prospects; the load over all firms decides welcome or burden."""
    _contact(*w.kernel())


@njit(cache=True)
def _contact(s, b, fa) -> None:
    n_consumers, n_firms = s.pos.shape
    decay, load, provider, contacted, pairs = kept(b.load_days), s.load, s.provider, s.contacted, s.pairs
    cell, key, day = s.cell, s.streams[R_RESPONSE], s.clock[0]
    for n in range(n_consumers):
        load[n] *= decay
    # who is contacted today, by which channel, and the load it adds (all of today's contacts before any is
    # judged); channel N_CHANNELS stands for prospecting (by the PROSPECT channel, one channel: k = 1)
    k = 0
    for f in range(n_firms):
        rates = fa.channel_rate[f]
        in_use = channels_in_use(rates)
        cells = fa.cell_count[f] > 1.0
        for c in range(N_CHANNELS + 1):
            prospecting = c == N_CHANNELS
            top = fa.prospect_rate[f] if prospecting else highest_rate(fa, f, c)
            p = top / 365.0
            weight = (load_weight(b, b.channel_load[PROSPECT], 1.0) if prospecting
                      else load_weight(b, b.channel_load[c], in_use))
            st = s.contact_streams[f * (N_CHANNELS + 1) + c]
            log_q = np.log1p(-p)
            n = skip(st, log_q) - 1
            while n < n_consumers:
                if (provider[n] == f) != prospecting:
                    w = weight
                    if cells and not prospecting:  # a customer's cell: its own rate and channels (ODD §7.22)
                        rate = fa.cell_lever[f, cell[n], c]
                        if rate < top and keyed_uniform(key, n, THIN_KEY + f * N_CHANNELS + c, day) * top >= rate:
                            n += skip(st, log_q)
                            continue
                        w = load_weight(b, b.channel_load[c], fa.cell_in_use[f, cell[n]])
                    contacted[n, f] = True
                    load[n] += w
                    pairs[k] = (n * n_firms + f) * (N_CHANNELS + 1) + c
                    k += 1
                n += skip(st, log_q)
    st = s.streams[R_CLUTTER]
    log_q = np.log1p(-clutter_chance(b))
    n = skip(st, log_q) - 1
    while n < n_consumers:
        load[n] += 1.0
        n += skip(st, log_q)
    # each contact is welcome or a burden, by the updated load; a contact to a customer may sell
    today, ledger, accounts, account = s.today_arr, ledger_of(s), s.observe[1], s.account
    capacity, tolerances, stress_in, fit, pos, neg = (s.contact_capacity, s.contact_tolerance, s.stress_in, s.fit,
                                                      s.pos, s.neg)
    sale_price, a0 = fa.sale_price, prior(b)
    for j in range(k):
        pair, c = pairs[j] // (N_CHANNELS + 1), pairs[j] % (N_CHANNELS + 1)
        n, f = pair // n_firms, pair % n_firms
        prospecting = c == N_CHANNELS
        today[N_CONTACTS, f] += 1
        today[N_PROSPECT_CONTACTS if prospecting else N_CHANNEL_CONTACTS + c, f] += 1
        burden = burdened(load[n], capacity[n])
        intrusive, tolerance = b.channel_intrusiveness[PROSPECT if prospecting else c], tolerances[n]
        if not burden:
            add_to(ledger, True, CONTACTS, n, f, welcome(b, intrusive), False)
        add_to(ledger, False, CONTACTS, n, f, intrusion(b, intrusive, tolerance, burden), True)
        if burden:
            stress_in[n] += burden_stress(b, tolerance)
        if not prospecting:
            chance = response_chance(b.channel_response[c], fit[n, f], beta_mean(a0, pos[n, f], neg[n, f]), load[n],
                                     capacity[n])
            sold = chance > 0.0 and keyed_uniform(key, n, sale_key(f, c), day) < chance
            if sold:
                today[N_SALES, f] += 1
                today[N_CHANNEL_SALES + c, f] += 1
                today[N_SALES_REVENUE, f] += sale_price[f]
            if accounts:  # the contact's cost, and a sale's margin (sim/economics.py)
                account[n, f] += (sale_price[f] * (1.0 - fa.sale_cost_share[f]) if sold else 0.0) - b.channel_cost[c]


def request_data(w: World) -> None:
    """Firms ask customers for information they put to no visible use: effort, nothing back."""
    _request_data(*w.kernel())


@njit(cache=True)
def _request_data(s, b, fa) -> None:
    """Each customer of f is asked with probability data_requests/365 of its cell (contacts stream, thinned)."""
    p_max = max(fa.data_requests.max(), fa.cell_lever[:, :, L_DATA_REQUESTS].max()) / 365.0
    st = s.streams[R_CONTACTS]
    log_q = np.log1p(-p_max)
    n = skip(st, log_q) - 1
    while n < s.provider.shape[0]:
        f = s.provider[n]
        if uniform(st) * p_max < (fa.cell_lever[f, s.cell[n], L_DATA_REQUESTS] / 365.0 if f >= 0 else 0.0):
            add(s, False, DATA_REQUESTS, n, f, b.data_request_weight, True)
            s.stress_in[n] += b.stress_data
        n += skip(st, log_q)
