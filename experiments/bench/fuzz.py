"""The bad-input campaign (issue 29): thousands of inputs, as an attacker and a careless user would try them.

    python -m relsim.experiments.bench.fuzz                          # every family -> docs/FUZZ.md
    python -m relsim.experiments.bench.fuzz --families files,hangs --no-doc
    OTHER/.venv/bin/python experiments/bench/fuzz.py --json OUT.json # another install (e.g. an older commit)

Each input runs a real command (relsim, relsim-calibrate, relsim-report, relsim-collect, relsim-audit,
relsim-findings, relsim-validate, relsim-app) or a few lines of the Python API, in a fresh working folder
beside an "outside" folder that nothing may touch, and is classified by what happened:

- `refused`: a bad input got one line naming it, exit code 2, and left no files;
- `ran`: a legal input (often an edge value) ran with exit code 0 and finite outputs (print modes: printed);
- `traceback`: a traceback, or an exit code other than 0 and 2;
- `code`: a program the user did not write ran (a planted `git`, a `relsim` folder in the working folder, ...);
- `escaped`: something was written outside the run's folder;
- `mixed`: results of two runs mixed in one folder, or a claim that protects nothing;
- `accepted`: a bad input was taken as something else (ran, or was refused for another reason);
- `refused_valid`: a legal input was refused;
- `untidy`: a refusal of more than one line, or one that left files;
- `listener`: a listener beyond loopback would have been opened (Ray is intercepted, never started here);
- `hang`: no answer within the case's time limit.

The commands run in processes forked from one that has imported relsim once (so an input costs a
fraction of a second, not an interpreter start), each with its own working folder, environment and
limits; what they start (Hydra's job processes, `python -m` subprocesses, Dask workers) are real
processes. Ray's `ray.init` is intercepted and recorded, never called, so no listener is opened here.
Every figure is a count of this run, never an assertion; the suite's own fuzz test is tests/test_fuzz.py.
The file runs with any installed relsim (`python path/to/fuzz.py`), so the same campaign measures an
older commit.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import datetime as dt
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The families of inputs, in the order of the report, with what they try.
FAMILIES = {
    "routes": "every route into a run: the design sweeper's levels, bounds and integers, sweep subdirectories, "
              "experiment files, launcher settings",
    "subprocess": "code from the working folder or the environment: a `relsim` or `hydra_plugins` folder where "
                  "a command starts, a planted program on a job's PATH",
    "listeners": "listeners and flags: abbreviated options, hosts, ports, Ray's dashboard",
    "numbers": "numbers: very long integers, out-of-range values and the legal edges of every numeric key "
               "(command line and API), trait distributions with tiny or extreme parameters",
    "nulls": "null, duplicates, clipping, wrong types, API gaps",
    "files": "files and folders of every command: truncated Parquet, corrupt manifests and records, missing "
             "columns, unwritable and full disks, long path components, unreachable Dask",
    "modes": "print modes and flags: --cfg, --resolve, --info, --package, help",
    "sweeps": "sweeps and run folders: combinations, spellings, duplicates, globs, runs and sweeps into one "
              "folder (one after the other and at once), stale files, what-ifs on one seed",
    "hangs": "hangs: FIFOs and endless files, huge sweeps",
}
OUTCOMES = ("refused", "ran", "traceback", "code", "escaped", "mixed", "accepted", "refused_valid", "untidy",
            "listener", "hang")
COMMANDS = {
    "relsim": "relsim.experiments.commands.compare", "relsim-calibrate": "relsim.experiments.commands.calibrate",
    "relsim-report": "relsim.experiments.commands.report_sweep",
    "relsim-collect": "relsim.experiments.commands.collect_sweep",
    "relsim-audit": "relsim.experiments.commands.audit_mechanisms",
    "relsim-findings": "relsim.experiments.commands.write_findings",
    "relsim-validate": "relsim.experiments.commands.validate", "relsim-app": "relsim.experiments.app.server",
}
#: A tiny run: every legal input is tried on it.
SMALL = ["arms=[one_way]", "seeds=1", "days=10", "market.consumers=60", "progress=false", "workers=1"]
LONG_INT = "9" * 400
EVIL_SCRIPT = "#!/bin/sh\n/usr/bin/touch {marker}\nexit 1\n"


@dataclasses.dataclass
class Case:
    """One input: a command and its arguments (or API code), and what should happen."""

    family: str
    name: str
    kind: str  # "bad": refused in one line; "legal": runs; "warn": runs and says so in a line naming `expect`
    prog: str = "relsim"
    args: list[str] = dataclasses.field(default_factory=list)
    steps: list[list[str]] | None = None  # several invocations, in order (the last is judged)
    together: bool = False  # steps start at once (concurrency)
    code: str = ""  # prog "api": Python run with relsim imported
    setup: Callable[[Ctx], None] | None = None
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    timeout: float = 120.0
    fsize: int | None = None  # a file-size limit (bytes): writes beyond it fail, as on a full disk
    expect: str | None = None  # a refusal must name this
    check: Callable[[Ctx, list[Result]], str | None] | None = None  # a special outcome (mixed, ...) or None
    outputs: Callable[[Ctx], list[Path]] | None = None  # where a legal run's tables are (default: found)
    ok: tuple[int, ...] = (0,)  # exit codes of a legal run (relsim-validate: 1 when a fact fails)


@dataclasses.dataclass
class Ctx:
    """A case's folders: `work` (the working folder), `outside` (nothing may be written there), `markers`."""

    root: Path
    fixtures: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    @property
    def markers(self) -> Path:
        return self.root / "markers"

    def marker(self, name: str = "pwned") -> Path:
        return self.markers / name


@dataclasses.dataclass
class Result:
    """What one invocation did."""

    code: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float


# --------------------------------------------------------------------------- running one invocation

def _prewarm() -> None:
    """Import what the commands import and load the compiled rules once, so each forked input is quick."""
    import importlib

    for module in [*COMMANDS.values(), "relsim.model", "relsim.analysis", "relsim.analysis.whatif",
                   "relsim.analysis.report", "relsim.analysis.sweep", "relsim.experiments.plumbing.checks",
                   "relsim.experiments.plumbing.runner", "scipy.stats", "hydra_plugins.hydra_joblib_launcher"]:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - a module an older install lacks
            pass
    from relsim.experiments.plumbing.runner import compile_rules

    compile_rules()


def _intercept_ray(record: Path) -> None:
    """Replace ray.init by a recorder: what relsim would pass is written to `record`, and the process ends."""
    try:
        import ray
    except ImportError:
        return

    def fake_init(*args: Any, **kwargs: Any) -> None:
        record.write_text(json.dumps({"args": [str(a) for a in args], "kwargs": kwargs}, default=str))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    ray.init = fake_init


def _intercept_uvicorn(record: Path) -> None:
    """Replace uvicorn.run (relsim-app's server) by a recorder of the address it would bind; the process ends."""
    try:
        import uvicorn
    except ImportError:
        return

    def fake_run(*args: Any, **kwargs: Any) -> None:
        record.write_text(json.dumps({"host": kwargs.get("host"), "port": kwargs.get("port")}))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    uvicorn.run = fake_run


def _child(case: Case, ctx: Ctx, args: list[str], out: Path, err: Path) -> None:
    """In the forked process: run the command (or the API code) as the console script would, then exit. Whatever
    happens (even a failing write of the captured output, under a file-size limit), the process ends here."""
    code = 1
    try:
        code = _command(case, ctx, args, out, err)
        import threading

        threading._shutdown()  # what the interpreter does at exit: executors' own exit hooks (loky's) first
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001, S110 - the exit code is already set
        pass
    finally:
        os._exit(code if isinstance(code, int) else 1)


def _command(case: Case, ctx: Ctx, args: list[str], out: Path, err: Path) -> int:
    """Run the case's command in this (forked) process; its exit code."""
    for stream, path in ((1, out), (2, err)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, stream)
        os.close(fd)
    os.setsid()
    os.chdir(ctx.work)
    os.environ.update({k: _fill(v, ctx) for k, v in case.env.items()})
    if case.fsize is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (case.fsize, case.fsize))
    _intercept_ray(ctx.root / "ray_init.json")
    _intercept_uvicorn(ctx.root / "serve.json")
    sys.argv = [case.prog, *args]
    try:
        if case.prog == "api":
            return _api(_fill(case.code, ctx))
        import importlib

        result = importlib.import_module(COMMANDS[case.prog]).main()
        return result if isinstance(result, int) else 0
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a traceback is an outcome
        try:
            traceback.print_exc()
        except OSError:
            pass
        return 1


def _fill(text: str, ctx: Ctx) -> str:
    """A case's text with {outside}, {work} and {root} replaced by its folders."""
    return text.replace("{outside}", str(ctx.outside)).replace("{work}", str(ctx.work)).replace("{root}", str(ctx.root))


