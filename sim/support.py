"""Using the product, problems, and customer support (article ideas 1, 3, 4 and 7).

Usage. Each day a customer's use of the product is evidence of its fit: usage_evidence x fit is
positive and usage_evidence x (1 - fit) negative.

Problems. A customer of firm f has a new problem on a day with probability
problem_rate_f / 365 x proneness_n; its severity is exponential with mean severity_mean. A defect
shock (the Pentium flaw) gives a share of a firm's customers a problem of the shock's severity on
one day (the problem's severity is the larger of its ordinary draw and the shock's). The onset is
negative evidence problem_weight x severity, and each day the problem stays open adds
open_weight x severity.

Support. At a problem's onset the consumer decides once whether to call support about it, with
probability seeking_n x delta_n, where delta_n is the deterrent of the support fee the call would cost
(none within the free period; both in sim/fees.py). Callers call every day
until the problem ends. The firm staffs s_f = inbound_capacity_f / 1000 x customers_f slots a day
(a fixed ratio), or, staffing for demand (service_level_f > 0), the square-root staffing rule
s_f = min(inbound_capacity_f / 1000 x customers_f, ceil(lambda_f + z sqrt(lambda_f))), z the standard
normal quantile of service_level_f and lambda_f the firm's forecast of today's callers: an
exponentially weighted mean of past days' callers over FORECAST_DAYS, starting at the fixed ratio's
slots (Gans, Koole & Mandelbaum 2003, Manufacturing & Service Operations Management 5(2); Borst,
Mandelbaum & Reiman 2004, Operations Research 52(1)). inbound_capacity is then the most the firm will
staff. s_f is a whole number (the fractional part is a chance of one more slot); when more call, exactly s_f of
the day's calls, chosen at random, get through (a daily queue; the others hear a busy line). A call
that does not get through is negative evidence and stress (loss of control); one that does is a
two-way exchange (positive evidence, intimacy) and may cost the fee after the free period
(unfairness evidence and stress, not only price: sim/fees.py); it resolves the problem with probability
resolution_quality_f. A resolution is positive evidence that repairs the problem: at the first
call, the onset's negative evidence, the call's heard evidence and the resolution leave trust where
it was (recovery_paradox = 0), or above it (> 0: the service-recovery paradox) or below it (< 0),
by recovery_paradox x severity of positive evidence (de Matos, Henrique & Rossi 2007); a
resolution at a later call is quick_weight x severity less. Callers give up after `patience` days: negative evidence
unresolved_weight x severity and stress. Problems nobody calls about fade with mean self_fix_days,
with no recovery evidence. The ordering of loyalty by complaint outcome (TARP) is left to emerge.

Sampling (docs/ODD.md §7.5). Every consumer carries a problem clock: candidate problem days at the
probability cap_n = min(1, R proneness_n / 365), R the largest day-0 problem rate of the firms, drawn
as geometric gaps on the problems stream; a candidate is a problem with probability
min(1, r_f(t) proneness_n / 365) / cap_n if the consumer is then a customer of f (thinning: r_f never
exceeds R). Each candidate draws the same five numbers (gap, acceptance, severity, call decision,
fade time) whatever happens, so with equal R the problems stream, and every consumer's candidate
days, are the same in every arm. A non-caller's problem fades on a geometric day drawn at onset.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .fees import deterrent_of, fee_of, unfairness
from .numerics import normal_quantile
from .rand import NEVER, exponential, geometric, uniform
from .trust import trust_of
from .world import (HEARD, L_INBOUND_CAPACITY, L_RESOLUTION_QUALITY, N_FEES, N_PROBLEMS, N_REACHED, N_RESOLVED, N_STAFFED, N_TICKETS, PROBLEMS, R_PROBLEMS,
                    QUICK, R_SHOCK, R_SUPPORT, RESOLVED, RESOLVED_LATER, SILENT, SUPPORT_FEES, UNREACHED,
                    UNRESOLVED, UNRESOLVED_END, USAGE, World, add, add_to, end_episode, ledger_of)

#: Time constant (days) of the firm's forecast of its callers: a week, the usual planning cycle of a
#: call centre's staffing (Gans, Koole & Mandelbaum 2003).
FORECAST_DAYS = 7.0


@njit(cache=True, inline="always")
def usage(b, fit: float) -> tuple[float, float]:
    """A day's use of the product: (positive, negative) evidence usage_evidence fit, usage_evidence (1 - fit)."""
    return b.usage_evidence * fit, b.usage_evidence * (1.0 - fit)


