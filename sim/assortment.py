"""An assortment cut framed as a favour: spin (article idea 5).

"Are SKUs being cut for the customer's sake, or is an empathetic stance just a way to spin cost
cutting?" On cut_day (an event of sim/calendar.py) a firm with assortment_cut = s removes the items that the share s of consumers
relied on (those with assortment_rank < s): their fit with the firm falls by the share fit_loss,

    fit <- fit (1 - fit_loss),

and current customers among them receive assortment_weight of negative evidence. The cut is framed
as being for the customer's sake; each current customer sees through the framing with probability
spin_detection_n (drawn from the population stream, so the same consumers see through it in every
arm), which adds spin_weight of negative evidence and stress_spin of stress. From the cut on,
serving a customer costs assortment_saving x s less per month (sim/economics.py).
"""

from __future__ import annotations

from numba import njit

from relsim.world import ASSORTMENT, SPIN, World, add


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
                if affected:
                    add(s, False, ASSORTMENT, n, f, b.assortment_weight, True)
                if sees_through(s.spin_seen[n], s.spin_detection[n]):
                    add(s, False, SPIN, n, f, b.spin_weight, True)
                    s.stress_in[n] += b.stress_spin
