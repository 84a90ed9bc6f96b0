"""Word of mouth and exit talk: discussion groups fuel crises (article idea 7; docs/ODD.md §7.11).

A public post reaches the poster's network neighbours (discussion groups): each negative post about
firm f is wom_negative_weight of negative evidence about f to every neighbour, each positive post
wom_positive_weight of positive evidence. A consumer who left a firm yesterday tells its neighbours:
exit_talk_weight of negative evidence about that firm each (Nitzan & Libai 2011). A neighbour who is
a customer of f keeps the negative post evidence it heard as W- for tomorrow's voice, so a burst of
posts can cascade (retelling, sim/voice.py; Goldenberg et al. 2007). Only the posters' adjacency
rows are summed, so the cost follows the posts, not the network's size.
"""

from __future__ import annotations

from numba import njit

from .trust import routes
from .world import E_DEFECTIONS, E_PRAISE, E_PUBLIC, EXIT_TALK, WORD_OF_MOUTH, World, ledger_of


@njit(cache=True, inline="always")
def retold(heard: bool, neighbour_provider: int, f: int) -> bool:
    """A neighbour keeps what it hears about f for tomorrow's retelling only if it is f's customer."""
    return heard and neighbour_provider == f


def word_of_mouth(w: World) -> None:
    """Public posts and yesterday's defections reach the network neighbours."""
    _word_of_mouth(*w.kernel())


@njit(cache=True)
def _word_of_mouth(s, b, fa) -> None:
    ledger, network = ledger_of(s), network_of(s)
    network[2][:] = 0.0  # yesterday's W- is spent
    provider, n_events = s.provider, s.n_events
    public, praise, defectors, left = s.public_buf, s.praise_buf, s.defect_buf, s.defect_firm
    for k in range(n_events[E_PUBLIC]):
        m = public[k]
        tell_to(ledger, network, m, provider[m], False, WORD_OF_MOUTH, b.wom_negative_weight, True)
    for k in range(n_events[E_PRAISE]):
        m = praise[k]
        tell_to(ledger, network, m, provider[m], True, WORD_OF_MOUTH, b.wom_positive_weight, False)
    for k in range(n_events[E_DEFECTIONS]):
        tell_to(ledger, network, defectors[k], left[k], False, EXIT_TALK, b.exit_talk_weight, False)


@njit(cache=True, inline="always")
def network_of(s) -> tuple:
    """The arrays `tell_to` reads and writes, read from the state once (as sim/world.py:ledger_of): the adjacency
    (CSR row pointers and column indices) and W-, the negative word of mouth customers keep for tomorrow."""
    return s.adj_ptr, s.adj_idx, s.wom_heard


@njit(cache=True, inline="always")
def tell_to(ledger, network, m, f, positive, cause, weight, heard) -> None:
    """Every neighbour of consumer m gets `weight` of evidence about firm f (only m's adjacency row is read).

    With `heard`, a neighbour who is a customer of f keeps it as W- for tomorrow's voice (retelling).
    `ledger` is sim/world.py:ledger_of(s), `network` is network_of(s).
    """
    adj_ptr, adj_idx, wom_heard = network
    pos_today, neg_today, provider, evidence = ledger[0], ledger[1], ledger[2], ledger[3]
    today, sign = (pos_today, 1) if positive else (neg_today, 0)
    for j in range(adj_ptr[m], adj_ptr[m + 1]):  # add_to(ledger, positive, cause, k, f, weight, False), written out
        k = adj_idx[j]
        today[k, f] += weight
        counted, _ = routes(provider[k], f, False)
        if counted:
            evidence[sign, cause, f] += weight
        if retold(heard, provider[k], f):
            wom_heard[k] += weight


@njit(cache=True)
def tell(s, m, f, positive, cause, weight, heard) -> None:
    """`tell_to` for one teller, reading the arrays from the state."""
    tell_to(ledger_of(s), network_of(s), m, f, positive, cause, weight, heard)
