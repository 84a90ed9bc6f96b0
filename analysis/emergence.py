"""The emergence experiment's phase diagram: what learning firms end with (configs/experiment/emergence.yaml).

A sweep whose jobs have learning firms (firm_policy.rule other than fixed) is read per job (a cell of
the swept keys): the levers the learning focal firm ends with (mean and 95% CI over seeds), the share
of learning firms (the focal learner and any learning rivals, over seeds) that end one-way-like, the
learner's customer equity against the best fixed strategy of the cell (paired by seed: the fixed
arms play against the same learning rivals on the same seeds), and market-level trust (the mean trust
of every firm's customers, weighted by customers) on the last day.

One-way-like: more outbound contacts and less support capacity than the middle-of-the-road firm (the
Strategy defaults: more than 26 contacts a customer-year over all channels, mail_rate + email_rate +
phone_rate, and inbound_capacity < 4); a definition of the region, not of
what is better. Its two halves are reported apart (`talk_more`, `harder_to_reach`), with the shares
that charge for support (`charge_to_be_heard`: support_fee > 0) and for keeping a right
(`charge_to_keep`: nuisance_fee > 0), when the learner's menu holds those levers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from relsim.params import CHANNELS, Strategy

from .figures import TEMPLATE
from .stats import mean_ci, paired_effect
from .summary import FOCAL_FIRM
from .sweep_data import Sweep, load_sweep

__all__ = ["is_emergence", "one_way_like", "emergence_table", "emergence_figures", "emergence_headline", "frozen_table"]

#: The phase diagram's axes, when the sweep varies them (the emergence preset does): its x axis is the tests'
#: window W when the sweep varies it (test-and-learn firms), else consumers' contact capacity.
OBJECTIVE, LISTENING, RIVALS, CAPACITY, WINDOW = ("firm_policy.objective", "strategies.learner.listening",
                                                  "market.rivals", "market.population.contact_capacity.mean",
                                                  "firm_policy.period_days")


def is_emergence(sweep: Sweep) -> bool:
    """True when the sweep's jobs have learning firms."""
    policy = sweep.job_config().get("firm_policy") or {}
    return policy.get("rule", "fixed") != "fixed"


def one_way_like(contacts_per_year: pd.Series | float, inbound_capacity: pd.Series | float):
    """More outbound contacts (over every channel) and less support capacity than the middle firm (the Strategy
    defaults)."""
    middle = Strategy()
    return (contacts_per_year > middle.contacts_per_year) & (inbound_capacity < middle.inbound_capacity)


def _contacts_per_year(firms: pd.DataFrame) -> pd.Series:
    """Each row's contacts a customer-year over every channel (the recorded levers mail_rate, ... summed)."""
    return sum(firms[f"{c}_rate"] for c in CHANNELS)


def _shares(firms: pd.DataFrame, levers: list[str]) -> dict[str, float]:
    """Shares of learning firms that end talking more, harder to reach, charging to be heard, one-way-like."""
    middle, out = Strategy(), {}
    talks = bool({f"{c}_rate" for c in CHANNELS} & set(levers))  # the firm learns how much to contact
    if talks:
        out["talk_more"] = float((_contacts_per_year(firms) > middle.contacts_per_year).mean())
    if "inbound_capacity" in levers:
        out["harder_to_reach"] = float((firms["inbound_capacity"] < middle.inbound_capacity).mean())
    if "support_fee" in levers:
        out["charge_to_be_heard"] = float((firms["support_fee"] > 0).mean())
    if "nuisance_fee" in levers:
        out["charge_to_keep"] = float((firms["nuisance_fee"] > 0).mean())
    out["one_way_like"] = (float(one_way_like(_contacts_per_year(firms), firms["inbound_capacity"]).mean())
                           if talks and "inbound_capacity" in levers else np.nan)
    return out


