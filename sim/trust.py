"""Trust, intimacy and stress (article ideas 3 and 9; Slovic 1993).

Trust is Beta evidence with forgetting (Jøsang & Ismail 2002). Consumer n holds positive evidence
a and negative evidence b about firm f; each day both decay with lambda = exp(-1 / memory_days)
and today's evidence is added, the negative multiplied by negativity_bias (omega >= 1):

    a <- lambda a + E+,    b <- lambda b + omega E-,    trust = (a0 + a) / (2 a0 + a + b)

with a0 = prior_evidence / 2. So trust is the expected value of a Beta(a0 + a, a0 + b), and a + b
is the confidence behind it. Because omega > 1, equal negative and positive experiences move trust
down more than up, and rebuilding after a failure takes longer than the loss (Slovic 1993).

Intimacy needs reciprocity: it grows only from two-way exchanges with the provider (a call that
got through, a problem resolved, a complaint answered), each closing the share intimacy_gain of
the gap to 1, and decays with time constant intimacy_memory_days. Outbound contact never raises it.

Stress (loss of control, vulnerability, victimization) is a consumer state in [0, 1]. Today's
stressors s (burden contacts, unreached calls, fees, giving up, seen-through spin, data requests)
and reliefs r (answered complaints) move it:

    stress <- [stress + (1 - stress)(1 - exp(-s))] (1 - stress_relief - min(r, 1 - stress_relief))
"""

from __future__ import annotations

import numpy as np
from numba import njit

from relsim.world import World


@njit(cache=True, inline="always")
def beta_mean(a0: float, positive: float, negative: float) -> float:
    """T = (a0 + a) / (2 a0 + a + b): the mean of Beta(a0 + a, a0 + b)."""
    return (a0 + positive) / (2.0 * a0 + positive + negative)


@njit(cache=True, inline="always")
def trust_of(s, b, n: int, f: int) -> float:
    """T_nf, consumer n's trust in firm f (a0 = prior_evidence / 2)."""
    return beta_mean(b.prior_evidence / 2.0, s.pos[n, f], s.neg[n, f])


def update(w: World) -> None:
    """Fold today's evidence, exchanges and stressors into trust, intimacy and stress."""
    _update(*w.kernel())


@njit(cache=True)
def _update(s, b, fa) -> None:
    keep, bias = np.exp(-1.0 / b.memory_days), b.negativity_bias
    pos, neg, pos_today, neg_today = s.pos.ravel(), s.neg.ravel(), s.pos_today.ravel(), s.neg_today.ravel()
    for k in range(pos.shape[0]):  # every consumer x firm pair
        pos[k] = keep * pos[k] + pos_today[k]
        neg[k] = keep * neg[k] + bias * neg_today[k]
    _update_intimacy(s, b, fa)
    _update_stress(s, b, fa)


def update_intimacy(w: World) -> None:
    """Intimacy decays, and grows only with today's two-way exchanges with the provider."""
    _update_intimacy(*w.kernel())


@njit(cache=True)
def _update_intimacy(s, b, fa) -> None:
    keep, intimacy, exchanges, provider = np.exp(-1.0 / b.intimacy_memory_days), s.intimacy, s.exchanges, s.provider
    flat = intimacy.ravel()
    for k in range(flat.shape[0]):
        flat[k] *= keep
    for n in range(provider.shape[0]):
        if exchanges[n] > 0 and provider[n] >= 0:
            f = provider[n]
            intimacy[n, f] = 1.0 - (1.0 - intimacy[n, f]) * (1.0 - b.intimacy_gain) ** exchanges[n]


@njit(cache=True)
def _update_stress(s, b, fa) -> None:
    """S <- S + (1 - S)(1 - exp(-s_n)), then S <- S (1 - stress_relief - min(R_n, 1 - stress_relief))."""
    stress, stress_in, relief_in = s.stress, s.stress_in, s.relief_in
    for n in range(stress.shape[0]):
        level = stress[n]
        if stress_in[n] > 0:
            level += (1.0 - level) * -np.expm1(-stress_in[n])
        stress[n] = level * (1.0 - b.stress_relief - min(relief_in[n], 1.0 - b.stress_relief))
