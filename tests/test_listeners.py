"""Nothing listens beyond loopback (issue 29): the page, a local Dask cluster and a local Ray, each measured with the
OS's own socket list (`ss -ltnp`, experiments/bench/listeners.py) while it runs; all on this machine's loopback,
and everything each leaves (Ray's session folder, a token file under the home directory) removed."""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from relsim.experiments.bench.listeners import SMALL, measure

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(shutil.which("ss") is None, reason="needs the ss command (iproute2)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_page_listens_on_loopback_only(tmp_path: Path) -> None:
    found = measure([str(BIN / "relsim-app"), "--port", str(_free_port())], cwd=tmp_path, until_listening=True,
                    limit=120)
    assert found["listeners"], found
    assert found["beyond_loopback"] == [], found


def test_a_local_dask_cluster_listens_on_loopback_only(tmp_path: Path) -> None:
    """relsim-calibrate --dask local: the scheduler, its dashboard, the workers and their dashboards."""
    script = ("from relsim.experiments.inference.abc_smc import mapper\n"
              "with mapper(2, 'local') as map_:\n"
              "    assert list(map_(abs, [-1, -2, -3])) == [1, 2, 3]\n"
              "    import time; time.sleep(2)\n")
    found = measure([sys.executable, "-c", script], cwd=tmp_path, limit=300)
    assert found["exit"] == 0, found
    assert found["listeners"], found  # the cluster ran (and listened)
    assert found["beyond_loopback"] == [], found


@pytest.mark.slow
def test_a_local_ray_listens_on_loopback_only(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'relsim[cluster]')")
    home = Path.home()
    before = set(home.glob(".ray*")) | (set((home / ".ray").rglob("*")) if (home / ".ray").is_dir() else set())
    sessions = set(Path(tempfile.gettempdir()).glob("ray/session_*"))
    found = {}
    try:
        found = measure([str(BIN / "relsim"), "-m", "hydra/launcher=ray_local", "strategies.one_way.contact_rate=12,52",
                         *SMALL, f"hydra.sweep.dir={tmp_path / 's'}"], cwd=tmp_path, limit=600)
        if found["exit"] != 0 and not found["listeners"]:
            pytest.skip(f"Ray cannot start on this machine: {found['tail']}")
        assert found["exit"] == 0, found
        assert found["listeners"] and found["beyond_loopback"] == [], found
    finally:
        after = set(home.glob(".ray*")) | (set((home / ".ray").rglob("*")) if (home / ".ray").is_dir() else set())
        for created in sorted(after - before, key=lambda p: len(str(p)), reverse=True):
            shutil.rmtree(created, ignore_errors=True) if created.is_dir() else created.unlink(missing_ok=True)
        pid = str(found.get("pid", ""))
        for session in set(Path(tempfile.gettempdir()).glob("ray/session_*")) - sessions:
            if pid and session.name.endswith(f"_{pid}"):  # ours only: the driver's pid ends its name
                shutil.rmtree(session, ignore_errors=True)
