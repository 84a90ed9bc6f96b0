"""What-if analysis: each scenario against its baseline, per strategy, on the same seeds.

A what-if run's tables carry a `scenario` column (`baseline`, the scenario, and any contrasts). For
each strategy (arm) the scenario variants are compared with that strategy's baseline, seed by seed
(common random numbers): paired differences, bootstrap CIs, Wilcoxon p-values.
"""

from __future__ import annotations

import dataclasses
import html
import math
import textwrap

import numpy as np
import pandas as pd

from .load import RunData
from .summary import METRICS, RETENTION_HORIZONS, profit_gap, summarise, trust_gap
from .stats import MIN_CLEAR_PAIRS, clear
from .wording import TERMINAL_WIDTH, call, crossover_clause, held, levers_line, currency_of, gap_cause, is_clear, money_words, uncalled

BASELINE = "baseline"

__all__ = ["BASELINE", "scenarios_of", "is_whatif", "view", "effects", "whatif_verdict", "effect_over_time"]


def scenarios_of(run: RunData) -> list[str]:
    """Scenario variants in the manifest's order (baseline first), then by appearance."""
    if "scenario" not in run.runs:
        return [BASELINE]
    present = [str(s) for s in pd.unique(run.runs["scenario"])]
    listed = [str(s) for s in run.manifest.get("scenarios") or []]
    ordered = [s for s in [BASELINE, *listed] if s in present]
    return list(dict.fromkeys(ordered + present))


def is_whatif(run: RunData) -> bool:
    """True when the run compares scenarios against a baseline."""
    return len(scenarios_of(run)) > 1


def view(run: RunData, arm: str) -> RunData:
    """One strategy's runs with `arm` replaced by the scenario, so arm-wise tools compare scenarios."""
    order = scenarios_of(run)

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        part = frame[frame["arm"] == arm].copy()
        if "scenario" not in part:
            part["scenario"] = BASELINE
        return part.assign(arm=part["scenario"]).drop(columns="scenario")

    manifest = {**run.manifest, "arms": order, "strategy": arm}
    return RunData(runs=pick(run.runs), retention=pick(run.retention), evidence=pick(run.evidence),
                   manifest=manifest, out_dir=run.out_dir)


def effects(run: RunData) -> pd.DataFrame:
    """The what-if summary: per strategy, scenario and metric, the mean and the paired effect vs baseline."""
    frames = []
    for arm in run.arms:
        table = summarise(view(run, arm)).rename(columns={"arm": "scenario"})
        table.insert(0, "arm", arm)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- verdict

def _profit_clause(row: pd.Series, label: str, currency: str, scale_from: list[float]) -> tuple[str, int]:
    """What the scenario does to profit, in money on the table's scale (`scale_from`: the row's numbers)."""
    d, lo, hi = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    if not is_clear(row):
        return uncalled(row, label, lambda v: money_words([v], currency, True, scale_from)[0],
                        verb="makes no clear difference to"), 0
    verb = "raises" if d > 0 else "lowers"
    a, b = sorted((abs(lo), abs(hi)))
    amount = money_words([abs(d)], currency, scale_from=scale_from)[0]
    low, high = money_words([a, b], currency, scale_from=scale_from, bare=True)
    return f"{verb} {label} by {amount} (95% CI {low} to {high}{held(row)})", int(np.sign(d))


def _retention_clause(row: pd.Series, horizon: str) -> tuple[str, int]:
    d, lo, hi = 100 * row["diff"], 100 * row["diff_ci_low"], 100 * row["diff_ci_high"]
    if not is_clear(row):
        return uncalled(row, f"retention at {horizon}", lambda v: f"{100 * v:+.1f}", "points",
                        verb="makes no clear difference to"), 0
    a, b = sorted((abs(lo), abs(hi)))
    if d < 0:
        return (f"loses {abs(d):.1f} more points of its first customers by {horizon} (CI {a:.1f} to {b:.1f}"
                f"{held(row)})", -1)
    return f"keeps {d:.1f} more points of its first customers at {horizon} (CI {a:.1f} to {b:.1f}{held(row)})", 1


