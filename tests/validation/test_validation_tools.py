"""The tools behind the stylized-fact checks: recording problem episodes leaves the run unchanged, the
recorded episodes agree with the engines' counters, the hazard-ratio estimator recovers a known ratio,
every region is a valid `relsim` config, and relsim-validate writes its page."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from relsim.analysis.facts import facts_page, logistic_hazard_ratios, parabolic_peak
from relsim.experiments.inference.fact_checks import FACTS, FactResult, _composed, build_run, episode_outcomes
from relsim.model import RelationshipModel

REGION = ("market=monopoly", "strategies.middle.inbound_capacity=5", "market.behaviour.self_fix_days=60")


def test_recording_problem_episodes_leaves_the_run_unchanged() -> None:
    plain = build_run(REGION, consumers=600, days=200, seed=3).run()
    observed = build_run(REGION, consumers=600, days=200, seed=3, record_episodes=True).run()
    pd.testing.assert_frame_equal(plain.recorder.runs(), observed.recorder.runs())
    pd.testing.assert_frame_equal(plain.recorder.retention(), observed.recorder.retention())
    assert plain.recorder.episodes().empty and len(observed.recorder.episodes()) > 100


@pytest.mark.parametrize("engine", ["vectorized", "agents"])
def test_episode_outcomes_match_the_engines_counters(engine: str) -> None:
    model = build_run(REGION, consumers=800 if engine == "vectorized" else 300, days=400, seed=5,
                      record_episodes=True)
    model = RelationshipModel(model.firms[0].strategy, model.market, rivals=[], days=400, rng=5, engine=engine,
                              consumer_agents=False, record_episodes=True).run()
    runs, episodes = model.recorder.runs(), model.recorder.episodes()
    resolved = episodes["outcome"].isin(["quick", "resolved"]).sum()
    assert resolved == int(runs["tickets_resolved"].sum()) > 0
    assert set(episodes["outcome"]) == {"quick", "resolved", "unresolved", "silent"}
    assert (episodes["start"] <= episodes["end"]).all()
    departures = model.recorder.departures()
    assert len(departures) == int(runs["churned"].sum())
    table = episode_outcomes(model, horizon=60, days=400)
    assert len(table) <= len(episodes) and table["stayed"].dtype == bool


def test_logistic_hazard_ratios_recover_a_known_ratio() -> None:
    rng = np.random.default_rng(0)
    base = np.array([0.002, 0.001, 0.0015])  # three calendar periods
    ratio = np.array([1.0, 1.8, 1.3])  # exposure levels: none, recent, older
    totals = np.full((3, 3), 400_000.0)
    events = rng.binomial(totals.astype(int), np.outer(ratio, base)).astype(float)
    hr, se = logistic_hazard_ratios(events, totals)
    assert np.all(np.abs(np.log(hr) - np.log(ratio[1:])) < 3 * se)
    assert 1.6 < hr[0] < 2.0 and 1.15 < hr[1] < 1.45


def testparabolic_peak() -> None:
    x = np.array([0, 10, 20, 30, 40])
    assert parabolic_peak(x, -(x - 17.0) ** 2) == pytest.approx(17.0)
    assert parabolic_peak(x, -x) == 0.0


@pytest.mark.parametrize("number", sorted(FACTS))
def test_each_region_is_a_valid_relsim_config(number: int) -> None:
    """A region is a list of `relsim` overrides, so a user can rerun it from the command line."""
    fact = FACTS[number]
    strategies, market = _composed(fact.region)
    assert "middle" in strategies and market.consumers > 0
    assert fact.claim and fact.source and (fact.region_note or not fact.region)


def _validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relsim.experiments.commands.validate", *args], capture_output=True,
                          text=True, timeout=600)


def test_relsim_validate_writes_one_section_per_fact(tmp_path: Path) -> None:
    out = tmp_path / "val"
    result = _validate("--quick", "--facts", "1,6", "--out", str(out))
    assert result.returncode == 0, result.stderr + result.stdout
    page = (out / "validation.html").read_text(encoding="utf-8")
    for number in (1, 6):
        assert f'id="fact-{number}"' in page
        assert FACTS[number].source.split(",")[0] in page
    assert "PASS" in page and "EXPECTED FAILURE" not in page and "Known gap" not in page
    assert page.count("plotly") > 0 and 'id="fact-2"' not in page
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert [d["status"] for d in data] == ["pass", "pass"]


@pytest.mark.parametrize(("passed", "expected"), [(False, "expected failure"), (True, "unexpected pass")])
def test_a_known_gap_is_reported_as_such(passed: bool, expected: str) -> None:
    """No fact has a known gap today (fact 6 was one until advocacy); the page still shows one."""
    fact = dataclasses.replace(FACTS[1], known_gap="the mechanism is missing")
    result = FactResult(fact, {"a check": passed}, {}, "a summary", go.Figure())
    assert result.status == expected
    assert result.as_expected == (not passed)
    html = facts_page([result], quick=True, wall_time=1.0)
    assert expected.upper() in html and "Known gap: the mechanism is missing" in html


def test_relsim_validate_rejects_unknown_facts(tmp_path: Path) -> None:
    result = _validate("--facts", "9", "--out", str(tmp_path / "val"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--facts" in result.stderr
    assert not (tmp_path / "val").exists()


def test_the_checks_can_run_on_another_markets_weights_and_the_region_still_wins() -> None:
    """relsim-validate --weights calibrated: every check starts from market=calibrated's behavioural weights; a
    fact's region still chooses its market and sets what it sets (fact 7's exit talk)."""
    from relsim.experiments.inference import fact_checks
    from relsim.experiments.inference.space import PARAMS
    from relsim.experiments.plumbing.config import load

    calibrated = load(["market=calibrated"]).market
    region = FACTS[7].region
    try:
        fact_checks.use_weights(fact_checks.weights_of("calibrated"))
        market = build_run(region, consumers=50, days=1, seed=0).market
    finally:
        fact_checks.use_weights(())
    hand = build_run(region, consumers=50, days=1, seed=0).market
    for key in ("behaviour.base_churn", "behaviour.trust_sensitivity", "population.churn_propensity.sd"):
        assert PARAMS[key].get(market) == pytest.approx(PARAMS[key].get(calibrated)) != PARAMS[key].get(hand)
    assert market.behaviour.exit_talk_weight == hand.behaviour.exit_talk_weight == 1.0  # the region's own
    assert market.rivals == hand.rivals == []  # its market: a monopoly


def test_relsim_validate_refuses_unknown_weights(tmp_path: Path) -> None:
    result = _validate("--weights", "nope", "--out", str(tmp_path / "val"))
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0 and "--weights" in result.stderr
    assert not (tmp_path / "val").exists()
