"""Churn, switching and acquisition (docs/ODD.md §7.16, §7.17).

Churn. A customer n of firm f leaves on a day with probability 1 - exp(-h), where

    h = base_churn / 365 x g_n x exp(trust_sensitivity (0.5 - T_nf) + stress_sensitivity S_n
                                      - intimacy_bond I_nf + price_weight p_n (P_f / reference_price - 1))

g_n is the consumer's churn propensity (gamma-distributed with mean 1, so cohorts lose their most
churn-prone members first and retention rises with tenure: Fader & Hardie 2007), T trust, S stress,
I intimacy, p price sensitivity and P_f = price_f + nuisance_fee_f the monthly price paid (a
nuisance fee is also unfairness evidence, sim/fees.py, so fees count twice, as DESIGN.md asks). A
leaver switches to a rival with probability switch_share (choosing rival k with probability
proportional to exp(trust_sensitivity T_nk)) or leaves the market. Its open problem ends with the
relationship; its evidence and intimacy stay and fade.

Acquisition. A consumer without a provider joins firm k on a day with hazard

    acquisition_rate / 365 x exp(trust_sensitivity (T_nk - 0.5) - price_weight p_n (P_k / reference_price - 1))
                           x (1 + contact_lift [contacted by k today])

and consumers who left today do not join again the same day.

Sampling (docs/ODD.md §7.16, §7.17). Both are daily probabilities 1 - exp(-hazard). Each consumer
keeps a residual churn hazard and a residual joining hazard (Exp(1) draws less the hazard
accumulated since; sim/rand.py): it leaves, or joins, on the day its hazard reaches the residual.
This is exact, draws once per departure or joining instead of once per consumer and day, and gives
each consumer the same first thresholds in every arm.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .numerics import exp
from .rand import choose, exponential, uniform
from .trust import beta_mean, prior, trust_of
from .world import E_DEFECTIONS, L_NUISANCE_FEE, R_ACQUISITION, R_CHURN, World, cell_of, join, leave


@njit(cache=True, inline="always")
def price_markup(b, price: float, nuisance_fee: float) -> float:
    """price_weight (P / reference_price - 1), P = price + nuisance_fee a month.

    Times a consumer's price sensitivity p_n, it is the price term of churn and joining.
    """
    return b.price_weight * ((price + nuisance_fee) / b.reference_price - 1.0)


@njit(cache=True, inline="always")
def hazard(b, trust: float, stress: float, intimacy: float, propensity: float, price: float) -> float:
    """Today's churn hazard h = base_churn/365 g exp(k (0.5 - T) + s S - i I + price term)."""
    log_h = (b.trust_sensitivity * (0.5 - trust) + b.stress_sensitivity * stress - b.intimacy_bond * intimacy
             + price)
    return b.base_churn / 365.0 * propensity * exp(log_h)


@njit(cache=True, inline="always")
def switch_weight(b, trust: float) -> float:
    """A leaver picks rival k with probability proportional to exp(trust_sensitivity T_k)."""
    return exp(b.trust_sensitivity * trust)


@njit(cache=True, inline="always")
def join_hazard(b, trust: float, price: float, contacted: bool) -> float:
    """A prospect's hazard of joining a firm.

    acquisition_rate/365 exp(trust_sensitivity (T - 0.5) - price term) (1 + contact_lift [contacted today])
    """
    return (b.acquisition_rate / 365.0 * exp(b.trust_sensitivity * (trust - 0.5) - price)
            * (1.0 + b.contact_lift * contacted))


@njit(cache=True)
def _markups(b, fa) -> np.ndarray:
    """price_markup of every firm."""
    out = np.empty(len(fa.price))
    for f in range(len(out)):
        out[f] = price_markup(b, fa.price[f], fa.nuisance_fee[f])
    return out


