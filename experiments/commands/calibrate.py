"""relsim-calibrate: fit the consumers' churn behaviour to an observed cohort retention curve.

    relsim-calibrate DATA.csv --period-days 365 --fit-periods K --horizon H --out DIR
    relsim-calibrate DATA.csv --period-days 30 --fit-periods 12 --horizon 36 --out DIR --write-preset telco
    relsim-calibrate DATA.csv ... market.behaviour.memory_days=90      # any market.* override
    relsim-calibrate DATA.csv --period-days 365 --targets curve --out DIR  # the curve alone, no facts
    relsim-calibrate --out DIR --write-preset calibrated                 # the stylized facts alone

DATA.csv has columns `period` (0, 1, 2, ... consecutive) and `surviving`: the survivors of one
cohort at the start of each period, as counts or as shares of period 0 (in [0, 1]). The model is
fitted on periods 0 ... K and projects to period H; periods after K that the file has are the
hold-out.

The model (docs/ODD.md) runs in a calibration market (default: `market=monopoly`, the focal firm
playing `middle`); its "observed" curve is the share of the focal firm's day-0 cohort still there
after t x period-days days (retention.parquet).

`--method abc` (the default; experiments/inference/abc_smc.py, docs/VALIDATION.md §2) is Bayesian: ABC-SMC
(pyabc) over log-uniform priors of the twelve weights of experiments/inference/space.PARAMS, fitted jointly
to the stylized-fact patterns and the curve's periods 1 ... K (`--targets all`), or to the curve
alone (`--targets curve`, by default on the three churn parameters, one run per simulation). It
writes the posterior (posterior.csv) and projects the curve with a 90% posterior predictive band.
The preset's point (`--point best`) is the posterior particle that fits the targets best on seeds the
calibration never saw, compared there with the market's own values (abc_smc.best_point); `--point median`
takes each parameter's posterior median instead.

`--method lsq` fits the three churn parameters (base_churn, the sd of the churn propensity,
trust_sensitivity; `--params` fits a subset; 2,000 consumers, seeds 0 and 1) to the curve alone by
simulated least squares with common random numbers (experiments/inference/least_squares.py).

Either way, the shifted-beta-geometric model (Fader & Hardie 2007, analysis/sbg.py) is fitted by
maximum likelihood on the same periods as the baseline.

Writes DIR/projection.csv (period, observed, abm, sbg), DIR/calibration.json and DIR/calibration.html.
This command checks its arguments, calls experiments/inference/modes.py (which runs the model and the
search and writes the files) and prints the result; the curve, error and uncertainty maths and the
page are in analysis/calibration.py.
`--write-preset NAME` also writes configs/market/NAME.yaml, so that `relsim market=NAME ...` runs any
experiment on the calibrated consumers. Bad input gets one line naming the key, the value and what
is allowed, exit code 2, and no output.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relsim.analysis.calibration import Curve, fmt_num, format_patterns, format_point, format_posterior, format_table
from relsim.params import ConfigError, allowed_names

from ..inference import modes
from ..inference.curve import read_curve
from ..inference.least_squares import DEFAULT_PARAMS, check_overrides
from ..inference.patterns import PATTERNS
from ..inference.preset import check_preset_name
from ..inference.space import CHURN_PARAMS, PARAMS
from ..plumbing.checks import NAME, check_writable_dir, int_in, output_dir, output_file, write_failed
from ..plumbing.config import CONFIG_DIR, options
from .cli import Parser, fail, no_code_from_here, require, summary

PROG = "relsim-calibrate"
MAX_DAYS = 36500
#: abc's default simulation budget per --targets: a curve-only simulation is one plain run, about a sixth of
#: the battery's cost, and at the facts' budget its tolerance is still falling by a third a generation
BUDGET = {"all": 1300, "curve": 4000}


# --------------------------------------------------------------------------- parse

def _parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=summary(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="?", default=None,
                   help="CSV with columns period (0, 1, ...) and surviving (counts or shares); optional with "
                        "--method abc (then only the stylized-fact patterns are fitted)")
    p.add_argument("--period-days", type=int, default=None, help="days in one period, e.g. 365 or 30 (with data)")
    p.add_argument("--fit-periods", type=int, default=None, help="K: fit on periods 0..K (default: all)")
    p.add_argument("--horizon", type=int, default=None,
                   help="H: project to period H (default: the data's last, at least K)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--method", choices=("abc", "lsq"), default="abc",
                   help="abc: Bayesian, ABC-SMC on the stylized-fact patterns (+ the curve); lsq: simulated least "
                        "squares on the curve alone (default abc)")
    p.add_argument("--targets", choices=("all", "curve"), default="all",
                   help="abc: all = the stylized-fact patterns and, with DATA.csv, the curve's fitted periods; "
                        "curve = the curve alone, from one run per simulation (needs DATA.csv; default all)")
    p.add_argument("--market", default="monopoly", help="market preset to calibrate in (default monopoly)")
    p.add_argument("--strategy", default="middle", help="lsq: strategy the focal firm plays (default middle)")
    p.add_argument("--consumers", type=int, default=None,
                   help="consumers per simulation (default 1500 with abc, 2000 with lsq)")
    p.add_argument("--seeds", type=int, default=2, help="lsq: seeds per evaluation, 0..n-1 (default 2)")
    p.add_argument("--params", default=None,
                   help="comma-separated parameters to fit (default: abc all " f"{len(PARAMS)}, lsq the three churn "
                        "parameters); allowed: " + ", ".join(PARAMS))
    p.add_argument("--max-evals", type=int, default=100, help="lsq: simulation budget of the fit (default 100)")
    p.add_argument("--population", type=int, default=100, help="abc: particles per generation (default 100)")
    p.add_argument("--generations", type=int, default=10, help="abc: at most this many generations (default 10)")
    p.add_argument("--budget", type=int, default=None,
                   help="abc: stop after the generation in which this many simulations were spent (default "
                        f"{BUDGET['all']}; {BUDGET['curve']} with --targets curve, one plain run a simulation)")
    p.add_argument("--draws", type=int, default=20,
                   help="abc: posterior draws for the projection's predictive band (default 20)")
    p.add_argument("--seed", type=int, default=0, help="abc: the calibration's seed (default 0)")
    p.add_argument("--workers", type=int, default=None, help="abc: processes (default: all cores)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="abc: run the simulations on a Dask cluster (a scheduler address, or 'local')")
    p.add_argument("--patterns", type=int, default=None, metavar="N",
                   help="fit nothing: measure the patterns on seeds 0..N-1 at the market's values "
                        "(seed-to-seed spread and targets)")
    p.add_argument("--coverage", type=int, default=None, metavar="N",
                   help="check the inference instead: N synthetic calibrations whose truth is drawn from the prior; "
                        "writes coverage.json (how often each 90%% interval holds the truth)")
    p.add_argument("--point", choices=("best", "median"), default="best",
                   help="abc: the preset's values: best = the posterior particle that fits the targets best on seeds "
                        "the calibration never saw (calibration.json: point); median = each parameter's posterior "
                        "median (default best)")
    p.add_argument("--point-seeds", type=int, default=8, metavar="N",
                   help="abc, --point best: seeds per stage of the choice (every particle on N/2, the ten best on N, "
                        "the chosen one and the market's own values on N more; default 8)")
    p.add_argument("--write-preset", metavar="NAME", default=None, help="also write configs/market/NAME.yaml")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("overrides", nargs="*",
                   help="market.* overrides of the calibration market, e.g. market.behaviour.memory_days=90")
    return p


def _params(args: argparse.Namespace) -> tuple[str, ...]:
    if args.params is None:
        return tuple(PARAMS) if args.method == "abc" and args.targets == "all" else DEFAULT_PARAMS
    params = tuple(p.strip() for p in args.params.split(",") if p.strip())
    for p in params:
        if p not in PARAMS:
            raise ConfigError(f"--params: unknown parameter {p!r}{allowed_names(p, PARAMS)}")
    if not params or len(set(params)) != len(params):
        raise ConfigError(f"--params={args.params!r}: expected distinct names from {', '.join(PARAMS)}")
    if args.method == "lsq" and set(params) - set(CHURN_PARAMS):
        raise ConfigError(f"--params={args.params!r}: --method lsq fits only {', '.join(CHURN_PARAMS)}")
    return params


def _horizon(args: argparse.Namespace, curve: Curve, period_days: int, n_params: int) -> tuple[int, int]:
    """K and H, checked against the data."""
    last = curve.last_period
    k = args.fit_periods if args.fit_periods is not None else last
    k_lo = max(2, n_params)
    if k_lo > last:
        raise ConfigError(f"--params: fitting {n_params} parameters needs periods 0-{k_lo} at least; the data "
                          f"have 0-{last} (fit fewer --params)")
    int_in(k, "--fit-periods", k_lo, last, f" (periods in the data: 0-{last}; fitting {n_params} "
            f"parameter(s) needs at least {k_lo})")
    h = args.horizon if args.horizon is not None else max(last, k)
    int_in(h, "--horizon", k, MAX_DAYS // period_days, f" (from --fit-periods to {MAX_DAYS} days)")
    return k, h


def _workers(args: argparse.Namespace) -> int:
    """--workers, by default one per core."""
    import os

    return int_in(args.workers if args.workers is not None else (os.cpu_count() or 1), "--workers", 1, 1024)


def run(args: argparse.Namespace, preset_dir: Path | None = None) -> dict[str, Any]:
    """Check everything, calibrate, write the outputs and print them; returns the calibration report."""
    started = time.perf_counter()
    if args.data is None and args.method == "lsq":
        raise ConfigError("data: --method lsq needs a retention curve (DATA.csv)")
    if args.data is None and args.targets == "curve" and args.patterns is None and args.coverage is None:
        raise ConfigError("data: --targets curve needs a retention curve (DATA.csv)")
    curve = read_curve(args.data) if args.data is not None else None
    if curve is not None and args.period_days is None:
        raise ConfigError("--period-days: required with a retention curve (e.g. 365 or 30)")
    period_days = int_in(args.period_days, "--period-days", 1, MAX_DAYS) if curve is not None else 365
    params = _params(args)
    if args.consumers is None:
        args.consumers = 1500 if args.method == "abc" else 2000
    int_in(args.consumers, "--consumers", 50, 1_000_000)
    int_in(args.seed, "--seed", 0, 2**32 - 1)
    if args.budget is None:
        args.budget = BUDGET[args.targets]
    for key, name in (("--market", args.market), ("--strategy", args.strategy)):
        if not NAME.fullmatch(name):
            raise ConfigError(f"{key}={name!r}: not an option name (letters, digits, _ and -)")
    if args.market not in options("market"):
        raise ConfigError(f"--market={args.market}: unknown option{allowed_names(args.market, options('market'))}")
    directory = preset_dir or CONFIG_DIR / "market"
    preset_path = check_preset_name(args.write_preset, directory) if args.write_preset is not None else None
    check_overrides(args.overrides)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out={args.out!r}: exists and is not a directory")
    output_dir(out, "--out")
    if preset_path is not None:
        output_file(preset_path, "--write-preset")
    if args.method == "abc" and args.patterns is None:  # ABC-SMC (and its coverage check) runs on pyabc
        require(PROG, "calibrate", "relsim-calibrate --method abc")
    if args.dask is not None:
        require(PROG, "calibrate", f"--dask {args.dask}")
        from ..inference.abc_smc import check_dask  # pyabc: the calibrate part's

        check_dask(args.dask)
    say = None if args.quiet else _say
    if args.patterns is not None:
        return _patterns(args, out, started, say)
    if args.coverage is not None:
        return _coverage(args, params, out, started, say)
    if args.method == "lsq":
        return _lsq(args, curve, period_days, params, out, preset_path, started)
    return _abc(args, curve, period_days, params, out, preset_path, started, say)


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- call, print

def _patterns(args: argparse.Namespace, out: Path, started: float, say) -> dict[str, Any]:
    """--patterns N: the patterns' spread at the market's own values."""
    int_in(args.patterns, "--patterns", 2, 1000)
    report, table = modes.measure_patterns(args, out, say)
    print(format_patterns(table, PATTERNS))
    print(f"wrote {out / 'patterns.json'} in {time.perf_counter() - started:.1f} s")
    return report


def _coverage(args: argparse.Namespace, params: tuple[str, ...], out: Path, started: float, say) -> dict[str, Any]:
    """--coverage N: how often the 90% intervals of synthetic calibrations hold their truth."""
    int_in(args.coverage, "--coverage", 1, 10_000)
    result = modes.check_coverage(args, params, _workers(args), out, started, say)
    for key, share in result["coverage"].items():
        print(f"{key:34s} 90% interval held the truth in {share:.0%} of {args.coverage}")
    pooled = float(np.mean([v for h in result["hits"] for v in h.values()]))
    print(f"{'all parameters':34s} {pooled:.0%}; wrote {out / 'coverage.json'} in {result['wall_seconds']:.0f} s")
    return result


def _abc(args: argparse.Namespace, curve: Curve | None, period_days: int, params: tuple[str, ...], out: Path,
         preset_path: Path | None, started: float, say) -> dict[str, Any]:
    """--method abc: ABC-SMC on the patterns (and the curve)."""
    for key, value, lo, hi in (("--population", args.population, 10, 100_000), ("--generations", args.generations,
                               1, 100), ("--budget", args.budget, 10, 10_000_000), ("--draws", args.draws, 2, 10_000),
                               ("--point-seeds", args.point_seeds, 2, 1000)):
        int_in(value, key, lo, hi)
    workers = _workers(args)
    horizon = _horizon(args, curve, period_days, 2) if curve is not None else (0, 0)
    fit = modes.calibrate_abc(args, curve, period_days, horizon, params, workers, out, preset_path, started, say)
    if fit.frame is not None:
        print(format_table(fit.frame, fit.fit_periods))
        print()
    print(format_posterior(fit.report["parameters"]))
    print()
    print(format_patterns(fit.fit, fit.targets))
    print(format_point(fit.report["point"]))
    _print_rmse(fit)
    _print_preset(args, preset_path)
    cal = fit.cal
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s ({cal.simulations} simulations, "
          f"{cal.generations} generations, effective sample size {cal.ess:.0f} of {len(cal.weights)})")
    return fit.report


def _lsq(args: argparse.Namespace, curve: Curve, period_days: int, params: tuple[str, ...], out: Path,
         preset_path: Path | None, started: float) -> dict[str, Any]:
    """--method lsq: simulated least squares on the curve alone, with a progress line."""
    horizon = _horizon(args, curve, period_days, len(params))
    int_in(args.seeds, "--seeds", 1, 100)
    int_in(args.max_evals, "--max-evals", 1, 100_000)
    tty = sys.stderr.isatty()

    def progress(n: int, sse: float) -> None:
        if args.quiet:
            return
        line = f"{PROG}: simulation {n} (budget about {args.max_evals}), RMSE {math.sqrt(sse / horizon[0]):.4f}"
        if tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif n % 10 == 0:
            print(line, file=sys.stderr, flush=True)

    fit = modes.calibrate_lsq(args, curve, period_days, horizon, params, out, preset_path, progress)
    if not args.quiet and tty:
        print(file=sys.stderr)
    print(format_table(fit.frame, fit.fit_periods))
    print()
    for key in params:
        v = fit.report["abm"]["parameters"][key]
        print(f"{key:32s} {fmt_num(v['value']):>10}  ± {fmt_num(v['se'], '.3g')}  "
              f"(95% CI {fmt_num(v['ci95'][0])} – {fmt_num(v['ci95'][1])})")
    sbg = fit.sbg
    print(f"{'sBG alpha, beta':32s} {fmt_num(sbg.alpha):>10}  ± {fmt_num(sbg.alpha_se, '.3g')}   "
          f"{fmt_num(sbg.beta)} ± {fmt_num(sbg.beta_se, '.3g')}")
    _print_rmse(fit)
    _print_preset(args, preset_path)
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return fit.report


def _print_rmse(fit: modes.Calibrated) -> None:
    """The model's and the sBG's error in and out of sample (with a curve)."""
    if fit.frame is None:
        return
    for model in ("abm", "sbg"):
        r = fit.report[model]["rmse"]
        print(f"RMSE {model:4s} in-sample {fmt_num(r['in_sample'], '.4f')}   hold-out {fmt_num(r['hold_out'], '.4f')}")


def _print_preset(args: argparse.Namespace, preset_path: Path | None) -> None:
    if preset_path:
        print(f"wrote preset {preset_path} (use: relsim market={args.write_preset} ...)")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point. A write that fails (a full disk, a read-only file system) is one line, and what this
    run had made (its --out folder, its preset) is removed."""
    no_code_from_here()
    args = _parser().parse_intermixed_args(argv)
    out = Path(args.out)
    try:
        check_writable_dir(out, "--out")  # before anything is made: a name the file system takes, a place to make it
    except ConfigError as exc:
        fail(PROG, str(exc))
    made = [] if out.exists() else [out]
    if args.write_preset is not None and NAME.fullmatch(args.write_preset):
        preset = CONFIG_DIR / "market" / f"{args.write_preset}.yaml"
        made += [p for p in (preset, preset.with_name(f"{args.write_preset}.posterior.csv")) if not p.exists()]
    try:
        run(args)
    except ConfigError as exc:
        fail(PROG, str(exc))
    except OSError as exc:
        _remove(made)
        fail(PROG, write_failed(exc))


def _remove(paths: list[Path]) -> None:
    import shutil

    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() and NAME.fullmatch(path.stem.split(".")[0]):
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
