"""Trust: Beta evidence with forgetting and negativity bias (docs/ODD.md §7.9; Slovic 1993).

Trust is Beta evidence with forgetting (Jøsang & Ismail 2002). Consumer n holds positive evidence
a and negative evidence b about firm f; each day both decay with lambda = exp(-1 / memory_days)
and today's evidence is added, the negative multiplied by negativity_bias (omega >= 1):

    a <- lambda a + E+,    b <- lambda b + omega E-,    trust = (a0 + a) / (2 a0 + a + b)

with a0 = prior_evidence / 2. So trust is the expected value of a Beta(a0 + a, a0 + b), and a + b
is the confidence behind it. Because omega > 1, equal negative and positive experiences move trust
down more than up, and rebuilding after a failure takes longer than the loss (Slovic 1993).

Today's evidence. Every piece of evidence about firm f goes to consumer n's E+ or E-; it also counts
in f's ledger (by sign and cause, docs/SCHEMA.md) if n is f's customer, and in n's D+ or D- (which
drive voice, sim/voice.py) if it is moreover n's own, direct experience with f (`routes`; written by
sim/world.py:add and by the reference engine's ReferenceConsumer.receive).

This module is a leaf: sim/world.py uses its rules, and it imports nothing of the model's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from numba import njit

if TYPE_CHECKING:
    from .world import World


@njit(cache=True, inline="always")
def prior(b) -> float:
    """a0, the Beta's prior pseudo-count of each sign: half of `prior_evidence` (§7.9)."""
    return b.prior_evidence / 2.0


def initial_range(b) -> tuple[float, float]:
    """The trust a day-0 customer's evidence (of mass initial_evidence) can express: from all of it negative to
    all of it positive. Initial trust is clipped to it (sim/world.py)."""
    p0, mass = prior.py_func(b), b.initial_evidence
    return p0 / (2 * p0 + mass), (p0 + mass) / (2 * p0 + mass)


@njit(cache=True, inline="always")
def beta_mean(a0: float, positive: float, negative: float) -> float:
    """T = (a0 + a) / (2 a0 + a + b): the mean of Beta(a0 + a, a0 + b)."""
    return (a0 + positive) / (2.0 * a0 + positive + negative)


@njit(cache=True, inline="always")
def trust_of(s, b, n: int, f: int) -> float:
    """T_nf, consumer n's trust in firm f."""
    return beta_mean(prior(b), s.pos[n, f], s.neg[n, f])


@njit(cache=True, inline="always")
def routes(provider: int, f: int, direct: bool) -> tuple[bool, bool]:
    """Where evidence about firm f goes besides E+ / E-: (f's ledger, the consumer's D+ / D-).

    The ledger counts the evidence a firm's own customers receive about it; D+ and D- only the
    `direct` part of it, the consumer's own experience with its provider.
    """
    own = provider == f
    return own, own and direct


@njit(cache=True, inline="always")
def kept(days: float) -> float:
    """exp(-1 / days): the share of a state with time constant `days` that is left after a day."""
    return math.exp(-1.0 / days)


@njit(cache=True, inline="always")
def folded(keep: float, bias: float, positive: float, negative: float, pos_today: float,
           neg_today: float) -> tuple[float, float]:
    """(a, b) after a day: a <- lambda a + E+, b <- lambda b + omega E- (lambda = keep, omega = bias)."""
    return keep * positive + pos_today, keep * negative + bias * neg_today


def update(w: World) -> None:
    """Fold today's evidence into every pair's trust evidence."""
    _update_trust(*w.kernel())


@njit(cache=True)
def _update_trust(s, b, fa) -> None:
    keep, bias = kept(b.memory_days), b.negativity_bias
    pos, neg, pos_today, neg_today = s.pos.ravel(), s.neg.ravel(), s.pos_today.ravel(), s.neg_today.ravel()
    for k in range(pos.shape[0]):  # every consumer x firm pair
        pos[k], neg[k] = folded(keep, bias, pos[k], neg[k], pos_today[k], neg_today[k])
