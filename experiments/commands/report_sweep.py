"""relsim-report SWEEP_DIR: the sweep's report (sweep_report.html), and static figures for papers.

    relsim-report multirun/2026-11-24/12-00-00            # writes sweep_report.html
    relsim-report SWEEP_DIR --static svg                  # also figures/figure_<n>.svg (kaleido)
    relsim-report SWEEP_DIR --metrics retention npv trust # which paired effects to draw

The sweep's files are checked before anything is written (experiments/plumbing/collect.py:
`check_sweep_dir`): a truncated or foreign file is one line naming it, exit code 2.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from relsim.analysis.summary import METRICS
from relsim.params import ConfigError

from ..plumbing.checks import output_file, write_failed
from ..plumbing.collect import check_sweep_dir, collect
from .cli import Parser, fail, no_code_from_here

PROG = "relsim-report"
#: The metrics --metrics takes: every metric of a run's summary, and `retention` (the longest horizon there is).
METRIC_NAMES = ("retention", *METRICS)


def main(argv: list[str] | None = None) -> None:
    """Check the sweep, collect it if needed, then write its report (and static figures on request)."""
    from relsim.analysis.sweep import DEFAULT_METRICS

    no_code_from_here()
    parser = Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a sweep directory (hydra.sweep.dir of a relsim -m run)")
    parser.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS),
                        help="effects to draw: " + ", ".join(METRIC_NAMES))
    parser.add_argument("--static", choices=("png", "svg", "pdf"), help="also export the figures as images")
    args = parser.parse_args(argv)
    for metric in args.metrics:
        if metric not in METRIC_NAMES:
            fail(PROG, f"--metrics={metric!r}: unknown metric; allowed: {', '.join(METRIC_NAMES)}")
    if len(set(args.metrics)) != len(args.metrics):
        fail(PROG, f"--metrics={' '.join(args.metrics)}: each metric may appear once")
    made: list[Path] = []
    try:
        collected = (args.sweep_dir / "jobs.parquet").exists()
        jobs = check_sweep_dir(args.sweep_dir, collected=collected)
        if not jobs and not collected:
            fail(PROG, f"SWEEP_DIR={args.sweep_dir}: no finished jobs (job=<n>/manifest.json)")
        page = args.sweep_dir / "sweep_report.html"
        output_file(page, "SWEEP_DIR")
        made = [p for p in (page, args.sweep_dir / "figures") if not p.exists()]
        if not collected:
            made += [args.sweep_dir / n for n in ("sweep.parquet", "jobs.parquet", "sweep_manifest.json")]
            collect(args.sweep_dir)
        from relsim.analysis.sweep import export_static, write_sweep_report

        print(write_sweep_report(args.sweep_dir, tuple(args.metrics)))
        if args.static:
            for path in export_static(args.sweep_dir, args.static, tuple(args.metrics)):
                print(path)
    except ConfigError as exc:
        fail(PROG, str(exc))
    except OSError as exc:
        for path in made:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        fail(PROG, write_failed(exc))


if __name__ == "__main__":
    main()
