"""Read a run's output directory (docs/SCHEMA.md) into DataFrames."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["DRAW_STRIDE", "RUN_FILES", "RunData", "load_run", "arm_order"]

#: With posterior draws (`relsim posterior=N`), a replicate's seed column is draw x DRAW_STRIDE + the model's seed.
DRAW_STRIDE = 1_000_000

RUN_FILES: tuple[str, ...] = (
    "runs.parquet", "retention.parquet", "evidence.parquet", "manifest.json",
)


@dataclass
class RunData:
    """The tables and manifest of one run directory."""

    runs: pd.DataFrame
    retention: pd.DataFrame
    evidence: pd.DataFrame
    manifest: dict[str, Any]
    out_dir: Path | None = field(default=None)

    @property
    def arms(self) -> list[str]:
        """Arms in the manifest's order (then any others in order of appearance)."""
        return arm_order(self.runs, self.manifest)


def arm_order(runs: pd.DataFrame, manifest: dict[str, Any] | None = None) -> list[str]:
    """Arms present in ``runs``, in the manifest's ``arms`` order, then by first appearance."""
    present = [str(a) for a in pd.unique(runs["arm"])] if "arm" in runs else []
    listed = [str(a) for a in (manifest or {}).get("arms") or []]
    ordered = [a for a in listed if a in present]
    return ordered + [a for a in present if a not in ordered]


def _require(out_dir: Path, name: str) -> Path:
    """Path of ``name`` inside ``out_dir``, or a FileNotFoundError naming it."""
    path = out_dir / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{name} not found in {out_dir}: a relsim run directory needs "
            f"{', '.join(RUN_FILES)}"
        )
    return path


def load_run(out_dir: str | Path) -> RunData:
    """Load runs, retention and evidence tables and the manifest from ``out_dir``."""
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(f"run directory {out} not found")
    paths = {name: _require(out, name) for name in RUN_FILES}
    with paths["manifest.json"].open(encoding="utf-8") as fh:
        manifest = json.load(fh)
    return RunData(
        runs=pd.read_parquet(paths["runs.parquet"]),
        retention=pd.read_parquet(paths["retention.parquet"]),
        evidence=pd.read_parquet(paths["evidence.parquet"]),
        manifest=manifest,
        out_dir=out,
    )
