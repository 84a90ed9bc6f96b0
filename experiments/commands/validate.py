"""relsim-validate: run the stylized-fact checks and write validation.html.

    relsim-validate                      # all eight facts, the same checks as tests/validation/
    relsim-validate --quick              # smaller populations and fewer seeds: a quick look
    relsim-validate --facts 1,4 --out DIR
    relsim-validate --weights calibrated # the checks on the behavioural weights of market=calibrated

Each fact of DESIGN.md §3 (docs/VALIDATION.md) is checked by experiments/inference/fact_checks.py; the page
(analysis/facts.py) has one section per fact with the figure that shows it, the source, the
parameter region, each sub-check and pass or fail. A fact whose mechanism the model lacks is
reported as an expected failure with the reason. Exit code 0 when every fact behaves as expected
(passes, or fails where a gap is known), 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from relsim.analysis.facts import facts_json, facts_page
from relsim.analysis.io import write_text_atomic

from relsim.params import ConfigError

from ..inference.fact_checks import FACTS, FactResult, use_weights, weights_of
from ..plumbing.checks import output_dir, write_failed
from ..plumbing.outputs import git_commit
from .cli import Parser, fail, no_code_from_here, summary

PROG = "relsim-validate"


def _parse_facts(text: str | None) -> list[int]:
    """The fact numbers of --facts (default all); a bad list is a one-line error."""
    if not text:
        return sorted(FACTS)
    try:
        numbers = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        numbers = []
    if not numbers or any(n not in FACTS for n in numbers):
        fail(PROG, f"--facts={text!r}: expected numbers from {', '.join(map(str, sorted(FACTS)))}")
    return numbers


def _run_one(number: int, quick: bool, base: tuple[str, ...] = ()) -> FactResult:
    use_weights(base)  # in this process (a worker too): the weights every check starts from
    return FACTS[number].check(quick=quick)


def _report(r: FactResult) -> None:
    print(f"fact {r.fact.number} {r.fact.title}: {r.status.upper()} — {r.summary}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    no_code_from_here()
    parser = Parser(prog=PROG, description=summary(__doc__))
    parser.add_argument("--out", default="validation", help="output directory (default ./validation)")
    parser.add_argument("--quick", action="store_true", help="smaller populations and fewer seeds")
    parser.add_argument("--facts", default=None, help="comma-separated fact numbers (default all)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes running the facts (default 1; 0 = one per core)")
    parser.add_argument("--weights", default=None, metavar="MARKET",
                        help="check the facts on the calibrated behavioural weights of this market preset (e.g. "
                             "calibrated); each fact's region still sets its own (default: the hand-set weights)")
    args = parser.parse_args(argv)
    numbers = _parse_facts(args.facts)
    base: tuple[str, ...] = ()
    if args.weights is not None:
        from ..plumbing.config import options

        if args.weights not in options("market"):
            fail(PROG, f"--weights={args.weights!r}: expected a market preset: {', '.join(options('market'))}")
        try:
            base = weights_of(args.weights)
        except ConfigError as exc:
            fail(PROG, f"--weights={args.weights}: {exc}")
    if not 0 <= args.workers <= 4096:
        fail(PROG, f"--workers={args.workers}: expected an integer in [0, 4096]")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        fail(PROG, f"--out={args.out!r}: exists and is not a directory")
    try:
        output_dir(out, "--out")
    except ConfigError as exc:
        fail(PROG, str(exc))
    started = time.perf_counter()
    if args.workers == 1 or len(numbers) == 1:
        results = []
        for n in numbers:
            results.append(_run_one(n, args.quick, base))
            _report(results[-1])
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=args.workers or -1)(delayed(_run_one)(n, args.quick, base) for n in numbers)
        for r in results:
            _report(r)
    wall = time.perf_counter() - started
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "validation.json", facts_json(results))
        path = write_text_atomic(out / "validation.html",
                                 facts_page(results, quick=args.quick, wall_time=wall, commit=git_commit(),
                                            weights=args.weights))
    except OSError as exc:
        fail(PROG, write_failed(exc))
    n_ok = sum(r.as_expected for r in results)
    print(f"{n_ok} of {len(results)} facts as expected" + (f" on the weights of market={args.weights}"
                                                          if args.weights else "") + f"; wrote {path} in {wall:.0f} s")
    sys.exit(0 if n_ok == len(results) else 1)


if __name__ == "__main__":
    main()
