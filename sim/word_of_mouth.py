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

from .world import E_DEFECTIONS, E_PRAISE, E_PUBLIC, EXIT_TALK, WORD_OF_MOUTH, World, add


@njit(cache=True, inline="always")
def retold(heard: bool, neighbour_provider: int, f: int) -> bool:
    """A neighbour keeps what it hears about f for tomorrow's retelling only if it is f's customer."""
    return heard and neighbour_provider == f


def word_of_mouth(w: World) -> None:
    """Public posts and yesterday's defections reach the network neighbours."""
    _word_of_mouth(*w.kernel())


@njit(cache=True)
def _word_of_mouth(s, b, fa) -> None:
    s.wom_heard[:] = 0.0
    for k in range(s.n_events[E_PUBLIC]):
        m = s.public_buf[k]
        tell(s, m, s.provider[m], False, WORD_OF_MOUTH, b.wom_negative_weight, True)
    for k in range(s.n_events[E_PRAISE]):
        m = s.praise_buf[k]
        tell(s, m, s.provider[m], True, WORD_OF_MOUTH, b.wom_positive_weight, False)
    for k in range(s.n_events[E_DEFECTIONS]):
        tell(s, s.defect_buf[k], s.defect_firm[k], False, EXIT_TALK, b.exit_talk_weight, False)


@njit(cache=True)
def tell(s, m, f, positive, cause, weight, heard) -> None:
    """Every neighbour of consumer m gets `weight` of evidence about firm f (only m's adjacency row is read).

    With `heard`, a neighbour who is a customer of f keeps it as W- for tomorrow's voice (retelling).
    """
    for j in range(s.adj_ptr[m], s.adj_ptr[m + 1]):
        k = s.adj_idx[j]
        add(s, positive, cause, k, f, weight, False)
        if retold(heard, s.provider[k], f):
            s.wom_heard[k] += weight
