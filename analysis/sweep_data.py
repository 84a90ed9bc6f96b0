"""A collected sweep on disk: per-job summaries (jobs.parquet), the manifest, the tidy daily rows.

Shared by the sweep report (analysis/sweep.py) and the designed-sweep analysis (analysis/design.py).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Sweep", "load_sweep"]


@dataclasses.dataclass
class Sweep:
    """A collected sweep: per-job summaries (`jobs`), the manifest, and where it lives."""

    jobs: pd.DataFrame
    manifest: dict[str, Any]
    sweep_dir: Path

    @property
    def swept(self) -> list[str]:
        """The keys whose value differs between jobs, in command-line order."""
        return list(self.manifest.get("swept") or [])

    def job_config(self, job: int = 0) -> dict[str, Any]:
        """The config job `job` ran with (from its manifest.json), or {} when there is none."""
        dirs = {j.get("job"): j.get("dir") for j in self.manifest.get("jobs") or []}
        try:
            manifest = json.loads((self.sweep_dir / str(dirs.get(job) or f"job={job}") / "manifest.json").read_text())
        except (OSError, ValueError):
            return {}
        return manifest.get("config") or {}

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The tidy daily rows of every job (sweep.parquet), optionally only some columns."""
        return pd.read_parquet(self.sweep_dir / "sweep.parquet", columns=columns)


def load_sweep(sweep_dir: str | Path) -> Sweep:
    """Load jobs.parquet and sweep_manifest.json of a collected sweep directory."""
    sweep_dir = Path(sweep_dir)
    for name in ("jobs.parquet", "sweep_manifest.json"):
        if not (sweep_dir / name).is_file():
            raise FileNotFoundError(f"{name} not found in {sweep_dir}: collect the sweep first (relsim-collect)")
    manifest = json.loads((sweep_dir / "sweep_manifest.json").read_text())
    return Sweep(jobs=pd.read_parquet(sweep_dir / "jobs.parquet"), manifest=manifest, sweep_dir=sweep_dir)
