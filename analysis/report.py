"""Plotly figures of a run and the self-contained HTML report (report.html)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, qualitative
from plotly.subplots import make_subplots
from scipy import stats

from .io import write_text_atomic
from .load import RunData, load_run
from .summary import CAUSE_LABELS, FOCAL_FIRM, display_frame, evidence_rates, summarise, verdict

__all__ = ["SECTIONS", "BAND_NOTE", "figures", "write_report"]

TEMPLATE = "plotly_white"
WEEKLY_ABOVE_DAYS = 400
MONTH_DAYS = 30
BAND_NOTE = ("Lines are means over seeds; shaded bands are 95% confidence intervals of "
             "that mean (t-interval over seeds).")

SECTIONS: dict[str, tuple[str, str]] = {
    "trust": ("Trust, intimacy and stress of the focal firm's customers",
              "Means over the focal firm's (firm 0) current customers, by arm. " + BAND_NOTE),
    "customers": ("Customers over time",
                  "Customers at the end of each day, per arm and firm (solid: focal firm 0; "
                  "dashed: rivals). " + BAND_NOTE),
    "retention": ("Retention of the focal firm's day-0 customers",
                  "Share of firm 0's day-0 customers still there without a break, by tenure. "
                  + BAND_NOTE),
    "evidence": ("Why trust moves: evidence by cause",
                 "Trust evidence the focal firm's customers received from each cause, per 1,000 "
                 "customer-days over the run and all seeds (before the negativity weight); left: "
                 "negative evidence (lost trust), right: positive evidence (gained trust). The "
                 "difference between the bars is why the arms' trust differs."),
    "complaints": ("Complaints: private vs public",
                   "Firm 0's complaints per 30-day month: private complaints to the firm "
                   "(solid) and negative public posts (dotted). " + BAND_NOTE),
}
"""Figure key -> (section title, caption) in page order."""

_ARM_PALETTE = qualitative.D3
_CAUSE_PALETTE = qualitative.Dark24
_FIRM_DASH = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


# --------------------------------------------------------------------------- helpers

def _arm_colors(arms: Sequence[str]) -> dict[str, str]:
    """A fixed colour per arm, the same in every figure."""
    return {arm: _ARM_PALETTE[i % len(_ARM_PALETTE)] for i, arm in enumerate(arms)}


def _cause_colors(causes: Sequence[str]) -> dict[str, str]:
    """A fixed colour per evidence cause (schema order first, then any others)."""
    ordered = list(CAUSE_LABELS) + [c for c in causes if c not in CAUSE_LABELS]
    return {c: _CAUSE_PALETTE[i % len(_CAUSE_PALETTE)] for i, c in enumerate(ordered)}


def _rgba(color: str, alpha: float) -> str:
    """A hex colour as an rgba() string with the given opacity."""
    r, g, b = hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha})"


def _weekly(df: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Weekly means of daily ``values`` when the run is longer than WEEKLY_ABOVE_DAYS."""
    if df.empty or df["day"].max() <= WEEKLY_ABOVE_DAYS:
        return df
    week = (df["day"] - 1) // 7
    out = df.assign(_week=week).groupby([*keys, "_week"], sort=False)
    agg = out[values].mean()
    agg["day"] = out["day"].max()
    return agg.reset_index().drop(columns="_week")