def _cause_clause(run_view: RunData, scenario: str, trust: pd.Series | None = None) -> str:
    """Which cause carries the largest share of the change in trust evidence (gained and lost per customer-day).
    A direction ('trust rises') only where the end-of-run trust difference `trust` (a summary row) is clear."""
    gap = trust_gap(run_view, scenario, BASELINE)
    if not len(gap) or gap.sum() == 0:
        return ""
    if trust is not None and not is_clear(trust):
        d, lo, hi, n = trust["diff"], trust["diff_ci_low"], trust["diff_ci_high"], int(trust["n_seeds"])
        said = {"few": f"trust at the end is {d:+.3f} against the baseline, but {n} seeds are too few to call it "
                       f"(95% CI {lo:+.3f} to {hi:+.3f})",
                "unclear": f"trust at the end shows no clear change (95% CI {lo:+.3f} to {hi:+.3f})",
                "single": f"trust at the end differs by {d:+.3f} on the one seed (no interval)",
                "none": "trust at the end is the same on every seed",
                "unsettled": f"trust at the end is {d:+.3f} against the baseline, but that sign holds in only "
                             f"{int(trust['n_agree'])} of {n} posterior draws"}[call(trust)]
        return f"{said}; of the change in trust evidence, {gap_cause(gap)}"
    if trust is not None and np.sign(trust["diff"]) != np.sign(gap.sum()):  # the flow and the end disagree
        return f"trust ends {'higher' if trust['diff'] > 0 else 'lower'}; of the change in trust evidence, {gap_cause(gap)}"
    return f"trust {'rises' if gap.sum() > 0 else 'falls'}: {gap_cause(gap)}"


def _timing_clause(run: RunData, arm: str, scenario: str, currency: str, scale_from: list[float] | None = None) -> str:
    """When the scenario's cumulative profit effect turns: a peak that reverses or fades by the end, else
    the day on which the scenario overtakes the baseline (or falls behind it) for good ('' if neither). A peak,
    and a reversal, are claimed only where the effect's 95% band on that day excludes 0 over enough seeds."""
    effect = effect_over_time(run, arm, scenario, "profit", cumulative=True)
    mean = effect["mean"].to_numpy(dtype=float)
    if not len(mean) or not np.isfinite(mean).any():
        return ""
    n = int(run.runs.loc[run.runs["arm"] == arm, "seed"].nunique())
    k = int(np.nanargmax(np.abs(mean)))
    peak, end, last = mean[k], mean[-1], int(effect["day"].iloc[-1])
    day = int(round(float(effect["day"].iloc[k]), -1))
    at_peak = clear(effect["low"].iloc[k], effect["high"].iloc[k], n)
    at_end = clear(effect["low"].iloc[-1], effect["high"].iloc[-1], n)
    if at_peak and k < len(mean) - 1 and peak != 0 and (np.sign(end) != np.sign(peak) or abs(end) < abs(peak) / 2):
        shown_peak, shown_end = money_words([peak, end], currency, signed=True, scale_from=scale_from or [peak, end])
        if not at_end:
            turn = f"fades to {shown_end} by day {last:,} (its 95% band then includes 0)"
        else:
            turn = f"{'reverses' if np.sign(end) != np.sign(peak) else 'shrinks'} to {shown_end} by day {last:,}"
        return f"its cumulative profit effect peaks at {shown_peak} around day {day:,} and {turn}"
    if not at_end:
        return ""
    return crossover_clause(profit_gap(run.runs[run.runs["arm"] == arm], scenario, BASELINE, by="scenario"),
                            scenario, BASELINE, n=n)


def _sentence(text: str) -> str:
    """A sentence: capital first letter, one full stop."""
    text = " ".join(text.split()).rstrip(".")
    return text[:1].upper() + text[1:] + "." if text else ""


def _main_sentences(run: RunData, table: pd.DataFrame, rows: pd.DataFrame, arm: str, main: str,
                    horizon_metric: str | None, horizon: str, profit_label: str, currency: str) -> list[str]:
    """What the scenario does under `arm`: profit and retention, why trust moves, when the profit effect turns."""
    profit_rows = table[(table["arm"] == arm) & (table["metric"] == "profit")]
    scale_from = list(profit_rows[["mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"]].to_numpy()
                      .ravel())
    profit, p_sign = _profit_clause(rows.loc[(main, "profit")], profit_label, currency, scale_from)
    text = f"under {arm}, {main} {profit}"
    if horizon_metric:
        retention, r_sign = _retention_clause(rows.loc[(main, horizon_metric)], horizon)
        text += (", but " if p_sign * r_sign < 0 else " and ") + retention
    trust = rows.loc[(main, "trust")] if (main, "trust") in rows.index else None
    return [_sentence(text), _sentence(_cause_clause(view(run, arm), main, trust)),
            _sentence(_timing_clause(run, arm, main, currency, scale_from))]


