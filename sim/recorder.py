"""Observation: each day's per-firm figures, evidence by cause, and the day-0 cohorts' survival.

The recorder fills preallocated arrays (no per-day allocation of tables) and hands tidy tables to
whoever runs the model; the column meanings are in docs/SCHEMA.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.world import CAUSES, World

COLUMNS = ("customers", "acquired", "churned", "mean_trust", "mean_intimacy", "mean_stress", "contacts",
           "problems", "tickets", "tickets_reached", "tickets_resolved", "tickets_unreached", "fees",
           "complaints_private", "complaints_public", "posts_positive", "complaints_answered",
           "problem_rate", "revenue", "cost", "profit", "npv")
COUNT_COLUMNS = ("customers", "acquired", "churned", "contacts", "problems", "tickets", "tickets_reached",
                 "tickets_resolved", "tickets_unreached", "complaints_private", "complaints_public",
                 "posts_positive", "complaints_answered")
_COL = {c: k for k, c in enumerate(COLUMNS)}


class Recorder:
    """Collects a run's observations day by day."""

    def __init__(self, w: World, days: int, strategy_names: list[str]):
        self.days, self.strategy_names = days, strategy_names
        self.values = np.full((days, w.n_firms, len(COLUMNS)), np.nan)
        self.evidence = np.zeros((days, 2, len(CAUSES), w.n_firms))
        self.surviving = np.ones((days + 1, w.n_firms))
        self.cohort_size = np.maximum(np.bincount(w.cohort[w.cohort >= 0], minlength=w.n_firms), 1)
        self.day = 0

    def record(self, w: World) -> None:
        """Store the day that just ended."""
        if w.day > self.days:
            return
        row = self.values[w.day - 1]
        customers = w.customers
        for name, value in w.today.items():
            if name in _COL:
                row[:, _COL[name]] = value
        rows = np.flatnonzero(w.provider >= 0)
        firms = w.provider[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = lambda x: np.bincount(firms, weights=x, minlength=w.n_firms) / customers  # noqa: E731
            row[:, _COL["mean_trust"]] = mean(w.provider_trust()[rows])
            row[:, _COL["mean_intimacy"]] = mean(w.intimacy[rows, firms])
            row[:, _COL["mean_stress"]] = mean(w.stress[rows])
        row[:, _COL["customers"]] = customers
        row[:, _COL["tickets_unreached"]] = w.today["tickets"] - w.today["tickets_reached"]
        row[:, _COL["problem_rate"]] = w.problem_rate
        row[:, _COL["profit"]] = w.today["revenue"] - w.today["cost"]
        row[:, _COL["npv"]] = w.npv
        self.evidence[w.day - 1] = w.evidence
        alive = w.cohort_alive & (w.cohort >= 0)
        self.surviving[w.day] = np.bincount(w.cohort[alive], minlength=w.n_firms) / self.cohort_size
        self.day = w.day

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
