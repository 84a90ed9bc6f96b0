"""The budget-allocation curve: one relationship budget, every split of it (configs/experiment/allocation.yaml).

A sweep run by the design sweeper's simplex lattice varies the focal arm's outbound, access and
listening shares of one budget (sim/budget.py). Per split: the levers the budget buys, the realised
relationship spend per customer-year (which shows that the splits were compared at equal spend), and
the focal firm's customer equity, NPV and retention over the seeds. The split with the most customer
equity is the best; each other split's paired difference from it (same seeds: common random
numbers) has a 95% bootstrap CI, and the splits not clearly different from it (analysis/stats.py: a CI
that excludes 0 over at least 6 seeds is clear) are within noise of the best.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from relsim import budget
from relsim.params import Market, Strategy, build

from .figures import TEMPLATE
from .stats import mean_ci, paired_effect
from .summary import FOCAL_FIRM, RETENTION_HORIZONS
from .sweep_data import Sweep, load_sweep

__all__ = ["SHARES", "is_allocation", "allocation_table", "allocation_figure", "allocation_headline"]

#: The budget's shares, in the order of the simplex (sim/budget.py).
SHARES = ("outbound_share", "access_share", "listening_share")
_LEVERS = ("contacts_per_year", "mail_rate", "email_rate", "phone_rate", "inbound_capacity", "listening",
           "public_listening")


def is_allocation(plan: dict) -> bool:
    """True for a simplex design over one strategy's three budget shares."""
    names = plan.get("problem", {}).get("names", [])
    return plan.get("method") == "simplex" and len(names) == 3 and {n.rsplit(".", 1)[-1] for n in names} == set(SHARES)


def allocation_table(sweep_dir: str | Path, metric: str = "customer_equity") -> pd.DataFrame:
    """One row per split (job): shares, levers bought, spend per customer-year, outcomes with 95% CIs,
    and the paired difference of `metric` from the best split with its CI (`within_noise` when it
    includes 0; the best split itself is `best`)."""
    sweep_dir = Path(sweep_dir)
    sweep = load_sweep(sweep_dir)
    plan = json.loads((sweep_dir / "design.json").read_text())
    names = plan["problem"]["names"]
    rows = pd.DataFrame(plan["rows"], columns=[n.rsplit(".", 1)[-1] for n in names])
    arm = (sweep.manifest.get("arms") or [None])[0]
    daily = sweep.runs(["job", "arm", "seed", "day", "firm", "customers", "spend", "npv", "customer_equity"])
    daily = daily[(daily["firm"] == FOCAL_FIRM) & ((daily["arm"] == arm) if arm else True)].sort_values("day")
    groups = daily.groupby(["job", "seed"])
    last = groups.tail(1).set_index(["job", "seed"])
    per = pd.DataFrame({"customer_equity": last["customer_equity"], "npv": last["npv"],
                        "spend_rate": groups["spend"].sum() / groups["customers"].sum() * 365.0})
    retention = _retention(sweep)
    out = []
    for job, share in rows.iterrows():
        seeds = per.loc[job] if job in per.index.get_level_values(0) else per.iloc[:0]
        row = {"job": job, **share.to_dict(), **_levers(sweep, job, arm, share)}
        for name in ("spend_rate", "npv", "customer_equity"):
            ci = mean_ci(seeds[name].to_numpy()) if len(seeds) else None
            row.update({name: ci.mean if ci else np.nan, f"{name}_low": ci.low if ci else np.nan,
                        f"{name}_high": ci.high if ci else np.nan})
        row.update(retention.get(job, {}))
        out.append(row)
    table = pd.DataFrame(out)
    best = int(table.loc[table[metric].idxmax(), "job"])
    reference = per.loc[best, metric]
    effects = [paired_effect(per.loc[job, metric], reference) if job != best else None for job in table["job"]]
    table["diff_from_best"] = [e.diff if e else 0.0 for e in effects]
    table["diff_low"] = [e.low if e else 0.0 for e in effects]
    table["diff_high"] = [e.high if e else 0.0 for e in effects]
    table["best"] = table["job"] == best
    table["within_noise"] = [e is None or not e.clear for e in effects]  # analysis/stats.py: the one rule
    table.attrs.update(metric=metric, arm=arm, budget=_budget(sweep, arm), seeds=int(per.index.get_level_values(1)
                                                                                        .nunique()))
    return table


