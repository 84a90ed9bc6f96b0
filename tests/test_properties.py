"""Properties that hold for every valid configuration, determinism (common random numbers), and the
structure of the rules.

Hypothesis draws Strategy fields within the ranges in sim.params metadata (open-ended ranges are
capped at plausible values), a few Behaviour fields, the network, an optional defect shock,
50-400 consumers, 30-120 days and 1-3 firms; each example runs the model day by day and checks the
state and the recorded tables.

Every closed-form rule is one function of its mechanism module, compiled for the vectorized engine
and run as plain Python by the reference engine (docs/ODD.md §8.4): both forms must give the same
numbers, and the modules must import each other without a cycle.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
from graphlib import TopologicalSorter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_market, make_world, runs, small_model, strategy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relsim
from relsim import (assortment, churn, contacts, economics, fees, intimacy, responsiveness, stress, support, trust,
                    voice, word_of_mouth)
from relsim.model import RelationshipModel
from relsim.params import CHANNELS, Behaviour, Channel, Channels, Market, Network, Shock, Strategy, build
from relsim.recorder import COLUMNS, COUNT_COLUMNS, EQUITY_EVERY
from relsim.world import World

# Upper ends for fields whose range in sim.params is open.
CAPS = {"support_free_days": 365, "support_fee": 100.0, "nuisance_fee": 60.0, "price": 120.0, "cut_day": 150,
        "cost_per_ticket": 50.0, "cost_per_answer": 20.0, "listening_cost": 200.0,
        "serve_cost": 60.0, "assortment_saving": 20.0, "sale_price": 200.0, "budget": 200.0}
# A few behaviour fields, with the ranges drawn (inside sim.params' ranges).
BEHAVIOUR = {"negativity_bias": (1.0, 20.0), "memory_days": (1.0, 720.0), "base_churn": (0.0, 5.0),
             "switch_share": (0.0, 1.0), "trust_sensitivity": (0.0, 12.0), "acquisition_rate": (0.0, 5.0),
             "stress_relief": (0.0, 1.0), "redirect_public": (0.0, 1.0), "learning_rate": (0.0, 10.0),
             "intimacy_gain": (0.0, 1.0), "problem_floor": (0.0, 1.0), "channel_reactance": (0.0, 2.0),
             "stress_burden": (0.0, 1.0), "stress_unreached": (0.0, 1.0),
             "recovery_paradox": (-2.0, 2.0), "spin_softening": (0.0, 1.0)}
MEANS = ("mean_trust", "mean_intimacy", "mean_stress")
FLOW_COLUMNS = ("fees", "revenue", "cost", "sales_revenue")


def _field(f: dataclasses.Field) -> st.SearchStrategy:
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    hi = CAPS[f.name] if hi is None else hi
    if f.type in (int, "int"):
        return st.integers(int(lo), int(hi))
    return st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False)


SHARES = ("outbound_share", "access_share", "listening_share")


def _with_shares_adding_to_one(d: dict) -> dict:
    """A budget's shares must add up to 1: the drawn shares, normalised (no budget if they are all 0)."""
    total = sum(d[k] for k in SHARES)
    if total <= 0:
        return {**d, "budget": 0.0}
    return {**d, **{k: d[k] / total for k in SHARES}}


strategies = st.fixed_dictionaries({f.name: _field(f) for f in dataclasses.fields(Strategy)}).map(
    lambda d: build(Strategy, _with_shares_adding_to_one(d), "strategy"))
behaviours = st.fixed_dictionaries({k: st.floats(lo, hi) for k, (lo, hi) in BEHAVIOUR.items()}).map(
    lambda d: dataclasses.replace(Behaviour(), **d))
channel_tables = st.builds(
    Channels, **{c: st.builds(Channel, cost=st.floats(0.0, 5.0), response=st.floats(0.0, 1.0),
                              intrusiveness=st.floats(0.0, 1.0), load=st.floats(0.0, 5.0)) for c in CHANNELS})
