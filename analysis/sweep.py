"""Sweep analysis: load a collected sweep, paired effects per grid point, figures, the sweep report.

Each job of a sweep is one grid point; its summary rows (jobs.parquet) already hold the paired effect
of every arm against the first arm over the job's seeds, with a 95% bootstrap CI. This module lays
those effects over the swept parameters: curves with CI bands for one swept key, heatmaps with the
zero contour (where the effect changes sign) for two, small multiples of heatmaps for more.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .allocation import allocation_figure, allocation_headline, allocation_table, is_allocation
from .emergence import emergence_figures, emergence_headline, emergence_table, is_emergence, paths
from .design import (box_text, discover_both, discovery_figure, has_design, read_design, sensitivity,
                     sensitivity_figure)
from .figures import ARM_PALETTE, COLORS, TEMPLATE, write_image
from .io import write_text_atomic
from .page import Html, Section, page
from .stats import MIN_CLEAR_PAIRS, SUPPORT
from .summary import METRICS, RETENTION_HORIZONS
from .wording import call, decimals_for, levers_of, number
from .units import DEFAULT_CURRENCY, labelled
from .sweep_data import Sweep, load_sweep

__all__ = ["Sweep", "load_sweep", "effect_grid", "sweep_figures", "write_sweep_report", "export_static"]

#: Metrics shown by default: the longest retention horizon available, profit, NPV and customer equity.
DEFAULT_METRICS = ("retention", "profit", "npv", "customer_equity")


def _metric(sweep: Sweep, name: str) -> str | None:
    """Resolve 'retention' to the longest retention horizon present; other names as they are."""
    present = set(sweep.jobs["metric"])
    if name == "retention":
        return next((m for m in reversed(RETENTION_HORIZONS) if m in present), None)
    return name if name in present else None


def effect_grid(sweep: Sweep, metric: str) -> pd.DataFrame:
    """The paired effect (arm - reference arm) of `metric` at every grid point.

    Columns: the swept keys, `comparison` ("reciprocal − one_way"), `effect`, `low`, `high`,
    `p_wilcoxon`, `n_seeds`, `call` (wording.call: clear, few, unclear, unsettled over posterior draws ...),
    `clear` (call is "clear": the CI excludes 0 over enough seeds for a test to reject, and over posterior draws
    the direction holds in at least stats.SUPPORT of them).
    """
    rows = sweep.jobs[(sweep.jobs["metric"] == metric) & (sweep.jobs["reference"].fillna("") != "")]
    label = rows["arm"] if "scenario" not in rows else rows["arm"] + " " + rows["scenario"]
    out = rows[sweep.swept].copy()
    out["comparison"] = label.astype(str) + " − " + rows["reference"].astype(str)
    out["effect"], out["low"], out["high"] = rows["diff"], rows["diff_ci_low"], rows["diff_ci_high"]
    out["p_wilcoxon"], out["n_seeds"] = rows["p_wilcoxon"], rows["n_seeds"]
    out["call"] = [call(row) for _, row in rows.iterrows()]
    out["clear"] = out["call"] == "clear"
    return out.reset_index(drop=True)


def level_grid(sweep: Sweep, metric: str) -> pd.DataFrame:
    """The mean of `metric` per arm at every grid point, with its 95% CI (same columns as effect_grid,
    `comparison` naming the arm)."""
    rows = sweep.jobs[sweep.jobs["metric"] == metric]
    label = rows["arm"] if "scenario" not in rows else rows["arm"] + " " + rows["scenario"]
    out = rows[sweep.swept].copy()
    out["comparison"] = label.astype(str)
    out["effect"], out["low"], out["high"] = rows["mean"], rows["ci_low"], rows["ci_high"]
    out["p_wilcoxon"], out["n_seeds"] = np.nan, rows["n_seeds"]
    out["clear"] = False
    return out.reset_index(drop=True)


def _scale(metric: str) -> tuple[float, str]:
    if metric.startswith("retention"):
        return 100.0, "points"
    unit = METRICS[metric].unit if metric in METRICS else ""
    return 1.0, unit


def _label(metric: str, currency: str = DEFAULT_CURRENCY) -> str:
    factor, unit = _scale(metric)
    return labelled(METRICS[metric].label if metric in METRICS else metric, unit, currency)


def _currency(sweep: Sweep) -> str:
    """The sweep's money label, from its first job's config (the default if there is none)."""
    return str(sweep.job_config().get("currency") or DEFAULT_CURRENCY)


def _grid_table(tables: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The grid table as the charts show it: retention in points, the terminal's number format, the labels
    with their units."""
    out = tables.astype({c: object for c in ("effect", "low", "high", "p_wilcoxon")})
    for metric, index in tables.groupby("metric", sort=False).groups.items():
        factor, unit = _scale(metric)
        values = tables.loc[index, ["effect", "low", "high"]].to_numpy(dtype=float) * factor
        decimals = decimals_for(unit, values.ravel())
        for col, signed in (("effect", True), ("low", True), ("high", True)):
            out.loc[index, col] = [number(v * factor, unit, decimals, signed) for v in tables.loc[index, col]]
    out["p_wilcoxon"] = [f"{p:.2g}" if np.isfinite(p) else "" for p in tables["p_wilcoxon"].astype(float)]
    out["metric"] = [_label(m, currency) for m in tables["metric"]]
    return out


