"""Observers: measurements read off a running model, shared by the pattern battery and the fact checks.

`ContagionTracker` counts churn by time since a neighbour left (fact 7), `episode_outcomes` follows each
problem episode to whether the customer stayed (fact 4), and `lemons` / `spoil_lemons` give some customers
a product that keeps failing (fact 8). experiments/inference/battery.py and fact_checks.py both use them:
one definition of each measurement. They read the world, and `spoil_lemons` writes only the problem state
of the customers it spoils, between days, from outside sim/. Their daily work is compiled (`_contagion_day`,
`_spoil`), so that the battery's compiled days (battery.py: `_observed_days`, `_lemon_days`) run the very
same code after each day as `after` and `spoil_lemons` run between steps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["LEMON_SEVERITY", "ContagionTracker", "episode_outcomes", "lemons", "spoil_lemons"]


class ContagionTracker:
    """Customer-days and churn events by time since a network neighbour last left the customer's
    provider (level 0: never; levels 1-4: 1-30, 31-90, 91-180, 181+ days) and calendar period.

    Call `before(world)` before each step and `after(world)` after it; `events` and `totals`
    feed analysis.facts.logistic_hazard_ratios. Reads the world only.
    """

    BINS = (1, 31, 91, 181)

    def __init__(self, world, days: int, period: int = 90):
        self.adj = world.adj.tocsr()
        self.period = period
        self.last = np.full((world.n, world.n_firms), -1, dtype=np.int64)
        shape = (len(self.BINS) + 1, -(-days // period))
        self.events, self.totals = np.zeros(shape), np.zeros(shape)
        self._provider = np.full(world.n, -1, dtype=np.int64)
        self._left = np.zeros(world.n, dtype=np.bool_)

    def before(self, world) -> None:
        """Remember who was whose customer at the start of the day."""
        self._provider[:] = world.provider

    def after(self, world) -> None:
        """Count the day's exposure and churn; note today's defections for the neighbours."""
        who, firms = world.defections
        _contagion_day(*self.arrays(), who, firms, world.day)

    def arrays(self) -> tuple:
        """What `_contagion_day` reads and writes (the battery's compiled days pass them to it every day)."""
        return (self._provider, self.last, self.events, self.totals, self.adj.indptr, self.adj.indices,
                np.array(self.BINS, dtype=np.int64), self.period, self._left)


@njit(cache=True)
def _contagion_day(provider, last, events, totals, adj_ptr, adj_idx, bins, period, left, who, firms, day) -> None:
    """ContagionTracker.after: each customer at the start of `day` (`provider`) adds a customer-day at its exposure
    level (days since a neighbour last left its provider, in `bins`; 0: never) to `totals`, and an event to
    `events` if it left today (`who`, `firms`); then today's leavers' neighbours note the day."""
    p = (day - 1) // period
    for i in range(len(who)):
        left[who[i]] = True
    for n in range(len(provider)):
        f = provider[n]
        if f < 0:
            continue
        level = 0
        if last[n, f] >= 0:
            for edge in bins:
                level += day - last[n, f] >= edge
        totals[level, p] += 1
        if left[n]:
            events[level, p] += 1
    for i in range(len(who)):
        left[who[i]] = False
        for j in range(adj_ptr[who[i]], adj_ptr[who[i] + 1]):
            last[adj_idx[j], firms[i]] = day  # the neighbours hear of it tomorrow


def episode_outcomes(model, horizon: int, days: int):
    """One row per problem episode that began at least `horizon` days before the end: its outcome and
    whether the customer stayed with the firm from the onset through onset + `horizon` days.

    The episodes and departures are recorded by the model itself (`record_episodes=True`,
    sim/recorder.py); outcomes are `EPISODE_OUTCOMES` (quick, resolved, unresolved, silent).
    """
    from relsim.world import EPISODE_OUTCOMES

    ep, left = model.recorder.episode_rows(), model.recorder.departure_rows()  # the tables' integer rows
    ep = ep[ep[:, 2] + horizon <= days]
    order = np.lexsort((left[:, 2], left[:, 0]))
    who, when = left[order, 0], left[order, 2]
    consumer, start = ep[:, 0], ep[:, 2]
    # the first departure at or after the onset
    pos = np.searchsorted(who * (days + 2) + when, consumer * (days + 2) + start, side="left")
    if len(who):
        nxt = np.where(pos < len(who), pos, 0)
        left_by = (pos < len(who)) & (who[nxt] == consumer) & (when[nxt] <= start + horizon)
    else:  # nobody left
        left_by = np.zeros(len(consumer), dtype=bool)
    import pandas as pd

    return pd.DataFrame({"consumer": consumer, "firm": ep[:, 1], "start": start,
                         "outcome": np.array(EPISODE_OUTCOMES, dtype=object)[ep[:, 4]], "stayed": ~left_by})


LEMON_SEVERITY = 3.0  # how badly the product keeps failing for a dissatisfied customer (an average problem is 1)


def lemons(world, share: float, seed: int) -> np.ndarray:
    """Which consumers get a product that keeps failing: a fixed draw per seed (the same in every arm)."""
    return np.random.default_rng([seed, 2007]).random(world.n) < share


def spoil_lemons(world, lemon: np.ndarray, severity: float = LEMON_SEVERITY) -> None:
    """Give every "lemon" customer of the focal firm an open problem of `severity` that it does not call
    about (called between days, from outside sim/): its own experience stays bad."""
    _spoil(world.provider, world.open_severity, world.open_days, world.calls, world.seeking, lemon, severity)


@njit(cache=True)
def _spoil(provider, open_severity, open_days, calls, seeking, lemon, severity) -> None:
    """spoil_lemons on the state's arrays (the battery's compiled days call it after each day)."""
    for n in range(len(provider)):
        if lemon[n] and provider[n] == 0 and open_severity[n] < severity:
            if open_severity[n] == 0:  # a fresh problem
                open_days[n] = 0
                calls[n] = 0
                seeking[n] = False
            open_severity[n] = severity
