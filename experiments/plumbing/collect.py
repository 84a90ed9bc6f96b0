"""Sweeps: Hydra multirun jobs, collected into one dataset when the sweep ends.

Each job of `relsim -m ...` is one paired comparison of the arms over its seeds, written to
`<sweep dir>/job=<n>/`. When the sweep ends, `CollectSweep.on_multirun_end` reads the jobs back and
writes, in the sweep directory:

- `sweep.parquet`: every job's runs.parquet rows with the job's overrides as columns (one row group
  per job, so polars, pyarrow and DuckDB can scan it lazily and skip jobs by their statistics);
- `jobs.parquet`: each job's summary.csv rows with the same columns;
- `sweep_manifest.json`: the jobs, their overrides, the swept keys, seeds, hashes, versions.

A job whose directory already holds a complete run of the same config is skipped, so re-running an
interrupted sweep into the same `hydra.sweep.dir` redoes only what is missing.

While the jobs run, one progress bar on stderr counts the finished jobs (a job is finished when its
manifest is written); the joblib launcher's raw "Joblib.Parallel(...) is launching N jobs" line is
replaced by that bar's total. The last line names the command that makes the sweep's report.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from relsim.analysis.io import atomic_write, write_text_atomic

JOB_DIR = re.compile(r"^job=(\d+)$")


#: The logger of the joblib launcher's "Joblib.Parallel(...) is launching N jobs" line.
JOBLIB_LOGGER = "hydra_plugins.hydra_joblib_launcher._core"
POLL_S = 0.5  # how often the progress bar looks for finished jobs
#: The running sweep's progress bar, by sweep directory (kept off the callback, which Hydra pickles for its jobs).
_PROGRESS: dict[str, tuple] = {}


class _JobCount(logging.Filter):
    """Drops the joblib launcher's raw `Joblib.Parallel(...)` line and keeps its job count for the bar."""

    pattern = re.compile(r"Joblib\.Parallel\(.*\) is launching (\d+) jobs")
    total: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        match = self.pattern.match(record.getMessage())
        if match:
            _JobCount.total = int(match.group(1))
        return match is None


def hide_joblib_line() -> None:
    """Install the filter (once) before Hydra launches a sweep."""
    logger = logging.getLogger(JOBLIB_LOGGER)
    if not any(isinstance(f, _JobCount) for f in logger.filters):
        logger.addFilter(_JobCount())


