"""relsim-validate: run the stylized-fact checks and write validation.html.

    relsim-validate                      # all eight facts, the same checks as tests/validation/
    relsim-validate --quick              # smaller populations and fewer seeds: a quick look
    relsim-validate --facts 1,4 --out DIR

Each fact of DESIGN.md §3 (docs/VALIDATION.md) is checked by experiments/validation.py; the page has
one section per fact with the figure that shows it, the source, the parameter region, each
sub-check and pass or fail. A fact whose mechanism the model lacks is reported as an expected
failure with the reason. Exit code 0 when every fact behaves as expected (passes, or fails where a
gap is known), 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from relsim.analysis.io import write_text_atomic
from relsim.experiments.validation import FACTS, FactResult

PROG = "relsim-validate"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1150px;
padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.25rem;margin-top:2.6rem;border-top:1px solid #ddd;
padding-top:1.2rem} .meta{color:#666;font-size:.85rem}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:.3rem;color:#fff;font-size:.85rem;
font-weight:600;margin-left:.4rem;vertical-align:middle}
.pass{background:#2ca02c} .fail{background:#d62728} .xfail{background:#ff7f0e}
.claim{font-size:1.05rem} .source{color:#444} .gap{background:#fff4e5;border-left:4px solid #ff7f0e;
padding:.5rem .8rem} code{background:#f3f3f3;padding:.05rem .3rem;border-radius:.2rem;font-size:.85rem}
ul.checks{list-style:none;padding-left:0} ul.checks li{margin:.15rem 0}
table.overview{border-collapse:collapse;font-size:.92rem} table.overview td,table.overview th{
padding:.3rem .7rem;border-bottom:1px solid #e3e3e3;text-align:left}
"""


def status(result: FactResult) -> str:
    """pass, fail, expected failure (a known gap that fails) or unexpected pass (a known gap that passes)."""
    if result.fact.known_gap:
        return "unexpected pass" if result.passed else "expected failure"
    return "pass" if result.passed else "fail"


def as_expected(result: FactResult) -> bool:
    """True when the result is what the suite expects: a pass, or a failure of a known gap."""
    return status(result) in ("pass", "expected failure")