def _retention(sweep) -> dict[int, dict[str, float]]:
    """The longest retention horizon's mean and CI per job, from jobs.parquet."""
    jobs = sweep.jobs
    horizon = next((m for m in reversed(RETENTION_HORIZONS) if m in set(jobs["metric"])), None)
    if horizon is None:
        return {}
    rows = jobs[jobs["metric"] == horizon]
    return {int(r.job): {"retention": r.mean, "retention_low": r.ci_low, "retention_high": r.ci_high,
                         "retention_horizon": horizon} for r in rows.itertuples()}


def _strategy(sweep: Sweep, job: int, arm: str | None) -> Strategy | None:
    """The arm's strategy as the job ran it (from the job's config)."""
    strategies = sweep.job_config(job).get("strategies") or {}
    return build(Strategy, strategies[arm], f"strategies.{arm}") if arm in strategies else None


def _levers(sweep: Sweep, job: int, arm: str | None, share: pd.Series) -> dict[str, float]:
    strategy = _strategy(sweep, job, arm)
    if strategy is None:
        return {}
    market = build(Market, sweep.job_config(job).get("market") or {}, "market")
    bought = budget.levers(dataclasses.replace(strategy, **share.to_dict()), market.channels)
    return {name: getattr(bought, name) for name in _LEVERS}


def _budget(sweep: Sweep, arm: str | None) -> float:
    strategy = _strategy(sweep, 0, arm)
    return strategy.budget if strategy else float("nan")


def allocation_figure(table: pd.DataFrame, metric: str = "customer_equity",
                      label: str = "Customer equity") -> go.Figure:
    """The outcome over the simplex of splits (a ternary plot); the best split is ringed, and the
    splits within noise of it are drawn larger."""
    best = table[table["best"]].iloc[0]
    sizes = np.where(table["within_noise"], 16, 9)
    hover = [f"outbound {r.outbound_share:.1f}, access {r.access_share:.1f}, listening {r.listening_share:.1f}<br>"
             f"{label}: {getattr(r, metric):,.0f} (95% CI {getattr(r, metric + '_low'):,.0f} to "
             f"{getattr(r, metric + '_high'):,.0f})<br>difference from the best: {r.diff_from_best:,.0f} "
             f"({r.diff_low:,.0f} to {r.diff_high:,.0f})" for r in table.itertuples()]
    fig = go.Figure([
        go.Scatterternary(a=table["outbound_share"], b=table["access_share"], c=table["listening_share"],
                          mode="markers", marker={"size": sizes, "color": table[metric], "colorscale": "Viridis",
                                                  "colorbar": {"title": label}, "line": {"width": 0}},
                          text=hover, hoverinfo="text", name="splits", cliponaxis=False),
        go.Scatterternary(a=[best.outbound_share], b=[best.access_share], c=[best.listening_share], mode="markers",
                          marker={"size": 24, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": "#d62728"}},
                          hoverinfo="skip", name="best split", cliponaxis=False),
    ])
    fig.update_layout(template=TEMPLATE, height=560, title=f"{label} by how one budget is split (large: within "
                                                            "noise of the best; ringed: the best)",
                      ternary={"aaxis": {"title": "outbound"}, "baxis": {"title": "access"},
                               "caxis": {"title": "listening"}},
                      legend={"orientation": "h", "y": -0.1})
    return fig


def allocation_headline(table: pd.DataFrame, label: str = "customer equity") -> str:
    """One sentence: the best split, what it buys, how many splits are within noise of it, and the worst."""
    best = table[table["best"]].iloc[0]
    worst = table.loc[table[table.attrs.get("metric", "customer_equity")].idxmin()]
    near = int(table["within_noise"].sum()) - 1
    spend = table["spend_rate"]
    return (f"At a budget of {table.attrs.get('budget', float('nan')):g} per customer-year, the split that keeps the "
            f"most {label} spends {best.outbound_share:.0%} on outbound contacts, {best.access_share:.0%} on "
            f"access and {best.listening_share:.0%} on listening ({best.contacts_per_year:.0f} contacts a "
            "customer-year, "
            f"{best.inbound_capacity:.1f} staffed slots a day per 1,000 customers, listening "
            f"{best.listening:.2f} and public listening {best.public_listening:.2f}); {near} of the other "
            f"{len(table) - 1} splits are within noise of it; the worst ({worst.outbound_share:.0%} / "
            f"{worst.access_share:.0%} / {worst.listening_share:.0%}) keeps {-worst.diff_from_best:,.0f} less. "
            f"Realised relationship spend ranged {spend.min():.1f} to {spend.max():.1f} per customer-year.")
