"""The calibration's curves, error, uncertainty and page (projection.csv, calibration.html).

experiments/inference/ runs the model and searches its parameters; the mathematics around that
search is here: an observed retention curve, churn propensities as quantiles of fixed uniforms, the
fit's error (RMSE), the Gauss-Newton uncertainty of the log-parameters, the projection table, the
posterior and pattern tables as terminal text, and the figures and page that show the fit. Nothing
here imports the model.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import COLORS, style
from .page import Html, Section, page

__all__ = ["Curve", "abc_page", "band_frame", "calibration_page", "fmt_num", "format_patterns", "format_point",
           "format_posterior", "format_table", "jacobian", "log_uncertainty", "posterior_figure", "projection_figure",
           "projection_frame", "propensity_quantiles", "rmse"]


@dataclasses.dataclass(frozen=True)
class Curve:
    """An observed cohort retention curve: survival shares S(0) = 1, S(1), ... and the cohort size."""

    shares: np.ndarray
    cohort_size: float | None  # known when the file gives counts
    source: str

    @property
    def last_period(self) -> int:
        """The curve's last period (periods are 0 ... last)."""
        return len(self.shares) - 1


def propensity_quantiles(dist, u: np.ndarray) -> np.ndarray:
    """Churn propensities with distribution `dist` (kind, mean, sd) as quantiles of fixed uniforms `u`."""
    from scipy import stats

    m, sd = dist.mean, dist.sd
    if dist.kind == "constant" or sd == 0:
        return np.full(len(u), m)
    if dist.kind == "gamma":
        return stats.gamma.ppf(u, (m / sd) ** 2, scale=sd**2 / m)
    if dist.kind == "lognormal":
        s2 = np.log1p((sd / m) ** 2)
        return np.exp(np.log(m) - s2 / 2 + np.sqrt(s2) * stats.norm.ppf(u))
    if dist.kind == "uniform":
        return np.maximum(m - np.sqrt(3.0) * sd + u * 2 * np.sqrt(3.0) * sd, 0.0)
    common = m * (1 - m) / sd**2 - 1  # beta
    return stats.beta.ppf(u, m * common, (1 - m) * common)


def rmse(model: np.ndarray, observed: np.ndarray, periods: range) -> float | None:
    """Root mean squared error over `periods` (None when the range is empty)."""
    idx = [t for t in periods if t < len(observed)]
    if not idx:
        return None
    return float(np.sqrt(np.mean((np.asarray(model)[idx] - np.asarray(observed)[idx]) ** 2)))


def jacobian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, lo: np.ndarray, hi: np.ndarray,
             step: float) -> np.ndarray:
    """Central finite differences (one-sided at a bound) with a wide step in log-parameter space."""
    f0 = fun(x)
    jac = np.zeros((len(f0), len(x)))
    for j in range(len(x)):
        up, down = x.copy(), x.copy()
        up[j], down[j] = min(x[j] + step, hi[j]), max(x[j] - step, lo[j])
        if up[j] == down[j]:
            continue
        jac[:, j] = (fun(up) - fun(down)) / (up[j] - down[j])
    return jac


