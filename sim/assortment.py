"""An assortment cut framed as a favour: spin (article idea 5).

"Are SKUs being cut for the customer's sake, or is an empathetic stance just a way to spin cost
cutting?" On cut_day (an event of sim/calendar.py) a firm with assortment_cut = s removes the items that the share s of consumers
relied on (those with assortment_rank < s): their fit with the firm falls by the share fit_loss,

    fit <- fit (1 - fit_loss),

and current customers among them receive negative evidence for the loss. The firm chooses how to
announce it (cut_framing g in [0, 1]: 0 honest, 1 framed as being for the customer's sake). Each
current customer sees through the framing with probability spin_detection_n (a fixed draw from the
population stream, so the same consumers see through it in every arm). For one who does not, framing
softens the loss; for one who does, it adds betrayal:

    loss evidence     = assortment_weight (1 - spin_softening g [not seen through])   (affected only)
    betrayal evidence = spin_weight g [seen through],   stress += stress_spin g [seen through]

Honest framing (g = 0) neither softens nor betrays. From the cut on, serving a customer costs
assortment_saving x s less per month (sim/economics.py).
"""

from __future__ import annotations

from numba import njit

from .world import ASSORTMENT, SPIN, World, add


@njit(cache=True, inline="always")
def relied_on_cut(rank: float, cut: float) -> bool:
    """A consumer relied on the items cut if its assortment_rank is below the cut share."""
    return rank < cut


@njit(cache=True, inline="always")
def fit_after_cut(b, fit: float) -> float:
    """An affected consumer's fit after the cut: fit (1 - fit_loss)."""
    return fit * (1.0 - b.fit_loss)


@njit(cache=True, inline="always")
def sees_through(spin_seen: float, spin_detection: float) -> bool:
    """The consumer sees through the framing (its fixed draw is below its spin_detection)."""
    return spin_seen < spin_detection


@njit(cache=True, inline="always")
def cut_loss(b, framing: float, seen: bool) -> float:
    """Loss evidence of an affected customer: assortment_weight (1 - spin_softening g [not seen through])."""
    return b.assortment_weight * (1.0 - b.spin_softening * framing * (not seen))


@njit(cache=True, inline="always")
def betrayal(b, framing: float, seen: bool) -> tuple[float, float]:
    """(evidence, stress) of the framing: spin_weight g and stress_spin g if seen through, else nothing."""
    return b.spin_weight * framing * seen, b.stress_spin * framing * seen


def cut_assortment(w: World) -> None:
    """On a firm's cut day, remove items some consumers relied on, framed as a favour to them.

    The calendar raises `cut_today` for a firm on its cut day; this phase acts on it, records the
    share cut (`cut_share`, from which serving costs less, sim/economics.py) and lowers the flag.
    """
    _cut_assortment(*w.kernel())


@njit(cache=True)
def _cut_assortment(s, b, fa) -> None:
    for f in range(len(fa.assortment_cut)):
        if not s.cut_today[f]:
            continue
        s.cut_today[f] = False
        cut = s.cut_share[f] = fa.assortment_cut[f]
        for n in range(s.provider.shape[0]):
            affected = relied_on_cut(s.assortment_rank[n], cut)
            if affected:
                s.fit[n, f] = fit_after_cut(b, s.fit[n, f])
            if s.provider[n] == f:
                seen = sees_through(s.spin_seen[n], s.spin_detection[n])
                if affected:
                    add(s, False, ASSORTMENT, n, f, cut_loss(b, fa.cut_framing[f], seen), True)
                spin, strain = betrayal(b, fa.cut_framing[f], seen)
                if spin > 0.0:
                    add(s, False, SPIN, n, f, spin, True)
                    s.stress_in[n] += strain
