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

from relsim.analysis.design import design_matrix, discover, discover_both, sensitivity
from relsim.analysis.sweep import write_sweep_report
from hydra_plugins.relsim_design_sweeper.design_sweeper import discretise, override, problem_of, sample, simplex_lattice


def fake_sweep(tmp: Path, method: str, names: list[str], rows: np.ndarray, effect: np.ndarray,
               metric: str = "npv", others: dict[str, np.ndarray] | None = None) -> Path:
    """A sweep directory with a design and per-job summaries whose paired effect on `metric` is `effect`
    (and on each metric of `others` its array)."""
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    (tmp / "design.json").write_text(json.dumps({"method": method, "samples": 0, "seed": 0, "morris_levels": 4,
                                                  "problem": problem, "rows": rows.tolist()}))
    frames = []
    for name, values in {metric: effect, **(others or {})}.items():
        jobs = pd.DataFrame({"job": np.arange(len(rows)), "arm": "reciprocal", "metric": name, "mean": 0.0,
                             "reference": "one_way", "diff": values, "diff_ci_low": values, "diff_ci_high": values,
                             "n_seeds": 3})
        frames += [jobs.assign(arm="one_way", reference="", diff=np.nan, mean=1.0), jobs]
    pd.concat(frames).to_parquet(tmp / "jobs.parquet", index=False)
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


def test_discovery_classifies_on_customer_equity_and_finds_both_signs(tmp_path: Path) -> None:
    """The default outcome is the paired customer-equity difference (not NPV, not retention): one_way
    earns more where u < 0.4, less where u > 0.4; NPV planted with the opposite sign must not be used."""
    rows = sample("lhs", problem_of({"u": [0, 1], "v": [0, 1]}), 400, seed=4)
    equity = np.where(rows[:, 0] < 0.4, -1.0, 1.0)
    sweep = fake_sweep(tmp_path, "lhs", ["u", "v"], rows, equity, metric="customer_equity", others={"npv": -equity})
    found = discover_both(sweep)
    below, above = found["below"][1].set_index("parameter"), found["above"][1].set_index("parameter")
    assert found["below"][1].attrs["metric"] == "customer_equity"
    assert found["below"][1].attrs["cases"] == int((equity < 0).sum())
    assert found["above"][1].attrs["cases"] == int((equity > 0).sum())
    # the chosen box is the widest with density >= 0.8, so it may reach past the planted edge (0.4/0.5, 0.6/0.75)
    assert set(below.index[below["restricted"]]) == {"u"} and 0.38 <= below.loc["u", "high"] <= 0.5
    assert set(above.index[above["restricted"]]) == {"u"} and 0.24 <= above.loc["u", "low"] <= 0.42
    for _, limits in found.values():
        assert limits.attrs["density"] >= 0.8 and limits.attrs["coverage"] >= 0.8
    (tmp_path / "sweep_manifest.json").write_text(json.dumps({"swept": ["u", "v"], "arms": ["one_way", "reciprocal"],
                                                              "jobs": [], "seeds": [0, 1, 2]}))
    html = write_sweep_report(tmp_path).read_text()
    assert "Where one_way earns more" in html and "Where reciprocal earns more" in html
    table = pd.read_csv(tmp_path / "discovery.csv")
    assert set(table["sign"]) == {"below", "above"} and {"coverage", "density"} <= set(table.columns)


def test_discovery_says_so_when_one_sign_has_no_case(tmp_path: Path) -> None:
    rows = sample("lhs", problem_of({"u": [0, 1], "v": [0, 1]}), 60, seed=5)
    sweep = fake_sweep(tmp_path, "lhs", ["u", "v"], rows, 1.0 + rows[:, 0], metric="customer_equity")
    found = discover_both(sweep)
    assert found["below"][1].empty and not found["above"][1].empty
    html = write_sweep_report(sweep).read_text()
    assert "no design row where one_way earns more customer equity than reciprocal" in html
    assert "u [0, 1]" in html  # the statement names the ranges


def test_design_sweeper_rounds_integers_and_maps_levels() -> None:
    problem = problem_of({"a": [1, 4], "b": [0, 1], "rivals": [0, 2]})
    design = discretise(problem, sample("lhs", problem, 50, seed=6), ["a"], {"rivals": [[], ["middle"]]})
    assert set(design[:, 0]) <= {1.0, 2.0, 3.0, 4.0} and set(design[:, 2]) == {0.0, 1.0}
    assert 0 < design[:, 1].min() and design[:, 1].max() < 1 and len(set(design[:, 1])) == 50
    assert override("a", 3.0, ["a"], {}) == "a=3"
    assert override("rivals", 0.0, [], {"rivals": [[], ["middle"]]}) == "rivals=[]"
    assert override("rivals", 1.0, [], {"rivals": [[], ["middle"]]}) == "rivals=[middle]"


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


@pytest.mark.slow
def test_tiny_real_discovery_sweep(tmp_path: Path) -> None:
    """The discovery experiment end to end on a tiny design: levels and integers reach the jobs, and the
    report classifies on customer equity."""
    out = tmp_path / "disc"
    result = relsim_command("+experiment=discovery", "hydra.sweeper.samples=4", "seeds=1", "days=30",
                            "market.consumers=100", f"hydra.sweep.dir={out}", timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    x = design_matrix(out)
    assert len(x) == 4 == len(list(out.glob("job=*/manifest.json")))
    assert set(x["market.rivals"]) <= {0.0, 1.0} and (x["market.network.degree"] % 1 == 0).all()
    config = json.loads((out / "job=0" / "manifest.json").read_text())["config"]
    assert len(config["market"]["rivals"]) == x.loc[0, "market.rivals"]
    assert config["strategies"]["reciprocal"]["cost_per_ticket"] == config["strategies"]["one_way"]["cost_per_ticket"]
    report = subprocess.run([str(Path(sys.executable).with_name("relsim-report")), str(out)], capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    html = (out / "sweep_report.html").read_text()
    assert "one_way earns more customer equity" in html or "Where one_way earns more" in html
    assert "Where reciprocal earns more" in html or "reciprocal earns more customer equity" in html


def test_simplex_lattice_covers_every_split_that_adds_up_to_one() -> None:
    problem, rows = simplex_lattice(["a", "b", "c"], 10)
    assert rows.shape == (66, 3) and problem["names"] == ["a", "b", "c"]
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    assert len({tuple(r) for r in rows.round(9)}) == 66 and rows.min() == 0.0 and rows.max() == 1.0
    with pytest.raises(ValueError, match="divisions"):
        simplex_lattice(["a", "b"], 0)
    with pytest.raises(ValueError, match="simplex"):
        simplex_lattice(["a", "a"], 4)