def log_uncertainty(jac: np.ndarray, sse: float, noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors of the log-parameters and their correlation matrix, from the Gauss-Newton curvature.

    The error variance of one share is the fit's residual variance (`sse` over the degrees of
    freedom), but at least the mean of `noise` (the per-share variance the simulation and the data
    carry on their own). NaN where the curvature is singular.
    """
    n_obs, dim = jac.shape
    dof = n_obs - dim
    s2 = max(sse / dof if dof > 0 else 0.0, float(np.mean(noise)))
    if s2 <= 0:
        s2 = float("nan")
    try:
        cov = s2 * np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        cov = np.full((dim, dim), np.nan)
    ok = bool(np.all(np.isfinite(cov)) and np.all(np.diag(cov) >= 0))
    se_log = np.sqrt(np.diag(cov)) if ok else np.full(dim, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se_log, se_log) if ok else np.full((dim, dim), np.nan)
    return se_log, corr


def fmt_num(x: float | None, spec: str = ".4g") -> str:
    """A number for display ("–" for a missing one)."""
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def projection_frame(curve: Curve, abm: np.ndarray, sbg: np.ndarray, horizon: int) -> pd.DataFrame:
    """period, observed (NaN beyond the data), abm, sbg for periods 0 ... horizon."""
    observed = np.full(horizon + 1, np.nan)
    n = min(len(curve.shares), horizon + 1)
    observed[:n] = curve.shares[:n]
    return pd.DataFrame({"period": np.arange(horizon + 1), "observed": observed,
                         "abm": np.clip(abm[: horizon + 1], 0, 1), "sbg": np.clip(sbg[: horizon + 1], 0, 1)})


def band_frame(curve: Curve, curves: np.ndarray, sbg: np.ndarray, horizon: int, level: float = 0.9) -> pd.DataFrame:
    """projection_frame with the posterior predictive: `abm` the median of the simulated curves (one
    row per posterior draw), `abm_lo` and `abm_hi` the bounds of their central `level` band."""
    tail = 100 * (1 - level) / 2
    lo, mid, hi = np.percentile(curves[:, : horizon + 1], [tail, 50, 100 - tail], axis=0)
    frame = projection_frame(curve, mid, sbg, horizon)
    frame.insert(3, "abm_lo", np.clip(lo, 0, 1))
    frame.insert(4, "abm_hi", np.clip(hi, 0, 1))
    return frame


def format_table(frame: pd.DataFrame, fit_periods: int) -> str:
    """The projection next to the observed values, as terminal text."""
    band = "abm_lo" in frame
    lines = [f"{'period':>6}  {'observed':>8}  {'abm':>6}" + (f"  {'90% band':>13}" if band else "") + f"  {'sbg':>6}"]
    for row in frame.itertuples(index=False):
        obs = "" if np.isnan(row.observed) else f"{row.observed:.3f}"
        mark = "  fit" if row.period <= fit_periods and obs else ("  hold-out" if obs else "")
        extra = f"  {row.abm_lo:.3f}-{row.abm_hi:.3f}" if band else ""
        lines.append(f"{row.period:>6}  {obs:>8}  {row.abm:>6.3f}{extra}  {row.sbg:>6.3f}{mark}")
    return "\n".join(lines)


def fact_label(fact: int, key: str) -> str:
    """A pattern's fact number, or what it is when none of the eight: a retention curve's point or evidence."""
    return str(fact) if fact else "curve" if key.startswith("survival_") else "evidence"


def format_patterns(table: dict[str, dict[str, Any]], patterns) -> str:
    """Each pattern's mean and spread against its target, as terminal text."""
    lines = [f"{'fact':>4}  {'pattern':28s} {'target':>16} {'mean':>9} {'sd':>8} {'on target':>9}"]
    for key, row in table.items():
        target = target_text(*row["target"])
        lines.append(f"{fact_label(patterns[key].fact, key):>4}  {key:28s} {target:>16} {fmt_num(row['mean'], '.4f'):>9} "
                     f"{fmt_num(row['sd'], '.4f'):>8} {row['on_target']:>9.0%}")
    return "\n".join(lines)


def format_point(point: dict[str, Any]) -> str:
    """The preset's point as terminal text: which particle, and its fit beside the market's own values."""
    if "confirm" not in point:
        return "point: " + point["rule"]
    c = point["confirm"]
    n = len(point["seeds"]["confirm"])
    return (f"point: posterior particle {point['particle']} (weight {point['weight']:.3g}); distance on {n} held-out "
            f"seeds {c['point']['distance']:.2f}, the market's own values {c['market']['distance']:.2f}")


def format_posterior(parameters: dict[str, dict[str, Any]]) -> str:
    """Each parameter's posterior median and 90% interval beside its prior's, as terminal text."""
    lines = [f"{'parameter':34s} {'median':>9}  {'90% interval':>21}  {'prior 90%':>21}  identified"]
    for key, v in parameters.items():
        lines.append(f"{key:34s} {fmt_num(v['median']):>9}  "
                     f"{'[' + fmt_num(v['interval'][0]) + ', ' + fmt_num(v['interval'][1]) + ']':>21}  "
                     f"{'[' + fmt_num(v['prior_interval'][0]) + ', ' + fmt_num(v['prior_interval'][1]) + ']':>21}  "
                     f"{v['identified']} ({v['width_ratio']:.2f})")
    return "\n".join(lines)


