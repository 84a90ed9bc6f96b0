"""`relsim-findings`: run the experiments behind docs/FINDINGS.md and write the page (issue 11, part 9).

    relsim-findings                                 # all eight runs (about 35 minutes on 2 cores), then the page
    relsim-findings --out runs/findings             # where the runs go (default outputs/findings/<date-time>)
    relsim-findings --from runs/findings            # rewrite the page from the runs already there
    relsim-findings --quick --doc /tmp/FINDINGS.md  # toy sizes, to try the pipeline (the page says so)

The runs, each a plain `relsim` command whose output directory is a subdirectory of --out:
flagship (the default `relsim`: one_way against reciprocal), audit (`+experiment=audit`; also
rewrites docs/AUDIT.md unless --quick), allocation (`+experiment=allocation`), discovery
(`+experiment=discovery`), learning (a bandit learner in the default market, per objective),
emergence (`+experiment=emergence`), posterior (the flagship on 20 draws of the calibrated
behaviour, `market=calibrated posterior=20 seeds=5`) and calibrated (the flagship at the calibrated
preset's point, the posterior particle that fits the facts best, `market=calibrated`). The page and
its figures (PNG, when kaleido and a Chrome are installed) go to --doc and its img/ folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import time
from pathlib import Path

from relsim.params import ConfigError

from ..plumbing.checks import check_command_line, input_file, output_dir, output_file, write_failed
from ..plumbing.outputs import short_commit
from .cli import Parser, fail, no_code_from_here, relsim_command

PROG = "relsim-findings"
DEFAULT_DOC = Path("docs") / "FINDINGS.md"
#: The runs: name -> the `relsim` arguments (besides the output directory), and whether it is a sweep.
RUNS = {"flagship": ([], False), "audit": (["+experiment=audit"], False),
        "allocation": (["+experiment=allocation"], True), "discovery": (["+experiment=discovery"], True),
        "learning": (["-m", "arms=[learner,one_way,middle,reciprocal]", "firm_policy=bandit",
                      "firm_policy.arms=[learner]", "firm_policy.objective=profit,horizon,equity", "days=1825"], True),
        "emergence": (["+experiment=emergence"], True),
        "posterior": (["market=calibrated", "posterior=20", "seeds=5"], False),
        "calibrated": (["market=calibrated"], False)}
#: Toy sizes for --quick: shared by every run, then per run.
QUICK = ["seeds=2", "market.consumers=300", "days=120"]
QUICK_RUN = {"posterior": ["posterior=3"], "allocation": ["hydra.sweeper.divisions=2"],
             "discovery": ["hydra.sweeper.samples=6"], "learning": ["firm_policy.period_days=5"],
             "emergence": ["firm_policy.period_days=5", "firm_policy.objective=profit,equity",  # 16 of the 36 cells
                           "market.rivals=[],[middle]"]}


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--out", type=Path, default=None, help="where the runs go (default outputs/findings/<date-time>)")
    p.add_argument("--from", dest="reuse", type=Path, default=None,
                   help="write the page from the runs already in this directory (no new runs)")
    p.add_argument("--doc", type=Path, default=DEFAULT_DOC, help="the page to write (default docs/FINDINGS.md)")
    p.add_argument("--quick", action="store_true", help="toy sizes, to try the pipeline; the page says so")
    p.add_argument("--no-figures", action="store_true", help="write no PNG figures")
    return p


def command(name: str, quick: bool) -> list[str]:
    """The `relsim` arguments of run `name` (without its output directory)."""
    return [*RUNS[name][0], *(QUICK + QUICK_RUN.get(name, []) if quick else [])]


def run_all(out: Path, quick: bool) -> dict[str, float]:
    """Run the experiments into out/<name>; returns each one's wall time (s). Stops at the first failure."""
    wall = {}
    for k, (name, (_, sweep)) in enumerate(RUNS.items(), start=1):
        target = out / name
        where = f"hydra.sweep.dir={target}" if sweep else f"hydra.run.dir={target}"
        args = [*command(name, quick), where]
        print(f"{PROG}: {k}/{len(RUNS)} {name}: relsim {' '.join(args)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([*relsim_command(), *args], check=False)
        if result.returncode != 0:
            fail(PROG, f"the {name} run failed (exit {result.returncode}); its output is in {target}")
        if sweep:
            from relsim.analysis.sweep import write_sweep_report

            write_sweep_report(target)
        wall[name] = time.perf_counter() - started
    (out / "findings_runs.json").write_text(json.dumps({"quick": quick, "wall_s": wall}, indent=1))
    return wall


def write(out: Path, doc: Path, quick: bool, wall: dict[str, float], figures: bool, argv: list[str]) -> Path:
    """The audit table (docs/AUDIT.md unless quick), the figures and the page."""
    from relsim.analysis.figures import write_image
    from relsim.analysis.findings import FindingsRuns, findings_figures, findings_markdown
    from relsim.analysis.io import write_text_atomic

    from . import audit_mechanisms

    audit_mechanisms.write(out / "audit", "" if quick else str(audit_mechanisms.DEFAULT_DOC), QUICK if quick else [],
                           wall.get("audit", 0))
    runs = FindingsRuns(flagship=out / "flagship", audit=out / "audit", allocation=out / "allocation",
                        discovery=out / "discovery", learning=out / "learning", emergence=out / "emergence",
                        posterior=out / "posterior", calibrated=out / "calibrated", quick=quick, wall=wall,
                        commands={name: " ".join(["relsim", *command(name, quick)]) for name in RUNS})
    images = {}
    if figures:
        for name, fig in findings_figures(runs).items():
            path = doc.parent / "img" / f"{name}.png"
            if write_image(fig, path, width=1000):
                images[name] = f"img/{path.name}"
    text = findings_markdown(runs, date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), commit=short_commit(),
                             images=images)
    doc.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(doc, text + f"\nWritten by `{' '.join([PROG, *argv])}`; to regenerate it from new runs: "
                                  f"`{PROG}`{' --quick' if quick else ''}.\n")
    return doc


