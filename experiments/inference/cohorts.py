"""A posterior's predictive check on real cohorts: does the model, at posterior draws, keep customers as real cohorts do?

    python -m relsim.experiments.inference.cohorts --posterior docs/calibration/npe/posterior.csv --draws 100 \\
        --curves docs/calibration/fader_hardie_regular.csv docs/calibration/fader_hardie_highend.csv \\
        --workers 2 --out docs/calibration/npe

Issue 32 asks for posterior predictive checks on the Fader & Hardie (2007) cohorts beside the stylized-fact
patterns. The posterior of the behavioural weights was fitted to the patterns only, so each cohort is data it
never saw. For each curve (a DATA.csv of `relsim-calibrate`: period, surviving), the pattern battery's market
(monopoly, the focal firm playing middle, 1,500 consumers: the store's) is run at `draws` posterior draws (one seed
each, a stream of its own) for as many periods of `period_days` as the curve has, and the day-0 cohort's
surviving share is read at each period (battery.simulate_curve). Reported per period: the observed share, the
predictive median and 90% band, and whether the band holds the observation; and the root mean squared error of the
predictive median over every period and over the hold-out periods after `fit_periods`, beside the shifted-beta-
geometric model (analysis/sbg.py) fitted to periods 0 ... `fit_periods` of the same curve, as relsim-calibrate
compares them. The sBG sees the curve's first periods and the posterior none, so the comparison favours the sBG.

Writes DIR/cohorts.json and prints one table per curve. Bad input is one line, exit code 2, and nothing written.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relsim.analysis.io import json_safe, write_text_atomic
from relsim.params import ConfigError

__all__ = ["COHORT_STREAM", "cohort_check", "main"]

PROG = "relsim-cohorts"
#: Keeps the cohort check's battery seeds apart from the store's, the predictive check's and the recovery's.
COHORT_STREAM = 4545


def cohort_check(curve, draws: Sequence[Mapping[str, float]], *, period_days: int = 365, fit_periods: int = 4,
                 consumers: int = 1500, market: str = "monopoly", workers: int = 1, seed: int = 0) -> dict[str, Any]:
    """The predictive median, 90% band and errors of the model at `draws` against one observed `curve` (see the
    module docstring)."""
    from relsim.analysis.calibration import rmse
    from relsim.analysis.sbg import fit_sbg

    from . import abc_smc
    from .battery import make_battery, simulate_curve
    from .store import SEED_SPACE

    battery = make_battery(consumers, market=market)
    last = curve.last_period
    rng = np.random.default_rng([seed, COHORT_STREAM])
    tasks = [(dict(d), int(rng.integers(SEED_SPACE))) for d in draws]
    with abc_smc.mapper(workers) as map_:
        curves = np.array(list(map_(functools.partial(simulate_curve, battery, period_days, last), tasks)))
    observed = np.asarray(curve.shares, dtype=float)
    median = np.median(curves, axis=0)
    lo, hi = np.quantile(curves, 0.05, axis=0), np.quantile(curves, 0.95, axis=0)
    inside = (lo <= observed) & (observed <= hi)
    k = min(fit_periods, last - 1)
    sbg = fit_sbg(observed[:k + 1], curve.cohort_size).survival(last)
    return {"source": curve.source, "periods": last, "period_days": period_days, "draws": len(draws),
            "observed": observed.tolist(), "median": median.tolist(), "band_90": [lo.tolist(), hi.tolist()],
            "covered": int(inside[1:].sum()), "fit_periods": k, "sbg": sbg.tolist(),
            "rmse": {"posterior_all": rmse(median, observed, range(1, last + 1)),
                     "posterior_hold_out": rmse(median, observed, range(k + 1, last + 1)),
                     "sbg_hold_out": rmse(sbg, observed, range(k + 1, last + 1))}}


def _print(result: Mapping[str, Any]) -> None:
    print(f"{Path(result['source']).name}: {result['draws']} posterior draws; band holds {result['covered']} of "
          f"{result['periods']} periods")
    print(f"{'period':>6} {'observed':>9} {'median':>7} {'90% band':>15}")
    for t in range(result["periods"] + 1):
        lo, hi = result["band_90"][0][t], result["band_90"][1][t]
        print(f"{t:>6} {result['observed'][t]:>9.3f} {result['median'][t]:>7.3f} {f'{lo:.3f}-{hi:.3f}':>15}")
    e = result["rmse"]
    print(f"RMSE: posterior median {e['posterior_all']:.4f} (all periods), {e['posterior_hold_out']:.4f} (periods "
          f"after {result['fit_periods']}); sBG fitted to periods 0-{result['fit_periods']}: {e['sbg_hold_out']:.4f}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    from ..commands.cli import Parser, fail, no_code_from_here

    no_code_from_here()
    p = Parser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--posterior", type=Path, required=True, help="a posterior.csv (relsim-calibrate or the NPE)")
    p.add_argument("--curves", type=Path, nargs="+", required=True, help="cohort curves (period, surviving)")
    p.add_argument("--draws", type=int, default=100, help="posterior draws, one battery each (default 100)")
    p.add_argument("--period-days", type=int, default=365, help="days per period of the curves (default 365)")
    p.add_argument("--fit-periods", type=int, default=4, help="the sBG's fitted periods (default 4)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument("--seed", type=int, default=0, help="the batteries' seed stream (default 0)")
    p.add_argument("--out", type=Path, required=True, help="output directory (cohorts.json)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    from ..plumbing.checks import check_writable_dir, input_file, int_in

    try:
        for key, value, lo, hi in (("--draws", args.draws, 2, 10_000), ("--period-days", args.period_days, 1, 3650),
                                   ("--fit-periods", args.fit_periods, 2, 100), ("--workers", args.workers, 1, 256),
                                   ("--seed", args.seed, 0, 2**32 - 1)):
            int_in(value, key, lo, hi)
        from .curve import read_curve
        from .space import posterior_draws

        input_file(args.posterior, "--posterior")
        draws = posterior_draws(args.posterior, args.draws, "--posterior")
        curves = [read_curve(path) for path in args.curves]
        too_long = [c.source for c in curves if c.last_period * args.period_days > 36_500]
        if too_long:
            raise ConfigError(f"--curves: {too_long[0]} spans more than 100 years at --period-days={args.period_days}")
        check_writable_dir(args.out, "--out")
    except ConfigError as exc:
        fail(PROG, str(exc))
    results = [cohort_check(c, draws, period_days=args.period_days, fit_periods=args.fit_periods,
                            workers=args.workers, seed=args.seed) for c in curves]
    report = {"posterior": str(args.posterior), "curves": results, "seconds": time.perf_counter() - started}
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "cohorts.json", json.dumps(json_safe(report), indent=1) + "\n")
    for result in results:
        _print(result)
    print(f"wrote {args.out / 'cohorts.json'} in {report['seconds']:.0f} s")


if __name__ == "__main__":
    main()
