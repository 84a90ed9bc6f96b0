"""Best responses (relsim-optimize; experiments/optimize/, analysis/optimize.py).

- The optimiser recovers a known optimum: one lever whose best value a grid finds, on the same seeds.
- A study is a function of its settings and seed: the same trials with one worker or two, and a study
  interrupted mid-batch and resumed ends exactly as one that ran straight through.
- The classes bound the idea's levers (one-way at most the middle firm's access and hearing, reciprocal
  at least), every other lever over the same range; at a budget every proposed split adds up to 1 and
  respects the class.
- The command writes best.json (the best re-run on fresh seeds), trials.csv, report.html and a strategy
  preset that builds; bad input gets one line, exit code 2 and no output.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from relsim.experiments.commands import optimize as command
from relsim.experiments.optimize import evaluate as evaluation
from relsim.experiments.optimize import preset as preset_module
from relsim.experiments.optimize.best_response import strategy_of
from relsim.experiments.optimize.evaluate import evaluate, parse_objective
from relsim.experiments.optimize.space import IDEA, SEARCH, make_space, shares
from relsim.experiments.optimize.study import Settings, completed, optimise
from relsim.experiments.plumbing.config import load
from relsim.params import Channels, ConfigError, Strategy, build

SMALL = ["seeds=2", "days=365", "market.consumers=400", "market=monopoly"]


def _spec():
    return load(SMALL)


def _trials(study) -> list[tuple[dict, tuple]]:
    return [(t.params, tuple(t.values)) for t in completed(study)]


def test_recovers_the_best_value_of_one_lever_that_a_grid_finds(tmp_path: Path) -> None:
    spec = _spec()
    objective = (parse_objective("npv", spec.days),)
    grid = np.arange(0.0, 20.5, 1.0)
    base = spec.strategies["middle"]
    on_grid = evaluate(spec, [dataclasses.replace(base, inbound_capacity=float(x)) for x in grid], objective,
                       workers=1).mean(axis=1)[:, 0]
    assert 0 < grid[on_grid.argmax()] < 20, "the grid's optimum is inside the range (else the test says little)"
    space = make_space("any", base, levers=("inbound_capacity",))
    study = optimise(spec, Settings(space, objective, seed=3), 24, storage=f"sqlite:///{tmp_path / 's.db'}",
                     workers=1)
    best = max(completed(study), key=lambda t: t.values[0])
    assert best.values[0] >= on_grid.max() - 0.002 * abs(on_grid.max())
    assert abs(best.params["inbound_capacity"] - grid[on_grid.argmax()]) <= 1.5


def test_a_study_is_the_same_with_one_worker_or_two(tmp_path: Path) -> None:
    spec = _spec()
    settings = Settings(make_space("one_way", spec.strategies["middle"]), (parse_objective("npv", 365),), seed=1)
    one = optimise(spec, settings, 8, storage=f"sqlite:///{tmp_path / 'a.db'}", workers=1)
    two = optimise(spec, settings, 8, storage=f"sqlite:///{tmp_path / 'b.db'}", workers=2)
    assert _trials(one) == _trials(two)
    assert len(_trials(one)) == 8
    other = optimise(spec, dataclasses.replace(settings, seed=2), 4, storage=f"sqlite:///{tmp_path / 'c.db'}",
                     workers=1)
    assert _trials(other)[0][0] != _trials(one)[0][0], "another seed proposes other levers"


class Interrupted(Exception):
    """Stands for the process being killed mid-batch."""


def test_an_interrupted_study_resumes_to_the_same_trials(tmp_path: Path, monkeypatch) -> None:
    spec = _spec()
    settings = Settings(make_space("reciprocal", spec.strategies["middle"]), (parse_objective("npv", 365),),
                        seed=5, batch=3)
    straight = optimise(spec, settings, 9, storage=f"sqlite:///{tmp_path / 'straight.db'}", workers=1)
    calls = {"n": 0}
    real = evaluation.evaluate

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch is proposed, then the process is killed
            raise Interrupted
        return real(*args, **kwargs)

    import relsim.experiments.optimize.study as study_module

    monkeypatch.setattr(study_module, "evaluate", interrupted)
    storage = f"sqlite:///{tmp_path / 'resumed.db'}"
    with pytest.raises(Interrupted):
        optimise(spec, settings, 9, storage=storage, workers=1)
    monkeypatch.setattr(study_module, "evaluate", real)
    resumed = optimise(spec, settings, 9, storage=storage, workers=1)
    assert _trials(resumed) == _trials(straight)


def test_classes_bound_the_idea_and_nothing_else() -> None:
    middle = Strategy()
    one_way, reciprocal = make_space("one_way", middle), make_space("reciprocal", middle)
    for name in SEARCH:
        lo, hi = SEARCH[name].lo, SEARCH[name].hi
        ow, rc = one_way.ranges.get(name), reciprocal.ranges.get(name)
        if name in IDEA:
            mid = getattr(middle, name)
            assert ow is None or (ow[0] == lo and ow[1] == mid)
            assert rc[0] == mid and rc[1] == hi
            if ow is None:  # the middle firm's value is the range's floor: a one-way firm keeps it
                assert getattr(one_way.base, name) == lo == mid
        else:
            assert ow[:2] == rc[:2] == (lo, hi)


@pytest.mark.parametrize("kind", ["one_way", "reciprocal", "any"])
def test_budget_splits_add_up_and_keep_to_the_class(kind: str) -> None:
    middle = Strategy()
    space = make_space(kind, middle, budget_per_year=20.0)
    assert not set(space.ranges) & {"inbound_capacity", "listening", "public_listening"}
    assert {"mail_rate", "email_rate", "phone_rate"} <= set(space.ranges)  # the mix the outbound money buys
    mid = shares(middle, Channels())
    for u in np.linspace(0, 1, 7):
        for v in np.linspace(0, 1, 7):
            s = space.split(u, v)
            assert s["outbound_share"] + s["access_share"] + s["listening_share"] == pytest.approx(1.0)
            assert min(s["outbound_share"], s["access_share"], s["listening_share"]) >= 0
            if kind == "one_way":
                assert s["access_share"] <= mid["access_share"] + 1e-12
                assert s["listening_share"] <= mid["listening_share"] + 1e-12
            if kind == "reciprocal":
                assert s["access_share"] >= mid["access_share"] - 1e-12
                assert s["listening_share"] >= mid["listening_share"] - 1e-12
            Strategy(**{**dataclasses.asdict(middle), **s})  # a valid strategy


def test_objectives_parse_and_refuse() -> None:
    assert parse_objective("profit@90", 365).window == 90
    assert parse_objective("-npv", 365).minimise
    for bad in ("bogus", "npv@0", "npv@400", "retention_3y", "customer_equity@45", "npv@1e3"):
        with pytest.raises(ConfigError):
            parse_objective(bad, 365)


def test_the_command_writes_the_best_re_run_on_fresh_seeds_and_a_preset(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "configs" / "strategy").mkdir(parents=True)
    monkeypatch.setattr(preset_module, "CONFIG_DIR", tmp_path / "configs")
    out = tmp_path / "study"
    args = ["--class", "one_way", "--trials", "4", "--fresh", "3", "--quiet", "--out", str(out),
            "--write-preset", "best_test", "--workers", "1", *SMALL]
    assert command.main(args) == 0
    best = json.loads((out / "best.json").read_text())
    assert best["trials"] == 4 and best["fresh_seeds"] == [2, 3, 4]
    entry = best["best"][0]
    assert entry["fresh"]["npv"]["n"] == 3 and entry["fresh"]["npv"]["ci_low"] <= entry["fresh"]["npv"]["mean"]
    assert (out / "trials.csv").read_text().count("\n") == 5
    assert "Pareto" not in (out / "report.html").read_text()
    text = (tmp_path / "configs" / "strategy" / "best_test.yaml").read_text()
    assert text.startswith(preset_module.PRESET_MARK)
    fields = {k: v for k, v in yaml.safe_load(text).items() if k != "defaults"}
    strategy = build(Strategy, fields, "best_test")
    for name in IDEA:
        assert getattr(strategy, name) <= getattr(Strategy(), name)
    assert "on 3 fresh seeds" in capsys.readouterr().out
    # the same --out resumes; other settings are refused in one line
    assert command.main([*args[:3], "6", *args[4:]]) == 0
    assert json.loads((out / "best.json").read_text())["trials"] == 6
    with pytest.raises(SystemExit) as exc:
        command.main(["--class", "reciprocal", "--trials", "6", "--quiet", "--out", str(out), *SMALL])
    assert exc.value.code == 2
    assert "other settings (space)" in capsys.readouterr().err


def test_a_preset_holds_exactly_the_strategy_the_study_chose(tmp_path: Path) -> None:
    """A budgeted best response's shares, written and read back, still add up to 1 (six digits did not)."""
    access, listening = 0.568253123456789, 0.164511987654321
    chosen = Strategy(budget=20.0, outbound_share=1.0 - access - listening, access_share=access,
                      listening_share=listening, mail_rate=45.41761234567, support_free_days=258)
    described = {"space": {"kind": "reciprocal", "budget": 20.0}, "objectives": ["npv"], "days": 365,
                 "seeds": [0, 1]}
    text = preset_module.preset_text("best_x", chosen, described, {}, tmp_path / "study")
    fields = {k: v for k, v in yaml.safe_load(text).items() if k != "defaults"}
    assert build(Strategy, fields, "best_x") == chosen


