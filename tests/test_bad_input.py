"""Nothing lost, nothing run: bad input of every kind is one line, config files cannot act, sweeps cannot mix.

The fuzz test draws bad overrides from a fixed seed (so a failure reproduces) and checks the one-line
rule for each in process; the end-to-end tests run the real `relsim` command.
"""

from __future__ import annotations

import dataclasses
import math
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import relsim_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relsim import Behaviour, ConfigError, Market, RelationshipModel, Strategy
from relsim.experiments.plumbing import config
from relsim.experiments.plumbing.checks import check_command_line
from relsim.params import Channel, Dist, Population, Shock

SMALL = ["seeds=1", "days=20", "market.consumers=100", "progress=false"]


def _one_line(args: list[str]) -> str:
    with pytest.raises(ConfigError) as err:
        check_command_line(args)
    message = str(err.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


# ----------------------------------------------------------------------------- the listed cases
LISTED = [
    "market.consumers=nan", "strategies.one_way.phone_rate=inf", "strategies.one_way.support_free_days=1e400",
    "days=${now:}", "days=${nope}", "market.consumers=${market.consumers}", "seeds=99999999999999999999",
    "seeds=1000000000000000", "seeds=[18446744073709551616]", "strategies.one_way.mail_rate.x=1",
    "k" * 5000 + "=1", "scenario=" + "s" * 300, "hydra.run.dir=/proc/nope", "hydra.run.dir=/dev/null",
    "+foo=1", "++foo=1", "+seed=3", "+_target_=os.system", "hydra.launcher._target_=os.system",
    "~market.consumers", "market=[default]", "output_dir=", "seeds=[9223372036854775808]", "--foo", "-x",
    "--cfg=nope", "--config-name=nope", "--config-dir=/nonexistent", "market=../../../../tmp/x/m",
    "scenario=../../etc/passwd", "hydra.callbacks.x._target_=os.system", "hydra.job.env_set.LD_PRELOAD=x",
    "hydra.launcher.setup=[rm]", "hydra.searchpath=[file:///tmp]", "hydra.job.chdir=true",
]


@pytest.mark.parametrize("arg", LISTED, ids=range(len(LISTED)))
def test_each_listed_bad_input_is_one_line(arg: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _one_line([arg])
    assert not any(tmp_path.iterdir())  # no output of any kind


# ----------------------------------------------------------------------------- fuzz: >= 300 bad overrides
KEYS = ["days", "seeds", "workers", "engine", "arms", "market.consumers", "market.discount_rate",
        "market.network.degree", "market.network.generator", "market.population.fit.sd", "market.shock.day",
        "market.behaviour.negativity_bias", "strategies.one_way.mail_rate", "strategies.reciprocal.phone_rate",
        "market.channels.email.response", "market.channels.phone.load",
        "strategies.middle.listening", "strategies.hybrid.support_free_days", "market.rivals"]
BAD_VALUES = ["nan", "inf", "-inf", "1e400", "-1", "-0.5", "abc", "''", "[]", "[1,2]", "{a: 1}", "true", "null",
              "1e13", "99999999999999999999", "${now:}", "${x}", "0x10", "1.5.2", "[ghost]"]


def _bad_overrides(n: int, seed: int = 15) -> list[list[str]]:
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        kind = rng.random()
        if kind < 0.6:
            key, value = rng.choice(KEYS), rng.choice(BAD_VALUES)
            if key in ("engine", "market.network.generator") and value in ("''",):
                continue
            cases.append([f"{key}={value}"])
        elif kind < 0.75:  # unknown keys and groups, some with + or ~
            word = "".join(rng.choice("abcxyz_") for _ in range(rng.randint(1, 12)))
            cases.append([rng.choice(["", "+", "++", "~"]) + rng.choice(["", "market.", "strategies.one_way."]) + word
                          + "=1"])
        elif kind < 0.9:  # option names that are paths or not names
            group = rng.choice(["market", "scenario", "hydra/launcher", "strategy@strategies.x"])
            cases.append([f"{group}=" + rng.choice(["../x", "/etc/passwd", "a/b", "..", "x y", "nope", "[a,b]"])])
        else:  # flags
            cases.append([rng.choice(["--nope", "-z", "--cfg=bad", "--info=bad", "-cn=x", "--run=1"])])
    return cases


def test_fuzzed_bad_overrides_are_each_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    cases = _bad_overrides(320)
    clean = 0
    for args in cases:
        try:
            check_command_line([*SMALL, *args])  # the bad value last: it wins
        except ConfigError as exc:
            clean += "\n" not in str(exc) and bool(str(exc))
    assert clean == len(cases) >= 300
    assert not any(tmp_path.iterdir())


# ----------------------------------------------------------------------------- config files that act
def _configs_with(tmp_path: Path, monkeypatch, name: str, text: str) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(config.CONFIG_DIR, configs, ignore=shutil.ignore_patterns("__pycache__"))
    (configs / "scenario" / f"{name}.yaml").write_text(text)
    monkeypatch.setattr(config, "CONFIG_DIR", configs)
    monkeypatch.setattr("relsim.experiments.plumbing.checks.CONFIG_DIR", configs)


@pytest.mark.parametrize("body", [
    "hydra:\n  callbacks:\n    evil:\n      _target_: pathlib.Path.write_text\n",
    "hydra:\n  job_logging:\n    handlers:\n      file:\n        filename: /tmp/elsewhere.log\n",
    "hydra:\n  job_logging:\n    handlers:\n      x:\n        (): os.system\n",
    "hydra:\n  job:\n    env_set:\n      PYTHONPATH: /tmp\n",
    "hydra:\n  searchpath: [file:///tmp]\n",
    "hydra:\n  launcher:\n    setup: [rm -rf /]\n",
    "evil:\n  _target_: builtins.open\n",
])
def test_a_group_file_that_tries_to_act_is_refused(body: str, tmp_path, monkeypatch) -> None:
    _configs_with(tmp_path, monkeypatch, "evil", "# @package _global_\n" + body)
    monkeypatch.chdir(tmp_path)
    _one_line(["scenario=evil", *SMALL])


def test_scenario_text_is_escaped_in_every_page(tmp_path: Path) -> None:
    payload = "<img src=x onerror=alert(1)>"
    out = tmp_path / "run"
    done = relsim_command("scenario=support_fee_90d", f"scenario.support_fee_90d.description='{payload}'",
                          "arms=[one_way]", *SMALL, f"hydra.run.dir={out}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    pages = list(out.glob("*.html"))
    assert pages
    for page in pages:
        assert payload not in page.read_text()


# ----------------------------------------------------------------------------- sweeps and directories
def test_a_sweep_directory_belongs_to_one_sweep(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    first = relsim_command("-m", "strategies.one_way.mail_rate=12,40", "arms=[one_way]", *SMALL,
                           f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    other = relsim_command("-m", "strategies.one_way.listening=0.1,0.9", "arms=[one_way]", *SMALL,
                           f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert other.returncode == 2 and other.stderr.strip().count("\n") == 0
    assert "holds another sweep" in other.stderr
    again = relsim_command("-m", "strategies.one_way.mail_rate=12,40", "arms=[one_way]", *SMALL,
                           f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.count("already complete") == 2
    assert pd.read_parquet(sweep / "jobs.parquet")["job"].nunique() == 2


def test_a_sweep_checks_every_combination_before_any_job(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    done = relsim_command("-m", "market.population.fit.mean=0.5,0.95", "market.population.fit.sd=0.1,0.3",
                          *SMALL, f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert done.returncode == 2 and "market.population.fit.sd=0.3" in done.stderr
    assert not sweep.exists()


def test_two_runs_started_together_never_share_a_directory(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).with_name("relsim")
    runs = [subprocess.Popen([str(script), "arms=[one_way]", *SMALL], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()
    made = list((tmp_path / "outputs").glob("*/*"))
    assert len(made) == 2 and all((d / "manifest.json").is_file() for d in made)


# ----------------------------------------------------------------------------- the Python API
@pytest.mark.parametrize(("build", "message"), [
    (lambda: Strategy(phone_rate=400), "phone_rate=400: expected a number in [0, 365]"),
    (lambda: Strategy(mail_rate=10**400), "mail_rate=10000000000000000000...(401 characters): expected a number"),
    (lambda: Strategy(email_rate=math.inf), "email_rate=inf: expected a number in [0, 365]"),
    (lambda: Channel(intrusiveness=10), "intrusiveness=10: expected a number in [0, 1]"),
    (lambda: Channel(cost=math.nan), "cost=nan: expected a number >= 0"),
    (lambda: Channel(load=10**30), "load=1000000000000000000000000000000: expected a number in [0, 100]"),
    (lambda: Market(channels=5), "channels=5: expected a mapping of Channels fields"),
    (lambda: Behaviour(stress_relief=-1), "stress_relief=-1: expected a number in [0, 1]"),
    (lambda: Behaviour(intimacy_gain=5), "intimacy_gain=5: expected a number in [0, 1]"),
    (lambda: Strategy(price=math.nan), "price=nan: expected a number >= 0.01"),
    (lambda: Market(discount_rate=-1.5), "discount_rate=-1.5: expected a number in [0, 10]"),
    (lambda: Population(fit=Dist("beta", 0.75, 0.9)), "fit.sd=0.9: a beta trait with mean 0.75 needs sd <"),
    (lambda: Market(shock=Shock(day=0)), "shock.day=0: expected a day >= 1"),
    (lambda: RelationshipModel(market=Market(rivals=["nope"])), "market.rivals=['nope']: by name the model"),
    (lambda: RelationshipModel(days=-5), "days=-5: expected an integer in [1, 36500]"),
    (lambda: RelationshipModel(days=2.5), "days=2.5: expected an integer in [1, 36500]"),
    (lambda: RelationshipModel(rng=2**64), "rng=18446744073709551616: expected an integer seed"),
])
def test_the_python_api_refuses_what_the_command_line_refuses(build, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build()
    assert str(err.value).startswith(message)


def test_the_command_line_and_the_api_give_the_same_message() -> None:
    cli = _one_line(["strategies.one_way.phone_rate=400"])
    with pytest.raises(ConfigError) as api:
        Strategy(phone_rate=400)
    assert cli == f"strategies.one_way.{api.value}"
    cli = _one_line(["market.channels.phone.intrusiveness=10"])
    with pytest.raises(ConfigError) as api:
        Channel(intrusiveness=10)
    assert cli == f"market.channels.phone.{api.value}"


# ----------------------------------------------------------------------------- both engines run every valid config
_STRATEGY = st.fixed_dictionaries({
    "price": st.floats(0.01, 1e6), "mail_rate": st.floats(0, 365), "phone_rate": st.floats(0, 365),
    "inbound_capacity": st.floats(0, 1000), "nuisance_fee": st.floats(0, 1e4), "support_fee": st.floats(0, 1e4),
})
_BEHAVIOUR = st.fixed_dictionaries({
    "trust_sensitivity": st.floats(0, 1e4), "advocacy_sensitivity": st.floats(0, 1e4),
    "price_weight": st.floats(0, 1e4), "fee_deterrence": st.floats(0, 1e4),
})


@pytest.mark.slow
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(strategy=_STRATEGY, behaviour=_BEHAVIOUR, reference_price=st.floats(0.01, 1e4))
def test_the_reference_engine_runs_every_valid_config(strategy, behaviour, reference_price) -> None:
    market = dataclasses.replace(Market(), reference_price=reference_price, consumers=40,
                                 behaviour=Behaviour(**behaviour))
    for engine in ("agents", "vectorized"):
        model = RelationshipModel(Strategy(**strategy), market, days=4, rng=1, engine=engine,
                                  consumer_agents=False).run()
        assert len(model.recorder.runs()) == 8



# ----------------------------------------------------------------------------- every route into a run
#: What no route may do: (name, key, a value, the value's text in a design's levels)
FORBIDDEN = [
    ("an environment variable", "hydra.job.env_set.PATH", "/tmp/planted", "[/tmp/a,/tmp/b]"),
    ("a working directory", "hydra.job.chdir", True, "[true,false]"),
    ("a log file elsewhere", "hydra.job_logging.handlers.file.filename", "/tmp/elsewhere.log", "[/tmp/a,/tmp/b]"),
    ("a job folder elsewhere", "hydra.sweep.subdir", "/tmp/elsewhere", "[/tmp/a,/tmp/b]"),
    ("a value out of range", "strategies.one_way.contact_rate", 500, "[500,600]"),
    ("a resolver", "currency", "${oc.env:HOME}", None),
    ("null for the defaults", "market.network", None, None),
    ("an object to build", "hydra.callbacks.evil._target_", "os.system", "[os.system,os.getcwd]"),
]
DESIGN = ["-m", "hydra/sweeper=design", "hydra/launcher=basic", "hydra.sweeper.method=lhs", "hydra.sweeper.samples=2"]
#: What a refusal of each says (one of these words): the thing refused, not another.
SAYS = {"an environment variable": ("env_set", "environment"), "a working directory": ("chdir", "working directory"),
        "a log file elsewhere": ("filename", "log"), "a job folder elsewhere": ("subdir",),
        "a value out of range": ("contact_rate",), "a resolver": ("interpolation", "resolver", "currency"),
        "null for the defaults": ("network",), "an object to build": ("_target_", "callback")}


def _yaml_of(key: str, value) -> str:
    from omegaconf import OmegaConf

    node: dict = {}
    parts = key.split(".")
    cursor = node
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = value
    return "# @package _global_\n" + OmegaConf.to_yaml(node)


REAL_CONFIGS = config.CONFIG_DIR


def _plant(tmp_path: Path, monkeypatch, text: str) -> None:
    """A colleague's experiment file `shared` in a copy of relsim's configs."""
    configs = tmp_path / "configs"
    if not configs.exists():
        shutil.copytree(REAL_CONFIGS, configs, ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.setattr(config, "CONFIG_DIR", configs)
        monkeypatch.setattr("relsim.experiments.plumbing.checks.CONFIG_DIR", configs)
    (configs / "experiment" / "shared.yaml").write_text(text)


def _route(route: str, key: str, value, levels: str | None, tmp_path: Path, monkeypatch) -> list[str] | None:
    """The command line that sets `key` to `value` by `route` (None if the route cannot say it)."""
    text = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    plus = "+" if key.startswith(("hydra.job.env_set", "hydra.callbacks.evil", "hydra.job_logging")) else ""
    if route == "command line":
        return [*SMALL, f"{plus}{key}={text}"]
    if route == "print mode (--cfg job --resolve)":
        return ["--cfg", "job", "--resolve", f"{plus}{key}={text}"]
    if route == "print mode (--info)":
        return ["--info", f"{plus}{key}={text}"]
    if route == "experiment file":
        _plant(tmp_path, monkeypatch, _yaml_of(key, value))
        return [*SMALL, "+experiment=shared"]
    if route == "sweeper params (an experiment file)":
        if value is None or key.startswith("hydra"):
            params = {key: f"{text},{text}x"}
        else:
            params = {key: f"{text},{text}"}
        _plant(tmp_path, monkeypatch, "# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"
               + "".join(f"      {k}: '{v}'\n" for k, v in params.items()))
        return [*SMALL, "+experiment=shared"]
    if route == "design levels":
        return None if levels is None else [*DESIGN, *SMALL, f"+hydra.sweeper.levels={{{plus}{key}:{levels}}}"]
    if route == "design bounds":
        return [*DESIGN, *SMALL, f"+hydra.sweeper.bounds={{{plus}{key}:[400,500]}}"]
    if route == "design integers":
        return [*DESIGN, *SMALL, "+hydra.sweeper.bounds={strategies.one_way.listening:[0,1]}",
                f"+hydra.sweeper.integers=[{plus}{key}]"]
    raise AssertionError(route)


ROUTES = ["command line", "print mode (--cfg job --resolve)", "print mode (--info)", "experiment file",
          "sweeper params (an experiment file)", "design levels", "design bounds", "design integers"]


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_refuses_what_the_command_line_refuses(route: str, tmp_path, monkeypatch) -> None:
    """The routes into a run (issue 29): whatever the command line refuses, every other route refuses too, in one
    line, before anything is written."""
    monkeypatch.chdir(tmp_path)
    for name, key, value, levels in FORBIDDEN:
        args = _route(route, key, value, levels, tmp_path, monkeypatch)
        if args is None:
            continue
        with pytest.raises(ConfigError) as err:
            check_command_line(args)
        message = str(err.value)
        assert "\n" not in message and any(word in message for word in SAYS[name]), (route, name, message)
    assert not [p for p in tmp_path.iterdir() if p.name != "configs"]


def test_the_other_commands_pass_their_settings_through_the_gate(tmp_path, monkeypatch) -> None:
    """relsim-calibrate's market overrides and relsim-audit's overrides meet the same checks."""
    from relsim.experiments.commands.audit_mechanisms import check as audit_check
    from relsim.experiments.inference.least_squares import check_overrides

    monkeypatch.chdir(tmp_path)
    for bad in ("market.network=null", "market.consumers=${oc.env:HOME}", "market.consumers=1,2", "market.bogus=1"):
        with pytest.raises(ConfigError):
            check_overrides([bad]) if "null" not in bad and "bogus" not in bad else config.load([bad])
    for bad in ("seeds=0", "+hydra.job.env_set.PATH=/tmp", "hydra.run.dir=/tmp/x", "-m"):
        with pytest.raises(ConfigError):
            audit_check(tmp_path / "a", "", [bad])
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("kind", ["runs", "sweeps"])
def test_two_different_runs_or_sweeps_into_one_folder_at_once_never_mix(kind: str, tmp_path: Path) -> None:
    """Started at the same instant into one folder, one gets it and the other is refused in one line (the wider
    check, 20 tries of each: experiments/bench/concurrency.py)."""
    import sys

    from relsim.experiments.bench.concurrency import try_runs, try_sweeps

    relsim = str(Path(sys.executable).with_name("relsim"))
    for attempt in range(2):
        work = tmp_path / f"try{attempt}"
        work.mkdir()
        outcome, note = (try_runs if kind == "runs" else try_sweeps)(work, relsim)
        assert outcome == "one ran, one refused", note