def projection_figure(frame: pd.DataFrame, fit_periods: int, title: str) -> go.Figure:
    """The observed curve (fitted and held-out periods) with the model's and the sBG's projections."""
    fig = go.Figure()
    obs = frame.dropna(subset=["observed"])
    fitp, hold = obs[obs["period"] <= fit_periods], obs[obs["period"] > fit_periods]
    fig.add_trace(go.Scatter(x=fitp["period"], y=fitp["observed"], mode="markers", name="observed (fitted)",
                             marker=dict(color=COLORS["black"], size=9)))
    if len(hold):
        fig.add_trace(go.Scatter(x=hold["period"], y=hold["observed"], mode="markers", name="observed (hold-out)",
                                 marker=dict(color=COLORS["black"], size=9, symbol="circle-open")))
    if "abm_lo" in frame:
        fig.add_trace(go.Scatter(x=np.r_[frame["period"], frame["period"][::-1]],
                                 y=np.r_[frame["abm_hi"], frame["abm_lo"][::-1]], fill="toself", mode="none",
                                 fillcolor="rgba(31,119,180,0.18)", name="agent-based model, 90% predictive band"))
    fig.add_trace(go.Scatter(x=frame["period"], y=frame["abm"], mode="lines", name="agent-based model",
                             line=dict(color=COLORS["blue"], width=3)))
    fig.add_trace(go.Scatter(x=frame["period"], y=frame["sbg"], mode="lines", name="shifted-beta-geometric",
                             line=dict(color=COLORS["orange"], dash="dash", width=2)))
    fig.add_vline(x=fit_periods + 0.5, line_dash="dot", line_color=COLORS["grey"],
                  annotation_text="fit | projection", annotation_position="top")
    return style(fig, title, height=480, xaxis_title="period", yaxis_title="share of the cohort surviving",
                 yaxis_range=[0, 1.02])


def profile_figure(profile: Sequence[dict[str, float]], best: float | None, best_rmse: float | None) -> go.Figure:
    """The in-sample RMSE along the trust-sensitivity grid (the others refitted), with the fitted value."""
    fig = go.Figure(go.Scatter(x=[p["trust_sensitivity"] for p in profile], y=[p["rmse"] for p in profile],
                               mode="lines+markers", line=dict(color=COLORS["blue"])))
    if best:
        fig.add_trace(go.Scatter(x=[best], y=[best_rmse], mode="markers", name="fitted",
                                 marker=dict(color=COLORS["red"], size=11, symbol="x")))
    return style(fig, "How well the curve pins down the trust sensitivity", height=320, showlegend=False,
                 xaxis_type="log", xaxis_title="trust_sensitivity (the other parameters refitted at each point)",
                 yaxis_title="in-sample RMSE")


def _row(tag: str, cells: Sequence[str]) -> str:
    return "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Html:
    """A summary table of (escaped) text cells."""
    return Html('<table class="summary">' + _row("th", header) + "".join(_row("td", r) for r in rows) + "</table>")


def calibration_page(frame: pd.DataFrame, fit_periods: int, report: dict[str, Any], title: str) -> str:
    """calibration.html: the projection chart, the fitted parameters, the error and the profile."""
    rows = [[key, fmt_num(v["value"]), fmt_num(v["se"], ".3g"), f"[{fmt_num(v['ci95'][0])}, {fmt_num(v['ci95'][1])}]"]
            for key, v in report["abm"]["parameters"].items()]
    rows += [[f"sBG {key}", fmt_num(report["sbg"][key]["value"]), fmt_num(report["sbg"][key]["se"], ".3g"), ""]
             for key in ("alpha", "beta")]
    errors = [[model, fmt_num(report[model]["rmse"]["in_sample"], ".4f"), fmt_num(report[model]["rmse"]["hold_out"],
                                                                                  ".4f")] for model in ("abm", "sbg")]
    sections = [Section("", "", [projection_figure(frame, fit_periods, title)]),
                Section("Fitted parameters", "", [_table(("parameter", "value", "se", "95% CI"), rows)]),
                Section("Error (RMSE of the surviving share)", "",
                        [_table(("model", "in-sample", "hold-out"), errors)])]
    profile = report["abm"].get("profile") or []
    if profile:
        best = report["abm"]["parameters"].get("behaviour.trust_sensitivity", {}).get("value")
        sections.append(Section("Profile of the trust sensitivity", "A flat profile means the curve hardly tells "
                                "trust sensitivity and heterogeneity apart (docs/VALIDATION.md).",
                                [profile_figure(profile, best, report["abm"]["rmse"]["in_sample"])]))
    meta = (f"{report['setup']['label']}; data {report['data']['file']}; fitted on periods 0–{fit_periods} of "
            f"{report['data']['period_days']} days")
    return page(title, *sections, meta=meta)


