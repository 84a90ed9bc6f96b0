"""What relsim-calibrate runs: one function a mode, each writing its files into the output directory.

- `calibrate_abc` (`--method abc`, the default): ABC-SMC (abc_smc.py) on the stylized-fact patterns and,
  with a retention curve, its fitted periods; the preset's point; the posterior's predictive projection
  of the curve beside the sBG's. Writes posterior.csv, projection.csv (with a curve), calibration.json
  and calibration.html (docs/VALIDATION.md §2).
- `calibrate_lsq` (`--method lsq`): simulated least squares of the churn parameters on the curve alone
  (least_squares.py), beside the sBG. Writes projection.csv, calibration.json and calibration.html.
- `measure_patterns` (`--patterns N`): the patterns on seeds 0..N-1 at the market's own values, their
  spread and whether on target. Writes patterns.json.
- `check_coverage` (`--coverage N`): N synthetic calibrations whose truth is drawn from the prior; how
  often each 90% interval holds the truth. Writes coverage.json.

Each takes the command's checked settings (`args`, experiments/commands/calibrate.py) and returns what
the command prints. `say` reports progress on the way (None: quiet).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.calibration import Curve, abc_page, band_frame, calibration_page, projection_frame, rmse
from relsim.analysis.io import json_safe, write_text_atomic
from relsim.analysis.sbg import SBGFit, fit_sbg

from . import abc_smc
from .battery import Battery, make_battery, measure, simulate_curve
from .curve import curve_patterns
from .least_squares import ABMFit, fit_abm, make_setup, simulate
from .patterns import Pattern, summarize
from .preset import preset_text
from .space import PARAMS

__all__ = ["Calibrated", "calibrate_abc", "calibrate_lsq", "check_coverage", "measure_patterns"]

Say = Callable[[str], None] | None


@dataclasses.dataclass
class Calibrated:
    """A calibration's outcome, as the command prints it."""

    report: dict[str, Any]  # calibration.json
    frame: pd.DataFrame | None  # projection.csv: the curve observed and projected (None without a curve)
    fit_periods: int  # K: the curve's periods 1 ... K were fitted
    sbg: SBGFit | None = None  # the shifted-beta-geometric baseline (with a curve)
    targets: dict[str, Pattern] = dataclasses.field(default_factory=dict)  # abc: what was fitted
    fit: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # abc: the posterior on each target
    cal: abc_smc.Calibration | None = None  # abc: the posterior


def battery_of(args: argparse.Namespace, curve_days: Sequence[int] = (), facts: bool = True) -> Battery:
    """The pattern battery in the command's calibration market (--market, --consumers, market.* overrides)."""
    return make_battery(args.consumers, market=args.market, overrides=args.overrides, curve_days=curve_days,
                        facts=facts)


# --------------------------------------------------------------------------- the patterns' spread, the coverage

def measure_patterns(args: argparse.Namespace, out: Path, say: Say = None
                     ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Measure the patterns on seeds 0..N-1 at the market's own values: their spread and whether on target.
    Returns the report (patterns.json) and the patterns' table (patterns.summarize)."""
    battery = battery_of(args)
    draws = []
    for seed in range(args.patterns):
        draws.append(measure(battery, {}, seed))
        if say:
            say(f"battery {seed + 1}/{args.patterns}")
    table = summarize(draws)
    report = json_safe({"market": args.market, "overrides": list(args.overrides), "consumers": args.consumers,
                        "seeds": args.patterns, "patterns": table,
                        "values": {k: PARAMS[k].get(battery.market) for k in PARAMS}})
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "patterns.json", json.dumps(report, indent=2) + "\n")
    return report, table


def check_coverage(args: argparse.Namespace, params: tuple[str, ...], workers: int, out: Path, started: float,
                   say: Say = None) -> dict[str, Any]:
    """Expected coverage of the 90% intervals on synthetic pattern data (abc_smc.coverage)."""
    def progress(i: int, hits: dict[str, bool]) -> None:
        if say:
            say(f"synthetic calibration {i}/{args.coverage}: truth inside for {sum(hits.values())}/{len(hits)}")

    _, scales = abc_smc.targets_of(abc_smc.default_targets(consumers=args.consumers))
    result = abc_smc.coverage(abc_smc.pattern_model(battery_of(args), params), params, scales, args.coverage,
                              seed=args.seed, population=args.population, generations=args.generations,
                              budget=args.budget, workers=workers, dask=args.dask, progress=progress)
    result["setup"] = {"consumers": args.consumers, "population": args.population, "generations": args.generations,
                       "budget": args.budget, "seed": args.seed, "params": list(params)}
    result["wall_seconds"] = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "coverage.json", json.dumps(json_safe(result), indent=2) + "\n")
    return result


# --------------------------------------------------------------------------- Bayesian: ABC-SMC on the patterns

ABC_METHOD = ("ABC-SMC (pyabc): log-uniform priors, distance = Euclidean norm of the patterns' misses in tolerances, "
              "tolerance schedule = median of the previous generation's distances, seeded tasks "
              "(experiments/inference/abc_smc.py)")


