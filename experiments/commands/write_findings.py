"""`relsim-findings`: run the experiments behind docs/FINDINGS.md and write the page (issue 11, part 9).

    relsim-findings                                 # all fifteen runs (about an hour on 2 cores), then the page
    relsim-findings --out runs/findings             # where the runs go (default outputs/findings/<date-time>)
    relsim-findings --from runs/findings            # rewrite the page from the runs already there
    relsim-findings --quick --doc /tmp/FINDINGS.md  # toy sizes, to try the pipeline (the page says so)

Before the first run it checks what every run needs (the research part: SALib for the designed sweeps,
EMA workbench for PRIM; each run's command line, as `relsim` would), so a missing part stops it at once
with one line. Interrupted or failed, it resumes: `relsim-findings --out DIR` again skips the runs that
finished in DIR and resumes a sweep from its finished jobs.

The runs, each a plain `relsim` (or `relsim-decompose`) command whose output directory is a subdirectory
of --out: best_budget and best (the best one-way firm against the best reciprocal firm that
relsim-optimize found, at a budget of 20 and spending freely: the presets best_*, on fresh seeds),
flagship (the default `relsim`: the one_way and reciprocal presets), decomposition and
decomposition_best (`relsim-decompose` on the presets and on the best firms at an equal budget), audit
(`+experiment=audit`; also rewrites docs/AUDIT.md unless --quick), audit_best (the same on the best firms at
an equal budget, which use fees and spin), allocation (`+experiment=allocation`),
discovery (`+experiment=discovery`), learning (a bandit learner in the default market, per objective),
test_and_learn (`+experiment=test_and_learn`: firms that learn by randomised tests, per measurement window,
objective and holdout, beside the best fixed point of their levers) and frozen (relsim-regret on it: the
levers each learner ended with, played fixed from day 0 on its seeds), emergence (`+experiment=emergence`:
the test-and-learn grid over window, objective, listening and a testing rival), posterior (the flagship on 20 draws of the calibrated behaviour,
`market=calibrated posterior=20 seeds=5`: the neural posterior estimate) and calibrated (the flagship at the
calibrated preset's point, the posterior draw that fits the facts best on fresh seeds, `market=calibrated`). The page and its figures (PNG,
when kaleido and a Chrome are installed) go to --doc and its img/ folder. The best_* presets themselves
come from `relsim-optimize` (their headers name the command); rerun it to find them again.
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

from relsim.analysis.io import write_text_atomic
from relsim.params import ConfigError

from ..plumbing.checks import check_command_line, input_file, output_dir, output_file, write_failed
from ..plumbing.outputs import short_commit
from .cli import RELSIM, Parser, fail, no_code_from_here, relsim_command, require

PROG = "relsim-findings"
DEFAULT_DOC = Path("docs") / "FINDINGS.md"
#: Fresh seeds for the best responses: none of them is a seed relsim-optimize chose or checked its best on.
FRESH = "seeds=[100,101,102,103,104,105,106,107,108,109]"
#: The runs: name -> the command's arguments (besides the output directory), and its kind: a `relsim` run, a
#: `relsim` sweep, or a `relsim-decompose` (the arms A,B, then `relsim` overrides).
RUNS = {"best_budget": (["arms=[best_one_way_b20,best_reciprocal_b20]", FRESH], "run"),
        "best": (["arms=[best_one_way,best_reciprocal]", FRESH], "run"),
        "flagship": ([], "run"), "decomposition": (["one_way,reciprocal"], "decompose"),
        "decomposition_best": (["best_one_way_b20,best_reciprocal_b20"], "decompose"),
        "audit": (["+experiment=audit"], "run"),
        "audit_best": (["+experiment=audit", "arms=[best_one_way_b20,best_reciprocal_b20]", FRESH], "run"),
        "allocation": (["+experiment=allocation"], "sweep"), "discovery": (["+experiment=discovery"], "sweep"),
        "learning": (["-m", "arms=[learner,one_way,middle,reciprocal]", "firm_policy=bandit",
                      "firm_policy.arms=[learner]", "firm_policy.objective=profit,horizon,equity", "days=1825"],
                     "sweep"),
        "test_and_learn": (["+experiment=test_and_learn"], "sweep"),
        "frozen": (["test_and_learn"], "regret"),
        "emergence": (["+experiment=emergence"], "sweep"),
        "posterior": (["market=calibrated", "posterior=20", "seeds=5"], "run"),
        "calibrated": (["market=calibrated"], "run")}
#: The module each kind of run starts (as `python -I -m MODULE`).
MODULES = {"run": RELSIM, "sweep": RELSIM, "decompose": "relsim.experiments.commands.decompose",
           "regret": "relsim.experiments.commands.regret"}
#: Toy sizes for --quick: shared by every run, then per run.
QUICK = ["seeds=2", "market.consumers=300", "days=120"]
QUICK_RUN = {"posterior": ["posterior=3"], "decomposition": ["--metrics", "npv,customer_equity"],
             "decomposition_best": ["--metrics", "npv,customer_equity"], "allocation": ["hydra.sweeper.divisions=2"],
             "discovery": ["hydra.sweeper.samples=6"], "learning": ["firm_policy.period_days=5"],
             "test_and_learn": ["firm_policy.period_days=30", "firm_policy.objective=profit"],  # 2 of the 12 cells
             "emergence": ["firm_policy.period_days=30"]}  # 8 of the 24 cells


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
    """The `relsim` arguments of run `name` (without its output directory); a regret step's: the sweep it reads."""
    if RUNS[name][1] == "regret":
        return list(RUNS[name][0])
    return [*RUNS[name][0], *(QUICK + QUICK_RUN.get(name, []) if quick else [])]


