"""relsim-regret: judge a sweep's learning firms against the best fixed point, and their final levers frozen.

    relsim-regret SWEEP_DIR                                   # the frozen final levers, on each job's seeds
    relsim-regret SWEEP_DIR --best OPT_DIR/best.json          # and relsim-optimize's best fixed point
    relsim-regret SWEEP_DIR --presets one_way,middle,reciprocal

For every job of a sweep with learning firms and each of its seeds, on the same seed (common random numbers):
what the learning firm earned while it learned, the levers it ended with played fixed from day 0 (its frozen
policy), and optionally the optimiser's best fixed point and the named presets; regret = best - learner.
Writes SWEEP_DIR/regret.csv (docs/SCHEMA.md) and prints each job's means with 95% CIs over seeds. Bad input
gets one line, exit code 2 and no output.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from relsim.params import ConfigError

from .cli import Parser, fail, summary

PROG = "relsim-regret"


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=summary(__doc__))
    p.add_argument("sweep", type=Path, help="a sweep folder with learning firms")
    p.add_argument("--best", type=Path, default=None, help="relsim-optimize's best.json: its best fixed point")
    p.add_argument("--presets", default="", help="comma-separated strategy presets to play on the same seeds")
    p.add_argument("--workers", type=int, default=0, help="processes (0: one per core)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from relsim.analysis.stats import mean_ci

    from ..optimize.regret import check, regret
    from ..plumbing.runner import compile_once

    if args.workers < 0:
        fail(PROG, f"--workers={args.workers}: expected 0 (one per core) or more")
    if args.best is not None and not args.best.is_file():
        fail(PROG, f"--best={args.best}: not a file (relsim-optimize's best.json)")
    presets = [p for p in args.presets.split(",") if p]
    try:
        checked = check(args.sweep, args.best, presets)  # before the rules compile: a bad input is one line alone
        compile_once(PROG)
        table = regret(args.sweep, args.best, presets, args.workers, checked)
    except ConfigError as exc:
        fail(PROG, str(exc))
    for (job, metric), g in table.groupby(["job", "metric"], sort=False):
        parts = []
        for col in [c for c in g.columns if c not in ("job", "seed", "metric")]:
            ci = mean_ci(g[col].to_numpy())
            parts.append(f"{col} {ci.mean:,.0f} [{ci.low:,.0f}, {ci.high:,.0f}]")
        print(f"{job} {metric}: " + "; ".join(parts))
    print(f"{PROG}: wrote {args.sweep / 'regret.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