def calibrate_abc(args: argparse.Namespace, curve: Curve | None, period_days: int, horizon: tuple[int, int],
                  params: tuple[str, ...], workers: int, out: Path, preset_path: Path | None, started: float,
                  say: Say = None) -> Calibrated:
    """ABC-SMC on the stylized-fact patterns (and the curve's fitted periods K of `horizon` = (K, H)), the
    preset's point, then the posterior's predictive projection of the curve to period H beside the sBG's."""
    k, h = horizon
    facts = args.targets == "all"
    extra = curve_patterns(curve, period_days, k, args.consumers) if curve is not None else {}
    battery = battery_of(args, [j * period_days for j in range(1, k + 1)], facts)
    targets = abc_smc.default_targets(extra, args.consumers) if facts else extra
    observed, scales = abc_smc.targets_of(targets)
    if say:
        say(f"ABC-SMC, {len(params)} parameters, {len(targets)} targets, {args.population} particles, "
            f"budget {args.budget} simulations, {workers} worker(s)" + (f" on Dask {args.dask}" if args.dask else ""))
    cal = abc_smc.calibrate(abc_smc.pattern_model(battery, params), params, observed, scales,
                            population=args.population, generations=args.generations, budget=args.budget,
                            seed=args.seed, workers=workers, dask=args.dask, verbose=say is not None)
    fit = abc_smc.pattern_fit(cal, targets)
    point, curves = _point_and_projection(args, battery, cal, targets, curve, period_days, h, workers, say)
    report: dict[str, Any] = {
        "method": ABC_METHOD,
        "setup": {"targets": args.targets, "market": args.market, "overrides": list(args.overrides),
                  "consumers": args.consumers,
                  "population": args.population, "generations": cal.generations, "budget": args.budget,
                  "simulations": cal.simulations, "seed": args.seed, "workers": workers, "dask": args.dask,
                  "effective_sample_size": cal.ess},
        "epsilons": cal.epsilons,
        "parameters": abc_smc.posterior_summary(cal),
        "patterns": fit,
        "point": point,
        "preset": str(preset_path) if preset_path else None,
    }
    frame = sbg = None
    if curve is not None:
        sbg = fit_sbg(curve.shares[: k + 1], cohort_size=curve.cohort_size)
        frame = band_frame(curve, np.array(curves), sbg.survival(h), h)
        hold_range = range(k + 1, curve.last_period + 1)
        inside = [bool(r.abm_lo - 1e-12 <= r.observed <= r.abm_hi + 1e-12)
                  for r in frame.itertuples() if r.period in hold_range]
        report["data"] = _data(curve, period_days, k, h)
        report["abm"] = {"rmse": _rmse(frame["abm"].to_numpy(), curve, k),
                         "band": "5-95% of the posterior predictive (draws x seeds)",
                         "hold_out_inside_band": (sum(inside) / len(inside)) if inside else None}
        report["sbg"] = {"alpha": {"value": sbg.alpha, "se": sbg.alpha_se},
                         "beta": {"value": sbg.beta, "se": sbg.beta_se},
                         "rmse": _rmse(sbg.survival(h), curve, k)}
    report["wall_seconds"] = time.perf_counter() - started
    result = Calibrated(json_safe(report), frame, k, sbg, targets, fit, cal)
    _write_abc(args, result, point["values"], curve, battery, period_days, out, preset_path)
    return result


def _point_and_projection(args: argparse.Namespace, battery: Battery, cal: abc_smc.Calibration,
                          targets: dict[str, Pattern], curve: Curve | None, period_days: int, horizon: int,
                          workers: int, say: Say) -> tuple[dict[str, Any], list | None]:
    """The preset's point (--point) and, with a curve, the posterior's draws of it to period `horizon`, on one
    pool (or cluster) of workers."""
    point = {"rule": "each parameter's posterior median", "values": cal.values()}
    curves = None
    if args.point == "best" and say:
        say(f"choosing the best-fitting particle on {args.point_seeds} held-out seeds a stage")
    if args.point == "best" or curve is not None:
        with abc_smc.mapper(workers, args.dask) as map_:
            if args.point == "best":
                point = {"rule": "the particle that fits the targets best on held-out seeds "
                                 "(experiments/inference/abc_smc.best_point)",
                         **abc_smc.best_point(functools.partial(abc_smc.measure_task, battery), cal, targets,
                                              seeds=args.point_seeds, seed=args.seed, map_=map_)}
            if curve is not None:
                draws = cal.draws(args.draws, seed=args.seed)
                curves = list(map_(functools.partial(simulate_curve, battery, period_days, horizon),
                                   [(d, 10_000 + j) for j, d in enumerate(draws)]))
    return point, curves


