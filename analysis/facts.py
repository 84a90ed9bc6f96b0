"""The stylized facts' statistics, figures and page (validation.html, validation.json).

The experiments that measure each fact are in experiments/inference/fact_checks.py; what they measure
is turned into numbers and pictures here: the logistic hazard ratios of churn contagion, the refined
peak of an inverted U, one figure per fact, and the page with one section per fact. Results are read by their
attributes (`fact`, `checks`, `data`, `summary`, `figure`, `status`), so nothing here imports the
experiments or the model.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import COLORS, style
from .io import json_safe
from .page import Html, Section, page, paragraph
from .sbg import sbg_survival

BADGES = {"pass": "pass", "fail": "fail", "expected failure": "xfail", "unexpected pass": "fail"}


# --------------------------------------------------------------------------- statistics

def logistic_hazard_ratios(events: np.ndarray, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binomial logistic regression on grouped person-days: odds ratios of exposure levels 1..E-1
    against level 0, with fixed effects for the columns (calendar periods).

    `events[e, p]` and `totals[e, p]` count churn events and person-days at exposure level e in
    period p. Returns (odds ratios, standard errors of their logs); for rare daily events the odds
    ratio is the hazard ratio. Fitted by Newton-Raphson.
    """
    n_exp, n_per = events.shape
    cells = [(e, p) for e in range(n_exp) for p in range(n_per) if totals[e, p] > 0]
    X = np.zeros((len(cells), (n_exp - 1) + n_per))
    for k, (e, p) in enumerate(cells):
        if e > 0:
            X[k, e - 1] = 1.0
        X[k, n_exp - 1 + p] = 1.0
    y = np.array([events[c] for c in cells], dtype=float)
    n = np.array([totals[c] for c in cells], dtype=float)
    beta = np.zeros(X.shape[1])
    beta[n_exp - 1:] = np.log(max(y.sum(), 0.5) / n.sum())
    info = np.eye(X.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        grad = X.T @ (y - n * p)
        info = (X * (n * p * (1 - p))[:, None]).T @ X + 1e-9 * np.eye(X.shape[1])
        step = np.linalg.solve(info, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    return np.exp(beta[: n_exp - 1]), se[: n_exp - 1]


def parabolic_peak(x: Sequence[float], y: Sequence[float]) -> float:
    """The x of the maximum of y, refined by a parabola through the best point and its neighbours."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    k = int(np.argmax(y))
    if k == 0 or k == len(x) - 1:
        return float(x[k])
    coef = np.polyfit(x[k - 1: k + 2], y[k - 1: k + 2], 2)
    if coef[0] >= 0:
        return float(x[k])
    return float(np.clip(-coef[1] / (2 * coef[0]), x[k - 1], x[k + 1]))


# --------------------------------------------------------------------------- one figure per fact

def trust_asymmetry_figure(paths: Mapping[str, tuple[np.ndarray, str]], t0: int, size: float) -> go.Figure:
    """Fact 1: mean trust after an event on day `t0`, one line per arm (name -> (path, colour key))."""
    fig = go.Figure()
    for name, (path, color) in paths.items():
        fig.add_trace(go.Scatter(x=np.arange(t0, t0 + len(path)), y=path, name=name, line=dict(color=COLORS[color])))
    fig.add_vline(x=t0, line_dash="dot", line_color=COLORS["grey"])
    return style(fig, f"Mean trust of the customers who got the event on day {t0} ({size:g} evidence unit)",
                 xaxis_title="day", yaxis_title="mean trust in the focal firm")


def retention_by_tenure_figure(curves: Mapping[str, np.ndarray], rates: Mapping[str, np.ndarray], period: int,
                               alpha: float, beta: float) -> go.Figure:
    """Fact 2: cohort survival (with its sBG fit) and yearly retention rates, heterogeneous vs constant."""
    years = len(next(iter(rates.values())))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Survival of the day-0 cohort", "Yearly retention rate"))
    t = np.arange(len(next(iter(curves.values())))) / period
    for (label, curve), color in zip(curves.items(), (COLORS["blue"], COLORS["grey"]), strict=True):
        fig.add_trace(go.Scatter(x=t, y=curve, name=f"{label} churn propensity", line=dict(color=color)), 1, 1)
        fig.add_trace(go.Scatter(x=np.arange(1, years + 1), y=rates[label], mode="lines+markers",
                                 name=f"{label}: retention rate", line=dict(color=color), showlegend=False), 1, 2)
    fig.add_trace(go.Scatter(x=np.arange(years + 1), y=sbg_survival(alpha, beta, years), mode="markers",
                             name=f"sBG fit (α={alpha:.2f}, β={beta:.2f})",
                             marker=dict(color=COLORS["orange"], symbol="x", size=9)), 1, 1)
    fig.update_xaxes(title_text="tenure (years)", row=1, col=1)
    fig.update_xaxes(title_text="year of tenure", dtick=1, row=1, col=2)
    return style(fig, "Retention rises with tenure as the churn-prone leave first")


def contact_volume_figure(rates: Sequence[float], curves: Mapping[int, np.ndarray],
                          peaks: Mapping[int, float]) -> go.Figure:
    """Fact 3: retention against contact volume per number of channels, with the refined peaks."""
    fig = go.Figure()
    for channels, color in ((1, COLORS["blue"]), (3, COLORS["orange"])):
        fig.add_trace(go.Scatter(x=rates, y=curves[channels], mode="lines+markers", name=f"{channels} channel(s)",
                                 line=dict(color=color)))
        fig.add_vline(x=peaks[channels], line_dash="dot", line_color=color)
    return style(fig, "Two-year retention against contact volume (dotted: the peaks)",
                 xaxis_title="contacts per customer per year", yaxis_title="share of day-0 customers retained")


def complaint_handling_figure(table: Mapping[str, np.ndarray], counts: Mapping[str, np.ndarray],
                              levels: Mapping[str, float]) -> go.Figure:
    """Fact 4: one-year retention by how a problem was handled, for minor and major problems."""
    labels = ["resolved quickly", "resolved", "unresolved", "did not complain"]
    fig = go.Figure()
    for label, color in (("minor", COLORS["blue"]), ("major", COLORS["red"])):
        fig.add_trace(go.Bar(x=labels, y=table[label], name=f"{label} problems (mean severity {levels[label]:g})",
                             marker_color=color,
                             text=[f"{v:.3f}<br>n={c}" for v, c in zip(table[label], counts[label], strict=True)],
                             textposition="outside"))
    lo = float(np.nanmin([table["minor"].min(), table["major"].min()]))
    return style(fig, "Share of customers still with the firm a year after a problem's onset, by its handling",
                 yaxis_title="retained one year later", yaxis_range=[max(lo - 0.08, 0), 1.0], barmode="group")


def voice_figure(fees: Sequence[float], per_problem: np.ndarray, calls_per_problem: Sequence[float],
                 closed: float) -> go.Figure:
    """Fact 5: private complaints and support calls per problem against the fee, and with no channel."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=fees, y=per_problem, mode="lines+markers", name="private complaints per problem",
                             line=dict(color=COLORS["blue"])))
    fig.add_trace(go.Scatter(x=fees, y=calls_per_problem, mode="lines+markers", name="support calls per problem",
                             line=dict(color=COLORS["orange"], dash="dot")), secondary_y=True)
    fig.add_trace(go.Scatter(x=[fees[-1] * 1.1], y=[closed], mode="markers", name="no inbound channel",
                             marker=dict(color=COLORS["red"], size=12, symbol="x")))
    fig.update_yaxes(title_text="private complaints per problem", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="support calls per problem", rangemode="tozero", showgrid=False, secondary_y=True)
    return style(fig, "Voice to the firm per dissatisfying experience, against the support fee",
                 xaxis_title="support fee per answered call (reference price 30 a month)")


