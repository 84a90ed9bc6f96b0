"""relsim-bench-sweep: throughput of a sweep (runs per minute) under Hydra's launchers, in one run.

It runs the same grid of the flagship experiment (by default 2 x 2 grid points, 4 seeds, the default
market size) three times, into fresh directories:

- `basic`: Hydra's basic launcher, jobs one after the other, each job on one core (workers=1);
- `basic+workers`: the basic launcher, each job spreading its seeds over every core (relsim's default
  for a single run);
- `joblib`: Hydra's joblib launcher (relsim's default for -m), jobs in parallel, one core each;

and prints runs per minute and the ratios against `basic`, measured in the same run. Figures, never
assertions: machines are noisy.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..commands.cli import Parser

LAUNCHERS = {
    "basic": ["hydra/launcher=basic", "workers=1"],
    "basic+workers": ["hydra/launcher=basic", "workers=0"],
    "joblib": [],
}


def sweep_time(extra: list[str], grid: list[str], seeds: int, days: int, consumers: int) -> float:
    """Wall time of one sweep (with collection) into a fresh directory."""
    script = Path(sys.executable).with_name("relsim")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run([str(script), "-m", *extra, *grid, f"seeds={seeds}", f"days={days}",
                        f"market.consumers={consumers}", f"hydra.sweep.dir={tmp}/sweep"],
                       check=True, capture_output=True, cwd=tmp)
        return time.perf_counter() - started


def default_grid(mail_rates: str = "0,92", capacities: str = "1,8", seeds: int = 4) -> tuple[list[str], int, int]:
    """The sweep's grid overrides, its number of runs (grid points x seeds x 2 arms) and its seeds. The one-way
    arm's mail (on top of its 12 calls: 12 or 104 contacts a year by default) against the reciprocal arm's
    support capacity."""
    grid = [f"strategies.one_way.mail_rate={mail_rates}", f"strategies.reciprocal.inbound_capacity={capacities}"]
    return grid, len(mail_rates.split(",")) * len(capacities.split(",")) * seeds * 2, seeds


def main(argv: list[str] | None = None) -> None:
    """Time the sweep under each launcher and print the table."""
    parser = Parser(prog="relsim-bench-sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--mail-rates", default="0,92")
    parser.add_argument("--capacities", default="1,8")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--consumers", type=int, default=5000)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    grid, runs, _ = default_grid(args.mail_rates, args.capacities, args.seeds)
    print(f"relsim-bench-sweep on {platform.node()} ({os.cpu_count()} cores), {time.strftime('%Y-%m-%d')}: "
          f"{runs} runs ({args.consumers:,} consumers x {args.days} days) per sweep")
    print(f"{'launcher':<15} {'wall s':>8} {'runs/min':>9} {'vs basic':>9}")
    result = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "runs": runs, "launchers": {}}
    base = None
    for name, extra in LAUNCHERS.items():
        seconds = sweep_time(extra, grid, args.seeds, args.days, args.consumers)
        rate = runs / seconds * 60
        base = base or rate
        result["launchers"][name] = {"wall_s": seconds, "runs_per_min": rate, "ratio": rate / base}
        print(f"{name:<15} {seconds:>8.1f} {rate:>9.1f} {rate / base:>8.2f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