class CollectSweep(Callback):
    """Hydra callback: a progress bar over the jobs while they run; when the sweep ends, collect its jobs
    into one dataset."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Start the progress bar: a thread counts the jobs whose manifest is written."""
        from tqdm import tqdm

        hide_joblib_line()
        sweep_dir = Path(OmegaConf.select(config, "hydra.sweep.dir"))
        done = threading.Event()
        bar = tqdm(desc="relsim sweep", unit="job", file=sys.stderr, disable=not OmegaConf.select(
            config, "progress", default=True))

        def follow() -> None:
            while not done.wait(POLL_S):
                if bar.total is None and _JobCount.total:
                    bar.total = _JobCount.total
                    bar.refresh()
                finished = len(job_dirs(sweep_dir)) if sweep_dir.is_dir() else 0
                bar.update(finished - bar.n)

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        _PROGRESS[str(sweep_dir)] = (bar, done, thread)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Close the bar, collect the sweep directory's jobs (Hydra passes the config, not the jobs' results)
        and name the command that reports them."""
        sweep_dir = Path(OmegaConf.select(config, "hydra.sweep.dir"))
        bar, done, thread = _PROGRESS.pop(str(sweep_dir), (None, None, None))
        if bar is not None:
            done.set()
            thread.join()
            if sweep_dir.is_dir():
                bar.update(len(job_dirs(sweep_dir)) - bar.n)
            bar.close()
        if sweep_dir.is_dir():
            path = collect(sweep_dir)
            print(f"relsim: collected {path}")
            print(f"relsim: next: relsim-report {sweep_dir}   (writes sweep_report.html there)")


def job_dirs(sweep_dir: Path) -> list[tuple[int, Path]]:
    """The finished jobs of a sweep directory, by job number."""
    found = []
    for child in Path(sweep_dir).iterdir():
        match = JOB_DIR.match(child.name)
        if match and child.is_dir() and os.path.lexists(child / "manifest.json"):  # what it is: check_sweep_dir
            found.append((int(match.group(1)), child))
    return sorted(found)


def check_sweep_dir(sweep_dir: Path, key: str = "SWEEP_DIR", collected: bool = False) -> list[tuple[int, Path]]:
    """Check a sweep directory before anything is read for real or written: its finished jobs' files (manifests that
    are JSON objects with a config, Parquet tables whose footers read and whose columns agree, summaries, override
    lists) and, with `collected`, the collected files; raises ConfigError with one line. Returns the finished jobs."""
    from relsim.params import ConfigError

    from .checks import input_file

    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise ConfigError(f"{key}={sweep_dir}: expected an existing directory")
    for child in sweep_dir.iterdir():
        if JOB_DIR.match(child.name) and not child.is_dir():
            raise ConfigError(f"{key}: {child}: a job's entry that is not a folder")
    jobs = job_dirs(sweep_dir)
    schema = None
    for _, path in jobs:
        _json_object(input_file(path / "manifest.json", key), key, need="config")
        table = _parquet_schema(input_file(path / "runs.parquet", key), key)
        if schema is not None:
            _same_columns(table, schema, path / "runs.parquet", key)
        schema = schema or table
        summary = input_file(path / "summary.csv", key)
        try:
            pd.read_csv(summary, nrows=1)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ConfigError(f"{key}: {summary}: not a readable CSV ({_first(exc)})") from None
        overrides = path / ".hydra" / "overrides.yaml"
        if overrides.exists():
            input_file(overrides, key)
            try:
                items = OmegaConf.to_container(OmegaConf.load(overrides))
            except Exception as exc:  # noqa: BLE001 - any YAML error is the file's
                raise ConfigError(f"{key}: {overrides}: not a YAML list of overrides ({_first(exc)})") from None
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ConfigError(f"{key}: {overrides}: not a YAML list of overrides")
    if collected:
        _parquet_schema(input_file(sweep_dir / "jobs.parquet", key), key)
        _json_object(input_file(sweep_dir / "sweep_manifest.json", key), key, need="jobs")
        if (sweep_dir / "sweep.parquet").exists():
            _parquet_schema(input_file(sweep_dir / "sweep.parquet", key), key)
        if (sweep_dir / "design.json").exists():
            _json_object(input_file(sweep_dir / "design.json", key), key, need="problem")
    return jobs


def _same_columns(table: pa.Schema, first: pa.Schema, path: Path, key: str) -> None:
    """A job's table has the first job's columns, each of the same kind (numbers may be whole in one job and not in
    another, and a column with no values has no kind)."""
    from relsim.params import ConfigError

    if table.names != first.names:
        raise ConfigError(f"{key}: {path}: its columns differ from the other jobs'")

    def kind(t: pa.DataType) -> str:
        return "number" if pa.types.is_integer(t) or pa.types.is_floating(t) else str(t)

    for field, other in zip(table, first, strict=True):
        if kind(field.type) != kind(other.type) and not (pa.types.is_null(field.type) or pa.types.is_null(other.type)):
            raise ConfigError(f"{key}: {path}: its column {field.name} holds {field.type} where the other jobs' holds "
                              f"{other.type}")


def read_design(sweep_dir: Path, key: str = "SWEEP_DIR") -> dict | None:
    """A sweep's design.json (written by the design sweeper), checked; None for a sweep without one."""
    from .checks import input_file

    path = Path(sweep_dir) / "design.json"
    if not path.exists():
        return None
    return _json_object(input_file(path, key), key, need="problem")


