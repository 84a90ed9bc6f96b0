"""Designed sweeps: SALib indices and PRIM boxes, on known functions and on a tiny real sweep."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import relsim_command

from relsim.analysis.design import design_matrix, discover, sensitivity
from hydra_plugins.relsim_design_sweeper.design_sweeper import problem_of, sample


def fake_sweep(tmp: Path, method: str, names: list[str], rows: np.ndarray, effect: np.ndarray) -> Path:
    """A sweep directory with a design and per-job summaries whose paired NPV effect is `effect`."""
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    (tmp / "design.json").write_text(json.dumps({"method": method, "samples": 0, "seed": 0, "morris_levels": 4,
                                                  "problem": problem, "rows": rows.tolist()}))
    jobs = pd.DataFrame({"job": np.arange(len(rows)), "arm": "reciprocal", "metric": "npv", "mean": 0.0,
                         "reference": "one_way", "diff": effect, "diff_ci_low": effect, "diff_ci_high": effect,
                         "n_seeds": 3})
    base = jobs.assign(arm="one_way", reference="", diff=np.nan, mean=1.0)
    pd.concat([base, jobs]).to_parquet(tmp / "jobs.parquet", index=False)
    (tmp / "sweep_manifest.json").write_text(json.dumps({"swept": names, "arms": ["one_way", "reciprocal"],
                                                         "jobs": [], "seeds": [0, 1, 2]}))
    return tmp


def test_sobol_indices_of_a_known_function(tmp_path: Path) -> None:
    """y = 4 x1 + x2 (x3 inert): ST(x1) = 16/17, ST(x2) = 1/17, ST(x3) = 0."""
    problem = problem_of({"x1": [0, 1], "x2": [0, 1], "x3": [0, 1]})
    rows = sample("sobol", problem, 512, seed=1)
    sweep = fake_sweep(tmp_path, "sobol", ["x1", "x2", "x3"], rows, 4 * rows[:, 0] + rows[:, 1])
    indices = sensitivity(sweep, "npv").set_index("parameter")
    assert indices.loc["x1", "ST"] == pytest.approx(16 / 17, abs=0.06)
    assert indices.loc["x2", "ST"] == pytest.approx(1 / 17, abs=0.03)
    assert abs(indices.loc["x3", "ST"]) < 0.01
    assert (indices["ST_conf"] >= 0).all() and np.isfinite(indices.to_numpy()).all()


def test_morris_ranks_parameters(tmp_path: Path) -> None:
    problem = problem_of({"a": [0, 1], "b": [0, 1]})
    rows = sample("morris", problem, 20, seed=2)
    indices = sensitivity(fake_sweep(tmp_path, "morris", ["a", "b"], rows, 3 * rows[:, 0] + 0.1 * rows[:, 1]),
                          "npv").set_index("parameter")
    assert indices.loc["a", "mu_star"] == pytest.approx(3, abs=0.01)
    assert indices.loc["b", "mu_star"] == pytest.approx(0.1, abs=0.01)


def test_prim_finds_a_planted_box(tmp_path: Path) -> None:
    problem = problem_of({"u": [0, 1], "v": [0, 1], "w": [0, 1]})
    rows = sample("lhs", problem, 400, seed=3)
    effect = np.where((rows[:, 0] < 0.3) & (rows[:, 1] > 0.6), -1.0, 1.0)
    trajectory, limits = discover(fake_sweep(tmp_path, "lhs", ["u", "v", "w"], rows, effect), "npv")
    box = limits.set_index("parameter")
    assert set(box.index[box["restricted"]]) == {"u", "v"}
    assert box.loc["u", "high"] == pytest.approx(0.3, abs=0.05) and box.loc["v", "low"] == pytest.approx(0.6, abs=0.05)
    assert limits.attrs["density"] >= 0.8 and limits.attrs["coverage"] >= 0.7
    assert {"coverage", "density", "mass", "res_dim"} <= set(trajectory.columns)


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="expected \\[low, high\\]"):
        problem_of({"x": [2, 1]})


@pytest.mark.slow
def test_tiny_real_sensitivity_sweep(tmp_path: Path) -> None:
    """A real Sobol design through the joblib launcher: one job per row, finite indices."""
    out = tmp_path / "sens"
    result = relsim_command("+experiment=sensitivity", "hydra.sweeper.samples=2", "seeds=1", "days=30",
                            "market.consumers=100", f"hydra.sweep.dir={out}", timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    x = design_matrix(out)
    assert len(x) == 2 * (6 + 2) == len(list(out.glob("job=*/manifest.json")))
    runs = pd.read_parquet(out / "sweep.parquet")
    first = runs[runs["job"] == 0].iloc[0]
    assert first["market.behaviour.negativity_bias"] == pytest.approx(x.loc[0, "market.behaviour.negativity_bias"])
    indices = sensitivity(out, "npv")
    assert np.isfinite(indices[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()
    report = subprocess.run([str(Path(sys.executable).with_name("relsim-report")), str(out)], capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    assert (out / "sensitivity.csv").is_file() and "sensitivity indices" in (out / "sweep_report.html").read_text()