@njit(cache=True, inline="always")
def problem_chance(rate: float, proneness: float) -> float:
    """The daily probability of a new problem: min(1, r_f proneness_n / 365)."""
    return min(1.0, rate * proneness / 365.0)


@njit(cache=True, inline="always")
def fade_chance(b) -> float:
    """The daily probability that a problem nobody calls about goes away: 1 / self_fix_days."""
    return 1.0 / b.self_fix_days


@njit(cache=True, inline="always")
def staffing(capacity: float, customers: int, service_level: float, forecast: float) -> float:
    """The support slots a firm staffs today: the fixed ratio c = inbound_capacity_f x customers_f / 1000,
    or for demand (service_level > 0) min(c, ceil(lambda + z sqrt(lambda))), z = Phi^-1(service_level)."""
    ceiling = capacity * customers / 1000.0
    if service_level <= 0.0:
        return ceiling
    need = math.ceil(forecast + normal_quantile(service_level) * math.sqrt(forecast))
    return min(ceiling, max(need, 0.0))


@njit(cache=True, inline="always")
def forecast_of(forecast: float, callers: float) -> float:
    """Tomorrow's forecast of callers: lambda + (today's callers - lambda) / FORECAST_DAYS."""
    return forecast + (callers - forecast) / FORECAST_DAYS


@njit(cache=True, inline="always")
def resolution(b, severity: float, first_call: bool, trust: float) -> float:
    """Positive evidence of a resolved problem of severity X, for a customer whose trust was T:

    max(0, X (negativity_bias problem_weight T / (1 - T) + recovery_paradox - quick_weight [later call])
           - heard_weight).

    With the call's heard evidence, the first term is exactly what takes the Beta trust back to T
    after the onset's negative evidence (weighed by the negativity bias; up to the day's forgetting and
    other evidence, which act alike with or without the problem): a problem resolved at the
    first call leaves trust where it was when recovery_paradox = 0, above it when > 0 (the
    service-recovery paradox), below it when < 0; a resolution at a later call is quick_weight X less.
    """
    t = min(max(trust, 0.0), 0.999999)  # a Beta mean with a prior is always below 1; this only guards
    restore = b.negativity_bias * b.problem_weight * t / (1.0 - t)
    net = severity * (restore + b.recovery_paradox - b.quick_weight * (not first_call))
    return max(0.0, net - b.heard_weight)


@njit(cache=True, inline="always")
def gives_up(open_days: int, patience: float) -> bool:
    """A caller gives up when its problem has been open for `patience` days."""
    return open_days >= patience


def use(w: World) -> None:
    """Customers experience the product's fit."""
    _use(*w.kernel())


@njit(cache=True)
def _use(s, b, fa) -> None:
    provider, fit, pos_today, neg_today = s.provider, s.fit, s.pos_today, s.neg_today
    good, bad = np.zeros(len(fa.price)), np.zeros(len(fa.price))
    for n in range(provider.shape[0]):
        f = provider[n]
        if f >= 0:
            positive, negative = usage(b, fit[n, f])
            pos_today[n, f] += positive
            neg_today[n, f] += negative
            good[f] += positive
            bad[f] += negative
    s.evidence[1, USAGE] += good  # the ledger (sim/world.py:add), summed per firm
    s.evidence[0, USAGE] += bad


def experience_problems(w: World) -> None:
    """New problems (and the defect shock) hit customers; each decides whether to call support."""
    _experience_problems(*w.kernel())