@pytest.mark.parametrize(("args", "message"), [
    (["--objective", "bogus"], "--objective='bogus'"),
    (["--levers", "price"], "--levers: 'price' is not a searchable lever"),
    (["--trials", "0"], "--trials=0"),
    (["--robust", "0.1"], "a robust choice needs posterior draws"),
    (["--objective", "npv", "--objective", "npv"], "each objective may appear once"),
    (["--sampler", "cmaes", "--objective", "npv", "--objective", "profit"], "CMA-ES optimises one objective"),
    (["hydra.run.dir=/tmp/x"], "relsim-optimize sets the focal firm's strategy itself"),
    (["arms=[one_way]"], "relsim-optimize sets the focal firm's strategy itself"),
    (["market.consumers=-3"], "market.consumers=-3"),
    (["--write-preset", "../x"], "--write-preset='../x'"),
    (["--all"], "unrecognized arguments"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, capsys, args, message) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        command.main(["--out", str(out), "--quiet", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()


def test_a_trial_is_the_strategy_it_stands_for() -> None:
    middle = Strategy()
    space = make_space("reciprocal", middle, budget_per_year=20.0)
    s = strategy_of(Settings(space, (parse_objective("npv", 365),)),
                    {"access_u": 0.5, "listening_u": 0.25, "support_fee": 3.0, "responsiveness": 0.5})
    assert s.budget == 20.0 and s.support_fee == 3.0 and s.responsiveness == 0.5
    assert s.access_share == pytest.approx(space.split(0.5, 0.25)["access_share"])
