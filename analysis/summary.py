"""Per-seed metrics, the summary table (summary.csv), its terminal rendering and the verdict."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .io import write_text_atomic
from .load import DRAW_STRIDE, RunData
from .stats import clear, mean_ci, paired_effect
from .units import DEFAULT_CURRENCY, labelled, unit_label

__all__ = [
    "DEFAULT_CURRENCY", "currency_of", "number", "unit_label",
    "FOCAL_FIRM", "METRICS", "RETENTION_HORIZONS", "SUMMARY_COLUMNS", "CAUSE_LABELS",
    "Metric", "per_seed_metrics", "summarise", "write_summary", "display_frame",
    "format_table", "evidence_shares", "evidence_rates", "trust_gap", "gap_cause", "verdict", "Crossover",
    "profit_gap", "crossover",
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
    "diff", "diff_ci_low", "diff_ci_high", "diff_half_width", "p_wilcoxon", "n_seeds",
]

_LAST_DAY = {"trust": "mean_trust", "intimacy": "mean_intimacy",
             "stress": "mean_stress", "npv": "npv", "customer_equity": "customer_equity"}
_TOTALS = ("complaints_private", "complaints_public", "tickets_unreached", "revenue", "cost", "profit")

CAUSE_LABELS: dict[str, str] = {
    "usage": "product fit in daily use",
    "contacts": "outbound contacts",
    "data_requests": "data requests",
    "problems": "product problems",
    "unreached": "unreached support calls",
    "heard": "support calls that got through",
    "resolved": "resolved problems",
    "unresolved": "unresolved problems",
    "support_fees": "support fees",
    "nuisance_fees": "nuisance fees",
    "assortment": "assortment cuts",
    "spin": "spin seen through",
    "answered": "answered complaints",
    "word_of_mouth": "word of mouth",
    "exit_talk": "neighbours' defections",
}
"""Plain-language names of the evidence causes of SCHEMA.md."""


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
                  units: Mapping[str, str]) -> pd.DataFrame:
    """Summary rows (SUMMARY_COLUMNS) for ``metrics`` of a per-seed table."""
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
                   "p_wilcoxon": math.nan, "n_seeds": ci.n}
            if arm != base:
                eff = paired_effect(values, by_arm[base][metric])
                row.update(reference=base, diff=eff.diff, diff_ci_low=eff.low, diff_ci_high=eff.high,
                           diff_half_width=eff.half_width, p_wilcoxon=eff.p_wilcoxon)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return frame.astype({"n_seeds": "int64"})


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
    so the intervals hold parameter uncertainty and `n_seeds` counts draws.
    """
    per = by_draw(per_seed_metrics(run))
    metrics = [m for m in METRICS if m in per.columns]
    units = {m: METRICS[m].unit for m in metrics}
    return _summary_rows(per, run.arms, metrics, units)


def write_summary(summary: pd.DataFrame, out_dir: str | Path,
                  name: str = "summary.csv") -> Path:
    """Write ``summary`` as CSV into ``out_dir`` atomically; return its path."""
    path = Path(out_dir) / name
    write_text_atomic(path, summary.to_csv(index=False))
    return path


# --------------------------------------------------------------------------- formatting

#: Counts and money from this magnitude on are shown in thousands, so a table fits 100 columns.
THOUSANDS_FROM = 10_000


def currency_of(run: RunData) -> str:
    """The run's money label (its config's `currency`; DEFAULT_CURRENCY for runs made before the setting)."""
    return str((run.manifest.get("config") or {}).get("currency") or DEFAULT_CURRENCY)


def _scale(unit: str, values: Sequence[float]) -> float:
    """1000 when a row's numbers reach THOUSANDS_FROM (never for shares and [0, 1] measures), else 1."""
    finite = [abs(v) for v in values if v is not None and np.isfinite(v)]
    big = unit not in ("share", "[0, 1]") and finite and max(finite) >= THOUSANDS_FROM
    return 1000.0 if big else 1.0


