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

from sim.world import World


def update(w: World) -> None:
    """Fold today's evidence, exchanges and stressors into trust, intimacy and stress."""
    b = w.market.behaviour
    keep = np.exp(-1.0 / b.memory_days)
    w.pos *= keep
    w.pos += w.pos_today
    w.neg *= keep
    w.neg += b.negativity_bias * w.neg_today
    update_intimacy(w)
    w.stress += (1 - w.stress) * -np.expm1(-w.stress_in)
    w.stress *= 1.0 - b.stress_relief - np.minimum(w.relief_in, 1.0 - b.stress_relief)


def update_intimacy(w: World) -> None:
    """Intimacy decays, and grows only with today's two-way exchanges with the provider."""
    b = w.market.behaviour
    w.intimacy *= np.exp(-1.0 / b.intimacy_memory_days)
    rows = np.flatnonzero((w.exchanges > 0) & (w.provider >= 0))
    firms = w.provider[rows]
    w.intimacy[rows, firms] = 1 - (1 - w.intimacy[rows, firms]) * (1 - b.intimacy_gain) ** w.exchanges[rows]