def _api(code: str) -> int:
    """Run API code: ConfigError is the one-line refusal (exit 2), anything else a traceback (exit 1)."""
    import relsim
    from relsim.params import ConfigError

    namespace: dict[str, Any] = {"relsim": relsim}
    exec("from relsim import *\nfrom relsim.params import *\nimport math, numpy as np\n", namespace)  # noqa: S102
    try:
        exec(code, namespace)  # noqa: S102 - the campaign's own code
    except ConfigError as exc:
        print(f"api: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _start(case: Case, ctx: Ctx, args: list[str], n: int) -> tuple[int, Path, Path]:
    out, err = ctx.root / f"stdout.{n}", ctx.root / f"stderr.{n}"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(case, ctx, args, out, err)
    return pid, out, err


def _wait(pid: int, deadline: float) -> int | None:
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            _kill(pid)
            return None
        time.sleep(0.02)


def _kill(pid: int) -> None:
    """End the forked command and everything it started (its own session)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        time.sleep(0.5)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def run_case(case: Case, ctx: Ctx) -> list[Result]:
    """Run the case's invocations (in order, or at once) and return what each did."""
    steps = case.steps or [case.args]
    results: list[Result] = []
    if case.together:
        started = time.monotonic()
        running = [_start(case, ctx, args, n) for n, args in enumerate(steps)]
        for pid, out, err in running:
            code = _wait(pid, started + case.timeout)
            results.append(Result(code, _read(out), _read(err), time.monotonic() - started))
        return results
    for n, args in enumerate(steps):
        started = time.monotonic()
        pid, out, err = _start(case, ctx, args, n)
        code = _wait(pid, started + case.timeout)
        results.append(Result(code, _read(out), _read(err), time.monotonic() - started))
        if code is None:
            break
    return results


# --------------------------------------------------------------------------- judging

def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root`, a file with its time and size, a folder by name only (a file made and removed
    again, as an atomic write that failed does, changes its folder's time but leaves nothing behind)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            found[str(path.relative_to(root))] = (0, 0) if stat.S_ISDIR(st.st_mode) else (st.st_mtime_ns, st.st_size)
    return found


def _loopback(host: Any) -> bool:
    import ipaddress

    if host in (None, "localhost"):
        return host == "localhost"
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


def _ray_listens_beyond_loopback(ctx: Ctx) -> bool:
    record = ctx.root / "ray_init.json"
    if not record.is_file():
        return False
    kwargs = json.loads(record.read_text()).get("kwargs", {})
    if kwargs.get("address") not in (None, "", "local"):
        return False  # joins an existing cluster: no listener of its own
    if not _loopback(kwargs.get("_node_ip_address") or "127.0.0.1"):
        return True
    return bool(kwargs.get("include_dashboard")) and not _loopback(kwargs.get("dashboard_host", "127.0.0.1"))


def _serves_beyond_loopback(ctx: Ctx) -> bool:
    record = ctx.root / "serve.json"
    return record.is_file() and not _loopback(json.loads(record.read_text()).get("host"))


def _one_line(result: Result) -> bool:
    """One error line on stderr (a warning line beside it, e.g. about few seeds, is not an error)."""
    lines = [line for line in result.stderr.splitlines() if line.strip() and ": warning: " not in line]
    return len(lines) == 1 and ": error: " in lines[0] and "Traceback" not in result.stdout


def _finite_outputs(ctx: Ctx, case: Case) -> bool:
    """A legal run's tables hold no infinities, and its counts and money are numbers."""
    import numpy as np
    import pandas as pd

    if case.outputs is not None:  # the case names its run folders; none named: no tables to check (a command
        folders = case.outputs(ctx)  # without run tables, e.g. relsim-validate, relsim-calibrate)
    else:
        folders = [p.parent for p in ctx.work.rglob("manifest.json") if p.parent.name != ".hydra"]
        if not folders:
            return False
    for folder in folders:
        for name in ("runs.parquet", "sweep.parquet"):
            path = folder / name
            if not path.is_file():
                continue
            table = pd.read_parquet(path)
            numbers = table.select_dtypes("number")
            if np.isinf(numbers.to_numpy(dtype=float)).any():
                return False
            core = [c for c in ("customers", "revenue", "cost", "profit", "npv") if c in numbers]
            if numbers[core].isna().any().any():
                return False
    return True


def judge(case: Case, ctx: Ctx, results: list[Result], before: dict, before_outside: dict) -> tuple[str, str]:
    """The outcome of a case and a short note."""
    last = results[-1]
    text = "\n".join(r.stdout + r.stderr for r in results)
    note = (last.stderr.strip().splitlines() or last.stdout.strip().splitlines() or [""])[-1][:300]
    if any(ctx.markers.iterdir()):
        return "code", ", ".join(p.name for p in ctx.markers.iterdir())
    if _snapshot(ctx.outside) != before_outside:
        return "escaped", "wrote into the outside folder"
    if _ray_listens_beyond_loopback(ctx):
        return "listener", (ctx.root / "ray_init.json").read_text()[:300]
    if _serves_beyond_loopback(ctx):
        return "listener", (ctx.root / "serve.json").read_text()[:300]
    if any(r.code is None for r in results):
        return "hang", f"no answer in {case.timeout:.0f} s"
    if "Traceback (most recent call last)" in text or any(r.code not in (*case.ok, 0, 2) for r in results):
        lines = [line for line in text.splitlines() if line.strip()]
        return "traceback", (lines[-1] if lines else f"exit {last.code}")[:300]
    if case.check is not None:
        special = case.check(ctx, results)
        if special:
            return special, note
    work_changed = _snapshot(ctx.work) != before
    if case.kind == "bad":
        if last.code == 0:
            served = ctx.root / "serve.json"
            return "accepted", (f"served: {served.read_text()}" if served.is_file() else note or "exit 0")
        if not _one_line(last) or work_changed:
            return "untidy", ("files left; " if work_changed else "") + note
        if case.expect and case.expect not in last.stderr:
            return "accepted", "refused for another reason: " + note
        return "refused", note
    if last.code not in case.ok:
        return "refused_valid", note
    if case.kind == "warn" and case.expect and case.expect not in last.stderr:
        return "accepted", "ran without saying so"
    if case.prog == "api":
        return "ran", note  # the API code checks its own outputs
    if case.prog == "relsim-app":
        return ("ran", "served on loopback") if (ctx.root / "serve.json").is_file() else ("refused_valid", note)
    if not _finite_outputs(ctx, case):
        return "accepted", "ran, but without finite outputs"
    return "ran", note


def _clean(root: Path) -> None:
    for path in root.rglob("*"):
        try:
            if path.is_fifo():
                path.unlink()
        except OSError:
            pass
    shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- fixtures

def make_fixtures(base: Path) -> Path:
    """A finished tiny sweep and run, built once with the install under test, for the file cases."""
    fixtures = base / "fixtures"
    fixtures.mkdir()
    for name, args in (("sweep", ["-m", "strategies.one_way.mail_rate=12,52", *SMALL,
                                  f"hydra.sweep.dir={fixtures / 'sweep'}"]),
                       ("run", [*SMALL, f"hydra.run.dir={fixtures / 'run'}"])):
        ctx = Ctx(base / f"fixture-{name}", fixtures)
        for folder in (ctx.work, ctx.outside, ctx.markers):
            folder.mkdir(parents=True)
        result = run_case(Case("fixture", name, "legal", args=args, timeout=600), ctx)[-1]
        if result.code != 0:
            raise SystemExit(f"fuzz: the {name} fixture failed: {result.stderr[-2000:]}")
        shutil.rmtree(ctx.root)
    return fixtures


def _copy(ctx: Ctx, name: str, to: str = "sweep") -> Path:
    target = ctx.work / to
    shutil.copytree(ctx.fixtures / name, target)
    return target


def _truncate(path: Path, keep: int = 100) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:keep])


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _evil_bin(ctx: Ctx) -> Path:
    folder = ctx.outside / "bin"
    folder.mkdir(exist_ok=True)
    for program in ("git", "python", "python3", "sh", "uname", "nproc", "ldconfig"):
        script = folder / program
        script.write_text(EVIL_SCRIPT.format(marker=ctx.marker(f"ran-{program}")))
        script.chmod(0o755)
    return folder


def _evil_package(ctx: Ctx, name: str, where: Path | None = None) -> None:
    """A package `name` in the working folder (or `where`) whose import leaves a marker."""
    folder = (where or ctx.work) / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text(f"open({str(ctx.marker('imported-' + name.replace('/', '.')))!r}, 'w')"
                                        ".close()\n")


# --------------------------------------------------------------------------- the keys relsim reads

def numeric_keys() -> list[tuple[str, Any, Any, type]]:
    """(key, lo, hi, int or float) of every numeric field relsim reads from a command line."""
    import typing

    from relsim.params import Market, Policy, Strategy

    keys: list[tuple[str, Any, Any, type]] = []

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            kind = hints[f.name]
            if dataclasses.is_dataclass(kind):
                walk(kind, f"{prefix}.{f.name}")
            elif kind in (int, float):
                keys.append((f"{prefix}.{f.name}", f.metadata.get("lo"), f.metadata.get("hi"), kind))

    walk(Strategy, "strategies.one_way")
    walk(Market, "market")
    walk(Policy, "firm_policy")
    keys += [("days", 1, 36500, int), ("seeds", 1, 100_000, int), ("workers", 0, 4096, int),
             ("posterior", 0, 10_000, int)]
    return keys


def section_keys() -> list[str]:
    """Every key that holds a group of keys (a strategy, the market's parts, a trait's distribution)."""
    import typing

    from relsim.params import Market

    sections = [f"strategies.{s}" for s in ("one_way", "reciprocal", "hybrid", "middle", "budgeted", "learner")]
    sections += ["market", "firm_policy", "firm_policy.menu"]

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[f.name]):
                sections.append(f"{prefix}.{f.name}")
                walk(hints[f.name], f"{prefix}.{f.name}")

    walk(Market, "market")
    return sections


TRAITS = ("churn_propensity", "contact_capacity", "contact_tolerance", "price_sensitivity", "support_seeking",
          "voice_propensity", "public_voice", "problem_proneness", "patience", "spin_detection", "fit",
          "initial_trust")
UNIT_TRAITS = ("contact_tolerance", "support_seeking", "public_voice", "spin_detection", "fit", "initial_trust")


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


# --------------------------------------------------------------------------- the families

def _edge_run(overrides: list[str]) -> str:
    """API code: the run `relsim` would make of these overrides (the config path and the model), with finite tables."""
    return ("from relsim.experiments.plumbing.config import load\n"
            "from relsim.experiments.plumbing.runner import run_all\n"
            f"tables = run_all(load({[*SMALL, *overrides]!r}))\n"
            "for frame in tables.values():\n"
            "    numbers = frame.select_dtypes('number')\n"
            "    assert not np.isinf(numbers.to_numpy(dtype=float)).any(), 'an infinity'\n"
            "    assert not numbers[[c for c in ('customers', 'revenue', 'cost', 'profit') if c in numbers]]"
            ".isna().any().any(), 'a NaN count or amount'\n")


def family_numbers() -> list[Case]:
    cases = []
    for n, (key, lo, hi, kind) in enumerate(numeric_keys()):
        whole = n % 8 == 0  # one key in eight: its legal edges through the whole command, the rest through the API

        def legal(label: str, value: str) -> Case:
            if whole:
                return Case("numbers", label, "legal", args=[*SMALL, f"{key}={value}"], timeout=240)
            return Case("numbers", label + " (config path and model)", "legal", prog="api",
                        code=_edge_run([f"{key}={value}"]), timeout=240)

        cases += [Case("numbers", f"{key}=<400 digits>", "bad", args=[*SMALL, f"{key}={LONG_INT}"], expect=key),
                  Case("numbers", f"{key}=-<400 digits>", "bad", args=[*SMALL, f"{key}=-{LONG_INT}"], expect=key),
                  Case("numbers", f"{key}=abc", "bad", args=[*SMALL, f"{key}=abc"], expect=key)]
        trait = key.startswith("market.population.")  # a trait's mean and sd: legal only as its kind allows
        if key != "seeds" and not trait:  # 1e-400 is 0.0: legal where 0 is (an integral float is an integer);
            # a shock's day may be -1 (none) or a day from 1, so not 0
            zero = lo is not None and lo <= 0 and key != "market.shock.day"
            cases.append(legal(f"{key}=1e-400", "1e-400") if zero else
                         Case("numbers", f"{key}=1e-400", "bad", args=[*SMALL, f"{key}=1e-400"], expect=key))
        if lo is not None:
            below = lo - 1 if kind is int else lo - max(abs(lo) * 1e-9, 1e-9)
            cases.append(Case("numbers", f"{key}={_fmt(below)} (below)", "bad", args=[*SMALL, f"{key}={_fmt(below)}"],
                              expect=key))
            if key not in ("seeds", "workers") and not trait:
                cases.append(legal(f"{key}={_fmt(lo)} (lowest)", _fmt(lo)))
        top = hi if hi is not None else (10**12 if kind is int else 1e12)
        above = top + 1 if kind is int else top * (1 + 1e-9) + 1e-9
        cases.append(Case("numbers", f"{key}={_fmt(above)} (above)", "bad", args=[*SMALL, f"{key}={_fmt(above)}"],
                          expect=key))
        if key not in ("market.consumers", "seeds", "posterior", "workers", "days", "market.network.degree") \
                and not key.startswith("market.shock.firm") and not trait:
            cases.append(legal(f"{key}={_fmt(top)} (highest)", _fmt(top)))
        if n % 4 == 0:
            for value in ("[1,2]", "true", "nan", "inf", "'5'"):
                if key == "seeds" and value == "[1,2]":  # seeds may be listed: a legal run of two seeds
                    continue
                cases.append(Case("numbers", f"{key}={value}", "bad", args=[*SMALL, f"{key}={value}"], expect=key))
    cases = [c for c in cases if c is not None]
    # the Python API, field by field
    import typing

    from relsim.params import Behaviour, Network, Policy, Shock, Strategy

    for cls in (Strategy, Behaviour, Network, Shock, Policy):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if hints[f.name] in (int, float):
                cases.append(Case("numbers", f"{cls.__name__}({f.name}=10**400)", "bad", prog="api",
                                  code=f"{cls.__name__}({f.name}=10**400)", expect=f.name))
                cases.append(Case("numbers", f"{cls.__name__}({f.name}=10**5000)", "bad", prog="api",
                                  code=f"{cls.__name__}({f.name}=10**5000)", expect=f.name))
    for code in ("RelationshipModel(days=10**400)", "RelationshipModel(consumers=10**400)",
                 "RelationshipModel(rng=10**5000)", "RelationshipModel(mail_rate=10**400)",
                 "Market(consumers=10**400)", "Dist('gamma', 10**400, 1)", "Dist('gamma', 1, 10**400)",
                 "RelationshipModel(days=5, consumers=40, rng=1).run().set_strategy(0, mail_rate=10**400)",
                 "RelationshipModel(days=float('inf'))", "RelationshipModel(days=np.int64(5), consumers=np.int64(10**9)"
                 " * 10**9)"):
        cases.append(Case("numbers", code, "bad", prog="api", code=code))
    # trait distributions: tiny and extreme parameters
    for trait in TRAITS:
        kinds = ("beta", "uniform", "constant") if trait in UNIT_TRAITS else ("gamma", "lognormal", "uniform", "beta")
        mean = {"initial_trust": 0.65, "fit": 0.75, "patience": 5}.get(trait, 0.5 if trait in UNIT_TRAITS else 1.0)
        for kind in kinds:
            for sd in ("1e-200", "5e-324", "1e-12"):
                if kind == "beta" and trait not in UNIT_TRAITS:
                    continue
                cases.append(Case("numbers", f"{trait} {kind} sd={sd}", "legal", args=[
                    *SMALL, f"market.population.{trait}={{kind: {kind}, mean: {mean}, sd: {sd}}}"]))
        if trait not in UNIT_TRAITS:
            for mean_, sd in (("1e-300", "1e-300"), ("1e-300", "1"), ("1e12", "1e12"), ("1e-12", "1e12")):
                for kind in ("gamma", "lognormal"):
                    cases.append(Case("numbers", f"{trait} {kind} mean={mean_} sd={sd}", "legal", args=[
                        *SMALL, f"market.population.{trait}={{kind: {kind}, mean: {mean_}, sd: {sd}}}"]))
        else:
            for mean_, sd in (("1e-300", "1e-301"), ("0.999999999", "1e-10"), ("1e-12", "1e-13")):
                cases.append(Case("numbers", f"{trait} beta mean={mean_} sd={sd}", "legal", args=[
                    *SMALL, f"market.population.{trait}={{kind: beta, mean: {mean_}, sd: {sd}}}"]))
        cases.append(Case("numbers", f"API Dist beta sd=1e-200 for {trait}", "legal", prog="api", code=(
            f"m = RelationshipModel(market=Market(consumers=60, population=Population({trait}=Dist("
            f"'{'beta' if trait in UNIT_TRAITS else 'gamma'}', {mean}, 1e-200))), days=5, rng=1, "
            "consumer_agents=False).run()\nassert np.isfinite(m.recorder.runs()['profit']).all()")))
    return cases


def family_nulls() -> list[Case]:
    cases = []
    for key, _, _, _ in numeric_keys():
        cases.append(Case("nulls", f"{key}=null", "bad", args=[*SMALL, f"{key}=null"], expect=key))
    for key in section_keys():
        cases.append(Case("nulls", f"{key}=null", "bad", args=[*SMALL, f"{key}=null"], expect=key))
    for key in ("arms", "market.rivals", "firm_policy.arms", "currency", "engine", "compose_scenarios", "progress",
                "market.network.generator", "firm_policy.rule", "firm_policy.objective", "firm_policy.rivals",
                "market.population.fit.kind"):
        cases.append(Case("nulls", f"{key}=null", "bad", args=[*SMALL, f"{key}=null"], expect=key))
    # silent clipping: constants and distributions outside a trait's range
    for trait in UNIT_TRAITS:
        for mean in ("1.5", "5", "-0.5"):
            cases.append(Case("nulls", f"constant {trait}={mean}", "bad", expect=trait, args=[
                *SMALL, f"market.population.{trait}={{kind: constant, mean: {mean}, sd: 0}}"]))
        for kind in ("gamma", "lognormal"):
            cases.append(Case("nulls", f"{trait} {kind} (unbounded)", "bad", expect=trait, args=[
                *SMALL, f"market.population.{trait}={{kind: {kind}, mean: 0.5, sd: 0.4}}"]))
        cases.append(Case("nulls", f"{trait} uniform beyond [0, 1]", "bad", expect=trait, args=[
            *SMALL, f"market.population.{trait}={{kind: uniform, mean: 0.5, sd: 0.5}}"]))
        cases.append(Case("nulls", f"{trait} mean=0.5 sd=0 (constant)", "legal", args=[
            *SMALL, f"market.population.{trait}.mean=0.5", f"market.population.{trait}.sd=0"]))
    for trait in ("patience", "contact_capacity", "churn_propensity"):
        cases.append(Case("nulls", f"{trait} uniform below 0", "bad", expect=trait, args=[
            *SMALL, f"market.population.{trait}={{kind: uniform, mean: 1, sd: 2}}"]))
    cases.append(Case("nulls", "constant patience 0.5 (below 1 day)", "bad", expect="patience", args=[
        *SMALL, "market.population.patience={kind: constant, mean: 0.5, sd: 0}"]))
    for degree, consumers in ((500, 200), (60, 60), (1000, 61)):
        cases.append(Case("nulls", f"degree {degree} with {consumers} consumers", "warn", expect="degree", args=[
            *SMALL, f"market.consumers={consumers}", f"market.network.degree={degree}"]))
    # duplicates and wrong types
    for args, expect in ((["scenario=[mail_blitz,mail_blitz]"], "scenario"),
                         (["scenario=[mail_blitz,data_grab,mail_blitz]"], "scenario"),
                         (["arms=[one_way,one_way]"], "arms"), (["seeds=[1,1]"], "seeds"),
                         (["arms=[one_way]", "firm_policy=bandit", "firm_policy.arms=[one_way,one_way]"], "firm_policy.arms"),
                         (["arms=[[one_way]]"], "arms"), (["arms=[{a: 1}]"], "arms"), (["arms=[1]"], "arms"),
                         (["arms=one_way,reciprocal"], "arms"), (["market.rivals=[[middle]]"], "market.rivals"),
                         (["firm_policy.arms=[[one_way]]"], "firm_policy.arms"),
                         (["firm_policy=bandit", "firm_policy.menu={mail_rate: [1]}"], "menu"),
                         (["firm_policy=bandit", "firm_policy.menu={mail_rate: [1, 1]}"], "menu"),
                         (["firm_policy=bandit", "firm_policy.menu={mail_rate: [" + ",".join(
                             str(v) for v in range(300)) + "]}"], "menu"),
                         (["firm_policy=bandit", "firm_policy.menu={mail_rate: [1, 2], 5: [1, 2]}"], "menu"),
                         (["seeds=[1.5]"], "seeds"), (["seeds=[true]"], "seeds"), (["seeds=1.0"], "seeds"),
                         (["days=12.0"], None),  # 12.0 is 12 (params.number); seeds, which name streams, are not
                         (["currency=' $'"], "currency"), (["currency=[a]"], "currency"),
                         (["strategies.one_way.mail_rate=true"], "mail_rate"),
                         (["strategies.one_way.mail_rate='12'"], "mail_rate"),
                         (["strategies.one_way.channels=1.5"], "channels"),
                         (["market.network.generator=[none]"], "generator"),
                         (["+strategies.new_one={mail_rate: 5}", "arms=[new_one]"], None),
                         (["strategies.one_way={mail_rate: 5, bogus: 1}"], "bogus"),
                         (["scenario=[null]"], "scenario"), (["scenario=[]", "compose_scenarios=maybe"], "compose")):
        cases.append(Case("nulls", " ".join(args), "legal" if expect is None else "bad",
                          args=[*SMALL, *args], expect=expect))
    # the API's gaps
    api_bad = {
        "Policy(rule='bandit', arms=['a', 'a'])": "arms", "Policy(rule='bandit', arms=[1])": "arms",
        "Policy(rule='bandit', arms=[None])": "arms", "Policy(rule='bandit', arms='one_way')": "arms",
        "Policy(rule='bandit', menu={'mail_rate': list(range(1, 366))})": "menu",
        "Policy(rule='bandit', menu={'mail_rate': [1.0] * 100000})": "menu",
        "Policy(rule='bandit', menu={'mail_rate': [1, 2], 'listening': [0.1, 0.2], 'support_fee': list(range(0, "
        "400)), 'nuisance_fee': list(range(0, 400))})": "menu",
        "Policy(menu={'mail_rate': [1, float('nan')]})": "menu", "Policy(menu={'mail_rate': [1, 10**400]})": "menu",
        "Policy(menu={'mail_rate': [True, False]})": "menu", "Policy(menu={1: [1, 2]})": "menu",
        "Policy(menu=None)": "menu", "Policy(arms=None)": "arms",
        "m = RelationshipModel(days=3, consumers=40, rng=1)\nfor _ in range(5): m.step()": "step",
        "m = RelationshipModel(days=3, consumers=40, rng=1).run()\nm.step()": "step",
        "RelationshipModel(names=[1, 2])": "names",
        "RelationshipModel(names='ab')": "names",
        "Population(fit=None)": "fit", "Market(network=None)": "network", "Market(population=None)": "population",
        "Market(behaviour=None)": "behaviour", "Market(shock=None)": "shock", "Market(rivals=None)": "rivals",
        "Market(rivals=['middle', 5])": "rivals", "Market(rivals='middle')": "rivals",
        "build(Market, {'network': None})": "network", "build(Market, {'population': {'fit': None}})": "fit",
        "build(Strategy, {'mail_rate': None})": "mail_rate", "Strategy(mail_rate=None)": "mail_rate",
        "Dist(kind=None)": "kind", "Dist('beta', 0.5, None)": "sd",
        "Population(support_seeking=Dist('constant', 5, 0))": "support_seeking",
        "Population(fit=Dist('gamma', 0.5, 0.3))": "fit",
        "Market(consumers=200, network=Network(degree=500))": None,
        "RelationshipModel(days=3, consumers=40, rng=1).set_strategy(0, mail_rate=None)": "mail_rate",
        "RelationshipModel(days=3, consumers=40, rng=1).set_strategy(0, bogus=1)": "bogus",
        "RelationshipModel(days=3, consumers=40, rng=1).set_strategy(5, mail_rate=1)": "firm",
        "RelationshipModel(days=3, consumers=40, rng=1, learners=[0, 0, 7])": "learners",
        "RelationshipModel(days=3, consumers=40, rng=True)": "rng",
        "RelationshipModel(days=True)": "days", "RelationshipModel(engine=None)": "engine",
    }
    for code, expect in api_bad.items():
        cases.append(Case("nulls", code, "bad" if expect else "warn", prog="api", code=code, expect=expect or "degree"))
    for code in ("m = RelationshipModel(days=3, consumers=40, rng=1)\nfor _ in range(3): m.step()\n"
                 "assert not m.running",
                 "Policy(rule='bandit', menu={'mail_rate': [1, 2], 'support_fee': [0, 5]})",
                 "RelationshipModel(names=['a'], days=3, consumers=40, rng=1, market=Market(consumers=40, rivals=[]))"
                 ".run()",
                 # names are what each firm plays: the focal firm playing middle beside a middle rival is legal
                 "RelationshipModel(names=['a', 'a'], days=3, consumers=40, rng=1).run()",
                 "Market(consumers=2)", "RelationshipModel(consumers=2, days=3, rng=0).run()",
                 "Market(consumers=11, network=Network(degree=10))",
                 "Population(fit=Dist('beta', 0.5, 1e-200))"):
        cases.append(Case("nulls", code.splitlines()[0][:60], "legal", prog="api", code=code))
    return cases


def _write_experiment(name: str, text: str) -> Callable[[Ctx], None]:
    """A setup that puts a shared experiment file into relsim's configs/experiment/ for the case (removed after)."""
    def setup(ctx: Ctx) -> None:
        from relsim.experiments.plumbing.config import CONFIG_DIR

        path = CONFIG_DIR / "experiment" / f"{name}.yaml"
        path.write_text(_fill(text, ctx).replace("{marker}", str(ctx.marker("callback"))))
        _PLANTED.append(path)
        _evil_bin(ctx)
    return setup


_PLANTED: list[Path] = []


def _remove_planted() -> None:
    while _PLANTED:
        _PLANTED.pop().unlink(missing_ok=True)


def family_routes() -> list[Case]:
    cases = []
    # the basic launcher runs the jobs in the command's own process (quick); what a job does is the same
    design = ["-m", "hydra/sweeper=design", "hydra/launcher=basic", "hydra.sweeper.method=lhs",
              "hydra.sweeper.samples=2", *SMALL]
    dangerous = {
        "+hydra.job.env_set.PATH": "[{outside}/bin,{outside}/bin]",
        "hydra.job.env_set.PATH": "[{outside}/bin,{outside}/bin]",
        "+hydra.job.env_set.PYTHONPATH": "[{work},{work}]",
        "+hydra.job.env_set.LD_PRELOAD": "[{outside}/x.so,{outside}/y.so]",
        "+hydra.job.env_set.RAY_AUTH_MODE": "[disabled,disabled]",
        "hydra.job.chdir": "[true,true]",
        "+hydra.job.env_copy": "[[PATH],[HOME]]",
        "hydra.searchpath": "[[file://{outside}],[file://{outside}]]",
        "+hydra.job_logging.handlers.file.filename": "[{outside}/a.log,{outside}/b.log]",
        "hydra.job_logging.handlers.file.filename": "[{outside}/a.log,{outside}/b.log]",
        "hydra.runtime.output_dir": "[{outside}/o1,{outside}/o2]",
        "output_dir": "[{outside}/o1,{outside}/o2]",
        "hydra.run.dir": "[{outside}/r1,{outside}/r2]",
        "hydra.sweep.dir": "[{outside}/s1,{outside}/s2]",
        "hydra.sweep.subdir": "[{outside}/j1,{outside}/j2]",
        "+hydra.callbacks.evil._target_": "[pathlib.Path.touch,pathlib.Path.touch]",
        "+evil._target_": "[os.system,os.system]",
        "+hydra.launcher.setup": "[[ls],[ls]]",
        "hydra.launcher.n_jobs": "[0,-100]",
        "hydra.launcher.backend": "[evil,evil]",
        "hydra.launcher.temp_folder": "[{outside}/t1,{outside}/t2]",
        "hydra.mode": "[RUN,RUN]",
        "hydra.job.name": "[../../{outside}/n1,../../{outside}/n2]",
        "strategies.one_way.mail_rate": "[500,600]",
        "market.consumers": "[1,0]",
        "seeds": "[0,-1]",
        "arms": "[[ghost],[ghost]]",
        "market": "[../../x,/etc]",
        "scenario": "[[../../x],[nope]]",
        "strategies.one_way.mail_rate.x": "[1,2]",
        "+market.bogus": "[1,2]",
        "days": "['${oc.env:HOME}','${oc.env:HOME}']",
        "strategies.one_way.listening": "[0.5,'${now:%H}']",
    }
    for n, (key, levels) in enumerate(dangerous.items()):
        cases.append(Case("routes", f"design levels: {key}", "bad", setup=_evil_bin, timeout=180,
                          args=[*design, f"+hydra.sweeper.levels={{{key}:{levels}}}"], expect=key.lstrip("+")))
        if n % 3 == 0:
            cases.append(Case("routes", f"design bounds: {key}", "bad", setup=_evil_bin, timeout=180,
                              args=[*design, f"+hydra.sweeper.bounds={{{key}:[0,1]}}"], expect=key.lstrip("+")))
        if n % 6 == 0:
            cases.append(Case("routes", f"design integers: {key}", "bad", timeout=180, setup=_evil_bin, args=[
                *design, "+hydra.sweeper.bounds={strategies.one_way.listening:[0,1]}",
                f"+hydra.sweeper.integers=[{key}]"], expect="integers"))
    for args, expect in (
            (["hydra.sweeper.simplex=[hydra.job.chdir,strategies.one_way.listening]", "hydra.sweeper.method=simplex",
              "hydra.sweeper.divisions=1"], "simplex"),
            (["hydra.sweeper.method=simplex", "hydra.sweeper.simplex=[strategies.one_way.listening,"
              "strategies.one_way.resolution_quality]", "hydra.sweeper.divisions=0"], "divisions"),
            (["hydra.sweeper.method=evil"], "method"), (["hydra.sweeper.samples=0"], "samples"),
            (["hydra.sweeper.samples=" + LONG_INT], "samples"), (["hydra.sweeper.seed=-1"], "seed"),
            (["hydra.sweeper.max_batch_size=0"], "max_batch_size"),
            (["+hydra.sweeper.bounds={strategies.one_way.mail_rate:[5,1]}"], "bounds"),
            (["+hydra.sweeper.bounds={strategies.one_way.mail_rate:[1,'${oc.env:HOME}']}"], "bounds"),
            (["+hydra.sweeper.bounds={strategies.one_way.mail_rate:[nan,5]}"], "bounds"),
            (["+hydra.sweeper.bounds={strategies.one_way.mail_rate:[0,1e400]}"], "bounds"),
            (["+hydra.sweeper.levels={strategies.one_way.mail_rate:[1]}"], "levels"),
            (["+hydra.sweeper.levels={strategies.one_way.mail_rate:5}"], "levels"),
            (["+hydra.sweeper.levels={strategies.one_way.mail_rate:[1,null]}"], "levels"),
            (["+hydra.sweeper.levels={strategies.one_way.mail_rate:[1,1]}"], "levels"),
            (["+hydra.sweeper.bounds={market.population.fit.mean:[0.9,0.99]}",
              "market.population.fit.sd=0.25"], "fit")):
        cases.append(Case("routes", "design: " + " ".join(args)[:80], "bad", args=[*design, *args], timeout=180,
                          expect=expect))
    for args in ([*design, "+hydra.sweeper.bounds={strategies.one_way.mail_rate:[1,365]}"],
                 [*design, "+hydra.sweeper.levels={strategies.one_way.listening:[0.1,0.9]}"],
                 [*design, "+hydra.sweeper.bounds={strategies.one_way.support_free_days:[0,90]}",
                  "+hydra.sweeper.integers=[strategies.one_way.support_free_days]"],
                 [*design, "+hydra.sweeper.levels={market:[monopoly,default]}"],
                 # the design varies the arms, so the command line does not set them
                 [*(a for a in design if not a.startswith("arms=")), "+hydra.sweeper.levels={arms:[[one_way],[reciprocal]]}"]):
        cases.append(Case("routes", "design (legal): " + args[-1][:70], "legal", args=args, timeout=300))
    # the sweep's job folders
    for subdir in ("{outside}/abs", "../../outside/rel", "job=${hydra.job.num}/../../../outside", "..", ".",
                   "/", "job=${hydra.job.id}", "x", "job=${oc.env:HOME}"):
        cases.append(Case("routes", f"hydra.sweep.subdir={subdir}", "bad", timeout=180, expect="subdir",
                          args=["-m", "strategies.one_way.mail_rate=12,52", *SMALL,
                                f"hydra.sweep.subdir={subdir}"]))
    # launcher settings
    launcher_bad = {
        "joblib": ["hydra.launcher.n_jobs=0", "hydra.launcher.n_jobs=-100", f"hydra.launcher.n_jobs={LONG_INT}",
                   "hydra.launcher.backend=evil", "hydra.launcher.backend=threading", "hydra.launcher.timeout=0.001",
                   "hydra.launcher.timeout=-1", "hydra.launcher.prefer=evil", "hydra.launcher.batch_size=0",
                   "hydra.launcher.pre_dispatch=evil", "hydra.launcher.verbose=" + LONG_INT,
                   "hydra.launcher.temp_folder={outside}/tmp", "hydra.launcher.max_nbytes=evil",
                   "hydra.launcher.mmap_mode=evil", "hydra.launcher.require=sharedmem", "+hydra.launcher.bogus=1",
                   "hydra.launcher.n_jobs=null"],
        "basic": ["+hydra.launcher.n_jobs=2", "+hydra.launcher.bogus=1"],
        "submitit_local": ["hydra.launcher.timeout_min=0", "hydra.launcher.submitit_folder={outside}/sub",
                           "hydra.launcher.cpus_per_task=0", "hydra.launcher.tasks_per_node=" + LONG_INT,
                           "+hydra.launcher.bogus=1", "hydra.launcher.mem_gb=-1"],
    }
    for launcher, overrides in launcher_bad.items():
        for o in overrides:
            cases.append(Case("routes", f"{launcher}: {o}", "bad", timeout=120, expect=o.split("=")[0].lstrip("+"),
                              args=["-m", f"hydra/launcher={launcher}", "strategies.one_way.mail_rate=12,52",
                                    *SMALL, o.replace("{outside}", "{outside}")]))
    cases.append(Case("routes", "joblib: n_jobs=1 (legal)", "legal", timeout=300, args=[
        "-m", "hydra.launcher.n_jobs=1", "strategies.one_way.mail_rate=12,52", *SMALL]))
    cases.append(Case("routes", "basic launcher (legal)", "legal", timeout=300, args=[
        "-m", "hydra/launcher=basic", "strategies.one_way.mail_rate=12,52", *SMALL]))
    # shared experiment files
    experiments = {
        "env_set": "# @package _global_\nhydra:\n  job:\n    env_set:\n      PATH: {outside}/bin\n",
        "design_env": ("# @package _global_\ndefaults:\n  - override /hydra/sweeper: design\nhydra:\n  mode: MULTIRUN\n"
                       "  sweeper:\n    method: lhs\n    samples: 2\n    levels:\n      +hydra.job.env_set.PATH: "
                       "[{outside}/bin, {outside}/bin]\n"),
        "design_range": ("# @package _global_\ndefaults:\n  - override /hydra/sweeper: design\nhydra:\n  mode: MULTIRUN\n"
                         "  sweeper:\n    method: lhs\n    samples: 2\n    bounds:\n      "
                         "strategies.one_way.mail_rate: [400, 500]\n"),
        "design_log": ("# @package _global_\ndefaults:\n  - override /hydra/sweeper: design\nhydra:\n  mode: MULTIRUN\n"
                       "  sweeper:\n    method: lhs\n    samples: 2\n    levels:\n      "
                       "+hydra.job_logging.handlers.file.filename: [{outside}/a.log, {outside}/b.log]\n"),
        "subdir": "# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweep:\n    subdir: {outside}/job\n",
        "subdir_params": ("# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"
                          "      strategies.one_way.mail_rate: 12,52\n      hydra.job.env_set.PATH: {outside}/bin\n"),
        "params_range": ("# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"
                         "      strategies.one_way.mail_rate: 12,520\n"),
        "callback": ("# @package _global_\nhydra:\n  callbacks:\n    evil:\n      _target_: pathlib.Path.touch\n"
                     "      self: {marker}\n"),
        "launcher_setup": "# @package _global_\nhydra:\n  launcher:\n    setup: [/usr/bin/touch {marker}]\n",
        "chdir": "# @package _global_\nhydra:\n  job:\n    chdir: true\n",
        "searchpath": "# @package _global_\nhydra:\n  searchpath: [file://{outside}]\n",
        "logfile": ("# @package _global_\nhydra:\n  job_logging:\n    handlers:\n      file:\n"
                    "        filename: {outside}/x.log\n"),
        "target": "# @package _global_\nevil:\n  _target_: os.system\n  _args_: [/usr/bin/touch {marker}]\n",
        "output_dir": "# @package _global_\noutput_dir: {outside}/out\n",
        "runtime": "# @package _global_\nhydra:\n  runtime:\n    output_dir: {outside}/out\n",
        "interpolation": "# @package _global_\ncurrency: ${oc.env:HOME}\n",
        "interpolation_dir": "# @package _global_\nhydra:\n  run:\n    dir: ${oc.env:HOME}/relsim-escape\n",
        "null_market": "# @package _global_\nmarket:\n  network: null\n",
        "bad_value": "# @package _global_\nstrategies:\n  one_way:\n    mail_rate: 9999\n",
        "launcher_n_jobs": ("# @package _global_\ndefaults:\n  - override /hydra/launcher: joblib\nhydra:\n  mode: MULTIRUN\n"
                            "  launcher:\n    n_jobs: 0\n  sweeper:\n    params:\n      "
                            "strategies.one_way.mail_rate: 12,52\n"),
        "ray_dashboard": ("# @package _global_\ndefaults:\n  - override /hydra/launcher: ray_local\nhydra:\n  mode: "
                          "MULTIRUN\n  launcher:\n    ray:\n      init:\n        include_dashboard: true\n"
                          "        dashboard_host: 0.0.0.0\n  sweeper:\n    params:\n      "
                          "strategies.one_way.mail_rate: 12,52\n"),
    }
    for n, (name, text) in enumerate(experiments.items()):
        expname = f"fuzz_{os.getpid()}_{n}"
        cases.append(Case("routes", f"experiment file: {name}", "bad", timeout=180,
                          setup=_write_experiment(expname, text), args=[f"+experiment={expname}", *SMALL]))
    cases.append(Case("routes", "experiment file (legal): a sweep", "legal", timeout=300, setup=_write_experiment(
        f"fuzz_{os.getpid()}_legal", "# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"
        "      strategies.one_way.mail_rate: 12,52\n"), args=[f"+experiment=fuzz_{os.getpid()}_legal", *SMALL]))
    # command-line routes that reach the environment
    for o in ("hydra.run.dir=${oc.env:HOME}/x", "hydra.run.dir={outside}/${oc.env:USER}", "hydra.run.dir=${now:}",
              "hydra.run.dir=${hydra.job.override_dirname}", "hydra.sweep.dir=${oc.env:HOME}",
              "hydra.run.dir=${oc.decode:'[1]'}", "hydra.run.dir=${oc.create:{a: 1}}",
              "hydra.job.env_set.PATH={outside}/bin", "hydra.job_logging.root.level=DEBUG",
              "hydra.output_subdir={outside}/h", "hydra.output_subdir=null", "hydra.job.name=../../x",
              "hydra.mode=evil", "hydra.runtime.output_dir={outside}/o"):
        cases.append(Case("routes", o, "bad", args=[*SMALL, o], setup=_evil_bin,
                          expect=o.split("=")[0]))
    for o in ("hydra.run.dir=out/${now:%Y-%m-%d}", "hydra.mode=RUN", "hydra.run.dir='with space/and,comma'",
              "hydra.run.dir='quote\\'d'", "hydra.run.dir='caf\u00e9/\u65e5\u672c'", "hydra.verbose=true"):
        cases.append(Case("routes", o + " (legal)", "legal", args=[*SMALL, o]))
    return cases


def family_subprocess() -> list[Case]:
    cases = []

    def planted(*names: str) -> Callable[[Ctx], None]:
        def setup(ctx: Ctx) -> None:
            for name in names:
                _evil_package(ctx, name)
            _evil_bin(ctx)
        return setup

    quick = ["seeds=1", "market.consumers=60", "days=10", "progress=false"]
    for names in (("relsim",), ("hydra_plugins/evil_plugin", "relsim"), ("joblib", "relsim"),
                  ("numpy",), ("omegaconf",)):
        label = "+".join(names)
        cases += [
            Case("subprocess", f"relsim-audit beside a {label} folder", "legal", prog="relsim-audit",
                 setup=planted(*names), timeout=400, args=["--doc", "", "--out", "audit", "arms=[one_way]", *quick]),
            Case("subprocess", f"relsim -m (joblib) beside a {label} folder", "legal", setup=planted(*names),
                 timeout=300, args=["-m", "strategies.one_way.mail_rate=12,52", *SMALL]),
            Case("subprocess", f"relsim workers=2 beside a {label} folder", "legal", setup=planted(*names), timeout=300,
                 args=[*SMALL[:-1], "seeds=2", "workers=2"]),
        ]
    cases.append(Case("subprocess", "relsim-findings --quick beside a relsim folder", "legal", prog="relsim-findings",
                      setup=planted("relsim"), timeout=1500,
                      args=["--quick", "--no-figures", "--out", "findings", "--doc", "FINDINGS.md"],
                      outputs=lambda ctx: [ctx.work / "findings" / "flagship"]))
    cases.append(Case("subprocess", "relsim-validate --workers 2 beside a relsim folder", "legal",
                      prog="relsim-validate", setup=planted("relsim"), timeout=900,
                      args=["--quick", "--facts", "1,2", "--workers", "2", "--out", "val"], ok=(0, 1),
                      outputs=lambda ctx: []))
    cases.append(Case("subprocess", "relsim-calibrate --workers 2 beside a relsim folder", "legal",
                      prog="relsim-calibrate", setup=planted("relsim"), timeout=600,
                      args=["--out", "cal", "--patterns", "2", "--consumers", "100", "--workers", "2", "--quiet"],
                      outputs=lambda ctx: []))
    # a planted git on the PATH of a job (every route that could set it is tried in the routes family)
    cases.append(Case("subprocess", "PATH with a planted git, set by the user (their own choice)", "legal",
                      setup=planted(), env={"PATH": "{outside}/bin:/usr/bin:/bin"}, args=[*SMALL]))
    return cases


def family_listeners() -> list[Case]:
    cases = []
    for args, expect in ((["--all"], "--all"), (["--allow"], "--allow"), (["--allow-r"], "--allow-r"),
                         (["--al"], "--al"), (["--ho", "127.0.0.1"], "--ho"), (["--po", "9"], "--po"),
                         (["--host", "0.0.0.0"], "host"), (["--host", "::"], "host"), (["--host", "0"], "host"),
                         (["--host", "10.0.0.1"], "host"), (["--host", "example.org"], "host"),
                         (["--host", "127.0.0.1", "--port", "0"], "port"), (["--port", "65536"], "port"),
                         (["--port", "-1"], "port"), (["--port", LONG_INT], "port"), (["--port", "http"], "port"),
                         (["--host", ""], "host"), (["--host", "127.0.0.1", "--allow-rem"], "allow-rem"),
                         (["--host", "localhost", "--allow-remote=yes"], "allow-remote")):
        cases.append(Case("listeners", "relsim-app " + " ".join(args), "bad", prog="relsim-app", args=args,
                          timeout=60, expect=expect))
    for args in ([], ["--port", "8766"], ["--host", "::1"], ["--host", "localhost"]):
        cases.append(Case("listeners", "relsim-app " + " ".join(args) + " (legal)", "legal", prog="relsim-app",
                          args=args, timeout=60))
    prefixes = {
        "relsim-calibrate": [("--ou", "x"), ("--metho", "lsq"), ("--da", "local"), ("--market", None),
                             ("--consum", "100"), ("--write-pre", "x"), ("--patt", "2")],
        "relsim-report": [("--metr", "npv"), ("--stat", "svg")],
        "relsim-audit": [("--ou", "x"), ("--do", "")],
        "relsim-findings": [("--fr", "x"), ("--qu", None), ("--no-fig", None), ("--do", "x")],
        "relsim-validate": [("--ou", "x"), ("--qui", None), ("--fac", "1"), ("--work", "1")],
    }
    for prog, options in prefixes.items():
        for option, value in options:
            if value is None and option == "--market":
                continue
            args = [option, *([value] if value is not None else [])]
            # each with an error of its own after the option, so an abbreviation taken would show; calibrate's --out
            # is required, so it is given (else argparse names the missing --out before any unknown option)
            fail_fast = {"relsim-calibrate": ["--consumers", "1", "--out", "cal"],
                         "relsim-report": ["nowhere"],
                         "relsim-audit": ["days=0"], "relsim-findings": ["--from", "nowhere"],
                         "relsim-validate": ["--facts", "99"]}[prog]
            cases.append(Case("listeners", f"{prog} {option} (an abbreviation)", "bad", prog=prog, timeout=120,
                              args=[*args, *fail_fast], expect=option))
    ray = ["-m", "hydra/launcher=ray_local", "strategies.one_way.mail_rate=12,52", *SMALL]
    for extra, kind in ((["hydra.launcher.ray.init.dashboard_host=0.0.0.0",
                          "hydra.launcher.ray.init.include_dashboard=true"], "bad"),
                        (["hydra.launcher.ray.init.include_dashboard=true"], "bad"),
                        (["hydra.launcher.ray.init._node_ip_address=0.0.0.0"], "bad"),
                        (["+hydra.launcher.ray.init.dashboard_host=::"], "bad"),
                        (["+hydra.launcher.ray.init.dashboard_port=80"], "bad"),
                        (["hydra.launcher.ray.init.address=auto"], "bad"),
                        (["+hydra.launcher.ray.init._temp_dir={outside}/ray"], "bad"),
                        (["+hydra.launcher.ray.init.runtime_env={env_vars: {A: b}}"], "bad"),
                        (["hydra.launcher.ray.remote.num_cpus=0"], "bad"),
                        (["hydra.launcher.ray.init.object_store_memory=1"], "bad"),
                        ([], "legal")):
        cases.append(Case("listeners", "ray_local " + " ".join(extra), kind, args=[*ray, *extra], timeout=120,
                          check=_ray_recorded if kind == "legal" else None,
                          expect=extra[0].split("=")[0].lstrip("+") if extra else None))
    for address in ("tcp://127.0.0.1:1", "127.0.0.1:1", "not an address", "tcp://", "local:8787", "inproc://x",
                    "tcp://256.1.1.1:8786", "tcp://127.0.0.1:" + LONG_INT):
        cases.append(Case("listeners", f"relsim-calibrate --dask {address!r}", "bad", prog="relsim-calibrate",
                          timeout=120, expect="--dask", args=["--out", "cal", "--patterns", "2", "--consumers", "100",
                                                              "--dask", address, "--quiet"]))
    return cases


def _ray_recorded(ctx: Ctx, results: list[Result]) -> str | None:
    """The legal ray_local sweep: Ray is intercepted, so it 'ran' when ray.init was called (on loopback)."""
    record = ctx.root / "ray_init.json"
    if record.is_file() and not _ray_listens_beyond_loopback(ctx):
        ctx.work.joinpath("multirun").mkdir(exist_ok=True)
        return "ran"
    return None


def family_files() -> list[Case]:
    cases = []

    def sweep_with(change: Callable[[Path], None]) -> Callable[[Ctx], None]:
        def setup(ctx: Ctx) -> None:
            change(_copy(ctx, "sweep"))
        return setup

    def rm(*names: str) -> Callable[[Path], None]:
        return lambda d: [shutil.rmtree(p) if p.is_dir() else p.unlink() for n in names for p in d.glob(n)]

    def write(name: str, data: bytes) -> Callable[[Path], None]:
        def change(d: Path) -> None:
            for p in list(d.glob(name)) or [d / name]:  # a file the sweep lacks is made (a corrupt design.json)
                if p.is_dir():
                    shutil.rmtree(p)
                p.write_bytes(data)
        return change

    def trunc(name: str, keep: int = 100) -> Callable[[Path], None]:
        return lambda d: [_truncate(p, keep) for p in d.glob(name)]

    def fifo(name: str) -> Callable[[Path], None]:
        return lambda d: [(p.unlink(), _fifo(p)) for p in d.glob(name)]

    corruptions = {
        "runs.parquet truncated": [rm("sweep.parquet", "jobs.parquet"), trunc("job=0/runs.parquet")],
        "runs.parquet empty": [rm("sweep.parquet", "jobs.parquet"), write("job=0/runs.parquet", b"")],
        "runs.parquet not Parquet": [rm("sweep.parquet", "jobs.parquet"), write("job=0/runs.parquet", b"PAR1garbagePAR1")],
        "runs.parquet missing": [rm("sweep.parquet", "jobs.parquet", "job=0/runs.parquet")],
        "summary.csv missing": [rm("sweep.parquet", "jobs.parquet", "job=1/summary.csv")],
        "summary.csv garbage": [rm("sweep.parquet", "jobs.parquet"), write("job=1/summary.csv", b"\x00\xff\xfe")],
        "manifest corrupt": [rm("sweep.parquet", "jobs.parquet"), write("job=0/manifest.json", b"{not json")],
        "manifest a list": [rm("sweep.parquet", "jobs.parquet"), write("job=0/manifest.json", b"[]")],
        "manifest without config": [rm("sweep.parquet", "jobs.parquet"), write("job=0/manifest.json", b"{}")],
        "manifest binary": [rm("sweep.parquet", "jobs.parquet"), write("job=0/manifest.json", b"\xff\xfe\x00")],
        "overrides.yaml corrupt": [rm("sweep.parquet", "jobs.parquet"), write("job=0/.hydra/overrides.yaml", b"[: :")],
        "overrides.yaml a mapping": [rm("sweep.parquet", "jobs.parquet"), write("job=0/.hydra/overrides.yaml", b"a: 1")],
        "jobs.parquet truncated": [trunc("jobs.parquet")],
        "sweep.parquet truncated": [trunc("sweep.parquet")],
        "sweep_manifest corrupt": [write("sweep_manifest.json", b"{")],
        "sweep_manifest a number": [write("sweep_manifest.json", b"5")],
        "design.json corrupt": [write("design.json", b"{")],
        "multirun.yaml corrupt": [write("multirun.yaml", b": : :")],
        "job folder a file": [rm("sweep.parquet", "jobs.parquet", "job=1"), write("job=1", b"x")],
        "runs.parquet a folder": [rm("sweep.parquet", "jobs.parquet", "job=0/runs.parquet"),
                                  lambda d: (d / "job=0" / "runs.parquet").mkdir()],
        "runs.parquet a FIFO": [rm("sweep.parquet", "jobs.parquet"), fifo("job=0/runs.parquet")],
        "manifest a FIFO": [rm("sweep.parquet", "jobs.parquet"), fifo("job=0/manifest.json")],
        "jobs.parquet a FIFO": [fifo("jobs.parquet")],
        "job schemas differ": [rm("sweep.parquet", "jobs.parquet"), lambda d: _change_schema(d / "job=1" / "runs.parquet")],
    }
    # Files a command does not read are no damage to it: relsim-collect rebuilds the collection (sweep.parquet,
    # jobs.parquet, sweep_manifest.json) from the jobs, so it repairs a damaged one, and reads no design.json; no
    # relsim command reads Hydra's multirun.yaml.
    not_read = {"relsim-collect": ("jobs.parquet", "sweep.parquet", "sweep_manifest", "design.json", "multirun.yaml"),
                "relsim-report": ("multirun.yaml",)}
    for name, changes in corruptions.items():
        def apply(d: Path, changes=changes) -> None:
            for change in changes:
                change(d)
        for prog in ("relsim-report", "relsim-collect"):
            kind = "legal" if name.startswith(not_read[prog]) else "bad"
            cases.append(Case("files", f"{prog}: {name}" + (" (not read: legal)" if kind == "legal" else ""), kind,
                              prog=prog, args=["sweep"], setup=sweep_with(apply), timeout=60,
                              outputs=(lambda ctx: [ctx.work / "sweep"]) if kind == "legal" else None))
    for args, expect in ((["sweep", "--metrics", "bogus"], "bogus"), (["sweep", "--metrics"], "metrics"),
                         (["sweep", "--static", "gif"], "static"), (["nowhere"], "nowhere"), (["sweep", "extra"], None),
                         (["sweep/job=0/manifest.json"], None), ([], None), (["sweep", "--metrics", ""], "metrics"),
                         (["sweep", "--metrics", "npv", "npv"], "metrics")):  # a metric twice: refused, said why
        cases.append(Case("files", "relsim-report " + " ".join(args), "bad",
                          prog="relsim-report", args=args, setup=lambda ctx: _copy(ctx, "sweep"), timeout=120,
                          expect=expect, outputs=lambda ctx: [ctx.work / "sweep"]))
    cases.append(Case("files", "relsim-report on an empty folder", "bad", prog="relsim-report", args=["sweep"],
                      setup=lambda ctx: (ctx.work / "sweep").mkdir()))
    cases.append(Case("files", "relsim-report on a single run's folder", "bad", prog="relsim-report", args=["run"],
                      setup=lambda ctx: _copy(ctx, "run", "run")))
    cases.append(Case("files", "relsim-report on a full disk", "bad", prog="relsim-report", args=["sweep"],
                      setup=sweep_with(rm("sweep.parquet", "jobs.parquet", "sweep_manifest.json")), fsize=2000,
                      timeout=120))
    cases.append(Case("files", "relsim-report (legal)", "legal", prog="relsim-report", args=["sweep"],
                      setup=lambda ctx: _copy(ctx, "sweep"), timeout=120, outputs=lambda ctx: [ctx.work / "sweep"]))
    cases.append(Case("files", "relsim-collect (legal)", "legal", prog="relsim-collect", args=["sweep"],
                      setup=sweep_with(rm("sweep.parquet", "jobs.parquet")), timeout=120,
                      outputs=lambda ctx: [ctx.work / "sweep"]))
    cases.append(Case("files", "relsim-collect on a full disk", "bad", prog="relsim-collect", args=["sweep"],
                      setup=sweep_with(rm("sweep.parquet", "jobs.parquet", "sweep_manifest.json")), fsize=2000))
    cases.append(Case("files", "relsim-collect on a read-only file system", "bad", prog="relsim-collect",
                      args=["/proc/self"]))
    # relsim-findings --from
    records = {"malformed": b"{", "a list": b"[]", "wrong types": b'{"quick": "yes", "wall_s": 5}',
               "binary": b"\xff\x00", "empty": b"", "wall a list": b'{"quick": true, "wall_s": [1, 2]}',
               "huge number": b'{"quick": true, "wall_s": {"flagship": 1e400}'}
    for name, data in records.items():
        def setup(ctx: Ctx, data=data) -> None:
            (ctx.work / "f").mkdir()
            (ctx.work / "f" / "findings_runs.json").write_bytes(data)
        cases.append(Case("files", f"relsim-findings --from: record {name}", "bad", prog="relsim-findings",
                          args=["--from", "f", "--doc", "F.md", "--no-figures"], setup=setup))
    for name, args, setup in (
            ("no runs", ["--from", "f", "--doc", "F.md", "--no-figures"],
             lambda ctx: ((ctx.work / "f").mkdir(), (ctx.work / "f" / "findings_runs.json").write_text(
                 '{"quick": true, "wall_s": {}'))),
            ("a file", ["--from", "f.txt", "--doc", "F.md"], lambda ctx: (ctx.work / "f.txt").write_text("x")),
            ("--out not empty", ["--out", "f", "--quick"], lambda ctx: ((ctx.work / "f").mkdir(),
                                                                      (ctx.work / "f" / "x").write_text("x"))),
            ("--out a file", ["--out", "f.txt", "--quick"], lambda ctx: (ctx.work / "f.txt").write_text("x")),
            ("--out on /proc", ["--out", "/proc/relsim", "--quick"], None),
            ("--doc on /proc", ["--from", "f", "--doc", "/proc/F.md"], lambda ctx: _copy(ctx, "run", "f")),
            ("--doc a folder", ["--from", "f", "--doc", "."], lambda ctx: _copy(ctx, "run", "f"))):
        cases.append(Case("files", f"relsim-findings {name}", "bad", prog="relsim-findings", args=args, setup=setup))
    # relsim-calibrate: data files, names, output folders
    curve = "period,surviving\n0,1000\n1,800\n2,700\n3,650\n"
    datas = {"a FIFO": None, "a folder": "DIR", "binary": b"\x00\xff" * 50, "empty": b"", "no columns": b"a,b\n1,2\n",
             "NaN": b"period,surviving\n0,1\n1,nan\n2,0.5\n", "1e400": b"period,surviving\n0,1e400\n1,1\n2,1\n",
             "long integer": ("period,surviving\n0," + LONG_INT + "\n1,5\n2,3\n").encode(),
             "rising": b"period,surviving\n0,0.5\n1,0.9\n2,0.4\n", "duplicate period": b"period,surviving\n0,1\n0,1\n1,.5\n",
             "two rows": b"period,surviving\n0,1\n1,0.5\n", "negative": b"period,surviving\n0,1\n1,-0.5\n2,-1\n",
             "huge period": ("period,surviving\n0,1\n1,0.9\n" + LONG_INT + ",0.5\n").encode(),
             "a symlink loop": "LOOP", "/dev/zero": "ZERO", "utf-16": "period,surviving\n0,1\n1,.9\n2,.8\n".encode("utf-16")}
    for name, data in datas.items():
        def setup(ctx: Ctx, data=data) -> None:
            path = ctx.work / "data.csv"
            if data is None:
                _fifo(path)
            elif data == "DIR":
                path.mkdir()
            elif data == "LOOP":
                path.symlink_to(path)
            elif data == "ZERO":
                path.symlink_to("/dev/zero")
            else:
                path.write_bytes(data)
        cases.append(Case("hangs" if name in ("a FIFO", "/dev/zero") else "files", f"relsim-calibrate data {name}",
                          "bad", prog="relsim-calibrate", setup=setup, timeout=60, expect="data",
                          args=["data.csv", "--period-days", "365", "--method", "lsq", "--out", "cal",
                                "--max-evals", "1", "--consumers", "100", "--quiet"]))
    lsq = ["--period-days", "365", "--method", "lsq", "--max-evals", "2", "--consumers", "100", "--quiet",
           "--seeds", "1"]

    def with_curve(ctx: Ctx) -> None:
        (ctx.work / "data.csv").write_text(curve)

    calibrate_bad = {
        "--market ../../x": (["data.csv", *lsq, "--out", "cal", "--market", "../../x"], "--market"),
        "--market /etc/hosts": (["data.csv", *lsq, "--out", "cal", "--market", "/etc/hosts"], "--market"),
        "--market outside yaml": (["data.csv", *lsq, "--out", "cal", "--market", "../../../../../{outside}/m"],
                                  "--market"),
        "--market nope": (["data.csv", *lsq, "--out", "cal", "--market", "nope"], "--market"),
        "--strategy ../x": (["data.csv", *lsq, "--out", "cal", "--strategy", "../x"], "--strategy"),
        "--write-preset ''": (["data.csv", *lsq, "--out", "cal", "--write-preset", ""], "--write-preset"),
        "--write-preset ../x": (["data.csv", *lsq, "--out", "cal", "--write-preset", "../x"], "--write-preset"),
        "--write-preset default": (["data.csv", *lsq, "--out", "cal", "--write-preset", "default"], "--write-preset"),
        "--out a file": (["data.csv", *lsq, "--out", "data.csv"], "--out"),
        "--out on /proc": (["data.csv", *lsq, "--out", "/proc/cal"], "--out"),
        "--out /dev/full": (["data.csv", *lsq, "--out", "/dev/full"], "--out"),
        "--out 300-character name": (["data.csv", *lsq, "--out", "c" * 300], "--out"),
        "--consumers long": (["data.csv", *lsq, "--out", "cal", "--consumers", LONG_INT], "--consumers"),
        "--period-days 0": (["data.csv", *lsq[2:], "--period-days", "0", "--out", "cal"], "--period-days"),
        "--params bogus": (["data.csv", *lsq, "--out", "cal", "--params", "bogus"], "--params"),
        "--params ''": (["data.csv", *lsq, "--out", "cal", "--params", ""], "--params"),
        "--horizon long": (["data.csv", *lsq, "--out", "cal", "--horizon", LONG_INT], "--horizon"),
        "--seed -1": (["--out", "cal", "--seed", "-1", "--patterns", "2"], "--seed"),
        "--seed long": (["--out", "cal", "--seed", LONG_INT], "--seed"),
        "--workers 0": (["--out", "cal", "--workers", "0", "--coverage", "1"], "--workers"),
        "override not market": (["data.csv", *lsq, "--out", "cal", "hydra.job.chdir=true"], "hydra"),
        "override interpolation": (["data.csv", *lsq, "--out", "cal", "market.consumers=${oc.env:HOME}"], "market"),
        "override long": (["data.csv", *lsq, "--out", "cal", "market.behaviour.base_churn=" + LONG_INT], "base_churn"),
        "override null": (["data.csv", *lsq, "--out", "cal", "market.network=null"], "network"),
        "override path": (["data.csv", *lsq, "--out", "cal", "market=../x"], "market"),
    }
    for name, (args, expect) in calibrate_bad.items():
        cases.append(Case("files", f"relsim-calibrate {name}", "bad", prog="relsim-calibrate", setup=with_curve,
                          args=args, expect=expect, timeout=120))
    cases.append(Case("files", "relsim-calibrate on a full disk", "bad", prog="relsim-calibrate", setup=with_curve,
                      args=["data.csv", *lsq, "--out", "cal"], fsize=1500, timeout=300))
    cases.append(Case("files", "relsim-calibrate --write-preset on a full disk", "bad", prog="relsim-calibrate",
                      setup=with_curve, args=["data.csv", *lsq, "--out", "cal", "--write-preset", "fuzzpreset"],
                      fsize=3000, timeout=300, check=_no_preset))
    cases.append(Case("files", "relsim-calibrate lsq (legal)", "legal", prog="relsim-calibrate", setup=with_curve,
                      args=["data.csv", *lsq, "--out", "cal"], timeout=300, outputs=lambda ctx: []))
    # posterior_file
    for name, data in (("a FIFO", None), ("a folder", "DIR"), ("binary", b"\x00\xff"), ("empty", b""),
                       ("no columns", b"a,b\n1,2\n"), ("NaN", b"weight,behaviour.base_churn\nnan,0.1\n"),
                       ("/dev/zero", "ZERO")):
        def setup(ctx: Ctx, data=data) -> None:
            path = ctx.work / "posterior.csv"
            if data is None:
                _fifo(path)
            elif data == "DIR":
                path.mkdir()
            elif data == "ZERO":
                path.symlink_to("/dev/zero")
            else:
                path.write_bytes(data)
        cases.append(Case("hangs" if name in ("a FIFO", "/dev/zero") else "files", f"posterior_file {name}", "bad",
                          setup=setup, timeout=60, expect="posterior_file",
                          args=[*SMALL, "posterior=2", "posterior_file=posterior.csv"]))
    # run folders
    long_name = "d" * 300
    for o, expect in ((f"hydra.run.dir={long_name}", "hydra.run.dir"), (f"hydra.run.dir=a/{long_name}/b", "hydra.run.dir"),
                      ("hydra.run.dir=/proc/relsim", "hydra.run.dir"), ("hydra.run.dir=/dev/null/x", "hydra.run.dir"),
                      ("hydra.run.dir=/dev/full", "hydra.run.dir"), ("hydra.run.dir=/sys/relsim", "hydra.run.dir"),
                      ("hydra.run.dir=''", "hydra.run.dir"), ("hydra.run.dir='a\nb'", "hydra.run.dir"),
                      ("hydra.run.dir=/", "hydra.run.dir"), (f"hydra.sweep.dir={long_name}", "hydra.sweep.dir")):
        multirun = o.startswith("hydra.sweep")
        cases.append(Case("files", o[:60], "bad", expect=expect,
                          args=[*(["-m", "strategies.one_way.mail_rate=12,52"] if multirun else []), *SMALL, o]))
    cases.append(Case("files", "a run on a full disk", "bad", args=[*SMALL, "hydra.run.dir=out"], fsize=20_000,
                      timeout=120))
    cases.append(Case("files", "a sweep on a full disk", "bad", fsize=20_000, timeout=180, check=_one_error,
                      args=["-m", "strategies.one_way.mail_rate=12,52", *SMALL, "hydra.sweep.dir=sw"]))
    cases.append(Case("files", "relsim-audit --doc /dev/full", "bad", prog="relsim-audit", timeout=400,
                      args=["--doc", "/dev/full", "--out", "a", "arms=[one_way]", "seeds=1", "market.consumers=60",
                            "days=10", "progress=false"]))
    cases.append(Case("files", "relsim-audit --out on /proc", "bad", prog="relsim-audit", timeout=120,
                      args=["--doc", "", "--out", "/proc/a", "seeds=1"]))
    cases.append(Case("files", "relsim-audit --doc into a folder", "bad", prog="relsim-audit", timeout=120,
                      args=["--doc", ".", "--out", "a", "seeds=1"]))
    cases.append(Case("files", "relsim-audit bad override", "bad", prog="relsim-audit", timeout=120,
                      args=["--doc", "", "--out", "a", "seeds=0"], expect="seeds"))
    cases.append(Case("files", "relsim-audit --out an existing run", "bad", prog="relsim-audit", timeout=120,
                      setup=lambda ctx: _copy(ctx, "run", "a"), args=["--doc", "", "--out", "a", "seeds=1"]))
    cases.append(Case("files", "relsim-validate --out on /proc", "bad", prog="relsim-validate", timeout=120,
                      args=["--out", "/proc/v", "--quick", "--facts", "1"]))
    cases.append(Case("files", "relsim-validate --facts bogus", "bad", prog="relsim-validate",
                      args=["--facts", "1,x"], expect="--facts"))
    cases.append(Case("files", "relsim-validate --workers long", "bad", prog="relsim-validate",
                      args=["--workers", LONG_INT, "--facts", "1"], expect="--workers"))
    cases.append(Case("files", "relsim-collect two folders", "bad", prog="relsim-collect", args=["a", "b"]))
    return cases


def _one_error(ctx: Ctx, results: list[Result]) -> str | None:
    """A failure during the work (a sweep on a disk that fills): exit 2 and one error line (the sweep's own progress
    lines beside it); the finished jobs may stay, for the sweep to resume."""
    last = results[-1]
    errors = [line for line in last.stderr.splitlines() if ": error: " in line]
    if last.code == 2 and len(errors) == 1:
        return "refused"
    return None


def _change_schema(path: Path) -> None:
    import pandas as pd

    table = pd.read_parquet(path)
    table["customers"] = table["customers"].astype(str)
    table.to_parquet(path)


def _no_preset(ctx: Ctx, results: list[Result]) -> str | None:
    from relsim.experiments.plumbing.config import CONFIG_DIR

    path = CONFIG_DIR / "market" / "fuzzpreset.yaml"
    if path.exists():
        path.unlink()
        return "untidy" if results[-1].code == 2 else None
    return None


def family_modes() -> list[Case]:
    cases = []
    for mode in (["--cfg", "job"], ["--cfg", "hydra"], ["--cfg", "all"], ["--cfg", "job", "--resolve"],
                 ["--cfg", "hydra", "--resolve"], ["--cfg", "all", "--resolve"], ["--info"], ["--info", "config"],
                 ["--info", "defaults-tree"], ["--cfg", "job", "--package", "market"], ["-c", "job", "-p", "strategies"]):
        label = " ".join(mode)
        cases.append(Case("modes", f"{label} (legal)", "legal", args=[*mode], outputs=lambda ctx: [],
                          check=_printed))
        for bad, expect in (("strategies.one_way.mail_rate=-1", "mail_rate"),
                            ("currency=${oc.env:HOME}", "currency"), ("hydra.run.dir=${oc.env:HOME}", "hydra.run.dir"),
                            ("+hydra.job.env_set.PATH={outside}", "hydra.job.env_set"), ("market=../../x", "market"),
                            ("days=" + LONG_INT, "days"), ("market.network=null", "network"),
                            ("strategies.one_way.mail_rate=" + LONG_INT, "mail_rate")):
            cases.append(Case("modes", f"{label} {bad[:40]}", "bad", args=[*mode, bad], expect=expect))
    # --resolve alone (without --cfg) would be ignored by Hydra: refused, said why
    for args, expect in ((["--resolve"], "--resolve"), (["--cfg"], "--cfg"), (["--cfg", "nope"], "--cfg"),
                         (["--package"], "--package"), (["--cfg", "job", "--package", "../x"], "--package"),
                         (["--cfg", "job", "--package", "nope.nope"], "--package"),
                         (["--info", "nope"], "nope"), (["--help", "seeds=0"], None), (["--hydra-help"], None),
                         (["--version"], None), (["-m", "--cfg", "job", "seeds=1,2"], "--cfg"),
                         (["--run", "--multirun", "seeds=1,2"], "--run"), (["-r", "seeds=1,2"], "seeds"),
                         (["--cfg", "job", "-cd", "/tmp"], "-cd"), (["--config-path", "/tmp"], "--config-path"),
                         (["--experimental-rerun", "x.pickle"], "--experimental-rerun"),
                         (["--shell-completion"], "--shell-completion"), (["-sc", "install=bash"], "-sc")):
        kind = "legal" if expect is None else "bad"
        cases.append(Case("modes", " ".join(args), kind, args=args, expect=expect,
                          outputs=lambda ctx: [], check=_printed if kind == "legal" else None))
    return cases


def _printed(ctx: Ctx, results: list[Result]) -> str | None:
    """A print mode: exit 0 and printed something, nothing written."""
    last = results[-1]
    if last.code == 0 and last.stdout.strip() and not any(ctx.work.iterdir()):
        return "ran"
    if last.code == 0 and any(ctx.work.iterdir()):
        return "escaped"
    return None


def family_sweeps() -> list[Case]:
    cases = []
    sweep = ["-m", "strategies.one_way.mail_rate=12,52", *SMALL]

    def same_folder(ctx: Ctx, results: list[Result]) -> str | None:
        """Two different runs into one folder at once: one runs, the other is refused in one line; anything
        else is mixed (both ran) or untidy."""
        ran = [r for r in results if r.code == 0]
        refused = [r for r in results if r.code == 2]
        if len(ran) > 1:
            return "mixed"
        if len(ran) == 1 and len(refused) == len(results) - 1:
            return "refused" if all(_one_line(r) for r in refused) else "untidy"
        return "untidy"

    def refusal_leaves_first(ctx: Ctx, results: list[Result]) -> str | None:
        first_ok = results[0].code == 0
        if not first_ok:
            return "traceback"
        if results[-1].code == 0:
            return "mixed"
        return "refused" if _one_line(results[-1]) else "untidy"

    for n in range(3):
        cases.append(Case("sweeps", f"two different runs into one folder at once (try {n + 1})", "bad", together=True,
                          steps=[[*SMALL, "strategies.one_way.mail_rate=12", "hydra.run.dir=shared"],
                                 [*SMALL, "strategies.one_way.mail_rate=52", "hydra.run.dir=shared"]],
                          check=same_folder, timeout=300))
        cases.append(Case("sweeps", f"two different sweeps into one empty folder at once (try {n + 1})", "bad",
                          together=True, timeout=300, check=same_folder,
                          steps=[["-m", "strategies.one_way.mail_rate=12,52", *SMALL, "hydra.sweep.dir=shared"],
                                 ["-m", "strategies.one_way.listening=0.1,0.9", *SMALL, "hydra.sweep.dir=shared"]]))
    cases.append(Case("sweeps", "a different run into a finished run's folder", "bad", check=refusal_leaves_first,
                      steps=[[*SMALL, "hydra.run.dir=shared"],
                             [*SMALL, "strategies.one_way.mail_rate=52", "hydra.run.dir=shared"]], timeout=300))
    cases.append(Case("sweeps", "a run into a folder of someone else's files", "bad", expect="hydra.run.dir",
                      setup=lambda ctx: ((ctx.work / "mine").mkdir(), (ctx.work / "mine" / "thesis.tex").write_text("x")),
                      args=[*SMALL, "hydra.run.dir=mine"]))
    cases.append(Case("sweeps", "a stale overview.html from another run", "bad", check=refusal_leaves_first,
                      steps=[[*SMALL[:1], "seeds=2", *SMALL[2:], "scenario=[mail_blitz,data_grab]",
                              "compose_scenarios=false", "hydra.run.dir=shared"],
                             [*SMALL[:1], "seeds=2", *SMALL[2:], "scenario=[mail_blitz,data_grab]", "hydra.run.dir=shared"]],
                      timeout=300))
    cases.append(Case("sweeps", "the same run again (resumes: skipped)", "legal",
                      steps=[[*SMALL, "hydra.run.dir=shared"], [*SMALL, "hydra.run.dir=shared"]], timeout=300))
    cases.append(Case("sweeps", "12.0,52.0 after 12,52 (the same sweep)", "legal", timeout=400,
                      steps=[[*sweep, "hydra.sweep.dir=shared"],
                             ["-m", "strategies.one_way.mail_rate=12.0,52.0", *SMALL, "hydra.sweep.dir=shared"]],
                      check=lambda ctx, rs: None if "already complete" in rs[-1].stdout else "refused_valid"))
    # Reordered, the values are numbered anew (job=0 would be 52 where the folder's job=0 is 12): another sweep.
    cases.append(Case("sweeps", "52,12 after 12,52 (reordered: its jobs numbered anew)", "bad", timeout=400,
                      expect="another sweep", check=refusal_leaves_first,
                      steps=[[*sweep, "hydra.sweep.dir=shared"],
                             ["-m", "strategies.one_way.mail_rate=52,12", *SMALL, "hydra.sweep.dir=shared"]]))

    def claim_with_jobs(ctx: Ctx, results: list[Result]) -> str | None:
        folders = [p for p in (ctx.work / "multirun").glob("*/*")]
        marked = [p for p in folders if any(p.glob(".relsim-*"))]
        with_jobs = [p for p in folders if any(p.glob("job=*"))]
        if len(folders) != 1 or not marked or marked != with_jobs:
            return "mixed"
        return None

    cases.append(Case("sweeps", "the default sweep folder's claim", "legal", args=sweep, check=claim_with_jobs,
                      timeout=300))
    cases.append(Case("sweeps", "the default run folder's claim", "legal", args=SMALL, timeout=300,
                      check=lambda ctx, rs: None if len(list((ctx.work / "outputs").glob("*/*"))) == 1 else "mixed"))
    # combinations beyond 256, with one bad combination at the end
    many = ",".join(str(v) for v in range(1, 66))
    cases.append(Case("sweeps", "260 combinations, the last one invalid", "bad", timeout=600, expect="fit",
                      args=["-m", f"strategies.one_way.mail_rate={many}", "market.population.fit.mean=0.5,0.95",
                            "market.population.fit.sd=0.1,0.3", *SMALL]))
    cases.append(Case("sweeps", "300 combinations, an invalid budget split", "bad", timeout=600, expect="share",
                      args=["-m", "arms=[budgeted]", "strategies.budgeted.budget=20",
                            "strategies.budgeted.outbound_share=" + ",".join(f"{v / 100:g}" for v in range(0, 100, 4)),
                            "strategies.budgeted.access_share=0.3,0.5,0.7", "strategies.budgeted.listening_share=0.1,"
                            "0.2,0.3,0.4", *SMALL[1:]]))
    for args, expect in ((["-m", "strategies.one_way.mail_rate=12,12"], "mail_rate"),
                         (["-m", "strategies.one_way.mail_rate=12,12.0"], "mail_rate"),
                         (["-m", "seeds=2,2"], "seeds"), (["-m", "scenario=mail_blitz,mail_blitz"], "scenario"),
                         (["market=glob(*)"], "market"), (["scenario=glob(*)"], "scenario"),
                         (["-m", "market=glob(nope*)"], "market"), (["strategies.one_way.mail_rate=12,52"], "mail_rate"),
                         (["seeds=range(1,5)"], "seeds"), (["-m", "arms=[[one_way]]"], "arms"),
                         (["-m", "arms=[one_way],[[one_way]]"], "arms"), (["-m", "seeds=range(1,0)"], "seeds"),
                         (["-m", "days=interval(1,5)"], "days"), (["-m", "days=choice()"], "days"),
                         (["-m", "strategies.one_way.mail_rate=tag(a,1,2)"], "tag"),  # tag() needs a sweep inside
                         (["-m", "hydra.sweep.dir=a,b", "seeds=1"], "hydra.sweep.dir"),
                         (["-m", "strategies.one_way.mail_rate=shuffle(1,2)"], "shuffle"),  # could not resume
                         (["-m", "strategies.one_way.mail_rate=sort(2,1,1)"], "mail_rate")):
        cases.append(Case("sweeps", " ".join(args)[:70], "bad" if expect else "legal", args=[*SMALL, *args],
                          expect=expect, timeout=300))
    for args in ((["-m", "market=glob(*)", "market.consumers=60"]),
                 (["-m", "scenario=glob(mail*)"]), (["-m", "seeds=range(1,3)"]),
                 (["-m", "strategies.one_way.mail_rate=range(1,3)"]),
                 (["seeds=1", "compose_scenarios=false", "scenario=[mail_blitz,data_grab]"]),
                 (["seeds=1", "+experiment=whatif_all"]), (["seeds=1", "scenario=[mail_blitz]"]),
                 (["seeds=1", "+experiment=audit"])):
        cases.append(Case("sweeps", " ".join(args)[:70] + " (legal)", "legal", args=[*SMALL, *args], timeout=600))
    return cases


def family_hangs() -> list[Case]:
    cases = [
        Case("hangs", "-m seeds=range(1,20000) with one invalid value", "bad", timeout=120, expect="market.consumers",
             args=["-m", *SMALL, "seeds=range(1,20000)", "market.consumers=60,1"]),
        Case("hangs", "-m days=range(1,20000) market.consumers=60,1", "bad", timeout=120, expect="market.consumers",
             args=["-m", *SMALL, "days=range(1,20000)", "market.consumers=60,1"]),
        Case("hangs", "-m mail_rate=range(0,366) x listening (36,966 jobs) with one invalid value", "bad",
             timeout=120, expect="mail_rate",
             args=["-m", *SMALL, "strategies.one_way.mail_rate=range(0,367)",
                   "strategies.one_way.listening=" + ",".join(f"{v / 100:g}" for v in range(101))]),
        Case("hangs", "-m seeds=range(1,1000000)", "bad", timeout=120, expect="seeds",
             args=["-m", *SMALL, "seeds=range(1,1000000)"]),
        Case("hangs", "10**12 combinations", "bad", timeout=120,
             args=["-m", *SMALL, *(f"{k}=range(1,1001)" for k in ("days", "seeds", "strategies.one_way.channels"
                                                                  ".bogus", "market.consumers"))]),
    ]

    def fifo_record(ctx: Ctx) -> None:
        (ctx.work / "f").mkdir()
        _fifo(ctx.work / "f" / "findings_runs.json")

    cases.append(Case("hangs", "relsim-findings --from a FIFO record", "bad", prog="relsim-findings", setup=fifo_record,
                      args=["--from", "f", "--doc", "F.md"], timeout=60))
    cases.append(Case("hangs", "relsim-calibrate data /dev/stdin", "bad", prog="relsim-calibrate", timeout=60,
                      args=["/dev/stdin", "--period-days", "365", "--out", "cal", "--method", "lsq"], expect="data"))
    return cases


FAMILY_CASES = {"routes": family_routes, "subprocess": family_subprocess, "listeners": family_listeners,
                "numbers": family_numbers, "nulls": family_nulls, "files": family_files, "modes": family_modes,
                "sweeps": family_sweeps, "hangs": family_hangs}


def all_cases(families: list[str]) -> list[Case]:
    """Every case of the chosen families, formatted for its folders at run time."""
    cases = []
    for name in families:
        cases += FAMILY_CASES[name]()
    return cases


def _format_case(case: Case, ctx: Ctx) -> Case:
    """The case with {outside}, {work}, {root} filled in its arguments."""
    def fill(text: str) -> str:
        return _fill(text, ctx)

    return dataclasses.replace(case, args=[fill(a) for a in case.args],
                               steps=[[fill(a) for a in s] for s in case.steps] if case.steps else None)


# --------------------------------------------------------------------------- the campaign

def campaign(families: list[str], limit: int | None, out_json: Path | None, label: str,
             progress: bool = True, shard: tuple[int, int] = (0, 1), start: int = 0,
             tmp: Path | None = None, match: str = "") -> dict[str, Any]:
    """Run every case (those whose name holds `match`, if given); returns the counts per family and outcome, and
    each case's record."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")  # no allocator thread: the campaign forks
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ["TQDM_DISABLE"] = "1"
    started = time.perf_counter()
    cases = [c for c in all_cases(families) if match in c.name]
    if limit:
        by_family: dict[str, list[Case]] = {}
        for c in cases:
            by_family.setdefault(c.family, []).append(c)
        cases = [c for fam in by_family.values() for c in fam[:limit]]
    cases = cases[shard[0]::shard[1]]
    _prewarm()
    base = Path(tempfile.mkdtemp(prefix="relsim-fuzz-", dir=tmp))
    records = []
    partial = out_json.with_suffix(".partial.jsonl") if out_json else None
    try:
        fixtures = make_fixtures(base)
        for n, case in enumerate(cases, start=1):
            if n <= start:
                continue
            record = _run_formatted(case, base, fixtures)
            records.append(record)
            if partial is not None:  # kept as it goes: a campaign that dies can be resumed with --start
                with partial.open("a") as handle:
                    handle.write(json.dumps({"n": n, **record}) + "\n")
            _remove_planted()
            if progress:
                print(f"[{n}/{len(cases)}] {record['family']:10s} {record['outcome']:13s} {record['name'][:70]}"
                      f"  {record['note'][:100]}", file=sys.stderr, flush=True)
    finally:
        _remove_planted()
        shutil.rmtree(base, ignore_errors=True)
    present = [fam for fam in FAMILIES if any(r["family"] == fam for r in records)]
    counts = {fam: dict(Counter(r["outcome"] for r in records if r["family"] == fam)) for fam in present}
    result = {"label": label, "commit": _commit(), "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "inputs": len(records), "seconds": round(time.perf_counter() - started), "counts": counts,
              "records": records}
    if out_json:
        out_json.write_text(json.dumps(result, indent=1))
    return result


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One record of several shards of a campaign (run at once, in separate processes)."""
    records = [r for part in parts for r in part["records"]]
    present = [fam for fam in FAMILIES if any(r["family"] == fam for r in records)]
    return {**parts[0], "inputs": len(records), "seconds": max(p["seconds"] for p in parts),
            "counts": {fam: dict(Counter(r["outcome"] for r in records if r["family"] == fam)) for fam in present},
            "records": records}


def _run_formatted(case: Case, base: Path, fixtures: Path) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="case-", dir=base))
    ctx = Ctx(root, fixtures)
    for folder in (ctx.work, ctx.outside, ctx.markers):
        folder.mkdir()
    case = _format_case(case, ctx)
    try:
        if case.setup:
            case.setup(ctx)
        before, before_outside = _snapshot(ctx.work), _snapshot(ctx.outside)
        results = run_case(case, ctx)
        outcome, note = judge(case, ctx, results, before, before_outside)
    except Exception as exc:  # noqa: BLE001 - the campaign's own failure is reported, not fatal
        where = traceback.extract_tb(exc.__traceback__)[-1]
        outcome, note, results = "traceback", f"campaign ({where.name}:{where.lineno}): {type(exc).__name__}: {exc}", []
    finally:
        _remove_planted()
        _clean(root)
    return {"family": case.family, "name": case.name, "kind": case.kind, "prog": case.prog, "outcome": outcome,
            "note": note, "seconds": round(sum(r.seconds for r in results), 2)}


def _commit() -> str:
    try:
        import relsim.experiments.plumbing.outputs as outputs

        return outputs.short_commit()
    except Exception:  # noqa: BLE001
        return "unknown"


def table(result: dict[str, Any]) -> str:
    """The counts per family as a Markdown table."""
    head = "| family | inputs | " + " | ".join(OUTCOMES) + " |"
    lines = [head, "|---" * (len(OUTCOMES) + 2) + "|"]
    total: Counter = Counter()
    for fam, counts in result["counts"].items():
        n = sum(counts.values())
        total.update(counts)
        lines.append(f"| {fam} | {n} | " + " | ".join(str(counts.get(o, 0)) for o in OUTCOMES) + " |")
    lines.append(f"| **all** | **{sum(total.values())}** | " + " | ".join(f"**{total.get(o, 0)}**" for o in OUTCOMES)
                 + " |")
    return "\n".join(lines)


def failures(result: dict[str, Any], limit: int = 400) -> str:
    """The inputs whose outcome is neither `refused` nor `ran`, one line each."""
    bad = [r for r in result["records"] if r["outcome"] not in ("refused", "ran")]
    lines = [f"- {r['family']} / {r['outcome']}: `{r['name'][:90]}`: {r['note'][:160]}" for r in bad[:limit]]
    if len(bad) > limit:
        lines.append(f"- ... and {len(bad) - limit} more")
    return "\n".join(lines) or "none"


def listeners_section(after: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    """The listeners measured with `ss -ltnp` (experiments/bench/listeners.py), before and after."""
    lines = ["", "## Listeners (`ss -ltnp`, experiments/bench/listeners.py)", "",
             "Every listening TCP socket of each target's processes while it ran: the page (`relsim-app`), a "
             "calibration on a local Dask cluster (`relsim-calibrate --dask local`) and a two-job sweep on a local "
             "Ray (`relsim -m hydra/launcher=ray_local`).", "",
             "| target | | listening sockets | beyond loopback |", "|---|---|---|---|"]
    for label, result in (("before", before), ("after", after)):
        for target, r in (result or {}).items():
            shown = ", ".join(r["listeners"]) or "none"
            lines.append(f"| `{target}` | {label} | {shown} | {len(r['beyond_loopback'])} |")
    return lines


def concurrency_section(after: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    """Runs and sweeps started into one folder at once (experiments/bench/concurrency.py), before and after."""
    lines = ["", "## Runs and sweeps into one folder at once (experiments/bench/concurrency.py)", "",
             "Two `relsim` commands released at the same instant with different settings: `runs` into one "
             "`hydra.run.dir`, `sweeps` into one empty `hydra.sweep.dir`, `default` with the default run folder.", "",
             "| kind | | tries | outcomes |", "|---|---|---|---|"]
    for label, result in (("before", before), ("after", after)):
        for kind, r in (result or {}).items():
            counts = r.get("counts", r)
            lines.append(f"| {kind} | {label} | {sum(counts.values())} | "
                         + ", ".join(f"{k}: {v}" for k, v in counts.items()) + " |")
    return lines


def markdown(after: dict[str, Any], before: dict[str, Any] | None, extra: list[str] | None = None) -> str:
    """docs/FUZZ.md: the last campaign's counts (and, if given, those of an earlier install)."""
    parts = ["# The bad-input campaign", "",
             "Written by `python -m relsim.experiments.bench.fuzz` (experiments/bench/fuzz.py), which tries "
             "inputs as an attacker and a careless user would, through every command and the Python API, and "
             "counts what each did. Outcomes: " + ", ".join(f"`{o}`" for o in OUTCOMES) + " (the module's "
             "docstring says what each means; `refused` and `ran` are the right answers, every other column "
             "should be 0). Families:", ""]
    parts += [f"- **{name}**: {text}" for name, text in FAMILIES.items()]
    parts += ["", f"## Last run: {after['label']} (commit {after['commit']}, {after['date']}, "
                  f"{after['inputs']} inputs, {after['seconds'] // 60} min)", "", table(after), "",
              "Inputs with another outcome:", "", failures(after)]
    if before is not None:
        parts += ["", f"## Before: {before['label']} (commit {before['commit']}, {before['date']}, "
                      f"{before['inputs']} inputs, {before['seconds'] // 60} min)", "", table(before)]
    parts += extra or []
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run the campaign; print the table; write docs/FUZZ.md (and a JSON record) on request."""
    p = argparse.ArgumentParser(prog="relsim-fuzz", description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument("--families", default=",".join(FAMILIES), help="comma-separated families (default all)")
    p.add_argument("--limit", type=int, default=None, help="at most this many inputs per family (a quick look)")
    p.add_argument("--json", type=Path, default=None, help="also write every record to this JSON file")
    p.add_argument("--doc", type=Path, default=None, help="write the Markdown report here (e.g. docs/FUZZ.md)")
    p.add_argument("--before", type=Path, default=None, help="a JSON record of an earlier run to show beside it")
    p.add_argument("--listeners", type=Path, nargs="+", default=None, metavar="JSON",
                   help="listeners.py results to add to the report: after [before]")
    p.add_argument("--concurrency", type=Path, nargs="+", default=None, metavar="JSON",
                   help="concurrency.py results to add to the report: after [before]")
    p.add_argument("--label", default="this install", help="what was measured (for the report)")
    p.add_argument("--list", action="store_true", help="list the inputs per family and exit")
    p.add_argument("--shard", default="0/1", help="K/N: run every N-th input from the K-th (for N processes at once)")
    p.add_argument("--start", type=int, default=0, help="skip the shard's first N inputs (resume a campaign)")
    p.add_argument("--tmp", type=Path, default=None, help="where the inputs' folders go (default: the system's)")
    p.add_argument("--match", default="", help="only the inputs whose name holds this text (re-try a few)")
    p.add_argument("--merge", type=Path, nargs="+", default=None,
                   help="merge the JSON records of several shards into one (--json), without running anything")
    args = p.parse_args(argv)
    families = [f for f in args.families.split(",") if f]
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        p.error(f"--families: unknown {', '.join(unknown)}; allowed: {', '.join(FAMILIES)}")
    extra: list[str] = []
    for paths, section in ((args.listeners, listeners_section), (args.concurrency, concurrency_section)):
        if paths:
            loaded = [json.loads(p.read_text()) for p in paths]
            extra += section(loaded[0], loaded[1] if len(loaded) > 1 else None)
    if args.merge:
        result = merge([json.loads(path.read_text()) for path in args.merge])
        if args.json:
            args.json.write_text(json.dumps(result, indent=1))
        print(table(result))
        if args.doc:
            before = json.loads(args.before.read_text()) if args.before else None
            args.doc.write_text(markdown(result, before, extra))
            print(f"wrote {args.doc}")
        return
    if args.list:
        cases = all_cases(families)
        for fam in families:
            print(fam, sum(c.family == fam for c in cases))
        print("all", len(cases))
        return
    k, _, n = args.shard.partition("/")
    result = campaign(families, args.limit, args.json, args.label, shard=(int(k), int(n)), start=args.start,
                      tmp=args.tmp, match=args.match)
    print(table(result))
    if args.doc:
        before = json.loads(args.before.read_text()) if args.before else None
        args.doc.write_text(markdown(result, before, extra))
        print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
