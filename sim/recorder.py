"""Observation: each day's per-firm figures, evidence by cause, and the day-0 cohorts' survival.

Customer equity (sim/economics.py:_equity, a pass over all customers) is recorded every
EQUITY_EVERY-th day and on the last day, NaN on the other days: daily, it would add a second
exponential per consumer-day to the day. Both engines record through this module (the reference
engine writes its state back into the world each evening), so they share the computation.

The recorder fills preallocated arrays (no per-day allocation of tables) and hands tidy tables to
whoever runs the model; the column meanings are in docs/SCHEMA.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from .economics import _equity
from .params import LEVERS
from .trust import beta_mean, prior
from .world import CAUSES, COUNTERS, E_DEFECTIONS, E_EPISODES, EPISODE_OUTCOMES, N_REACHED, N_TICKETS, World

COLUMNS = ("customers", "acquired", "churned", "mean_trust", "mean_intimacy", "mean_stress", "contacts",
           "problems", "tickets", "tickets_reached", "tickets_resolved", "tickets_unreached", "fees",
           "complaints_private", "complaints_public", "posts_positive", "complaints_answered",
           "contact_sales", "sales_revenue", "staffed", "spend", "problem_rate", "revenue", "cost", "profit", "npv",
           "customer_equity", *LEVERS)  # the firm's levers today, one column each (set from Python, not _record)
COUNT_COLUMNS = ("customers", "acquired", "churned", "contacts", "problems", "tickets", "tickets_reached",
                 "tickets_resolved", "tickets_unreached", "complaints_private", "complaints_public",
                 "posts_positive", "complaints_answered", "contact_sales")
_COL = {c: k for k, c in enumerate(COLUMNS)}
#: Column of each per-firm counter of sim/world.py (-1: not recorded).
_COUNTER_COLUMN = np.array([_COL.get(name, -1) for name in COUNTERS], dtype=np.int64)
(C_CUSTOMERS, C_TRUST, C_INTIMACY, C_STRESS, C_UNREACHED, C_RATE, C_REVENUE, C_COST, C_PROFIT, C_NPV,
 C_EQUITY) = (
    _COL[c] for c in ("customers", "mean_trust", "mean_intimacy", "mean_stress", "tickets_unreached", "problem_rate",
                      "revenue", "cost", "profit", "npv", "customer_equity"))
_LEVERS = slice(_COL[LEVERS[0]], _COL[LEVERS[-1]] + 1)


def column(name: str) -> int:
    """The index of a recorded column in `Recorder.values` (docs/SCHEMA.md)."""
    return _COL[name]


#: Customer equity is recorded on every EQUITY_EVERY-th day and on the last day (NaN otherwise).
EQUITY_EVERY = 30


class Recorder:
    """Collects a run's observations day by day."""

    def __init__(self, w: World, days: int, strategy_names: list[str]):
        self.days, self.strategy_names = days, strategy_names
        self.values = np.full((days, w.n_firms, len(COLUMNS)), np.nan)
        self.evidence = np.zeros((days, 2, len(CAUSES), w.n_firms))
        self.surviving = np.ones((days + 1, w.n_firms))
        self.cohort_size = np.maximum(np.bincount(w.cohort[w.cohort >= 0], minlength=w.n_firms), 1)
        self.day = 0
        self._episodes: list[np.ndarray] = []
        self._departures: list[np.ndarray] = []
        self._levers, self._levers_of = None, None  # the firms' levers, and the FirmArrays they were read from

    def record(self, w: World) -> None:
        """Store the day that just ended."""
        s, b, fa = w.kernel()
        _record(s, b, fa, self.values, self.evidence, self.surviving, self.cohort_size)
        self.finish_day(w)

    def finish_day(self, w: World) -> None:
        """After a recorded day: advance the recorder's day; when episodes are observed, keep the problem
        episodes that ended in it and the day's departures; record the firms' levers of the day."""
        self.day = min(w.day, self.days)
        if 0 < w.day <= self.days:
            if w.firms is not self._levers_of:  # the levers change with the firms' arrays (model.set_strategy)
                self._levers, self._levers_of = np.column_stack([getattr(w.firms, k) for k in LEVERS]), w.firms
            self.values[w.day - 1, :, _LEVERS] = self._levers
        if not w.observe[0] or w.day > self.days:
            return
        gone = w.n_events[E_DEFECTIONS]
        if gone:
            self._departures.append(np.column_stack([w.defect_buf[:gone], w.defect_firm[:gone], np.full(gone, w.day)]))
        k = w.n_events[E_EPISODES]
        if k:
            rows = w.episode_buf[:k]
            self._episodes.append(np.column_stack([rows, w.episode_firm[:k], w.episode_start[rows],
                                                   np.full(k, w.day), w.episode_outcome[:k]]))

    def episodes(self) -> pd.DataFrame:
        """One row per problem episode that ended: consumer, firm, start and end day, outcome.

        Recorded only with RelationshipModel(record_episodes=True); outcomes are world.EPISODE_OUTCOMES
        (quick, resolved, unresolved, silent). An episode still open at the end is not in the table.
        """
        data = np.concatenate(self._episodes) if self._episodes else np.zeros((0, 5), dtype=np.int64)
        frame = pd.DataFrame(data, columns=["consumer", "firm", "start", "end", "outcome"])
        frame["outcome"] = pd.Categorical.from_codes(frame.pop("outcome"), categories=list(EPISODE_OUTCOMES))
        return frame

    def departures(self) -> pd.DataFrame:
        """One row per departure (consumer, firm left, day); recorded with record_episodes=True."""
        data = np.concatenate(self._departures) if self._departures else np.zeros((0, 3), dtype=np.int64)
        return pd.DataFrame(data, columns=["consumer", "firm", "day"])

    def latest(self, column: str, firm: int = 0) -> float:
        """The last recorded value of `column` for `firm` (NaN before day 1)."""
        return float(self.values[self.day - 1, firm, _COL[column]]) if self.day else float("nan")

    def runs(self) -> pd.DataFrame:
        """One row per day x firm (docs/SCHEMA.md, runs.parquet, without arm and seed)."""
        days, n_firms = self.day, self.values.shape[1]
        frame = pd.DataFrame({
            "day": np.repeat(np.arange(1, days + 1), n_firms),
            "firm": np.tile(np.arange(n_firms), days),
            "strategy": np.tile(np.array(self.strategy_names, dtype=object), days),
        })
        flat = self.values[:days].reshape(days * n_firms, len(COLUMNS))
        for k, name in enumerate(COLUMNS):
            frame[name] = flat[:, k].astype(np.int64) if name in COUNT_COLUMNS else flat[:, k]
        return frame

    def retention(self) -> pd.DataFrame:
        """Survival of each firm's day-0 customers by tenure (0 ... days)."""
        days, n_firms = self.day, self.surviving.shape[1]
        return pd.DataFrame({
            "firm": np.repeat(np.arange(n_firms), days + 1),
            "tenure_days": np.tile(np.arange(days + 1), n_firms),
            "surviving": self.surviving[: days + 1].T.reshape(-1),
        })

    def evidence_table(self) -> pd.DataFrame:
        """Evidence received by each firm's customers, by day, sign and cause."""
        days, _, n_causes, n_firms = self.evidence.shape
        days = self.day
        ev = self.evidence[:days]  # (day, sign, cause, firm)
        d, s, c, f = np.meshgrid(np.arange(days), np.arange(2), np.arange(n_causes), np.arange(n_firms),
                                 indexing="ij")
        return pd.DataFrame({
            "day": d.reshape(-1) + 1,
            "firm": f.reshape(-1),
            "sign": np.array(["negative", "positive"], dtype=object)[s.reshape(-1)],
            "cause": np.array(CAUSES, dtype=object)[c.reshape(-1)],
            "amount": ev.reshape(-1),
        })


