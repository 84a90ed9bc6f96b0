"""Plotly figures of a run and the self-contained HTML report (report.html)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import CAUSE_PALETTE, COLORS, WEEKLY_ABOVE_DAYS, add_line, arm_colors, empty, mean_band, style, weekly
from .io import write_text_atomic
from .page import Html, Section, page
from .load import RunData, load_run
from .summary import FOCAL_FIRM, crossover, evidence_rates, profit_gap, summarise
from .wording import CAUSE_LABELS, currency_of, display_frame, verdict

__all__ = ["SECTIONS", "BAND_NOTE", "TABLE_CAPTION", "figures", "meta_line", "summary_html", "write_report"]

MONTH_DAYS = 30
FIRM_DASH = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
BAND_NOTE = ("Lines are means over seeds; shaded bands are 95% confidence intervals of "
             "that mean (t-interval over seeds).")

SECTIONS: dict[str, tuple[str, str]] = {
    "trust": ("Trust, intimacy and stress of the focal firm's customers",
              "Means over the focal firm's current customers, by arm. " + BAND_NOTE),
    "customers": ("Customers over time",
                  "Customers at the end of each day, per arm: the focal firm (solid) and its rivals (dashed), "
                  "named by their strategy. " + BAND_NOTE),
    "retention": ("Retention of the focal firm's day-0 customers",
                  "Share of the focal firm's day-0 customers still there without a break, by tenure. "
                  + BAND_NOTE),
    "evidence": ("Why trust moves: evidence by cause",
                 "Trust evidence the focal firm's customers received from each cause, per 1,000 "
                 "customer-days over the run and all seeds (before the negativity weight); left: "
                 "negative evidence (lost trust), right: positive evidence (gained trust), each with its "
                 "legend below it. The difference between the bars is why the arms' trust differs."),
    "complaints": ("Complaints: private vs public",
                   "Firm 0's complaints per 30-day month: private complaints to the firm "
                   "(solid) and negative public posts (dotted). " + BAND_NOTE),
    "gap": ("Profit gap over time",
            "Cumulative profit (NPV to date, discounted to day 0) of the focal firm, each arm minus the first, "
            "paired by seed (common random numbers): above 0 the arm leads. The line is the mean paired gap, the "
            "band its 95% t-interval over seeds; the dotted vertical line marks the crossover day, the first day "
            "after which the sign of the mean gap stays fixed (none if it never changes sign). Drawn with two or "
            "more arms."),
}
"""Figure key -> (section title, caption) in page order."""

# --------------------------------------------------------------------------- figures

def _cause_colors(causes: Sequence[str]) -> dict[str, str]:
    """A fixed colour per evidence cause (schema order first, then any others)."""
    ordered = list(CAUSE_LABELS) + [c for c in causes if c not in CAUSE_LABELS]
    return {c: CAUSE_PALETTE[i % len(CAUSE_PALETTE)] for i, c in enumerate(ordered)}


def _trust_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(a) Trust, intimacy and stress over time of firm 0's customers, by arm."""
    cols = [("mean_trust", "Trust"), ("mean_intimacy", "Intimacy"), ("mean_stress", "Stress")]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[t for _, t in cols], horizontal_spacing=0.05,
                        shared_yaxes=True)
    focal = run.runs[run.runs["firm"] == FOCAL_FIRM]
    focal = weekly(focal, ["arm", "seed"], [c for c, _ in cols])
    for arm in run.arms:
        part = focal[focal["arm"] == arm]
        for j, (col, label) in enumerate(cols, start=1):
            add_line(fig, mean_band(part, "day", col), "day", name=arm, color=colors[arm],
                     group=arm, showlegend=j == 1, row=1, col=j, floor=0)
    fig.update_xaxes(title_text="day")
    # one scale for the three: all are on [0, 1], so a gap of 0.0005 in stress looks as small as it is
    fig.update_yaxes(range=[0, 1])
    fig.update_yaxes(title_text="mean over customers [0, 1]", row=1, col=1)
    return style(fig, SECTIONS["trust"][0])


