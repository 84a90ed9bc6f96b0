"""Test-and-learn firms (sim/learning.py: TestAndLearn): the decision rule's error rates are as documented, a
firm that tests finds the best value of a stationary toy, its tests run on random cells measured over the window
and changes go through set_strategy, the holdout keeps the starting levers, every test is a row of tests(), and a
seed fixes every decision. Nothing here says which window or which levers should win."""

from __future__ import annotations

import numpy as np
import pytest

from relsim.experiments.plumbing.config import load
from relsim.experiments.plumbing.runner import run_all
from relsim.learning import propose, verdict
from relsim.model import TEST_COLUMNS, RelationshipModel
from relsim.params import SEGMENT_LEVERS, ConfigError, Policy

MENU = {"mail_rate": [2.0, 6.0, 26.0], "inbound_capacity": [1.0, 4.0, 8.0], "support_fee": [0.0, 10.0]}


def _model(days: int = 200, **policy) -> RelationshipModel:
    policy = {"rule": "test_and_learn", "period_days": 30, "menu": MENU, **policy}
    return RelationshipModel(consumers=1500, days=days, rng=11, collect=False, consumer_agents=False,
                             policy=Policy(**policy))


def test_the_decision_rule_adopts_a_change_that_does_nothing_at_rate_alpha_over_2_and_a_real_gain_mostly() -> None:
    rng = np.random.default_rng(0)
    null = [verdict(rng.normal(0, 1, 400), rng.normal(0, 1, 400), 0.05)[3] for _ in range(4000)]
    assert abs(np.mean(null) - 0.025) < 0.01  # one-sided wins of a two-sided 5% test
    gain = [verdict(rng.normal(0, 1, 400), rng.normal(0.3, 1, 400), 0.05)[3] for _ in range(500)]
    assert np.mean(gain) > 0.9  # a 0.3 sd gain with 400 a cell: power about 0.93
    loss = [verdict(rng.normal(0, 1, 400), rng.normal(-0.3, 1, 400), 0.05)[3] for _ in range(500)]
    assert not any(loss)


def test_proposals_move_one_lever_one_step_and_inward_at_a_bound() -> None:
    rng = np.random.default_rng(1)
    current = {"mail_rate": 2.0, "inbound_capacity": 4.0, "support_fee": 10.0}
    seen = set()
    for _ in range(300):
        name, value = propose(MENU, current, rng)
        values = MENU[name]
        i = values.index(current[name])
        assert value in (values[max(i - 1, 0)], values[min(i + 1, len(values) - 1)]) and value != current[name]
        seen.add((name, value))
    assert seen == {("mail_rate", 6.0), ("inbound_capacity", 1.0), ("inbound_capacity", 8.0), ("support_fee", 0.0)}
    assert propose({"mail_rate": [0.0, 10.0]}, {"mail_rate": 4.0}, rng)[1] in (0.0, 10.0)  # off the menu


def test_testing_one_step_at_a_time_finds_the_best_of_a_stationary_toy() -> None:
    """The rule the firm uses (propose, measure both cells, adopt on a win) climbs to the best menu value of a
    known single-peaked payoff with noisy customers."""
    menu = {"mail_rate": [0.0, 2.0, 6.0, 12.0, 26.0, 52.0, 104.0]}
    payoff = {0.0: 0.0, 2.0: 0.4, 6.0: 0.8, 12.0: 1.0, 26.0: 0.7, 52.0: 0.2, 104.0: -0.5}
    rng = np.random.default_rng(2)
    ends = []
    for start in (0.0, 104.0):
        current = {"mail_rate": start}
        for _ in range(60):
            name, value = propose(menu, current, rng)
            control = rng.normal(payoff[current[name]], 2.0, 1000)
            treatment = rng.normal(payoff[value], 2.0, 1000)
            if verdict(control, treatment, 0.05)[3]:
                current = {name: value}
        ends.append(current["mail_rate"])
    assert ends == [12.0, 12.0]


