"""The report of a best-response study (relsim-optimize): history, importances, best levers, Pareto front.

Figures are drawn from the study's finished trials (trials.csv) with the shared figure kit; the levers'
importances are Optuna's PED-ANOVA (Watanabe et al. 2023: how much each lever's distribution among
the best trials differs from its distribution among all), which needs no further package.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from .figures import COLORS, empty, style
from .io import write_text_atomic
from .page import Html, Section, page

__all__ = ["history_figure", "importance_figure", "pareto_figure", "best_table", "write_report"]


def history_figure(table: pd.DataFrame, objective: str, minimise: bool = False) -> go.Figure:
    """Each trial's value of `objective` and the best so far, by trial number."""
    fig = go.Figure()
    if table.empty:
        return style(empty(fig, "no finished trial"), f"{objective} by trial")
    values = table[objective]
    best = values.cummin() if minimise else values.cummax()
    fig.add_scatter(x=table["trial"], y=values, mode="markers", name="trial",
                    marker={"color": COLORS["grey"], "size": 6})
    fig.add_scatter(x=table["trial"], y=best, mode="lines", name="best so far", line={"color": COLORS["blue"]})
    return style(fig, f"{objective} by trial (mean over the study's seeds)", xaxis_title="trial",
                 yaxis_title=objective)


def importance_figure(importances: dict[str, float], objective: str) -> go.Figure:
    """The levers' importances for `objective`, largest on top."""
    fig = go.Figure()
    if not importances:
        return style(empty(fig, "too few trials to rank the levers"), f"Which levers matter for {objective}")
    items = sorted(importances.items(), key=lambda kv: kv[1])
    fig.add_bar(x=[v for _, v in items], y=[k for k, _ in items], orientation="h", marker_color=COLORS["blue"])
    return style(fig, f"Which levers matter for {objective} (PED-ANOVA importance)", height=max(300, 28 * len(items)),
                 xaxis_title="importance (share)", showlegend=False, margin={"l": 160, "r": 20, "t": 70, "b": 50})


def pareto_figure(table: pd.DataFrame, objectives: Sequence[str], front: Sequence[int]) -> go.Figure:
    """Every trial in the plane of two objectives, the Pareto front marked."""
    fig = go.Figure()
    x, y = objectives[:2]
    on = table["trial"].isin(front)
    fig.add_scatter(x=table.loc[~on, x], y=table.loc[~on, y], mode="markers", name="trial",
                    marker={"color": COLORS["grey"], "size": 6})
    fig.add_scatter(x=table.loc[on, x], y=table.loc[on, y], mode="markers", name="Pareto front",
                    marker={"color": COLORS["red"], "size": 9})
    return style(fig, f"{y} against {x}: the Pareto front", xaxis_title=x, yaxis_title=y)


def best_table(best: Sequence[dict], objectives: Sequence[str]) -> Html:
    """The best trials' levers and values on the study's seeds and on fresh seeds, as an HTML table."""
    rows = []
    for entry in best:
        levers = "; ".join(f"{k} = {_num(v)}" for k, v in entry["levers"].items()) or "the base strategy"
        cells = [f"<td>{entry['trial']}</td>", f"<td style='white-space:normal;text-align:left'>"
                 f"{html.escape(levers)}</td>"]
        for o in objectives:
            fresh = entry["fresh"][o]
            cells.append(f"<td>{_num(entry['study'][o])}</td><td>{_num(fresh['mean'])} "
                         f"[{_num(fresh['ci_low'])}, {_num(fresh['ci_high'])}]</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    heads = "".join(f"<th>{html.escape(o)}, study seeds</th><th>{html.escape(o)}, fresh seeds [95% CI]</th>"
                    for o in objectives)
    return Html(f"<table class='summary'><thead><tr><th>trial</th><th>levers (against the base strategy)</th>{heads}"
                f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return html.escape(str(value))


def write_report(path: Path, study, table: pd.DataFrame, settings, best: Sequence[dict]) -> Path:
    """report.html of a study."""
    import optuna

    objectives = [o.name for o in settings.objectives]
    sections = [Section("Best levers", "Chosen on the study's seeds, then re-run on fresh seeds the study never saw "
                        "(the fresh value carries no winner's curse).", [best_table(best, objectives)])]
    for k, o in enumerate(settings.objectives):
        sections.append(Section(f"History: {o.name}", "", [history_figure(table, o.name, o.minimise)]))
        try:
            sign = 1.0 if o.minimise else -1.0  # PED-ANOVA ranks what leads to low values
            with warnings.catch_warnings():  # it warns that it ranks low values: the sign above sees to that
                warnings.simplefilter("ignore", UserWarning)
                importances = optuna.importance.get_param_importances(
                    study, evaluator=optuna.importance.PedAnovaImportanceEvaluator(),
                    target=lambda t, k=k, sign=sign: sign * t.values[k])
        except (RuntimeError, ValueError):  # too few finished trials
            importances = {}
        sections.append(Section(f"Levers' importance: {o.name}", "", [importance_figure(importances, o.name)]))
    if len(objectives) >= 2:
        sections.append(Section("Pareto front", "", [pareto_figure(table, objectives, [b["trial"] for b in best])]))
    meta = (f"{len(table)} finished trials; class {settings.space.kind}"
            + (f", budget {settings.space.budget:g} a customer-year" if settings.space.budget else "")
            + f"; sampler {settings.sampler}, seed {settings.seed}")
    return write_text_atomic(path, page("relsim-optimize: best response", *sections, meta=meta))