@njit(cache=True)
def _experience_problems(s, b, fa) -> None:
    day = s.clock[0]
    cap = max(fa.problem_rate.max(), s.problem_rate.max())
    if cap != s.problem_cap[0]:  # restart every clock from today (exact: the process is memoryless)
        s.next_problem[:] = 0
        s.problem_cap[0] = cap
    st, sh = s.streams[R_PROBLEMS], s.streams[R_SHOCK]
    shock_today = s.shock_today[0]  # raised by the calendar (sim/calendar.py) on the shock's day
    s.shock_today[0] = False
    fading = fade_chance(b)
    clock, proneness, provider, shock_draw = s.next_problem, s.problem_proneness, s.provider, s.shock_draw
    for n in range(provider.shape[0]):
        if clock[n] > day and not (shock_today and shock_draw[n] < b.shock_share):
            continue  # nothing today (the common case)
        cap_n = problem_chance(cap, proneness[n])
        if clock[n] < day:
            clock[n] = day - 1 + geometric(st, cap_n) if cap_n > 0 else NEVER
        f = provider[n]
        new, severity, decide, fade = False, 0.0, 1.0, 1
        if clock[n] == day:
            clock[n] = day + geometric(st, cap_n)
            accept, severity = uniform(st), b.severity_mean * exponential(st)
            decide, fade = uniform(st), geometric(st, fading)
            new = f >= 0 and accept * cap_n < problem_chance(s.problem_rate[f], s.problem_proneness[n])
        if shock_today and s.shock_draw[n] < b.shock_share:  # the same draws for everyone hit, customer or not
            shock_severity = b.severity_mean * exponential(sh)
            shock_decide, shock_fade = uniform(sh), geometric(sh, fading)
            if f >= 0 and f == b.shock_firm:
                if not new:
                    severity, decide, fade = shock_severity, shock_decide, shock_fade
                    new = True
                severity = max(severity, b.shock_severity)
        if new:
            s.today_arr[N_PROBLEMS, f] += 1
            add(s, False, PROBLEMS, n, f, b.problem_weight * severity, True)
            if s.open_severity[n] == 0:
                s.episode_start[n] = day
                s.open_days[n] = 0
                s.calls[n] = 0
                s.seeking[n] = decide < s.support_seeking[n] * deterrent_of(s, b, fa, n)
                s.fade_day[n] = day + fade - 1
            s.open_severity[n] += severity


def seek_support(w: World) -> None:
    """Callers queue for the firm's staffed slots; calls get through, resolve, cost fees, or fail."""
    _seek_support(*w.kernel())


@njit(cache=True)
def _seek_support(s, b, fa) -> None:
    """Each firm's cells are queues of their own (docs/ODD.md §7.22): a cell's slots are staffed for its customers at
    its inbound_capacity, and its callers share them; a firm without segments has one queue."""
    n_consumers, n_firms = s.pos.shape
    cells = s.cell_cost.shape[1]
    st = s.streams[R_SUPPORT]
    provider, open_severity, seeking, pairs, cell = s.provider, s.open_severity, s.seeking, s.pairs, s.cell
    members = _cell_customers(s, fa, cells)
    slots = np.zeros(n_firms * cells, dtype=np.int64)
    for f in range(n_firms):
        for k in range(np.int64(fa.cell_count[f])):
            q = f * cells + k
            share = members[q] / s.firm_customers[f] if s.firm_customers[f] > 0 else 0.0
            staffed = staffing(fa.cell_lever[f, k, L_INBOUND_CAPACITY], members[q], fa.service_level[f],
                               s.call_forecast[f] * share if k or fa.cell_count[f] > 1.0 else s.call_forecast[f])
            s.today_arr[N_STAFFED, f] += staffed
            s.cell_cost[f, k] = staffed * fa.cost_per_ticket[f] / members[q] if members[q] else 0.0
            whole = np.floor(staffed)
            slots[q] = np.int64(whole) + (1 if staffed > whole and uniform(st) < staffed - whole else 0)
    if s.observe[1]:  # accounts: each customer bears its cell's staffing cost per customer (sim/economics.py)
        for n in range(n_consumers):
            if provider[n] >= 0:
                s.account[n, provider[n]] -= s.cell_cost[provider[n], cell[n]]
    # today's callers, grouped by queue (firm, then cell) in index order (a counting sort into the scratch array)
    start = np.zeros(n_firms * cells + 1, dtype=np.int64)
    for n in range(n_consumers):
        if open_severity[n] > 0 and seeking[n] and provider[n] >= 0:
            start[provider[n] * cells + cell[n] + 1] += 1
    for q in range(n_firms * cells):
        start[q + 1] += start[q]
    fill = start[:-1].copy()
    for n in range(n_consumers):
        if open_severity[n] > 0 and seeking[n] and provider[n] >= 0:
            q = provider[n] * cells + cell[n]
            pairs[fill[q]] = n
            fill[q] += 1
    for f in range(n_firms):
        s.call_forecast[f] = forecast_of(s.call_forecast[f], start[(f + 1) * cells] - start[f * cells])
        for k in range(np.int64(fa.cell_count[f])):
            q = f * cells + k
            callers = s.pairs[start[q]: start[q + 1]]
            reached = min(len(callers), slots[q])
            if reached < len(callers):  # the queue: a uniformly random `reached` of the callers get through
                for i in range(reached):
                    j = i + np.int64(uniform(st) * (len(callers) - i))
                    callers[i], callers[j] = callers[j], callers[i]
            for i in range(len(callers)):
                _call(s, b, fa, st, callers[i], f, i < reached)


