"""docs/FINDINGS.md from the runs behind it: flagship, audit, allocation, discovery, learning, emergence (issue 11, 12).

`findings_markdown(runs)` reads what the runs wrote (summaries, audit.csv, allocation.csv,
discovery.csv and the designs) and states, with figures and CIs, what the model finds. Every
sentence that claims a direction is chosen by the numbers it reports (a difference is called clear
only when its 95% CI excludes 0); nothing here knows which answer to expect. The command that runs
the experiments and writes the page is `relsim-findings` (experiments/commands/write_findings.py).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from .allocation import allocation_figure, allocation_table
from .audit import extremes
from .design import box_text, design_matrix, outcome, read_design
from .emergence import LISTENING, OBJECTIVE, RIVALS, WINDOW, emergence_headline, emergence_table, frozen_table
from .figures import COLORS, add_line, arm_colors, style, weekly
from .load import RunData, load_run
from .stats import clear, mean_ci
from .summary import (
    DRAW_STRIDE, METRICS, RETENTION_HORIZONS, crossover, paired_differences, per_seed_metrics, profit_gap, summarise,
)
from .wording import crossover_clause, uncertainty_split
from .sweep_data import load_sweep

__all__ = ["FindingsRuns", "findings_markdown", "findings_figures"]


@dataclasses.dataclass(frozen=True)
class FindingsRuns:
    """Where the runs are, the commands that made them, and how long each took (seconds)."""

    flagship: Path
    audit: Path
    allocation: Path
    discovery: Path
    learning: Path
    emergence: Path
    commands: dict[str, str]
    wall: dict[str, float]
    quick: bool = False
    posterior: Path | None = None
    calibrated: Path | None = None
    best: Path | None = None  # the best one-way and the best reciprocal firm (relsim-optimize's presets)
    best_budget: Path | None = None  # the same at an equal relationship budget
    decomposition: Path | None = None  # relsim-decompose on the presets
    decomposition_best: Path | None = None  # relsim-decompose on the best firms at an equal budget
    audit_best: Path | None = None  # the audit on the best firms at an equal budget (they use fees and spin)
    test_and_learn: Path | None = None  # test-and-learn firms per window, objective and holdout (and regret.csv)


# --------------------------------------------------------------------------- numbers in words

def _money(x: float, signed: bool = False) -> str:
    return f"{x:+,.0f}" if signed else f"{x:,.0f}"


def _fmt(metric: str, x: float, signed: bool = False) -> str:
    if metric.startswith("retention"):
        return f"{x * 100:+.1f} pp" if signed else f"{x * 100:.1f}%"
    if metric in ("trust", "intimacy", "stress"):
        return f"{x:+.3f}" if signed else f"{x:.3f}"
    if metric == "spend_rate":
        return f"{x:+.1f}" if signed else f"{x:.1f}"
    return _money(x, signed)


def _ci(metric: str, mean: float, low: float, high: float, n: int) -> str:
    """The difference with its CI, bold when it is clear (analysis/stats.py: the CI excludes 0 over enough seeds)."""
    mark = "**" if clear(low, high, n) else ""
    return f"{mark}{_fmt(metric, mean, True)}{mark} [{_fmt(metric, low, True)}, {_fmt(metric, high, True)}]"


def _label(metric: str) -> str:
    return METRICS[metric].label if metric in METRICS else metric


def _words(metric: str) -> str:
    """A metric's label inside a sentence (lower case, except for acronyms such as NPV)."""
    label = _label(metric)
    return label if label.isupper() else label.lower()


def _longest_retention(metrics: set[str]) -> str | None:
    return next((m for m in reversed(RETENTION_HORIZONS) if m in metrics), None)


# --------------------------------------------------------------------------- the four sections

def _flagship(run: RunData, budget_section: str = "the budget allocation below") -> list[str]:
    """The outcome table of a two-arm run, each difference in words, the NPV gap over time and the spend."""
    summary = summarise(run)
    arms = run.arms
    base, other = arms[0], arms[-1]
    metrics = [m for m in (_longest_retention(set(summary["metric"])), "trust", "npv", "customer_equity",
                           "spend_rate") if m and m in set(summary["metric"])]
    rows = summary.set_index(["arm", "metric"])
    lines = [f"| outcome | {base} | {other} | difference, {other} − {base} [95% CI] |", "|---|---:|---:|---:|"]
    for m in metrics:
        a, b = rows.loc[(base, m)], rows.loc[(other, m)]
        lines.append(f"| {_label(m)} | {_fmt(m, a['mean'])} | {_fmt(m, b['mean'])} | "
                     f"{_ci(m, b['diff'], b['diff_ci_low'], b['diff_ci_high'], b['n_seeds'])} |")
    facts = {}
    for m in ("npv", "customer_equity"):
        if m in metrics:
            r = rows.loc[(other, m)]
            facts[m] = (r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["n_seeds"])
    gap = profit_gap(run.runs, other, base)
    cross = crossover(gap)
    text = []
    for m, (d, lo, hi, n) in facts.items():
        leader = other if d > 0 else base
        if clear(lo, hi, n):
            text.append(f"- **{leader} ends with more {_words(m)}**: {_ci(m, d, lo, hi, n)}.")
        else:
            text.append(f"- **Neither arm ends clearly ahead in {_words(m)}**: {_ci(m, d, lo, hi, n)}.")
    if not gap.empty:
        first = gap[gap["mean"] != 0].head(30)
        early = other if (first["mean"] > 0).mean() > 0.5 else base
        clause = crossover_clause(gap, other, base)
        final = other if cross.sign > 0 else base
        text.append(f"- **Over time:** in the first month {early} leads in NPV to date; "
                    + (f"{clause}." if clause else f"{final} leads throughout (the mean gap never changes sign)."))
    if "spend_rate" in metrics:
        a, b = rows.loc[(base, "spend_rate")], rows.loc[(other, "spend_rate")]
        budgets = {arm: float(_strategy(run, arm).get("budget") or 0) for arm in (base, other)}
        if budgets[base] > 0 and budgets[base] == budgets[other]:
            text.append(f"- **An equal-budget comparison:** both plan {budgets[base]:g} a customer-year; they "
                        f"spend {a['mean']:.1f} and {b['mean']:.1f} (answers to complaints and prospecting come on "
                        "top of the budget).")
        else:
            text.append(f"- **Not an equal-budget comparison:** {base} spends {a['mean']:.1f} and {other} "
                        f"{b['mean']:.1f} per customer-year on its relationships (contacts, staffed slots, answers, "
                        f"listening); for a fixed budget see {budget_section}.")
    return lines + [""] + text


