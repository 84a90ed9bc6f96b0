"""A run's summary in words: number formats, the terminal table and the verdict.

The numbers themselves (per-seed metrics, summary.csv, evidence by cause, the profit gap) are in
summary.py; here they are formatted, labelled and read out: a difference is called clear only when
its 95% interval excludes 0 over enough seeds (stats.clear).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .load import DRAW_STRIDE, RunData
from .stats import MIN_CLEAR_PAIRS, clear, supported
from .summary import (METRICS, crossover, evidence_shares, paired_differences, per_seed_metrics, profit_gap,
                      retention_rows, trust_gap)
from .units import DEFAULT_CURRENCY, labelled, unit_label

__all__ = [
    "DEFAULT_CURRENCY", "CAUSE_LABELS", "THOUSANDS_FROM", "currency_of", "number", "decimals_for", "money",
    "unit_label",
    "display_frame", "format_table", "is_clear", "call", "held", "uncalled", "money_words", "replicates_phrase",
    "levers_line", "levers_of", "too_few_to_tell", "gap_cause", "crossover_clause", "verdict", "uncertainty_split",
]

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


# --------------------------------------------------------------------------- formatting

#: Counts and money from this magnitude on are shown in thousands, so a table fits 100 columns.
THOUSANDS_FROM = 10_000
#: The terminal's width for tables: wider ones are split into blocks of columns.
TERMINAL_WIDTH = 100


def currency_of(run: RunData) -> str:
    """The run's money label (its config's `currency`; DEFAULT_CURRENCY for runs made before the setting)."""
    return str((run.manifest.get("config") or {}).get("currency") or DEFAULT_CURRENCY)


def _scale(unit: str, values: Sequence[float]) -> float:
    """1000 when a row's numbers reach THOUSANDS_FROM (never for shares and [0, 1] measures), else 1."""
    finite = [abs(v) for v in values if v is not None and np.isfinite(v)]
    big = unit not in ("share", "[0, 1]") and finite and max(finite) >= THOUSANDS_FROM
    return 1000.0 if big else 1.0


def decimals_for(unit: str, values: Sequence[float]) -> int:
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
    dec = decimals_for(unit, (mean, low, high))
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


def format_table(summary: pd.DataFrame, currency: str = DEFAULT_CURRENCY, replicates: str | None = None,
                 width: int = TERMINAL_WIDTH) -> str:
    """A compact, aligned plain-text table of the summary for the terminal, at most `width` columns: wider
    tables are split into blocks of columns, each repeating the metric column. `replicates` says what each
    arm's runs are ('10 seeds', '5 posterior draws × 3 seeds (15 runs an arm)')."""
    frame = display_frame(summary, currency)
    header = [frame.index.name or "", *frame.columns]
    rows = [[label, *values] for label, values in zip(frame.index, frame.to_numpy().tolist())]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    blocks, current = [], [1]
    for i in range(2, len(header)):  # columns that fit beside the metric column, block by block
        if widths[0] + sum(widths[j] + 2 for j in [*current, i]) > width:
            blocks.append(current)
            current = []
        current.append(i)
    blocks.append(current)

    def line(cols: Sequence[str], block: Sequence[int]) -> str:
        first = str(cols[0]).ljust(widths[0])
        rest = [str(cols[i]).rjust(widths[i]) for i in block]
        return "  ".join([first, *rest]).rstrip()

    n = int(summary["n_seeds"].max()) if len(summary) else 0
    arms = list(dict.fromkeys(summary["arm"]))
    note = f"mean [95% bootstrap CI] over {replicates or f'{n} seed' + ('s' if n != 1 else '')}"
    if n < 2:
        note = f"one value each: with {replicates or '1 seed'} there is no interval"
    if len(arms) > 1:
        note += f"; 'arm − {arms[0]}' columns: paired differences on the same seeds"
    note += "; retention in % (differences in percentage points)"
    parts = []
    for block in blocks:
        rule = "-" * len(line(header, block))
        parts += [line(header, block), rule, *(line(r, block) for r in rows), rule]
    wrapped = textwrap.wrap(note, width=min(width, max(len(p) for p in parts)) if parts else width)
    return "\n".join([*parts, *wrapped])


# --------------------------------------------------------------------------- verdict

def _horizon_name(days: int) -> str:
    """'1 year', '2 years', '3 years' or 'N days'."""
    if days % 365 == 0 and days > 0:
        years = days // 365
        return f"{years} year" + ("s" if years > 1 else "")
    return f"{days} days"


def is_clear(row: pd.Series) -> bool:
    """True when a summary row's paired difference is called clear (`call`: stats.clear, and over posterior
    draws stats.supported)."""
    return call(row) == "clear"


def over_draws(row: pd.Series) -> bool:
    """True when a summary row's replicates are posterior draws (`relsim posterior=N`)."""
    return row.get("replicate", "seed") == "draw"