networks = st.builds(Network, generator=st.sampled_from(["watts_strogatz", "barabasi_albert", "erdos_renyi", "none"]),
                     degree=st.integers(0, 20), rewire=st.floats(0.0, 1.0))


@st.composite
def configs(draw) -> dict:
    n_firms = draw(st.integers(1, 3))
    days = draw(st.integers(30, 120))
    shock = draw(st.one_of(st.just(Shock()), st.builds(
        Shock, day=st.integers(1, days), share=st.floats(0.0, 1.0), severity=st.floats(0.0, 10.0),
        firm=st.integers(0, n_firms - 1))))
    market = Market(consumers=draw(st.integers(50, 400)), rivals=["drawn"] * (n_firms - 1),
                    initial_penetration=draw(st.floats(0.0, 1.0)), discount_rate=draw(st.floats(0.0, 1.0)),
                    network=draw(networks), behaviour=draw(behaviours), shock=shock, channels=draw(channel_tables))
    return {"focal": draw(strategies), "rivals": [draw(strategies) for _ in range(n_firms - 1)],
            "market": market, "days": days, "rng": draw(st.integers(0, 2**32)),
            "consumer_agents": draw(st.booleans())}


def _check_state(w: World) -> None:
    n, n_firms = w.n, w.n_firms
    for name, arr in (("trust", w.trust()), ("intimacy", w.intimacy), ("stress", w.stress)):
        assert np.isfinite(arr).all(), name
        assert ((arr >= 0) & (arr <= 1)).all(), f"{name} outside [0, 1]: {arr.min()}, {arr.max()}"
    assert (w.pos >= 0).all() and (w.neg >= 0).all()
    assert ((w.provider >= -1) & (w.provider < n_firms)).all()
    assert w.customers.sum() + (w.provider == -1).sum() == n
    np.testing.assert_array_equal(w.customers, np.bincount(w.provider[w.provider >= 0], minlength=n_firms))
    assert (w.tenure[w.provider < 0] == 0).all() and (w.tenure >= 0).all()
    assert (w.problem_rate >= 0).all() and (w.problem_rate <= w.firms.problem_rate + 1e-12).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_invariants_hold_for_any_valid_config(cfg: dict) -> None:
    m = RelationshipModel(cfg["focal"], cfg["market"], rivals=cfg["rivals"], days=cfg["days"], rng=cfg["rng"],
                          consumer_agents=cfg["consumer_agents"])
    n = cfg["market"].consumers
    _check_state(m.world)
    while m.running:
        m.step()
        _check_state(m.world)
    assert m.world.day == cfg["days"]

    table = m.recorder.runs()
    n_firms = 1 + len(cfg["rivals"])
    assert len(table) == cfg["days"] * n_firms
    # consumers are conserved: customers of all firms never exceed the consumers, every day
    per_day = table.groupby("day").customers.sum()
    assert (per_day <= n).all()
    assert per_day.iloc[-1] == m.world.customers.sum()
    # accounting
    np.testing.assert_allclose(table.revenue - table.cost, table.profit, rtol=0, atol=1e-9)
    # contacts and sales add up over the channels; a contact sells at most once
    np.testing.assert_array_equal(table.contacts,
                                  sum(table[f"contacts_{c}"] for c in CHANNELS) + table.prospect_contacts)
    np.testing.assert_array_equal(table.contact_sales, sum(table[f"sales_{c}"] for c in CHANNELS))
    for c in CHANNELS:
        assert (table[f"sales_{c}"] <= table[f"contacts_{c}"]).all(), c
    # counts and flows are non-negative, and tickets funnel down
    for col in (*COUNT_COLUMNS, *FLOW_COLUMNS):
        assert (table[col] >= 0).all(), col
    assert (table.tickets_reached <= table.tickets).all()
    assert (table.tickets_resolved <= table.tickets_reached).all()
    # no NaN, except the means of a firm without customers, and customer equity between its sampled days
    has = table.customers > 0
    daily = [c for c in COLUMNS if c != "customer_equity"]
    assert not table.loc[has, daily].isna().any().any()
    others = [c for c in daily if c not in MEANS]
    assert not table.loc[~has, others].isna().any().any()
    sampled = (table.day % EQUITY_EVERY == 0) | (table.day == cfg["days"])
    assert table.loc[sampled, "customer_equity"].notna().all()
    assert table.loc[~sampled, "customer_equity"].isna().all()
    for col in MEANS:
        assert table.loc[has, col].between(0, 1).all(), col
    # retention: starts at 1, in [0, 1], never rises with tenure
    ret = m.recorder.retention()
    assert ret.surviving.between(0, 1).all()
    for _, curve in ret.groupby("firm"):
        s = curve.sort_values("tenure_days").surviving.to_numpy()
        assert s[0] == 1.0
        assert (np.diff(s) <= 1e-12).all()
    # Mesa side: the agents mirror the arrays
    if cfg["consumer_agents"]:
        assert len(m.agents) == n + n_firms
    assert [f.customers for f in m.firms] == list(m.world.customers)


