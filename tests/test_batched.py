"""Days in batches give exactly the days one at a time (issue 28).

`RelationshipModel.run` and `advance` run stretches of days in one compiled call between the days on which
Python must act (dated events, learning firms' decisions, the horizon); the pattern battery observes its
day-stepped run and spoils its lemons inside compiled loops. Each must give, bit for bit, what stepping one
day at a time gives: the recorded tables, the problem episodes and departures, the final state, Mesa's
clock, and the battery's statistics.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from relsim.experiments.plumbing.config import load
from relsim.model import RelationshipModel
from relsim.params import ConfigError, Policy
from relsim.world import STATE_FIELDS


def _model(overrides=(), arm="one_way", consumers=300, days=400, seed=3, **kwargs) -> RelationshipModel:
    spec = load([*overrides, f"market.consumers={consumers}", f"days={days}"])
    variant = spec.variants[-1].name
    focal, market = spec.cell(arm, variant)
    return RelationshipModel(focal, market, rivals=spec.rivals(market), days=days, consumer_agents=False, rng=seed,
                             policy=spec.policy, learners=spec.learners(arm, market), **kwargs)


def _state(model: RelationshipModel) -> dict:
    """Everything a run leaves behind: tables, episodes, the final state, levers and Mesa's clock."""
    rec, w = model.recorder, model.world
    out = {"runs": rec.runs(), "retention": rec.retention(), "evidence": rec.evidence_table(),
           "episodes": rec.episodes(), "departures": rec.departures()}
    for name in STATE_FIELDS:
        value = getattr(w, name, None)
        if value is None:
            value = getattr(w.traits, name, None)
        if value is not None:  # the adjacency is `w.adj`
            out[name] = value
    out["adj"] = w.adj.toarray()
    out["levers"] = {k: v.copy() for k, v in vars(w.firms).items() if k != "strategies"}
    schedule = model._default_schedule
    out["clock"] = (model.time, model.steps, model.running, schedule.next_scheduled_time, schedule.execution_count,
                    rec.day)
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), key
        elif isinstance(x, dict):
            assert all(np.array_equal(x[k], y[k]) for k in x), key
        else:
            assert x == y, key


def _stepped(model: RelationshipModel) -> RelationshipModel:
    while model.running:
        model.step()
    return model