def word_of_mouth_figure(deciles: pd.DataFrame) -> go.Figure:
    """Fact 6: negative and positive posts per customer-year by decile of satisfaction."""
    fig = go.Figure()
    x = deciles["satisfaction"].round(3)
    fig.add_trace(go.Bar(x=x, y=deciles["negative"], name="negative posts", marker_color=COLORS["red"]))
    fig.add_trace(go.Bar(x=x, y=deciles["positive"], name="positive posts", marker_color=COLORS["green"]))
    fig.add_trace(go.Scatter(x=x, y=deciles["total"], name="all word of mouth", mode="lines+markers",
                             line=dict(color=COLORS["black"])))
    return style(fig, "Word of mouth per customer-year by decile of satisfaction (mean trust in the provider)",
                 xaxis_title="mean trust of the decile", yaxis_title="posts per customer in year 2", barmode="stack")


def churn_contagion_figure(ratios: Mapping[str, tuple[np.ndarray, np.ndarray]], bins: Sequence[str]) -> go.Figure:
    """Fact 7: hazard ratios with 95% CIs by time since a neighbour's defection, with exit talk and placebo."""
    fig = go.Figure()
    for label, color, shift in (("exit talk", COLORS["red"], -0.1), ("placebo", COLORS["grey"], 0.1)):
        h, s = ratios[label]
        fig.add_trace(go.Scatter(x=np.arange(len(h)) + shift, y=h, mode="markers", name=label,
                                 marker=dict(color=color, size=10),
                                 error_y=dict(type="data", symmetric=False, array=h * np.exp(1.96 * s) - h,
                                              arrayminus=h - h * np.exp(-1.96 * s))))
    fig.add_hline(y=1.0, line_dash="dot", line_color=COLORS["grey"])
    fig.add_hline(y=1.8, line_dash="dash", line_color=COLORS["orange"],
                  annotation_text="Nitzan & Libai: about 1.8", annotation_position="top right")
    fig.update_xaxes(tickvals=list(range(len(bins))), ticktext=list(bins))
    return style(fig, "Hazard ratio of churning, by time since a neighbour left the same firm (95% CI)",
                 xaxis_title="time since the most recent neighbour's defection", yaxis_title="hazard ratio vs none")