def _axis(values: pd.Series) -> list:
    """Sorted distinct values of a swept key (numbers numerically, others as text)."""
    uniq = pd.unique(values)
    try:
        return sorted(uniq, key=float)
    except (TypeError, ValueError):
        return sorted(uniq, key=str)


def _curves(sweep: Sweep, metrics: list[str], grid_of=effect_grid, title: str = "") -> go.Figure:
    """One swept key: curves with 95% CI bands (paired effects, or levels), a panel per metric."""
    key = sweep.swept[0]
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[_label(m) for m in metrics],
                        horizontal_spacing=0.08)
    for j, metric in enumerate(metrics, start=1):
        grid = grid_of(sweep, metric)
        factor, _ = _scale(metric)
        for k, (comparison, part) in enumerate(grid.groupby("comparison", sort=False)):
            part = part.set_index(key).loc[_axis(part[key])].reset_index()
            color = ARM_PALETTE[k % len(ARM_PALETTE)]
            x = part[key].astype(str) if part[key].dtype == object else part[key]
            fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[part["high"], part["low"][::-1]] * factor,
                                     fill="toself", fillcolor=color, opacity=0.18, line={"width": 0},
                                     hoverinfo="skip", showlegend=False, legendgroup=comparison), row=1, col=j)
            fig.add_trace(go.Scatter(x=x, y=part["effect"] * factor, mode="lines+markers", name=comparison,
                                     legendgroup=comparison, showlegend=j == 1, line={"color": color}),
                          row=1, col=j)
        if grid_of is effect_grid:
            fig.add_hline(y=0, line={"color": COLORS["rule"], "width": 1}, row=1, col=j)
        fig.update_xaxes(title_text=key, row=1, col=j)
    fig.update_yaxes(title_text="paired effect" if grid_of is effect_grid else "mean over seeds", row=1, col=1)
    fig.update_layout(template=TEMPLATE, height=430, legend={"orientation": "h", "y": -0.2},
                      title=title or "Paired effect along the sweep (95% CI bands)")
    return fig


