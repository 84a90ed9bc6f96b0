"""Calibration to an observed retention curve (experiments/inference/, relsim-calibrate, analysis/sbg.py).

- The sBG maximum-likelihood fit recovers alpha and beta from curves it generated (exactly from the
  expected curve; within three standard errors from a sampled cohort), and Fader & Hardie's (2007)
  published estimates from their data.
- The agent-based calibration recovers the parameters of a curve the model itself generated with
  known values (other seeds than the calibration's): base_churn and the heterogeneity within 15% when
  the trust sensitivity is known; with all three fitted, the curve in-sample (RMSE <= 0.01) and out of
  sample (RMSE <= 0.02).
- Bad CSVs, and fit periods or horizons out of range, get one line naming the key, the value and what
  is allowed, exit code 2, and no output.
- projection.csv and calibration.json have the documented columns and keys; a written market preset
  composes as `relsim market=NAME`.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsim.analysis.calibration import Curve, propensity_quantiles, rmse
from relsim.analysis.sbg import fit_sbg, retention_rates, sbg_survival
from relsim.experiments.commands import calibrate as command
from relsim.experiments.inference.least_squares import DEFAULT_PARAMS, fit_abm, make_setup, simulate
from relsim.experiments.inference.preset import PRESET_MARK
from relsim.experiments.inference.space import CHURN_PARAMS, PARAMS
from relsim.experiments.plumbing.config import CONFIG_DIR
from relsim.params import Dist

TRUTH = {"behaviour.base_churn": 1.0, "population.churn_propensity.sd": 1.5, "behaviour.trust_sensitivity": 6.0}
PERIOD, K, H = 30, 8, 12  # monthly periods: fit on months 0-8, hold out 9-12


# --------------------------------------------------------------------------- sBG

@pytest.mark.parametrize(("alpha", "beta"), [(0.7, 1.2), (0.3, 3.0), (2.0, 8.0), (5.0, 1.5)])
def test_sbg_recovers_its_parameters_from_its_own_curve(alpha: float, beta: float) -> None:
    fit = fit_sbg(sbg_survival(alpha, beta, 8))
    assert fit.alpha == pytest.approx(alpha, rel=1e-3)
    assert fit.beta == pytest.approx(beta, rel=1e-3)


def test_sbg_recovers_its_parameters_from_a_sampled_cohort() -> None:
    rng = np.random.default_rng(7)
    alpha, beta, n = 0.7, 2.5, 20_000
    theta = rng.beta(alpha, beta, n)
    lifetimes = rng.geometric(theta)  # the period in which each customer leaves (1, 2, ...)
    surviving = np.array([(lifetimes > t).sum() for t in range(8)], dtype=float)
    fit = fit_sbg(surviving)
    assert abs(fit.alpha - alpha) < 3 * fit.alpha_se
    assert abs(fit.beta - beta) < 3 * fit.beta_se
    assert fit.cohort_size == n


def test_sbg_matches_fader_and_hardie_2007() -> None:
    """Their 'regular' and 'high end' cohorts (Table 1): alpha 0.704, beta 1.182 and 0.668, 3.806."""
    regular = fit_sbg(np.array([1000, 631, 468, 382, 326, 289, 262, 241]))
    high_end = fit_sbg(np.array([1000, 869, 743, 653, 593, 551, 517, 491]))
    assert (round(regular.alpha, 3), round(regular.beta, 3)) == (0.704, 1.182)
    assert (round(high_end.alpha, 3), round(high_end.beta, 3)) == (0.668, 3.806)


def test_sbg_retention_rises_with_tenure() -> None:
    rates = retention_rates(sbg_survival(0.7, 1.2, 10))
    assert np.all(np.diff(rates) > 0)


# --------------------------------------------------------------------------- the agent-based calibration

@pytest.fixture(scope="module")
def model_curve() -> Curve:
    """A curve the model generated with TRUTH: its own trait draws, seeds 90-93 (four, so that seed noise
    in the curve stays well inside the 15% the recovery is held to)."""
    setup = make_setup(consumers=3000, seeds=1, period_days=PERIOD)
    shares = simulate(setup, TRUTH, H, seeds=(90, 91, 92, 93), coupled=False)
    return Curve(shares=shares, cohort_size=None, source="model")


@pytest.mark.slow
def test_abm_calibration_recovers_known_parameters(model_curve: Curve) -> None:
    params = ("behaviour.base_churn", "population.churn_propensity.sd")
    setup = make_setup(consumers=3000, seeds=4, period_days=PERIOD, params=params,
                           overrides=["market.behaviour.trust_sensitivity=6.0"])
    fit = fit_abm(model_curve, setup, K, max_evals=30)
    for key in params:
        assert fit.values[key] == pytest.approx(TRUTH[key], rel=0.15), (key, fit.values)
        lo, hi = fit.ci[key]
        assert lo < TRUTH[key] < hi, (key, fit.ci)


@pytest.mark.slow
def test_abm_calibration_of_all_three_parameters_reproduces_and_projects_the_curve(model_curve: Curve) -> None:
    # Four seeds, as the two-parameter recovery above: since the market's channels (issue 27) the middle firm's
    # contacts keep lowering trust through the fitted months, so on two seeds a corner of the three parameters
    # (trust sensitivity near its bound) fits months 1-8 better than the truth and projects months 9-12 0.037 off.
    setup = make_setup(consumers=3000, seeds=4, period_days=PERIOD)
    fit = fit_abm(model_curve, setup, K, max_evals=50)
    projected = simulate(setup, fit.values, H)
    assert rmse(projected, model_curve.shares, range(1, K + 1)) <= 0.01
    assert rmse(projected, model_curve.shares, range(K + 1, H + 1)) <= 0.02
    assert set(fit.values) == set(DEFAULT_PARAMS) and all(np.isfinite(list(fit.se.values())))
    assert len(fit.profile) == 5


def test_coupled_propensities_have_the_markets_distribution() -> None:
    u = np.random.default_rng(1).random(200_000)
    g = propensity_quantiles(Dist("gamma", 1.0, 1.5), u)
    assert g.mean() == pytest.approx(1.0, abs=0.02) and g.std() == pytest.approx(1.5, abs=0.03)
    g2 = propensity_quantiles(Dist("gamma", 1.0, 1.6), u)
    assert np.corrcoef(g, g2)[0, 1] > 0.99  # a small change of sd moves each consumer a little


# --------------------------------------------------------------------------- bad input

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "period,surviving\n0,1000\n1,631\n2,468\n3,382\n4,326\n"


@pytest.mark.parametrize(("text", "args", "needle"), [
    ("period,value\n0,1\n1,0.8\n2,0.7\n", [], "missing column 'surviving'"),
    ("periods,surviving\n0,1\n1,0.8\n2,0.7\n", [], "missing column 'period'"),
    ("period,surviving\n0,1\n1,0.8\n2,0.85\n3,0.6\n", [], "survival must not rise"),
    ("period,surviving\n0,1\n1,0.8\n2,-0.1\n", [], "expected a share in [0, 1]"),
    ("period,surviving\n0,1.2\n1,0.8\n2,0.6\n", [], "expected shares in [0, 1]"),
    ("period,surviving\n0,1\n1,0.8\n", [], "expected at least 3"),
    ("period,surviving\n0,1\n1,0.8\n3,0.6\n", [], "expected consecutive whole periods"),
    ("period,surviving\n0,1\n1,abc\n2,0.6\n", [], "expected a number"),
    ("period,surviving\n0," + "9" * 400 + "\n1,5\n2,3\n", [], "surviving=99999999999999999999...<400 characters> in "
                                                             "row 2: expected a number"),  # beyond a float
    (GOOD, ["--out", "c" * 300], "a name of 300 bytes; at most 255"),
    (GOOD, ["--fit-periods", "7"], "--fit-periods=7: expected an integer in [3, 4]"),
    (GOOD, ["--fit-periods", "2"], "--fit-periods=2"),
    (GOOD, ["--fit-periods", "3", "--horizon", "2"], "--horizon=2: expected an integer in [3, "),
    (GOOD, ["--period-days", "0"], "--period-days=0"),
    (GOOD, ["--params", "behaviour.memory_days"], "unknown parameter 'behaviour.memory_days'"),
    (GOOD, ["--write-preset", "default"], "--write-preset='default'"),
    (GOOD, ["strategies.middle.price=3"], "expected market.<key>=<value>"),
])
def test_bad_input_gets_one_line_and_exit_2_and_no_output(tmp_path: Path, capsys, text: str, args: list[str],
                                                          needle: str) -> None:
    data = _write(tmp_path, text)
    out = tmp_path / "out"
    argv = [str(data), *(["--out", str(out)] if "--out" not in args else []), "--method", "lsq", *args]
    if "--period-days" not in args:
        argv += ["--period-days", "365"]
    with pytest.raises(SystemExit) as exc:
        command.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("relsim-calibrate: error:"), err
    assert needle in err, err
    assert not out.exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["--method", "lsq"], "--method lsq needs a retention curve"),
    (["--population", "3"], "--population=3: expected an integer in [10, "),
    (["--budget", "0"], "--budget=0"),
    (["--params", "behaviour.memory_days"], "unknown parameter 'behaviour.memory_days'"),
    (["DATA", "--period-days", "365", "--method", "lsq", "--params", "behaviour.voice_scale"],
     "--method lsq fits only"),
    (["DATA"], "--period-days: required with a retention curve"),
    (["--targets", "curve"], "--targets curve needs a retention curve"),
    (["--targets", "some"], "--targets"),
    (["--patterns", "1"], "--patterns=1: expected an integer in [2, "),
    (["market.behaviour.nope=1"], "nope"),
])
def test_bad_input_to_the_bayesian_calibration_is_one_line(tmp_path: Path, capsys, args: list[str],
                                                            needle: str) -> None:
    out = tmp_path / "out"
    argv = [a if a != "DATA" else str(_write(tmp_path, GOOD)) for a in args]
    with pytest.raises(SystemExit) as exc:
        command.main(["--out", str(out), *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("relsim-calibrate: error:"), err
    assert needle in err, err
    assert not out.exists()


def test_a_missing_file_is_one_line_too(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        command.main([str(tmp_path / "nope.csv"), "--period-days", "365", "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "no such file" in capsys.readouterr().err


# --------------------------------------------------------------------------- outputs

@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A tiny run of the command on an sBG curve: 7 monthly periods observed, fit on 0-5, project to 9,
    with a market preset written into a copy of the config directory."""
    tmp = tmp_path_factory.mktemp("calibration")
    shares = sbg_survival(0.8, 6.0, 6)
    data = tmp / "cohort.csv"
    pd.DataFrame({"period": range(7), "surviving": np.round(shares * 5000)}).to_csv(data, index=False)
    configs = tmp / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    out = tmp / "out"
    args = command._parser().parse_intermixed_args([
        str(data), "--period-days", "30", "--fit-periods", "5", "--horizon", "9", "--out", str(out),
        "--consumers", "400", "--seeds", "1", "--max-evals", "12", "--quiet", "--write-preset", "calib_test",
        "--method", "lsq"])
    report = command.run(args, preset_dir=configs / "market")
    return out, configs, report