def _decimals(unit: str, values: Sequence[float]) -> int:
    """Decimals for one cell: fixed for shares and [0, 1], by magnitude otherwise (3 significant digits)."""
    if unit == "share":
        return 1
    if unit == "[0, 1]":
        return 3
    finite = [abs(v) for v in values if v is not None and np.isfinite(v)]
    top = max(finite) if finite else 0.0
    return 0 if top >= 100 else 1 if top >= 10 else 2


def number(value: float, unit: str, decimals: int, signed: bool = False) -> str:
    """The one number format of tables, charts' hovers and the terminal: shares as percent, thousands
    separators otherwise, 'n/a' for a missing value."""
    if value is None or not np.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    if unit == "share":
        value *= 100
    return f"{value:{sign},.{decimals}f}"


def _interval(mean: float, low: float, high: float, unit: str, signed: bool, scale: float = 1.0) -> str:
    """``mean [low, high]`` (divided by `scale`), a percent or percentage-point suffix for shares."""
    if mean is None or not np.isfinite(mean):
        return "n/a"
    mean, low, high = mean / scale, low / scale, high / scale
    suffix = (" pp" if signed else "%") if unit == "share" else ""
    dec = _decimals(unit, (mean, low, high))
    return (f"{number(mean, unit, dec, signed)}{suffix} "
            f"[{number(low, unit, dec, signed)}, {number(high, unit, dec, signed)}]")


