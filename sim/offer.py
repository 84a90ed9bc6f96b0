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

import numpy as np

from sim.world import World


def charge_nuisance_fees(w: World) -> None:
    """Charge the monthly fee for keeping a right, on each 30th day of tenure."""
    b = w.market.behaviour
    fee = np.where(w.provider >= 0, w.firms.nuisance_fee[w.provider], 0.0)
    rows = np.flatnonzero((fee > 0) & (w.tenure > 0) & (w.tenure % 30 == 0))
    firms = w.provider[rows]
    w.count("fees", firms, fee[rows])
    w.add("negative", "nuisance_fees", rows, firms, b.fee_weight * fee[rows] / w.market.reference_price,
          direct=True)
    w.stress_in[rows] += b.stress_fee


def cut_assortment(w: World) -> None:
    """On a firm's cut day, remove items some consumers relied on, framed as a favour to them."""
    b, fa, t = w.market.behaviour, w.firms, w.traits
    for f in np.flatnonzero((fa.assortment_cut > 0) & (np.maximum(fa.cut_day, 1) == w.day)):
        affected = t.assortment_rank < fa.assortment_cut[f]
        w.fit[affected, f] *= 1.0 - b.fit_loss
        customers = w.provider == f
        rows = np.flatnonzero(customers & affected)
        w.add("negative", "assortment", rows, np.full(len(rows), f), b.assortment_weight, direct=True)
        seen = np.flatnonzero(customers & (t.spin_seen < t.spin_detection))
        w.add("negative", "spin", seen, np.full(len(seen), f), b.spin_weight, direct=True)
        w.stress_in[seen] += b.stress_spin
