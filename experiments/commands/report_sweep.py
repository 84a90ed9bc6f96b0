"""relsim-report SWEEP_DIR: the sweep's report (sweep_report.html), and static figures for papers.

    relsim-report multirun/2026-11-24/12-00-00            # writes sweep_report.html
    relsim-report SWEEP_DIR --static svg                  # also figures/figure_<n>.svg (kaleido)
    relsim-report SWEEP_DIR --metrics retention npv trust # which paired effects to draw
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from relsim.analysis.sweep import DEFAULT_METRICS, export_static, write_sweep_report

from ..plumbing.collect import collect, job_dirs
from .cli import fail, require

PROG = "relsim-report"


def main(argv: list[str] | None = None) -> None:
    """Collect the sweep if needed, then write its report (and static figures on request)."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a sweep directory (hydra.sweep.dir of a relsim -m run)")
    parser.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS),
                        help="effects to draw: retention (longest horizon), profit, npv, trust, ...")
    parser.add_argument("--static", choices=("png", "svg", "pdf"), help="also export the figures as images")
    args = parser.parse_args(argv)
    if not args.sweep_dir.is_dir():
        fail(PROG, f"SWEEP_DIR={args.sweep_dir}: expected an existing directory")
    design = args.sweep_dir / "design.json"
    if design.is_file() and json.loads(design.read_text()).get("method") != "simplex":  # not an allocation
        require(PROG, "research", "the report of a designed sweep (sensitivity indices or PRIM boxes)")
    if args.static:
        require(PROG, "research", f"--static {args.static}")
    if not (args.sweep_dir / "jobs.parquet").is_file():
        if not job_dirs(args.sweep_dir):
            fail(PROG, f"SWEEP_DIR={args.sweep_dir}: no finished jobs (job=<n>/manifest.json)")
        collect(args.sweep_dir)
    print(write_sweep_report(args.sweep_dir, tuple(args.metrics)))
    if args.static:
        for path in export_static(args.sweep_dir, args.static, tuple(args.metrics)):
            print(path)


if __name__ == "__main__":
    main()