def _badge(result: FactResult) -> str:
    st = status(result)
    css = {"pass": "pass", "fail": "fail", "expected failure": "xfail", "unexpected pass": "fail"}[st]
    return f'<span class="badge {css}">{html.escape(st.upper())}</span>'


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def page(results: Sequence[FactResult], *, quick: bool, wall_time: float) -> str:
    """The validation.html page: an overview table, then one section per fact."""
    meta = [f"created {dt.datetime.now().isoformat(timespec='seconds')}", "quick size" if quick else "test size",
            f"wall time {wall_time:.0f} s"]
    commit = _git_commit()
    if commit:
        meta.append(f"commit {commit[:10]}")
    n_ok = sum(as_expected(r) for r in results)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>relsim: stylized facts</title><style>{_CSS}</style></head><body>",
             "<h1>relsim: stylized facts</h1>", f'<p class="meta">{html.escape(" · ".join(meta))}</p>',
             f"<p>{n_ok} of {len(results)} facts behave as expected. Each check runs the model on fixed seeds "
             "and tests the shape or direction its source reports, never which strategy wins "
             "(docs/VALIDATION.md).</p>",
             '<table class="overview"><tr><th>#</th><th>fact</th><th>result</th><th>what was measured</th></tr>']
    for r in results:
        parts.append(f'<tr><td>{r.fact.number}</td><td><a href="#fact-{r.fact.number}">{html.escape(r.fact.title)}'
                     f"</a></td><td>{_badge(r)}</td><td>{html.escape(r.summary)}</td></tr>")
    parts.append("</table>")
    config = {"displaylogo": False, "responsive": True}
    embedded = False
    for r in results:
        f = r.fact
        parts.append(f'<h2 id="fact-{f.number}">Fact {f.number}: {html.escape(f.title)} {_badge(r)}</h2>')
        parts.append(f'<p class="claim">{html.escape(f.claim)}</p>')
        parts.append(f'<p class="source">Source: {html.escape(f.source)}</p>')
        region = " ".join(f.region) if f.region else "the defaults"
        parts.append(f"<p>Parameter region: <code>{html.escape(region)}</code>. {html.escape(f.region_note)}</p>")
        if f.known_gap:
            parts.append(f'<p class="gap">Known gap: {html.escape(f.known_gap)}</p>')
        parts.append('<ul class="checks">')
        for name, ok in r.checks.items():
            mark = ('<span style="color:#2ca02c">&#10003;</span>' if ok
                    else '<span style="color:#d62728">&#10007;</span>')
            parts.append(f"<li>{mark} {html.escape(name)}</li>")
        parts.append("</ul>")
        if isinstance(r.figure, go.Figure):
            parts.append(r.figure.to_html(full_html=False, include_plotlyjs=not embedded, config=config))
            embedded = True
        parts.append(f'<p class="meta">{html.escape(_size_note(r))}</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _size_note(result: FactResult) -> str:
    d = result.data
    bits = []
    if "consumers" in d:
        bits.append(f"{d['consumers']} consumers")
    if "seeds" in d:
        bits.append(f"seeds {', '.join(map(str, d['seeds']))}")
    elif "seed" in d:
        bits.append(f"seed {d['seed']}")
    return "Run size: " + ", ".join(bits) if bits else ""


def _json(results: Sequence[FactResult]) -> str:
    def clean(x):
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if hasattr(x, "tolist"):
            return clean(x.tolist())
        if isinstance(x, float) and x != x:
            return None
        return x
    return json.dumps([{"fact": r.fact.number, "key": r.fact.key, "title": r.fact.title, "status": status(r),
                        "checks": r.checks, "summary": r.summary, "region": list(r.fact.region),
                        "known_gap": r.fact.known_gap, "data": clean(r.data)} for r in results], indent=2) + "\n"


def _parse_facts(text: str | None) -> list[int]:
    if not text:
        return sorted(FACTS)
    try:
        numbers = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        numbers = []
    if not numbers or any(n not in FACTS for n in numbers):
        allowed = ", ".join(map(str, sorted(FACTS)))
        raise argparse.ArgumentTypeError(f"--facts={text!r}: expected numbers from {allowed}")
    return numbers


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def _run_one(number: int, quick: bool) -> FactResult:
    return FACTS[number].check(quick=quick)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    parser = _Parser(prog=PROG, description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", default="validation", help="output directory (default ./validation)")
    parser.add_argument("--quick", action="store_true", help="smaller populations and fewer seeds")
    parser.add_argument("--facts", default=None, help="comma-separated fact numbers (default all)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes running the facts (default 1; 0 = one per core)")
    args = parser.parse_args(argv)
    try:
        numbers = _parse_facts(args.facts)
    except argparse.ArgumentTypeError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    if args.workers < 0:
        print(f"{PROG}: error: --workers={args.workers}: expected an integer >= 0", file=sys.stderr)
        sys.exit(2)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"{PROG}: error: --out={args.out!r}: exists and is not a directory", file=sys.stderr)
        sys.exit(2)
    started = time.perf_counter()

    def report(r: FactResult) -> None:
        print(f"fact {r.fact.number} {r.fact.title}: {status(r).upper()} — {r.summary}", flush=True)

    if args.workers == 1 or len(numbers) == 1:
        results = []
        for n in numbers:
            results.append(_run_one(n, args.quick))
            report(results[-1])
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=args.workers or -1)(delayed(_run_one)(n, args.quick) for n in numbers)
        for r in results:
            report(r)
    wall = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "validation.json", _json(results))
    path = write_text_atomic(out / "validation.html", page(results, quick=args.quick, wall_time=wall))
    ok = all(as_expected(r) for r in results)
    print(f"{sum(as_expected(r) for r in results)} of {len(results)} facts as expected; wrote {path} in {wall:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
