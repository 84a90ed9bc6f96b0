"""`relsim-findings`: run the experiments behind docs/FINDINGS.md and write the page (issue 11, part 9).

    relsim-findings                                 # all eight runs (about 35 minutes on 2 cores), then the page
    relsim-findings --out runs/findings             # where the runs go (default outputs/findings/<date-time>)
    relsim-findings --from runs/findings            # rewrite the page from the runs already there
    relsim-findings --quick --doc /tmp/FINDINGS.md  # toy sizes, to try the pipeline (the page says so)

Before the first run it checks what every run needs (the research part: SALib for the designed sweeps,
EMA workbench for PRIM; each run's command line, as `relsim` would), so a missing part stops it at once
with one line. Interrupted or failed, it resumes: `relsim-findings --out DIR` again skips the runs that
finished in DIR and resumes a sweep from its finished jobs.

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
import subprocess
import sys
import time
from pathlib import Path

from ..plumbing.outputs import short_commit
from .cli import RELSIM, fail, require

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
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
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


#: The file in --out that records an attempt (its --quick), so that a second attempt resumes it.
STARTED = "findings_started.json"


def arguments(out: Path, name: str, quick: bool) -> list[str]:
    """The `relsim` arguments of run `name` into its directory under `out`."""
    target = out / name
    return [*command(name, quick), f"hydra.sweep.dir={target}" if RUNS[name][1] else f"hydra.run.dir={target}"]


def preflight(out: Path, quick: bool) -> None:
    """Everything the runs need, checked before the first: the research part, and each run's command line as
    `relsim` checks it (values, configs, output directories). Exits with one line at the first problem."""
    from relsim.params import ConfigError

    from ..plumbing.checks import check_command_line

    require(PROG, "research", "relsim-findings (the discovery sweep and its PRIM boxes)")
    for name in RUNS:
        try:
            check_command_line(arguments(out, name, quick))
        except ConfigError as exc:
            fail(PROG, f"the {name} run would fail: {exc}")


def run_all(out: Path, quick: bool) -> dict[str, float]:
    """Run the experiments into out/<name>; returns each one's wall time (s). Stops at the first failure; a run
    that already finished there is skipped by relsim itself, a sweep resumes from its finished jobs."""
    wall = {}
    for k, name in enumerate(RUNS, start=1):
        target, args = out / name, arguments(out, name, quick)
        print(f"{PROG}: {k}/{len(RUNS)} {name}: relsim {' '.join(args)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", RELSIM, *args], check=False)
        if result.returncode != 0:
            fail(PROG, f"the {name} run failed (exit {result.returncode}); its output is in {target}. "
                       f"`{PROG} --out {out}{' --quick' if quick else ''}` resumes: finished runs are kept")
        if RUNS[name][1]:
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


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.reuse is not None:
        out = args.reuse
        record = out / "findings_runs.json"
        if not record.is_file():
            fail(PROG, f"--from {out}: no findings_runs.json there (run relsim-findings --out {out} first)")
        saved = json.loads(record.read_text())
        quick, wall = bool(saved.get("quick")), saved.get("wall_s") or {}
    else:
        out = args.out or Path("outputs") / "findings" / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        started = out / STARTED
        if started.is_file():  # an earlier attempt: resume it, at the same sizes
            if bool(json.loads(started.read_text()).get("quick")) != args.quick:
                fail(PROG, f"--out {out}: holds an attempt {'with' if not args.quick else 'without'} --quick; "
                           "resume it the same way or choose another directory")
            print(f"{PROG}: resuming the runs in {out} (finished runs are skipped)", flush=True)
        elif out.exists() and any(out.iterdir()):
            fail(PROG, f"--out {out}: the directory is not empty (use --from {out} to rewrite the page from it)")
        preflight(out, args.quick)
        out.mkdir(parents=True, exist_ok=True)
        started.write_text(json.dumps({"quick": args.quick}))
        quick, wall = args.quick, run_all(out, args.quick)
    doc = write(out, args.doc, quick, wall, not args.no_figures, argv)
    print(f"{PROG}: wrote {doc} from the runs in {out}")


if __name__ == "__main__":
    main()
