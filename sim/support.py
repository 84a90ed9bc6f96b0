"""Using the product, problems, and customer support (article ideas 1, 3, 4 and 7).

Usage. Each day a customer's use of the product is evidence of its fit: usage_evidence x fit is
positive and usage_evidence x (1 - fit) negative.

Problems. A customer of firm f has a new problem on a day with probability
problem_rate_f / 365 x proneness_n; its severity is exponential with mean severity_mean. A defect
shock (the Pentium flaw) gives a share of a firm's customers a problem of the shock's severity on
one day (the problem's severity is the larger of its ordinary draw and the shock's). The onset is negative evidence problem_weight x severity, and each day the problem stays
open adds open_weight x severity.

Support. At a problem's onset the consumer decides once whether to call support about it, with
probability seeking_n x exp(-fee_deterrence x price_sensitivity_n x fee / reference_price), where
fee is the support fee the call would cost (none within the free period). Callers call every day
until the problem ends. The firm staffs s_f = inbound_capacity_f / 1000 x customers_f slots a day
(a whole number: the fractional part is a chance of one more slot); when more call, exactly s_f of
the day's calls, in random order, get through (a daily queue; the others hear a busy line). A call that does not get through is negative evidence and stress (loss of control); one that
does is a two-way exchange (positive evidence, intimacy) and may cost the fee after the free period
(unfairness evidence and stress, not only price); it resolves the problem with probability
resolution_quality_f. A resolution is positive evidence resolved_weight x severity, plus
quick_weight x severity at the first call. Callers give up after `patience` days: negative evidence
unresolved_weight x severity and stress. Problems nobody calls about fade with mean self_fix_days,
with no recovery evidence. The ordering of loyalty by complaint outcome (TARP) is left to emerge.
"""

from __future__ import annotations

import numpy as np

from sim.world import World


def use(w: World) -> None:
    """Customers experience the product's fit."""
    b = w.market.behaviour
    rows = np.flatnonzero(w.provider >= 0)
    firms = w.provider[rows]
    fit = w.fit[rows, firms]
    w.add("positive", "usage", rows, firms, b.usage_evidence * fit)
    w.add("negative", "usage", rows, firms, b.usage_evidence * (1 - fit))


def expected_fee(w: World, rows: np.ndarray) -> np.ndarray:
    """The support fee a call by consumer `rows` would cost today (0 within the free period)."""
    firms = w.provider[rows]
    after_free = w.tenure[rows] > w.firms.support_free_days[firms]
    return np.where(after_free, w.firms.support_fee[firms], 0.0)


def fee_deterrence(w: World, rows: np.ndarray) -> np.ndarray:
    """The factor by which an expected fee lowers calling or complaining."""
    m = w.market
    scale = m.behaviour.fee_deterrence / m.reference_price
    return np.exp(-scale * w.traits.price_sensitivity[rows] * expected_fee(w, rows))


def experience_problems(w: World) -> None:
    """New problems (and the defect shock) hit customers; each decides whether to call support."""
    b, shock = w.market.behaviour, w.market.shock
    rng = w.rng["problems"]
    customer = w.provider >= 0
    rate = np.where(customer, w.problem_rate[w.provider] / 365.0, 0.0) * w.traits.problem_proneness
    new = customer & (rng.random(w.n) < rate)
    severity = rng.exponential(b.severity_mean, w.n)
    decide = rng.random(w.n)
    if w.day == shock.day:
        hit = customer & (w.provider == shock.firm) & (w.shock_draw < shock.share)
        severity = np.where(hit, np.maximum(severity, shock.severity), severity)
        new |= hit
    rows = np.flatnonzero(new)
    firms = w.provider[rows]
    w.count("problems", firms)
    w.add("negative", "problems", rows, firms, b.problem_weight * severity[rows], direct=True)
    fresh = rows[w.open_severity[rows] == 0]
    w.open_days[fresh] = 0
    w.calls[fresh] = 0
    w.seeking[fresh] = decide[fresh] < w.traits.support_seeking[fresh] * fee_deterrence(w, fresh)
    w.open_severity[rows] += severity[rows]


def seek_support(w: World) -> None:
    """Callers queue for the firm's staffed slots; calls get through, resolve, cost fees, or fail."""
    b, fa = w.market.behaviour, w.firms
    rng = w.rng["support"]
    u_queue, u_resolve, u_slot = rng.random(w.n), rng.random(w.n), rng.random(w.n_firms)
    staffed = fa.inbound_capacity * w.customers / 1000.0
    w.today["staffed"] += staffed
    slots = np.floor(staffed) + (u_slot < staffed % 1)
    rows = np.flatnonzero((w.provider >= 0) & (w.open_severity > 0) & w.seeking)
    firms = w.provider[rows]
    reached = _queue(firms, u_queue[rows], slots)
    resolved = reached & (u_resolve[rows] < fa.resolution_quality[firms])
    first_call = w.calls[rows] == 0
    w.calls[rows] += 1
    w.count("tickets", firms)
    w.count("tickets_reached", firms[reached])
    w.count("tickets_resolved", firms[resolved])

    lost = rows[~reached]
    w.add("negative", "unreached", lost, w.provider[lost], b.unreached_weight, direct=True)
    w.stress_in[lost] += b.stress_unreached

    heard = rows[reached]
    w.add("positive", "heard", heard, w.provider[heard], b.heard_weight, direct=True)
    w.exchanges[heard] += 1
    fee = expected_fee(w, heard)
    paid = fee > 0
    w.count("fees", w.provider[heard][paid], fee[paid])
    w.add("negative", "support_fees", heard[paid], w.provider[heard[paid]],
          b.fee_weight * fee[paid] / w.market.reference_price, direct=True)
    w.stress_in[heard[paid]] += b.stress_fee

    done = rows[resolved]
    severity = w.open_severity[done]
    w.add("positive", "resolved", done, w.provider[done],
          severity * (b.resolved_weight + b.quick_weight * first_call[resolved]), direct=True)
    w.exchanges[done] += 1
    w.open_severity[done] = 0


def _queue(firms: np.ndarray, priority: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Which calls get through: for each firm, the `slots` calls with the smallest priority draws."""
    order = np.lexsort((priority, firms))
    rank = np.empty(len(firms), dtype=np.int64)
    starts = np.searchsorted(firms[order], firms[order], side="left")
    rank[order] = np.arange(len(firms)) - starts
    return rank < slots[firms]


def progress_problems(w: World) -> None:
    """Open problems weigh on their customers; callers run out of patience; silent problems fade."""
    b = w.market.behaviour
    u = w.rng["problems"].random(w.n)
    rows = np.flatnonzero((w.provider >= 0) & (w.open_severity > 0))
    firms = w.provider[rows]
    severity = w.open_severity[rows]
    w.add("negative", "problems", rows, firms, b.open_weight * severity, direct=True)
    w.open_days[rows] += 1
    give_up = w.seeking[rows] & (w.open_days[rows] >= w.traits.patience[rows])
    quits = rows[give_up]
    w.add("negative", "unresolved", quits, firms[give_up], b.unresolved_weight * severity[give_up], direct=True)
    w.stress_in[quits] += b.stress_unresolved
    fades = rows[~w.seeking[rows] & (u[rows] < 1.0 / b.self_fix_days)]
    w.open_severity[quits] = 0
    w.open_severity[fades] = 0