def test_projection_csv_schema(calibrated) -> None:
    out, _, _ = calibrated
    frame = pd.read_csv(out / "projection.csv")
    assert list(frame.columns) == ["period", "observed", "abm", "sbg"]
    assert frame["period"].tolist() == list(range(10))
    assert frame["observed"].notna().tolist() == [True] * 7 + [False] * 3  # empty beyond the data
    for column in ("observed", "abm", "sbg"):
        values = frame[column].dropna()
        assert values.between(0, 1).all() and values.iloc[0] == pytest.approx(1.0)
        assert (values.diff().dropna() <= 1e-12).all()
    raw = (out / "projection.csv").read_text(encoding="utf-8").splitlines()
    assert raw[-1].split(",")[1] == ""


def test_calibration_json_schema(calibrated) -> None:
    out, _, report = calibrated
    saved = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert saved == report
    assert saved["data"]["fit_periods"] == 5 and saved["data"]["horizon"] == 9 and saved["data"]["cohort_size"] == 5000
    params = saved["abm"]["parameters"]
    assert set(params) == set(DEFAULT_PARAMS)
    for p in params.values():
        assert {"value", "se", "ci95", "bounds", "meaning"} <= set(p)
        assert p["bounds"][0] <= p["value"] <= p["bounds"][1]
    for model in ("abm", "sbg"):
        rmse = saved[model]["rmse"]
        assert set(rmse) == {"in_sample", "hold_out"}
        assert 0 <= rmse["in_sample"] < 1 and 0 <= rmse["hold_out"] < 1  # period 6 is held out
    assert saved["sbg"]["alpha"]["value"] > 0 and saved["sbg"]["beta"]["value"] > 0
    assert saved["sbg"]["rmse"]["in_sample"] < 1e-3  # an sBG curve is fitted by the sBG
    assert (out / "calibration.html").read_text(encoding="utf-8").count("plotly") > 0