def posterior_figure(parameters: dict[str, dict[str, Any]]) -> go.Figure:
    """Each parameter's posterior 90% interval and median against its prior's 90% interval, relative
    to the prior's centre on a log scale: a short bar is a parameter the patterns pin down."""
    keys = list(parameters)[::-1]
    fig = go.Figure()
    for row, key in enumerate(keys):
        v = parameters[key]
        centre = math.sqrt(v["prior_interval"][0] * v["prior_interval"][1])
        rel = [x / centre for x in (*v["prior_interval"], *v["interval"], v["median"])]
        fig.add_trace(go.Scatter(x=rel[:2], y=[row, row], mode="lines", line=dict(color=COLORS["grey"], width=10),
                                 showlegend=row == 0, name="prior 90%"))
        fig.add_trace(go.Scatter(x=rel[2:4], y=[row, row], mode="lines", line=dict(color=COLORS["blue"], width=5),
                                 showlegend=row == 0, name="posterior 90%"))
        fig.add_trace(go.Scatter(x=[rel[4]], y=[row], mode="markers", marker=dict(color=COLORS["red"], size=9),
                                 showlegend=row == 0, name="posterior median"))
    return style(fig, "What the patterns tell about each parameter", height=120 + 32 * len(keys),
                 xaxis_type="log", xaxis_title="value relative to the prior's centre (log scale)",
                 yaxis=dict(tickvals=list(range(len(keys))), ticktext=keys))


def target_text(lo: float, hi: float | None) -> str:
    """A target interval as text: [lo, hi], or >= lo when unbounded above (None in JSON)."""
    return f">= {lo:g}" if hi is None or not math.isfinite(hi) else f"[{lo:g}, {hi:g}]"


def abc_page(report: dict[str, Any], frame: pd.DataFrame | None, fit_periods: int, title: str) -> str:
    """calibration.html of a Bayesian calibration: posterior, patterns, and the projection if any."""
    params = report["parameters"]
    rows = [[k, fmt_num(v["median"]), f"[{fmt_num(v['interval'][0])}, {fmt_num(v['interval'][1])}]",
             f"[{fmt_num(v['prior_interval'][0])}, {fmt_num(v['prior_interval'][1])}]",
             f"{v['identified']} ({v['width_ratio']:.2f})"] for k, v in params.items()]
    pats = [[fact_label(v["fact"], k), k, target_text(*v["target"]),
             fmt_num(v["mean"], ".4f"), fmt_num(v["sd"], ".4f"), f"{v['on_target']:.0%}"]
            for k, v in report["patterns"].items()]
    sections = []
    if frame is not None:
        sections.append(Section("", "", [projection_figure(frame, fit_periods, title)]))
        errors = [[m, fmt_num(report[m]["rmse"]["in_sample"], ".4f"), fmt_num(report[m]["rmse"]["hold_out"], ".4f")]
                  for m in ("abm", "sbg")]
        sections.append(Section("Error (RMSE of the surviving share)", "", [_table(("model", "in-sample", "hold-out"),
                                                                                   errors)]))
    sections += [
        Section("Posterior", "Medians and 90% intervals; 'identified' compares the posterior interval's width "
                "with the prior's on the log scale (below 0.5: identified, below 0.8: weakly).",
                [posterior_figure(params), _table(("parameter", "median", "90% interval", "prior 90%",
                                                   "identified (width ratio)"), rows)]),
        Section("Patterns at the posterior", "Each target's statistic over the final particles (weighted) and the "
                "share of the posterior on target.",
                [_table(("fact", "pattern", "target", "mean", "sd", "on target"), pats)]),
    ]
    setup = report["setup"]
    meta = (f"ABC-SMC: {setup['simulations']} simulations in {setup['generations']} generations of "
            f"{setup['population']} particles; market={setup['market']} (focal firm alone), {setup['consumers']} "
            f"consumers; seed {setup['seed']}; tolerances {', '.join(f'{e:.3g}' for e in report['epsilons'])}")
    return page(title, *sections, meta=meta)