def _contrast_sentence(table: pd.DataFrame, row: pd.Series, arm: str, contrast: str, currency: str) -> str:
    """A contrast's NPV against the baseline, in the grammar of the verdicts."""
    label = contrast.split(":", 1)[-1].replace("_", " ")
    npv_rows = table[(table["arm"] == arm) & (table["metric"] == "npv")]
    scale_from = list(npv_rows[["mean", "diff"]].to_numpy().ravel())
    d = money_words([row["diff"]], currency, signed=True, scale_from=scale_from)[0]
    lo, hi = money_words([row["diff_ci_low"], row["diff_ci_high"]], currency, True, scale_from, bare=True)
    reading = {"clear": "", "few": f"; {int(row['n_seeds'])} seeds are too few to call it",
               "unclear": "; no clear difference", "none": "; the same on every seed", "single": "",
               "unsettled": f"; the posterior does not settle it (that sign in {int(row.get('n_agree', 0))} of "
                            f"{int(row['n_seeds'])} draws)"}[call(row)]
    interval = f"95% CI {lo} to {hi}" if int(row["n_seeds"]) > 1 else "one seed: no interval"
    return _sentence(f"{label}: NPV {d} against the baseline ({interval}{reading})")


def scenario_line(run: RunData) -> str:
    """What differs: the strategies' levers (when there are several) and what each scenario changes."""
    described = run.manifest.get("scenario_descriptions") or {}
    changes = "; ".join(f"{name}: {what}" for name, what in described.items() if name != BASELINE and what)
    arms = levers_line(run)
    return " ".join(p for p in (arms if len(run.arms) > 1 else "", f"Scenarios: {changes}." if changes else "") if p)


def whatif_verdict(run: RunData, table: pd.DataFrame | None = None) -> str:
    """Per strategy, short sentences: what the scenario does to profit and retention (with 95% CIs), why
    trust moves (the cause with the largest share), and when the profit effect turns."""
    table = effects(run) if table is None else table
    scenarios = scenarios_of(run)
    if len(scenarios) < 2:
        return "No scenario to compare with the baseline."
    main, contrasts = scenarios[1], scenarios[2:]
    horizon_metric = next((m for m in reversed(RETENTION_HORIZONS) if m in set(table["metric"])), None)
    years = RETENTION_HORIZONS[horizon_metric] // 365 if horizon_metric else 0
    horizon = f"{years} year{'s' if years != 1 else ''}" if horizon_metric else ""
    days = int(run.runs["day"].max())
    profit_label = f"{days // 365}-year profit" if days % 365 == 0 else f"{days}-day profit"
    currency = currency_of(run)
    inert = {(c["arm"], c["scenario"]): c["reason"] for c in run.manifest.get("cannot_show") or []}
    sentences = []
    for arm in run.arms:
        rows = table[(table["arm"] == arm)].set_index(["scenario", "metric"])
        if (arm, main) in inert:  # found before the runs: say why, never "no clear difference"
            sentences.append(_sentence(inert[arm, main]))
        else:
            sentences += _main_sentences(run, table, rows, arm, main, horizon_metric, horizon, profit_label, currency)
        for c in contrasts:
            if (arm, c) in inert:
                sentences.append(_sentence(inert[arm, c]))
            elif math.isfinite(rows.loc[(c, "npv"), "diff"]):
                sentences.append(_contrast_sentence(table, rows.loc[(c, "npv")], arm, c, currency))
    return " ".join(s for s in sentences if s)


# --------------------------------------------------------------------------- effect over time

@dataclasses.dataclass(frozen=True)
class _Series:
    column: str
    label: str
    cumulative: bool = False


EFFECT_SERIES = (_Series("customers", "customers"), _Series("mean_trust", "mean trust"),
                 _Series("profit", "cumulative profit", cumulative=True))