# --------------------------------------------------------------------------- determinism and common random numbers

def _model(seed: int, **focal) -> RelationshipModel:
    return small_model(consumers=300, days=60, rng=seed, rivals=[{}], network="watts_strogatz", **focal)


def test_same_seed_gives_identical_runs() -> None:
    a, b = _model(7).run(), _model(7).run()
    pd.testing.assert_frame_equal(runs(a, None), runs(b, None))
    pd.testing.assert_frame_equal(a.recorder.retention(), b.recorder.retention())
    pd.testing.assert_frame_equal(a.recorder.evidence_table(), b.recorder.evidence_table())
    c = _model(8).run()
    assert not runs(a, None).equals(runs(c, None))


@pytest.mark.parametrize("engine", ["vectorized", "agents"])
def test_a_seed_fixes_every_channels_contacts_and_sales_in_both_engines(engine: str) -> None:
    """Determinism with every channel in use and a phone-heavy focal firm: the per-channel columns repeat exactly."""
    def run() -> pd.DataFrame:
        m = small_model(consumers=200, days=40, rng=4, rivals=[{}], mail_rate=40.0, email_rate=30.0, phone_rate=52.0)
        if engine == "agents":
            m = RelationshipModel(m.firms[0].strategy, m.market, rivals=[m.firms[1].strategy], days=40, rng=4,
                                  engine="agents")
        return runs(m.run(), None)
    a, b = run(), run()
    pd.testing.assert_frame_equal(a, b)
    assert all(a[f"contacts_{c}"].sum() > 0 for c in CHANNELS) and a.prospect_contacts.sum() > 0
    assert a[[f"sales_{c}" for c in CHANNELS]].to_numpy().sum() > 0


def test_a_run_without_the_datacollector_records_the_same_and_follows_a_changed_lever() -> None:
    collected, plain = _model(5), _model(5)
    plain.collect = False  # as RelationshipModel(collect=False), which the command's runs use
    for m in (collected, plain):
        for _ in range(20):
            m.step()
        m.set_strategy(0, mail_rate=77.0)  # the recorder reads the levers again after a change
        m.run()
    pd.testing.assert_frame_equal(runs(collected, None), runs(plain, None))
    assert len(collected.datacollector.get_model_vars_dataframe()) == 60
    assert plain.datacollector.get_model_vars_dataframe().empty
    rate = runs(plain).mail_rate.to_numpy()
    assert (rate[:20] == rate[0]).all() and rate[0] != 77.0
    assert (rate[20:] == 77.0).all()


def test_same_seed_with_consumer_agents_gives_identical_runs() -> None:
    plain = _model(3).run()
    agents = small_model(consumers=300, days=60, rng=3, rivals=[{}], network="watts_strogatz",
                         consumer_agents=True).run()
    pd.testing.assert_frame_equal(runs(plain, None), runs(agents, None))