#: The file in --out that records an attempt (its --quick), so that a second attempt resumes it.
STARTED = "findings_started.json"


def arguments(out: Path, name: str, quick: bool) -> list[str]:
    """The arguments of run `name` into its directory under `out`."""
    target, (args, kind) = out / name, RUNS[name]
    if kind == "decompose":
        return ["--arms", args[0], "--out", str(target), *command(name, quick)[1:]]
    if kind == "regret":  # it writes regret.csv into the sweep it reads
        return [str(out / args[0])]
    return [*command(name, quick), f"hydra.sweep.dir={target}" if kind == "sweep" else f"hydra.run.dir={target}"]


def _program(name: str) -> str:
    return {"decompose": "relsim-decompose", "regret": "relsim-regret"}.get(RUNS[name][1], "relsim")


def _shown(name: str, quick: bool) -> list[str]:
    """Run `name`'s arguments as the page shows them (without the output directory)."""
    args = command(name, quick)
    if RUNS[name][1] == "regret":
        return [f"<{args[0]} sweep dir>"]
    return ["--arms", *args] if RUNS[name][1] == "decompose" else args


def _finished(out: Path, name: str) -> bool:
    """A decomposition or regret step that finished in an earlier attempt (relsim itself skips its own finished
    runs)."""
    kind = RUNS[name][1]
    return ((kind == "decompose" and (out / name / "decomposition.json").is_file())
            or (kind == "regret" and (out / RUNS[name][0][0] / "regret.csv").is_file()))


def _as_relsim(out: Path, name: str, quick: bool) -> list[str]:
    """What `relsim` would be given for run `name` (a decomposition's arms and overrides; a regret step: the run it
    reads), to check it first."""
    if RUNS[name][1] == "regret":
        return _as_relsim(out, RUNS[name][0][0], quick)
    if RUNS[name][1] != "decompose":
        return arguments(out, name, quick)
    overrides = [a for a in command(name, quick)[1:] if "=" in a and not a.startswith("--")]
    return [f"arms=[{RUNS[name][0][0]}]", *overrides, f"hydra.run.dir={out / name}"]


def run_all(out: Path, quick: bool) -> dict[str, float]:
    """Run the experiments into out/<name>; returns each one's wall time (s). Stops at the first failure; a run
    that already finished there is skipped by relsim itself, a sweep resumes from its finished jobs."""
    record = out / "findings_runs.json"
    earlier = json.loads(record.read_text()).get("wall_s", {}) if record.is_file() else {}
    wall = {}
    for k, name in enumerate(RUNS, start=1):
        target, args = out / name, arguments(out, name, quick)
        print(f"{PROG}: {k}/{len(RUNS)} {name}: {_program(name)} {' '.join(args)}", flush=True)
        started = time.perf_counter()
        if _finished(out, name):
            print(f"{PROG}: {name} finished in an earlier attempt: kept", flush=True)
            continue
        result = subprocess.run([*relsim_command()[:-1], MODULES[RUNS[name][1]], *args], check=False)
        if result.returncode != 0:
            fail(PROG, f"the {name} run failed (exit {result.returncode}); its output is in {target}. "
                       f"`{PROG} --out {out}{' --quick' if quick else ''}` resumes: finished runs are kept")
        if RUNS[name][1] == "sweep":
            from relsim.analysis.sweep import write_sweep_report

            write_sweep_report(target)
        # a run finished in an earlier attempt is skipped in a moment: its time is the earlier attempt's
        wall[name] = max(time.perf_counter() - started, float(earlier.get(name, 0.0)))
    (out / "findings_runs.json").write_text(json.dumps({"quick": quick, "wall_s": wall}, indent=1))
    return wall


