"""Observation: each day's per-firm figures, evidence by cause, and the day-0 cohorts' survival.

Customer equity (sim/economics.py:_equity, a pass over all customers) is recorded every
EQUITY_EVERY-th day and on the last day, NaN on the other days: daily, it would add a second
exponential per consumer-day to the day. Its net margin needs each firm's current relationship spend
and contact-sale margin per customer-day; `_current_rates` sums them from the last RATE_DAYS recorded
rows (economics.customer_spend, sales_margin, per_customer_day). Both engines record through this
module (the reference engine writes its state back into the world each evening), so they share the
computation.

The recorder fills preallocated arrays (no per-day allocation of tables) and hands tidy tables to
whoever runs the model; the column meanings are in docs/SCHEMA.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from .economics import RATE_DAYS, _equity, customer_equity, customer_spend, per_customer_day, sales_margin
from .params import CHANNELS, LEVERS
from .trust import beta_mean, prior
from .world import CAUSES, COUNTERS, E_DEFECTIONS, E_EPISODES, EPISODE_OUTCOMES, N_REACHED, N_TICKETS, World

COLUMNS = ("customers", "acquired", "churned", "mean_trust", "mean_intimacy", "mean_stress", "contacts",
           "problems", "tickets", "tickets_reached", "tickets_resolved", "tickets_unreached", "fees",
           "complaints_private", "complaints_public", "posts_positive", "complaints_answered",
           "contact_sales", "sales_revenue", *(f"contacts_{c}" for c in CHANNELS), "prospect_contacts",
           *(f"sales_{c}" for c in CHANNELS), "staffed", "spend", "problem_rate", "revenue", "cost", "profit", "npv",
           "customer_equity", *LEVERS)  # the firm's levers today, one column each (set from Python, not _record)
COUNT_COLUMNS = ("customers", "acquired", "churned", "contacts", "problems", "tickets", "tickets_reached",
                 "tickets_resolved", "tickets_unreached", "complaints_private", "complaints_public",
                 "posts_positive", "complaints_answered", "contact_sales", *(f"contacts_{c}" for c in CHANNELS),
                 "prospect_contacts", *(f"sales_{c}" for c in CHANNELS))
_COL = {c: k for k, c in enumerate(COLUMNS)}
#: Column of each per-firm counter of sim/world.py (-1: not recorded).
_COUNTER_COLUMN = np.array([_COL.get(name, -1) for name in COUNTERS], dtype=np.int64)
(C_CUSTOMERS, C_TRUST, C_INTIMACY, C_STRESS, C_UNREACHED, C_RATE, C_REVENUE, C_COST, C_PROFIT, C_NPV,
 C_EQUITY, C_SPEND, C_PROSPECTS, C_SALES_REVENUE) = (
    _COL[c] for c in ("customers", "mean_trust", "mean_intimacy", "mean_stress", "tickets_unreached", "problem_rate",
                      "revenue", "cost", "profit", "npv", "customer_equity", "spend", "prospect_contacts",
                      "sales_revenue"))
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
        # each firm's cells (docs/ODD.md §7.22) by day: customers at the start of the day and departures; the world
        # holds it so that the compiled _record (and the reference engine) fill it
        w.cell_log = self.cell_log = np.zeros((days + 1, *w.cell_today.shape))
        self.day = 0
        # the problem episodes that ended (consumer, firm, start, end, outcome) and the departures (consumer, firm,
        # day), logged by the compiled `_log` after each day when episodes are observed; `logged` counts their rows
        self.episode_log = np.zeros((0, 5), dtype=np.int64)
        self.departure_log = np.zeros((0, 3), dtype=np.int64)
        self.logged = np.zeros(2, dtype=np.int64)
        self._levers, self._levers_of = None, None  # the firms' levers, and the FirmArrays they were read from

    @property
    def log(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The logs the compiled days write (sim/vectorized.py:_days): episodes, departures, rows used in each."""
        return self.episode_log, self.departure_log, self.logged

    def reserve(self, w: World) -> None:
        """Room in the logs for at least one more day when episodes are observed (a day ends at most one episode
        and one departure per consumer); the compiled days stop early when a day might not fit."""
        if not w.observe[0]:
            return
        for k, name in enumerate(("episode_log", "departure_log")):
            log = getattr(self, name)
            if len(log) - self.logged[k] < w.n:
                grown = np.zeros((max(2 * len(log), len(log) + 8 * w.n), log.shape[1]), dtype=np.int64)
                grown[: self.logged[k]] = log[: self.logged[k]]
                setattr(self, name, grown)

    def record(self, w: World) -> None:
        """Store the day that just ended."""
        s, b, fa = w.kernel()
        _record(s, b, fa, self.values, self.evidence, self.surviving, self.cohort_size)
        self.finish_day(w)

    def finish_day(self, w: World) -> None:
        """After a recorded day: advance the recorder's day; when episodes are observed, log the problem episodes
        that ended in it and the day's departures; record the firms' levers of the day."""
        self.reserve(w)
        _log(w.kernel()[0], self.days, *self.log)
        self.finish_days(w, w.day)

    def finish_days(self, w: World, first: int) -> None:
        """After the days `first` ... today (whose episodes the compiled days logged): advance the recorder's day and
        record the firms' levers of those days (the same on each: they change only between calls)."""
        self.day = min(w.day, self.days)
        last = min(w.day, self.days)
        if first <= last and last > 0:
            if w.firms is not self._levers_of:  # the levers change with the firms' arrays (model.set_strategy)
                self._levers, self._levers_of = np.column_stack([getattr(w.firms, k) for k in LEVERS]), w.firms
            self.values[max(first, 1) - 1: last, :, _LEVERS] = self._levers

    def episodes(self) -> pd.DataFrame:
        """One row per problem episode that ended: consumer, firm, start and end day, outcome.

        Recorded only with RelationshipModel(record_episodes=True); outcomes are world.EPISODE_OUTCOMES
        (quick, resolved, unresolved, silent). An episode still open at the end is not in the table.
        """
        frame = pd.DataFrame(self.episode_rows(), columns=["consumer", "firm", "start", "end", "outcome"])
        frame["outcome"] = pd.Categorical.from_codes(frame.pop("outcome"), categories=list(EPISODE_OUTCOMES))
        return frame

    def departures(self) -> pd.DataFrame:
        """One row per departure (consumer, firm left, day); recorded with record_episodes=True."""
        return pd.DataFrame(self.departure_rows(), columns=["consumer", "firm", "day"])

    def episode_rows(self) -> np.ndarray:
        """`episodes()` as an integer array (consumer, firm, start, end, outcome's index in EPISODE_OUTCOMES): a view."""
        return self.episode_log[: self.logged[0]]

    def departure_rows(self) -> np.ndarray:
        """`departures()` as an integer array (consumer, firm, day): a view."""
        return self.departure_log[: self.logged[1]]

    def current_rates(self, w: World) -> tuple[np.ndarray, np.ndarray]:
        """Each firm's relationship spend and contact-sale margin per customer-day over the last RATE_DAYS
        recorded days: the current rates its customer equity assumes (docs/ODD.md §7.18.1)."""
        s, b, fa = w.kernel()
        spend, sales = np.zeros(w.n_firms), np.zeros(w.n_firms)
        _current_rates(self.values, min(w.day, self.days), b, fa, spend, sales)
        return spend, sales

    def equity(self, w: World) -> np.ndarray:
        """Each firm's customer equity now, at its current rates (what `_record` records on its equity days)."""
        return customer_equity(w, *self.current_rates(w))

    def latest(self, column: str, firm: int = 0) -> float:
        """The last recorded value of `column` for `firm` (NaN before day 1)."""
        return float(self.values[self.day - 1, firm, _COL[column]]) if self.day else float("nan")

    def segments(self) -> pd.DataFrame:
        """Customers at the start of each day and departures that day, per cell of each firm that had customers in a
        segment (docs/SCHEMA.md, segments.parquet; cell 0: the customers in none); empty when no firm had any."""
        log = self.cell_log[1: self.day + 1]
        used = [f for f in range(log.shape[2]) if log[:, 0, f, 1:].sum() + log[:, 1, f, 1:].sum() > 0]
        rows = []
        for f in used:
            cells = 1 + int(np.flatnonzero(log[:, :, f, :].sum(axis=(0, 1)))[-1])
            for k in range(cells):
                rows.append(pd.DataFrame({"day": np.arange(1, len(log) + 1), "firm": f,
                                          "strategy": self.strategy_names[f], "cell": k,
                                          "customers": log[:, 0, f, k].astype(np.int64),
                                          "churned": log[:, 1, f, k].astype(np.int64)}))
        columns = ["day", "firm", "strategy", "cell", "customers", "churned"]
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)

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
    if day < s.cell_log.shape[0]:
        s.cell_log[day] = s.cell_today
    if day % EQUITY_EVERY == 0 or day == values.shape[0]:
        equity, spend_rate, sales_rate = np.empty(n_firms), np.zeros(n_firms), np.zeros(n_firms)
        _current_rates(values, day, b, fa, spend_rate, sales_rate)
        _equity(s, b, fa, spend_rate, sales_rate, equity)
        row[:, C_EQUITY] = equity