def test_hold_out_is_null_without_held_out_periods(tmp_path: Path) -> None:
    data = _write(tmp_path, "period,surviving\n0,1\n1,0.9\n2,0.83\n3,0.78\n")
    args = command._parser().parse_intermixed_args([str(data), "--period-days", "30", "--out", str(tmp_path / "o"),
                                     "--consumers", "300", "--seeds", "1", "--max-evals", "4", "--quiet",
                                     "--method", "lsq"])
    report = command.run(args)
    assert report["abm"]["rmse"]["hold_out"] is None and report["sbg"]["rmse"]["hold_out"] is None
    assert report["data"]["fit_periods"] == 3 and report["data"]["horizon"] == 3


def test_written_preset_composes_as_a_market(calibrated) -> None:
    from hydra import compose, initialize_config_dir

    from relsim.experiments.plumbing.config import plain_config, run_spec

    _, configs, report = calibrated
    text = (configs / "market" / "calib_test.yaml").read_text(encoding="utf-8")
    assert text.startswith(PRESET_MARK)
    with initialize_config_dir(config_dir=str(configs), version_base="1.3", job_name="test"):
        cfg = compose("config", overrides=["market=calib_test"])
    spec = run_spec(plain_config(cfg))
    fitted = {k: v["value"] for k, v in report["abm"]["parameters"].items()}
    assert spec.market.behaviour.base_churn == pytest.approx(fitted["behaviour.base_churn"], rel=1e-5)
    assert spec.market.behaviour.trust_sensitivity == pytest.approx(fitted["behaviour.trust_sensitivity"], rel=1e-5)
    dist = spec.market.population.churn_propensity
    assert dist.kind == "gamma" and dist.sd == pytest.approx(fitted["population.churn_propensity.sd"], rel=1e-5)
    assert spec.market.rivals == ["middle"]  # the default market's rivals
    assert math.isclose(spec.market.behaviour.memory_days, 180.0)