def bad_news_figure(frame: pd.DataFrame, loss_direct: float, loss_wom: float, share: float) -> go.Figure:
    """Fact 8: NPV lost to a share of dissatisfied customers per seed, with and without word of mouth."""
    x = [f"seed {s}" for s in frame["seed"]] + ["mean"]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=100 * np.r_[frame["loss_no_wom"], loss_direct], name="without word of mouth",
                         marker_color=COLORS["grey"]))
    fig.add_trace(go.Bar(x=x, y=100 * np.r_[frame["loss_wom"], loss_wom], name="with word of mouth",
                         marker_color=COLORS["red"]))
    fig.add_hline(y=100 * share, line_dash="dot", line_color=COLORS["black"],
                  annotation_text="share of dissatisfied customers", annotation_position="top left")
    return style(fig, "Loss of three-year NPV from 2% dissatisfied customers, against none (same seeds)",
                 yaxis_title="% of NPV lost", barmode="group")


# --------------------------------------------------------------------------- validation.html and .json

def _badge(result) -> Html:
    return Html(f'<span class="badge {BADGES[result.status]}">{html.escape(result.status.upper())}</span>')


def _size_note(data: Mapping[str, Any]) -> str:
    bits = []
    if "consumers" in data:
        bits.append(f"{data['consumers']} consumers")
    if "seeds" in data:
        bits.append(f"seeds {', '.join(map(str, data['seeds']))}")
    elif "seed" in data:
        bits.append(f"seed {data['seed']}")
    return "Run size: " + ", ".join(bits) if bits else ""


def _fact_section(result) -> Section:
    f = result.fact
    region = " ".join(f.region) if f.region else "the defaults"
    checks = "".join(f'<li><span class="{"ok" if ok else "notok"}">{"&#10003;" if ok else "&#10007;"}</span> '
                     f"{html.escape(name)}</li>" for name, ok in result.checks.items())
    body = [paragraph(f.claim, "claim"), paragraph(f"Source: {f.source}", "source"),
            Html(f"<p>Parameter region: <code>{html.escape(region)}</code>. {html.escape(f.region_note)}</p>"),
            paragraph(f"Known gap: {f.known_gap}", "gap") if f.known_gap else "",
            Html(f'<ul class="checks">{checks}</ul>'), result.figure, paragraph(_size_note(result.data), "meta")]
    heading = Html(f"Fact {f.number}: {html.escape(f.title)} {_badge(result)}")
    return Section(heading, "", [b for b in body if isinstance(b, go.Figure) or b], anchor=f"fact-{f.number}")


def facts_page(results: Sequence, *, quick: bool, wall_time: float, commit: str | None = None,
               weights: str | None = None) -> str:
    """validation.html: an overview table, then one section per fact with its figure and sub-checks (`weights`: the
    market preset whose behavioural weights the checks ran on, if not the hand-set ones)."""
    meta = [f"created {dt.datetime.now().isoformat(timespec='seconds')}", "quick size" if quick else "test size",
            f"wall time {wall_time:.0f} s", f"the behavioural weights of market={weights}" if weights else
            "the hand-set behavioural weights"] + ([f"commit {commit[:10]}"] if commit else [])
    n_ok = sum(r.as_expected for r in results)
    rows = "".join(f'<tr><td>{r.fact.number}</td><td><a href="#fact-{r.fact.number}">{html.escape(r.fact.title)}'
                   f"</a></td><td>{_badge(r)}</td><td>{html.escape(r.summary)}</td></tr>" for r in results)
    overview = Html('<table class="summary"><tr><th>#</th><th>fact</th><th>result</th><th>what was measured</th>'
                    f"</tr>{rows}</table>")
    lead = (f"{n_ok} of {len(results)} facts behave as expected. Each check runs the model on fixed seeds and tests "
            "the shape or direction its source reports, never which strategy wins (docs/VALIDATION.md).")
    return page("relsim: stylized facts", Section("", "", [overview]), *map(_fact_section, results),
                meta=" · ".join(meta), verdict=lead)


def facts_json(results: Sequence) -> str:
    """validation.json: per fact its status, sub-checks, summary, region, known gap and the numbers."""
    return json.dumps([{"fact": r.fact.number, "key": r.fact.key, "title": r.fact.title, "status": r.status,
                        "checks": r.checks, "summary": r.summary, "region": list(r.fact.region),
                        "known_gap": r.fact.known_gap, "data": json_safe(r.data)} for r in results], indent=2) + "\n"