def _band(df: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Mean of ``y`` over seeds per ``x`` with a 95% t-interval of the mean."""
    g = df.groupby(x, sort=True)[y]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(), "n": g.count()})
    dof = (out["n"] - 1).where(out["n"] > 1)
    half = stats.t.ppf(0.975, dof) * out["sd"] / np.sqrt(out["n"])
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out.reset_index()


def _add_line(fig: go.Figure, band: pd.DataFrame, x: str, *, name: str, color: str,
              group: str, showlegend: bool, dash: str = "solid", row: int | None = None,
              col: int | None = None, hover: str = "%{y:.3f}") -> None:
    """A mean line and its shaded band (one closed polygon) on ``fig``."""
    pos = {"row": row, "col": col} if row is not None else {}
    ok = band.dropna(subset=["low", "high"])
    if len(ok):
        fig.add_trace(go.Scatter(
            x=np.concatenate([ok[x], ok[x][::-1]]),
            y=np.concatenate([ok["high"], ok["low"][::-1]]),
            fill="toself", fillcolor=_rgba(color, 0.15), line={"width": 0},
            hoverinfo="skip", showlegend=False, legendgroup=group, name=name,
        ), **pos)
    fig.add_trace(go.Scatter(
        x=band[x], y=band["mean"], mode="lines", name=name, legendgroup=group,
        showlegend=showlegend, line={"color": color, "dash": dash, "width": 2},
        hovertemplate=f"{name}<br>%{{x}}: {hover}<extra></extra>",
    ), **pos)


def _style(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    """Common layout: clean template, title, horizontal legend."""
    fig.update_layout(
        template=TEMPLATE, title={"text": title, "x": 0.01}, height=height,
        margin={"l": 60, "r": 20, "t": 70, "b": 50}, hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
    )
    return fig


def _empty(fig: go.Figure, message: str) -> go.Figure:
    """Mark a figure that has no data."""
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper",
                       x=0.5, y=0.5, font={"size": 14})
    return fig


# --------------------------------------------------------------------------- figures

def _trust_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(a) Trust, intimacy and stress over time of firm 0's customers, by arm."""
    cols = [("mean_trust", "Trust"), ("mean_intimacy", "Intimacy"), ("mean_stress", "Stress")]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[t for _, t in cols],
                        horizontal_spacing=0.07)
    focal = run.runs[run.runs["firm"] == FOCAL_FIRM]
    focal = _weekly(focal, ["arm", "seed"], [c for c, _ in cols])
    for arm in run.arms:
        part = focal[focal["arm"] == arm]
        for j, (col, label) in enumerate(cols, start=1):
            _add_line(fig, _band(part, "day", col), "day", name=arm, color=colors[arm],
                      group=arm, showlegend=j == 1, row=1, col=j)
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text="mean over customers [0, 1]", row=1, col=1)
    return _style(fig, SECTIONS["trust"][0])


def _customers_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(b) Customers over time per arm and firm."""
    fig = go.Figure()
    runs = _weekly(run.runs, ["arm", "seed", "firm", "strategy"], ["customers"])
    for arm in run.arms:
        part = runs[runs["arm"] == arm]
        for firm, firm_part in part.groupby("firm", sort=True):
            strategy = str(firm_part["strategy"].iloc[0])
            name = f"{arm} · firm {firm}" + ("" if firm == FOCAL_FIRM else f" ({strategy})")
            _add_line(fig, _band(firm_part, "day", "customers"), "day", name=name,
                      color=colors[arm], group=f"{arm}-{firm}", showlegend=True,
                      dash=_FIRM_DASH[int(firm) % len(_FIRM_DASH)], hover="%{y:,.0f}")
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text="customers (consumers)")
    return _style(fig, SECTIONS["customers"][0])


def _retention_figure(run: RunData, colors: dict[str, str]) -> go.Figure:
    """(c) Retention curves of firm 0's day-0 customers by arm."""
    fig = go.Figure()
    ret = run.retention[run.retention["firm"] == FOCAL_FIRM]
    if ret.empty:
        return _style(_empty(fig, "no retention data"), SECTIONS["retention"][0])
    last = ret["tenure_days"].max()
    if last > WEEKLY_ABOVE_DAYS:
        ret = ret[(ret["tenure_days"] % 7 == 0) | (ret["tenure_days"] == last)]
    ret = ret.assign(surviving_pct=ret["surviving"] * 100)
    for arm in run.arms:
        band = _band(ret[ret["arm"] == arm], "tenure_days", "surviving_pct")
        _add_line(fig, band, "tenure_days", name=arm, color=colors[arm], group=arm,
                  showlegend=True, hover="%{y:.1f}%")
    fig.update_xaxes(title_text="tenure (days since day 0)")
    fig.update_yaxes(title_text="day-0 customers still there (%)", rangemode="tozero")
    return _style(fig, SECTIONS["retention"][0])


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
            fig.add_trace(go.Bar(
                x=run.arms, y=table[cause].fillna(0), name=label, legendgroup=cause,
                showlegend=cause not in shown, marker_color=colors[cause], customdata=share.fillna(0) * 100,
                hovertemplate=(f"{label}<br>%{{x}}: %{{y:,.1f}} per 1,000 customer-days "
                               "(%{customdata:.0f}% of this sign)<extra></extra>"),
            ), row=1, col=j)
            shown.add(cause)
    if not shown:
        _empty(fig, "no evidence recorded")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="arm")
    fig.update_yaxes(title_text="evidence per 1,000 customer-days", row=1, col=1)
    return _style(fig, SECTIONS["evidence"][0], height=480)


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
            _add_line(fig, _band(part, "month", col), "month", name=f"{arm} · {kind}",
                      color=colors[arm], group=f"{arm}-{kind}", showlegend=True, dash=dash,
                      hover="%{y:,.1f}")
    fig.update_xaxes(title_text=f"month ({MONTH_DAYS}-day blocks)")
    fig.update_yaxes(title_text="complaints per month (complaints / posts)",
                     rangemode="tozero")
    return _style(fig, SECTIONS["complaints"][0])


