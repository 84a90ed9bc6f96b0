"""The suite's fuzz test (issue 29): bad inputs of every family of the bad-input campaign, through every command
and the Python API; each is one line, exit code 2 and no files. The wider campaign (thousands of inputs, every
outcome counted) is experiments/bench/fuzz.py, its last result docs/FUZZ.md.

Inputs are drawn from fixed seeds (a failure reproduces); the relsim gate is called in process (it is what the
command calls first), the other commands through their `main`, and a few inputs through the real command.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import relsim_command

from relsim import Behaviour, Market, Policy, RelationshipModel, Segment, Strategy
from relsim.experiments.bench.fuzz import LONG_INT, SMALL, numeric_keys, section_keys
from relsim.experiments.plumbing.checks import check_command_line
from relsim.params import ConfigError, Dist, Network, Population, build

DESIGN = ["-m", "hydra/sweeper=design", "hydra/launcher=basic", "hydra.sweeper.method=lhs", "hydra.sweeper.samples=2"]


def _refused(args: list[str], names: str | None = None) -> str:
    with pytest.raises(ConfigError) as err:
        check_command_line([*SMALL, *args])
    message = str(err.value)
    assert message and "\n" not in message and "Traceback" not in message, message
    if names:
        assert names in message, (names, message)
    return message


def _draw(rng: random.Random, family: str) -> tuple[list[str], str | None]:
    """One bad input of a family, and a text its refusal must name."""
    if family == "numbers":
        key, lo, hi, kind = rng.choice(numeric_keys())
        value = rng.choice([LONG_INT, "-" + LONG_INT, "nan", "inf", "abc", "[1]",
                            str(lo - 1) if lo is not None else "-" + LONG_INT,
                            str(hi * 2 + 1) if hi is not None else "1e13"])
        return [f"{key}={value}"], key
    if family == "nulls":
        return [f"{rng.choice(section_keys())}=null"], None
    if family == "names":
        group = rng.choice(["market", "scenario", "firm_policy", "hydra/launcher", "+experiment"])
        value = rng.choice(["../../x", "/etc/hosts", "a/b", "glob(*)", "nope", "x y", "[a,a]"])
        return [f"{group}={value}"], group.lstrip("+")
    if family == "routes":
        key = rng.choice(["+hydra.job.env_set.PATH", "hydra.job.chdir", "hydra.searchpath", "output_dir",
                          "hydra.run.dir", "+hydra.callbacks.x._target_", "hydra.sweep.subdir",
                          "+hydra.job_logging.handlers.file.filename", "strategies.one_way.mail_rate"])
        form = rng.choice(["levels", "bounds"])
        value = "[500,600]" if key.startswith("strategies") else "[a,b]" if form == "levels" else "[0,1]"
        return [*DESIGN, f"+hydra.sweeper.{form}={{{key}:{value}}}"], None
    if family == "launchers":
        launcher, setting = rng.choice([
            ("joblib", "hydra.launcher.n_jobs=0"), ("joblib", "hydra.launcher.backend=evil"),
            ("joblib", "hydra.launcher.timeout=0.001"), ("joblib", "hydra.launcher.temp_folder=/tmp/x"),
            ("ray_local", "hydra.launcher.ray.init.include_dashboard=true"),
            ("ray_local", "+hydra.launcher.ray.init.dashboard_host=0.0.0.0"),
            ("ray_local", "hydra.launcher.ray.init._node_ip_address=0.0.0.0"),
            ("submitit_local", "hydra.launcher.submitit_folder=/tmp/x"), ("basic", "+hydra.launcher.n_jobs=2"),
            ("joblib", "hydra.sweep.subdir=/tmp/x"), ("joblib", "hydra.sweep.subdir=../../x")])
        return ["-m", f"hydra/launcher={launcher}", "strategies.one_way.mail_rate=12,52", setting], \
            setting.split("=")[0].lstrip("+")
    if family == "modes":
        mode = rng.choice([["--cfg", "job"], ["--cfg", "hydra", "--resolve"], ["--info"], ["-c", "all"]])
        bad = rng.choice(["currency=${oc.env:HOME}", "strategies.one_way.mail_rate=-1", "market.network=null",
                          "hydra.run.dir=${oc.env:HOME}"])
        return [*mode, bad], bad.split("=")[0]
    # sweeps
    return rng.choice([
        (["-m", "strategies.one_way.mail_rate=12,12.0"], "mail_rate"),
        (["-m", "scenario=mail_blitz,mail_blitz"], "scenario"), (["scenario=[mail_blitz,mail_blitz]"], "scenario"),
        (["scenario=[null]"], "scenario"), (["scenario=[null,mail_blitz]"], "scenario"),
        (["strategies.one_way.mail_rate=12,52"], "-m"), (["-m", "seeds=range(1,1000000)"], "seeds"),
        (["-m", "seeds=range(1,20000)", "market.consumers=60,1"], "market.consumers=1"),
        (["-m", "strategies.one_way.mail_rate=shuffle(1,2)"], "shuffle"),
        (["-m", "days=interval(1,5)"], "interval"), (["-m", "arms=[one_way],[[one_way]]"], "arms")])


FAMILIES = ("numbers", "nulls", "names", "routes", "launchers", "modes", "sweeps")


@pytest.mark.parametrize("family", FAMILIES)
def test_fuzzed_bad_inputs_of_each_family_are_one_line(family: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"issue-29-{family}")
    for _ in range(10):
        args, names = _draw(rng, family)
        _refused(args, names)
    assert not any(tmp_path.iterdir())  # nothing written: no run folder, no probe left behind


# ----------------------------------------------------------------------------- the other commands

def _fake_sweep(root: Path) -> Path:
    """A finished sweep of two jobs, as the collector reads it (made by hand: quick)."""
    sweep = root / "sweep"
    for job in (0, 1):
        folder = sweep / f"job={job}"
        (folder / ".hydra").mkdir(parents=True)
        pd.DataFrame({"arm": ["one_way"] * 2, "scenario": ["baseline"] * 2, "seed": [0, 0], "day": [1, 2],
                      "firm": [0, 0], "customers": [10, 9]}).to_parquet(folder / "runs.parquet")
        pd.DataFrame({"arm": ["one_way"], "metric": ["npv"], "mean": [1.0]}).to_csv(folder / "summary.csv", index=False)
        (folder / "manifest.json").write_text(json.dumps({"config": {"days": 2}, "config_hash": "x"}))
        (folder / ".hydra" / "overrides.yaml").write_text(f"- strategies.one_way.mail_rate={12 + 40 * job}\n")
    return sweep


def _corrupt(sweep: Path, how: str) -> None:
    target = {"truncated parquet": "job=0/runs.parquet", "corrupt manifest": "job=0/manifest.json",
              "manifest a list": "job=1/manifest.json", "a FIFO": "job=0/runs.parquet",
              "overrides a mapping": "job=0/.hydra/overrides.yaml", "job a file": "job=1",
              "manifest a FIFO": "job=0/manifest.json", "a column of text": "job=1/runs.parquet"}[how]
    path = sweep / target
    if how == "a column of text":  # the same columns, one of another kind: the jobs cannot be stacked
        frame = pd.read_parquet(path)
        frame["customers"] = frame["customers"].astype(str)
        frame.to_parquet(path)
    elif how == "truncated parquet":
        path.write_bytes(path.read_bytes()[:60])
    elif how == "corrupt manifest":
        path.write_text("{not json")
    elif how == "manifest a list":
        path.write_text("[]")
    elif how in ("a FIFO", "manifest a FIFO"):
        path.unlink()
        os.mkfifo(path)
    elif how == "overrides a mapping":
        path.write_text("a: 1\n")
    else:
        import shutil

        shutil.rmtree(path)
        path.write_text("x")


def _main(module: str, argv: list[str], capsys, monkeypatch) -> str:
    """Run a command's main in process; it must exit 2 with one line on stderr. Returns the line."""
    import importlib

    monkeypatch.setenv("PYTHONSAFEPATH", "1")
    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as done:
        result = main(argv)
        raise SystemExit(result)
    err = capsys.readouterr().err
    assert done.value.code == 2, (argv, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and ": error: " in lines[0] and "Traceback" not in err, (argv, err)
    return lines[0]


@pytest.mark.parametrize("how", ["truncated parquet", "corrupt manifest", "manifest a list", "a FIFO",
                                 "overrides a mapping", "job a file", "manifest a FIFO", "a column of text"])
@pytest.mark.parametrize("command", ["report_sweep", "collect_sweep"])
def test_report_and_collect_refuse_damaged_sweeps(how: str, command: str, tmp_path, capsys, monkeypatch) -> None:
    sweep = _fake_sweep(tmp_path)
    _corrupt(sweep, how)
    before = sorted(p.name for p in sweep.iterdir())
    _main(f"relsim.experiments.commands.{command}", [str(sweep)], capsys, monkeypatch)
    assert sorted(p.name for p in sweep.iterdir()) == before  # nothing written


def _curve(tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    path.write_text("period,surviving\n0,1000\n1,800\n2,700\n3,650\n")
    return path


CALIBRATE = [
    (["--market", "../../x"], "--market"), (["--market", "/etc/hosts"], "--market"), (["--market", "nope"], "--market"),
    (["--strategy", "../x"], "--strategy"), (["--write-preset", ""], "--write-preset"),
    (["--write-preset", "../x"], "--write-preset"), (["--consumers", LONG_INT], "--consumers"),
    (["--seed", "-1"], "--seed"), (["--ou", "x"], "--ou"), (["--da", "local"], "--da"),
    (["--dask", "not an address"], "--dask"), (["--dask", "tcp://127.0.0.1:" + LONG_INT], "--dask"),
    (["hydra.job.chdir=true"], "hydra"), (["market.consumers=${oc.env:HOME}"], "interpolation"),
    (["market.network=null"], "network"), (["market.behaviour.base_churn=" + LONG_INT], "base_churn"),
]


@pytest.mark.parametrize(("extra", "names"), CALIBRATE, ids=[" ".join(a)[:30] for a, _ in CALIBRATE])
def test_relsim_calibrate_refuses_before_any_work(extra, names, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = _curve(tmp_path)
    line = _main("relsim.experiments.commands.calibrate", [str(data), "--period-days", "365", "--method", "lsq",
                                                           "--out", "cal", *extra], capsys, monkeypatch)
    assert names in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


@pytest.mark.parametrize("kind", ["fifo", "folder", "device", "binary"])
def test_input_files_that_are_not_regular_files_are_refused_at_once(kind, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data.csv"
    if kind == "fifo":
        os.mkfifo(data)  # reading it would block for ever
    elif kind == "folder":
        data.mkdir()
    elif kind == "device":
        data.symlink_to("/dev/zero")  # reading it would never end
    else:
        data.write_bytes(b"\x00\xff" * 100)
    line = _main("relsim.experiments.commands.calibrate", [str(data), "--period-days", "365", "--method", "lsq",
                                                           "--out", "cal"], capsys, monkeypatch)
    assert "data" in line and not (tmp_path / "cal").exists()
    _refused([f"posterior_file={data}", "posterior=2"], "posterior_file")


@pytest.mark.parametrize(("module", "argv", "names"), [
    ("relsim.experiments.commands.write_findings", ["--from", "f", "--doc", "F.md"], "--from"),
    ("relsim.experiments.commands.write_findings", ["--fr", "f"], "--fr"),
    ("relsim.experiments.commands.write_findings", ["--out", "/proc/relsim", "--quick"], "--out"),
    ("relsim.experiments.commands.audit_mechanisms", ["--doc", "", "--out", "a", "seeds=0"], "seeds"),
    ("relsim.experiments.commands.audit_mechanisms", ["--do", "", "seeds=1"], "--do"),
    ("relsim.experiments.commands.audit_mechanisms", ["--doc", ".", "seeds=1"], "--doc"),
    ("relsim.experiments.commands.validate", ["--facts", "1,x"], "--facts"),
    ("relsim.experiments.commands.validate", ["--qui"], "--qui"),
    ("relsim.experiments.commands.validate", ["--out", "/proc/v", "--facts", "1"], "--out"),
    ("relsim.experiments.commands.report_sweep", ["sweep", "--metrics", "bogus"], "bogus"),
    ("relsim.experiments.commands.report_sweep", ["nowhere"], "nowhere"),
    ("relsim.experiments.commands.collect_sweep", ["a", "b"], "unrecognized"),
    ("relsim.experiments.commands.optimize", ["--trials", "0"], "--trials=0"),
    ("relsim.experiments.commands.optimize", ["--levers", "bogus"], "--levers"),
    ("relsim.experiments.commands.optimize", ["--tri", "3"], "--tri"),
    ("relsim.experiments.commands.decompose", ["--arms", "one_way"], "--arms"),
    ("relsim.experiments.commands.decompose", ["--metrics", "bogus"], "--metrics"),
    ("relsim.experiments.commands.regret", ["nowhere"], "SWEEP_DIR=nowhere"),
    ("relsim.experiments.commands.regret", ["sweep", "--workers", "-1"], "--workers=-1"),
    ("relsim.experiments.commands.regret", ["sweep", "--best", "nothing.json"], "--best"),
    ("relsim.experiments.commands.regret", ["sweep", "--pres", "x"], "--pres"),
    ("relsim.experiments.app.server", ["--all"], "--all"),
    ("relsim.experiments.app.server", ["--allow"], "--allow"),
    ("relsim.experiments.app.server", ["--host", "localhost", "--allow-remote=yes"], "--allow-remote"),
])
def test_every_command_refuses_in_one_line(module, argv, names, tmp_path, capsys, monkeypatch) -> None:
    import relsim._cache

    monkeypatch.setattr(relsim._cache, "compiled", lambda: False)  # as on a fresh install: refuse before compiling
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "findings_runs.json").write_text("{not json")
    _fake_sweep(tmp_path)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert names in _main(module, argv, capsys, monkeypatch)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


# ----------------------------------------------------------------------------- the Python API

API = [
    lambda: Strategy(mail_rate=10**400), lambda: Strategy(mail_rate=10**5000), lambda: Behaviour(base_churn=-1),
    lambda: Strategy(price=math.inf), lambda: Market(consumers=10**400), lambda: Market(network=None),
    lambda: Market(population=None), lambda: Population(fit=None), lambda: Population(fit=Dist("gamma", 0.5, 0.3)),
    lambda: Population(support_seeking=Dist("constant", 5, 0)), lambda: Population(patience=Dist("uniform", 2, 1)),
    lambda: Policy(arms=["a", "a"]), lambda: Policy(arms=[1]), lambda: Policy(menu={"mail_rate": [1.0] * 200}),
    lambda: Policy(menu={"mail_rate": list(range(1, 100)), "support_fee": list(range(100)),
                         "nuisance_fee": [1, 2]}),
    lambda: Policy(menu={"mail_rate": [1, 10**400]}), lambda: Policy(menu=None), lambda: Dist(kind=None),
    lambda: build(Market, {"network": None}), lambda: build(Strategy, {"mail_rate": None}),
    lambda: RelationshipModel(days=10**400), lambda: RelationshipModel(rng=10**5000),
    lambda: RelationshipModel(names=[1, 2]), lambda: RelationshipModel(names="ab"),
    lambda: RelationshipModel(days=3, consumers=40, rng=1).run().step(),
    lambda: RelationshipModel(days=3, consumers=40, rng=1).set_strategy(0, mail_rate=None),
    lambda: Segment(share=10**400), lambda: Segment(levers={"price": 1.0}), lambda: Segment(levers=None),
    lambda: Segment(tenure_from=5, tenure_to=5), lambda: RelationshipModel(segments=[Segment()]),
    lambda: RelationshipModel(days=3, consumers=40, rng=1, segments={0: [{"share": None}]}),
    lambda: RelationshipModel(days=3, consumers=40, rng=1).set_segments(7, []),
    lambda: Policy(rule="test_and_learn", objective="equity"), lambda: Policy(rule="test_and_learn", alpha=0),
    lambda: Policy(rule="test_and_learn", menu={"price": [20, 30]}),
    lambda: RelationshipModel(days=3, consumers=40, rng=1, engine="agents", accounts=True),
]


@pytest.mark.parametrize("call", API, ids=range(len(API)))
def test_the_api_refuses_in_one_line(call) -> None:
    with pytest.raises(ConfigError) as err:
        call()
    assert str(err.value) and "\n" not in str(err.value)


def test_legal_edges_run_with_finite_outputs() -> None:
    """Values the checks allow, however extreme, run: a trait sd so small its parameters would overflow, a network
    degree above the consumers (with a warning)."""
    import numpy as np

    population = Population(fit=Dist("beta", 0.75, 1e-200), churn_propensity=Dist("gamma", 1.0, 5e-324),
                            patience=Dist("lognormal", 1e-300, 1.0))
    with pytest.warns(UserWarning, match="network.degree=500"):
        market = Market(consumers=60, population=population, network=Network(degree=500))
    table = RelationshipModel(market=market, days=5, rng=1, consumer_agents=False).run().recorder.runs()
    assert np.isfinite(table[["customers", "revenue", "cost", "profit"]].to_numpy(dtype=float)).all()


# ----------------------------------------------------------------------------- the real command, end to end

def test_end_to_end_a_design_cannot_set_the_path_of_a_job(tmp_path: Path) -> None:
    """A design's levels once set PATH in every job, and relsim's own call to git ran a planted program."""
    planted = tmp_path / "bin"
    planted.mkdir()
    marker = tmp_path / "ran"
    (planted / "git").write_text(f"#!/bin/sh\n/usr/bin/touch {marker}\n")
    (planted / "git").chmod(0o755)
    done = relsim_command(*DESIGN, *SMALL, f"+hydra.sweeper.levels={{+hydra.job.env_set.PATH:[{planted},{planted}]}}",
                          cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "env_set" in done.stderr, done.stderr
    assert not marker.exists() and not (tmp_path / "multirun").exists()


def test_end_to_end_a_full_disk_is_one_line_and_leaves_no_folder(tmp_path: Path) -> None:
    """A file-size limit fails writes as a full disk does."""
    limited = (f"import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
               f"resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000)); "
               f"os.execv(sys.argv[1], sys.argv[1:])")
    script = str(Path(sys.executable).with_name("relsim"))
    import subprocess

    done = subprocess.run([sys.executable, "-c", limited, script, *SMALL, "hydra.run.dir=out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    errors = [line for line in done.stderr.splitlines() if ": warning: " not in line and line.strip()]
    assert done.returncode == 2 and len(errors) == 1 and "cannot write" in errors[0], done.stderr[-2000:]
    assert not (tmp_path / "out").exists()