def effect_over_time(run: RunData, arm: str, scenario: str, column: str, cumulative: bool = False) -> pd.DataFrame:
    """Paired daily difference scenario - baseline of firm 0's `column` for one strategy.

    Columns: day, mean, low, high (95% t-interval over seeds).
    """
    from scipy import stats

    focal = run.runs[(run.runs["firm"] == 0) & (run.runs["arm"] == arm)]
    wide = focal.pivot_table(index=["seed", "day"], columns="scenario", values=column)
    if cumulative:
        wide = wide.groupby(level="seed").cumsum()
    diff = (wide[scenario] - wide[BASELINE]).rename("diff").reset_index()
    g = diff.groupby("day")["diff"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(), "n": g.count()})
    half = stats.t.ppf(0.975, (out["n"] - 1).where(out["n"] > 1)) * out["sd"] / np.sqrt(out["n"])
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out.reset_index()[["day", "mean", "low", "high"]]


def metric_label(metric: str) -> str:
    """A metric's display label."""
    return METRICS[metric].label if metric in METRICS else metric


# --------------------------------------------------------------------------- report

def _effect_figure(run: RunData, arm: str, colors: dict[str, str]):
    """Paired effect of each scenario variant on customers, trust and cumulative profit over time."""
    from plotly.subplots import make_subplots

    from .figures import COLORS, add_line, style, weekly

    fig = make_subplots(rows=1, cols=len(EFFECT_SERIES), subplot_titles=[s.label for s in EFFECT_SERIES],
                        horizontal_spacing=0.07)
    for variant in scenarios_of(run)[1:]:
        for j, series in enumerate(EFFECT_SERIES, start=1):
            effect = effect_over_time(run, arm, variant, series.column, series.cumulative)
            effect = weekly(effect.assign(_k=0), ["_k"], ["mean", "low", "high"]).drop(columns="_k")
            add_line(fig, effect, "day", name=variant, color=colors[variant], group=variant, showlegend=j == 1,
                     row=1, col=j, hover="%{y:,.3f}")
    for j in range(1, len(EFFECT_SERIES) + 1):
        fig.add_hline(y=0, line={"color": COLORS["rule"], "width": 1}, row=1, col=j)
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text="scenario − baseline", row=1, col=1)
    return style(fig, f"{arm}: effect over time (scenario − baseline, paired by seed)")