def read_record(out: Path) -> tuple[bool, dict[str, float]]:
    """--from: the runs' record (findings_runs.json) and the runs it names, checked; raises ConfigError."""
    if not out.is_dir():
        raise ConfigError(f"--from={out}: expected the directory of a relsim-findings run")
    path = out / "findings_runs.json"
    if not path.exists():
        raise ConfigError(f"--from={out}: no findings_runs.json there (run relsim-findings --out {out} first)")
    input_file(path, "--from", max_bytes=1_000_000)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--from={out}: findings_runs.json is not readable JSON ({str(exc)[:120]})") from None
    wall = saved.get("wall_s") if isinstance(saved, dict) else None
    if not isinstance(saved, dict) or not isinstance(saved.get("quick"), bool) or not isinstance(wall, dict) or not all(
            name in RUNS and isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) and s >= 0
            for name, s in wall.items()):
        raise ConfigError(f"--from={out}: findings_runs.json is not a relsim-findings record (expected quick: true or "
                          f"false and wall_s: seconds per run of {', '.join(RUNS)})")
    for name, (_, sweep) in RUNS.items():
        run_dir = out / name
        if not run_dir.is_dir():
            raise ConfigError(f"--from={out}: the {name} run is missing ({run_dir})")
        if sweep:
            from ..plumbing.collect import check_sweep_dir

            check_sweep_dir(run_dir, "--from", collected=True)
        else:
            input_file(run_dir / "manifest.json", "--from")
    return saved["quick"], {k: float(v) for k, v in wall.items()}


def check_new(out: Path, quick: bool) -> None:
    """A new findings run: --out is new or empty and writable, and every run's command passes the `relsim` gate."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out={out}: exists and is not an empty directory (use --from {out} to rewrite the page "
                          "from its runs)")
    output_dir(out, "--out")
    for name, (_, sweep) in RUNS.items():
        where = f"hydra.sweep.dir={out / name}" if sweep else f"hydra.run.dir={out / name}"
        check_command_line([*command(name, quick), where])


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    no_code_from_here()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        output_file(args.doc, "--doc")
        if args.reuse is not None:
            out = args.reuse
            quick, wall = read_record(out)
        else:
            out = args.out or Path("outputs") / "findings" / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
            check_new(out, args.quick)
    except ConfigError as exc:
        fail(PROG, str(exc))
    try:
        if args.reuse is None:
            out.mkdir(parents=True, exist_ok=True)
            quick, wall = args.quick, run_all(out, args.quick)
        doc = write(out, args.doc, quick, wall, not args.no_figures, argv)
    except ConfigError as exc:
        fail(PROG, str(exc))
    except OSError as exc:
        fail(PROG, write_failed(exc))
    print(f"{PROG}: wrote {doc} from the runs in {out}")


if __name__ == "__main__":
    main()