def _learning_arm(sweep: Sweep) -> tuple[str, list[str], dict]:
    config = sweep.job_config()
    policy = config.get("firm_policy") or {}
    arms = sweep.manifest.get("arms") or []
    learning = [a for a in arms if not policy.get("arms") or a in policy["arms"]]
    return learning[0], [a for a in arms if a not in learning], policy


def emergence_table(sweep_dir: str | Path) -> pd.DataFrame:
    """One row per cell (job): the swept keys, the learner's final levers with CIs, the one-way-like share,
    the learner's customer equity and NPV against the best fixed arm by each (paired by seed), and market trust."""
    sweep = load_sweep(sweep_dir)
    learner, fixed, policy = _learning_arm(sweep)
    levers = list(policy.get("menu") or {})
    last = int(sweep.job_config().get("days", 0))
    rates = [f"{c}_rate" for c in CHANNELS]  # every channel's rate: contacts a year are their sum
    cols = ["job", "arm", "seed", "firm", "customers", "mean_trust", "customer_equity", "npv",
            *dict.fromkeys([*levers, *rates])]
    rows = pd.read_parquet(sweep.sweep_dir / "sweep.parquet", columns=cols, filters=[("day", "==", last)])
    keys = [k for k in sweep.swept if k in sweep.jobs]
    cells = sweep.jobs.drop_duplicates("job").set_index("job")[keys]
    out = []
    for job, part in rows.groupby("job"):
        mine = part[part["arm"] == learner]
        focal = mine[mine["firm"] == FOCAL_FIRM].set_index("seed")
        learning_firms = mine if policy.get("rivals") else mine[mine["firm"] == FOCAL_FIRM]
        row = {"job": int(job), **cells.loc[job].to_dict(), "learner": learner, "seeds": len(focal)}
        for name in levers:
            ci = mean_ci(focal[name].to_numpy())
            row.update({name: ci.mean, f"{name}_low": ci.low, f"{name}_high": ci.high})
        row.update(_shares(learning_firms, levers))
        row["learning_firms"] = len(learning_firms)
        equity = {arm: part[(part["arm"] == arm) & (part["firm"] == FOCAL_FIRM)].set_index("seed")["customer_equity"]
                  for arm in [learner, *fixed]}
        best = max(fixed, key=lambda a: equity[a].mean()) if fixed else None
        row["equity"] = equity[learner].mean()
        if best:
            effect = paired_effect(equity[learner], equity[best])
            row.update({"best_fixed": best, "best_fixed_equity": equity[best].mean(), "equity_vs_best": effect.diff,
                        "equity_vs_best_low": effect.low, "equity_vs_best_high": effect.high,
                        "equity_vs_best_clear": effect.clear})
        npv = {arm: part[(part["arm"] == arm) & (part["firm"] == FOCAL_FIRM)].set_index("seed")["npv"]
               for arm in [learner, *fixed]}
        row["npv"] = npv[learner].mean()
        if fixed:  # NPV against the fixed arm that earns the most NPV in the cell
            top = max(fixed, key=lambda a: npv[a].mean())
            effect = paired_effect(npv[learner], npv[top])
            row.update({"best_fixed_npv_arm": top, "best_fixed_npv": npv[top].mean(), "npv_vs_best": effect.diff,
                        "npv_vs_best_low": effect.low, "npv_vs_best_high": effect.high,
                        "npv_vs_best_clear": effect.clear})
        weighted = mine.assign(w=mine["mean_trust"].fillna(0) * mine["customers"]).groupby("seed")
        trust = mean_ci((weighted["w"].sum() / weighted["customers"].sum().where(lambda c: c > 0)).to_numpy())
        row.update({"market_trust": trust.mean, "market_trust_low": trust.low, "market_trust_high": trust.high})
        out.append(row)
    table = pd.DataFrame(out)
    table.attrs.update(learner=learner, fixed=fixed, levers=levers, rule=policy.get("rule"), days=last)
    return table


