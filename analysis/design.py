"""Designed sweeps: global sensitivity (SALib Sobol / Morris) and scenario discovery (PRIM).

A sweep run with relsim's design sweeper (hydra/sweeper=design) has a design.json: the sampled rows,
one job each (job n = row n). The outcome of a job is read from its summary (jobs.parquet): by default
the paired effect of the second arm against the first (e.g. reciprocal − one_way) on a metric.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import TEMPLATE
from .summary import RETENTION_HORIZONS
from .sweep_data import Sweep, load_sweep

__all__ = ["has_design", "read_design", "design_matrix", "outcome", "sensitivity", "sensitivity_figure", "discover",
           "discover_both", "box_text", "discovery_figure"]


def has_design(sweep_dir: str | Path) -> bool:
    """True when the sweep was run by the design sweeper."""
    return (Path(sweep_dir) / "design.json").is_file()


def read_design(sweep_dir: str | Path) -> dict:
    """The design.json of a designed sweep: method, samples, seed, problem and rows."""
    return json.loads((Path(sweep_dir) / "design.json").read_text())


def design_matrix(sweep_dir: str | Path) -> pd.DataFrame:
    """The design's rows (index: job number, columns: the parameters), as floats."""
    design = read_design(Path(sweep_dir))
    return pd.DataFrame(design["rows"], columns=design["problem"]["names"], dtype=float)


def resolve_metric(sweep: Sweep, metric: str) -> str:
    """'retention' means the longest retention horizon in the sweep."""
    if metric != "retention":
        return metric
    present = set(sweep.jobs["metric"])
    return next(m for m in reversed(RETENTION_HORIZONS) if m in present)


def outcome(sweep: Sweep, metric: str, arm: str | None = None, level: bool = False) -> pd.Series:
    """Per job: the paired effect of `arm` (default: the second arm) against the first on `metric`,
    or with `level=True` the arm's mean (default: the first arm)."""
    metric = resolve_metric(sweep, metric)
    jobs = sweep.jobs[sweep.jobs["metric"] == metric]
    arms = list(dict.fromkeys(jobs["arm"]))
    if level:
        rows = jobs[jobs["arm"] == (arm or arms[0])]
        return rows.set_index("job")["mean"].sort_index()
    rows = jobs[(jobs["arm"] == (arm or arms[1])) & (jobs["reference"].fillna("") != "")]
    return rows.set_index("job")["diff"].sort_index()