@njit(cache=True)
def _cell_customers(s, fa, cells: int) -> np.ndarray:
    """Customers per queue (firm x cell, flattened): the firm's customers when it has no segments."""
    out = np.zeros(s.firm_customers.shape[0] * cells, dtype=np.int64)
    for f in range(s.firm_customers.shape[0]):
        out[f * cells] = s.firm_customers[f]
    if fa.cell_count.max() > 1.0:
        out[:] = 0
        for n in range(s.provider.shape[0]):
            if s.provider[n] >= 0:
                out[s.provider[n] * cells + s.cell[n]] += 1
    return out


@njit(cache=True)
def _call(s, b, fa, st, n, f, reached) -> None:
    """One support call by customer n to firm f: a busy line, or heard (a fee?) and perhaps resolved."""
    first_call = s.calls[n] == 0
    s.calls[n] += 1
    s.today_arr[N_TICKETS, f] += 1
    if not reached:
        add(s, False, UNREACHED, n, f, b.unreached_weight, True)
        s.stress_in[n] += b.stress_unreached
        return
    s.today_arr[N_REACHED, f] += 1
    add(s, True, HEARD, n, f, b.heard_weight, True)
    s.exchanges[n] += 1
    fee = fee_of(s, fa, n)
    if fee > 0:
        s.today_arr[N_FEES, f] += fee
        if s.observe[1]:
            s.account[n, f] += fee
        add(s, False, SUPPORT_FEES, n, f, unfairness(b, fee), True)
        s.stress_in[n] += b.stress_fee
    quality = fa.cell_lever[f, s.cell[n], L_RESOLUTION_QUALITY]
    if quality >= 1.0 or (quality > 0.0 and uniform(st) < quality):
        s.today_arr[N_RESOLVED, f] += 1
        add(s, True, RESOLVED, n, f, resolution(b, s.open_severity[n], first_call, trust_of(s, b, n, f)), True)
        s.exchanges[n] += 1
        s.open_severity[n] = 0.0
        end_episode(s, n, f, QUICK if first_call else RESOLVED_LATER)


def progress_problems(w: World) -> None:
    """Open problems weigh on their customers; callers run out of patience; silent problems fade."""
    _progress_problems(*w.kernel())


@njit(cache=True)
def _progress_problems(s, b, fa) -> None:
    day, ledger = s.clock[0], ledger_of(s)
    provider, open_severity, open_days, seeking, patience, fade_day, stress_in = (
        s.provider, s.open_severity, s.open_days, s.seeking, s.patience, s.fade_day, s.stress_in)
    for n in range(provider.shape[0]):
        f = provider[n]
        severity = open_severity[n]
        if severity == 0 or f < 0:
            continue
        add_to(ledger, False, PROBLEMS, n, f, b.open_weight * severity, True)
        open_days[n] += 1
        if seeking[n] and gives_up(open_days[n], patience[n]):
            add_to(ledger, False, UNRESOLVED, n, f, b.unresolved_weight * severity, True)
            stress_in[n] += b.stress_unresolved
            open_severity[n] = 0.0
            end_episode(s, n, f, UNRESOLVED_END)
        elif not seeking[n] and fade_day[n] <= day:
            open_severity[n] = 0.0
            end_episode(s, n, f, SILENT)
