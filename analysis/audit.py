"""The mechanism audit: what switching each mechanism off does, per strategy and to the gap between them.

The audit is a what-if run (`relsim +experiment=audit`): each switch-off scenario
(configs/scenario/off_*.yaml) against the baseline, for each strategy in `arms`, on the same seeds.
This module turns that run into the audit table. The per-strategy effects are the what-if effects
(`whatif.effects` / `whatif.overview`, paired by seed, 95% bootstrap CIs); the effect on the gap
between the strategies (each arm minus the first, e.g. reciprocal − one_way) is a paired difference
of the per-seed gaps, switch-off against baseline (`stats.paired_effect`, the same statistics).
Nothing here judges a mechanism: a switch-off whose CIs all include 0 is reported as "no clear effect".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from .load import RunData
from .stats import clear, paired_effect
from .summary import METRICS, per_seed_metrics
from .whatif import BASELINE, effects, overview, scenarios_of, view

__all__ = ["AUDIT_METRICS", "MECHANISMS", "audit_table", "format_markdown"]

AUDIT_METRICS = ("retention_3y", "trust", "npv", "customer_equity")

MECHANISMS: dict[str, str] = {
    "off_one_way": "1 one-way relationships (intrusion, unreached calls)",
    "off_capacity": "2 limited capacity (burden)",
    "off_stress": "3 stress",
    "off_fees": "4 fees",
    "off_spin": "5 spin (framing)",
    "off_listening": "6 listening (focal firm)",
    "off_word_of_mouth": "7 word of mouth",
    "off_responsiveness": "8 responsiveness (learning)",
    "off_intimacy": "9 intimacy (bond)",
    "off_contact_response": "new: contact response",
    "off_service_recovery": "new: service recovery",
}
"""The switch-off scenarios and the idea (ODD §8.1) or newer mechanism each one switches off."""

_STATS = ("effect", "ci_low", "ci_high", "p_wilcoxon")


def _metrics(run: RunData) -> list[str]:
    """The audit's metrics present in the run (the longest retention horizon when the run is shorter)."""
    per = per_seed_metrics(view(run, run.arms[0]))
    found = [m for m in AUDIT_METRICS if m in per.columns]
    if "retention_3y" not in found:
        longest = next((m for m in ("retention_2y", "retention_1y") if m in per.columns), None)
        found = [m for m in [longest, *found] if m]
    return found


def _gap_rows(run: RunData, metrics: Sequence[str]) -> pd.DataFrame:
    """Per switch-off and arm (after the first): the paired effect on the gap arm − first arm."""
    arms = run.arms
    per = {arm: per_seed_metrics(view(run, arm)).set_index(["arm", "seed"]) for arm in arms}
    rows = []
    for arm in arms[1:]:
        for scenario in scenarios_of(run)[1:]:
            row = {"arm": f"{arm} − {arms[0]}", "scenario": scenario}
            for m in metrics:
                gap = {v: per[arm].loc[v, m] - per[arms[0]].loc[v, m] for v in (scenario, BASELINE)}
                eff = paired_effect(gap[scenario], gap[BASELINE])
                row.update({f"{m}_effect": eff.diff, f"{m}_ci_low": eff.low, f"{m}_ci_high": eff.high,
                            f"{m}_p_wilcoxon": eff.p_wilcoxon})
            rows.append(row)
    return pd.DataFrame(rows)


def audit_table(run: RunData) -> pd.DataFrame:
    """One row per switch-off x arm, then per switch-off x gap (each arm − the first arm).

    Columns: switch_off, mechanism, arm, then per metric `<metric>_effect`, `_ci_low`, `_ci_high`,
    `_p_wilcoxon` (paired effect switch-off − baseline over seeds), baseline means `<metric>_baseline`,
    `n_seeds`, and `clear` (True when at least one metric's CI excludes 0).
    """
    metrics = _metrics(run)
    frame = overview(effects(run), tuple(metrics))
    frame = pd.concat([frame, _gap_rows(run, metrics)], ignore_index=True)
    base = {}
    for arm in run.arms:
        per = per_seed_metrics(view(run, arm))
        base[arm] = per[per["arm"] == BASELINE][metrics].mean()
    for m in metrics:
        frame[f"{m}_baseline"] = [base[a][m] if a in base else
                                  base[a.split(" − ")[0]][m] - base[a.split(" − ")[1]][m] for a in frame["arm"]]
    frame["n_seeds"] = run.runs["seed"].nunique()
    frame["clear"] = [any(clear(row[f"{m}_ci_low"], row[f"{m}_ci_high"], row["n_seeds"]) for m in metrics)
                      for _, row in frame.iterrows()]
    frame = frame.rename(columns={"scenario": "switch_off"})
    frame.insert(1, "mechanism", [MECHANISMS.get(s, s) for s in frame["switch_off"]])
    order = {s: i for i, s in enumerate(scenarios_of(run)[1:])}
    frame["_o"] = frame["switch_off"].map(order)
    frame["_a"] = frame["arm"].map({a: i for i, a in enumerate(dict.fromkeys(frame["arm"]))})
    frame = frame.sort_values(["_o", "_a"], kind="stable").drop(columns=["_o", "_a"]).reset_index(drop=True)
    return frame[["switch_off", "mechanism", "arm",
                  *[f"{m}_{s}" for m in metrics for s in _STATS], *[f"{m}_baseline" for m in metrics],
                  "n_seeds", "clear"]]


# --------------------------------------------------------------------------- markdown

