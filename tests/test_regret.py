"""relsim-regret (experiments/commands/regret.py, experiments/optimize/regret.py): a learner's frozen final levers
and the fixed strategies are played on the learner's own seeds, regret is best - learner, regret.csv is written,
and bad input gets one line."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from relsim.experiments.commands import regret as command


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A tiny test-and-learn sweep of two jobs whose learner never adopts a change (alpha tiny)."""
    out = tmp_path_factory.mktemp("regret")
    overrides = ["+experiment=test_and_learn", "arms=[learner]", "seeds=2", "days=90", "market.consumers=400",
                 "firm_policy.period_days=30", "firm_policy.objective=profit", "firm_policy.holdout=0.0",
                 "firm_policy.alpha=0.000001,0.5", f"hydra.sweep.dir={out}", "progress=false"]
    result = subprocess.run([sys.executable, "-m", "relsim.experiments.commands.compare", *overrides],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def test_a_learner_that_never_adopts_is_frozen_at_its_starting_levers(sweep, capsys) -> None:
    assert command.main([str(sweep), "--presets", "middle,reciprocal", "--workers", "1"]) == 0
    table = pd.read_csv(sweep / "regret.csv")
    assert set(table.columns) >= {"job", "seed", "metric", "learner", "frozen", "middle", "reciprocal"}
    assert len(table) == 2 * 2 * 2  # jobs x seeds x metrics
    never = table[table["job"] == "job=0"]  # alpha 1e-6: no change is adopted, so its final levers are middle's
    pd.testing.assert_series_equal(never["frozen"], never["middle"], check_names=False)
    assert not never["learner"].equals(never["middle"])  # while it tested, half its customers had other levers
    assert "job=0 npv: learner" in capsys.readouterr().out


def test_regret_is_the_best_less_the_learner(sweep, tmp_path) -> None:
    best = tmp_path / "best.json"
    best.write_text('{"best": [{"levers": {"mail_rate": 2.0, "support_fee": 10.0}}]}')
    from relsim.experiments.optimize.regret import regret

    table = regret(sweep, best, (), workers=1)
    assert (table["regret"] == table["best"] - table["learner"]).all()
    assert (table["frozen_gap"] == table["best"] - table["frozen"]).all()


@pytest.mark.parametrize("args, message", [
    (["/no/such/sweep"], "SWEEP_DIR=/no/such/sweep: not a directory"),
    (["{sweep}", "--presets", "nobody"], "--presets: 'nobody' is not a strategy"),
    (["{sweep}", "--best", "/no/best.json"], "--best=/no/best.json: not a file"),
    (["{sweep}", "--workers", "-1"], "--workers=-1"),
    (["{sweep}", "--pres", "x"], "unrecognized arguments"),
])
def test_bad_input_gets_one_line(sweep, args, message, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        command.main([a.format(sweep=sweep) for a in args])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_a_sweep_without_learners_is_refused(tmp_path) -> None:
    from relsim.experiments.optimize.regret import regret
    from relsim.params import ConfigError

    result = subprocess.run([sys.executable, "-m", "relsim.experiments.commands.compare", "arms=[middle]", "seeds=1",
                             "days=10", "market.consumers=100", f"hydra.run.dir='{tmp_path / 'job=0'}'",
                             "progress=false"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    with pytest.raises(ConfigError, match="no arm whose focal firm learns"):
        regret(tmp_path, None)