def _customers_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(b) Customers over time per arm and firm."""
    fig = go.Figure()
    runs = weekly(run.runs, ["arm", "seed", "firm", "strategy"], ["customers"])
    for arm in run.arms:
        part = runs[runs["arm"] == arm]
        for firm, firm_part in part.groupby("firm", sort=True):
            strategy = str(firm_part["strategy"].iloc[0])
            name = f"{arm} · " + ("the focal firm" if firm == FOCAL_FIRM else f"rival {strategy}")
            add_line(fig, mean_band(firm_part, "day", "customers"), "day", name=name,
                     color=colors[arm], group=f"{arm}-{firm}", showlegend=True,
                     dash=FIRM_DASH[int(firm) % len(FIRM_DASH)], hover="%{y:,.0f}", floor=0)
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text="customers (consumers)")
    return style(fig, SECTIONS["customers"][0])


def _retention_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(c) Retention curves of firm 0's day-0 customers by arm."""
    fig = go.Figure()
    ret = run.retention[run.retention["firm"] == FOCAL_FIRM]
    if ret.empty:
        return style(empty(fig, "no retention data"), SECTIONS["retention"][0])
    last = ret["tenure_days"].max()
    if last > WEEKLY_ABOVE_DAYS:
        ret = ret[(ret["tenure_days"] % 7 == 0) | (ret["tenure_days"] == last)]
    ret = ret.assign(surviving_pct=ret["surviving"] * 100)
    for arm in run.arms:
        curve = mean_band(ret[ret["arm"] == arm], "tenure_days", "surviving_pct")
        add_line(fig, curve, "tenure_days", name=arm, color=colors[arm], group=arm,
                 showlegend=True, hover="%{y:.1f}%", floor=0)
    fig.update_xaxes(title_text="tenure (days since day 0)")
    fig.update_yaxes(title_text="day-0 customers still there (%)", rangemode="tozero")
    return style(fig, SECTIONS["retention"][0])


def _evidence_figure(run: RunData) -> go.Figure:
    """(d) Negative and positive trust evidence by cause per arm, per 1,000 customer-days (stacked)."""
    signs = [("negative", "Negative evidence (lost trust)"),
             ("positive", "Positive evidence (gained trust)")]
    fig = make_subplots(rows=1, cols=2, subplot_titles=[t for _, t in signs],
                        horizontal_spacing=0.08)
    rates = {sign: evidence_rates(run, sign).reindex(run.arms) * 1000 for sign, _ in signs}
    causes = [c for c in CAUSE_LABELS if any(c in r.columns for r in rates.values())]
    colors = _cause_colors(causes)
    shown: set[str] = set()
    for j, (sign, _) in enumerate(signs, start=1):
        table = rates[sign]
        for cause in causes:
            if cause not in table.columns or not table[cause].fillna(0).sum() > 0:
                continue
            label = CAUSE_LABELS.get(cause, cause)
            share = table[cause] / table.sum(axis=1)
            fig.add_trace(go.Bar(  # each panel its own legend, listing only its causes
                x=run.arms, y=table[cause].fillna(0), name=label, legendgroup=f"{sign}-{cause}",
                legend="legend" if j == 1 else "legend2", marker_color=colors[cause], customdata=share.fillna(0) * 100,
                hovertemplate=(f"{label}<br>%{{x}}: %{{y:,.1f}} per 1,000 customer-days "
                               "(%{customdata:.0f}% of this sign)<extra></extra>"),
            ), row=1, col=j)
            shown.add(cause)
    if not shown:
        empty(fig, "no evidence recorded")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="arm")
    fig.update_yaxes(title_text="evidence per 1,000 customer-days", row=1, col=1)
    legend = {"orientation": "v", "yanchor": "top", "y": -0.12, "font": {"size": 11}}
    return style(fig, SECTIONS["evidence"][0], height=640, margin={"l": 60, "r": 20, "t": 70, "b": 230},
                 legend={**legend, "x": 0}, legend2={**legend, "x": 0.54})