def _in_short(named: list[tuple[str, RunData]]) -> list[str]:
    """One line per comparison: which arm leads in NPV, customer equity and the longest retention, each only
    where its 95% CI excludes 0 over enough seeds (else: neither clearly)."""
    lines = []
    for label, run in named:
        rows = summarise(run).set_index(["arm", "metric"])
        base, other = run.arms[0], run.arms[-1]
        parts = []
        for m in ("npv", "customer_equity", _longest_retention(set(rows.index.get_level_values("metric")))):
            if m is None or (other, m) not in rows.index:
                continue
            r = rows.loc[(other, m)]
            if clear(r["diff_ci_low"], r["diff_ci_high"], r["n_seeds"]):
                leader = other if r["diff"] > 0 else base
                parts.append(f"`{leader}` leads in {_words(m)} ({other} − {base}: "
                             f"{_ci(m, r['diff'], r['diff_ci_low'], r['diff_ci_high'], r['n_seeds'])})")
            else:
                parts.append(f"neither leads clearly in {_words(m)} "
                             f"({_ci(m, r['diff'], r['diff_ci_low'], r['diff_ci_high'], r['n_seeds'])})")
        lines.append(f"- **{label}:** " + "; ".join(parts) + ".")
    return lines


def _setting(run: RunData) -> str:
    """A run's size in words: seeds, consumers, days, rivals."""
    config = run.manifest.get("config") or {}
    market = config.get("market") or {}
    return (f"{len(run.manifest.get('seeds') or [])} seeds, {market.get('consumers', '?'):,} consumers, "
            f"{config.get('days', '?')} days, rivals: {', '.join(market.get('rivals') or []) or 'none'}")


def _strategy(run: RunData, arm: str) -> dict:
    """An arm's strategy as the run's manifest recorded it (every field)."""
    return ((run.manifest.get("config") or {}).get("strategies") or {}).get(arm) or {}


def _levers(run: RunData) -> list[str]:
    """What the two arms set: every lever in which they differ from each other or from the defaults, as the
    firm runs it (with a budget: the levers the budget buys at the market's channel prices, sim/budget.py)."""
    from relsim import budget
    from relsim.params import Market, Strategy, build

    base, other = run.arms[0], run.arms[-1]
    channels = build(Market, (run.manifest.get("config") or {}).get("market") or {}).channels
    default = dataclasses.asdict(Strategy())
    planned = {arm: _strategy(run, arm) for arm in (base, other)}
    used = {arm: dataclasses.asdict(budget.levers(build(Strategy, planned[arm], arm), channels))
            for arm in (base, other)}
    names = [n for n in default if n != "name" and any(
        planned[arm].get(n, default[n]) != default[n] or used[arm][n] != default[n] for arm in (base, other))
        and not isinstance(default[n], (dict, list))]
    lines = [f"| lever | {base} | {other} | default (the middle firm) |", "|---|---:|---:|---:|"]
    for n in names:
        lines.append(f"| `{n}` | {_value(used[base][n])} | {_value(used[other][n])} | {_value(default[n])} |")
    return lines


def _value(x) -> str:
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _best(run: RunData, budget_section: str) -> list[str]:
    """A best response against the other: the levers each firm chose, then the outcomes as for the flagship."""
    header = (run.manifest.get("config") or {}).get("strategies") or {}
    found = [_found_by(arm) for arm in run.arms if arm in header]
    return (["The levers each best firm chose (as it runs them):", "", *_levers(run), "",
             *[line for line in found if line], "", "On seeds the optimiser never saw:", ""]
            + _flagship(run, budget_section))


