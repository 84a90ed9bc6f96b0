"""A run's numbers: per-seed metrics, the summary table (summary.csv), evidence by cause, the profit gap.

What these numbers say in words (the terminal table, the verdict) is in wording.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .io import write_text_atomic
from .load import DRAW_STRIDE, RunData
from .stats import mean_ci, paired_effect

__all__ = [
    "FOCAL_FIRM", "METRICS", "RETENTION_HORIZONS", "SUMMARY_COLUMNS",
    "Metric", "per_seed_metrics", "summarise", "by_draw", "write_summary",
    "evidence_shares", "evidence_rates", "trust_gap", "retention_rows", "Crossover", "profit_gap", "crossover",
    "paired_differences",
]

FOCAL_FIRM = 0


class Metric(NamedTuple):
    """How a summary metric is labelled, measured and computed."""

    label: str
    unit: str
    how: str


METRICS: dict[str, Metric] = {
    "retention_1y": Metric("Retention, 1 year", "share",
                           "retention.parquet, firm 0: surviving at tenure_days 365"),
    "retention_2y": Metric("Retention, 2 years", "share",
                           "retention.parquet, firm 0: surviving at tenure_days 730"),
    "retention_3y": Metric("Retention, 3 years", "share",
                           "retention.parquet, firm 0: surviving at tenure_days 1095"),
    "trust": Metric("Trust", "[0, 1]", "runs.parquet, firm 0: mean_trust on the last day"),
    "intimacy": Metric("Intimacy", "[0, 1]",
                       "runs.parquet, firm 0: mean_intimacy on the last day"),
    "stress": Metric("Stress", "[0, 1]", "runs.parquet, firm 0: mean_stress on the last day"),
    "complaints_private": Metric("Private complaints", "complaints",
                                 "runs.parquet, firm 0: complaints_private summed over days"),
    "complaints_public": Metric("Public complaints", "posts",
                                "runs.parquet, firm 0: complaints_public summed over days"),
    "tickets_unreached": Metric("Unreached calls", "calls",
                                "runs.parquet, firm 0: tickets_unreached summed over days"),
    "revenue": Metric("Revenue", "currency", "runs.parquet, firm 0: revenue summed over days"),
    "cost": Metric("Cost", "currency", "runs.parquet, firm 0: cost summed over days"),
    "profit": Metric("Profit", "currency", "runs.parquet, firm 0: profit summed over days"),
    "npv": Metric("NPV", "currency", "runs.parquet, firm 0: npv on the last day (cumulative)"),
    "customer_equity": Metric("Customer equity", "currency",
                              "runs.parquet, firm 0: customer_equity on the last day (NPV plus the discounted "
                              "expected margin of the customers still held, ODD §7.18.1)"),
    "spend_rate": Metric("Spend per customer-year", "currency",
                         "runs.parquet, firm 0: spend summed over days / customers summed over days x 365 "
                         "(contacts, staffed slots, answers, listening; sim/economics.py)"),
}
"""Summary metrics in table order: metric -> (label, unit, how computed)."""

RETENTION_HORIZONS: dict[str, int] = {
    "retention_1y": 365, "retention_2y": 730, "retention_3y": 1095,
}

SUMMARY_COLUMNS: list[str] = [
    "arm", "metric", "unit", "mean", "ci_low", "ci_high", "reference",
    "diff", "diff_ci_low", "diff_ci_high", "diff_half_width", "p_wilcoxon", "n_seeds", "n_agree", "replicate",
]

_LAST_DAY = {"trust": "mean_trust", "intimacy": "mean_intimacy",
             "stress": "mean_stress", "npv": "npv", "customer_equity": "customer_equity"}
_TOTALS = ("complaints_private", "complaints_public", "tickets_unreached", "revenue", "cost", "profit")

# --------------------------------------------------------------------------- metrics

def _retention_at(retention: pd.DataFrame, tenure: int) -> pd.Series:
    """Firm 0's surviving share at ``tenure`` per (arm, seed)."""
    r = retention[(retention["firm"] == FOCAL_FIRM) & (retention["tenure_days"] == tenure)]
    return r.groupby(["arm", "seed"], sort=False)["surviving"].mean()


