"""Changes to the offer: nuisance fees and an assortment cut with spin (article ideas 4 and 5).

Nuisance fees. "When customers pay more each month for the privilege of overriding the caller-ID
function, have we addressed the fundamental issue?" A firm with nuisance_fee > 0 charges every
customer that fee each 30 days of tenure, to keep a right the customer had. It is revenue and, for
the customer, unfairness evidence fee_weight x fee / reference_price plus stress.

Assortment cut with spin. "Are SKUs being cut for the customer's sake, or is an empathetic stance
just a way to spin cost cutting?" On cut_day a firm with assortment_cut = s removes the items that
the share s of consumers relied on (those with assortment_rank < s): their fit with the firm falls
by the share fit_loss, and current customers among them receive assortment_weight of negative
evidence. The cut is framed as being for the customer's sake; each current customer sees through
the framing with probability spin_detection_n (drawn from the population stream, so the same
consumers see through it in every arm), which adds spin_weight of negative evidence and stress.
From the cut on, serving a customer costs assortment_saving x s less per month (sim/economics.py).
"""

from __future__ import annotations

from numba import njit

from relsim.world import ASSORTMENT, N_FEES, NUISANCE_FEES, SPIN, World, add


def charge_nuisance_fees(w: World) -> None:
    """Charge the monthly fee for keeping a right, on each 30th day of tenure."""
    _charge_nuisance_fees(*w.kernel())


@njit(cache=True)
def _charge_nuisance_fees(s, b, fa) -> None:
    if fa.nuisance_fee.max() <= 0:
        return
    for n in range(s.provider.shape[0]):
        f = s.provider[n]
        if f >= 0 and fa.nuisance_fee[f] > 0 and s.tenure[n] > 0 and s.tenure[n] % 30 == 0:
            fee = fa.nuisance_fee[f]
            s.today_arr[N_FEES, f] += fee
            add(s, False, NUISANCE_FEES, n, f, b.fee_weight * fee / b.reference_price, True)
            s.stress_in[n] += b.stress_fee


def cut_assortment(w: World) -> None:
    """On a firm's cut day, remove items some consumers relied on, framed as a favour to them."""
    _cut_assortment(*w.kernel())


@njit(cache=True)
def _cut_assortment(s, b, fa) -> None:
    day = s.clock[0]
    for f in range(len(fa.assortment_cut)):
        cut = fa.assortment_cut[f]
        if cut <= 0 or max(fa.cut_day[f], 1.0) != day:
            continue
        for n in range(s.provider.shape[0]):
            affected = s.assortment_rank[n] < cut
            if affected:
                s.fit[n, f] *= 1.0 - b.fit_loss
            if s.provider[n] == f:
                if affected:
                    add(s, False, ASSORTMENT, n, f, b.assortment_weight, True)
                if s.spin_seen[n] < s.spin_detection[n]:
                    add(s, False, SPIN, n, f, b.spin_weight, True)
                    s.stress_in[n] += b.stress_spin
