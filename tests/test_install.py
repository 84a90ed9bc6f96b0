"""Installed like a real package: a wheel in a fresh virtual environment runs every preset, and claims only `relsim`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with relsim installed from a wheel built from this checkout (not editable).

    The venv sees this interpreter's third-party packages (numpy, mesa, hydra ...) through a .pth
    line, so nothing is downloaded but the build backend; relsim itself comes only from the wheel.
    """
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a clean copy: no build/ left over from an earlier build, no caches, no venv
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                                "outputs", "multirun", ".pytest_cache", ".hypothesis"))
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"), str(source)],
                 cwd=tmp)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp / "dist").glob("relsim-*.whl"))
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp)
    Path(site.stdout.strip(), "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
               cwd=tmp)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return env_dir


@pytest.mark.slow
def test_the_wheel_claims_one_import_name(installed: Path, tmp_path: Path) -> None:
    python = str(installed / "bin" / "python")
    modules = ("relsim, relsim.analysis, relsim.experiments.commands.compare, relsim.experiments.plumbing.runner, "
               "relsim.experiments.inference.space, relsim.experiments.app, relsim.experiments.bench")
    ok = _run([python, "-c", f"import {modules}; print(relsim.__file__)"], cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert str(installed) in ok.stdout and str(ROOT) not in ok.stdout
    for name in ("sim", "analysis", "experiments", "configs"):
        missing = _run([python, "-c", f"import {name}"], cwd=tmp_path)
        assert missing.returncode != 0 and "ModuleNotFoundError" in missing.stderr, name


@pytest.mark.slow
def test_the_installed_command_runs_presets_and_scenarios(installed: Path, tmp_path: Path) -> None:
    relsim = str(installed / "bin" / "relsim")
    out = tmp_path / "run"
    done = _run([relsim, "arms=[one_way,reciprocal]", "seeds=1", "days=40", "market.consumers=300", "market=monopoly",
                 "scenario=support_fee_90d", "progress=false", f"hydra.run.dir={out}"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["strategies"]["one_way"]["mail_rate"] == 40.0
    assert set(manifest["scenarios"]) == {"baseline", "support_fee_90d"}
    assert (out / "runs.parquet").stat().st_size > 0
    bad = _run([relsim, "market=nope"], cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "relsim: error: market=nope: unknown option; allowed: calibrated, default, head_to_head, monopoly"]


@pytest.mark.slow
def test_the_installed_wheel_carries_the_calibrated_posterior(installed: Path, tmp_path: Path) -> None:
    """`posterior=N` reads the calibrated market's posterior.csv from the installed package (a cluster node
    has no checkout)."""
    relsim = str(installed / "bin" / "relsim")
    out = tmp_path / "post"
    done = _run([relsim, "market=calibrated", "posterior=2", "seeds=1", "days=30", "market.consumers=200",
                 "progress=false", f"hydra.run.dir={out}"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((out / "manifest.json").read_text())["seeds"] == [0, 1_000_000]
