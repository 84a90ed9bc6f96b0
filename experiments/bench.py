"""relsim-bench: how fast is the model and the relsim command on this machine?

Prints consumer-firm-days per second of single simulations (one process) at a few sizes, and the
wall time of the default `relsim` command end to end. Figures, never assertions: machines are noisy.

    relsim-bench                 # everything
    relsim-bench --skip-command  # only the single-simulation table
    relsim-bench --json out.json # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.model import RelationshipModel


def throughput(consumers: int, days: int, repeats: int = 1) -> dict[str, float]:
    """Best-of-`repeats` speed of one simulation (default market: 2 firms) with `consumers`."""
    best = float("inf")
    for seed in range(repeats):
        started = time.perf_counter()
        model = RelationshipModel(consumers=consumers, days=days, consumer_agents=False, rng=seed)
        built = time.perf_counter()
        model.run()
        best = min(best, time.perf_counter() - built)
    pair_days = consumers * model.world.n_firms * days
    return {"consumers": consumers, "days": days, "startup_s": built - started, "run_s": best,
            "cfd_per_s": pair_days / best}


def command_time() -> float:
    """Wall time of the default `relsim` (2 arms x 10 seeds x 5,000 consumers x 1,095 days)."""
    script = Path(sys.executable).with_name("relsim")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run([str(script), f"hydra.run.dir={tmp}/out", "progress=false"], check=True,
                       capture_output=True, cwd=tmp)
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="relsim-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000], help="consumer counts")
    parser.add_argument("--days", type=int, default=365, help="days per simulation")
    parser.add_argument("--skip-command", action="store_true", help="do not time the default relsim command")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    print(f"relsim-bench on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}), "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"{'consumers':>10} {'days':>6} {'start-up s':>11} {'run s':>8} {'M consumer-firm-days/s':>23}")
    rows = []
    for n in args.sizes:
        row = throughput(n, args.days, repeats=2 if n <= 5000 else 1)
        rows.append(row)
        print(f"{n:>10,} {args.days:>6} {row['startup_s']:>11.3f} {row['run_s']:>8.2f} {row['cfd_per_s'] / 1e6:>23.2f}")
    result = {"date": time.strftime("%Y-%m-%d"), "machine": platform.node(), "cores": os.cpu_count(),
              "simulations": rows}
    if not args.skip_command:
        seconds = command_time()
        result["default_command_s"] = seconds
        print(f"default relsim (2 arms x 10 seeds x 5,000 consumers x 1,095 days), end to end: {seconds:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