def figures(run: RunData) -> dict[str, go.Figure]:
    """All report figures keyed as in SECTIONS, with consistent arm colours."""
    colors = _arm_colors(run.arms)
    return {
        "trust": _trust_figure(run, colors),
        "customers": _customers_figure(run, colors),
        "retention": _retention_figure(run, colors),
        "evidence": _evidence_figure(run),
        "complaints": _complaints_figure(run, colors),
    }


# --------------------------------------------------------------------------- page

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2.2rem}
.meta{color:#666;font-size:.85rem} .caption{color:#555;font-size:.9rem;margin:.2rem 0 .6rem}
.verdict{font-size:1.1rem;background:#f4f7fb;border-left:4px solid #1f77b4;
padding:.8rem 1rem;margin:1rem 0}
table.summary{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
table.summary th,table.summary td{padding:.3rem .7rem;border-bottom:1px solid #e3e3e3;
text-align:right;white-space:nowrap}
table.summary th:first-child,table.summary tbody th{text-align:left}
"""


def _meta_line(run: RunData) -> str:
    """Seeds, days and provenance of the run, as escaped text."""
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
    return html.escape(" · ".join(bits))


def _document(title: str, meta: str, verdict_text: str, blocks: Sequence[tuple[str, str, object]]) -> str:
    """A whole HTML page: title, meta line, verdict, then (heading, caption, table html or figure) blocks.

    plotly.js is embedded once, with the first figure.
    """
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>", f'<p class="meta">{meta}</p>',
        f'<p class="verdict">{html.escape(verdict_text)}</p>',
    ]
    config = {"displaylogo": False, "responsive": True}
    embedded = False
    for heading, caption, content in blocks:
        if heading:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
        if caption:
            parts.append(f'<p class="caption">{html.escape(caption)}</p>')
        if isinstance(content, go.Figure):
            parts.append(content.to_html(full_html=False, include_plotlyjs=not embedded, config=config))
            embedded = True
        else:
            parts.append(str(content))
    parts.append("</body></html>")
    return "\n".join(parts)


TABLE_CAPTION = ("Focal firm (firm 0): mean [95% bootstrap CI] over seeds; difference columns are paired "
                 "differences on the same seeds. Retention in %, its differences in percentage points; "
                 "money in the market's currency.")


def summary_html(summary: pd.DataFrame) -> str:
    """The summary table as an HTML table."""
    return display_frame(summary).to_html(classes="summary", border=0, escape=True)


def _page(run: RunData, title: str, figs: dict[str, go.Figure]) -> str:
    """The report page of a strategy comparison."""
    summary = summarise(run)
    blocks = [("Summary", TABLE_CAPTION, summary_html(summary))]
    blocks += [(*SECTIONS.get(key, (key, "")), fig) for key, fig in figs.items()]
    return _document(title, _meta_line(run), verdict(run, summary), blocks)


def write_report(out_dir: str | Path, run: RunData | None = None,
                 title: str | None = None) -> Path:
    """Write a self-contained ``report.html`` into ``out_dir`` atomically; return its path."""
    out = Path(out_dir)
    run = run if run is not None else load_run(out)
    title = title or "relsim report: " + " vs ".join(run.arms)
    path = out / "report.html"
    write_text_atomic(path, _page(run, title, figures(run)))
    return path