def _spread_figure(run: RunData, arm: str, colors: dict[str, str]):
    """Weekly negative public posts about firm 0, per scenario variant (how complaints spread)."""
    import plotly.graph_objects as go

    from .figures import add_line, mean_band, style

    fig = go.Figure()
    focal = run.runs[(run.runs["firm"] == 0) & (run.runs["arm"] == arm)]
    weekly = (focal.assign(week=(focal["day"] - 1) // 7 + 1)
              .groupby(["scenario", "seed", "week"])["complaints_public"].sum().reset_index())
    for variant in scenarios_of(run):
        part = weekly[weekly["scenario"] == variant]
        add_line(fig, mean_band(part, "week", "complaints_public"), "week", name=variant, color=colors[variant],
                 group=variant, showlegend=True, hover="%{y:,.1f}")
    fig.update_xaxes(title_text="week")
    fig.update_yaxes(title_text="public complaints per week (posts)", rangemode="tozero")
    return style(fig, f"{arm}: public complaints per week")


def write_whatif_report(out_dir, run: RunData | None = None, title: str | None = None):
    """Write report.html for a what-if run: verdict, per-strategy effect tables and charts."""
    from pathlib import Path

    from .io import write_text_atomic
    from .load import load_run
    from .figures import arm_colors
    from .page import Section, page
    from .report import BAND_NOTE, SECTIONS, TABLE_CAPTION, figures, meta_line, summary_html

    out = Path(out_dir)
    run = run if run is not None else load_run(out)
    variants = scenarios_of(run)
    title = title or f"relsim what-if: {' / '.join(variants[1:])} vs baseline"
    colors = arm_colors(variants)
    table = effects(run)
    sections = []
    for arm in run.arms:
        v = view(run, arm)
        sections.append(Section(f"Strategy {arm}: effects of the scenario", TABLE_CAPTION + " The reference is "
                                "the baseline: the same strategy without the scenario, on the same seeds.",
                                [summary_html(summarise(v), currency_of(run))]))
        sections.append(Section("", "Paired differences scenario − baseline by day; lines are means over seeds, "
                                "bands 95% t-intervals. Where a line leaves zero is when the scenario starts to hurt "
                                "or help.", [_effect_figure(run, arm, colors)]))
        for key, fig in figures(v).items():
            heading, caption = SECTIONS[key]
            fig.update_layout(title={"text": f"{arm}: {heading}"})
            caption = caption.replace("by arm", "by scenario").replace("each arm minus the first",
                                                                       "each scenario minus the baseline")
            sections.append(Section("", caption, [fig]))
        sections.append(Section("", "Negative public posts about the focal firm per week, by scenario: how "
                                "complaints spread through discussion groups. " + BAND_NOTE,
                                [_spread_figure(run, arm, colors)]))
    half = table[(table["metric"] == "npv") & (table["reference"] != "")]
    note = "; ".join(f"{r.arm} {r.scenario}: ±{r.diff_half_width:,.0f}" for r in half.itertuples())
    sections.append(Section("Precision", "Half-width of the 95% CI of the NPV effect (more seeds narrow it): "
                            + note))
    path = out / "report.html"
    write_text_atomic(path, page(title, *sections, meta=meta_line(run), context=scenario_line(run),
                                 verdict=whatif_verdict(run, table)))
    return path


# --------------------------------------------------------------------------- overview (every scenario)

OVERVIEW_METRICS = ("retention_3y", "trust", "npv", "customer_equity")


def overview(table: pd.DataFrame, metrics: tuple[str, ...] = OVERVIEW_METRICS) -> pd.DataFrame:
    """One row per strategy x scenario (baseline excluded): each metric's paired effect with its CI."""
    available = [m for m in metrics if m in set(table["metric"])]
    if "retention_3y" not in available:  # shorter runs: the longest retention horizon there is
        longest = next((m for m in reversed(RETENTION_HORIZONS) if m in set(table["metric"])), None)
        available = [m for m in [longest, *available] if m]
    rows = table[(table["reference"] != "") & table["metric"].isin(available)]
    wide = rows.pivot_table(index=["arm", "scenario"], columns="metric",
                            values=["diff", "diff_ci_low", "diff_ci_high", "p_wilcoxon"], sort=False)
    wide.columns = [f"{metric}_{stat}".replace("_diff_ci_", "_ci_").replace("_diff", "_effect")
                    for stat, metric in wide.columns]
    order = [f"{m}_{s}" for m in available for s in ("effect", "ci_low", "ci_high", "p_wilcoxon")]
    return wide.reindex(columns=order).reset_index()  # a statistic no seed count allows (one seed: p) stays empty


def _fmt_effect(metric: str, d: float, lo: float, hi: float, n: int) -> str:
    scale, unit, fmt = (100, " pp", ".1f") if metric.startswith("retention") else \
        (1, "", ".3f") if metric in ("trust", "intimacy", "stress") else (1, "", ",.0f")
    mark = "*" if clear(lo, hi, n) else " "  # clear: the CI excludes 0 over enough seeds (stats.clear)
    return f"{d * scale:+{fmt}}{unit} [{lo * scale:+{fmt}}, {hi * scale:+{fmt}}]{mark}"


def format_overview(frame: pd.DataFrame, width: int = TERMINAL_WIDTH, n_seeds: int = 0) -> str:
    """The overview as a terminal table: effects of each scenario vs baseline, per strategy; wider than `width`
    columns, it is split into blocks of metrics, each repeating the strategy and scenario."""
    metrics = [c[: -len("_effect")] for c in frame.columns if c.endswith("_effect")]
    header = ["strategy", "scenario", *(f"{metric_label(m)} effect [95% CI]" for m in metrics)]
    rows = [[r["arm"], r["scenario"], *(_fmt_effect(m, r[f"{m}_effect"], r[f"{m}_ci_low"], r[f"{m}_ci_high"],
                                                    n_seeds)
                                        for m in metrics)] for _, r in frame.iterrows()]
    widths = [max(len(str(x[i])) for x in [header, *rows]) for i in range(len(header))]
    blocks, current = [], []
    for i in range(2, len(header)):
        if current and widths[0] + widths[1] + sum(widths[j] + 2 for j in [*current, i]) + 2 > width:
            blocks.append(current)
            current = []
        current.append(i)
    blocks.append(current)

    def line(cols, block):
        shown = [str(cols[0]).ljust(widths[0]), str(cols[1]).ljust(widths[1]),
                 *(str(cols[i]).rjust(widths[i]) for i in block)]
        return "  ".join(shown).rstrip()

    parts = []
    for block in blocks:
        rule = "-" * len(line(header, block))
        parts += [line(header, block), rule, *(line(r, block) for r in rows), rule]
    note = (f"paired effects scenario − baseline on the same seeds ({n_seeds}); * clear: the 95% bootstrap CI excludes 0 "
            f"over at least {MIN_CLEAR_PAIRS} seeds")
    return "\n".join([*parts, *textwrap.wrap(note, width)])


def overview_figure(frame: pd.DataFrame):
    """A forest plot: one row per scenario, a panel per metric, a marker per strategy with its CI."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .figures import COLORS, arm_colors, style

    metrics = [c[: -len("_effect")] for c in frame.columns if c.endswith("_effect")]
    arms = list(dict.fromkeys(frame["arm"]))
    colors = arm_colors(arms)
    fig = make_subplots(rows=1, cols=len(metrics), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[f"{metric_label(m)}" + (" (points)" if m.startswith("retention") else "")
                                        for m in metrics])
    for k, arm in enumerate(arms):
        part = frame[frame["arm"] == arm]
        for j, m in enumerate(metrics, start=1):
            scale = 100 if m.startswith("retention") else 1
            eff = part[f"{m}_effect"] * scale
            fig.add_trace(go.Scatter(
                x=eff, y=part["scenario"], mode="markers", name=arm, legendgroup=arm, showlegend=j == 1,
                marker={"color": colors[arm], "size": 9, "symbol": ("circle", "diamond", "square")[k % 3]},
                error_x={"type": "data", "symmetric": False, "array": part[f"{m}_ci_high"] * scale - eff,
                         "arrayminus": eff - part[f"{m}_ci_low"] * scale, "color": colors[arm]},
                hovertemplate=f"{arm} · %{{y}}<br>effect %{{x:,.3f}}<extra></extra>"), row=1, col=j)
            fig.add_vline(x=0, line={"color": COLORS["rule"], "width": 1}, row=1, col=j)
    fig.update_yaxes(autorange="reversed")
    return style(fig, "Effect of each scenario against the baseline, by strategy",
                  height=160 + 34 * frame["scenario"].nunique())


def write_overview(out_dir, run: RunData, table: pd.DataFrame | None = None):
    """Write overview.csv and overview.html: every scenario's effects vs baseline, per strategy."""
    from pathlib import Path

    from .io import write_text_atomic
    from .page import Html, Section, page
    from .report import meta_line

    out = Path(out_dir)
    table = effects(run) if table is None else table
    frame = overview(table)
    write_text_atomic(out / "overview.csv", frame.to_csv(index=False))
    descriptions = run.manifest.get("scenario_descriptions") or {}
    rows = "".join(f"<tr><th>{html.escape(s)}</th><td style='text-align:left'>"
                   f"{html.escape(str(descriptions.get(s, '')))}</td></tr>" for s in scenarios_of(run)[1:])
    sections = [Section("Effects", "Paired differences scenario − baseline on the same seeds, 95% bootstrap CIs; "
                        "3-year retention in percentage points, trust on [0, 1], NPV and customer equity in "
                        f"{currency_of(run)}.",
                        [overview_figure(frame)]),
                Section("Table", "", [Html("<pre>" + html.escape(format_overview(frame, n_seeds=int(table["n_seeds"].min())))
                                           + "</pre>")]),
                Section("Scenarios", "", [Html(f"<table class='summary'>{rows}</table>")])]
    inert = [c["reason"] for c in run.manifest.get("cannot_show") or []]
    if inert:  # found before the runs: their rows are 0 by construction, not a finding
        sections.insert(0, Section("Cells that cannot show an effect", "", [_sentence(r) for r in inert]))
    headline = (f"{len(scenarios_of(run)) - 1} scenarios against the baseline for "
                f"{', '.join(run.arms)}, {run.runs['seed'].nunique()} seeds each.")
    write_text_atomic(out / "overview.html", page("relsim what-if library overview", *sections,
                                                  meta=meta_line(run), context=levers_line(run) if len(run.arms) > 1
                                                  else "", verdict=headline))
    return out / "overview.html"
