"""The posterior's best-supported point (experiments/inference/point.py): margins in standard errors, facts read
from them, and bad input as one line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from relsim.experiments.inference import point
from relsim.experiments.inference.patterns import Pattern

TWO = {"inside": Pattern("inside", 1, 0.0, 1.0, 0.1, "", ""), "open": Pattern("open", 1, 0.0, math.inf, 0.1, "", ""),
       "other": Pattern("other", 2, 0.0, 1.0, 0.1, "", "")}


def test_a_margin_counts_standard_errors_to_the_nearer_end_of_the_interval() -> None:
    draws = [{"inside": 0.2 + d, "open": -0.5 + d, "other": 0.5} for d in (-0.1, 0.1)]  # sd 0.1414, se 0.1
    table = point.margins(draws, TWO)
    assert table["inside"]["mean"] == pytest.approx(0.2) and table["inside"]["se"] == pytest.approx(0.1)
    assert table["inside"]["margin"] == pytest.approx(2.0)  # 0.2 above the lower end, 0.8 below the upper
    assert table["open"]["margin"] == pytest.approx(-5.0)  # outside: negative
    assert table["other"]["margin"] == math.inf  # every seed alike, inside


def test_a_fact_is_as_strong_as_its_weakest_pattern() -> None:
    draws = [{"inside": 0.5 + d, "open": 0.9 + d, "other": 1.5 + d} for d in (-0.1, 0.1)]
    facts = point.fact_margins(point.margins(draws, TWO))
    assert facts[1]["pattern"] == "inside" and facts[1]["reading"] == "held"  # 5 SE against open's 9
    assert facts[2]["reading"] == "missed" and facts[2]["margin"] == pytest.approx(-5.0)
    facts = point.fact_margins(point.margins([{"inside": 0.5}, {"inside": 0.5}], TWO))  # the others never measured
    assert facts[1]["reading"] == "missed" and facts[2]["margin"] == -math.inf


@pytest.mark.parametrize(("args", "names"), [
    (["--candidates", "0"], "--candidates=0"), (["--seeds", "1"], "--seeds=1"), (["--market", "nope"], "--market"),
    (["--posterior", "nowhere.csv"], "--posterior"), (["--seeds", "x"], "--seeds"),
])
def test_bad_input_is_one_line_and_nothing_written(args, names, tmp_path: Path, capsys) -> None:
    post = tmp_path / "posterior.csv"
    post.write_text("behaviour.base_churn,weight\n0.1,1\n")
    argv = ["--posterior", str(post), "--out", str(tmp_path / "out"), *args]
    with pytest.raises(SystemExit) as done:
        point.main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and names in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_posterior_file_outside_its_ranges_is_refused(tmp_path: Path, capsys) -> None:
    post = tmp_path / "posterior.csv"
    post.write_text("behaviour.base_churn,weight\n99,1\n")
    with pytest.raises(SystemExit):
        point.main(["--posterior", str(post), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert "behaviour.base_churn must lie in" in err and not (tmp_path / "out").exists()


def test_the_preset_holds_the_chosen_point_and_a_copy_of_its_posterior(tmp_path: Path) -> None:
    from relsim.experiments.inference.preset import PRESET_MARK

    post = tmp_path / "posterior.csv"
    post.write_text("behaviour.base_churn,behaviour.trust_sensitivity,weight\n0.1,0.5,1\n0.2,2,1\n")
    report = {"values": {"behaviour.base_churn": 0.2, "behaviour.trust_sensitivity": 2.0}, "row": 1, "candidates": 2,
              "market": "monopoly"}
    point.write_preset(tmp_path / "mine.yaml", report, post, tmp_path / "npe")
    text = (tmp_path / "mine.yaml").read_text()
    assert text.startswith(PRESET_MARK) and "row 1" in text and "point.json" in text
    assert "  base_churn: 0.2\n" in text and "  trust_sensitivity: 2\n" in text and "  - default\n" in text
    assert (tmp_path / "mine.posterior.csv").read_text() == post.read_text()


def test_the_cohort_check_holds_a_curve_the_model_itself_predicts(tmp_path: Path) -> None:
    """A cohort curve equal to the predictive median is inside the band at every period and off by nothing; one far
    below is outside it (the check can fail)."""
    import numpy as np

    from relsim.analysis.calibration import Curve
    from relsim.experiments.inference.cohorts import cohort_check

    draws = [{"behaviour.base_churn": 0.1}, {"behaviour.base_churn": 0.3}, {"behaviour.base_churn": 0.6}]
    kw = {"period_days": 60, "fit_periods": 2, "consumers": 200}
    first = cohort_check(Curve(np.array([1.0, 0.9, 0.8, 0.7, 0.6]), None, "made"), draws, **kw)
    own = cohort_check(Curve(np.array(first["median"]), None, "own"), draws, **kw)
    assert own["covered"] == own["periods"] == 4 and own["rmse"]["posterior_all"] == pytest.approx(0.0)
    low = cohort_check(Curve(np.array([1.0, 0.05, 0.04, 0.03, 0.02]), None, "low"), draws, **kw)
    assert low["covered"] == 0 and low["rmse"]["posterior_all"] > 0.3
    assert len(low["sbg"]) == 5 and low["rmse"]["sbg_hold_out"] < low["rmse"]["posterior_hold_out"]


@pytest.mark.parametrize(("args", "names"), [
    (["--draws", "1"], "--draws=1"), (["--curves", "nowhere.csv"], "nowhere.csv"), (["--period-days", "0"], "--period"),
])
def test_the_cohort_check_refuses_bad_input_in_one_line(args, names, tmp_path: Path, capsys) -> None:
    from relsim.experiments.inference import cohorts

    post = tmp_path / "posterior.csv"
    post.write_text("behaviour.base_churn,weight\n0.1,1\n")
    curve = tmp_path / "c.csv"
    curve.write_text("period,surviving\n0,1000\n1,800\n2,700\n3,650\n")
    argv = ["--posterior", str(post), "--curves", str(curve), "--out", str(tmp_path / "out"), *args]
    with pytest.raises(SystemExit) as done:
        cohorts.main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and names in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