def _complaints_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(e) Private vs public complaints per 30-day month, firm 0, by arm."""
    fig = go.Figure()
    focal = run.runs[run.runs["firm"] == FOCAL_FIRM]
    if focal["day"].max() >= MONTH_DAYS:  # complete months only
        focal = focal[focal["day"] <= focal["day"].max() // MONTH_DAYS * MONTH_DAYS]
    month = (focal["day"] - 1) // MONTH_DAYS + 1
    monthly = (focal.assign(month=month)
               .groupby(["arm", "seed", "month"], sort=False)[
                   ["complaints_private", "complaints_public"]].sum().reset_index())
    kinds = [("complaints_private", "private", "solid"), ("complaints_public", "public", "dot")]
    for arm in run.arms:
        part = monthly[monthly["arm"] == arm]
        for col, kind, dash in kinds:
            add_line(fig, mean_band(part, "month", col), "month", name=f"{arm} · {kind}",
                     color=colors[arm], group=f"{arm}-{kind}", showlegend=True, dash=dash,
                     hover="%{y:,.1f}", floor=0)
    fig.update_xaxes(title_text=f"month ({MONTH_DAYS}-day blocks)")
    fig.update_yaxes(title_text="complaints per month (complaints / posts)",
                     rangemode="tozero")
    return style(fig, SECTIONS["complaints"][0])


def _gap_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(f) The paired gap in NPV to date, each arm minus the first, with its band and crossover day."""
    fig = go.Figure()
    base = run.arms[0]
    for arm in run.arms[1:]:
        gap = profit_gap(run.runs, arm, base)
        if gap.empty:
            continue
        cross = crossover(gap)
        drawn = weekly(gap.assign(_k=0), ["_k"], ["mean", "low", "high"]).drop(columns="_k")
        add_line(fig, drawn, "day", name=f"{arm} − {base}", color=colors[arm], group=arm, showlegend=True,
                 hover="%{y:,.0f}")
        if cross.day is not None:
            fig.add_vline(x=cross.day, line={"color": colors[arm], "width": 1, "dash": "dot"},
                          annotation_text=f"crossover: day {cross.day}", annotation_position="top left")
    if not fig.data:
        empty(fig, "no common seeds to pair")
    fig.add_hline(y=0, line={"color": COLORS["rule"], "width": 1})
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text=f"NPV to date, arm − {base} ({currency_of(run)})")
    return style(fig, SECTIONS["gap"][0])


def figures(run: RunData) -> dict[str, go.Figure]:
    """All report figures keyed as in SECTIONS (the profit gap only with two or more arms), consistent arm colours."""
    colors = arm_colors(run.arms)
    out = {
        "trust": _trust_figure(run, colors),
        "customers": _customers_figure(run, colors),
        "retention": _retention_figure(run, colors),
        "evidence": _evidence_figure(run),
        "complaints": _complaints_figure(run, colors),
    }
    if len(run.arms) > 1:
        out["gap"] = _gap_figure(run, colors)
    return out


# --------------------------------------------------------------------------- page

def meta_line(run: RunData) -> str:
    """Seeds, days and provenance of the run, as one line of text."""
    m = run.manifest
    seeds = run.runs["seed"].nunique() if len(run.runs) else 0
    days = int(run.runs["day"].max()) if len(run.runs) else 0
    bits = [f"arms: {', '.join(run.arms)}", f"{seeds} seeds", f"{days} days"]
    if m.get("git_commit"):
        bits.append(f"commit {str(m['git_commit'])[:10]}")
    if m.get("created"):
        bits.append(f"created {m['created']}")
    if isinstance(m.get("wall_time_s"), (int, float)):
        bits.append(f"wall time {m['wall_time_s']:.1f} s")
    return " · ".join(bits)


TABLE_CAPTION = ("The focal firm: mean [95% bootstrap CI] over seeds; difference columns are paired "
                 "differences on the same seeds. Retention in %, its differences in percentage points; "
                 "rows that reach 10,000 in thousands.")


def summary_html(summary: pd.DataFrame, currency: str) -> Html:
    """The summary table as an HTML table (its text escaped), formatted as the terminal's."""
    return Html(display_frame(summary, currency).to_html(classes="summary", border=0, escape=True))


def _page(run: RunData, title: str, figs: dict[str, go.Figure], summary: pd.DataFrame | None = None,
          verdict_line: str | None = None) -> str:
    """The report page of a strategy comparison."""
    summary = summarise(run) if summary is None else summary
    sections = [Section("Summary", TABLE_CAPTION, [summary_html(summary, currency_of(run))])]
    sections += [Section(*SECTIONS.get(key, (key, "")), [fig]) for key, fig in figs.items()]
    return page(title, *sections, meta=meta_line(run),
                verdict=verdict(run, summary) if verdict_line is None else verdict_line)


def write_report(out_dir: str | Path, run: RunData | None = None, title: str | None = None, *,
                 summary: pd.DataFrame | None = None, verdict_line: str | None = None) -> Path:
    """Write a self-contained ``report.html`` into ``out_dir`` atomically; return its path.

    `summary` and `verdict_line` are `summarise(run)` and `verdict(run, summary)` when the caller has them
    already (the command prints both: computing them once saves half a second).
    """
    out = Path(out_dir)
    run = run if run is not None else load_run(out)
    title = title or "relsim report: " + " vs ".join(run.arms)
    path = out / "report.html"
    write_text_atomic(path, _page(run, title, figures(run), summary, verdict_line))
    return path
