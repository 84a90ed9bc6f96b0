"""Sweeps through Hydra's real launchers: one dataset, identical across launchers, resumable after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import relsim_command

from relsim.analysis.sweep import effect_grid, load_sweep, sweep_figures

BIN = Path(sys.executable).parent
GRID = ["strategies.one_way.mail_rate=12,40", "market.network.degree=4,10"]
SMALL = ["seeds=2", "days=40", "market.consumers=200"]


def relsim(*args: str, cwd: Path, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    result = relsim_command(*args, cwd=cwd, timeout=timeout, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def joblib_sweep(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("joblib")
    result = relsim("-m", *GRID, *SMALL, f"hydra.sweep.dir={tmp / 'sweep'}", cwd=tmp)
    (tmp / "command.out").write_text(result.stdout + "\n--- stderr\n" + result.stderr)
    return tmp / "sweep"


def test_sweep_shows_progress_names_each_job_and_ends_with_the_next_command(joblib_sweep: Path) -> None:
    out, err = (joblib_sweep.parent / "command.out").read_text().split("\n--- stderr\n")
    assert "Joblib.Parallel(" not in out + err
    assert "relsim sweep: 100%" in err and "4/4" in err  # one bar over the four jobs
    for k in range(4):
        line = next(x for x in out.splitlines() if x.startswith(f"job {k} ("))
        assert "strategies.one_way.mail_rate=" in line and "market.network.degree=" in line
        assert "): Over 40 days" in line
    assert out.strip().splitlines()[-1] == f"relsim: next: relsim-report {joblib_sweep}   (writes sweep_report.html there)"


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("basic")
    relsim("-m", "hydra/launcher=basic", *GRID, *SMALL, f"hydra.sweep.dir={tmp / 'sweep'}", cwd=tmp)
    return tmp / "sweep"


def test_joblib_sweep_collects_one_tidy_dataset(joblib_sweep: Path) -> None:
    runs = pd.read_parquet(joblib_sweep / "sweep.parquet")
    assert len(runs) == 4 * 2 * 2 * 40 * 2  # grid points x arms x seeds x days x firms
    assert {"job", "arm", "seed", "day", "firm", "customers", "mean_trust", "profit",
            "strategies.one_way.mail_rate", "market.network.degree"} <= set(runs.columns)
    grid = runs.groupby("job")[["strategies.one_way.mail_rate", "market.network.degree"]].first()
    assert sorted(map(tuple, grid.to_numpy().tolist())) == [(12, 4), (12, 10), (40, 4), (40, 10)]
    jobs = pd.read_parquet(joblib_sweep / "jobs.parquet")
    assert set(jobs["job"]) == {0, 1, 2, 3} and "diff_ci_low" in jobs
    manifest = json.loads((joblib_sweep / "sweep_manifest.json").read_text())
    assert manifest["swept"] == ["strategies.one_way.mail_rate", "market.network.degree"]
    for job in range(4):
        assert (joblib_sweep / f"job={job}" / "runs.parquet").is_file()


def test_sweep_parquet_scans_lazily(joblib_sweep: Path) -> None:
    import duckdb
    import polars as pl
    import pyarrow.dataset as ds

    path = str(joblib_sweep / "sweep.parquet")
    assert pl.scan_parquet(path).filter(pl.col("job") == 3).select(pl.len()).collect().item() == 320
    assert duckdb.sql(f"select count(*) from '{path}' where job = 1").fetchall()[0][0] == 320
    assert ds.dataset(path).count_rows() == 1280


def test_launchers_give_identical_datasets(joblib_sweep: Path, basic_sweep: Path) -> None:
    """Determinism across launchers: parallel (joblib) and sequential (basic) sweeps are equal in value."""
    a, b = (pd.read_parquet(p / "sweep.parquet").sort_values(["job", "arm", "seed", "day", "firm"]).reset_index(drop=True)
            for p in (joblib_sweep, basic_sweep))
    pd.testing.assert_frame_equal(a, b)


def test_killed_sweep_resumes_to_identical_values(tmp_path: Path, basic_sweep: Path) -> None:
    sweep = tmp_path / "sweep"
    args = [str(BIN / "relsim"), "-m", "hydra/launcher=basic", *GRID, *SMALL, f"hydra.sweep.dir={sweep}"]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (sweep / "job=1" / "manifest.json").exists():
            assert proc.poll() is None, "the sweep finished before it could be killed"
            assert time.monotonic() < deadline, "the sweep made no progress"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (sweep / "sweep.parquet").exists()
    done_before = {p.parent.name for p in sweep.glob("job=*/manifest.json")}
    assert 2 <= len(done_before) < 4
    result = relsim(*args[1:], cwd=tmp_path)
    assert result.stdout.count("already complete") == len(done_before)
    a, b = (pd.read_parquet(p / "sweep.parquet").sort_values(["job", "arm", "seed", "day", "firm"]).reset_index(drop=True)
            for p in (sweep, basic_sweep))
    pd.testing.assert_frame_equal(a, b)


def test_submitit_local_launcher(tmp_path: Path) -> None:
    relsim("-m", "hydra/launcher=submitit_local", "+cluster=local", "strategies.one_way.mail_rate=12,40", *SMALL, f"hydra.sweep.dir={tmp_path / 's'}",
           cwd=tmp_path)
    runs = pd.read_parquet(tmp_path / "s" / "sweep.parquet")
    assert sorted(runs["strategies.one_way.mail_rate"].unique()) == [12, 40]


@pytest.mark.slow
def test_ray_local_launcher(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'relsim[cluster]')")
    home_ray = Path.home() / ".ray"
    before = set(home_ray.rglob("*")) if home_ray.exists() else set()
    try:
        result = relsim_command("-m", "hydra/launcher=ray_local", "strategies.one_way.mail_rate=12,40", *SMALL,
                                f"hydra.sweep.dir={tmp_path / 's'}", cwd=tmp_path, timeout=600)
        if result.returncode != 0:  # relsim's failure, or Ray's own? Ray alone tells (a second start: only then)
            probe = subprocess.run([sys.executable, "-c", "import ray; ray.init(_node_ip_address='127.0.0.1', "
                                    "include_dashboard=False, num_cpus=1); ray.shutdown()"], capture_output=True,
                                   text=True, timeout=180, env={**os.environ, "RAY_AUTH_MODE": "disabled"})
            if probe.returncode != 0:
                pytest.skip(f"Ray cannot start on this machine: {probe.stderr.strip().splitlines()[-1:]}")
        assert result.returncode == 0, result.stderr[-3000:]
        runs = pd.read_parquet(tmp_path / "s" / "sweep.parquet")
        assert sorted(runs["strategies.one_way.mail_rate"].unique()) == [12, 40]
        assert ray.__version__
    finally:
        for created in sorted(set(home_ray.rglob("*")) - before, reverse=True) if home_ray.exists() else []:
            created.unlink() if created.is_file() else created.rmdir()


def test_sweep_report_two_dimensions(joblib_sweep: Path) -> None:
    result = subprocess.run([str(BIN / "relsim-report"), str(joblib_sweep)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    page = (joblib_sweep / "sweep_report.html").read_text()
    assert "Methods" in page and "bootstrap" in page and "config hash" in page
    sweep = load_sweep(joblib_sweep)
    grid = effect_grid(sweep, "npv")
    assert len(grid) == 4 and set(grid["comparison"]) == {"reciprocal − one_way"}
    assert ((grid["low"] <= grid["effect"]) & (grid["effect"] <= grid["high"])).all()
    assert "seed noise only" in page and "`posterior=20 seeds=5`" in page  # the command that checks each verdict
    figures = sweep_figures(sweep)
    assert figures and all(any(t.type == "heatmap" for t in f.data) for f in figures)


def test_sweep_report_one_dimension_and_bad_dir(tmp_path: Path) -> None:
    relsim("-m", "strategies.one_way.mail_rate=0,14,40", *SMALL, cwd=tmp_path)  # into Hydra's dated directory
    (day,) = (tmp_path / "multirun").iterdir()
    (sweep_dir,) = day.iterdir()  # one directory: the sweep's, no empty sibling named a moment earlier
    assert (sweep_dir / "sweep.parquet").is_file()
    figures = sweep_figures(load_sweep(sweep_dir))
    assert len(figures) == 2  # each arm's mean along the sweep, and the paired effect
    assert all(any(t.mode == "lines+markers" for t in f.data) for f in figures)
    assert {t.name for t in figures[0].data if t.mode} == {"one_way", "reciprocal"}
    assert {t.name for t in figures[1].data if t.mode} == {"reciprocal − one_way"}
    bad = subprocess.run([str(BIN / "relsim-report"), str(tmp_path / "nope")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "SWEEP_DIR=" in bad.stderr


def test_the_zero_contour_is_drawn_black_as_the_heatmap_title_says() -> None:
    from relsim.analysis.sweep import _heatmap_traces

    grid = pd.DataFrame({"x": [1, 2, 1, 2], "y": [1, 1, 2, 2], "effect": [-1.0, 1.0, -2.0, 2.0],
                         "clear": [True] * 4})
    contour = [t for t in _heatmap_traces(grid, "x", "y", 1.0, 2.0, True) if t.type == "contour"]
    assert len(contour) == 1 and contour[0].line.color == "black"
    assert contour[0].contours.coloring == "none"  # 'lines' would colour it from the colorscale (yellow at 0)


def test_the_sweep_headline_reads_where_the_first_arm_is_ahead_and_which_key_separates_it() -> None:
    from relsim.analysis.sweep import _reading

    key = "strategies.one_way.mail_rate"
    part = pd.DataFrame({key: [12, 26, 52, 104] * 2, "market.rivals": ["[]"] * 4 + ["[middle]"] * 4,
                         "low": [-5, -3, 1, 2, -4, -2, 1, 3], "high": [-1, -0.5, 3, 4, -1, -0.5, 2, 5],
                         "clear": [True] * 8, "call": ["clear"] * 8})
    text = _reading(part, ["market.rivals", key], "NPV", "reciprocal − one_way")
    assert text == ("NPV: reciprocal is clearly ahead (reciprocal − one_way) at 4 of 8 grid points and clearly behind "
                    "at 4: behind where mail rate is 26 or less, ahead where it is 52 or more.")
    few = part.assign(clear=False, call="few", n_seeds=3)  # too few seeds: nothing is called ahead or behind, and it says why
    assert _reading(few, [key], "NPV", "reciprocal − one_way") == (
        "NPV (reciprocal − one_way): at 8 of 8 grid points the 95% CI excludes 0, but 3 seeds per grid point are too "
        "few to call it (a clear call needs 6).")
    split = part.assign(clear=False, call="unsettled", n_seeds=20)  # over posterior draws that disagree
    assert _reading(split, [key], "NPV", "reciprocal − one_way") == (
        "NPV (reciprocal − one_way): at 8 of 8 grid points the 95% CI excludes 0, but the direction holds in fewer "
        "than 90% of the posterior draws there (the posterior does not settle it).")
    unclear = part.assign(clear=False, call="unclear", low=-1.0, high=1.0, n_seeds=20)
    assert "ahead (reciprocal − one_way) at 0 of 8 grid points and clearly behind at 0." in _reading(
        unclear, [key], "NPV", "reciprocal − one_way")
    mixed = part.assign(low=[-5, 1, -3, 2, 1, -2, 1, 3], high=[-1, 3, -0.5, 4, 2, -0.5, 2, 5])
    assert _reading(mixed, [key], "NPV", "reciprocal − one_way").endswith("no single swept key separates the two.")