def _write_abc(args: argparse.Namespace, result: Calibrated, values: dict[str, float], curve: Curve | None,
               battery: Battery, period_days: int, out: Path, preset_path: Path | None) -> None:
    """posterior.csv, projection.csv (with a curve), calibration.json and .html; the preset (at `values`) and its
    posterior."""
    cal, k, facts = result.cal, result.fit_periods, args.targets == "all"
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "posterior.csv", pd.DataFrame(
        {**{key: 10.0 ** cal.particles[:, i] for i, key in enumerate(cal.keys)}, "weight": cal.weights}
    ).to_csv(index=False, float_format="%.6g"))
    title = ("Calibration to the stylized facts" if curve is None else f"Calibration to {Path(curve.source).name}"
             + " and the stylized facts" * facts)
    _write_fit(out, result, abc_page(result.report, result.frame, k, title))
    if preset_path:
        write_text_atomic(preset_path, preset_text(args.write_preset, values, battery.market, args.overrides, curve,
                                                   k, args.market, period_days=period_days, method="abc",
                                                   facts=facts, point=args.point))
        write_text_atomic(preset_path.with_name(f"{args.write_preset}.posterior.csv"),
                          (out / "posterior.csv").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- simulated least squares on the curve

LSQ_METHOD = ("simulated least squares with common random numbers (fixed seeds; churn propensities as quantiles of "
              "fixed uniforms); trust_sensitivity profiled on a grid with Nelder-Mead for the others, then "
              "Nelder-Mead over all; uncertainty from the Gauss-Newton curvature at the optimum")


def calibrate_lsq(args: argparse.Namespace, curve: Curve, period_days: int, horizon: tuple[int, int],
                  params: tuple[str, ...], out: Path, preset_path: Path | None,
                  progress: Callable[[int, float], None] | None = None) -> Calibrated:
    """Simulated least squares on the curve's periods 1 ... K of `horizon` = (K, H), projected to period H,
    with the sBG baseline."""
    k, h = horizon
    setup = make_setup(market=args.market, strategy=args.strategy, consumers=args.consumers, seeds=args.seeds,
                       period_days=period_days, params=params, overrides=args.overrides)
    sbg = fit_sbg(curve.shares[: k + 1], cohort_size=curve.cohort_size)
    sbg_curve = sbg.survival(h)
    abm: ABMFit = fit_abm(curve, setup, k, max_evals=args.max_evals, progress=progress)
    abm_curve = simulate(setup, abm.values, h)
    frame = projection_frame(curve, abm_curve, sbg_curve, h)
    report = {
        "data": _data(curve, period_days, k, h),
        "setup": {"label": setup.label, "market": args.market, "strategy": args.strategy,
                  "consumers": args.consumers, "seeds": list(setup.seeds), "overrides": list(args.overrides)},
        "abm": {
            "parameters": {key: {"value": abm.values[key], "se": abm.se[key], "ci95": list(abm.ci[key]),
                                 "bounds": [PARAMS[key].lo, PARAMS[key].hi], "meaning": PARAMS[key].doc}
                           for key in params},
            "correlation": abm.correlation,
            "method": LSQ_METHOD,
            "evaluations": abm.evaluations, "optimizer": abm.message, "profile": abm.profile,
            "rmse": _rmse(abm_curve, curve, k),
        },
        "sbg": {
            "alpha": {"value": sbg.alpha, "se": sbg.alpha_se}, "beta": {"value": sbg.beta, "se": sbg.beta_se},
            "method": "maximum likelihood (Fader & Hardie 2007)" + (
                "" if curve.cohort_size else "; shares taken as a cohort of 1000 for the standard errors"),
            "rmse": _rmse(sbg_curve, curve, k),
        },
        "preset": str(preset_path) if preset_path else None,
    }
    result = Calibrated(json_safe(report), frame, k, sbg)
    out.mkdir(parents=True, exist_ok=True)
    _write_fit(out, result, calibration_page(frame, k, result.report, f"Calibration to {Path(curve.source).name}"))
    if preset_path:
        write_text_atomic(preset_path, preset_text(args.write_preset, abm.values, setup.market, args.overrides, curve,
                                                   k, args.market, period_days=period_days, strategy=args.strategy))
    return result


# --------------------------------------------------------------------------- shared by both methods

def _data(curve: Curve, period_days: int, k: int, h: int) -> dict[str, Any]:
    """calibration.json's `data`: the curve's file, length, periods fitted and projected."""
    return {"file": curve.source, "periods": curve.last_period + 1, "period_days": period_days,
            "cohort_size": curve.cohort_size, "fit_periods": k, "horizon": h}


def _rmse(projected: np.ndarray, curve: Curve, k: int) -> dict[str, float]:
    """A projection's error on the fitted periods 1 ... k and on the hold-out periods after them."""
    return {"in_sample": rmse(projected, curve.shares, range(1, k + 1)),
            "hold_out": rmse(projected, curve.shares, range(k + 1, curve.last_period + 1))}


def _write_fit(out: Path, result: Calibrated, page: str) -> None:
    """projection.csv (with a curve), calibration.json and calibration.html."""
    if result.frame is not None:
        write_text_atomic(out / "projection.csv", result.frame.to_csv(index=False, float_format="%.6f", na_rep=""))
    write_text_atomic(out / "calibration.json", json.dumps(result.report, indent=2) + "\n")
    write_text_atomic(out / "calibration.html", page)