def _first(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _json_object(path: Path, key: str, need: str) -> dict:
    from relsim.params import ConfigError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key}: {path}: not readable JSON ({_first(exc)})") from None
    if not isinstance(data, dict) or need not in data:
        raise ConfigError(f"{key}: {path}: not a relsim {path.stem.replace('_', ' ')} (no {need!r})")
    return data


def _parquet_schema(path: Path, key: str):
    from relsim.params import ConfigError

    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise ConfigError(f"{key}: {path}: not a readable Parquet file ({_first(exc)})") from None


def _overrides(job_dir: Path) -> dict[str, Any]:
    """The job's task overrides as {key: value}, values typed as in the job's resolved config."""
    path = job_dir / ".hydra" / "overrides.yaml"
    items = OmegaConf.to_container(OmegaConf.load(path)) if path.is_file() else []
    config = OmegaConf.create(json.loads((job_dir / "manifest.json").read_text())["config"])
    out = {}
    for item in items:
        key, _, raw = str(item).partition("=")
        key = key.lstrip("+~")
        if key.startswith("hydra.") or key.startswith("hydra/"):
            continue
        value = OmegaConf.select(config, key, default=raw)
        out[key] = json.dumps(OmegaConf.to_container(value) if OmegaConf.is_config(value) else value) \
            if OmegaConf.is_config(value) or isinstance(value, (list, dict)) else value
    return out


def collect(sweep_dir: Path) -> Path:
    """Write sweep.parquet, jobs.parquet and sweep_manifest.json from the sweep's finished jobs (checked first:
    `check_sweep_dir`); if a write fails, the files this call made are removed."""
    sweep_dir = Path(sweep_dir)
    jobs = check_sweep_dir(sweep_dir)
    if not jobs:
        raise FileNotFoundError(f"no finished jobs (job=<n>/manifest.json) in {sweep_dir}")
    made = [sweep_dir / name for name in ("sweep.parquet", "jobs.parquet", "sweep_manifest.json")
            if not (sweep_dir / name).exists()]
    try:
        return _collect(sweep_dir, jobs)
    except OSError:
        for path in made:
            path.unlink(missing_ok=True)
        raise


def _collect(sweep_dir: Path, jobs: list[tuple[int, Path]]) -> Path:
    params = {num: _overrides(path) for num, path in jobs}
    keys = list(dict.fromkeys(k for p in params.values() for k in p))
    swept = [k for k in keys if len({json.dumps(params[n].get(k), default=str) for n, _ in jobs}) > 1]

    def with_params(frame: pd.DataFrame, num: int) -> pd.DataFrame:
        frame = frame.copy()
        frame.insert(0, "job", num)
        for k in keys:
            frame[k] = params[num].get(k)
        return frame

    def write_sweep(tmp: Path) -> None:
        writer, schema = None, None
        for num, path in jobs:
            table = pa.Table.from_pandas(with_params(pd.read_parquet(path / "runs.parquet"), num),
                                         preserve_index=False)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(table.cast(schema))
        writer.close()

    atomic_write(sweep_dir / "sweep.parquet", write_sweep)
    summaries = pd.concat([with_params(pd.read_csv(path / "summary.csv", keep_default_na=True), num)
                           for num, path in jobs], ignore_index=True)
    atomic_write(sweep_dir / "jobs.parquet", lambda tmp: summaries.to_parquet(tmp, index=False))
    manifests = {num: json.loads((path / "manifest.json").read_text()) for num, path in jobs}
    first = manifests[jobs[0][0]]
    write_text_atomic(sweep_dir / "sweep_manifest.json", json.dumps({
        "jobs": [{"job": num, "dir": path.name, "overrides": params[num],
                  "config_hash": manifests[num].get("config_hash"),
                  "wall_time_s": manifests[num].get("wall_time_s")} for num, path in jobs],
        "parameters": keys,
        "swept": swept,
        "arms": first.get("arms"),
        "scenarios": first.get("scenarios"),
        "seeds": first.get("seeds"),
        "versions": first.get("versions"),
        "git_commit": first.get("git_commit"),
    }, indent=2, default=str))
    return sweep_dir / "sweep.parquet"
