"""Writing a run's files: tidy Parquet tables, the summary, the manifest; every file atomically.

The tables can be written in a thread (`write_tables_in_background`) while the caller summarises the run:
pyarrow writes without holding the interpreter lock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.analysis.io import atomic_write, write_text_atomic

PACKAGES = ("relsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "hydra-core", "omegaconf", "plotly", "joblib")


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table as Parquet, atomically."""
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """Write runs.parquet, retention.parquet and evidence.parquet (docs/SCHEMA.md)."""
    for name, frame in tables.items():
        write_parquet(frame, Path(out_dir) / f"{name}.parquet")


def write_tables_in_background(tables: dict[str, pd.DataFrame], out_dir: Path) -> Future:
    """Start writing the tables (`write_tables`) in a thread; the future's `result()` waits until they are on disk
    and raises any error writing them."""
    writer = ThreadPoolExecutor(1, thread_name_prefix="relsim-write")
    written = writer.submit(write_tables, tables, out_dir)
    writer.shutdown(wait=False)
    return written


def versions() -> dict[str, str | None]:
    """Python's and the key packages' versions."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


@functools.cache
def git_program() -> str | None:
    """git, found on the system's own search path (os.defpath), never on the PATH a process was given: a job's
    environment cannot choose the program relsim runs. None if git is not there."""
    return shutil.which("git", path=os.defpath)


@functools.cache
def git_commit() -> str | None:
    """The source tree's git commit (with '-dirty' if it has uncommitted changes), if known (once per process).

    git runs by its resolved path, with a fixed environment and without the user's or the system's git
    configuration (so no hook, pager or monitor program a configuration names can run)."""
    repo = Path(__file__).resolve().parents[2]
    program = git_program()
    if program is None or not (repo / ".git").exists():
        return None
    env = {"PATH": os.defpath, "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_OPTIONAL_LOCKS": "0", "HOME": str(repo)}
    command = [program, "-c", "core.fsmonitor=false", "-c", f"safe.directory={repo}", "-C", str(repo)]
    try:
        commit = subprocess.run([*command, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                                check=True, env=env).stdout.strip()
        dirty = subprocess.run([*command, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, check=True, env=env).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def short_commit() -> str:
    """The source tree's commit, abbreviated (with '-dirty'), or 'unknown' outside a git checkout."""
    commit = git_commit()
    if commit is None:
        return "unknown"
    return commit[:9] + ("-dirty" if commit.endswith("-dirty") else "")


def config_hash(config: dict[str, Any]) -> str:
    """A short hash of what determines a run's results: the config (without workers and progress; numbers
    compared as values, so 12 and 12.0 are the same) and the source tree's git commit."""
    from .checks import canonical

    relevant = {k: v for k, v in config.items() if k not in ("workers", "progress")}
    relevant["git_commit"] = git_commit()
    return hashlib.sha256(json.dumps(canonical(relevant), sort_keys=True, default=str).encode()).hexdigest()[:16]


def make_manifest(config: dict[str, Any], arms: list[str], seeds: list[int], digest: str,
                  scenarios: dict[str, str] | None = None) -> dict[str, Any]:
    """The manifest: resolved config and its hash, arms, scenarios, seeds, versions, git commit."""
    return {
        "config": config,
        "config_hash": digest,
        "arms": arms,
        "scenarios": list(scenarios or {"baseline": ""}),
        "scenario_descriptions": scenarios or {"baseline": "nothing changes"},
        "seeds": seeds,
        "versions": versions(),
        "git_commit": git_commit(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write manifest.json (atomically; written last, it marks the directory complete)."""
    return write_text_atomic(Path(out_dir) / "manifest.json", json.dumps(manifest, indent=2, default=str))


def is_complete(out_dir: Path, digest: str) -> bool:
    """True when `out_dir` holds a finished run of the config with hash `digest`."""
    path = Path(out_dir) / "manifest.json"
    try:
        return json.loads(path.read_text())["config_hash"] == digest
    except (OSError, ValueError, KeyError):
        return False