def _max_tenure(retention: pd.DataFrame) -> int | None:
    """Largest tenure recorded for firm 0, or None without retention data."""
    t = retention.loc[retention["firm"] == FOCAL_FIRM, "tenure_days"]
    return int(t.max()) if len(t) else None


def per_seed_metrics(run: RunData) -> pd.DataFrame:
    """One row per arm x seed with the columns ``arm``, ``seed`` and each available metric.

    Retention horizons beyond the run's longest tenure are omitted.
    """
    focal = run.runs[run.runs["firm"] == FOCAL_FIRM].sort_values(["arm", "seed", "day"])
    groups = focal.groupby(["arm", "seed"], sort=False)
    last = groups.tail(1).set_index(["arm", "seed"])
    totals = groups[list(_TOTALS)].sum()
    out = pd.DataFrame(index=last.index)
    max_tenure = _max_tenure(run.retention)
    for metric in METRICS:
        if metric in RETENTION_HORIZONS:
            horizon = RETENTION_HORIZONS[metric]
            if max_tenure is not None and horizon <= max_tenure:
                out[metric] = _retention_at(run.retention, horizon)
        elif metric == "spend_rate":
            if "spend" in focal:  # runs recorded before the column existed lack it
                days = groups["customers"].sum().astype(float)
                out[metric] = groups["spend"].sum() / days.where(days > 0) * 365.0
        elif metric in _LAST_DAY:
            if _LAST_DAY[metric] in last:  # runs recorded before a column existed lack it
                out[metric] = last[_LAST_DAY[metric]].astype(float)
        else:
            out[metric] = totals[metric].astype(float)
    out = out.reset_index()
    rank = {arm: i for i, arm in enumerate(run.arms)}
    order = np.lexsort((out["seed"].to_numpy(), out["arm"].map(rank).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _summary_rows(per: pd.DataFrame, arms: Sequence[str], metrics: Sequence[str],
                  units: Mapping[str, str], replicate: str = "seed") -> pd.DataFrame:
    """Summary rows (SUMMARY_COLUMNS) for ``metrics`` of a per-seed table (`replicate`: what a row of it is,
    "seed" or a posterior "draw")."""
    by_arm = {arm: per[per["arm"] == arm].set_index("seed") for arm in arms}
    base = arms[0] if arms else None
    rows = []
    for arm in arms:
        for metric in metrics:
            values = by_arm[arm][metric]
            ci = mean_ci(values)
            row = {"arm": arm, "metric": metric, "unit": units[metric], "mean": ci.mean,
                   "ci_low": ci.low, "ci_high": ci.high, "reference": "", "diff": math.nan,
                   "diff_ci_low": math.nan, "diff_ci_high": math.nan, "diff_half_width": math.nan,
                   "p_wilcoxon": math.nan, "n_seeds": ci.n, "n_agree": 0, "replicate": replicate}
            if arm != base:
                eff = paired_effect(values, by_arm[base][metric])
                row.update(reference=base, diff=eff.diff, diff_ci_low=eff.low, diff_ci_high=eff.high,
                           diff_half_width=eff.half_width, p_wilcoxon=eff.p_wilcoxon, n_agree=eff.agree)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return frame.astype({"n_seeds": "int64", "n_agree": "int64"})


def by_draw(per: pd.DataFrame) -> pd.DataFrame:
    """A per-seed table of a run on posterior draws as one row per arm x draw (the mean over its seeds,
    `seed` = the draw); any other run's table unchanged."""
    if not len(per) or per["seed"].max() < DRAW_STRIDE:
        return per
    draw = (per["seed"] // DRAW_STRIDE).rename("draw")
    out = per.drop(columns="seed").groupby([per["arm"], draw], sort=False).mean(numeric_only=True).reset_index()
    return out.rename(columns={"draw": "seed"})


def summarise(run: RunData) -> pd.DataFrame:
    """The summary.csv table: one row per arm x metric, arms in manifest order.

    ``diff`` is the paired mean difference arm - first arm over their common seeds
    (NaN for the first arm); all CIs are 95% bootstrap intervals over seeds. With posterior draws
    (`posterior=N`) the unit is the draw: each arm's metrics are averaged over the seeds of a draw first,
    so the intervals hold parameter uncertainty, `n_seeds` counts draws and `replicate` is "draw". `n_agree`
    counts the replicates whose paired difference has the sign of `diff`.
    """
    seeds = per_seed_metrics(run)
    per = by_draw(seeds)
    metrics = [m for m in METRICS if m in per.columns]
    units = {m: METRICS[m].unit for m in metrics}
    return _summary_rows(per, run.arms, metrics, units, "seed" if per is seeds else "draw")


def write_summary(summary: pd.DataFrame, out_dir: str | Path,
                  name: str = "summary.csv") -> Path:
    """Write ``summary`` as CSV into ``out_dir`` atomically; return its path."""
    path = Path(out_dir) / name
    write_text_atomic(path, summary.to_csv(index=False))
    return path


# --------------------------------------------------------------------------- evidence by cause

def evidence_shares(run: RunData, sign: str = "negative") -> pd.DataFrame:
    """Firm 0's evidence of one sign by arm and cause, totalled over days and seeds.

    Columns: ``arm``, ``cause``, ``amount`` (total), ``per_seed`` (mean total per
    seed), ``share`` (of the arm's total for that sign); arms in run order and
    causes by descending share within each arm.
    """
    ev = run.evidence
    ev = ev[(ev["firm"] == FOCAL_FIRM) & (ev["sign"] == sign)]
    cols = ["arm", "cause", "amount", "per_seed", "share"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    total = ev.groupby(["arm", "cause"], sort=False)["amount"].sum().reset_index()
    seeds = ev.groupby("arm")["seed"].nunique()
    total["per_seed"] = total["amount"] / total["arm"].map(seeds)
    arm_total = total.groupby("arm")["amount"].transform("sum")
    total["share"] = (total["amount"] / arm_total.where(arm_total > 0)).fillna(0.0)
    rank = {arm: i for i, arm in enumerate(run.arms)}
    total["_rank"] = total["arm"].map(rank).fillna(len(rank))
    total = total.sort_values(["_rank", "share"], ascending=[True, False], kind="stable")
    return total[cols].reset_index(drop=True)


def evidence_rates(run: RunData, sign: str = "negative") -> pd.DataFrame:
    """Firm 0's evidence of one sign per customer-day, by arm (rows) and cause (columns)."""
    ev = run.evidence
    ev = ev[(ev["firm"] == FOCAL_FIRM) & (ev["sign"] == sign)]
    runs = run.runs[run.runs["firm"] == FOCAL_FIRM]
    if ev.empty or runs.empty:
        return pd.DataFrame()
    amount = ev.groupby(["arm", "cause"], sort=False)["amount"].sum().unstack("cause", fill_value=0.0)
    exposure = runs.groupby("arm", sort=False)["customers"].sum()
    return amount.div(exposure.reindex(amount.index).where(lambda x: x > 0), axis=0)


def trust_gap(run: RunData, this: str, other: str) -> pd.Series:
    """Per cause, how much more net trust evidence per customer-day `this` gets than `other`: positive
    evidence gained plus negative evidence spared. Summed, it is the whole trust gap between them."""
    net = evidence_rates(run, "positive").sub(evidence_rates(run, "negative"), fill_value=0.0).fillna(0.0)
    if this not in net.index or other not in net.index:
        return pd.Series(dtype=float)
    return net.loc[this] - net.loc[other]


def retention_rows(run: RunData, summary: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Summary rows of the longest retention horizon, by arm, and that horizon in days (0 when there is none).

    Without a yearly horizon in the summary, retention at the run's last tenure is used.
    """
    for metric in reversed(list(RETENTION_HORIZONS)):
        rows = summary[summary["metric"] == metric]
        if len(rows) and rows["mean"].notna().any():
            return rows.set_index("arm"), RETENTION_HORIZONS[metric]
    tenure = _max_tenure(run.retention)
    if not tenure:
        return pd.DataFrame(), 0
    per = _retention_at(run.retention, tenure).rename("retention_end").reset_index()
    rows = _summary_rows(per, run.arms, ["retention_end"], {"retention_end": "share"})
    return rows.set_index("arm"), tenure


# --------------------------------------------------------------------------- profit gap over time

def profit_gap(runs: pd.DataFrame, this: str, reference: str, by: str = "arm", column: str = "npv") -> pd.DataFrame:
    """The paired gap `this` − `reference` in firm 0's `column` (default: NPV to date) by day.

    `by` names the column that holds the two (``arm``, or ``scenario`` in a what-if). The difference
    is taken seed by seed on common seeds (common random numbers), then averaged: columns ``day``,
    ``mean``, ``low``, ``high`` (95% t-interval over seeds, figures.mean_band) and ``n``.
    """
    from .figures import mean_band

    focal = runs[runs["firm"] == FOCAL_FIRM]
    wide = focal[focal[by].isin([this, reference])].pivot_table(index=["seed", "day"], columns=by, values=column)
    if this not in wide or reference not in wide:
        return pd.DataFrame(columns=["day", "mean", "low", "high", "n"])
    gap = (wide[this] - wide[reference]).dropna().rename("gap").reset_index()
    return mean_band(gap, "day", "gap")[["day", "mean", "low", "high", "n"]]


class Crossover(NamedTuple):
    """When the mean profit gap took its final sign: `day` (None if it never changed sign), `sign` (+1: `this`
    leads at the end, -1: the reference leads, 0: no gap), and `clear_from`, the first day from which the
    95% band excludes 0, on the side of the final sign, to the end (None if it does not on the last day)."""

    day: int | None
    sign: int
    clear_from: int | None


def crossover(gap: pd.DataFrame) -> Crossover:
    """The crossover day of a profit gap: the first day after which the sign of the mean gap stays fixed.

    Days with a mean gap of exactly 0 are passed over; `day` is None when the gap never changes sign.
    """
    if gap.empty:
        return Crossover(None, 0, None)
    days, mean = gap["day"].to_numpy(), gap["mean"].to_numpy(dtype=float)
    sign = np.sign(mean)
    nonzero = np.flatnonzero(np.isfinite(mean) & (sign != 0))
    if not len(nonzero):
        return Crossover(None, 0, None)
    final = int(sign[nonzero[-1]])
    other = nonzero[sign[nonzero] != final]
    day = int(days[nonzero[np.searchsorted(nonzero, other[-1]) + 1]]) if len(other) else None
    low, high = gap["low"].to_numpy(dtype=float), gap["high"].to_numpy(dtype=float)
    clear = low > 0 if final > 0 else high < 0  # the band excludes 0 on the side of the final sign
    clear_from = None
    if clear[-1]:
        unclear = np.flatnonzero(~clear)
        clear_from = int(days[unclear[-1] + 1]) if len(unclear) else int(days[0])
    return Crossover(day, final, clear_from)


def paired_differences(per: pd.DataFrame, arm: str, base: str, metric: str) -> pd.Series:
    """`metric` of `arm` minus that of `base` on each seed both ran (a per-seed table), indexed by seed."""
    by_seed = per.set_index("seed")
    return (by_seed.loc[by_seed["arm"] == arm, metric] - by_seed.loc[by_seed["arm"] == base, metric]).dropna()


