"""`relsim-audit`: the mechanism audit, run and written up in one command.

    relsim-audit                                            # default market, 10 seeds, 5,000 consumers, 3 years
    relsim-audit --out DIR --doc docs/AUDIT.md seeds=3 market.consumers=2000
    python -m relsim.experiments.commands.audit_mechanisms   # the same, without the console script

It runs `relsim +experiment=audit` (each switch-off of configs/scenario/off_*.yaml against the baseline,
for each strategy in `arms`, on the same seeds; any further `relsim` overrides are passed on), then
writes audit.csv and audit.parquet into the run directory and the markdown table to `--doc`
(docs/AUDIT.md by default; `--doc ''` writes none). The command line and the date go into the doc.
The overrides, the run directory and the doc are checked before the run starts (the `relsim` gate);
`relsim` runs as the installed package (`cli.relsim_command`), never from the working folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from relsim.analysis.audit import MECHANISMS, audit_table, format_markdown
from relsim.analysis.io import atomic_write, write_text_atomic
from relsim.analysis.load import load_run
from relsim.params import ConfigError

from ..plumbing.checks import check_command_line, output_file, write_failed
from .cli import Parser, fail, no_code_from_here, relsim_command

PROG = "relsim-audit"

DEFAULT_DOC = Path("docs") / "AUDIT.md"


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=None,
                   help="run directory (default: outputs/audit/<date-time>)")
    p.add_argument("--doc", default=str(DEFAULT_DOC), help="markdown file to write ('' for none)")
    p.add_argument("overrides", nargs="*", help="relsim overrides, e.g. seeds=3 market.consumers=2000")
    return p


def run(out: Path, overrides: list[str]) -> float:
    """Run `relsim +experiment=audit` into `out`; returns the wall time in seconds."""
    started = time.perf_counter()
    command = [*relsim_command(), "+experiment=audit", *overrides, f"hydra.run.dir={out}"]
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise SystemExit(result.returncode)
    return time.perf_counter() - started


def write(out: Path, doc: str, argv: list[str], wall: float) -> Path:
    """audit.csv, audit.parquet in `out`; the markdown in `doc` (unless empty)."""
    data = load_run(out)
    table = audit_table(data)
    write_text_atomic(out / "audit.csv", table.to_csv(index=False))
    atomic_write(out / "audit.parquet", lambda p: table.to_parquet(p, index=False))
    if doc:
        m = data.manifest
        config = m.get("config") or {}
        market = config.get("market") or {}
        seeds = m.get("seeds") or []
        setting = (f"arms {', '.join(data.arms)}; {len(seeds)} seeds; {market.get('consumers', '?'):,} consumers; "
                   f"{config.get('days', '?')} days; rivals {', '.join(market.get('rivals') or []) or 'none'}")
        descriptions = {k: v for k, v in (m.get("scenario_descriptions") or {}).items() if k in MECHANISMS}
        text = format_markdown(table, command=" ".join(["relsim-audit",
                                                        *map(shlex.quote, argv)]),
                               date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                               setting=setting, wall_time=f"{wall / 60:.1f} min ({wall:.0f} s) on this machine",
                               descriptions=descriptions)
        Path(doc).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(Path(doc), text)
    return out / "audit.csv"


def check(out: Path, doc: str, overrides: list[str]) -> None:
    """Everything the audit will run and write, checked before it starts (raises ConfigError)."""
    for o in overrides:
        if o.startswith("-") or o.lstrip("+").startswith("hydra.run.dir"):
            raise ConfigError(f"{o}: relsim-audit takes relsim's settings (key=value); its run directory is --out")
    check_command_line(["+experiment=audit", *overrides, f"hydra.run.dir={out}"])
    if doc:
        output_file(Path(doc), "--doc")


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    no_code_from_here()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    out = args.out or Path("outputs") / "audit" / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    try:
        check(out, args.doc, args.overrides)
    except ConfigError as exc:
        fail(PROG, str(exc))
    wall = run(out, args.overrides)
    try:
        path = write(out, args.doc, argv, wall)
    except OSError as exc:
        fail(PROG, write_failed(exc))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    print(f"relsim-audit: wrote {path}" + (f" and {args.doc}" if args.doc else "")
          + f" ({len(manifest.get('seeds') or [])} seeds, {wall:.0f} s)")


if __name__ == "__main__":
    main()