@njit(cache=True)
def _current_rates(values, day, b, fa, spend_rate, sales_rate) -> None:
    """Each firm's relationship spend on its customers (spend less prospecting) and contact-sale margin per
    customer-day, over the recorded days max(1, day - RATE_DAYS + 1) ... day."""
    for f in range(len(spend_rate)):
        customer_days, spend, sales = 0.0, 0.0, 0.0
        for d in range(max(0, day - RATE_DAYS), day):
            row = values[d, f]
            customer_days += row[C_CUSTOMERS]
            spend += customer_spend(b, row[C_SPEND], row[C_PROSPECTS])
            sales += sales_margin(row[C_SALES_REVENUE], fa.sale_cost_share[f])
        spend_rate[f] = per_customer_day(spend, customer_days)
        sales_rate[f] = per_customer_day(sales, customer_days)


@njit(cache=True, inline="always")
def log_room(s, episodes, departures, logged) -> bool:
    """True if the logs can take one more day (always, when episodes are not observed)."""
    n = s.provider.shape[0]
    return not s.observe[0] or (len(episodes) - logged[0] >= n and len(departures) - logged[1] >= n)


@njit(cache=True)
def _log(s, days, episodes, departures, logged) -> None:
    """After a day up to the horizon `days`, when episodes are observed: log the problem episodes that ended in it
    and its departures (the caller made room: `Recorder.reserve`, `log_room`)."""
    day = s.clock[0]
    if not s.observe[0] or day > days:
        return
    n_events, defect_buf, defect_firm = s.n_events, s.defect_buf, s.defect_firm
    k = logged[1]
    for i in range(n_events[E_DEFECTIONS]):
        departures[k, 0], departures[k, 1], departures[k, 2] = defect_buf[i], defect_firm[i], day
        k += 1
    logged[1] = k
    ended, firm, start, outcome = s.episode_buf, s.episode_firm, s.episode_start, s.episode_outcome
    k = logged[0]
    for i in range(n_events[E_EPISODES]):
        n = ended[i]
        episodes[k, 0], episodes[k, 1], episodes[k, 2], episodes[k, 3], episodes[k, 4] = (
            n, firm[i], start[n], day, outcome[i])
        k += 1
    logged[0] = k