def frozen_table(sweep_dir: str | Path, table: pd.DataFrame) -> pd.DataFrame:
    """Per cell, the learner's frozen final levers (relsim-regret's regret.csv) against the best fixed arm of the cell
    by each metric (`table`'s best_fixed_npv_arm and best_fixed), paired by seed: `frozen_npv_vs_best` and
    `frozen_equity_vs_best` with their CIs. Empty when the sweep has no regret.csv or no fixed arms."""
    path = Path(sweep_dir) / "regret.csv"
    if not path.is_file() or "best_fixed" not in table:
        return pd.DataFrame()
    regret = pd.read_csv(path)
    sweep = load_sweep(sweep_dir)
    last = int(sweep.job_config().get("days", 0))
    rows = pd.read_parquet(sweep.sweep_dir / "sweep.parquet", columns=["job", "arm", "seed", "firm", "npv",
                                                                       "customer_equity"],
                           filters=[("day", "==", last), ("firm", "==", FOCAL_FIRM)])
    out = []
    for row in table.to_dict("records"):
        job = f"job={row['job']}"
        entry = {"job": row["job"]}
        for metric, arm_key, name in (("npv", "best_fixed_npv_arm", "frozen_npv_vs_best"),
                                      ("customer_equity", "best_fixed", "frozen_equity_vs_best")):
            mine = regret[(regret["job"] == job) & (regret["metric"] == metric)].set_index("seed")["frozen"]
            best = rows[(rows["job"] == row["job"]) & (rows["arm"] == row[arm_key])].set_index("seed")[metric]
            if len(mine):
                effect = paired_effect(mine, best)
                entry.update({name: effect.diff, f"{name}_low": effect.low, f"{name}_high": effect.high,
                              f"{name}_clear": effect.clear})
        out.append(entry)
    return pd.DataFrame(out)


def paths(sweep_dir: str | Path, every: int = 30) -> pd.DataFrame:
    """The learning focal firm's levers over time: mean over seeds per job and day (every `every` days)."""
    sweep = load_sweep(sweep_dir)
    learner, _, policy = _learning_arm(sweep)
    levers = list(policy.get("menu") or {})
    last = int(sweep.job_config().get("days", 0))
    days = list(range(every, last + 1, every))
    rows = pd.read_parquet(sweep.sweep_dir / "sweep.parquet", columns=["job", "arm", "seed", "day", "firm", *levers],
                           filters=[("day", "in", days), ("firm", "==", FOCAL_FIRM), ("arm", "==", learner)])
    return rows.groupby(["job", "day"], as_index=False)[levers].mean()


def _label(value) -> str:
    if isinstance(value, str) and value.startswith("["):
        n = len(json.loads(value))
        return "monopoly" if n == 0 else f"{n} rival{'s' if n > 1 else ''}"
    return str(value)


