"""Shared helpers for the mechanism and property tests.

A mechanism test (tests/test_<module>.py, one file per module of sim/) shows the direction of its
mechanism's rules on a tiny hand-set population: it builds a World, hand-sets the state the mechanism
reads, calls the phase function(s), and compares two settings on the same seed; or it runs a short
RelationshipModel with the other mechanisms switched off (`FROZEN`: nobody churns or joins). None
asserts which strategy wins overall: the paradox must emerge, never be written into a test.

`make_world` builds a tiny World through sim.world.create_world (the same path the model takes),
then lets a test hand-set who is a customer of whom and any trait or state array; a test calls the
individual phase functions (sim/contacts.py, sim/support.py, ...) on it. `small_model` builds a
short RelationshipModel (monopoly, no network, no consumer agents by default) for tests that need
the whole daily schedule. Comparisons use the same seed in both settings (common random numbers).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.model import RelationshipModel
from relsim.params import CHANNELS, Behaviour, Channels, Dist, Market, Network, Population, Strategy, build
from relsim.world import CAUSE, World, create_world


#: Behaviour in which nobody churns or joins: the same customers in every arm, so arms differ only by the
#: mechanism under test.
FROZEN = {"base_churn": 0.0, "acquisition_rate": 0.0}
#: A firm that contacts its customers by mail only (the other channels' rates 0).
MAIL_ONLY = {"email_rate": 0.0, "phone_rate": 0.0}


def const(value: float) -> Dist:
    """A trait that is the same for every consumer."""
    return Dist("constant", float(value), 0.0)


def strategy(base: Strategy | Mapping[str, Any] | None = None, **fields) -> Strategy:
    """A validated Strategy: the defaults (or `base`) with `fields` overridden."""
    if isinstance(base, Strategy):
        data = {**dataclasses.asdict(base), **fields}
    else:
        data = {**(base or {}), **fields}
    return build(Strategy, data, "strategy")


def channel_table(base: Channels | None = None, **channels: Mapping[str, Any]) -> Channels:
    """The market's channel table (default: Market's), with fields of named channels overridden, e.g.
    `channel_table(mail={"intrusiveness": 0.0}, phone={"load": 1.0})`; `every={...}` overrides every channel."""
    base = base or Channels()
    every = channels.pop("every", {})
    return build(Channels, {c: {**dataclasses.asdict(base.of(c)), **every, **channels.get(c, {})} for c in CHANNELS},
                 "market.channels")


#: Channels that add no intrusion evidence (so a contact's evidence is welcome or burden only).
GENTLE = channel_table(every={"intrusiveness": 0.0})


def make_market(consumers: int = 500, n_firms: int = 1, *, behaviour: Mapping[str, Any] | None = None,
                population: Mapping[str, Any] | None = None, network: str = "none", degree: int = 10,
                rewire: float = 0.1, penetration: float = 1.0, **market_fields) -> Market:
    """A Market with `n_firms - 1` rivals; behaviour and population given as field overrides.

    A population value may be a Dist or a number (a constant trait). `channels=` takes a Channels table
    (`channel_table(...)`).
    """
    pop = {k: (v if isinstance(v, Dist) else const(v)) for k, v in (population or {}).items()}
    return Market(consumers=consumers, rivals=["middle"] * (n_firms - 1), initial_penetration=penetration,
                  network=Network(generator=network, degree=degree, rewire=rewire),
                  population=dataclasses.replace(Population(), **pop),
                  behaviour=dataclasses.replace(Behaviour(), **(behaviour or {})), **market_fields)


def make_world(*strategies: Strategy | Mapping[str, Any], consumers: int = 500, seed: int = 0,
               behaviour: Mapping[str, Any] | None = None, population: Mapping[str, Any] | None = None,
               network: str = "none", degree: int = 10, rewire: float = 0.1, penetration: float = 1.0,
               provider: int | np.ndarray | None = None, day: int = 1, **market_fields) -> World:
    """A tiny World on day `day` (accumulators clear), built by sim.world.create_world.

    `strategies` are Strategy objects or dicts of overrides (default: one default firm).
    `provider` hand-sets who is a customer of whom: an int makes everyone a customer of that firm,
    an array sets each consumer's provider (-1 none); day-0 trust evidence and cohorts follow.
    """
    strats = [s if isinstance(s, Strategy) else strategy(s) for s in (strategies or ({},))]
    market = make_market(consumers, len(strats), behaviour=behaviour, population=population, network=network,
                         degree=degree, rewire=rewire, penetration=penetration, **market_fields)
    w = create_world(strats, market, np.random.SeedSequence(seed))
    if provider is not None:
        set_provider(w, provider)
    w.day = day
    return w


def set_provider(w: World, provider: int | np.ndarray) -> None:
    """Hand-set providers and give each customer the day-0 evidence about its provider only."""
    prov = np.broadcast_to(np.asarray(provider, dtype=np.int64), (w.n,)).copy()
    w.provider[:] = prov
    b = w.market.behaviour
    w.pos[:], w.neg[:] = 0.0, 0.0
    rows = np.flatnonzero(prov >= 0)
    w.pos[rows, prov[rows]] = w.traits.initial_trust[rows] * b.initial_evidence
    w.neg[rows, prov[rows]] = (1 - w.traits.initial_trust[rows]) * b.initial_evidence
    w.cohort[:] = prov
    w.cohort_alive[:] = prov >= 0
    w.recount()


def set_trust(w: World, trust: float | np.ndarray, mass: float = 10.0) -> None:
    """Set every consumer's evidence about every firm so that trust is `trust` (rows broadcast)."""
    p0 = w.market.behaviour.prior_evidence / 2
    t = np.broadcast_to(np.asarray(trust, dtype=float), (w.n,))[:, None]
    total = 2 * p0 + mass
    w.pos[:] = t * total - p0
    w.neg[:] = (1 - t) * total - p0
    assert (w.pos >= 0).all() and (w.neg >= 0).all(), "mass too small for this trust"