def test_a_different_focal_strategy_sees_the_same_population_and_network() -> None:
    base = _model(11)
    other = _model(11, mail_rate=200.0, phone_rate=30.0, inbound_capacity=0.0, support_fee=20.0, listening=0.9,
                   price=45.0, assortment_cut=0.5)
    for f in dataclasses.fields(base.world.traits):
        np.testing.assert_array_equal(getattr(base.world.traits, f.name), getattr(other.world.traits, f.name),
                                      err_msg=f.name)
    assert (base.world.adj != other.world.adj).nnz == 0
    assert base.world.adj.nnz > 0
    np.testing.assert_array_equal(base.world.provider, other.world.provider)
    np.testing.assert_array_equal(base.world.shock_draw, other.world.shock_draw)
    np.testing.assert_array_equal(base.world.pos, other.world.pos)
    # and after running, the strategies did make a difference
    base.run()
    other.run()
    assert not runs(base).equals(runs(other))


def test_strategy_ranges_are_what_the_property_test_draws() -> None:
    """The property test's caps cover exactly the open-ended Strategy fields."""
    open_ended = {f.name for f in dataclasses.fields(Strategy) if f.metadata["hi"] is None}
    assert open_ended == set(CAPS)
    assert set(BEHAVIOUR) <= {f.name for f in dataclasses.fields(Behaviour)}
    assert strategy(phone_rate=365.0).phone_rate == 365.0
    with pytest.raises(ValueError, match="phone_rate"):
        strategy(phone_rate=366.0)
    assert make_market(50, 3).rivals == ["middle", "middle"]


# --------------------------------------------------------------------------- one rule, two engines

MECHANISMS = (assortment, churn, contacts, economics, fees, intimacy, responsiveness, stress, support, trust, voice,
              word_of_mouth)
#: Values a rule's argument is drawn from, by its annotation.
ARGUMENTS = {"float": st.floats(0.01, 4.0), "int": st.integers(0, 400), "bool": st.booleans()}


def _rules() -> list:
    """The rule functions: compiled functions of the mechanism modules taking only numbers and `b`."""
    found = []
    for module in MECHANISMS:
        for name, rule in vars(module).items():
            if hasattr(rule, "py_func") and rule.py_func.__module__ == module.__name__ and not name.startswith("_"):
                params = inspect.signature(rule.py_func).parameters.values()
                if all(p.name == "b" or p.annotation in ARGUMENTS for p in params):
                    found.append(pytest.param(rule, id=f"{module.__name__.split('.')[-1]}.{name}"))
    return found


RULES = _rules()


def test_every_mechanism_module_has_rules() -> None:
    assert {rule.values[0].py_func.__module__ for rule in RULES} == {m.__name__ for m in MECHANISMS}
    assert len(RULES) >= 30


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_rule_gives_the_same_numbers_compiled_and_as_plain_python(rule, data) -> None:
    b = _params()
    args = [b if p.name == "b" else data.draw(ARGUMENTS[p.annotation], label=p.name)
            for p in inspect.signature(rule.py_func).parameters.values()]
    assert rule(*args) == rule.py_func(*args)


@functools.cache
def _params():
    """The behaviour and market parameters as the compiled rules get them (defaults)."""
    return make_world(consumers=10).kernel()[1]


def test_the_model_modules_import_each_other_without_a_cycle() -> None:
    """Runtime imports among sim/ modules form no cycle (imports for type checking only do not run)."""
    package = Path(relsim.__file__).parent
    modules = {p.stem for p in package.glob("*.py")} - {"__init__"}
    graph = {}
    for name in modules:
        tree = ast.parse((package / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        imported = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            # sim/ imports itself relatively (from .world import ..., from . import trust); relsim.x is the same
            module = node.module if node.level == 0 else ".".join(filter(None, ["relsim", node.module]))
            if module and module.split(".")[0] == "relsim":
                imported |= {a.name for a in node.names} if module == "relsim" else {module.split(".")[1]}
        graph[name] = imported & modules
    order = list(TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert order.index("trust") < order.index("world") < order.index("vectorized")
