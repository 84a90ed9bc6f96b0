"""The model's state: whole-population NumPy arrays, random streams, the evidence ledger.

Consumer x firm arrays have shape (n, F); consumer arrays shape (n,); firm arrays shape (F,).
Each consumer is a customer of at most one firm (`provider`, -1 for none); trust, intimacy and fit
exist for every consumer x firm pair, so prospects hold opinions of firms too.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from sim.params import Market, Strategy
from sim.population import Traits, build_network, draw_traits

#: Random streams, one per stochastic process (children of the run's SeedSequence, in this order).
STREAMS = ("population", "network", "contacts", "problems", "support", "voice", "listening", "churn", "shock")

#: Causes of trust evidence (docs/SCHEMA.md, evidence.parquet).
CAUSES = ("usage", "contacts", "data_requests", "problems", "unreached", "heard", "resolved", "unresolved",
          "support_fees", "nuisance_fees", "assortment", "spin", "answered", "word_of_mouth", "exit_talk")
CAUSE = {c: k for k, c in enumerate(CAUSES)}

#: Per-firm daily counters, reset each morning (docs/SCHEMA.md, runs.parquet).
COUNTERS = ("acquired", "churned", "contacts", "problems", "tickets", "tickets_reached", "tickets_resolved",
            "fees", "complaints_private", "complaints_public", "posts_positive", "complaints_answered",
            "revenue", "cost", "staffed")


class FirmArrays:
    """The firms' strategies as arrays: `fa.contact_rate[f]` is firm f's contact rate."""

    def __init__(self, strategies: list[Strategy]):
        self.strategies = strategies
        for f in dataclasses.fields(Strategy):
            setattr(self, f.name, np.array([getattr(s, f.name) for s in strategies], dtype=float))


@dataclasses.dataclass
class World:
    """Everything a day's rules read and write."""

    market: Market
    firms: FirmArrays
    traits: Traits
    adj: sp.csr_matrix
    rng: dict[str, np.random.Generator]
    day: int = 0
    # consumer x firm
    pos: np.ndarray = None  # positive trust evidence (after forgetting)
    neg: np.ndarray = None  # negative trust evidence, weighted by the negativity bias
    intimacy: np.ndarray = None
    fit: np.ndarray = None
    pos_today: np.ndarray = None  # raw evidence received today
    neg_today: np.ndarray = None
    contacted: np.ndarray = None  # bool: firm contacted consumer today
    # consumer
    provider: np.ndarray = None
    tenure: np.ndarray = None
    stress: np.ndarray = None
    load: np.ndarray = None
    open_severity: np.ndarray = None  # severity of the open problem with the provider, 0 = none
    open_days: np.ndarray = None
    seeking: np.ndarray = None  # calls support about the open problem
    calls: np.ndarray = None  # calls made about the open problem
    cohort: np.ndarray = None  # day-0 provider, -1 for none
    cohort_alive: np.ndarray = None
    shock_draw: np.ndarray = None
    wom_heard: np.ndarray = None  # negative posts about its provider a consumer heard yesterday (evidence)
    direct_neg: np.ndarray = None  # today's direct negative experience with the provider (drives voice)
    direct_pos: np.ndarray = None
    stress_in: np.ndarray = None  # today's stressors
    relief_in: np.ndarray = None  # today's stress relief
    exchanges: np.ndarray = None  # today's two-way exchanges with the provider
    # firm
    problem_rate: np.ndarray = None
    npv: np.ndarray = None
    today: dict[str, np.ndarray] = None
    evidence: np.ndarray = None  # today's evidence by (sign, cause, firm) among the firm's customers
    # today's events handed from one phase to the next
    private_complaints: np.ndarray = None  # consumer indices
    public_posts: np.ndarray = None
    praise_posts: np.ndarray = None
    defections: tuple[np.ndarray, np.ndarray] = None  # (consumers, firms they left) yesterday

    @property
    def n(self) -> int:
        return self.provider.shape[0]

    @property
    def n_firms(self) -> int:
        return self.pos.shape[1]

    @property
    def customers(self) -> np.ndarray:
        """Customers per firm."""
        return np.bincount(self.provider[self.provider >= 0], minlength=self.n_firms)

    def trust(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Trust of consumers `rows` (default all) in every firm: the mean of the Beta evidence."""
        p0 = self.market.behaviour.prior_evidence / 2
        pos, neg = self.pos[rows], self.neg[rows]
        return (p0 + pos) / (2 * p0 + pos + neg)

    def provider_trust(self) -> np.ndarray:
        """Each consumer's trust in its provider (0.5 for consumers without one)."""
        p0 = self.market.behaviour.prior_evidence / 2
        rows = np.flatnonzero(self.provider >= 0)
        out = np.full(self.n, 0.5)
        a, b = self.pos[rows, self.provider[rows]], self.neg[rows, self.provider[rows]]
        out[rows] = (p0 + a) / (2 * p0 + a + b)
        return out

    def add(self, sign: str, cause: str, rows: np.ndarray, firms: np.ndarray, amount, direct: bool = False) -> None:
        """Add trust evidence about `firms[k]` to consumer `rows[k]` (pairs are unique in one call).

        `direct` marks the consumer's own experience with its provider, which drives voice.
        """
        if len(rows) == 0:
            return
        amount = np.broadcast_to(np.asarray(amount, dtype=float), rows.shape)
        (self.pos_today if sign == "positive" else self.neg_today)[rows, firms] += amount
        own = self.provider[rows] == firms
        self.evidence[int(sign == "positive"), CAUSE[cause]] += np.bincount(
            firms[own], weights=amount[own], minlength=self.n_firms)
        if direct:
            target = self.direct_pos if sign == "positive" else self.direct_neg
            np.add.at(target, rows[own], amount[own])

    def count(self, name: str, firms: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add events of firms `firms` to today's counter `name`."""
        self.today[name] += np.bincount(firms, weights=weights, minlength=self.n_firms)


def create_world(strategies: list[Strategy], market: Market, seed: np.random.SeedSequence) -> World:
    """Draw the population and network and set up day 0, each from its own random stream."""
    rng = dict(zip(STREAMS, (np.random.default_rng(s) for s in seed.spawn(len(STREAMS))), strict=True))
    n, n_firms = market.consumers, len(strategies)
    traits = draw_traits(market.population, n, n_firms, rng["population"])
    # who is a customer of whom on day 0 (population stream: independent of the strategies)
    join = rng["population"].random(n) < market.initial_penetration
    provider = np.where(join, rng["population"].integers(0, n_firms, n), -1)
    b = market.behaviour
    w = World(market=market, firms=FirmArrays(strategies), traits=traits,
              adj=build_network(market.network, n, rng["network"]), rng=rng)
    w.pos, w.neg = np.zeros((n, n_firms)), np.zeros((n, n_firms))
    # day-0 customers hold evidence of mass initial_evidence whose Beta mean is their initial trust
    rows = np.flatnonzero(provider >= 0)
    p0, mass = b.prior_evidence / 2, b.initial_evidence
    trust0 = np.clip(traits.initial_trust[rows], p0 / (2 * p0 + mass), (p0 + mass) / (2 * p0 + mass))
    w.pos[rows, provider[rows]] = trust0 * (2 * p0 + mass) - p0
    w.neg[rows, provider[rows]] = mass - w.pos[rows, provider[rows]]
    w.intimacy, w.fit = np.zeros((n, n_firms)), traits.fit.copy()
    w.pos_today, w.neg_today = np.zeros((n, n_firms)), np.zeros((n, n_firms))
    w.contacted = np.zeros((n, n_firms), dtype=bool)
    w.provider, w.tenure = provider, np.zeros(n, dtype=np.int64)
    w.stress, w.load = np.zeros(n), np.zeros(n)
    w.open_severity, w.open_days = np.zeros(n), np.zeros(n, dtype=np.int64)
    w.seeking, w.calls = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    w.cohort, w.cohort_alive = provider.copy(), provider >= 0
    w.shock_draw = rng["shock"].random(n)
    w.problem_rate = w.firms.problem_rate.copy()
    w.npv = np.zeros(n_firms)
    w.defections = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    w.direct_neg, w.direct_pos, w.wom_heard = np.zeros(n), np.zeros(n), np.zeros(n)
    w.stress_in, w.relief_in, w.exchanges = np.zeros(n), np.zeros(n), np.zeros(n)
    w.evidence = np.zeros((2, len(CAUSES), n_firms))
    w.today = {k: np.zeros(n_firms) for k in COUNTERS}
    return w


def begin_day(w: World) -> None:
    """Advance the clock and tenure, and clear today's accumulators."""
    w.day += 1
    w.tenure[w.provider >= 0] += 1
    for arr in (w.pos_today, w.neg_today, w.direct_neg, w.direct_pos, w.stress_in, w.relief_in,
                w.exchanges, w.evidence):
        arr.fill(0)
    w.contacted.fill(False)
    for v in w.today.values():
        v.fill(0)
