"""`relsim-collect SWEEP_DIR`: (re)collect a sweep directory's finished jobs by hand.

A sweep collects itself when it ends (experiments/plumbing/collect.py, Hydra's callback); this command
does the same for a sweep that was interrupted or whose jobs were run elsewhere, and writes
sweep.parquet, jobs.parquet and sweep_manifest.json into the directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..plumbing.collect import collect
from .cli import fail

PROG = "relsim-collect"


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        fail(PROG, "SWEEP_DIR: expected one existing sweep directory")
    try:
        print(collect(Path(args[0])))
    except FileNotFoundError as exc:
        fail(PROG, str(exc))


if __name__ == "__main__":
    main()
