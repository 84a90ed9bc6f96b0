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
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from relsim.analysis.io import atomic_write, write_text_atomic

JOB_DIR = re.compile(r"^job=(\d+)$")


class CollectSweep(Callback):
    """Hydra callback: when a multirun ends, collect its jobs into one dataset."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Collect the sweep directory's jobs (Hydra passes the config, not the jobs' results)."""
        sweep_dir = Path(OmegaConf.select(config, "hydra.sweep.dir"))
        if sweep_dir.is_dir():
            path = collect(sweep_dir)
            print(f"relsim: collected {path}")


def job_dirs(sweep_dir: Path) -> list[tuple[int, Path]]:
    """The finished jobs of a sweep directory, by job number."""
    found = []
    for child in Path(sweep_dir).iterdir():
        match = JOB_DIR.match(child.name)
        if match and (child / "manifest.json").is_file():
            found.append((int(match.group(1)), child))
    return sorted(found)


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
    """Write sweep.parquet, jobs.parquet and sweep_manifest.json from the sweep's finished jobs."""
    sweep_dir = Path(sweep_dir)
    jobs = job_dirs(sweep_dir)
    if not jobs:
        raise FileNotFoundError(f"no finished jobs (job=<n>/manifest.json) in {sweep_dir}")
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


def main(argv: list[str] | None = None) -> None:
    """`relsim-collect SWEEP_DIR`: (re)collect a sweep directory by hand."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("relsim-collect: error: SWEEP_DIR: expected one existing sweep directory", file=sys.stderr)
        raise SystemExit(2)
    try:
        print(collect(Path(args[0])))
    except FileNotFoundError as exc:
        print(f"relsim-collect: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
