"""Observers: measurements read off a running model, shared by the pattern battery and the fact checks.

`ContagionTracker` counts churn by time since a neighbour left (fact 7), `episode_outcomes` follows each
problem episode to whether the customer stayed (fact 4), and `lemons` / `spoil_lemons` give some customers
a product that keeps failing (fact 8). experiments/inference/battery.py and fact_checks.py both use them:
one definition of each measurement. They read the world, and `spoil_lemons` writes only the problem state
of the customers it spoils, between days, from outside sim/.
"""

from __future__ import annotations

import numpy as np

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
        self._provider: np.ndarray | None = None

    def before(self, world) -> None:
        """Remember who was whose customer at the start of the day."""
        self._provider = world.provider.copy()

    def after(self, world) -> None:
        """Count the day's exposure and churn; note today's defections for the neighbours."""
        provider, day = self._provider, world.day
        rows = np.flatnonzero(provider >= 0)
        seen = self.last[rows, provider[rows]]
        level = np.where(seen < 0, 0, np.searchsorted(self.BINS, day - seen, side="right"))
        who, firms = (np.asarray(a) for a in world.defections)
        left = np.zeros(world.n, dtype=bool)
        left[who] = True
        p = (day - 1) // self.period
        np.add.at(self.totals[:, p], level, 1)
        np.add.at(self.events[:, p], level[left[rows]], 1)
        for f in np.unique(firms):
            self.last[self.adj[who[firms == f]].indices, f] = day  # the neighbours hear of it tomorrow


def episode_outcomes(model, horizon: int, days: int):
    """One row per problem episode that began at least `horizon` days before the end: its outcome and
    whether the customer stayed with the firm from the onset through onset + `horizon` days.

    The episodes and departures are recorded by the model itself (`record_episodes=True`,
    sim/recorder.py); outcomes are `EPISODE_OUTCOMES` (quick, resolved, unresolved, silent).
    """
    ep, left = model.recorder.episodes(), model.recorder.departures()
    ep = ep.loc[ep["start"] + horizon <= days].reset_index(drop=True)
    order = np.lexsort((left["day"].to_numpy(), left["consumer"].to_numpy()))
    who, when = left["consumer"].to_numpy()[order], left["day"].to_numpy()[order]
    consumer, start = ep["consumer"].to_numpy(), ep["start"].to_numpy()
    # the first departure at or after the onset
    pos = np.searchsorted(who * (days + 2) + when, consumer * (days + 2) + start, side="left")
    if len(who):
        nxt = np.where(pos < len(who), pos, 0)
        left_by = (pos < len(who)) & (who[nxt] == consumer) & (when[nxt] <= start + horizon)
    else:  # nobody left
        left_by = np.zeros(len(consumer), dtype=bool)
    import pandas as pd

    return pd.DataFrame({"consumer": consumer, "firm": ep["firm"].to_numpy(), "start": start,
                         "outcome": ep["outcome"].astype(str).to_numpy(dtype=object), "stayed": ~left_by})


LEMON_SEVERITY = 3.0  # how badly the product keeps failing for a dissatisfied customer (an average problem is 1)


def lemons(world, share: float, seed: int) -> np.ndarray:
    """Which consumers get a product that keeps failing: a fixed draw per seed (the same in every arm)."""
    return np.random.default_rng([seed, 2007]).random(world.n) < share


def spoil_lemons(world, lemon: np.ndarray, severity: float = LEMON_SEVERITY) -> None:
    """Give every "lemon" customer of the focal firm an open problem of `severity` that it does not call
    about (called between days, from outside sim/): its own experience stays bad."""
    hit = np.flatnonzero(lemon & (world.provider == 0) & (world.open_severity < severity))
    fresh = hit[world.open_severity[hit] == 0]
    world.open_days[fresh] = 0
    world.calls[fresh] = 0
    world.seeking[fresh] = False
    world.open_severity[hit] = severity