def held(row: pd.Series) -> str:
    """'; holds in K of N posterior draws' after a clear difference over posterior draws ('' over seeds)."""
    return f"; holds in {int(row['n_agree'])} of {int(row['n_seeds'])} posterior draws" if over_draws(row) else ""


# The one grammar of verdicts. A paired difference reads, by its numbers alone:
#   clear     its 95% interval excludes 0 over at least MIN_CLEAR_PAIRS seeds: a direction, with the interval;
#   few       the interval excludes 0 but over too few seeds: "too few seeds to call", never "no clear difference";
#   unclear   the interval includes 0: "no clear difference", with the interval;
#   single    one seed: the value, and no interval (never "95% CI x to x");
#   none      0 on every seed: "no difference on any seed";
#   unsettled over posterior draws, the interval excludes 0 but the direction holds in fewer than SUPPORT of the
#             draws: "the posterior does not settle it", with the count of draws.


def call(row: pd.Series) -> str:
    """How a summary row's paired difference reads: 'clear', 'few', 'unclear', 'single' or 'none' (above)."""
    d, lo, hi, n = row["diff"], row["diff_ci_low"], row["diff_ci_high"], int(row["n_seeds"])
    if not np.isfinite(d):
        return "unclear"
    if n < 2:
        return "single"
    if d == 0 and lo == 0 and hi == 0:
        return "none"
    if clear(lo, hi, n):
        return "clear" if not over_draws(row) or supported(int(row.get("n_agree", 0)), n) else "unsettled"
    if np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0):
        return "few"
    return "unclear"


def uncalled(row: pd.Series, what: str, fmt, unit: str = "", verb: str = "shows no clear difference in") -> str:
    """The words for a difference that is not called clear ('' when it is), after a subject ('the reciprocal
    firm', 'support_fee_90d'): `what` names the quantity ('NPV', '3-year profit'), `fmt` formats a signed value,
    `unit` follows the interval ('points'), `verb` says 'no clear difference' ('makes no clear difference to')."""
    kind, n = call(row), int(row["n_seeds"])
    d, lo, hi = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    unit = f" {unit}" if unit else ""
    if kind == "single":
        return f"differs in {what} by {fmt(d)}{unit} on its one seed (no interval: one seed is too few to call)"
    if kind == "none":
        return f"{verb.replace('no clear', 'no')} {what} on any of the {n} seeds"
    if kind == "few":
        return (f"differs in {what} by {fmt(d)}{unit}, but {n} seeds are too few to call it (95% CI {fmt(lo)} to "
                f"{fmt(hi)}{unit}; a clear call needs {MIN_CLEAR_PAIRS} seeds)")
    if kind == "unclear":
        return f"{verb} {what} (95% CI {fmt(lo)} to {fmt(hi)}{unit})"
    if kind == "unsettled":
        return (f"{verb} {what} that the posterior settles: {fmt(d)}{unit} on average (95% CI {fmt(lo)} to "
                f"{fmt(hi)}{unit}), but that sign holds in only {int(row['n_agree'])} of {n} posterior draws")
    return ""


def too_few_to_tell(row: pd.Series) -> str:
    """'; N seeds are too few to call' when a difference's interval excludes 0 over too few seeds ('' otherwise)."""
    return f"; {int(row['n_seeds'])} seeds are too few to call" if call(row) == "few" else ""


def money_words(values: Sequence[float], currency: str = DEFAULT_CURRENCY, signed: bool = False,
                scale_from: Sequence[float] | None = None, bare: bool = False) -> list[str]:
    """Money as a headline says it: with its unit, on the table's scale (thousands when the numbers of its row,
    `scale_from`, reach THOUSANDS_FROM, as the table shows them), e.g. ['$19.8 thousand', '$18.4 thousand'] or
    ['+€950', '-€120']; `bare`: the numbers alone, on the same scale (for an interval after a worded value)."""
    scale = _scale("currency", list(values if scale_from is None else scale_from))
    word = " thousand" if scale > 1 else ""
    symbol = len(currency) == 1 or not currency.isalpha()
    out = []
    for v in values:
        if v is None or not np.isfinite(v):
            out.append("n/a")
            continue
        dec = max(decimals_for("currency", [abs(v) / scale]), 1 if abs(v) / scale < 100 else 0) if scale > 1 else 0
        text = f"{v / scale:{'+' if signed else ''},.{dec}f}"
        sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
        if bare:
            out.append(text)
        else:
            out.append(f"{sign}{currency}{digits}{word}" if symbol else f"{sign}{digits}{word} {currency}")
    return out