def _heatmap_traces(grid: pd.DataFrame, xkey: str, ykey: str, factor: float, zmax: float,
                    showscale: bool) -> list[go.BaseTraceType]:
    """A heatmap of the effect with its zero contour and a mark where the CI excludes 0."""
    xs, ys = _axis(grid[xkey]), _axis(grid[ykey])
    table = grid.set_index([ykey, xkey])
    z = np.array([[table["effect"].get((y, x), np.nan) * factor for x in xs] for y in ys], dtype=float)
    clear = np.array([[bool(table["clear"].get((y, x), False)) for x in xs] for y in ys])
    decimals = decimals_for("", z[np.isfinite(z)].ravel())  # one format for the whole map, as the table's
    shown = np.vectorize(lambda v: "" if not np.isfinite(v) else f"{v:,.{decimals}f}")(z)
    text = np.where(clear, np.char.add(shown.astype(str), "*"), shown.astype(str))
    xa, ya = [str(x) for x in xs], [str(y) for y in ys]
    traces = [go.Heatmap(x=xa, y=ya, z=z, text=text, texttemplate="%{text}", colorscale="RdBu", zmid=0,
                         zmin=-zmax, zmax=zmax, showscale=showscale,
                         hovertemplate=f"{xkey}=%{{x}}<br>{ykey}=%{{y}}<br>effect %{{z:.3f}}<extra></extra>")]
    if len(xs) > 1 and len(ys) > 1 and np.nanmin(z) < 0 < np.nanmax(z):
        traces.append(go.Contour(x=xa, y=ya, z=z, contours={"start": 0, "end": 0, "size": 1, "coloring": "none"},
                                 line={"color": "black", "width": 3}, showscale=False, hoverinfo="skip",
                                 name="zero effect"))
    return traces