def _unreached(free: RunData, budgeted: RunData) -> list[str]:
    """Whether each free-spending best earns at least what its class's equal-budget best earns on the same seeds
    (the class contains that strategy, so a search that reached its class's best would); a clear shortfall says
    the free-spending search stopped short, and its firm is a lower bound on its class's best."""
    per_free, per_budget = per_seed_metrics(free).set_index(["arm", "seed"]), per_seed_metrics(budgeted).set_index(
        ["arm", "seed"])
    lines = []
    for arm in free.arms:
        twin = f"{arm}_b20"
        if twin not in budgeted.arms or "npv" not in per_free:
            continue
        diff = (per_budget.loc[twin, "npv"] - per_free.loc[arm, "npv"]).dropna()
        ci = mean_ci(diff)
        if clear(ci.low, ci.high, ci.n) and ci.mean > 0:
            lines.append(f"- **The search for `{arm}` stopped short:** `{twin}`, a strategy of the same class, earns "
                         f"{_ci('npv', ci.mean, ci.low, ci.high, ci.n)} more NPV on the same seeds, so `{arm}` is a "
                         "lower bound on its class's best.")
        else:
            lines.append(f"- `{arm}` earns at least about what `{twin}` (a strategy of the same class) earns on the "
                         f"same seeds: {_ci('npv', -ci.mean, -ci.high, -ci.low, ci.n)} NPV.")
    return lines


def _found_by(arm: str) -> str:
    """The line of a preset's header naming the relsim-optimize command that found it, if it has one."""
    from relsim.configs import __file__ as configs

    path = Path(configs).parent / "strategy" / f"{arm}.yaml"
    if not path.is_file():
        return ""
    lines = path.read_text().splitlines()
    command = next((x[len("# Found by: "):] for x in lines if x.startswith("# Found by: ")), "")
    fresh = next((x[len("# On fresh seeds (mean [95% CI]): "):] for x in lines
                  if x.startswith("# On fresh seeds (mean [95% CI]): ")), "")
    trials = next((x[len("# Trials: "):] for x in lines if x.startswith("# Trials: ")), "")
    return (f"- `{arm}`: found by `{command}`" + (f" ({trials} trials)" if trials else "")
            + (f"; on its own fresh seeds {fresh.rstrip('.')}" if fresh else "") + "." if command else "")


def _decomposition(path: Path) -> list[str]:
    """relsim-decompose's table: each lever's share of the gap between the two arms, per metric."""
    from .decomposition import format_markdown

    table = pd.read_csv(path / "decomposition.csv")
    record = json.loads((path / "decomposition.json").read_text())
    a, b = record["arms"]
    return [f"`{record['command']}` ({len(record['seeds'])} seeds; each lever in which {a} and {b} differ swapped "
            "in both directions on the same seeds; a lever's contribution is the mean of its two swaps, its share "
            "that over the gap, and the interaction is what the levers leave, analysis/decomposition.py):", "",
            format_markdown(table, a, b)]