def replicates_phrase(run: RunData, n: int | None = None) -> str:
    """What the n replicates of each arm are: 'N seeds', or 'D posterior draws x S seeds (N runs an arm)'."""
    seeds = int(run.runs["seed"].nunique()) if n is None and len(run.runs) else int(n or 0)
    draws = int((run.manifest.get("config") or {}).get("posterior") or 0)
    if draws > 1 and seeds % draws == 0:
        return f"{draws} posterior draws × {seeds // draws} seeds ({seeds} runs an arm)"
    return f"{seeds} seed{'s' if seeds != 1 else ''}"


def levers_line(run: RunData) -> str:
    """What differs between the arms: each lever (a Strategy field) whose value differs, with each arm's value,
    e.g. 'What differs: mail_rate one_way 52, reciprocal 12; listening 0.05, 0.8.' ('' for one arm)."""
    return levers_of(run.manifest.get("config") or {}, run.arms)


def levers_of(config: dict, arms: Sequence[str]) -> str:
    """`levers_line` from a run's config (its `strategies`) and its arms."""
    strategies = config.get("strategies") or {}
    arms = [a for a in arms if a in strategies]
    if len(arms) < 2:
        return f"The focal firm plays {arms[0]}." if arms else ""
    keys = sorted({k for a in arms for k in (strategies[a] or {})}, key=lambda k: list(strategies[arms[0]]).index(k)
                  if k in strategies[arms[0]] else 999)
    parts = []
    for key in keys:
        values = [(strategies[a] or {}).get(key) for a in arms]
        if len({_lever(v) for v in values}) > 1:  # 12 and 12.0 are the same lever value
            shown = ", ".join(f"{a} {_lever(v)}" for a, v in zip(arms, values, strict=True)) if not parts else \
                ", ".join(_lever(v) for v in values)
            parts.append(f"{key} {shown}")
    return ("What differs between the arms: " + "; ".join(parts) + ".") if parts else "The arms set the same levers."