def _scale(metric: str) -> tuple[float, str, str]:
    if metric.startswith("retention"):
        return 100.0, " pp", ".1f"
    if metric in ("trust", "intimacy", "stress"):
        return 1.0, "", ".3f"
    return 1.0, "", ",.0f"


def _cell(metric: str, d: float, lo: float, hi: float) -> str:
    scale, unit, fmt = _scale(metric)
    if not math.isfinite(d):
        return "—"
    mark = "**" if math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0) else ""
    return f"{mark}{d * scale:+{fmt}}{unit}{mark} [{lo * scale:+{fmt}}, {hi * scale:+{fmt}}]"


def _label(metric: str) -> str:
    return METRICS[metric].label if metric in METRICS else metric


def extremes(table: pd.DataFrame) -> list[str]:
    """Per metric, the largest and the smallest absolute effect over the table's rows, in words."""
    metrics = [c[: -len("_effect")] for c in table.columns if c.endswith("_effect")]
    lines = []
    for m in metrics:
        size = table[f"{m}_effect"].abs()
        if not size.notna().any():
            continue
        picks = [("largest", size.idxmax()), ("smallest", size.idxmin())]
        moved = size[size > 0]
        if len(moved) and moved.idxmin() != picks[1][1]:
            picks.append(("smallest not exactly 0", moved.idxmin()))
        for what, i in picks:
            r = table.loc[i]
            lines.append(f"{_label(m)}, {what}: {r['switch_off']} on {r['arm']}: "
                         f"{_cell(m, r[f'{m}_effect'], r[f'{m}_ci_low'], r[f'{m}_ci_high'])}")
    return lines


def format_markdown(table: pd.DataFrame, *, command: str, date: str, setting: str, wall_time: str,
                    descriptions: dict[str, str] | None = None) -> str:
    """docs/AUDIT.md: the command, the setting, the table, the extremes and the switch-offs."""
    bounds = [c for c in table.columns if c.endswith(("_effect", "_ci_low", "_ci_high"))]
    inert = (table[bounds] == 0).all(axis=1)
    listed = lambda rows: "; ".join(f"`{r['switch_off']}` on {r['arm']}" for _, r in rows.iterrows()) or "none"
    identical_text = listed(table[inert])
    quiet_text = listed(table[~inert & ~table["clear"]])
    text = [
        "# Mechanism audit",
        "",
        "Generated by the command below; do not edit by hand. What each switch-off sets, and why that",
        "makes its mechanism inert, is in its file `configs/scenario/<switch-off>.yaml` and in",
        "[ODD.md §8.5](ODD.md#85-mechanism-audit).",
        "",
        "```bash",
        command,
        "```",
        "",
        f"Generated {date}; {setting}; wall time {wall_time}.",
        "",
        "Each cell is the paired effect of switching the mechanism off (switch-off − baseline, on the same",
        "seeds: common random numbers), the mean over seeds with its 95% bootstrap CI; **bold** where the",
        "CI excludes 0. Rows `reciprocal − one_way` give the effect of the switch-off on the gap between",
        "the strategies (the gap with the mechanism off minus the gap with it on, paired by seed). A",
        "positive effect means the outcome is higher without the mechanism. 3-year retention is in",
        "percentage points of the focal firm's day-0 customers, trust on [0, 1] on the last day, NPV and",
        "customer equity (ODD §7.18.1) in the run's money (the `currency` setting).",
        "",
        *_effects_table(table),
        "",
        "Baseline (every mechanism on), mean over seeds:",
        "",
        *_baseline_table(table),
        "",
        "Largest and smallest effects (absolute value, over every row; bold: the CI excludes 0):",
        "",
        *(f"- {x}" for x in extremes(table)),
        "",
        f"Exactly 0 on every outcome and seed (the mechanism does not act in this setting): {identical_text}.",
        "",
        f"Not exactly 0, but no CI that excludes 0 on any outcome: {quiet_text}.",
        "",
    ]
    if descriptions:
        text += ["Switch-offs:", "", *(f"- `{s}`: {d}" for s, d in descriptions.items()), ""]
    return "\n".join(text)


def _metrics_of(table: pd.DataFrame) -> list[str]:
    """The outcomes the audit table has effects on, in its column order."""
    return [c[: -len("_effect")] for c in table.columns if c.endswith("_effect")]


def _effects_table(table: pd.DataFrame) -> list[str]:
    """The markdown table of effects: a row per switch-off and arm, a column per outcome."""
    metrics = _metrics_of(table)
    header = ["switch-off", "mechanism", "arm", *(f"{_label(m)}{' (pp)' if m.startswith('retention') else ''}"
                                                  for m in metrics)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 3 + "---:|" * len(metrics)]
    for _, r in table.iterrows():
        cells = [f"`{r['switch_off']}`", r["mechanism"], r["arm"],
                 *(_cell(m, r[f"{m}_effect"], r[f"{m}_ci_low"], r[f"{m}_ci_high"]) for m in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _baseline_table(table: pd.DataFrame) -> list[str]:
    """The markdown table of the baseline (every mechanism on): a row per arm, a column per outcome."""
    metrics = _metrics_of(table)
    lines = ["| arm | " + " | ".join(_label(m) for m in metrics) + " |", "|---|" + "---:|" * len(metrics)]
    for _, r in table.drop_duplicates("arm").iterrows():
        cells = []
        for m in metrics:
            scale, unit, fmt = _scale(m)
            unit = "%" if unit == " pp" and " − " not in r["arm"] else unit  # a level, not a difference
            cells.append(f"{r[f'{m}_baseline'] * scale:{fmt}}{unit}")
        lines.append(f"| {r['arm']} | " + " | ".join(cells) + " |")
    return lines