def emergence_figures(table: pd.DataFrame, lever_paths: pd.DataFrame | None = None) -> list[go.Figure]:
    """The phase diagram (share ending one-way-like; learner's equity against the best fixed strategy), per
    objective (rows) and competition (columns), over the tests' window or contact capacity (x) and listening
    (y); and the learner's lever paths."""
    figures = []
    x_key = next((k for k in (WINDOW, CAPACITY) if k in table), "swept")
    if x_key == "swept":  # neither axis swept: one column
        table = table.assign(swept="all")
    if all(k in table for k in (OBJECTIVE, LISTENING, RIVALS)):
        objectives = list(dict.fromkeys(table[OBJECTIVE]))
        rivals = sorted(dict.fromkeys(table[RIVALS]), key=lambda v: len(json.loads(v)) if v.startswith("[") else 0)
        for value, title, scale, zmid in (
                ("one_way_like", "Share of learning firms that end one-way-like", "Reds", None),
                ("equity_vs_best", "Learner's customer equity − the best fixed strategy's", "RdBu", 0.0)):
            fig = make_subplots(rows=len(objectives), cols=len(rivals), shared_xaxes=True, shared_yaxes=True,
                                row_titles=[f"objective: {o}" for o in objectives],
                                column_titles=[_label(r) for r in rivals], horizontal_spacing=0.04,
                                vertical_spacing=0.06)
            span = table[value].abs().max() if value == "equity_vs_best" else 1.0
            for i, objective in enumerate(objectives, start=1):
                for j, rival in enumerate(rivals, start=1):
                    cell = table[(table[OBJECTIVE] == objective) & (table[RIVALS] == rival)]
                    grid = cell.pivot_table(index=LISTENING, columns=x_key, values=value)
                    fig.add_trace(go.Heatmap(
                        z=grid.to_numpy(), x=[str(c) for c in grid.columns], y=[str(r) for r in grid.index],
                        colorscale=scale, zmin=-span if zmid is not None else 0, zmax=span, zmid=zmid,
                        showscale=(i == 1 and j == 1), texttemplate="%{z:.2f}" if value == "one_way_like"
                        else "%{z:,.0f}", colorbar={"title": ""}), row=i, col=j)
            fig.update_xaxes(title_text={WINDOW: "test window W (days)", CAPACITY: "contact capacity (mean)"}.get(
                x_key, ""), row=len(objectives))
            fig.update_yaxes(title_text="listening", col=1)
            fig.update_layout(template=TEMPLATE, title=title, height=260 * len(objectives) + 120)
            figures.append(fig)
    if lever_paths is not None and len(lever_paths):
        levers = [c for c in lever_paths.columns if c not in ("job", "day")]
        fig = make_subplots(rows=1, cols=len(levers), subplot_titles=levers)
        for j, lever in enumerate(levers, start=1):
            for job, part in lever_paths.groupby("job"):
                label = ", ".join(_label(table.set_index("job").loc[job, k]) for k in table.columns
                                  if k in (OBJECTIVE, LISTENING, RIVALS, CAPACITY, WINDOW)) if "job" in table else str(job)
                fig.add_trace(go.Scatter(x=part["day"], y=part[lever], mode="lines", line={"width": 1},
                                         name=label, legendgroup=str(job), showlegend=j == 1, opacity=0.6),
                              row=1, col=j)
        fig.update_xaxes(title_text="day")
        fig.update_layout(template=TEMPLATE, height=420, title="The learner's levers over time (mean over seeds, "
                                                                "one line per cell)", showlegend=False)
        figures.append(fig)
    return figures


def emergence_headline(table: pd.DataFrame) -> str:
    """One reading: how often learners end one-way-like, by objective, and how they do against fixed strategies."""
    def shares(part: pd.DataFrame) -> str:
        extra = [f"{part[k].mean():.0%} {label}" for k, label in (("talk_more", "talk more"), ("harder_to_reach",
                 "harder to reach"), ("charge_to_be_heard", "charge to be heard"), ("charge_to_keep",
                 "charge a nuisance fee")) if k in part]
        return f"{part['one_way_like'].mean():.0%}" + (f" ({', '.join(extra)})" if extra else "")

    parts = [f"{objective}: {shares(part)}" for objective, part in table.groupby(OBJECTIVE, sort=False)] \
        if OBJECTIVE in table else []
    share = "; ".join(parts) if parts else shares(table)
    known = "equity_vs_best_clear" in table
    behind = int((table["equity_vs_best_clear"] & (table["equity_vs_best"] < 0)).sum()) if known else 0
    ahead = int((table["equity_vs_best_clear"] & (table["equity_vs_best"] > 0)).sum()) if known else 0
    return (f"Learning firms ({table.attrs.get('rule')}) end one-way-like in this share of firm-runs, by objective: "
            f"{share}. The learner keeps clearly less customer equity than the best fixed strategy in {behind} of "
            f"{len(table)} cells and clearly more in {ahead}.")