# --------------------------------------------------------------------------- the Bayesian calibration's outputs

@pytest.fixture(scope="module")
def posterior(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A tiny ABC-SMC run on a yearly curve (fit on periods 0-3, project to 5) and the patterns."""
    tmp = tmp_path_factory.mktemp("abc")
    data = tmp / "cohort.csv"
    data.write_text(GOOD + "5,289\n", encoding="utf-8")
    configs = tmp / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    out = tmp / "out"
    args = command._parser().parse_intermixed_args([
        str(data), "--period-days", "365", "--fit-periods", "3", "--out", str(out), "--consumers", "200",
        "--population", "10", "--generations", "2", "--budget", "10", "--draws", "3", "--workers", "1", "--quiet",
        "--point-seeds", "2", "--params", "behaviour.base_churn,behaviour.voice_scale", "--write-preset", "abc_test"])
    report = command.run(args, preset_dir=configs / "market")
    return out, configs, report


def test_bayesian_outputs(posterior) -> None:
    out, _, report = posterior
    frame = pd.read_csv(out / "projection.csv")
    assert list(frame.columns) == ["period", "observed", "abm", "abm_lo", "abm_hi", "sbg"]
    assert list(frame["period"]) == list(range(6))
    assert (frame["abm_lo"] <= frame["abm"] + 1e-9).all() and (frame["abm"] <= frame["abm_hi"] + 1e-9).all()
    assert frame["abm"].iloc[0] == pytest.approx(1.0) and frame["abm"].is_monotonic_decreasing
    draws = pd.read_csv(out / "posterior.csv")
    assert list(draws.columns) == ["behaviour.base_churn", "behaviour.voice_scale", "weight"]
    assert len(draws) == 10 and draws["weight"].sum() == pytest.approx(1.0)
    saved = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert saved == report
    for key, p in saved["parameters"].items():
        assert PARAMS[key].lo <= p["interval"][0] <= p["median"] <= p["interval"][1] <= PARAMS[key].hi
        assert p["identified"] in ("identified", "weakly identified", "not identified")
    assert {"survival_365", "survival_1095", "complaints_per_problem"} <= set(saved["patterns"])
    assert saved["abm"]["rmse"]["hold_out"] is not None and saved["sbg"]["rmse"]["hold_out"] is not None
    assert 0 <= saved["abm"]["hold_out_inside_band"] <= 1
    assert saved["setup"]["simulations"] >= 10
    assert "Posterior" in (out / "calibration.html").read_text(encoding="utf-8")


def test_a_bayesian_calibration_to_the_curve_alone(tmp_path: Path) -> None:
    """--targets curve: the curve's periods are the only targets, the three churn parameters the default."""
    out = tmp_path / "out"
    args = command._parser().parse_intermixed_args([
        str(_write(tmp_path, GOOD)), "--period-days", "365", "--fit-periods", "3", "--horizon", "5", "--out",
        str(out), "--targets", "curve", "--consumers", "200", "--population", "10", "--generations", "2",
        "--budget", "10", "--draws", "3", "--workers", "1", "--quiet", "--point", "median"])
    report = command.run(args)
    assert report["setup"]["targets"] == "curve"
    assert list(report["parameters"]) == list(CHURN_PARAMS)
    assert set(report["patterns"]) == {"survival_365", "survival_730", "survival_1095"}
    assert report["abm"]["rmse"]["hold_out"] is not None
    assert list(pd.read_csv(out / "projection.csv")["period"]) == list(range(6))
    page = (out / "calibration.html").read_text(encoding="utf-8")
    assert "Calibration to data.csv" in page and "stylized facts" not in page


def test_bayesian_preset_holds_the_best_particle(posterior) -> None:
    """--point best (the default): the preset holds one particle of the posterior.csv, the one
    calibration.json's point names, with its held-out comparison beside the market's own values."""
    from hydra import compose, initialize_config_dir

    from relsim.experiments.plumbing.config import plain_config, run_spec

    out, configs, report = posterior
    with initialize_config_dir(config_dir=str(configs), version_base="1.3", job_name="test"):
        cfg = compose("config", overrides=["market=abc_test"])
    spec = run_spec(plain_config(cfg))
    point = report["point"]
    row = pd.read_csv(out / "posterior.csv").iloc[point["particle"]]
    for key in ("behaviour.base_churn", "behaviour.voice_scale"):
        assert point["values"][key] == pytest.approx(row[key], rel=1e-5)
    assert spec.market.behaviour.base_churn == pytest.approx(point["values"]["behaviour.base_churn"], rel=1e-5)
    assert spec.market.behaviour.voice_scale == pytest.approx(point["values"]["behaviour.voice_scale"], rel=1e-5)
    assert point["confirm"]["point"]["distance"] >= 0 and point["confirm"]["market"]["distance"] >= 0
    assert len(point["seeds"]["confirm"]) == 2 and len(point["shortlist"]) == 10
    assert "fits best on held-out seeds" in (configs / "market" / "abc_test.yaml").read_text(encoding="utf-8")
    assert spec.market.population.churn_propensity.sd == 1.0  # not calibrated here: the default's