def write(out: Path, doc: Path, quick: bool, wall: dict[str, float], figures: bool, argv: list[str]) -> Path:
    """The audit table (docs/AUDIT.md unless quick), the figures and the page."""
    from relsim.analysis.figures import write_image
    from relsim.analysis.findings import FindingsRuns, findings_figures, findings_markdown

    from . import audit_mechanisms

    audit_mechanisms.write(out / "audit", "" if quick else str(audit_mechanisms.DEFAULT_DOC), QUICK if quick else [],
                           wall.get("audit", 0))
    audit_mechanisms.write(out / "audit_best", "", [], wall.get("audit_best", 0))
    runs = FindingsRuns(flagship=out / "flagship", audit=out / "audit", allocation=out / "allocation",
                        discovery=out / "discovery", learning=out / "learning", emergence=out / "emergence",
                        test_and_learn=out / "test_and_learn",
                        posterior=out / "posterior", calibrated=out / "calibrated", best=out / "best",
                        best_budget=out / "best_budget", decomposition=out / "decomposition", audit_best=out / "audit_best",
                        decomposition_best=out / "decomposition_best", quick=quick, wall=wall,
                        commands={name: " ".join([_program(name), *_shown(name, quick)]) for name in RUNS})
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
    for name, (args, kind) in RUNS.items():
        run_dir = out / name
        if kind == "regret":
            input_file(out / args[0] / "regret.csv", "--from")
            continue
        if not run_dir.is_dir():
            raise ConfigError(f"--from={out}: the {name} run is missing ({run_dir})")
        if kind == "decompose":
            input_file(run_dir / "decomposition.json", "--from")
            input_file(run_dir / "decomposition.csv", "--from")
        elif kind == "sweep":
            from ..plumbing.collect import check_sweep_dir

            check_sweep_dir(run_dir, "--from", collected=True)
        else:
            input_file(run_dir / "manifest.json", "--from")
    return saved["quick"], {k: float(v) for k, v in wall.items()}


def check_new(out: Path, quick: bool) -> bool:
    """A new findings run, or one to resume: --out is new or empty (or holds an earlier attempt at the same sizes,
    which is resumed) and writable; everything the runs need is there (the research part: SALib for the designed
    sweeps, EMA workbench for PRIM) and every run's command passes the `relsim` gate. Raises ConfigError (exits
    with one line for a missing part). Returns whether an earlier attempt is resumed."""
    started = out / STARTED
    resuming = started.is_file()
    if resuming:  # an earlier attempt: resume it, at the same sizes
        input_file(started, "--out", max_bytes=1_000)
        try:
            saved = json.loads(started.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            saved = None
        if not isinstance(saved, dict) or not isinstance(saved.get("quick"), bool):
            raise ConfigError(f"--out={out}: {STARTED} is not a relsim-findings record (expected quick: true or false)")
        if saved["quick"] != quick:
            raise ConfigError(f"--out={out}: holds an attempt {'with' if not quick else 'without'} --quick; resume it "
                              "the same way or choose another directory")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out={out}: exists and is not an empty directory (use --from {out} to rewrite the page "
                          "from its runs)")
    output_dir(out, "--out")
    require(PROG, "research", "relsim-findings (the discovery sweep and its PRIM boxes)")
    for name in RUNS:
        try:
            check_command_line(_as_relsim(out, name, quick))
        except ConfigError as exc:
            raise ConfigError(f"the {name} run would fail: {exc}") from None
    return resuming


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
            resuming = check_new(out, args.quick)
    except ConfigError as exc:
        fail(PROG, str(exc))
    try:
        if args.reuse is None:
            if resuming:
                print(f"{PROG}: resuming the runs in {out} (finished runs are skipped)", flush=True)
            out.mkdir(parents=True, exist_ok=True)
            write_text_atomic(out / STARTED, json.dumps({"quick": args.quick}))
            quick, wall = args.quick, run_all(out, args.quick)
        doc = write(out, args.doc, quick, wall, not args.no_figures, argv)
    except ConfigError as exc:
        fail(PROG, str(exc))
    except OSError as exc:
        fail(PROG, write_failed(exc))
    print(f"{PROG}: wrote {doc} from the runs in {out}")


if __name__ == "__main__":
    main()