def set_traits(w: World, **values) -> None:
    """Overwrite consumer traits in place (values broadcast to the trait's shape)."""
    for name, value in values.items():
        getattr(w.traits, name)[...] = value


def evidence(w: World, sign: str, cause: str, firm: int = 0) -> float:
    """Today's evidence of `cause` received by firm `firm`'s customers (the ledger)."""
    return float(w.evidence[int(sign == "positive"), CAUSE[cause], firm])


def small_model(*, consumers: int = 400, days: int = 60, rng: int = 1,
                rivals: Sequence[Strategy | Mapping[str, Any]] = (), behaviour: Mapping[str, Any] | None = None,
                population: Mapping[str, Any] | None = None, network: str = "none", degree: int = 10,
                consumer_agents: bool = False, market: Market | None = None,
                **focal) -> RelationshipModel:
    """A short RelationshipModel: monopoly without a network by default; `focal` overrides the focal firm.

    Rivals are Strategy objects or dicts of overrides; `market` replaces the whole market if given.
    """
    rival_strats = [s if isinstance(s, Strategy) else strategy(s) for s in rivals]
    if market is None:
        market = make_market(consumers, 1 + len(rival_strats), behaviour=behaviour, population=population,
                             network=network, degree=degree,
                             penetration=Market().initial_penetration)
    return RelationshipModel(strategy(**focal), market, rivals=rival_strats, days=days, rng=rng,
                             consumer_agents=consumer_agents)


def run_model(**kw) -> RelationshipModel:
    """`small_model(**kw)` run to its horizon."""
    return small_model(**kw).run()


def runs(model: RelationshipModel, firm: int | None = 0) -> pd.DataFrame:
    """The model's runs table, for one firm (default the focal one) or all (firm=None)."""
    table = model.recorder.runs()
    return table if firm is None else table[table.firm == firm].reset_index(drop=True)


def relsim_command(*args: str, cwd: Path, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed `relsim` console script (next to this interpreter) with arguments; output captured."""
    script = Path(sys.executable).with_name("relsim")
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