def _lever(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _pct(x: float, signed: bool = False) -> str:
    """A relative change as a percent, one decimal below 10%."""
    v, sign = x * 100, "+" if signed else ""
    return f"{v:{sign}.0f}%" if abs(v) >= 10 else f"{v:{sign}.1f}%"


def money(x: float, signed: bool = False) -> str:
    """Money with thousands separators."""
    return f"{x:{'+' if signed else ''},.0f}"


def _retention_clause(row: pd.Series, base: str) -> str:
    """How an arm's retention differs from the base arm, in percentage points."""
    d, lo, hi = row["diff"] * 100, row["diff_ci_low"] * 100, row["diff_ci_high"] * 100
    if not np.isfinite(d):
        return f"shares no seeds with {base} to compare retention"
    if not is_clear(row):
        return uncalled(row, f"retention of its first customers from {base}", lambda v: f"{100 * v:+.1f}", "points")
    if d > 0:
        return (f"keeps {d:.1f} points more of its first customers than {base} "
                f"(95% CI {lo:.1f} to {hi:.1f}{held(row)})")
    return (f"keeps {-d:.1f} points fewer of its first customers than {base} "
            f"(95% CI {-hi:.1f} to {-lo:.1f}{held(row)})")


def _npv_clause(row: pd.Series, base_mean: float) -> str:
    """How an arm's NPV differs from the base arm: relative when the base NPV is not 0."""
    d, lo, hi = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    if not np.isfinite(d):
        return "no NPV comparison (no common seeds)"
    scale = abs(base_mean) if np.isfinite(base_mean) and base_mean != 0 else None
    def fmt(v: float, signed: bool = False) -> str:
        return _pct(v / scale, signed) if scale else money(v, signed)

    if not is_clear(row):
        return uncalled(row, "NPV", lambda v: fmt(v, True))
    if d > 0:
        return f"earns {fmt(d)} more NPV (CI {fmt(lo)} to {fmt(hi)}{held(row)})"
    return f"earns {fmt(-d)} less NPV (CI {fmt(-hi)} to {fmt(-lo)}{held(row)})"


def _compare_clause(arm: str, base: str, ret: pd.DataFrame, npv: pd.DataFrame) -> str:
    """Retention and NPV of one arm against the base arm."""
    parts = []
    if arm in ret.index:
        parts.append(_retention_clause(ret.loc[arm], base))
    if arm in npv.index and base in npv.index:
        parts.append(_npv_clause(npv.loc[arm], float(npv.loc[base, "mean"])))
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
        parts.append(f"earns an NPV of {money(n['mean'])}" + ci(n, money))
    if not parts:
        return f"the {arm} firm has no retention or NPV data"
    return f"the {arm} firm " + " and ".join(parts)


def gap_cause(gap: pd.Series) -> str:
    """The cause with the largest share of a trust gap, with that share: 'most of the change (62%) in unreached
    support calls' only above one half, 'the largest share (38%) in ...' otherwise ('' without a gap)."""
    total = gap.sum()
    if not len(gap) or not np.isfinite(total) or total == 0:
        return ""
    shares = gap / total
    cause = shares.idxmax()
    amount = "most of the change" if round(shares[cause] * 100) > 50 else "the largest share"
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


def crossover_clause(gap: pd.DataFrame, this: str, reference: str, what: str = "NPV to date",
                     n: int | None = None) -> str:
    """A clause on the crossover of a profit gap ('' when the mean gap never changes sign); over `n` seeds, too
    few of them to call a band that excludes 0 is said so."""
    cross = crossover(gap)
    if cross.day is None:
        return ""
    leader, behind = (this, reference) if cross.sign > 0 else (reference, this)
    called = cross.clear_from is not None and (n is None or n >= MIN_CLEAR_PAIRS)
    if called:  # the band excludes 0 at the end, over enough seeds: a direction
        return (f"{leader} overtakes {behind} in {what} on day {cross.day} and stays ahead of it (the gap's 95% band "
                f"excludes 0 from day {cross.clear_from})")
    # otherwise only the mean's sign changes: no side is claimed to lead
    text = f"the mean gap in {what} between {this} and {reference} changes sign for good on day {cross.day}"
    if cross.clear_from is not None:
        return text + (f" (its 95% band excludes 0 from day {cross.clear_from}, but {n} seed{'s' if n != 1 else ''} "
                       "are too few to call it)")
    if np.isfinite(gap["low"].iloc[-1]):
        return text + " (its 95% band still includes 0 at the end)"
    return text


def verdict(run: RunData, summary: pd.DataFrame) -> str:
    """A few short sentences of plain language on retention, NPV, when the lead changes, and the main cause.

    Differences are claimed only when clear (stats.clear: the 95% CI excludes 0 over enough seeds); with one arm the
    arm is described alone. Uses the longest retention horizon available.
    """
    arms = [a for a in run.arms if a in set(summary["arm"])] or run.arms
    if not arms:
        return "No runs found."
    ret, days = retention_rows(run, summary)
    horizon = _horizon_name(days) if days else ""
    npv = summary[summary["metric"] == "npv"].set_index("arm")
    if len(arms) == 1:
        clauses = [_alone_clause(arms[0], ret, npv)]
    else:
        clauses = [_compare_clause(arm, arms[0], ret, npv) for arm in arms[1:]]
    for arm in arms[1:]:
        n = int(run.runs.loc[run.runs["arm"] == arm, "seed"].nunique())
        clause = crossover_clause(profit_gap(run.runs, arm, arms[0]), arm, arms[0], n=n)
        if clause:
            clauses.append(clause)
    cause = _cause_clause(run, arms)
    lead = f"Over {horizon} " if horizon else "Over the run "
    sentences = [lead + clauses[0], *clauses[1:], *([cause] if cause else [])]  # short sentences, one idea each
    return " ".join(" ".join(_sentence(s) for s in sentences).split())


def uncertainty_split(run: RunData, draws: int, seeds: int, metrics: Sequence[str] = ("npv", "retention_3y"),
                      opening: str = "Over") -> str:
    """How much of the spread of each arm-versus-first-arm difference is parameter uncertainty (between
    posterior draws) and how much seed noise (within a draw), from a one-way analysis of variance of the
    paired differences: within = the mean within-draw variance, between = the variance of the draws'
    means less within / seeds (at least 0). Reported as standard deviations of one replicate."""
    per = per_seed_metrics(run)
    arms = [a for a in run.arms if a in set(per["arm"])]
    if len(arms) < 2 or draws < 2 or seeds < 2:
        return "Posterior draws: too few draws, seeds or arms to separate parameter uncertainty from seed noise."
    lines = [f"{opening} {draws} posterior draws x {seeds} seeds (common random numbers within each draw):"]
    for arm in arms[1:]:
        for metric in [m for m in metrics if m in per]:
            diff = paired_differences(per, arm, arms[0], metric)
            group = diff.groupby(diff.index // DRAW_STRIDE)
            within = float(group.var(ddof=1).mean())
            between = max(float(group.mean().var(ddof=1)) - within / seeds, 0.0)
            split = (f"parameter uncertainty is {between / (between + within):.0%} of the variance"
                     if between + within > 0 else "the difference does not vary at all")
            lines.append(f"  {arm} - {arms[0]}, {metric}: mean {diff.mean():,.4g}; sd between draws "
                         f"{math.sqrt(between):,.3g} (parameters), within a draw {math.sqrt(within):,.3g} (seeds); "
                         f"{split}")
    return "\n".join(lines)


def _sentence(clause: str) -> str:
    """A clause as a sentence: a capital first letter (strategy names start lower case) and a full stop."""
    clause = clause.strip().rstrip(".;")
    return clause[:1].upper() + clause[1:] + "." if clause else ""