@njit(cache=True)
def _record(s, b, fa, values, evidence, surviving, cohort_size) -> None:
    day = s.clock[0]
    if day > values.shape[0]:
        return
    n_firms = s.pos.shape[1]
    row = values[day - 1]
    for k in range(len(_COUNTER_COLUMN)):
        if _COUNTER_COLUMN[k] >= 0:
            row[:, _COUNTER_COLUMN[k]] = s.today_arr[k]
    trust, intimacy, stress, alive = np.zeros(n_firms), np.zeros(n_firms), np.zeros(n_firms), np.zeros(n_firms)
    provider, intim, level, cohort, alive_ = s.provider, s.intimacy, s.stress, s.cohort, s.cohort_alive
    pos, neg, a0 = s.pos, s.neg, prior(b)
    for n in range(provider.shape[0]):
        f = provider[n]
        if f >= 0:
            trust[f] += beta_mean(a0, pos[n, f], neg[n, f])
            intimacy[f] += intim[n, f]
            stress[f] += level[n]
        if alive_[n] and cohort[n] >= 0:
            alive[cohort[n]] += 1
    for f in range(n_firms):
        customers = s.firm_customers[f]
        row[f, C_CUSTOMERS] = customers
        row[f, C_TRUST] = trust[f] / customers if customers > 0 else np.nan
        row[f, C_INTIMACY] = intimacy[f] / customers if customers > 0 else np.nan
        row[f, C_STRESS] = stress[f] / customers if customers > 0 else np.nan
        row[f, C_UNREACHED] = s.today_arr[N_TICKETS, f] - s.today_arr[N_REACHED, f]
        row[f, C_RATE] = s.problem_rate[f]
        row[f, C_PROFIT] = row[f, C_REVENUE] - row[f, C_COST]
        row[f, C_NPV] = s.npv[f]
        surviving[day, f] = alive[f] / cohort_size[f]
    evidence[day - 1] = s.evidence
    if day % EQUITY_EVERY == 0 or day == values.shape[0]:
        equity = np.empty(n_firms)
        _equity(s, b, fa, equity)
        row[:, C_EQUITY] = equity