def _posterior(run: RunData, handset: RunData, point: RunData | None = None) -> list[str]:
    """The flagship's differences on the hand-set defaults against the same over posterior draws of the
    calibrated behaviour: mean and 95% CI over all replicates, the range of the draws' means, the number
    of draws in which the first arm is ahead, and the share of the variance that is parameter uncertainty;
    with `point`, also at the calibrated preset's own values (the best-fitting particle)."""
    per, base_per = per_seed_metrics(run), per_seed_metrics(handset)
    arms = run.arms
    base, other = arms[0], arms[-1]
    metrics = [m for m in (_longest_retention(set(per.columns)), "npv", "customer_equity") if m and m in per]
    summary, hand = summarise(run).set_index(["arm", "metric"]), summarise(handset).set_index(["arm", "metric"])
    columns = [("hand-set defaults", hand),
               *([("calibrated point", summarise(point).set_index(["arm", "metric"]))] if point is not None else []),
               ("over the posterior", summary)]
    lines = ["| " + " | ".join([f"{other} − {base}", *(f"{name} [95% CI]" for name, _ in columns),
                                 "range of the draws' means", f"draws with {base} ahead"]) + " |",
             "|---|" + "---:|" * (len(columns) + 2)]
    for m in metrics:
        draws = paired_differences(per, other, base, m).groupby(lambda seed: seed // DRAW_STRIDE).mean()
        cells = [_ci(m, r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["n_seeds"])
                 for r in (table.loc[(other, m)] for _, table in columns)]
        lines.append(f"| {_label(m)} | " + " | ".join(cells) + " | "
                     f"{_fmt(m, draws.min(), signed=True)} to {_fmt(m, draws.max(), signed=True)} | "
                     f"{int((draws < 0).sum())} of {len(draws)} |")
    n_draws = int(per["seed"].max() // DRAW_STRIDE) + 1
    n_seeds = int(per["seed"].nunique() // max(n_draws, 1))
    split = uncertainty_split(run, n_draws, n_seeds, [m for m in metrics if m != "customer_equity"])
    seeds = len(base_per["seed"].unique())
    point_text = (" The calibrated point is `relsim market=calibrated`: the preset's values, the posterior draw "
                  "that fits the fitted patterns best on seeds no choice saw (docs/VALIDATION.md §2.10, "
                  "docs/calibration/npe/point.json); its interval is seed noise only." if point is not None else "")
    return lines + ["", f"The hand-set column is the presets' run ({seeds} seeds).{point_text} The posterior is the "
                    "neural posterior estimate of docs/VALIDATION.md §2.10 (the file `posterior=N` draws from): "
                    "every draw sets twelve behavioural weights, most of which the stylized facts do not pin down. "
                    "Its intervals therefore hold what we do not know about consumers, not only seed noise:", "",
                    "```text", split, "```"]


def _allocation(table: pd.DataFrame) -> list[str]:
    best = table[table["best"]].iloc[0]
    by_npv = table.loc[table["npv"].idxmax()]
    near = table[table["within_noise"] & ~table["best"]]
    worst = table.loc[table["customer_equity"].idxmin()]
    text = [
        f"At a budget of {table.attrs.get('budget', float('nan')):g} per customer-year (the `budgeted` preset: about "
        f"what the middle firm's levers cost), over {len(table)} splits and {table.attrs.get('seeds', '?')} seeds:",
        "",
        f"- **The split that keeps the most customer equity** spends {best.outbound_share:.0%} on outbound contacts, "
        f"{best.access_share:.0%} on access and {best.listening_share:.0%} on listening: {best.contacts_per_year:.0f} "
        f"contacts a customer-year, {best.inbound_capacity:.1f} staffed slots a day per 1,000 customers, listening "
        f"{best.listening:.2f} (public {best.public_listening:.2f}). Customer equity "
        f"{_money(best.customer_equity)} [{_money(best.customer_equity_low)}, {_money(best.customer_equity_high)}].",
        f"- **Within noise of it:** {len(near)} of the other {len(table) - 1} splits"
        + (": " + "; ".join(f"{r.outbound_share:.1f} / {r.access_share:.1f} / {r.listening_share:.1f}"
                            for r in near.itertuples()) if len(near) else "") + " (outbound / access / listening).",
        f"- **The split with the most NPV over the horizon** is {by_npv.outbound_share:.1f} / {by_npv.access_share:.1f}"
        f" / {by_npv.listening_share:.1f} ({_money(by_npv.npv)}; the best-equity split's NPV is {_money(best.npv)}).",
        f"- **The worst split** ({worst.outbound_share:.1f} / {worst.access_share:.1f} / {worst.listening_share:.1f}) "
        f"keeps {_money(-worst.diff_from_best)} less customer equity than the best "
        f"[{_money(-worst.diff_high)}, {_money(-worst.diff_low)}].",
        f"- Realised relationship spend ranged {table['spend_rate'].min():.1f} to {table['spend_rate'].max():.1f} per "
        "customer-year: the budget buys contacts, slots and listening; answers to complaints and prospecting "
        "contacts come on top.",
        "",
        "| outbound | access | listening | contacts / customer-year | slots / day / 1,000 | listening | "
        "retention | NPV | customer equity | difference from the best [95% CI] |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    corners = table[(table[["outbound_share", "access_share", "listening_share"]] == 1.0).any(axis=1)]
    shown = pd.concat([table.sort_values("customer_equity", ascending=False).head(5), corners]).drop_duplicates("job")
    for r in shown.itertuples():
        retention = f"{r.retention:.1%}" if "retention" in table and math.isfinite(r.retention) else "—"
        text.append(f"| {r.outbound_share:.1f} | {r.access_share:.1f} | {r.listening_share:.1f} | "
                    f"{r.contacts_per_year:.0f} | {r.inbound_capacity:.1f} | {r.listening + r.public_listening:.2f} | "
                    f"{retention} | "
                    f"{_money(r.npv)} | {_money(r.customer_equity)} | "
                    f"{_money(r.diff_from_best, True)} [{_money(r.diff_low, True)}, {_money(r.diff_high, True)}] |")
    text.append("")
    text.append("The five best splits, then the three corners (the whole budget on one lever).")
    return text


def _audit(audit: pd.DataFrame, per_arm: str = "[AUDIT.md](AUDIT.md)") -> list[str]:
    gap = audit[audit["arm"].str.contains(" − ")]
    metrics = [c[: -len("_effect")] for c in audit.columns if c.endswith("_effect")]
    lines = ["| switch-off | mechanism | " + " | ".join(f"gap in {_words(m)}" for m in metrics) + " |",
             "|---|---|" + "---:|" * len(metrics)]
    for r in gap.itertuples():
        row = r._asdict()
        lines.append(f"| `{r.switch_off}` | {r.mechanism} | " + " | ".join(
            _ci(m, row[f"{m}_effect"], row[f"{m}_ci_low"], row[f"{m}_ci_high"], row["n_seeds"]) for m in metrics)
            + " |")
    arm = gap["arm"].iloc[0] if len(gap) else ""
    text = [f"Each row is the change in the gap ({arm}) when one mechanism is switched off, paired over the "
            "same seeds; bold when the 95% CI excludes 0." + (f" Per arm, with trust and baselines: {per_arm}."
                                                              if per_arm else ""), "", *lines, "", "Largest and smallest effects on the gap:", ""]
    text += [f"- {line}" for line in extremes(gap.reset_index(drop=True))]
    return text


def _discovery(sweep_dir: Path) -> list[str]:
    plan = read_design(sweep_dir)
    sweep = load_sweep(sweep_dir)
    arms = sweep.manifest.get("arms") or ["the first arm", "the second arm"]
    effect = outcome(sweep, "customer_equity").reindex(range(len(design_matrix(sweep_dir))))
    n = int(effect.notna().sum())
    ahead = {"above": int((effect > 0).sum()), "below": int((effect < 0).sum())}
    path = sweep_dir / "discovery.csv"
    boxes = pd.read_csv(path) if path.is_file() and path.stat().st_size else pd.DataFrame()
    text = [f"A {len(plan['rows'])}-row Latin hypercube over both arms' levers and the market context "
            f"(`configs/experiment/discovery.yaml`), PRIM on the paired customer-equity difference "
            f"{arms[1]} − {arms[0]}:", ""]
    for sign, better in (("above", arms[1]), ("below", arms[0])):
        worse = arms[0] if better == arms[1] else arms[1]
        part = boxes[boxes["sign"] == sign] if len(boxes) else boxes
        if not ahead[sign]:
            text.append(f"- **{better} never earns more customer equity than {worse}** in the {n} rows: over these "
                        "ranges PRIM has no box for this sign.")
            continue
        if part.empty:
            text.append(f"- **{better} earns more in {ahead[sign]} of {n} rows** (no PRIM box written).")
            continue
        first = part.iloc[0]
        text.append(f"- **{better} earns more in {ahead[sign]} of {n} rows.** "
                    f"{box_text(part, first.coverage, first.density, code=True)}.")
    return text


def _four(row) -> str:
    """talk more / harder to reach / charge to be heard / charge to keep a right / one-way-like, as shares."""
    return " / ".join(f"{row[k]:.0%}" if k in row and pd.notna(row[k]) else "—"
                      for k in ("talk_more", "harder_to_reach", "charge_to_be_heard", "charge_to_keep", "one_way_like"))


SHARES = ("talk more / harder to reach / charge to be heard / charge a nuisance fee / one-way-like (share of "
          "learning firms)")


def _test_and_learn(path: Path, table: pd.DataFrame) -> list[str]:
    """Firms that learn by randomised tests: per window, objective and holdout, the levers they adopt, what they
    earn against the best fixed strategy, and their frozen final levers (relsim-regret)."""
    frozen = frozen_table(path, table)
    frozen = frozen.set_index("job") if len(frozen) else frozen
    levers = table.attrs["levers"]
    keys = [k for k in (WINDOW, OBJECTIVE, "firm_policy.holdout") if k in table]
    lines = ["| " + " | ".join(k.split(".")[-1] for k in keys) + " | "
             + " | ".join(f"{n} at the end" for n in levers) + f" | {SHARES} | NPV − best fixed [95% CI] "
             "| customer equity − best fixed | frozen final levers' NPV − best fixed |",
             "|" + "---|" * len(keys) + "---:|" * (len(levers) + 4)]
    n = int(table["seeds"].min())
    for row in table.to_dict("records"):
        cells = [f"{row[m]:.3g} [{row[m + '_low']:.3g}, {row[m + '_high']:.3g}]" for m in levers]
        froze = frozen.loc[row["job"]] if len(frozen) and row["job"] in frozen.index else None
        frozen_cell = (_ci("npv", froze["frozen_npv_vs_best"], froze["frozen_npv_vs_best_low"],
                           froze["frozen_npv_vs_best_high"], n) if froze is not None and "frozen_npv_vs_best" in froze
                       else "—")
        lines.append("| " + " | ".join(f"{row[k]:g}" if isinstance(row[k], float) else str(row[k]) for k in keys)
                     + " | " + " | ".join(cells) + f" | {_four(row)} | "
                     + _ci("npv", row["npv_vs_best"], row["npv_vs_best_low"], row["npv_vs_best_high"], n)
                     + f" ({row['best_fixed_npv_arm']}) | "
                     + _ci("npv", row["equity_vs_best"], row["equity_vs_best_low"], row["equity_vs_best_high"], n)
                     + f" ({row['best_fixed']}) | {frozen_cell} |")
    fixed = table.attrs["fixed"]
    best = table.iloc[0]
    lines += ["", *_window_reading(table)]
    lines += ["", f"Fixed strategies on the same seeds: {', '.join(fixed)}; the best by NPV is "
              f"{best['best_fixed_npv_arm']} ({_money(best['best_fixed_npv'])}), by customer equity "
              f"{best['best_fixed']} ({_money(best['best_fixed_equity'])}). best_tested is the best fixed point of the "
              "learner's own levers that `relsim-optimize` found by five-year NPV (its preset's header names the "
              "study). Regret, as the field measures a learner: the best fixed strategy's NPV minus what the learner "
              "earned while it learned (the column NPV − best fixed, negated); the frozen column plays the levers "
              "each learner ended with from day 0 on its seeds (`relsim-regret`), apart from what exploring cost it. "
              "The tests, their cells and decisions: tests.parquet in each job (docs/SCHEMA.md)."]
    return lines


def _window_reading(table: pd.DataFrame) -> list[str]:
    """For each objective, the shortest window against the longest, in words chosen by the numbers: the shares of
    learning firms charging fees and harder to reach, and what they earn against the best fixed strategy."""
    if WINDOW not in table or table[WINDOW].nunique() < 2:
        return []
    out = []
    for objective, part in table.groupby(OBJECTIVE, sort=False) if OBJECTIVE in table else [("", table)]:
        means = part.groupby(WINDOW).mean(numeric_only=True)
        short, long = means.index.min(), means.index.max()
        s, g = means.loc[short], means.loc[long]

        def share(row, key):
            return f"{row[key]:.0%}" if key in row and pd.notna(row[key]) else "—"

        out.append(
            f"- **{objective or 'all'}**: with {short}-day tests the learners end charging a support fee in "
            f"{share(s, 'charge_to_be_heard')} and a nuisance fee in {share(s, 'charge_to_keep')} of runs, harder to "
            f"reach in {share(s, 'harder_to_reach')}, talking more in {share(s, 'talk_more')}; with {long}-day tests "
            f"{share(g, 'charge_to_be_heard')}, {share(g, 'charge_to_keep')}, {share(g, 'harder_to_reach')} and "
            f"{share(g, 'talk_more')}. Their five-year NPV less the best fixed strategy's: "
            f"{_money(s['npv_vs_best'], True)} with the short window against {_money(g['npv_vs_best'], True)} with "
            f"the long (means over the cells); their customer equity less the best fixed strategy's: "
            f"{_money(s['equity_vs_best'], True)} against {_money(g['equity_vs_best'], True)}; market trust at the "
            f"end {s['market_trust']:.3f} against {g['market_trust']:.3f}.")
    return out


def _learning(default_dir: Path, grid_dir: Path) -> list[str]:
    lines = []
    table = emergence_table(default_dir)
    levers = table.attrs["levers"]
    lines += ["**In the default market** (the learner against the fixed middle rival; one job per objective):", "",
              "| objective | " + " | ".join(f"{name} at the end" for name in levers)
              + f" | {SHARES.replace('learning firms', 'seeds')} "
              "| customer equity − the best fixed strategy's [95% CI] |",
              "|---|" + "---:|" * (len(levers) + 2)]
    for row in table.to_dict("records"):  # (itertuples would rename the dotted keys)
        cells = [f"{row[n]:.3g} [{row[n + '_low']:.3g}, {row[n + '_high']:.3g}]" for n in levers]
        lines.append(f"| {row.get(OBJECTIVE, '')} | " + " | ".join(cells) + f" | {_four(row)} | "
                     f"{_ci('npv', *(row[f'equity_vs_best{s}'] for s in ('', '_low', '_high')), row['seeds'])} "
                     f"(best fixed: {row['best_fixed']}) |")
    grid = emergence_table(grid_dir)
    rule = grid.attrs.get("rule")
    by = [k for k in (WINDOW, OBJECTIVE, LISTENING) if k in grid]
    lines += ["", f"**Over the emergence grid** ({rule} firms; a rival, where there is one, learns too; each cell "
              "averaged over its seeds): " + emergence_headline(grid), "", *_window_reading(grid), "",
              "| " + " | ".join(k.split(".")[-1] for k in by) + f" | {SHARES}, mean over the cells "
              "| cells where the learner keeps clearly less / more customer equity than the best fixed strategy "
              "| clearly less / more NPV | market trust |",
              "|" + "---|" * len(by) + "---:|---:|---:|---:|"]
    for values, part in grid.groupby(by, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        npv = (f"{int((part['npv_vs_best_clear'] & (part['npv_vs_best'] < 0)).sum())} / "
               f"{int((part['npv_vs_best_clear'] & (part['npv_vs_best'] > 0)).sum())}"
               if "npv_vs_best_clear" in part else "—")
        lines.append("| " + " | ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
                     + f" | {_four(part.mean(numeric_only=True))} | "
                     f"{int((part['equity_vs_best_clear'] & (part['equity_vs_best'] < 0)).sum())} / "
                     f"{int((part['equity_vs_best_clear'] & (part['equity_vs_best'] > 0)).sum())}"
                     f" of {len(part)} | {npv} of {len(part)} | {part['market_trust'].mean():.3f} |")
    lines += ["", "Talk more: more than 26 contacts a customer-year (mail_rate + email_rate + phone_rate); harder to "
              "reach: inbound_capacity < 4 (the middle firm's levers); "
              "charge to be heard: a support fee; charge a nuisance fee: a fee to keep a right; one-way-like: talk "
              "more and harder to reach. Each cell's rows are pooled over "
              + ("competition (no rival, one testing rival)" if RIVALS in grid else "its other keys")
              + ". The learners' rules, menus, objectives and sensing: ODD §7.21."]
    return lines


#: The last point of "In short": every run above is at the hand-set weights; the posterior's reading is §14's first.
POSTERIOR_CAVEAT = ("- **At the hand-set behavioural weights.** Every comparison above uses them. Over the posterior "
                    "of those weights (docs/VALIDATION.md §2.10) the reciprocal firms still keep more customers in 20 "
                    "of 20 draws, but the best one-way firm leads 3-year NPV in 20 of 20 and customer equity in 15 of "
                    "20 at an equal budget, and the presets' NPV gap is not settled (reciprocal ahead in 13 of 20): "
                    "see the first point of the last section.")

LIMITS = [
    "- **Hand-set behavioural weights, and what the posterior says of the verdicts.** The runs above use the "
    "hand-set defaults (docs/ODD.md), and their intervals are seed noise only. Over the posterior of the "
    "current model (neural posterior estimation on 10,000 simulations of the stylized-fact battery and one "
    "micro-level effect size, how churn follows satisfaction; docs/VALIDATION.md §2.9, §2.10: "
    "`relsim arms=[best_one_way_b20,best_reciprocal_b20] posterior=20 seeds=5`, and the same for the presets, §13) "
    "the verdicts change. "
    "At an equal budget, best_one_way_b20 earns more 3-year NPV in 20 of 20 posterior draws (best_reciprocal_b20 "
    "earns 5.9% less on average, CI 4.8% to 6.9%) and more customer equity in 15 of 20; best_reciprocal_b20 "
    "keeps more of its customers in 20 of 20 (+2.3 pp). For the presets, reciprocal keeps more customers in "
    "20 of 20 draws (+5.4 pp), earns more NPV in 13 of 20 (not settled) and more customer equity in 16 of 20. "
    "The weight that sets the money gap, `trust_sensitivity` (how much trust moves churn), is only loosely pinned "
    "down: its posterior's 90% interval is 0.11 – 7.1 (median 1.6), and the hand-set 6 lies near its top, where "
    "the hand-set model's least trusting customers leave 3.4 times as often as its most trusting against a "
    "published ratio of about 2. The gaps in money above are therefore the hand-set model's; that the reciprocal "
    "firm keeps more customers holds in every one of the 20 draws. At the posterior's best-supported draw "
    "(`market=calibrated`, §13; `trust_sensitivity` 1.97) the reciprocal preset keeps 2.0 points more of its "
    "customers and earns more NPV (+52k) and customer equity: the money gap follows the weights the evidence "
    "leaves open.",
    "- **Best responses are the best a search found, not proven optima.** Each best_* preset's header names its "
    "study (trials, seeds, objective: NPV over three years); a firm that maximised another objective (customer "
    "equity, a longer horizon) would choose differently. The searched ranges (experiments/optimize/space.py) "
    "bound what a firm may do: a lever at the edge of its range was set by the range, not by the firm.",
    "- **Simple learners, small firms.** The learning firms are a bandit over a small menu, a local search and a "
    "firm that tests one lever at a time on half of a few thousand customers; a test's power grows with the "
    "customers it has (a real firm's tests have millions), and a firm with a richer model of its customers might "
    "learn differently (ODD §7.21). Rivals that learn are judged fixed at their start in `relsim-regret`. "
    "best_tested, the yardstick of §11, is the best a 120-trial search found, not a proven optimum: where a "
    "learner's frozen levers beat it, the search fell short.",
    "- **What customer equity assumes.** Each held customer's future at its churn hazard of the last day and the "
    "firm's current rates (relationship spend and contact sales over the last 30 days), with no future support "
    "fees (ODD §7.18.1). Read it next to NPV, never alone.",
    "- **What the budget leaves out.** It buys contacts, staffed slots and listening; answers to complaints, "
    "prospecting, fees, responsiveness and the channel mix's proportions are choices of kind, not of spend "
    "(ODD §7.20).",
]


# --------------------------------------------------------------------------- the page

def _gap_figure(run: RunData) -> go.Figure:
    """A two-arm run's NPV gap to date over the days, mean and 95% band over seeds, with its crossover."""
    base, other = run.arms[0], run.arms[-1]
    gap = profit_gap(run.runs, other, base)
    fig = go.Figure()
    if not gap.empty:
        drawn = weekly(gap.assign(_k=0), ["_k"], ["mean", "low", "high"]).drop(columns="_k")
        add_line(fig, drawn, "day", name=f"{other} − {base}", color=arm_colors(run.arms)[other], group="gap",
                 showlegend=True, hover="%{y:,.0f}")
        cross = crossover(gap)
        if cross.day is not None:
            fig.add_vline(x=cross.day, line={"width": 1, "dash": "dot"}, annotation_text=f"crossover: day {cross.day}")
    fig.add_hline(y=0, line={"color": COLORS["rule"], "width": 1})
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text=f"NPV to date, {other} − {base}")
    return style(fig, f"NPV to date: {other} − {base}, mean and 95% band over seeds")


def findings_figures(runs: FindingsRuns) -> dict[str, go.Figure]:
    """The page's figures: the NPV gap over time (the presets, and the best firms at an equal budget) and
    customer equity over the budget simplex."""
    figures = {"findings_npv_gap": _gap_figure(load_run(runs.flagship)),
               "findings_allocation": allocation_figure(allocation_table(runs.allocation))}
    if runs.best_budget is not None and (runs.best_budget / "manifest.json").is_file():
        figures["findings_best_gap"] = _gap_figure(load_run(runs.best_budget))
    return figures


def findings_markdown(runs: FindingsRuns, *, date: str, commit: str, images: dict[str, str] | None = None) -> str:
    """The whole of docs/FINDINGS.md from the runs; `images` maps figure names to paths relative to the page."""
    images = images or {}
    run = load_run(runs.flagship)
    flagship = _flagship(run, "the best firms at an equal budget above and the budget allocation below")
    allocation = allocation_table(runs.allocation)
    audit = pd.read_csv(runs.audit / "audit.csv")
    setting = _setting(run)
    minutes = sum(runs.wall.values()) / 60
    out = ["# What the model finds", ""]
    if runs.quick:
        out += ["> **Quick mode: toy sizes to try the pipeline. Nothing on this page is a finding.**", ""]
    out.append(f"Generated by `relsim-findings` on {date} (commit `{commit}`) from the runs below, in "
               f"{minutes:.0f} min on the machine that ran it. Rerun the command to regenerate the page: a seed fully "
               "determines every run. Each section names the command that produced its run. Bold differences have "
               "a 95% CI that excludes 0.")
    c = runs.commands

    def ran(path: Path | None) -> bool:
        return path is not None and (path / "manifest.json").is_file()

    short = [(label, load_run(path)) for label, path in (
        ("The best firms at an equal budget", runs.best_budget), ("The best firms spending freely", runs.best),
        ("The presets", runs.flagship)) if ran(path)]
    tested = (emergence_table(runs.test_and_learn) if runs.test_and_learn is not None
              and (runs.test_and_learn / "sweep.parquet").is_file() else None)  # §11's table, read once
    testing = ["- **Firms that test and learn** (five years, the default market; §11), by objective:",
               *(f"  {line}" for line in _window_reading(tested))] if tested is not None else []
    sections = [("In short", "Each comparison on the same customers, over three years (firms that test: five); the "
                             "sections below give the levers, the time course and the decompositions.",
                 _in_short(short) + testing + [POSTERIOR_CAVEAT], None)] if short else []
    for name, path, title, budget_section in (
            ("best_budget", runs.best_budget, "The best one-way firm against the best reciprocal firm, at an equal "
                                              "budget", "This section"),
            ("best", runs.best, "The best one-way firm against the best reciprocal firm, each spending what it "
                                "likes", "The section before")):
        if ran(path):
            best = load_run(path)
            body = _best(best, budget_section)
            if name == "best" and ran(runs.best_budget):
                body += _unreached(best, load_run(runs.best_budget))
            sections.append((title, f"`{c[name]}` ({_setting(best)}; each class's best response found by "
                                    "`relsim-optimize` (ODD §8.10), run on fresh seeds).", body,
                             ("findings_best_gap", "NPV gap between the best firms") if name == "best_budget" else None))
    sections += [
        ("The presets: one-way against reciprocal on the same customers",
         f"`{c['flagship']}` ({setting}; focal firm against the rival(s), common random numbers; the hand-made "
         "presets, kept for continuity: they differ only in the idea's levers, ODD §5).", flagship,
         ("findings_npv_gap", "NPV gap over the presets' run")),
    ]
    for name, path, title in (("decomposition", runs.decomposition, "Which levers carry the presets' gap"),
                              ("decomposition_best", runs.decomposition_best,
                               "Which levers carry the gap between the best firms at an equal budget")):
        if path is not None and (path / "decomposition.csv").is_file():
            sections.append((title, "", _decomposition(path), None))
    sections += [
        ("Equal budget: how one relationship budget is best split",
         f"`{c['allocation']}`, then `relsim-report` on the sweep (ODD §7.20, §8.7).", _allocation(allocation),
         ("findings_allocation", "Customer equity over the budget simplex")),
        ("Which mechanisms carry the presets' gap (the audit)", f"`{c['audit']}` (ODD §8.5).", _audit(audit), None),
        *([("Which mechanisms carry the gap between the best firms at an equal budget (the audit)",
            f"`{c['audit_best']}` (ODD §8.5; these firms charge fees and cut with spin, so those rows act here).",
            _audit(pd.read_csv(runs.audit_best / "audit.csv"), ""), None)]
          if runs.audit_best is not None and (runs.audit_best / "audit.csv").is_file() else []),
        ("Where each bundle earns more (discovery)",
         f"`{c['discovery']}`, then `relsim-report` on the sweep (ODD §8.6; details in [DISCOVERY.md](DISCOVERY.md)).",
         _discovery(runs.discovery), None),
        *([("Firms that test and learn: does a short measurement window make firms one-way?",
             f"`{c['test_and_learn']}`, then `relsim-report` and `{c['frozen']}` on the sweep (ODD §7.21: each "
             "test moves one lever for a random half of the customers and is judged over the window W; Hohnhold, "
             "O'Brien & Tang 2015).", _test_and_learn(runs.test_and_learn, tested), None)]
          if tested is not None else []),
        ("Firms that learn (emergence)",
         f"`{c['learning']}` and `{c['emergence']}`, then `relsim-report` on each sweep (ODD §7.21, §8.8).",
         _learning(runs.learning, runs.emergence), None),
    ]
    if ran(runs.posterior):
        sections.append(("The presets over the calibrated posterior",
                         f"`{c['posterior']}` (the flagship's comparison on draws of the calibrated behaviour, "
                         "common random numbers within each draw).",
                         _posterior(load_run(runs.posterior), run,
                                    load_run(runs.calibrated) if ran(runs.calibrated) else None), None))
    sections.append(("What the model cannot show yet", "", LIMITS, None))
    for k, (title, intro, body, image) in enumerate(sections, start=1):
        out += ["", f"## {k}. {title}", ""] + ([intro, ""] if intro else []) + list(body)
        if image and image[0] in images:
            out += ["", f"![{image[1]}]({images[image[0]]})"]
    out.append("")
    return "\n".join(out)
