"""Which addresses relsim's listeners bind, as the OS's own socket list (`ss -ltnp`) shows them.

    python -m relsim.experiments.bench.listeners            # the page, a Dask calibration, a Ray sweep
    python -m relsim.experiments.bench.listeners --only app
    OTHER/.venv/bin/python experiments/bench/listeners.py    # another install (e.g. an older commit)

Each target runs in a session of its own on this machine: `relsim-app` (until it listens, then stopped),
`relsim-calibrate --dask local` (a tiny pattern measurement on a local Dask cluster) and `relsim -m
hydra/launcher=ray_local` (a two-job sweep on a local Ray). While it runs, `ss -ltnp` is read every few
tenths of a second, and every listening TCP socket of a process in that session is recorded with its
address. Everything a target writes goes to a temporary folder; Ray's session folders and the token file
Ray writes under the home directory are removed if this run created them. Figures, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL = ["arms=[one_way]", "seeds=1", "days=10", "market.consumers=60", "progress=false", "workers=1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text.rsplit(")", 1)[1].split()[3])


def listening(session: int) -> set[tuple[str, str]]:
    """(address:port, program) of every listening TCP socket whose process is in `session`."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=False).stdout
    found = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 6:
            continue
        address = parts[3]
        for name, pid in re.findall(r'\("([^"]+)",pid=(\d+)', line):
            if _session(int(pid)) == session:
                found.add((address, name))
    return found


def measure(command: list[str], *, cwd: Path, until_listening: bool = False, limit: float = 300,
            env: dict | None = None) -> dict:
    """Run `command` in its own session; every listener it opened, and how it ended."""
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
    seen: set[tuple[str, str]] = set()
    try:
        while proc.poll() is None and time.monotonic() - started < limit:
            seen |= listening(proc.pid)
            if until_listening and seen:
                time.sleep(2)  # whatever else it opens as it starts
                seen |= listening(proc.pid)
                break
            time.sleep(0.2)
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(1)
        output = proc.communicate()[0]
    return {"command": " ".join(command), "pid": proc.pid, "exit": proc.returncode, "seconds": round(time.monotonic() - started, 1),
            "listeners": sorted(f"{address} ({name})" for address, name in seen),
            "beyond_loopback": sorted(f"{address} ({name})" for address, name in seen if not _loopback(address)),
            "tail": output.strip().splitlines()[-3:]}


def _loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]").split("%")[0]
    host = host.removeprefix("::ffff:")  # an IPv4 address as IPv6 sees it
    return host.startswith("127.") or host in ("::1", "localhost")


def _ray_files() -> set[Path]:
    """Ray's files under the home directory (its token) and its session folders."""
    home = Path.home()
    found = set(home.glob(".ray*")) | (set((home / ".ray").glob("**/*")) if (home / ".ray").is_dir() else set())
    return found | set(Path(tempfile.gettempdir()).glob("ray/session_*"))


def run(only: list[str]) -> dict:
    """Measure each target; returns what each opened."""
    bin_dir = Path(sys.executable).parent
    results = {}
    before_ray = _ray_files()
    with tempfile.TemporaryDirectory(prefix="relsim-listeners-") as tmp:
        work = Path(tmp)
        if "app" in only:
            results["relsim-app"] = measure([str(bin_dir / "relsim-app"), "--port", str(_free_port())], cwd=work,
                                            until_listening=True, limit=120)
        if "dask" in only:
            results["relsim-calibrate --dask local"] = measure(
                [str(bin_dir / "relsim-calibrate"), "--dask", "local", "--population", "10", "--generations", "1",
                 "--budget", "10", "--draws", "2", "--point", "median", "--consumers", "100", "--workers", "2",
                 "--out", str(work / "cal"), "--quiet"], cwd=work, limit=900)
        if "ray" in only:
            results["relsim -m hydra/launcher=ray_local"] = measure(
                [str(bin_dir / "relsim"), "-m", "hydra/launcher=ray_local", "strategies.one_way.mail_rate=12,52",
                 *SMALL, f"hydra.sweep.dir={work / 'ray'}"], cwd=work, limit=600, env={"RAY_AUTH_MODE": "disabled"})
    ours = {str(r.get("pid")) for r in results.values()}
    for path in sorted(_ray_files() - before_ray, key=lambda p: len(str(p)), reverse=True):
        if path.name.startswith("session_") and path.name.rsplit("_", 1)[-1] not in ours:
            continue  # another user's Ray session, started meanwhile: not ours to remove
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return results


def main(argv: list[str] | None = None) -> None:
    """Measure and print (JSON) the listeners of each target."""
    p = argparse.ArgumentParser(prog="relsim-listeners", description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument("--only", default="app,dask,ray", help="comma-separated targets: app, dask, ray")
    p.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = p.parse_args(argv)
    result = run([t for t in args.only.split(",") if t])
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