def sensitivity(sweep_dir: str | Path, metric: str = "npv", arm: str | None = None, level: bool = False,
                seed: int = 0) -> pd.DataFrame:
    """Global sensitivity indices of the job outcome with 95% CIs.

    Sobol designs give first-order (S1) and total (ST) indices; Morris designs give mu* (mean absolute
    elementary effect) and sigma. One row per parameter.
    """
    sweep_dir = Path(sweep_dir)
    design = read_design(sweep_dir)
    problem = design["problem"]
    x = design_matrix(sweep_dir)
    y = outcome(load_sweep(sweep_dir), metric, arm, level).reindex(range(len(x))).to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ValueError(f"{int(np.isnan(y).sum())} design rows have no result: is the sweep complete?")
    if design["method"] == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
        return pd.DataFrame({"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                             "ST": res["ST"], "ST_conf": res["ST_conf"]})
    if design["method"] == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, x.to_numpy(), y, conf_level=0.95, num_levels=design["morris_levels"],
                             seed=seed)
        return pd.DataFrame({"parameter": problem["names"], "mu_star": res["mu_star"],
                             "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})
    raise ValueError(f"design method {design['method']!r} has no sensitivity indices (use sobol or morris)")


def sensitivity_figure(indices: pd.DataFrame, title: str) -> go.Figure:
    """Bar chart of the indices with their 95% CIs."""
    pairs = [("S1", "first order S1"), ("ST", "total order ST")] if "S1" in indices else [("mu_star", "mu*")]
    fig = go.Figure([go.Bar(x=indices["parameter"], y=indices[col], name=label,
                            error_y={"type": "data", "array": indices[f"{col}_conf"]}) for col, label in pairs])
    fig.update_layout(template=TEMPLATE, barmode="group", title=title, height=420,
                      yaxis_title="index (95% CI)", legend={"orientation": "h", "y": -0.25})
    return fig


def discover(sweep_dir: str | Path, metric: str = "customer_equity", arm: str | None = None, below: float = 0.0,
             density: float = 0.8, sign: str = "below") -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM scenario discovery: boxes of the design where the outcome is below `below` (sign "below")
    or above it (sign "above").

    By default the outcome is the paired effect of the second arm against the first on customer
    equity (e.g. reciprocal − one_way), so with sign "below" the cases of interest are those where the
    first arm (one_way) earns more, with "above" those where it earns less. Returns (the peeling
    trajectory: coverage, density, mass, res_dim per box; the limits of the chosen box: the densest box
    with density >= `density` and the largest coverage among those, else the densest). The box's
    coverage, density, mass, number of cases and rows are in `limits.attrs`.
    """
    from ema_workbench.analysis import prim

    if sign not in ("below", "above"):
        raise ValueError(f"sign={sign!r}: expected 'below' or 'above'")
    sweep_dir = Path(sweep_dir)
    x = design_matrix(sweep_dir).astype(float)  # PRIM needs float columns (pandas 3)
    y = outcome(load_sweep(sweep_dir), metric, arm).reindex(range(len(x))).to_numpy(dtype=float)
    keep = ~np.isnan(y)
    x, y = x[keep].reset_index(drop=True), y[keep]
    cases = y < below if sign == "below" else y > below
    if cases.sum() == 0:
        return pd.DataFrame(columns=["coverage", "density", "mass", "res_dim"]), pd.DataFrame()
    box = prim.Prim(x, cases, peel_alpha=0.1, mass_min=0.05).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].reset_index(drop=True)
    dense = trajectory.index[trajectory["density"] >= density]
    chosen = (int(dense[trajectory.loc[dense, "coverage"].argmax()]) if len(dense)
              else int(trajectory["density"].idxmax()))
    limits = box.box_lims[chosen].T.rename(columns={0: "low", 1: "high"})
    full = box.box_lims[0].T.rename(columns={0: "low", 1: "high"})
    limits["restricted"] = (limits["low"] > full["low"]) | (limits["high"] < full["high"])
    limits.attrs.update(trajectory.loc[chosen].to_dict(), box=chosen, cases=int(cases.sum()), n=len(cases),
                        sign=sign, metric=metric)
    return trajectory, limits.reset_index(names="parameter")


def discover_both(sweep_dir: str | Path, metric: str = "customer_equity", arm: str | None = None,
                  density: float = 0.8) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """PRIM boxes for both signs of the paired effect: {"below": (trajectory, limits), "above": ...}
    ("below": the effect < 0, the first arm does better; "above": > 0, the second arm does better).
    A sign without a single case has an empty trajectory and empty limits."""
    return {sign: discover(sweep_dir, metric, arm, 0.0, density, sign) for sign in ("below", "above")}


def box_text(limits: pd.DataFrame, coverage: float, density: float, code: bool = False) -> str:
    """A PRIM box in words: "PRIM's box (coverage 0.70, density 0.88): a in [0.1, 0.4], b in [2, 3]", each
    parameter the box restricts (`limits` from `discover`, or its rows in discovery.csv) with its range, or the
    whole design when it restricts none; `code` sets the parameters' names as `code` (markdown)."""
    name = (lambda p: f"`{p}`") if code else str
    ranges = ", ".join(f"{name(r.parameter)} in [{r.low:.3g}, {r.high:.3g}]"
                       for r in limits[limits["restricted"].astype(bool)].itertuples())
    ranges = ranges or "the whole design (no restriction)"
    return f"PRIM's box (coverage {coverage:.2f}, density {density:.2f}): {ranges}"


def discovery_figure(trajectory: pd.DataFrame, title: str = "") -> go.Figure:
    """PRIM's peeling trajectory: coverage against density, coloured by restricted dimensions."""
    fig = go.Figure(go.Scatter(x=trajectory["coverage"], y=trajectory["density"], mode="markers+lines",
                               marker={"color": trajectory["res_dim"], "colorscale": "Viridis", "size": 9,
                                       "colorbar": {"title": "dims"}},
                               hovertemplate="box %{pointNumber}<br>coverage %{x:.2f}<br>density %{y:.2f}"
                                             "<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=420, xaxis_title="coverage", yaxis_title="density",
                      title=title or "PRIM peeling trajectory (each point a box; trade coverage for density)")
    return fig
