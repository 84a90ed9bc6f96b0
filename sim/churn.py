"""Churn, switching and acquisition.

Churn. A customer n of firm f leaves on a day with probability 1 - exp(-h), where

    h = base_churn / 365 x g_n x exp(trust_sensitivity (0.5 - T_nf) + stress_sensitivity S_n
                                      - intimacy_bond I_nf + price_weight p_n (P_f / reference_price - 1))

g_n is the consumer's churn propensity (gamma-distributed with mean 1, so cohorts lose their most
churn-prone members first and retention rises with tenure: Fader & Hardie 2007), T trust, S stress,
I intimacy, p price sensitivity and P_f = price_f + nuisance_fee_f the monthly price paid (a
nuisance fee is also unfairness evidence, sim/offer.py, so fees count twice, as DESIGN.md asks). A leaver switches to a rival with probability switch_share
(choosing rival k with probability proportional to exp(trust_sensitivity T_nk)) or leaves the
market. Its open problem ends with the relationship; its evidence and intimacy stay and fade.

Acquisition. A consumer without a provider joins firm k on a day with hazard

    acquisition_rate / 365 x exp(trust_sensitivity (T_nk - 0.5) - price_weight p_n (P_k / reference_price - 1))
                           x (1 + contact_lift [contacted by k today])

and consumers who left today do not join again the same day.
"""

from __future__ import annotations

import numpy as np

from sim.world import World


def churn(w: World) -> None:
    """Customers leave by their hazard; some switch to a rival at once."""
    b, t, m = w.market.behaviour, w.traits, w.market
    u = w.rng["churn"].random((3, w.n))
    rows = np.flatnonzero(w.provider >= 0)
    firms = w.provider[rows]
    trust = w.provider_trust()[rows]
    log_h = (b.trust_sensitivity * (0.5 - trust) + b.stress_sensitivity * w.stress[rows]
             - b.intimacy_bond * w.intimacy[rows, firms]
             + b.price_weight * t.price_sensitivity[rows] * (monthly_price(w)[firms] / m.reference_price - 1))
    hazard = b.base_churn / 365.0 * t.churn_propensity[rows] * np.exp(log_h)
    leave = u[0, rows] < -np.expm1(-hazard)
    left, from_firm = rows[leave], firms[leave]
    w.count("churned", from_firm)
    w.cohort_alive[left] = False
    w.provider[left] = -1
    w.tenure[left] = 0
    w.open_severity[left] = 0
    w.defections = (left, from_firm)
    if w.n_firms > 1:
        switch = left[u[1, left] < b.switch_share]
        weights = np.exp(b.trust_sensitivity * w.trust(switch))
        weights[np.arange(len(switch)), from_firm[u[1, left] < b.switch_share]] = 0.0
        _join(w, switch, _choose(weights, u[2, switch]))


def acquire(w: World) -> None:
    """Consumers without a provider join a firm by trust, price and today's contact."""
    b, t, m = w.market.behaviour, w.traits, w.market
    u = w.rng["churn"].random((2, w.n))
    prospects = np.flatnonzero(w.provider < 0)
    prospects = prospects[~np.isin(prospects, w.defections[0], assume_unique=True)]
    price = b.price_weight * t.price_sensitivity[prospects, None] * (monthly_price(w) / m.reference_price - 1)
    hazard = (b.acquisition_rate / 365.0 * np.exp(b.trust_sensitivity * (w.trust(prospects) - 0.5) - price)
              * (1 + b.contact_lift * w.contacted[prospects]))
    total = hazard.sum(axis=1)
    join = u[0, prospects] < -np.expm1(-total)
    _join(w, prospects[join], _choose(hazard[join], u[1, prospects[join]]))


def monthly_price(w: World) -> np.ndarray:
    """What a customer of each firm pays a month: the price plus any nuisance fee."""
    return w.firms.price + w.firms.nuisance_fee


def _choose(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Pick a column per row with probability proportional to its weight, using uniforms u."""
    cum = np.cumsum(weights, axis=1)
    target = np.maximum(u, np.finfo(float).tiny) * cum[:, -1]
    return np.minimum((cum < target[:, None]).sum(axis=1), weights.shape[1] - 1)


def _join(w: World, rows: np.ndarray, firms: np.ndarray) -> None:
    """Make `rows` customers of `firms`, with tenure starting today."""
    w.provider[rows] = firms
    w.tenure[rows] = 0
    w.open_severity[rows] = 0
    w.count("acquired", firms)
