"""`relsim-collect SWEEP_DIR`: (re)collect a sweep directory's finished jobs by hand.

A sweep collects itself when it ends (experiments/plumbing/collect.py, Hydra's callback); this command
does the same for a sweep that was interrupted or whose jobs were run elsewhere, and writes
sweep.parquet, jobs.parquet and sweep_manifest.json into the directory. The jobs' files are checked
first (`check_sweep_dir`): a truncated or foreign file is one line naming it, exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from relsim.params import ConfigError

from ..plumbing.checks import write_failed
from ..plumbing.collect import collect
from .cli import Parser, fail, no_code_from_here

PROG = "relsim-collect"


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    no_code_from_here()
    parser = Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a sweep directory (hydra.sweep.dir of a relsim -m run)")
    args = parser.parse_args(argv)
    try:
        print(collect(args.sweep_dir))
    except ConfigError as exc:
        fail(PROG, str(exc))
    except FileNotFoundError as exc:
        fail(PROG, str(exc))
    except OSError as exc:
        fail(PROG, write_failed(exc))


if __name__ == "__main__":
    main()