def test_a_test_runs_on_a_random_cell_for_its_window_and_a_win_is_adopted_through_set_strategy() -> None:
    model = _model(days=200).run()
    tests = model.tests()
    assert list(tests.columns) == list(TEST_COLUMNS)
    assert len(tests) == 6  # one test per 30-day window that ends before the horizon
    assert (tests["end_day"] - tests["start_day"] == 30).all() and (tests["kind"] == "test").all()
    share = tests["treatment_customers"] / (tests["treatment_customers"] + tests["control_customers"])
    assert share.between(0.4, 0.6).all()  # test_share 0.5 of the customers
    # the levers at the end are the start's with every adopted change applied, in order
    levers = {name: float(getattr(RelationshipModel(consumers=50, days=1).firms[0].strategy, name)) for name in MENU}
    for row in tests.itertuples():
        assert levers[row.lever] == row._6  # `from`: the lever's value while the test ran
        if row.adopted:
            levers[row.lever] = row.to
    strategy = model.firms[0].strategy
    assert {name: float(getattr(strategy, name)) for name in MENU} == levers
    runs = model.recorder.runs()
    firm = runs[runs["firm"] == 0]
    assert firm["mail_rate"].nunique() == len({v for v in [6.0, *tests.loc[tests.adopted & (tests.lever == "mail_rate"), "to"]]})


def test_the_holdout_keeps_the_starting_levers_and_is_judged_after_its_period() -> None:
    model = _model(days=400, holdout=0.2, holdout_days=180, alpha=0.5).run()  # alpha 0.5: changes are adopted often
    tests = model.tests()
    holdout = tests[tests["kind"] == "holdout"]
    assert len(holdout) >= 1 and (holdout["end_day"] - holdout["start_day"] >= 180).all()
    first = holdout.iloc[0]
    share = first["treatment_customers"] / (first["treatment_customers"] + first["control_customers"])
    assert 0.12 < share < 0.28
    learner = model.learners[0]
    assert set(learner.holdout.levers) == set(SEGMENT_LEVERS)  # every segmented lever frozen
    # test cells never include the holdout's customers: tests' cells add up to the customers outside it
    first_test = tests[tests["kind"] == "test"].iloc[0]
    assert first_test["control_customers"] + first_test["treatment_customers"] < len(learner.holdout_rows)


def test_a_seed_fixes_every_test_serial_or_parallel() -> None:
    a, b = _model().run().tests(), _model().run().tests()
    assert a.equals(b)
    overrides = ["firm_policy=test_and_learn", "arms=[learner]", "seeds=2", "days=90", "market.consumers=400",
                 "firm_policy.period_days=30"]
    serial, parallel = run_all(load([*overrides, "workers=1"])), run_all(load([*overrides, "workers=2"]))
    assert serial["tests"].equals(parallel["tests"]) and len(serial["tests"]) == 2 * 2


@pytest.mark.parametrize("policy, message", [
    ({"objective": "equity"}, "objective='equity': a test measures"),
    ({"menu": {"listening": [0.1, 0.5]}}, "menu.listening: a test changes a lever for a cell"),
    ({"test_share": 1.0}, "test_share=1.0"),
    ({"holdout": 0.7}, "holdout=0.7"),
])
def test_bad_test_and_learn_policies_get_one_line(policy, message) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        Policy(rule="test_and_learn", **policy)


def test_test_and_learn_is_refused_on_the_agents_engine() -> None:
    with pytest.raises(ConfigError, match="vectorized engine only"):
        RelationshipModel(consumers=50, days=5, rng=1, engine="agents", policy=Policy(rule="test_and_learn"))


def test_testing_one_lever_finds_the_value_that_a_brute_force_of_fixed_runs_says_is_best() -> None:
    """A one-lever relsim case whose answer the fixed runs give: the nuisance fee 0 or 5 over two years, judged by
    NPV on the same seeds; the testing firm (30-day tests, profit) ends at the better value on every seed."""
    menu, days, seeds = {"nuisance_fee": [0.0, 5.0]}, 730, (1, 2)

    def npv(model: RelationshipModel) -> float:
        return float(model.recorder.runs().query("firm == 0")["npv"].iloc[-1])

    fixed = {fee: np.mean([npv(RelationshipModel(consumers=1500, days=days, rng=seed, collect=False,
                                                 consumer_agents=False, nuisance_fee=fee).run()) for seed in seeds])
             for fee in menu["nuisance_fee"]}
    best = max(fixed, key=fixed.get)
    ends = [RelationshipModel(consumers=1500, days=days, rng=seed, collect=False, consumer_agents=False,
                              policy=Policy(rule="test_and_learn", period_days=30, menu=menu)).run()
            .firms[0].strategy.nuisance_fee for seed in seeds]
    assert ends == [best] * len(seeds), (fixed, ends)
