"""Runs and sweeps into one folder at once: does one of them get the folder, and the other a one-line refusal?

    python -m relsim.experiments.bench.concurrency              # 20 tries of each
    python -m relsim.experiments.bench.concurrency --tries 3 --json out.json
    OTHER/.venv/bin/python experiments/bench/concurrency.py     # another install (e.g. an older commit)

Each try starts two `relsim` commands at the same moment (from two processes released together) with
different settings:

- `runs`: two single runs (contact rate 12 and 52) into one `hydra.run.dir`;
- `sweeps`: two sweeps (contact rate 12,52 and listening 0.1,0.9) into one empty `hydra.sweep.dir`;
- `default`: two single runs with the default run folder (outputs/<date>/<time>), started in the same instant.

A try is `one ran, one refused` when one command ran, the other was refused in one line with exit code 2, and
the folder holds only the winner's files (its manifest, its jobs' overrides); `both ran apart` (default
folders) when each ran into a folder of its own; `mixed` when both ran into the one folder or the folder holds
files of both; anything else is `other` (with the commands' last lines). Figures, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

SMALL = ["arms=[one_way]", "seeds=1", "days=10", "market.consumers=60", "progress=false", "workers=1"]


def _start_together(commands: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess]:
    """Start the commands at the same instant: each waits on a pipe that is closed once all are forked."""
    read, write = os.pipe()
    procs = []
    for command in commands:
        gate = f"import os, sys; os.read({read}, 1); os.execv(sys.argv[1], sys.argv[1:])"
        procs.append(subprocess.Popen([sys.executable, "-c", gate, *command], cwd=cwd, pass_fds=(read,),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    time.sleep(0.5)
    os.close(write)  # every waiting process reads end-of-file now
    os.close(read)
    results = []
    for proc, command in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=900)
        results.append(subprocess.CompletedProcess(command, proc.returncode, out, err))
    return results


def _one_line(result: subprocess.CompletedProcess) -> bool:
    lines = [line for line in result.stderr.splitlines() if line.strip() and ": warning: " not in line]
    return len(lines) == 1 and ": error: " in lines[0]


def _overrides_in(folder: Path) -> set[str]:
    """Every override recorded by the runs in `folder` (a run's .hydra, or each job's)."""
    found: set[str] = set()
    for path in folder.glob("**/.hydra/overrides.yaml"):
        found |= {line.strip("- \n'\"") for line in path.read_text().splitlines() if line.startswith("-")}
    return found


def judge_shared(results: list[subprocess.CompletedProcess], folder: Path, marks: list[str]) -> tuple[str, str]:
    """Two commands into one folder: the outcome and a note."""
    ran = [k for k, r in enumerate(results) if r.returncode == 0]
    refused = [k for k, r in enumerate(results) if r.returncode == 2 and _one_line(r)]
    recorded = _overrides_in(folder) if folder.is_dir() else set()
    if len(ran) == 2:
        return "mixed", "both ran into the one folder"
    if len(ran) == 1 and len(refused) == 1:
        loser = marks[1 - ran[0]]
        if any(loser in o for o in recorded):
            return "mixed", f"the refused command's settings ({loser}) are in the folder"
        return "one ran, one refused", results[refused[0]].stderr.strip().splitlines()[-1][:160]
    return "other", " | ".join((r.stderr.strip().splitlines() or ["(no output)"])[-1][:120] for r in results)


def try_runs(work: Path, relsim: str) -> tuple[str, str]:
    folder = work / "shared"
    results = _start_together([[relsim, *SMALL, f"strategies.one_way.contact_rate={v}", f"hydra.run.dir={folder}"]
                               for v in (12, 52)], work)
    return judge_shared(results, folder, ["contact_rate=12", "contact_rate=52"])


def try_sweeps(work: Path, relsim: str) -> tuple[str, str]:
    folder = work / "shared"
    folder.mkdir()
    results = _start_together([[relsim, "-m", sweep, *SMALL, f"hydra.sweep.dir={folder}"]
                               for sweep in ("strategies.one_way.contact_rate=12,52",
                                             "strategies.one_way.listening=0.1,0.9")], work)
    return judge_shared(results, folder, ["contact_rate", "listening"])


def try_default(work: Path, relsim: str) -> tuple[str, str]:
    results = _start_together([[relsim, *SMALL, f"strategies.one_way.contact_rate={v}"] for v in (12, 52)], work)
    folders = [p for p in (work / "outputs").glob("*/*") if p.is_dir()]
    if all(r.returncode == 0 for r in results) and len(folders) == 2 and all(
            len([o for o in _overrides_in(f) if "contact_rate" in o]) == 1 for f in folders):
        return "both ran apart", f"{folders[0].name} and {folders[1].name}"
    if all(r.returncode == 0 for r in results):
        return "mixed", f"{len(folders)} folder(s) for two runs"
    return "other", " | ".join((r.stderr.strip().splitlines() or ["(no output)"])[-1][:120] for r in results)


def run(tries: int, kinds: list[str]) -> dict:
    """`tries` tries of each kind; the outcomes counted, with a note per try."""
    relsim = str(Path(sys.executable).with_name("relsim"))
    trials = {"runs": try_runs, "sweeps": try_sweeps, "default": try_default}
    result = {}
    for kind in kinds:
        notes = []
        for k in range(tries):
            with tempfile.TemporaryDirectory(prefix="relsim-concurrency-") as tmp:
                outcome, note = trials[kind](Path(tmp), relsim)
            notes.append({"try": k + 1, "outcome": outcome, "note": note})
            print(f"{kind} {k + 1}/{tries}: {outcome}: {note}", file=sys.stderr, flush=True)
        result[kind] = {"counts": dict(Counter(n["outcome"] for n in notes)), "tries": notes}
    return result


def main(argv: list[str] | None = None) -> None:
    """Run the tries and print the counts (JSON)."""
    p = argparse.ArgumentParser(prog="relsim-concurrency", description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument("--tries", type=int, default=20, help="tries of each kind (default 20)")
    p.add_argument("--kinds", default="runs,sweeps,default", help="comma-separated: runs, sweeps, default")
    p.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = p.parse_args(argv)
    result = run(args.tries, [k for k in args.kinds.split(",") if k])
    text = json.dumps({kind: r["counts"] for kind, r in result.items()}, indent=1)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
