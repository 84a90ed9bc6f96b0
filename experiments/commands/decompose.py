"""relsim-decompose: which of the levers two strategies differ in carries how much of the gap between them.

    relsim-decompose                                         # one_way against reciprocal, 10 seeds, 3 years
    relsim-decompose --arms best_one_way,best_reciprocal seeds=12 market.consumers=2000
    relsim-decompose --levers prospect_rate,resolution_quality --metrics npv
    relsim-decompose --out DIR --doc docs/DECOMPOSITION.md   # also the Markdown table

Each lever that differs between the two arms (or those named) is swapped, in both directions: arm A with
B's value of it, and B with A's, on the same seeds (common random numbers), and each metric's gap B - A is
split by lever: a lever's contribution is the mean of its two swaps' effects, its share that over the gap,
and the interaction is what the levers' contributions leave (analysis/decomposition.py). Writes
DIR/decomposition.csv and, with --doc, the Markdown table. Any `relsim` override (market, seeds, days,
strategies.NAME.FIELD) sets the runs. Bad input gets one line, exit code 2 and no output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from relsim.params import ConfigError

from .cli import Parser, fail, summary

PROG = "relsim-decompose"
METRICS = ("retention_3y", "npv", "customer_equity")


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=summary(__doc__), allow_abbrev=False)
    p.add_argument("--arms", default="one_way,reciprocal", help="A,B: the two strategies (default one_way,reciprocal)")
    p.add_argument("--levers", default="", help="comma-separated levers to swap (default: every one that differs)")
    p.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated summary metrics "
                                                               f"(default {','.join(METRICS)})")
    p.add_argument("--out", type=Path, default=None, help="output directory (default outputs/decompose/<date-time>)")
    p.add_argument("--doc", default="", help="also write the Markdown table to this file ('' for none, the default)")
    p.add_argument("overrides", nargs="*", help="relsim overrides (market, seeds, days, strategies...)")
    return p


def prepare(args: argparse.Namespace):
    """The run specification, the arms, the levers and the metrics; raises ConfigError."""
    from relsim.analysis.summary import METRICS as KNOWN

    from ..plumbing.checks import check_override, output_dir, output_file
    from ..plumbing.config import load

    for o in args.overrides:
        if check_override(o).key_or_group.split(".")[0] in ("hydra", "arms", "scenario", "firm_policy"):
            raise ConfigError(f"{o}: relsim-decompose sets the arms itself (--arms); allowed overrides: market, seeds, "
                              "days, posterior, strategies, engine, workers")
    arms = [x for x in args.arms.split(",") if x]
    if len(arms) != 2 or arms[0] == arms[1]:
        raise ConfigError(f"--arms={args.arms!r}: expected two different strategy names, A,B")
    spec = load([*args.overrides, f"arms=[{arms[0]},{arms[1]}]"])
    metrics = [m for m in args.metrics.split(",") if m]
    unknown = [m for m in metrics if m not in KNOWN]
    if not metrics or unknown:
        raise ConfigError(f"--metrics={args.metrics!r}: expected summary metrics from {', '.join(KNOWN)}")
    out = args.out or Path("outputs") / "decompose" / dt.datetime.now().strftime("%Y-%m-%d/%H-%M-%S")
    output_dir(out, "--out")  # the gate: a directory that is one, or can be made, and is writable
    if args.doc:
        output_file(args.doc, "--doc")  # a file, not a folder, in a folder that can be written
    return spec, arms, [x for x in args.levers.split(",") if x], metrics, out


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        spec, (a, b), levers, metrics, out = prepare(args)
    except ConfigError as exc:
        fail(PROG, str(exc))
    from relsim.analysis.decomposition import format_markdown
    from relsim.analysis.io import write_text_atomic

    from ..optimize.decompose import decompose
    from ..plumbing.runner import compile_once

    compile_once(PROG)
    try:
        table, _ = decompose(spec, a, b, metrics, levers)
    except ConfigError as exc:
        fail(PROG, str(exc))
    out.mkdir(parents=True, exist_ok=True)
    command = shlex.join([PROG, *(sys.argv[1:] if argv is None else argv)])
    write_text_atomic(out / "decomposition.csv", table.to_csv(index=False))
    write_text_atomic(out / "decomposition.json", json.dumps({"arms": [a, b], "command": command,
                                                              "seeds": list(spec.seeds), "days": spec.days}, indent=1))
    text = format_markdown(table, a, b)
    if args.doc:
        write_text_atomic(Path(args.doc), f"# The gap between {a} and {b}, by lever\n\n`{command}`"
                                    f" ({dt.date.today().isoformat()})\n\n{text}")
    print(text)
    print(f"wrote {out}/decomposition.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