@njit(cache=True)
def _cell_markups(b, fa) -> np.ndarray:
    """price_markup of every firm's cells (firm x cell): its price plus the cell's nuisance fee."""
    lever = fa.cell_lever
    out = np.empty(lever.shape[:2])
    for f in range(out.shape[0]):
        for k in range(out.shape[1]):
            out[f, k] = price_markup(b, fa.price[f], lever[f, k, L_NUISANCE_FEE])
    return out


@njit(cache=True, inline="always")
def hazard_inputs(s, b, fa):
    """What `customer_hazard` reads, taken once before a loop over the customers: the Beta prior, the price markup
    of every firm's cells, and the state arrays of trust, stress, intimacy, propensity, price sensitivity and
    cells."""
    return (prior(b), _cell_markups(b, fa), s.pos, s.neg, s.stress, s.intimacy, s.churn_propensity,
            s.price_sensitivity, s.cell)


@njit(cache=True, inline="always")
def customer_hazard(b, inputs, n: int, f: int) -> float:
    """Today's churn hazard of customer n with its provider f (`hazard` of its trust, stress, intimacy, propensity
    and price term, with its cell's nuisance fee); `inputs` from `hazard_inputs`. The churn draw and customer equity
    both use it."""
    a0, markup, pos, neg, stress, intimacy, propensity, sensitivity, cell = inputs
    return hazard(b, beta_mean(a0, pos[n, f], neg[n, f]), stress[n], intimacy[n, f], propensity[n],
                  sensitivity[n] * markup[f, cell[n]])


def churn(w: World) -> None:
    """Customers leave by their hazard; some switch to a rival at once."""
    _churn(*w.kernel())


@njit(cache=True)
def _churn(s, b, fa) -> None:
    st = s.streams[R_CHURN]
    n_firms = s.pos.shape[1]
    weights = np.empty(n_firms)
    s.n_events[E_DEFECTIONS] = 0  # today's leavers replace yesterday's as tomorrow's exit talk
    provider, residual, inputs = s.provider, s.churn_clock, hazard_inputs(s, b, fa)
    for n in range(provider.shape[0]):
        f = provider[n]
        if f < 0:
            continue
        h = customer_hazard(b, inputs, n, f)
        if h < residual[n]:
            residual[n] -= h
            continue
        residual[n] = exponential(st)
        leave(s, n)
        if n_firms > 1 and uniform(st) < b.switch_share:
            for k in range(n_firms):
                weights[k] = 0.0 if k == f else switch_weight(b, trust_of(s, b, n, k))
            k = choose(weights, uniform(st))
            join(s, n, k)
            s.cell[n] = cell_of(s, fa, n, k)


def acquire(w: World) -> None:
    """Consumers without a provider join a firm by trust, price and today's contact."""
    _acquire(*w.kernel())


@njit(cache=True)
def _acquire(s, b, fa) -> None:
    st = s.streams[R_ACQUISITION]
    day = s.clock[0]
    n_firms = s.pos.shape[1]
    weights = np.empty(n_firms)
    if b.acquisition_rate <= 0:
        return
    provider, left_day, residual, pos, neg, contacted = s.provider, s.left_day, s.join_clock, s.pos, s.neg, s.contacted
    sensitivity, markup, a0 = s.price_sensitivity, _markups(b, fa), prior(b)
    for n in range(provider.shape[0]):
        if provider[n] >= 0 or left_day[n] == day:
            continue
        total = 0.0
        for k in range(n_firms):
            trust = beta_mean(a0, pos[n, k], neg[n, k])
            weights[k] = join_hazard(b, trust, sensitivity[n] * markup[k], contacted[n, k])
            total += weights[k]
        if total < residual[n]:
            residual[n] -= total
            continue
        residual[n] = exponential(st)
        f = choose(weights, uniform(st))
        join(s, n, f)
        s.cell[n] = cell_of(s, fa, n, f)


def monthly_price(w: World) -> np.ndarray:
    """What a customer of each firm pays a month: the price plus any nuisance fee."""
    return w.firms.price + w.firms.nuisance_fee
