"""relsim-optimize: the best strategy of a class, found by an optimiser and re-run on fresh seeds.

    relsim-optimize --class one_way --out runs/best_one_way              # the best one-way firm, by NPV
    relsim-optimize --class reciprocal --budget 20 --out runs/rec20       # at a budget of 20 a customer-year
    relsim-optimize --objective npv --objective customer_equity --sampler nsga2 --out runs/front
    relsim-optimize --class one_way --objective profit@90 days=1825 seeds=6 market.consumers=2000
    relsim-optimize --class reciprocal market=calibrated posterior=10 --robust 0.1 --out runs/robust
    relsim-optimize --class one_way --out runs/best_one_way --trials 400  # resume the study, to 400 trials

The focal firm plays each proposed strategy in the market the `relsim` overrides describe (default: the
default market, its middle rival, the run's `seeds` and `days`), on the same seeds for every proposal
(common random numbers), and the optimiser (Optuna: TPE by default, CMA-ES, NSGA-II for several objectives)
maximises the mean of the objective over those seeds (and posterior draws: `posterior=N`; `--robust Q`
takes the Q-quantile over draws instead of their mean). `--class` holds the search to one-way strategies
(access and hearing at most the middle firm's), reciprocal ones (at least) or any (experiments/optimize/space.py;
docs/ODD.md §8.10). The best levers are then re-run on `--fresh` new seeds and written to DIR/best.json,
DIR/trials.csv and DIR/report.html; `--write-preset NAME` also writes configs/strategy/NAME.yaml.
Re-running with the same --out resumes the study (the same settings are required). Bad input gets one
line naming the key, the value and what is allowed, exit code 2, and no output.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from relsim.params import ConfigError, allowed_names

from .cli import Parser, fail, require, summary

PROG = "relsim-optimize"


def _parser() -> argparse.ArgumentParser:
    from ..optimize.space import CLASSES, SEARCH
    from ..optimize.study import SAMPLERS

    p = Parser(prog=PROG, description=summary(__doc__), allow_abbrev=False,
               formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--class", dest="kind", default="any", choices=CLASSES,
                   help="the class of strategy: one_way, reciprocal or any (default)")
    p.add_argument("--objective", action="append", metavar="METRIC[@DAYS]",
                   help="what to maximise: npv (default), customer_equity, profit, revenue, retention_1y/2y/3y or "
                        "trust; @DAYS reads it at that day (profit@90: profit over the first 90 days); a leading - "
                        "minimises; give it twice for a Pareto front")
    p.add_argument("--trials", type=int, default=200, help="finished trials to reach (default 200)")
    p.add_argument("--budget", type=float, default=0.0,
                   help="a relationship budget per customer-year: search its split instead of the levers it buys")
    p.add_argument("--levers", default="", help=f"comma-separated levers to search (default all: {', '.join(SEARCH)})")
    p.add_argument("--base", default="middle", help="the strategy preset whose other levers the firm keeps "
                                                    "(default middle)")
    p.add_argument("--sampler", default=None, choices=SAMPLERS,
                   help="tpe (default for one objective), nsga2 (default for several), cmaes or random")
    p.add_argument("--batch", type=int, default=4, help="trials proposed and run together (default 4)")
    p.add_argument("--seed", type=int, default=0, help="the optimiser's seed (default 0)")
    p.add_argument("--robust", type=float, default=None, help="with posterior=N: maximise this quantile over draws")
    p.add_argument("--fresh", type=int, default=10, help="fresh seeds to re-run the best on (default 10)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default outputs/optimize/<date-time>)")
    p.add_argument("--storage", default=None, help="a database URL for the study (default: DIR/study.db, SQLite)")
    p.add_argument("--study", default="relsim", help="the study's name in its database (default relsim)")
    p.add_argument("--workers", type=int, default=0, help="processes (0: one per core)")
    p.add_argument("--write-preset", default=None, metavar="NAME", help="also write configs/strategy/NAME.yaml")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("overrides", nargs="*", help="relsim overrides (market, seeds, days, posterior, strategies...)")
    return p


def _check_int(value: int, key: str, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ConfigError(f"--{key}={value}: expected an integer in [{lo}, {hi}]")


def prepare(args: argparse.Namespace):
    """Check the arguments and build the run specification and the study's settings; raises ConfigError."""
    import datetime as dt

    from ..optimize.evaluate import check_robust, parse_objective
    from ..optimize.space import make_space
    from ..optimize.study import Settings
    from ..plumbing.checks import check_override, output_dir
    from ..plumbing.config import load
    from ..optimize.preset import preset_path

    _check_int(args.trials, "trials", 1, 100_000)
    _check_int(args.batch, "batch", 1, 256)
    _check_int(args.fresh, "fresh", 2, 10_000)
    _check_int(args.workers, "workers", 0, 4096)
    _check_int(args.seed, "seed", 0, 2**32 - 1)
    for o in args.overrides:
        parsed = check_override(o)
        if parsed.key_or_group.split(".")[0] in ("hydra", "arms", "scenario", "firm_policy", "hydra/launcher"):
            raise ConfigError(f"{o}: relsim-optimize sets the focal firm's strategy itself; allowed overrides: market, "
                              "seeds, days, posterior, posterior_file, strategies (the base and the rivals), engine")
    spec = load(args.overrides)
    if args.base not in spec.strategies:
        raise ConfigError(f"--base={args.base!r}: unknown strategy{allowed_names(args.base, spec.strategies)}")
    objectives = tuple(parse_objective(text, spec.days) for text in (args.objective or ["npv"]))
    if len({o.name for o in objectives}) != len(objectives):
        raise ConfigError(f"--objective: each objective may appear once ({', '.join(o.name for o in objectives)})")
    sampler = args.sampler or ("nsga2" if len(objectives) > 1 else "tpe")
    if sampler == "cmaes" and len(objectives) > 1:
        raise ConfigError("--sampler=cmaes: CMA-ES optimises one objective; use nsga2 for several")
    check_robust(args.robust, len(spec.draws))
    if not (args.budget >= 0 and args.budget < 1e6):
        raise ConfigError(f"--budget={args.budget!r}: expected a number in [0, 1e6)")
    levers = tuple(x for x in args.levers.split(",") if x) if args.levers else ()
    space = make_space(args.kind, spec.strategies[args.base], budget_per_year=args.budget, levers=levers,
                       channels=spec.market.channels)
    if not space.ranges and space.budget <= 0:
        raise ConfigError(f"--levers={args.levers!r}: nothing left to search in class {args.kind}")
    settings = Settings(space, objectives, sampler, args.seed, args.batch, args.robust)
    out = args.out or Path("outputs") / "optimize" / dt.datetime.now().strftime("%Y-%m-%d/%H-%M-%S")
    output_dir(out, "--out")  # the gate: a directory that is one, or can be made, and is writable
    preset = preset_path(args.write_preset) if args.write_preset is not None else None
    return spec, settings, out, preset


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        spec, settings, out, preset = prepare(args)
    except ConfigError as exc:
        fail(PROG, str(exc))
    require(PROG, "optimize", "relsim-optimize (Optuna's samplers)")
    from ..optimize.best_response import run
    from ..plumbing.runner import compile_once

    compile_once(PROG)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=args.trials, desc="trials", unit="trial", file=sys.stderr, leave=False)

    def on_batch(done: int, best: float) -> None:
        if bar is not None:
            bar.update(done)
            bar.set_postfix_str(f"best {settings.objectives[0].name} {best:,.4g}")

    started = time.perf_counter()
    try:
        result = run(spec, settings, args.trials, out, storage=args.storage, name=args.study, workers=args.workers,
                     fresh=args.fresh, preset=preset, on_batch=on_batch,
                     command=shlex.join([PROG, *(sys.argv[1:] if argv is None else argv)]))
    except ConfigError as exc:
        fail(PROG, str(exc))
    finally:
        if bar is not None:
            bar.close()
    for entry in result.best:
        levers = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in entry["levers"].items())
        values = "; ".join(f"{name} {v['mean']:,.4g} [{v['ci_low']:,.4g}, {v['ci_high']:,.4g}]"
                           for name, v in entry["fresh"].items())
        print(f"trial {entry['trial']}: {levers or 'the base strategy'}")
        print(f"  on {args.fresh} fresh seeds: {values} (mean [95% CI])")
    if preset is not None and result.best:
        name = args.write_preset
        print(f"wrote {preset} (relsim +strategy@strategies.{name}={name} arms=[{name},...] runs it)")
    print(f"{result.trials} trials in {time.perf_counter() - started:.0f} s; {out}/best.json, trials.csv, report.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
