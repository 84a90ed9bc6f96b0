"""Intimacy needs reciprocity (article idea 9; docs/ODD.md §7.14).

"You really would like to end up being my pal?" (the seed text, docs/ODD.md §7.14). Intimacy grows
only from two-way exchanges with the provider (a call that got through, a problem resolved, a
complaint answered), each closing the share intimacy_gain of the gap to 1, and decays with time
constant intimacy_memory_days:

    I <- I exp(-1 / intimacy_memory_days),    then    I <- 1 - (1 - I)(1 - intimacy_gain)^k

for a customer with k exchanges today. Outbound contact never raises it (sim/contacts.py). Intimacy
lowers the churn hazard (sim/churn.py).
"""

from __future__ import annotations

from numba import njit

from .trust import kept
from .world import World


@njit(cache=True, inline="always")
def closer(b, intimacy: float, exchanges: float) -> float:
    """I after k two-way exchanges today: 1 - (1 - I)(1 - intimacy_gain)^k."""
    return 1.0 - (1.0 - intimacy) * (1.0 - b.intimacy_gain) ** exchanges


def update(w: World) -> None:
    """Intimacy decays, and grows only with today's two-way exchanges with the provider."""
    _update_intimacy(*w.kernel())


@njit(cache=True)
def _update_intimacy(s, b, fa) -> None:
    keep, intimacy, exchanges, provider = kept(b.intimacy_memory_days), s.intimacy, s.exchanges, s.provider
    flat = intimacy.ravel()
    for k in range(flat.shape[0]):
        flat[k] *= keep
    for n in range(provider.shape[0]):
        if exchanges[n] > 0 and provider[n] >= 0:
            f = provider[n]
            intimacy[n, f] = closer(b, intimacy[n, f], exchanges[n])
