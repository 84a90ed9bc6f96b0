"""Learning firms (sim/learning.py): the rules find the best of a known toy payoff, the objectives are
computed as documented, sensing is limited by listening, levers are recorded, and a seed fixes every
decision. Nothing here says which strategy a learner should end with."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from relsim import learning
from relsim.experiments.plumbing.config import load
from relsim.experiments.plumbing.runner import run_all
from relsim.model import RelationshipModel
from relsim.params import LEVERS, ConfigError, Policy


def _toy(rule: str, **policy) -> learning.Learner:
    """A learner on a tiny model, to be driven with scores by hand."""
    model = RelationshipModel(days=400, consumers=50, rng=3, policy=Policy(rule=rule, **policy))
    return model.learners[0]


def _payoff(levers: dict[str, float]) -> float:
    """A known payoff with its maximum at mail_rate 26, inbound_capacity 8, support_fee 0."""
    return -abs(levers["mail_rate"] - 26.0) / 10 - abs(levers["inbound_capacity"] - 8.0) - levers["support_fee"] / 5


def test_the_bandit_exploring_neighbours_starts_near_its_levers_and_climbs_to_the_best_of_a_known_payoff() -> None:
    bandit = _toy("bandit", exploration=0.2)  # explore=neighbours, the default
    start = bandit.settings[bandit.playing]
    assert start == {"mail_rate": 6.0, "inbound_capacity": 4.0, "support_fee": 0.0}  # nearest the middle firm's levers
    played = [start]
    for _ in range(400):
        played.append(bandit.decide(_payoff(played[-1])))
    best = {"mail_rate": 26.0, "inbound_capacity": 8.0, "support_fee": 0.0}
    assert bandit.settings[int(np.argmax(bandit.values))] == best
    assert {"mail_rate": 104.0, "inbound_capacity": 1.0, "support_fee": 10.0} not in played  # no forced extremes
    for a, b in zip(played, played[1:]):  # every move is to the best so far or one menu step from it
        assert sum(a[k] != b[k] for k in a) <= 3
    assert sum(p == best for p in played[-200:]) > 150


def test_the_bandit_exploring_the_menu_tries_every_setting_once_then_settles_on_the_best_of_a_known_payoff() -> None:
    bandit = _toy("bandit", exploration=0.1, explore="menu")
    settings = len(bandit.settings)
    assert settings == 3 * 3 * 2  # the default menu's combinations
    played = [bandit.settings[bandit.playing]]
    for _ in range(settings - 1):
        played.append(bandit.decide(_payoff(played[-1])))
    assert sorted(map(str, played)) == sorted(map(str, bandit.settings))  # each setting once, first
    for _ in range(300):
        played.append(bandit.decide(_payoff(played[-1])))
    best = {"mail_rate": 26.0, "inbound_capacity": 8.0, "support_fee": 0.0}
    assert bandit.settings[int(np.argmax(bandit.values))] == best
    assert sum(p == best for p in played[-200:]) > 150  # mostly exploiting, with about 10% exploration


def test_hill_climbing_moves_towards_the_optimum_of_a_known_payoff() -> None:
    climber = _toy("hill_climb", step=0.1, learning_rate=0.5, menu={"mail_rate": [0.0, 104.0],
                                                                  "inbound_capacity": [0.0, 12.0]})
    payoff = lambda x: -abs(x["mail_rate"] - 26.0) / 10 - abs(x["inbound_capacity"] - 8.0)  # noqa: E731
    levers = climber.current()
    start = payoff(levers)
    for _ in range(400):
        levers = climber.decide(payoff(levers))
    assert payoff(climber.incumbent) > start
    assert abs(climber.incumbent["mail_rate"] - 26.0) < 15 and abs(climber.incumbent["inbound_capacity"] - 8) < 2


def test_objectives_are_computed_as_documented() -> None:
    r = 0.1
    q = (1 + r) ** (-1 / 365)
    assert learning.annuity(r, 3) == pytest.approx(q + q**2 + q**3)
    assert learning.annuity(0.0, 730) == 730
    profit, start, end, m = 3_000.0, 1_000.0, 990.0, 12.0
    myopic = learning.objective(Policy(objective="profit"), profit, start, end, m, r)
    assert myopic == pytest.approx(3.0)
    horizon = learning.objective(Policy(objective="horizon", horizon_days=365), profit, start, end, m, r)
    assert horizon == pytest.approx((profit - 10 * m / 30 * learning.annuity(r, 365)) / start)
    assert learning.objective(Policy(objective="horizon", horizon_days=0), profit, start, end, m, r) == myopic
    equity = learning.objective(Policy(objective="equity"), profit, start, end, m, r, 50_000.0, 48_000.0)
    assert equity == pytest.approx((profit - 2_000.0) / start)


def test_what_a_firm_sees_of_its_customers_value_is_limited_by_its_listening() -> None:
    b = RelationshipModel(days=1, consumers=10, rng=0).world.kernel()[1]  # the default behaviour, as rules get it
    seen = dict(customers=1_000, monthly_margin=12.0, observed_hazard=0.15 / 365, b=b)
    deaf = [learning.perceived_value(0.0, true, **seen) for true in (1e6, 2e6)]
    assert deaf[0] == deaf[1]  # a firm that does not listen cannot see its customers' value change
    assert learning.perceived_value(1.0, 1e6, **seen) == 1e6
    half = learning.perceived_value(0.5, 2e6, **seen)
    assert half == pytest.approx(0.5 * 2e6 + 0.5 * deaf[0])


def test_a_learner_changes_its_levers_each_period_and_runs_parquet_records_them() -> None:
    model = RelationshipModel(days=200, consumers=300, rng=5,
                              policy=Policy(rule="bandit", period_days=20, explore="menu")).run()
    runs = model.recorder.runs()
    assert set(LEVERS) <= set(runs.columns)
    focal = runs[runs.firm == 0].set_index("day")
    changes = focal[list(Policy().menu)].diff().abs().sum(axis=1)
    assert set(changes[changes > 0].index) <= set(range(21, 201, 20))  # only the day after a decision
    assert (changes > 0).sum() >= 5
    rival = runs[runs.firm == 1]
    assert rival["mail_rate"].nunique() == 1  # the rival does not learn unless the policy says so
    assert len(model.learners[0].scores) == 200 // 20 - 1  # a decision at the end of every period but the last


def test_rivals_learn_when_the_policy_says_so() -> None:
    model = RelationshipModel(days=120, consumers=300, rng=5, policy=Policy(rule="hill_climb", rivals=True)).run()
    runs = model.recorder.runs()
    assert [learner.firm for learner in model.learners] == [0, 1]
    assert runs[runs.firm == 1][list(Policy().menu)].nunique().max() > 1


def test_a_seed_fixes_every_learning_decision_serial_or_parallel() -> None:
    overrides = ["firm_policy=bandit", "firm_policy.rivals=true", "seeds=2", "days=150", "market.consumers=300",
                 "progress=false"]
    serial = run_all(dataclasses.replace(load([*overrides, "workers=1"])))["runs"]
    parallel = run_all(dataclasses.replace(load([*overrides, "workers=2"])))["runs"]
    pd.testing.assert_frame_equal(serial, parallel)
    other = run_all(load([*overrides, "seeds=[5, 6]"]))["runs"]
    assert not other[list(Policy().menu)].equals(serial[list(Policy().menu)])


def test_the_fixed_policy_changes_nothing() -> None:
    base = RelationshipModel(days=60, consumers=200, rng=2).run().recorder.runs()
    fixed = RelationshipModel(days=60, consumers=200, rng=2, policy=Policy(rule="fixed")).run().recorder.runs()
    pd.testing.assert_frame_equal(base, fixed)


@pytest.mark.parametrize("overrides, message", [
    (["firm_policy=bandit", "firm_policy.arms=[nobody]"], "firm_policy.arms"),
    (["firm_policy.rule=genetic"], "firm_policy.rule"),
    (["firm_policy.menu.mail_rate=[10,400]"], "firm_policy.menu.mail_rate"),
    (["firm_policy.menu.contact_rate=[10,40]"], "firm_policy.menu.contact_rate"),
    (["firm_policy.period_days=0"], "firm_policy.period_days"),
])
def test_bad_policies_get_one_line(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load(overrides)


def test_the_api_refuses_bad_learners() -> None:
    with pytest.raises(ConfigError, match="learners"):
        RelationshipModel(days=10, consumers=20, policy=Policy(rule="bandit"), learners=[3])
    with pytest.raises(ConfigError, match="policy"):
        RelationshipModel(days=10, consumers=20, policy={"rule": "bandit"})