def display_frame(summary: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """Summary as strings: one row per metric, a column per arm and per paired diff. A row whose numbers
    reach THOUSANDS_FROM is shown in thousands, and its label says so."""
    arms = list(dict.fromkeys(summary["arm"]))
    metrics = list(dict.fromkeys(summary["metric"]))
    base = arms[0] if arms else ""
    scales = {}
    for m in metrics:
        rows = summary[summary["metric"] == m]
        scales[m] = _scale(str(rows["unit"].iloc[0]), rows[["mean", "ci_low", "ci_high"]].to_numpy().ravel())
    cells: dict[str, list[str]] = {}
    for arm in arms:
        part = summary[summary["arm"] == arm].set_index("metric")
        cells[arm] = [_cell(part, m, "mean", "ci_low", "ci_high", False, scales[m]) for m in metrics]
        if arm != base:
            cells[f"{arm} − {base}"] = [
                _cell(part, m, "diff", "diff_ci_low", "diff_ci_high", True, scales[m]) for m in metrics
            ]
    labels = [_label(m, summary, currency, scales[m]) for m in metrics]
    return pd.DataFrame(cells, index=pd.Index(labels, name="metric"))


def _cell(part: pd.DataFrame, metric: str, mean: str, low: str, high: str,
          signed: bool, scale: float = 1.0) -> str:
    """Formatted interval of one metric of one arm."""
    if metric not in part.index:
        return "n/a"
    row = part.loc[metric]
    if row["n_seeds"] < 2:  # one seed: a value, no interval
        return _interval(row[mean], row[mean], row[mean], str(row["unit"]), signed, scale).split(" [")[0]
    return _interval(row[mean], row[low], row[high], str(row["unit"]), signed, scale)


def _label(metric: str, summary: pd.DataFrame, currency: str = DEFAULT_CURRENCY, scale: float = 1.0) -> str:
    """Row label: the metric's label with its unit."""
    meta = METRICS.get(metric)
    if meta is None:
        return labelled(metric, summary.loc[summary["metric"] == metric, "unit"].iloc[0], currency, scale)
    return labelled(meta.label, meta.unit, currency, scale)


def format_table(summary: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> str:
    """A compact, aligned plain-text table of the summary for the terminal (100 columns for two arms)."""
    frame = display_frame(summary, currency)
    header = [frame.index.name or "", *frame.columns]
    rows = [[label, *values] for label, values in zip(frame.index, frame.to_numpy().tolist())]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cols: Sequence[str]) -> str:
        first = str(cols[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cols[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    n = summary["n_seeds"].max() if len(summary) else 0
    arms = list(dict.fromkeys(summary["arm"]))
    note = f"mean [95% bootstrap CI] over {n} seeds"
    if len(arms) > 1:
        note += f"; 'arm − {arms[0]}' columns: paired differences on the same seeds"
    note += "; retention in % (differences in percentage points)"
    rule = "-" * len(line(header))
    wrapped = textwrap.wrap(note, width=max(len(rule), 60))
    return "\n".join([line(header), rule, *(line(r) for r in rows), rule, *wrapped])


# --------------------------------------------------------------------------- verdict

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


def _horizon_name(days: int) -> str:
    """'1 year', '2 years', '3 years' or 'N days'."""
    if days % 365 == 0 and days > 0:
        years = days // 365
        return f"{years} year" + ("s" if years > 1 else "")
    return f"{days} days"


def _retention_summary(run: RunData, summary: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Rows of the longest retention horizon, and its name ('' when there is none).

    Without a yearly horizon in the summary, retention at the run's last tenure is used.
    """
    for metric in reversed(list(RETENTION_HORIZONS)):
        rows = summary[summary["metric"] == metric]
        if len(rows) and rows["mean"].notna().any():
            return rows.set_index("arm"), _horizon_name(RETENTION_HORIZONS[metric])
    tenure = _max_tenure(run.retention)
    if not tenure:
        return pd.DataFrame(), ""
    per = _retention_at(run.retention, tenure).rename("retention_end").reset_index()
    rows = _summary_rows(per, run.arms, ["retention_end"], {"retention_end": "share"})
    return rows.set_index("arm"), _horizon_name(tenure)


def _clear(row: pd.Series) -> bool:
    """True when a summary row's paired difference is clear (stats.clear)."""
    return clear(row["diff_ci_low"], row["diff_ci_high"], row["n_seeds"])


def _few(row: pd.Series) -> str:
    """'; N seeds are too few to tell' when an unclear difference's interval excludes 0 ('' otherwise)."""
    lo, hi = row["diff_ci_low"], row["diff_ci_high"]
    if np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0) and not _clear(row):
        return f"; {int(row['n_seeds'])} seeds are too few to tell"
    return ""


def _pct(x: float, signed: bool = False) -> str:
    """A relative change as a percent, one decimal below 10%."""
    v, sign = x * 100, "+" if signed else ""
    return f"{v:{sign}.0f}%" if abs(v) >= 10 else f"{v:{sign}.1f}%"


def _money(x: float, signed: bool = False) -> str:
    """Money with thousands separators."""
    return f"{x:{'+' if signed else ''},.0f}"


def _retention_clause(row: pd.Series, base: str) -> str:
    """How an arm's retention differs from the base arm, in percentage points."""
    d, lo, hi = row["diff"] * 100, row["diff_ci_low"] * 100, row["diff_ci_high"] * 100
    if not np.isfinite(d):
        return f"shares no seeds with {base} to compare retention"
    if not _clear(row):
        return (f"shows no clear difference in retention of its first customers from {base} "
                f"(95% CI {lo:+.1f} to {hi:+.1f} points{_few(row)})")
    if d > 0:
        return (f"keeps {d:.1f} points more of its first customers than {base} "
                f"(95% CI {lo:.1f} to {hi:.1f})")
    return (f"keeps {-d:.1f} points fewer of its first customers than {base} "
            f"(95% CI {-hi:.1f} to {-lo:.1f})")


def _npv_clause(row: pd.Series, base_mean: float) -> str:
    """How an arm's NPV differs from the base arm: relative when the base NPV is not 0."""
    d, lo, hi = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    if not np.isfinite(d):
        return "no NPV comparison (no common seeds)"
    scale = abs(base_mean) if np.isfinite(base_mean) and base_mean != 0 else None
    def fmt(v: float, signed: bool = False) -> str:
        return _pct(v / scale, signed) if scale else _money(v, signed)

    if not _clear(row):
        return f"no clear difference in NPV (CI {fmt(lo, True)} to {fmt(hi, True)}{_few(row)})"
    if d > 0:
        return f"earns {fmt(d)} more NPV (CI {fmt(lo)} to {fmt(hi)})"
    return f"earns {fmt(-d)} less NPV (CI {fmt(-hi)} to {fmt(-lo)})"


def _compare_clause(arm: str, base: str, ret: pd.DataFrame, npv: pd.DataFrame) -> str:
    """Retention and NPV of one arm against the base arm."""
    parts = []
    if arm in ret.index:
        parts.append(_retention_clause(ret.loc[arm], base))
    if arm in npv.index and base in npv.index:
        clause = _npv_clause(npv.loc[arm], float(npv.loc[base, "mean"]))
        if parts and clause.startswith("no clear"):
            parts.append("shows " + clause)
        else:
            parts.append(clause)
    if not parts:
        return f"the {arm} firm has no retention or NPV data"
    return f"the {arm} firm " + " and ".join(parts)


def _alone_clause(arm: str, ret: pd.DataFrame, npv: pd.DataFrame) -> str:
    """Retention and NPV of a single arm."""
    def ci(row: pd.Series, fmt) -> str:  # one seed has no interval
        return f" (95% CI {fmt(row['ci_low'])} to {fmt(row['ci_high'])})" if row["n_seeds"] > 1 else " (1 seed)"

    parts = []
    if arm in ret.index:
        r = ret.loc[arm]
        parts.append(f"keeps {r['mean'] * 100:.1f}% of its first customers" + ci(r, lambda v: f"{v * 100:.1f}%"))
    if arm in npv.index:
        n = npv.loc[arm]
        parts.append(f"earns an NPV of {_money(n['mean'])}" + ci(n, _money))
    if not parts:
        return f"the {arm} firm has no retention or NPV data"
    return f"the {arm} firm " + " and ".join(parts)


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


def gap_cause(gap: pd.Series) -> str:
    """The cause with the largest share of a trust gap, with that share: 'most of the change (62%) in unreached
    support calls' only above one half, 'the largest share (38%) in ...' otherwise ('' without a gap)."""
    total = gap.sum()
    if not len(gap) or not np.isfinite(total) or total == 0:
        return ""
    shares = gap / total
    cause = shares.idxmax()
    amount = "most of the change" if shares[cause] > 0.5 else "the largest share"
    return f"{amount} ({shares[cause]:.0%}) in {CAUSE_LABELS.get(cause, cause)}"


def _cause_clause(run: RunData, arms: Sequence[str]) -> str:
    """Why: with one arm, its largest source of lost trust; with several, the cause with the largest share
    of the whole trust gap (evidence gained and lost, per customer-day) between each arm and the first."""
    if len(arms) == 1:
        shares = evidence_shares(run, "negative")
        part = shares[shares["arm"] == arms[0]]
        if not len(part) or not part["amount"].iloc[0] > 0:
            return ""
        top = part.iloc[0]
        return (f"its largest source of lost trust is {CAUSE_LABELS.get(top['cause'], top['cause'])} "
                f"({top['share'] * 100:.0f}% of negative evidence)")
    clauses = []
    for arm in arms[1:]:
        gap = trust_gap(run, arm, arms[0])
        if not len(gap) or gap.sum() == 0:
            continue
        better, worse = (arm, arms[0]) if gap.sum() > 0 else (arms[0], arm)
        cause = gap_cause(gap)
        clauses.append(f"{better}'s customers gain more trust evidence a day than {worse}'s, {cause}")
    return "; ".join(clauses)


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


def crossover_clause(gap: pd.DataFrame, this: str, reference: str, what: str = "NPV to date") -> str:
    """A clause on the crossover of a profit gap ('' when the mean gap never changes sign)."""
    cross = crossover(gap)
    if cross.day is None:
        return ""
    leader, behind = (this, reference) if cross.sign > 0 else (reference, this)
    text = f"{leader} overtakes {behind} in {what} on day {cross.day} and stays ahead of it"
    if cross.clear_from is not None:
        text += f" (the gap's 95% band excludes 0 from day {cross.clear_from})"
    elif np.isfinite(gap["low"].iloc[-1]):
        text += " (the gap's 95% band still includes 0 at the end)"
    return text


def verdict(run: RunData, summary: pd.DataFrame) -> str:
    """A few short sentences of plain language on retention, NPV, when the lead changes, and the main cause.

    Differences are claimed only when clear (stats.clear: the 95% CI excludes 0 over enough seeds); with one arm the
    arm is described alone. Uses the longest retention horizon available.
    """
    arms = [a for a in run.arms if a in set(summary["arm"])] or run.arms
    if not arms:
        return "No runs found."
    ret, horizon = _retention_summary(run, summary)
    npv = summary[summary["metric"] == "npv"].set_index("arm")
    if len(arms) == 1:
        clauses = [_alone_clause(arms[0], ret, npv)]
    else:
        clauses = [_compare_clause(arm, arms[0], ret, npv) for arm in arms[1:]]
    for arm in arms[1:]:
        clause = crossover_clause(profit_gap(run.runs, arm, arms[0]), arm, arms[0])
        if clause:
            clauses.append(clause)
    cause = _cause_clause(run, arms)
    lead = f"Over {horizon} " if horizon else "Over the run "
    sentences = [lead + clauses[0], *clauses[1:], *([cause] if cause else [])]  # short sentences, one idea each
    return " ".join(" ".join(_sentence(s) for s in sentences).split())


def paired_differences(per: pd.DataFrame, arm: str, base: str, metric: str) -> pd.Series:
    """`metric` of `arm` minus that of `base` on each seed both ran (a per-seed table), indexed by seed."""
    by_seed = per.set_index("seed")
    return (by_seed.loc[by_seed["arm"] == arm, metric] - by_seed.loc[by_seed["arm"] == base, metric]).dropna()


def uncertainty_split(run: RunData, draws: int, seeds: int, metrics: Sequence[str] = ("npv", "retention_3y")) -> str:
    """How much of the spread of each arm-versus-first-arm difference is parameter uncertainty (between
    posterior draws) and how much seed noise (within a draw), from a one-way analysis of variance of the
    paired differences: within = the mean within-draw variance, between = the variance of the draws'
    means less within / seeds (at least 0). Reported as standard deviations of one replicate."""
    per = per_seed_metrics(run)
    arms = [a for a in run.arms if a in set(per["arm"])]
    if len(arms) < 2 or draws < 2 or seeds < 2:
        return "Posterior draws: too few draws, seeds or arms to separate parameter uncertainty from seed noise."
    lines = [f"Over {draws} posterior draws x {seeds} seeds (common random numbers within each draw):"]
    for arm in arms[1:]:
        for metric in [m for m in metrics if m in per]:
            diff = paired_differences(per, arm, arms[0], metric)
            group = diff.groupby(diff.index // DRAW_STRIDE)
            within = float(group.var(ddof=1).mean())
            between = max(float(group.mean().var(ddof=1)) - within / seeds, 0.0)
            share = between / (between + within) if between + within > 0 else math.nan
            lines.append(f"  {arm} - {arms[0]}, {metric}: mean {diff.mean():,.4g}; sd between draws "
                         f"{math.sqrt(between):,.3g} (parameters), within a draw {math.sqrt(within):,.3g} (seeds); "
                         f"parameter uncertainty is {share:.0%} of the variance")
    return "\n".join(lines)


def _sentence(clause: str) -> str:
    """A clause as a sentence: a capital first letter (strategy names start lower case) and a full stop."""
    clause = clause.strip().rstrip(".;")
    return clause[:1].upper() + clause[1:] + "." if clause else ""