def _heatmaps(sweep: Sweep, metrics: list[str], grid_of=effect_grid) -> list[go.Figure]:
    """Two or more swept keys: heatmaps over the first two keys, small multiples over the rest."""
    xkey, ykey, rest = sweep.swept[0], sweep.swept[1], sweep.swept[2:]
    figures = []
    for metric in metrics:
        grid = grid_of(sweep, metric)
        factor, _ = _scale(metric)
        for comparison, part in grid.groupby("comparison", sort=False):
            facets = [()] if not rest else list(part[rest].drop_duplicates().itertuples(index=False, name=None))
            cols = min(len(facets), 3)
            rows = int(np.ceil(len(facets) / cols))
            titles = [", ".join(f"{k}={v}" for k, v in zip(rest, f)) for f in facets] if rest else None
            fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08,
                                vertical_spacing=0.12)
            zmax = float(np.nanmax(np.abs(part["effect"]))) * factor or 1.0
            for k, facet in enumerate(facets):
                sub = part if not rest else part[(part[rest] == pd.Series(facet, index=rest)).all(axis=1)]
                for trace in _heatmap_traces(sub, xkey, ykey, factor, zmax, showscale=k == 0):
                    fig.add_trace(trace, row=k // cols + 1, col=k % cols + 1)
            fig.update_xaxes(title_text=xkey)
            fig.update_yaxes(title_text=ykey)
            fig.update_layout(template=TEMPLATE, height=max(420, 330 * rows),
                              title=f"{_label(metric, _currency(sweep))}: {comparison} (black line: zero effect; "
                                    "* clear: 95% CI excludes 0, ≥ 6 seeds)")
            figures.append(fig)
    return figures


def sweep_figures(sweep: Sweep, metrics: tuple[str, ...] = DEFAULT_METRICS) -> list[go.Figure]:
    """The sweep's figures: curves for one swept key, heatmaps (with small multiples) for more."""
    names = [m for m in (_metric(sweep, name) for name in metrics) if m]
    if not sweep.swept:
        return []
    paired = bool((sweep.jobs["reference"].fillna("") != "").any())
    if len(sweep.swept) == 1:
        levels = _curves(sweep, names, level_grid, "Mean along the sweep, per arm (95% CI bands)")
        return [levels, _curves(sweep, names)] if paired else [levels]
    return _heatmaps(sweep, names, effect_grid if paired else level_grid)


def _methods(sweep: Sweep) -> str:
    m = sweep.manifest
    hashes = sorted(str(j.get("config_hash")) for j in m.get("jobs", []))
    digest = hashlib.sha256("".join(hashes).encode()).hexdigest()[:16]
    wall = sum(float(j.get("wall_time_s") or 0) for j in m.get("jobs", []))
    seeds = m.get("seeds") or []
    return (f"{len(m.get('jobs', []))} grid points (jobs) over {', '.join(sweep.swept) or 'no swept key'}; "
            f"arms {', '.join(m.get('arms') or [])}; {len(seeds)} seeds per grid point ({seeds[0] if seeds else ''}"
            f"…{seeds[-1] if seeds else ''}), the same seeds at every grid point and for every arm (common random "
            f"numbers). Effects are paired differences of each arm against the first arm over the seeds; intervals "
            f"are 95% bootstrap CIs (BCa, percentile where BCa is degenerate; scipy.stats.bootstrap, 4,999 "
            f"resamples); p-values are Wilcoxon signed-rank. Sweep config hash {digest} (from the jobs' config "
            f"hashes); git commit {m.get('git_commit')}; total job wall time {wall:,.0f} s.")


def write_sweep_report(sweep_dir: str | Path, metrics: tuple[str, ...] = DEFAULT_METRICS) -> Path:
    """Write sweep_report.html: the effect figures, the grid table and a methods paragraph."""
    sweep = load_sweep(sweep_dir)
    if has_design(sweep_dir):
        return _write_design_report(sweep, metrics)
    if is_emergence(sweep):
        return _write_emergence_report(sweep)
    figures = sweep_figures(sweep, metrics)
    names = [m for m in (_metric(sweep, n) for n in metrics) if m]
    paired = bool((sweep.jobs["reference"].fillna("") != "").any())
    grid_of = effect_grid if paired else level_grid
    tables = pd.concat([grid_of(sweep, m).assign(metric=m) for m in names], ignore_index=True)
    sections = [Section("Methods", "", [_methods(sweep)]), Section("", "", figures),
                Section("Grid", ("Paired effect" if paired else "Mean") + " per grid point with its 95% CI.",
                        [Html(_grid_table(tables, _currency(sweep)).to_html(index=False, classes="summary",
                                                                             border=0))])]
    path = Path(sweep_dir) / "sweep_report.html"
    write_text_atomic(path, page(f"relsim sweep: {', '.join(sweep.swept) or 'one grid point'}", *sections,
                                 meta=str(sweep.sweep_dir), verdict=_headline(sweep, names),
                                 context=levers_of(sweep.job_config(0), sweep.manifest.get("arms") or [])
                                 + " The swept keys change them from grid point to grid point."))
    return path


def _write_emergence_report(sweep: Sweep) -> Path:
    """The report of a sweep with learning firms: the phase diagram, the lever paths and the cells' table."""
    table = emergence_table(sweep.sweep_dir)
    write_text_atomic(sweep.sweep_dir / "emergence.csv", table.to_csv(index=False))
    shown = table.drop(columns=[c for c in table.columns if c.endswith(("_low", "_high"))])
    sections = [Section("Methods", "", [
        f"{_methods(sweep)} The focal firm in arm {table.attrs['learner']} learns ({table.attrs['rule']}); the "
        f"arms {', '.join(table.attrs['fixed'])} keep their levers, against the same rivals. One-way-like: more "
        "outbound contacts and less support capacity than the middle firm. Learning firms: the focal learner "
        "and any learning rivals, over seeds; emergence.csv has every figure with its 95% CI."]),
        Section("Phase diagram", "Per cell (a job): the share of learning firms that end one-way-like, and the "
                "learner's customer equity on the last day minus that of the best fixed strategy of the cell "
                "(paired by seed).", emergence_figures(table, paths(sweep.sweep_dir))),
        Section("Cells", "", [Html(shown.to_html(index=False, classes="summary", border=0,
                                                 float_format=lambda v: f"{v:,.3g}"))])]
    path = sweep.sweep_dir / "sweep_report.html"
    write_text_atomic(path, page("relsim emergence: firms that learn", *sections, meta=str(sweep.sweep_dir),
                                 verdict=emergence_headline(table)))
    return path


def _write_design_report(sweep: Sweep, metrics: tuple[str, ...]) -> Path:
    """The report of a designed sweep: sensitivity indices (Sobol, Morris) or PRIM boxes (LHS)."""
    plan = read_design(sweep.sweep_dir)
    sections = [Section("Methods", "", [f"{_methods(sweep)} Design: {plan['method']}, N = {plan['samples']}, "
                                        f"seed {plan['seed']}, {len(plan['rows'])} rows."])]
    if is_allocation(plan):
        found, headline = _allocation_sections(sweep)
    elif plan["method"] in ("sobol", "morris"):
        found, headline = _sensitivity_sections(sweep, metrics)
    else:
        found, headline = _discovery_sections(sweep, plan, metrics)
    path = sweep.sweep_dir / "sweep_report.html"
    title = ("relsim budget allocation" if is_allocation(plan)
             else f"relsim {'sensitivity' if plan['method'] != 'lhs' else 'scenario discovery'}")
    write_text_atomic(path, page(title, *sections, *found, meta=str(sweep.sweep_dir),
                                 verdict="; ".join(headline) + "."))
    return path


def _metrics(sweep: Sweep, metrics: tuple[str, ...]) -> list[str]:
    """The requested metrics that the sweep has, profit aside (its NPV is shown)."""
    return [m for m in (_metric(sweep, n) for n in metrics) if m and m != "profit"]


def _compared(sweep: Sweep) -> tuple[list[str], str]:
    """The sweep's arms and its paired comparison, e.g. "reciprocal − one_way" ('' with one arm)."""
    arms = sweep.manifest.get("arms") or []
    return arms, f"{arms[1]} − {arms[0]}" if len(arms) > 1 else ""


def _allocation_sections(sweep: Sweep) -> tuple[list[Section], list[str]]:
    """A budget-allocation sweep: customer equity and NPV over the splits (and allocation.csv), and its headline."""
    table = allocation_table(sweep.sweep_dir)
    write_text_atomic(sweep.sweep_dir / "allocation.csv", table.to_csv(index=False))
    shown = table[["outbound_share", "access_share", "listening_share", "contacts_per_year", "inbound_capacity",
                   "listening", "public_listening", "spend_rate", *[c for c in ("retention",) if c in table],
                   "npv", "customer_equity", "diff_from_best", "diff_low", "diff_high", "within_noise"]]
    return [
        Section("Customer equity by split", (
            "Each point is one split of the same budget over outbound contacts, access (staffed support slots) "
            "and listening (sim/budget.py), run on the same seeds; colour is the mean customer equity of the "
            "focal firm on the last day. Splits whose paired difference from the best has a 95% CI that "
            "includes 0 are drawn larger."), [allocation_figure(table)]),
        Section("NPV by split", "The same splits, coloured by NPV over the horizon.",
                [allocation_figure(table.assign(best=table["npv"] == table["npv"].max()), "npv", "NPV")]),
        Section("Splits", "Also in allocation.csv. spend_rate is the realised relationship spend per customer-year "
                          "(it includes prospecting contacts and answers to complaints, which the budget does not "
                          "buy).", [Html(shown.sort_values("customer_equity", ascending=False).to_html(
                              index=False, classes="summary", border=0, float_format=lambda v: f"{v:,.3g}"))])
    ], [allocation_headline(table).rstrip(".")]


def _sensitivity_sections(sweep: Sweep, metrics: tuple[str, ...]) -> tuple[list[Section], list[str]]:
    """A Sobol or Morris sweep: each metric's indices, for the paired effect and the first arm's level (and
    sensitivity.csv), and which parameter each depends on most."""
    arms, comparison = _compared(sweep)
    sections, headline, tables = [], [], []
    for metric in _metrics(sweep, metrics):
        outcomes = ([(False, f"effect {comparison}")] if comparison else []) + [(True, f"{arms[0]} level")]
        for level, label in outcomes:
            indices = sensitivity(sweep.sweep_dir, metric, level=level).assign(outcome=f"{metric}: {label}")
            tables.append(indices)
            sections.append(Section("", "", [sensitivity_figure(indices, f"{_label(metric)}, {label}: "
                                                                         "sensitivity indices (95% CI)")]))
            top = indices.sort_values("ST" if "ST" in indices else "mu_star", ascending=False).iloc[0]
            headline.append(f"{_label(metric)} ({label}) depends most on {top['parameter']}")
    table = pd.concat(tables, ignore_index=True)
    write_text_atomic(sweep.sweep_dir / "sensitivity.csv", table.to_csv(index=False))
    sections.append(Section("Indices", "Also in sensitivity.csv.", [Html(table.to_html(
        index=False, classes="summary", border=0, float_format=lambda v: f"{v:.3f}"))]))
    return sections, headline


def _discovery_sections(sweep: Sweep, plan: dict, metrics: tuple[str, ...]) -> tuple[list[Section], list[str]]:
    """A Latin hypercube: PRIM's box for each sign of the paired effect (and discovery.csv), where each arm
    earns more."""
    arms, comparison = _compared(sweep)
    metric = _metric(sweep, "customer_equity") or _metric(sweep, "retention") or _metrics(sweep, metrics)[0]
    first, second = (list(arms) + ["the first arm", "the second arm"])[:2]
    found = discover_both(sweep.sweep_dir, metric)
    what = METRICS[metric].label if metric in METRICS else metric
    ranges = _ranges(plan)
    sections, headline, tables = [], [], []
    for sign, better in (("below", first), ("above", second)):
        trajectory, limits = found[sign]
        worse = second if better == first else first
        if limits.empty:
            headline.append(f"no design row where {better} earns more {what.lower()} than {worse} "
                            f"(over the ranges {ranges})")
            sections.append(Section(f"Where {better} earns more", "", [(
                f"None of the {len(plan['rows'])} design rows has {better} ahead of {worse} on {what.lower()}, "
                f"so PRIM has no box for this sign: over the plausible ranges of the design ({ranges}) "
                f"{worse} always earns at least as much.")]))
            continue
        stats = limits.attrs
        headline.append(f"{better} earns more {what.lower()} than {worse} in {stats['cases']} of {stats['n']} "
                        f"design rows; {box_text(limits, stats['coverage'], stats['density'])}")
        tables.append(limits.assign(sign=sign, better=better, coverage=stats["coverage"],
                                    density=stats["density"], mass=stats["mass"], cases=stats["cases"],
                                    rows=stats["n"]))
        sections += [Section(f"Where {better} earns more", (
            f"Cases: design rows where the paired effect {comparison} on {what.lower()} is "
            f"{'below' if sign == 'below' else 'above'} 0 ({stats['cases']} of {stats['n']}). The chosen box "
            f"is the one with the largest coverage among those with density >= 0.8 (else the densest): "
            f"coverage {stats['coverage']:.2f} (share of the cases inside it), density {stats['density']:.2f} "
            f"(share of the rows inside it that are cases), mass {stats['mass']:.2f}."),
            [discovery_figure(trajectory, f"PRIM peeling trajectory: where {better} earns more"),
             Html(limits.to_html(index=False, classes="summary", border=0))])]
    if tables:
        write_text_atomic(sweep.sweep_dir / "discovery.csv", pd.concat(tables, ignore_index=True).to_csv(index=False))
    return sections, headline


def _ranges(plan: dict) -> str:
    """The design's factors and ranges, as text."""
    levels = plan.get("levels") or {}
    return "; ".join(f"{name} {levels[name]}" if name in levels else f"{name} [{low:g}, {high:g}]"
                     for name, (low, high) in zip(plan["problem"]["names"], plan["problem"]["bounds"], strict=True))


def _headline(sweep: Sweep, metrics: list[str]) -> str:
    """Where the effect is clearly positive, clearly negative, or unclear, per metric; for a one-arm
    sweep, where each metric peaks."""
    parts = []
    if not (sweep.jobs["reference"].fillna("") != "").any() and len(sweep.swept) == 1:
        key = sweep.swept[0]
        for metric in metrics:
            grid = level_grid(sweep, metric)
            for arm, part in grid.groupby("comparison", sort=False):
                best = part.loc[part["effect"].idxmax()]
                inside = best[key] not in (min(_axis(part[key])), max(_axis(part[key])))
                parts.append(f"{_label(metric)} of {arm} peaks at {key}={best[key]}"
                             + (" (inside the range: an inverted U)" if inside else " (at the edge of the range)"))
        return "; ".join(parts) + "."
    for metric in metrics:
        grid = effect_grid(sweep, metric)
        for comparison, part in grid.groupby("comparison", sort=False):
            parts.append(_reading(part, [k for k in sweep.swept if k in part], _label(metric), comparison))
    if not parts:
        return "No paired comparison in this sweep."
    if "replicate" not in sweep.jobs or (sweep.jobs["replicate"].fillna("seed") == "seed").all():
        parts.append("The intervals are seed noise only, at the behavioural weights as set; the same sweep with "
                     "`posterior=20 seeds=5` added checks each verdict over the calibrated posterior "
                     f"(a direction is then called only where it holds in {SUPPORT:.0%} of the draws).")
    return " ".join(parts)


def _reading(part: pd.DataFrame, keys: list[str], label: str, comparison: str) -> str:
    """One sentence on a paired effect over the grid: where the first arm is clearly ahead or behind, and the
    swept key (if one) whose value separates the two (stats.clear: enough seeds to tell)."""
    arm = comparison.split(" − ")[0]
    ahead, behind, n = part[part["clear"] & (part["low"] > 0)], part[part["clear"] & (part["high"] < 0)], len(part)
    excludes = part["call"].isin(["few", "unsettled"])  # an interval off 0, over too few seeds or split draws
    if excludes.any():
        seeds = int(part.loc[excludes, "n_seeds"].min())
        few = (f"at {int(excludes.sum())} of {n} grid points the 95% CI excludes 0, but {seeds} seed"
               f"{'s' if seeds != 1 else ''} per grid point are too few to call it (a clear call needs "
               f"{MIN_CLEAR_PAIRS})")
        if (part.loc[excludes, "call"] == "unsettled").all():
            few = (f"at {int(excludes.sum())} of {n} grid points the 95% CI excludes 0, but the direction holds in "
                   f"fewer than {SUPPORT:.0%} of the posterior draws there (the posterior does not settle it)")
        if not len(ahead) and not len(behind):
            return f"{label} ({comparison}): {few}."
    if len(ahead) == n or len(behind) == n:
        side = "ahead" if len(ahead) == n else "behind"
        return f"{label}: {arm} is clearly {side} ({comparison}) at all {n} grid points."
    text = (f"{label}: {arm} is clearly ahead ({comparison}) at {len(ahead)} of {n} grid points and clearly behind "
            f"at {len(behind)}" + (f"; {few}" if excludes.any() else ""))
    for key in keys if len(ahead) and len(behind) else ():
        if not pd.api.types.is_numeric_dtype(part[key]):
            continue
        name = key.rsplit(".", 1)[-1].replace("_", " ")
        low, high = (ahead, behind) if ahead[key].max() < behind[key].min() else (behind, ahead)
        if low[key].max() < high[key].min():
            first, second = ("ahead", "behind") if low is ahead else ("behind", "ahead")
            return (text + f": {first} where {name} is {low[key].max():g} or less, {second} where it is "
                    f"{high[key].min():g} or more.")
    return text + ("; no single swept key separates the two." if len(ahead) and len(behind) else ".")


def export_static(sweep_dir: str | Path, fmt: str = "png", metrics: tuple[str, ...] = DEFAULT_METRICS) -> list[Path]:
    """Export the sweep's figures as static images (png, svg or pdf) with kaleido, for papers."""
    sweep = load_sweep(sweep_dir)
    out = Path(sweep_dir) / "figures"
    paths = []
    for k, fig in enumerate(sweep_figures(sweep, metrics)):
        path = out / f"figure_{k + 1}.{fmt}"
        if not write_image(fig, path):
            raise RuntimeError(f"could not write {path}: static figures need kaleido and a Chrome or Chromium "
                               "(pip install 'relsim[research]')")
        paths.append(path)
    return paths