CASES = {
    "episodes": ((), {"record_episodes": True}),
    "cut day (a calendar event)": (("scenario=sku_cut",), {"record_episodes": True}),
    "defect shock (a calendar event)": (("scenario=pentium_crisis",), {}),
    "learning firms": (("firm_policy=bandit", "firm_policy.rivals=true", "firm_policy.period_days=45"), {}),
    "Mesa's DataCollector every day": ((), {"collect": True}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_run_gives_exactly_the_days_of_stepping_one_at_a_time(case):
    overrides, kwargs = CASES[case]
    batched = _model(overrides, **kwargs).run()
    _assert_same(_state(batched), _state(_stepped(_model(overrides, **kwargs))))
    if kwargs.get("collect"):
        assert len(batched.datacollector.get_model_vars_dataframe()) == batched.days


def test_advance_in_uneven_pieces_gives_the_same_days_and_refuses_days_past_the_horizon():
    pieces = _model(("scenario=sku_cut",), record_episodes=True, days=300)
    for k in (1, 7, 0, 172, 3, 117):  # 300 days, up to the horizon
        pieces.advance(k)
    stepped = _model(("scenario=sku_cut",), record_episodes=True, days=300)
    for _ in range(300):
        stepped.step()
    assert pieces.world.day == 300 and not pieces.running
    _assert_same(_state(pieces), _state(stepped))
    with pytest.raises(ConfigError, match="horizon"):  # as step refuses a day beyond it
        stepped.step()
    with pytest.raises(ConfigError, match="0 days left to its horizon"):
        pieces.advance(1)
    early = _model(days=50)
    for bad in (51, -1, 2.0, True):
        with pytest.raises(ConfigError, match="advance: days="):
            early.advance(bad)
    assert early.world.day == 0


class _Intervention:
    """A dated event scheduled on the model by its user: change the focal firm's contact rate."""

    def __init__(self, model):
        self.model = model

    def fire(self):
        self.model.set_strategy(0, mail_rate=150.0, problem_rate=2.0)


def test_an_event_scheduled_on_the_model_fires_before_its_day_in_both():
    runs = []
    for batched in (True, False):
        model = _model(record_episodes=True)
        hook = _Intervention(model)
        model.schedule_event(hook.fire, at=123.5)
        model.schedule_event(hook.fire, at=200)  # on a whole day: after that day's step, in both
        runs.append(_state(model.run() if batched else _stepped(model)))
    _assert_same(*runs)
    levers = runs[0]["runs"].query("firm == 0")[["day", "mail_rate"]].set_index("day")["mail_rate"]
    assert levers[123] != 150.0 and levers[124] == 150.0


def test_the_episode_log_grows_within_a_stretch_and_keeps_every_episode():
    market_overrides = ("market.population.problem_proneness.mean=3",)
    batched = _model(market_overrides, consumers=60, days=1095, record_episodes=True).run()
    assert batched.recorder.logged[0] > 8 * 60  # more episodes than the log first held: it grew mid-run
    _assert_same(_state(batched), _state(_stepped(_model(market_overrides, consumers=60, days=1095,
                                                          record_episodes=True))))


def test_a_learning_firm_decides_on_the_same_days_with_stretches():
    policy = Policy(rule="hill_climb", period_days=30)
    batched = RelationshipModel(consumers=200, days=200, consumer_agents=False, rng=5, policy=policy).run()
    stepped = _stepped(RelationshipModel(consumers=200, days=200, consumer_agents=False, rng=5, policy=policy))
    assert batched.learners[0].scores == stepped.learners[0].scores and len(batched.learners[0].scores) == 6
    _assert_same(_state(batched), _state(stepped))


class _Counting(RelationshipModel):
    """A model with a step of its own (as the page's lesson has): it must see every day."""

    steps_seen = 0

    def step(self) -> None:
        self.steps_seen += 1
        super().step()


def test_a_subclass_with_its_own_step_steps_every_day():
    counted = _Counting(consumers=100, days=60, consumer_agents=False, rng=2, collect=False).run()
    assert counted.steps_seen == 60
    plain = RelationshipModel(consumers=100, days=60, consumer_agents=False, rng=2, collect=False).run()
    _assert_same(_state(counted), _state(plain))


# --------------------------------------------------------------------------- the battery's compiled observers

def test_the_battery_observes_its_day_stepped_run_in_compiled_code_as_python_did():
    """The day-stepped run's observations (contagion exposure, posts, satisfaction, who stayed) made in the compiled
    loop equal those made in Python after each `step`, as measure() made them before issue 28."""
    from relsim.experiments.inference import battery as bat
    from relsim.experiments.inference import observers

    battery = bat.make_battery(300)
    market = battery.market
    days, first, final = 500, 100, 400
    compiled = bat._model(battery, market, 11, days, record_episodes=True)
    w = compiled.world
    tracker = observers.ContagionTracker(w, days)
    neg, pos, satisfaction, stayed = np.zeros(w.n), np.zeros(w.n), np.zeros(w.n), np.ones(w.n, dtype=bool)
    compiled.advance(days, bat._observed_days, (*tracker.arrays(), first, final, neg, pos, satisfaction, stayed))

    python = bat._model(battery, market, 11, days, record_episodes=True)
    v = python.world
    reference = observers.ContagionTracker(v, days)
    neg2, pos2, satisfaction2, stayed2 = np.zeros(v.n), np.zeros(v.n), np.zeros(v.n), np.ones(v.n, dtype=bool)
    while python.running:
        reference.before(v)
        python.step()
        reference.after(v)
        if first < v.day <= final:
            stayed2 &= v.provider == 0
            np.add.at(neg2, np.asarray(v.public_posts), 1)
            np.add.at(pos2, np.asarray(v.praise_posts), 1)
            satisfaction2 += v.provider_trust()
    assert tracker.events.sum() > 0 and neg.sum() > 0 and pos.sum() > 0
    for a, b in ((tracker.events, reference.events), (tracker.totals, reference.totals), (tracker.last, reference.last),
                 (neg, neg2), (pos, pos2), (satisfaction, satisfaction2), (stayed, stayed2)):
        assert np.array_equal(a, b)
    _assert_same(_state(compiled), _state(python))


def test_the_contagion_tracker_counts_as_its_python_definition():
    """`_contagion_day` against the tracker's definition written with NumPy (searchsorted, add.at)."""
    from relsim.experiments.inference import battery as bat
    from relsim.experiments.inference import observers

    rng = np.random.default_rng(4)
    model = bat._model(bat.make_battery(200), bat.make_battery(200).market, 2, 300)
    tracker = observers.ContagionTracker(model.world, 300)
    last, events, totals = tracker.last.copy(), tracker.events.copy(), tracker.totals.copy()
    adj = model.world.adj.tocsr()
    for day in range(1, 300):
        provider = np.where(rng.random(200) < 0.7, 0, -1)
        who = rng.choice(np.flatnonzero(provider >= 0), size=rng.integers(0, 4), replace=False)
        firms = np.zeros(len(who), dtype=np.int64)
        tracker._provider[:] = provider
        observers._contagion_day(*tracker.arrays(), who, firms, day)
        rows = np.flatnonzero(provider >= 0)
        seen = last[rows, provider[rows]]
        level = np.where(seen < 0, 0, np.searchsorted(tracker.BINS, day - seen, side="right"))
        left = np.zeros(200, dtype=bool)
        left[who] = True
        np.add.at(totals[:, (day - 1) // 90], level, 1)
        np.add.at(events[:, (day - 1) // 90], level[left[rows]], 1)
        for f in np.unique(firms):
            last[adj[who[firms == f]].indices, f] = day
    assert np.array_equal(tracker.last, last) and np.array_equal(tracker.events, events)
    assert np.array_equal(tracker.totals, totals) and events.sum() > 0


def test_the_lemons_are_spoiled_after_every_compiled_day_as_after_every_step():
    from relsim.experiments.inference import battery as bat
    from relsim.experiments.inference import observers

    battery = bat.make_battery(300)
    npv = bat._lemon_npv(battery, battery.market, 7, 0.05)
    model = bat._model(battery, battery.market, 7, bat.CONTACT_DAYS)
    lemon = observers.lemons(model.world, 0.05, 7)
    observers.spoil_lemons(model.world, lemon)
    while model.running:
        model.step()
        observers.spoil_lemons(model.world, lemon)
    assert npv == bat._npv(model, bat.CONTACT_DAYS)
    quiet = dataclasses.replace(battery.market, network=dataclasses.replace(battery.market.network, degree=0))
    assert bat._lemon_npv(battery, quiet, 7, 0.05) != bat._lemon_npv(battery, quiet, 7, 0.0)


def test_episode_outcomes_from_the_recorders_rows_equal_those_from_its_tables():
    """observers.episode_outcomes reads the recorder's integer rows; the same from its tables (as before issue 28)."""
    from relsim.experiments.inference import battery as bat
    from relsim.experiments.inference import observers

    battery = bat.make_battery(400)
    model = bat._model(battery, battery.market, 3, 800, record_episodes=True).run()
    ep, left = model.recorder.episodes(), model.recorder.departures()
    ep = ep.loc[ep["start"] + 200 <= 800].reset_index(drop=True)
    order = np.lexsort((left["day"].to_numpy(), left["consumer"].to_numpy()))
    who, when = left["consumer"].to_numpy()[order], left["day"].to_numpy()[order]
    consumer, start = ep["consumer"].to_numpy(), ep["start"].to_numpy()
    pos = np.searchsorted(who * 802 + when, consumer * 802 + start, side="left")
    nxt = np.where(pos < len(who), pos, 0)
    left_by = (pos < len(who)) & (who[nxt] == consumer) & (when[nxt] <= start + 200)
    expected = pd.DataFrame({"consumer": consumer, "firm": ep["firm"].to_numpy(), "start": start,
                             "outcome": ep["outcome"].astype(str).to_numpy(dtype=object), "stayed": ~left_by})
    got = observers.episode_outcomes(model, 200, 800)
    assert len(got) > 100 and got["stayed"].any() and not got["stayed"].all()
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


# --------------------------------------------------------------------------- a day 0 built once, used by several runs

def test_a_model_built_from_another_models_day_0_runs_exactly_as_one_drawn_afresh():
    """Strategies set only the firms' arrays of day 0: a copy of another strategy's day 0 on the same market and seed
    (common random numbers) gives the same run, bit for bit."""
    spec = load(["market.consumers=300", "days=250"])
    first = RelationshipModel(spec.strategies["one_way"], spec.market, rivals=spec.rivals(), days=250, rng=9,
                              consumer_agents=False, record_episodes=True)
    day0 = first.world.copy()
    first.run()
    for arm in ("reciprocal", "budgeted"):
        kwargs = dict(rivals=spec.rivals(), days=250, rng=9, consumer_agents=False)
        copied = RelationshipModel(spec.strategies[arm], spec.market, day0=day0, **kwargs).run()
        drawn = RelationshipModel(spec.strategies[arm], spec.market, **kwargs).run()
        _assert_same(_state(copied), _state(drawn))
    assert day0.day == 0 and not np.shares_memory(day0.provider, first.world.provider)


def test_a_day_0_of_another_market_or_seed_is_refused():
    spec = load(["market.consumers=100"])
    day0 = RelationshipModel(consumers=100, rng=1, consumer_agents=False).world.copy()
    for kwargs in ({"rng": 2}, {"consumers": 101}, {"rng": 1, "focal": spec.strategies["one_way"],
                                                    "market": spec.market.__class__(consumers=100, rivals=[])}):
        with pytest.raises(ValueError, match="like: expected the day 0"):
            RelationshipModel(**{"consumers": 100, "consumer_agents": False, **kwargs}, day0=day0)
    ran = RelationshipModel(consumers=100, rng=1, consumer_agents=False, days=3).run()
    with pytest.raises(ValueError, match="like: expected the day 0"):
        RelationshipModel(consumers=100, rng=1, consumer_agents=False, day0=ran.world)


# --------------------------------------------------------------------------- the calibration's hand-off

def test_a_calibration_unpickling_its_sampling_function_once_per_process_is_the_same_as_once_per_task(monkeypatch):
    """abc_smc.SeededMapSampler reuses a generation's unpickled sampling function across tasks (abc_smc._unpickled):
    the posterior is the same as with a fresh copy for every task, serial and in a pool."""
    from relsim.experiments.inference import abc_smc as abc
    from relsim.experiments.inference.battery import make_battery
    from relsim.experiments.inference.patterns import PATTERNS

    keys = ["behaviour.voice_scale", "behaviour.exit_talk_weight"]
    observed, scales = abc.targets_of(PATTERNS)
    model = abc.pattern_model(make_battery(60), keys)
    cached = [abc.calibrate(model, keys, observed, scales, population=3, generations=2, budget=1000, seed=7, workers=w)
              for w in (1, 2)]
    assert abc._unpickled.cache_info().hits > 0  # the serial run reused it in this process
    monkeypatch.setattr(abc, "_unpickled", lambda unpickle, blob: unpickle(blob))
    fresh = abc.calibrate(model, keys, observed, scales, population=3, generations=2, budget=1000, seed=7, workers=1)
    for run in cached:
        np.testing.assert_array_equal(run.particles, fresh.particles)
        np.testing.assert_array_equal(run.weights, fresh.weights)
        assert run.epsilons == fresh.epsilons and run.simulations == fresh.simulations
