"""The state of a market as arrays: consumers, consumer x firm pairs, firms, and today's evidence ledger.

Consumer x firm arrays have shape (n, F); consumer arrays shape (n,); firm arrays shape (F,).
Each consumer is a customer of at most one firm (`provider`, -1 for none); trust, intimacy and fit
exist for every consumer x firm pair, so prospects hold opinions of firms too.

The daily rules (sim/contacts.py ... sim/economics.py) are compiled loops (numba) over these arrays.
They reach the arrays through `World.kernel()`: the state `s` and the firms' strategies `fa` as
numba struct references (one pointer, so passing them between the rules costs nothing and the rules
compile in seconds; ~60 arrays passed by value took minutes), and the behaviour and market
parameters `b` as a named tuple of floats. Reading a field of a struct reference costs a reference
count, so the rules' loops read the arrays they need into local names first. Replacing an attribute
(e.g. `w.adj = ...`, `w.firms = FirmArrays(...)`) is picked up by the next phase; writing into an
array in place is too.
"""

from __future__ import annotations

import dataclasses
from collections import namedtuple

import numpy as np
import scipy.sparse as sp
from numba import njit, types
from numba.extending import intrinsic
from numba.experimental import structref

from .params import (CHANNELS, MAX_SEGMENTS, PROSPECTING, SEGMENT_LEVERS, Behaviour, Channel, ConfigError, Market,
                     Segment, Strategy)
from .population import TRAITS, Traits, build_network, draw_traits
from .rand import NEVER, exponential, keyed_uniform, seed_streams
from .trust import beta_mean, initial_range, prior, routes

#: Random streams: children of the run's SeedSequence, in this order. The first two and `shock`'s
#: uniform draws are used at day 0 (NumPy generators); the others drive the daily events.
STREAMS = ("population", "network", "contacts", "problems", "support", "voice", "listening", "churn", "shock",
           "clutter", "acquisition", "response")
#: Rows of `World.streams` (the daily processes' xoshiro256** states).
DAILY = STREAMS[2:]
(R_CONTACTS, R_PROBLEMS, R_SUPPORT, R_VOICE, R_LISTENING, R_CHURN, R_SHOCK, R_CLUTTER, R_ACQUISITION,
 R_RESPONSE) = range(len(DAILY))

#: Causes of trust evidence (docs/SCHEMA.md, evidence.parquet).
CAUSES = ("usage", "contacts", "data_requests", "problems", "unreached", "heard", "resolved", "unresolved",
          "support_fees", "nuisance_fees", "assortment", "spin", "answered", "word_of_mouth", "exit_talk")
CAUSE = {c: k for k, c in enumerate(CAUSES)}
(USAGE, CONTACTS, DATA_REQUESTS, PROBLEMS, UNREACHED, HEARD, RESOLVED, UNRESOLVED, SUPPORT_FEES, NUISANCE_FEES,
 ASSORTMENT, SPIN, ANSWERED, WORD_OF_MOUTH, EXIT_TALK) = range(len(CAUSES))
NEGATIVE, POSITIVE = 0, 1

#: The outbound channels (sim/params.py): channel c of a firm is `CHANNELS[c]`; prospecting goes by PROSPECT.
N_CHANNELS = len(CHANNELS)
PROSPECT = CHANNELS.index(PROSPECTING)

#: Per-firm daily counters, reset each morning (docs/SCHEMA.md, runs.parquet). The per-channel ones count
#: contacts to the firm's customers and the sales they bring, channel by channel; `prospect_contacts` the
#: acquisition contacts to prospects (contacts = their sum).
COUNTERS = ("acquired", "churned", "contacts", "problems", "tickets", "tickets_reached", "tickets_resolved",
            "fees", "complaints_private", "complaints_public", "posts_positive", "complaints_answered",
            "revenue", "cost", "staffed", "contact_sales", "sales_revenue", "spend",
            *(f"contacts_{c}" for c in CHANNELS), "prospect_contacts", *(f"sales_{c}" for c in CHANNELS))
(N_ACQUIRED, N_CHURNED, N_CONTACTS, N_PROBLEMS, N_TICKETS, N_REACHED, N_RESOLVED, N_FEES, N_PRIVATE, N_PUBLIC,
 N_PRAISE, N_ANSWERED, N_REVENUE, N_COST, N_STAFFED, N_SALES, N_SALES_REVENUE, N_SPEND) = range(18)
#: Row of channel c's contacts to customers (N_CHANNEL_CONTACTS + c) and sales (N_CHANNEL_SALES + c).
N_CHANNEL_CONTACTS = COUNTERS.index(f"contacts_{CHANNELS[0]}")
N_PROSPECT_CONTACTS = COUNTERS.index("prospect_contacts")
N_CHANNEL_SALES = COUNTERS.index(f"sales_{CHANNELS[0]}")

#: Today's event lists handed from one phase to the next (counts in `World.n_events`).
E_PRIVATE, E_PUBLIC, E_PRAISE, E_DEFECTIONS, E_EPISODES = range(5)

#: How a problem episode ends (observed with RelationshipModel(record_episodes=True); DESIGN.md fact 4):
#: resolved at the first call, resolved at a later call, unresolved (the caller gave up, or left while
#: calling), silent (never called: the problem faded, or the customer left with it).
EPISODE_OUTCOMES = ("quick", "resolved", "unresolved", "silent")
QUICK, RESOLVED_LATER, UNRESOLVED_END, SILENT = range(len(EPISODE_OUTCOMES))

_F1, _F2, _I1, _B1 = types.float64[::1], types.float64[:, ::1], types.int64[::1], types.boolean[::1]
_B2, _U2, _F3, _F4 = types.boolean[:, ::1], types.uint64[:, ::1], types.float64[:, :, ::1], types.float64[:, :, :, ::1]

#: Arrays of the state tuple that the World holds as attributes of the same name.
ARRAYS = (
    # consumer x firm
    "pos", "neg", "intimacy", "fit", "pos_today", "neg_today", "contacted",
    # consumer
    "provider", "tenure", "stress", "load", "open_severity", "open_days", "seeking", "calls", "cohort",
    "cohort_alive", "shock_draw", "wom_heard", "direct_neg", "direct_pos", "stress_in", "relief_in", "exchanges",
    "next_problem", "fade_day", "private_clock", "public_clock", "praise_clock", "churn_clock", "join_clock",
    "left_day", "episode_start", "cell",
    # consumer x firm: what the firm has made from the consumer (RelationshipModel(accounts=True))
    "account",
    # firm x cell: a cell's staffing cost per customer today (support.py); its customers at the start of the day and
    # its departures (kind x firm x cell), and their log by day (the recorder's; day x kind x firm x cell)
    "cell_cost", "cell_today", "cell_log",
    # firm
    "problem_rate", "npv", "firm_customers", "today_arr", "evidence", "call_forecast",
    # today's events and scratch space
    "private_buf", "public_buf", "praise_buf", "defect_buf", "defect_firm", "n_events", "pairs",
    "episode_buf", "episode_firm", "episode_outcome", "observe",
    # clock and random streams
    "clock", "problem_cap", "streams", "contact_streams",
    # the calendar (sim/calendar.py): today's dated events, and the assortment cut so far
    "cut_today", "shock_today", "cut_share",
)
TYPES = dict(pos=_F2, neg=_F2, account=_F2, cell_cost=_F2, cell_today=_F3, cell_log=_F4, intimacy=_F2, fit=_F2, pos_today=_F2, neg_today=_F2, contacted=_B2,
             seeking=_B1, cohort_alive=_B1, cut_today=_B1, shock_today=_B1, observe=_B1, today_arr=_F2,
             evidence=types.float64[:, :, ::1], streams=_U2,
             contact_streams=_U2, adj_idx=types.int32[::1],
             **dict.fromkeys(("provider", "tenure", "open_days", "calls", "cohort", "next_problem", "fade_day",
                              "left_day", "firm_customers", "private_buf", "public_buf", "praise_buf", "defect_buf",
                              "defect_firm", "n_events", "pairs", "clock", "adj_ptr", "episode_start", "episode_buf",
                              "episode_firm", "episode_outcome", "cell"), _I1))


_DTYPES = {k: (bool if str(t.dtype) == "bool" else np.dtype(str(t.dtype))) for k, t in TYPES.items()}


@structref.register
class StateType(types.StructRef):
    """numba type of the state: one reference to a struct of arrays (cheap to pass between rules)."""


@structref.register
class FirmsType(types.StructRef):
    """numba type of the firms' strategies (one array per Strategy field)."""


class State(structref.StructRefProxy):
    """The compiled rules' view of a World's arrays (the same memory)."""


class Firms(structref.StructRefProxy):
    """The compiled rules' view of the firms' strategies."""


STATE_FIELDS = (*ARRAYS, *TRAITS, "adj_ptr", "adj_idx")
#: The firms' strategies: one array per Strategy field, and `channel_rate` (firm x channel, the rates in
#: the order of CHANNELS) so that the rules can loop over channels; then the firms' segments as cells (firm x
#: cell; cell 0 holds the customers in no segment, cell k > 0 segment k - 1; docs/ODD.md §7.22): how many cells
#: each firm has, each cell's share, tenure band and salt, its levers (firm x cell x SEGMENT_LEVERS) and the
#: channels it uses.
CELL_FIELDS = ("cell_count", "cell_share", "cell_from", "cell_to", "cell_salt", "cell_lever", "cell_in_use")
FIRM_FIELDS = (*(f.name for f in dataclasses.fields(Strategy)), "channel_rate", *CELL_FIELDS)
_FIRM_TYPES = {"channel_rate": _F2, "cell_lever": _F3, **dict.fromkeys(CELL_FIELDS[1:5] + CELL_FIELDS[6:], _F2)}
STATE_TYPE = StateType([(k, TYPES.get(k, _F1)) for k in STATE_FIELDS])
FIRMS_TYPE = FirmsType([(k, _FIRM_TYPES.get(k, _F1)) for k in FIRM_FIELDS])
#: Where each segmented lever sits in `cell_lever`'s last axis (the channel rates first, at their channel's index).
(L_DATA_REQUESTS, L_INBOUND_CAPACITY, L_RESOLUTION_QUALITY, L_SUPPORT_FEE, L_SUPPORT_FREE_DAYS,
 L_NUISANCE_FEE) = (SEGMENT_LEVERS.index(k) for k in ("data_requests", "inbound_capacity", "resolution_quality",
                                                      "support_fee", "support_free_days", "nuisance_fee"))
#: The key of segment draws (rand.keyed_uniform(response stream, consumer, SEGMENT_KEY + firm x (MAX_SEGMENTS + 1)
#: + cell, salt)) and of the thinning of a cell's contacts (THIN_KEY + firm x N_CHANNELS + channel, day): beyond
#: every key of the contact response (firm x N_CHANNELS + channel).
SEGMENT_KEY, THIN_KEY = 1 << 40, 1 << 41
structref.define_boxing(StateType, State)
structref.define_boxing(FirmsType, Firms)
_StateTuple = namedtuple("_StateTuple", STATE_FIELDS)
_FirmsTuple = namedtuple("_FirmsTuple", FIRM_FIELDS)
#: The behaviour and market parameters the rules get (`b`): every Behaviour field, a few market fields, and
#: the channel table as one tuple per Channel field, in the order of CHANNELS (`b.channel_cost[c]`, ...).
CHANNEL_FIELDS = tuple(f"channel_{f.name}" for f in dataclasses.fields(Channel))
Params = namedtuple("Params", (*(f.name for f in dataclasses.fields(Behaviour)), "reference_price",
                               "discount_rate", "shock_share", "shock_severity", "shock_firm", *CHANNEL_FIELDS))


class FirmArrays:
    """The firms' strategies as arrays: `fa.mail_rate[f]` is firm f's mail rate, `fa.channel_rate[f, c]` its rate
    in channel c (of CHANNELS); with `segments` (a list of Segment lists, one per firm), the cells of CELL_FIELDS:
    `fa.cell_lever[f, k, SEGMENT_LEVERS.index(name)]` is lever `name` of firm f's cell k (cell 0: the strategy's
    levers)."""

    def __init__(self, strategies: list[Strategy], segments: list[list[Segment]] | None = None):
        self.strategies = strategies
        for f in dataclasses.fields(Strategy):
            setattr(self, f.name, np.array([getattr(s, f.name) for s in strategies], dtype=float))
        self.channel_rate = np.array([s.rates for s in strategies], dtype=float).reshape(len(strategies), N_CHANNELS)
        self.segments = [list(x) for x in segments] if segments is not None else [[] for _ in strategies]
        cells = 1 + max((len(x) for x in self.segments), default=0)
        n = len(strategies)
        self.cell_count = np.array([1 + len(x) for x in self.segments], dtype=float)
        self.cell_share, self.cell_from, self.cell_salt = np.ones((n, cells)), np.zeros((n, cells)), np.zeros((n, cells))
        self.cell_to = np.full((n, cells), np.inf)
        base = np.array([[getattr(s, k) for k in SEGMENT_LEVERS] for s in strategies], dtype=float).reshape(n, -1)
        self.cell_lever = np.repeat(base[:, None, :], cells, axis=1)
        for f, segs in enumerate(self.segments):
            for k, seg in enumerate(segs, start=1):
                self.cell_share[f, k], self.cell_salt[f, k] = seg.share, seg.salt
                self.cell_from[f, k], self.cell_to[f, k] = seg.tenure_from, seg.tenure_to
                for name, value in seg.levers.items():
                    self.cell_lever[f, k, SEGMENT_LEVERS.index(name)] = value
        self.cell_in_use = (self.cell_lever[:, :, :N_CHANNELS] > 0).sum(axis=2).astype(float)
        #: each firm's cells as strategies (cell 0: the strategy itself), for the reference engine
        self.cell_strategies = [[s, *(self.cell_strategy(f, k) for k in range(1, 1 + len(self.segments[f])))]
                                for f, s in enumerate(strategies)]

    def cell_strategy(self, f: int, k: int) -> Strategy:
        """The levers firm f's cell k gets: its strategy with the cell's segmented levers."""
        return dataclasses.replace(self.strategies[f], **{name: float(self.cell_lever[f, k, i])  # checked: whole days
                                                          for i, name in enumerate(SEGMENT_LEVERS)})


class World:
    """Everything a day's rules read and write (attributes: the names in `ARRAYS`, plus those below)."""

    market: Market
    firms: FirmArrays
    traits: Traits
    adj: sp.csr_matrix

    def __init__(self, market: Market, firms: FirmArrays, traits: Traits, adj: sp.csr_matrix):
        object.__setattr__(self, "_packed", None)
        self.market, self.firms, self.traits, self.adj = market, firms, traits, adj

    def __setattr__(self, name, value) -> None:
        object.__setattr__(self, name, value)
        object.__setattr__(self, "_packed", None)  # the next phase repacks

    def kernel(self) -> tuple[State, Params, Firms]:
        """The state, parameters and strategies for the compiled rules (arrays shared, not copied)."""
        if self._packed is None:
            m = self.market
            adj = self.adj.tocsr()
            arrays = {k: self._array(k, getattr(self, k)) for k in ARRAYS}
            arrays.update({k: self._array(k, getattr(self.traits, k), self.traits) for k in TRAITS})
            s = _pack_state(_StateTuple(**arrays, adj_ptr=adj.indptr.astype(np.int64),
                                        adj_idx=adj.indices.astype(np.int32, copy=False)))
            b = Params(**{k: float(v) for k, v in dataclasses.asdict(m.behaviour).items()},
                       reference_price=float(m.reference_price), discount_rate=float(m.discount_rate),
                       shock_share=float(m.shock.share),
                       shock_severity=float(m.shock.severity), shock_firm=float(m.shock.firm),
                       **channel_table(m))
            fa = _pack_firms(_FirmsTuple(*(np.ascontiguousarray(getattr(self.firms, k), dtype=float)
                                           for k in FIRM_FIELDS)))
            object.__setattr__(self, "_packed", (s, b, fa))
        return self._packed

    def copy(self) -> World:
        """A world with copies of every array (the market is shared: it is immutable). Taken before a model's first
        day, it is that model's day 0, from which `create_world(..., like=...)` builds the day 0 of another model
        with the same market and seed without drawing it again."""
        traits = dataclasses.replace(self.traits, **{f.name: getattr(self.traits, f.name).copy()
                                                     for f in dataclasses.fields(self.traits)})
        w = World(self.market, self.firms, traits, self.adj.copy())
        for name in ARRAYS:
            setattr(w, name, getattr(self, name).copy())
        w.policy_seeds, w.seed_key = list(self.policy_seeds), self.seed_key
        return w

    def _array(self, name: str, value: np.ndarray, owner=None) -> np.ndarray:
        """`value` as the dtype and layout the rules expect; a converted copy replaces the attribute."""
        arr = np.require(value, dtype=_DTYPES.get(name, np.float64), requirements="C")
        if arr is not value:
            object.__setattr__(owner or self, name, arr)
        return arr

    @property
    def day(self) -> int:
        return int(self.clock[0])

    @day.setter
    def day(self, value: int) -> None:
        self.clock[0] = value

    @property
    def n(self) -> int:
        return self.provider.shape[0]

    @property
    def n_firms(self) -> int:
        return self.pos.shape[1]

    @property
    def customers(self) -> np.ndarray:
        """Customers per firm (kept up to date by every phase that changes a provider)."""
        return self.firm_customers.copy()

    def recount(self) -> None:
        """Recount customers per firm after providers were set by hand."""
        self.firm_customers[:] = np.bincount(self.provider[self.provider >= 0], minlength=self.n_firms)

    @property
    def today(self) -> dict[str, np.ndarray]:
        """Today's per-firm counters by name (views: writing into them writes the counters)."""
        return {k: self.today_arr[i] for i, k in enumerate(COUNTERS)}

    def _events(self, kind: int, buf: np.ndarray) -> np.ndarray:
        return buf[: self.n_events[kind]]

    def _set_events(self, kind: int, buf: np.ndarray, rows) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        buf[: len(rows)] = rows
        self.n_events[kind] = len(rows)

    private_complaints = property(lambda w: w._events(E_PRIVATE, w.private_buf),
                                  lambda w, v: w._set_events(E_PRIVATE, w.private_buf, v),
                                  doc="Consumers who complained privately today.")
    public_posts = property(lambda w: w._events(E_PUBLIC, w.public_buf),
                            lambda w, v: w._set_events(E_PUBLIC, w.public_buf, v),
                            doc="Consumers who posted negatively in public today.")
    praise_posts = property(lambda w: w._events(E_PRAISE, w.praise_buf),
                            lambda w, v: w._set_events(E_PRAISE, w.praise_buf, v),
                            doc="Consumers who posted positively in public today.")

    @property
    def defections(self) -> tuple[np.ndarray, np.ndarray]:
        """(consumers, firms they left) on the last day churn ran: tomorrow's exit talk."""
        k = self.n_events[E_DEFECTIONS]
        return self.defect_buf[:k], self.defect_firm[:k]

    @defections.setter
    def defections(self, value: tuple[np.ndarray, np.ndarray]) -> None:
        rows, firms = (np.asarray(v, dtype=np.int64) for v in value)
        self._set_events(E_DEFECTIONS, self.defect_buf, rows)
        self.defect_firm[: len(firms)] = firms

    def trust(self, rows: np.ndarray | slice | int = slice(None)) -> np.ndarray:
        """Trust of consumers `rows` (default all) in every firm: the mean of the Beta evidence."""
        return beta_mean.py_func(prior.py_func(self.market.behaviour), self.pos[rows], self.neg[rows])

    def provider_trust(self) -> np.ndarray:
        """Each consumer's trust in its provider (0.5 for consumers without one)."""
        rows = np.flatnonzero(self.provider >= 0)
        firms = self.provider[rows]
        out = np.full(self.n, 0.5)
        out[rows] = beta_mean.py_func(prior.py_func(self.market.behaviour), self.pos[rows, firms],
                                      self.neg[rows, firms])
        return out

    def add(self, sign: str, cause: str, rows: np.ndarray, firms: np.ndarray, amount, direct: bool = False) -> None:
        """Add trust evidence about `firms[k]` to consumer `rows[k]` (see `add`, the compiled version)."""
        rows = np.asarray(rows, dtype=np.int64)
        amount = np.ascontiguousarray(np.broadcast_to(np.asarray(amount, dtype=float), rows.shape))
        _add_many(self.kernel()[0], sign == "positive", CAUSE[cause], rows,
                  np.asarray(firms, dtype=np.int64), amount, direct)


def channel_table(market: Market) -> dict[str, tuple[float, ...]]:
    """The market's channels as the rules get them: `channel_cost` = (mail's cost, email's, phone's), ..."""
    return {f"channel_{f.name}": tuple(float(getattr(market.channels.of(c), f.name)) for c in CHANNELS)
            for f in dataclasses.fields(Channel)}


def contact_seeds(contacts: np.random.SeedSequence, n_firms: int) -> list[np.random.SeedSequence]:
    """The seeds of the firms' contact streams, firm by firm: one per channel (to its customers), then one
    for prospecting; stream f (N_CHANNELS + 1) + c is firm f's channel c (c = N_CHANNELS: prospecting). Each
    (firm, channel) has its own stream, so changing one channel's rate leaves the other channels' contacts
    as they were (common random numbers). Both engines seed their contact streams from these."""
    return [child for firm in contacts.spawn(n_firms) for child in firm.spawn(N_CHANNELS + 1)]


@njit(cache=True, inline="always")
def ledger_of(s: State) -> tuple:
    """The arrays `add` writes, read from the state once: a phase's loop passes them to `add_to` (each read
    of a state field costs a reference count, which a loop over every consumer would pay each time)."""
    return s.pos_today, s.neg_today, s.provider, s.evidence, s.direct_pos, s.direct_neg


@njit(cache=True, inline="always")
def add_to(ledger: tuple, positive: bool, cause: int, n: int, f: int, amount: float, direct: bool) -> None:
    """Today's evidence about firm f for consumer n (§7.9): E+ or E-, the ledger, and D+ / D-.

    The ledger (`evidence`, by sign, cause and firm) counts evidence a firm's own customers receive
    about it; `direct` marks the consumer's own experience with its provider, which drives voice
    (sim/trust.py:routes). `ledger` is `ledger_of(s)`.
    """
    pos_today, neg_today, provider, evidence, direct_pos, direct_neg = ledger
    if positive:
        pos_today[n, f] += amount
    else:
        neg_today[n, f] += amount
    counted, experienced = routes(provider[n], f, direct)
    if counted:
        evidence[np.int64(positive), cause, f] += amount
    if experienced:
        if positive:
            direct_pos[n] += amount
        else:
            direct_neg[n] += amount


@njit(cache=True, inline="always")
def add(s: State, positive: bool, cause: int, n: int, f: int, amount: float, direct: bool) -> None:
    """`add_to` for one piece of evidence, reading the arrays from the state."""
    add_to(ledger_of(s), positive, cause, n, f, amount, direct)


@njit(cache=True)
def _add_many(s, positive, cause, rows, firms, amount, direct):
    for k in range(len(rows)):
        add(s, positive, cause, rows[k], firms[k], amount[k], direct)


@njit(cache=True)
def join(s: State, n: int, f: int) -> None:
    """Consumer n becomes a customer of firm f today, with tenure 0."""
    s.provider[n] = f
    s.tenure[n] = 0
    s.open_severity[n] = 0.0
    s.firm_customers[f] += 1
    s.today_arr[N_ACQUIRED, f] += 1


@njit(cache=True, inline="always")
def log_episode(observe, n_events, consumers, firms, outcomes, n: int, f: int, outcome: int) -> None:
    """Log today's end of consumer n's problem with firm f, if episodes are observed (both engines call this)."""
    if observe[0]:
        k = n_events[E_EPISODES]
        consumers[k], firms[k], outcomes[k] = n, f, outcome
        n_events[E_EPISODES] = k + 1


@njit(cache=True, inline="always")
def end_episode(s: State, n: int, f: int, outcome: int) -> None:
    """Consumer n's problem with firm f ends today with `outcome` (see `log_episode`)."""
    log_episode(s.observe, s.n_events, s.episode_buf, s.episode_firm, s.episode_outcome, n, f, outcome)


@njit(cache=True)
def leave(s: State, n: int) -> None:
    """Consumer n stops being a customer; its open problem ends; tomorrow it tells its neighbours."""
    f = s.provider[n]
    s.today_arr[N_CHURNED, f] += 1
    s.cell_today[1, f, s.cell[n]] += 1.0
    s.firm_customers[f] -= 1
    s.cohort_alive[n] = False
    s.provider[n] = -1
    s.tenure[n] = 0
    if s.open_severity[n] > 0:
        end_episode(s, n, f, UNRESOLVED_END if s.seeking[n] else SILENT)
    s.open_severity[n] = 0.0
    s.left_day[n] = s.clock[0]
    k = s.n_events[E_DEFECTIONS]
    s.defect_buf[k] = n
    s.defect_firm[k] = f
    s.n_events[E_DEFECTIONS] = k + 1


def create_world(strategies: list[Strategy], market: Market, seed: np.random.SeedSequence,
                 like: World | None = None) -> World:
    """Draw the population and network and set up day 0, each from its own random stream.

    `like`: the day 0 of a world made from the same market and seed with as many firms (`World.copy()` before its
    model's first day): its arrays are copied instead of drawn again, which gives the same numbers (none of them
    depends on the strategies, which set only the firms' own arrays here).
    """
    key = (seed.entropy, seed.spawn_key)
    if like is not None:
        if like.market != market or like.n_firms != len(strategies) or like.seed_key != key or like.day != 0:
            raise ConfigError("like: expected the day 0 of a world with the same market, seed and number of firms")
        w = like.copy()
        _set_firms(w, strategies)
        return w
    *children, policy = seed.spawn(len(STREAMS) + 1)  # the last child: the learning firms' streams
    child = dict(zip(STREAMS, children, strict=True))
    population = np.random.default_rng(child["population"])
    n, n_firms = market.consumers, len(strategies)
    traits = draw_traits(market.population, n, n_firms, population, market.behaviour.voice_loyalty)
    # who is a customer of whom on day 0 (population stream: independent of the strategies)
    joined = population.random(n) < market.initial_penetration
    provider = np.where(joined, population.integers(0, n_firms, n), -1)
    b = market.behaviour
    w = World(market, FirmArrays(strategies), traits, build_network(market.network, n,
                                                                      np.random.default_rng(child["network"])))
    w.pos, w.neg = np.zeros((n, n_firms)), np.zeros((n, n_firms))
    # day-0 customers hold evidence of mass initial_evidence whose Beta mean is their initial trust
    rows = np.flatnonzero(provider >= 0)
    p0, mass = prior.py_func(b), b.initial_evidence
    trust0 = np.clip(traits.initial_trust[rows], *initial_range(b))
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
    w.shock_draw = np.random.default_rng(child["shock"]).random(n)
    w.wom_heard, w.direct_neg, w.direct_pos = np.zeros(n), np.zeros(n), np.zeros(n)
    w.stress_in, w.relief_in, w.exchanges = np.zeros(n), np.zeros(n), np.zeros(n)
    w.next_problem, w.fade_day = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    w.left_day = np.full(n, -1, dtype=np.int64)
    w.npv = np.zeros(n_firms)
    w.cut_today, w.cut_share = np.zeros(n_firms, dtype=bool), np.zeros(n_firms)
    w.shock_today = np.zeros(1, dtype=bool)
    w.firm_customers = np.bincount(provider[provider >= 0], minlength=n_firms).astype(np.int64)
    _set_firms(w, strategies)
    w.today_arr = np.zeros((len(COUNTERS), n_firms))
    w.evidence = np.zeros((2, len(CAUSES), n_firms))
    w.private_buf, w.public_buf, w.praise_buf = (np.zeros(n, dtype=np.int64) for _ in range(3))
    w.defect_buf, w.defect_firm = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    w.n_events = np.zeros(5, dtype=np.int64)
    w.episode_start = np.full(n, -1, dtype=np.int64)  # the day the consumer's open problem began
    w.episode_buf, w.episode_firm, w.episode_outcome = (np.zeros(n, dtype=np.int64) for _ in range(3))
    # log problem episodes (RelationshipModel(record_episodes=True)); keep accounts (accounts=True)
    w.observe = np.zeros(2, dtype=bool)
    w.account = np.zeros((n, n_firms))  # what each firm has made from each consumer (kept with accounts=True)
    w.cell_cost = np.zeros((n_firms, MAX_SEGMENTS + 1))
    w.cell_today = np.zeros((2, n_firms, MAX_SEGMENTS + 1))
    w.cell_log = np.zeros((1, 2, n_firms, MAX_SEGMENTS + 1))  # the recorder gives it a row per day
    w.pairs = np.zeros(n * (n_firms + N_CHANNELS), dtype=np.int64)  # today's contacts, or the queue's callers
    w.clock = np.zeros(1, dtype=np.int64)  # today's day
    w.problem_cap = np.full(1, -1.0)  # the problem rate the problem clocks were drawn for (sim/support.py)
    w.streams = seed_streams([child[k] for k in DAILY])
    w.contact_streams = seed_streams(contact_seeds(child["contacts"], n_firms))
    # residual hazards (Exp(1) thresholds, sim/rand.py), drawn for every consumer in index order so
    # that each consumer's first complaint, post, departure and joining are paired across strategies
    w.private_clock, w.public_clock, w.praise_clock = (_exponentials(w.streams[R_VOICE], n) for _ in range(3))
    w.churn_clock = _exponentials(w.streams[R_CHURN], n)
    w.join_clock = _exponentials(w.streams[R_ACQUISITION], n)
    w.policy_seeds = policy.spawn(n_firms)  # one per firm, for its learning rule (sim/learning.py)
    w.seed_key = key  # which seed drew it (create_world's `like`)
    return w


def _set_firms(w: World, strategies: list[Strategy]) -> None:
    """The day-0 arrays that depend on the firms' strategies."""
    w.firms = FirmArrays(strategies)
    w.cell = np.zeros(w.n, dtype=np.int64)  # each customer's cell with its provider (docs/ODD.md §7.22)
    w.problem_rate = w.firms.problem_rate.copy()
    # a firm staffing for demand starts from its fixed-ratio slots (sim/support.py)
    w.call_forecast = w.firms.inbound_capacity * w.firm_customers / 1000.0


@njit(cache=True)
def _exponentials(st, n):
    out = np.empty(n)
    for k in range(n):
        out[k] = exponential(st)
    return out


def begin_day(w: World) -> None:
    """Advance the clock and tenure, count customers, and clear today's accumulators."""
    _begin_day(w.kernel()[0])


@njit(cache=True, inline="always")
def cell_at(fa, key, n: int, f: int, tenure: int) -> int:
    """The cell of consumer n, of tenure `tenure`, as a customer of firm f: the first of f's segments whose tenure
    band holds the tenure and whose draw (keyed by consumer, firm, segment and salt on the stream state `key`: the
    same every day) falls below its share; else 0. Both engines call it."""
    count = np.int64(fa.cell_count[f])
    if count == 1:
        return 0
    for k in range(1, count):
        if fa.cell_from[f, k] <= tenure < fa.cell_to[f, k]:
            share = fa.cell_share[f, k]
            if share >= 1.0 or keyed_uniform(key, n, SEGMENT_KEY + f * (MAX_SEGMENTS + 1) + k,
                                             np.int64(fa.cell_salt[f, k])) < share:
                return k
    return 0


@njit(cache=True, inline="always")
def cell_of(s, fa, n: int, f: int) -> int:
    """`cell_at` for consumer n at its tenure today."""
    return cell_at(fa, s.streams[R_RESPONSE], n, f, s.tenure[n])


@njit(cache=True)
def reference_cell(fa, key, n: int, f: int, tenure: int) -> int:
    """`cell_at`, callable from Python (the reference engine's consumers)."""
    return cell_at(fa, key, n, f, tenure)


@njit(cache=True)
def _cells_for(s, fa, rows, f: int) -> np.ndarray:
    """The cells of consumers `rows` as customers of firm f, at their tenure today (`cell_of`)."""
    out = np.empty(len(rows), dtype=np.int64)
    for i in range(len(rows)):
        out[i] = cell_of(s, fa, rows[i], f)
    return out


@njit(cache=True)
def _assign_cells(s, fa) -> None:
    """Each customer's cell today (step 1, after tenure moves on; a firm without segments has one cell, 0), and the
    customers each cell has at the start of the day."""
    counts = s.cell_today
    counts[:] = 0.0
    if fa.cell_count.max() <= 1.0:
        for f in range(s.firm_customers.shape[0]):
            counts[0, f, 0] = s.firm_customers[f]
        return
    provider, cell = s.provider, s.cell
    for n in range(provider.shape[0]):
        f = provider[n]
        if f >= 0:
            cell[n] = cell_of(s, fa, n, f)
            counts[0, f, cell[n]] += 1.0


@njit(cache=True)
def _begin_day(s: State) -> None:
    s.clock[0] += 1
    provider, tenure, customers = s.provider, s.tenure, s.firm_customers
    customers[:] = 0
    for n in range(provider.shape[0]):
        f = provider[n]
        if f >= 0:
            tenure[n] += 1
            customers[f] += 1
    for arr in (s.direct_neg, s.direct_pos, s.stress_in, s.relief_in, s.exchanges):
        arr[:] = 0.0
    s.pos_today[:] = 0.0
    s.neg_today[:] = 0.0
    s.contacted[:] = False
    s.evidence[:] = 0.0
    s.today_arr[:] = 0.0
    s.n_events[E_EPISODES] = 0


@intrinsic
def _fill(typingctx, struct, values):
    """Set every field of a fresh struct reference, in order, from a tuple of the same length.

    The fields come from the struct's type (built from `STATE_FIELDS` or the `Strategy` dataclass), so
    a new field needs no edit here; the compiled packers below still cache, as they name no field.
    """
    inst_type = struct
    names = list(inst_type.field_dict)
    if len(names) != len(values):
        return None

    def codegen(context, builder, signature, args):
        instance, tup = args
        data = structref._Utils(context, builder, inst_type).get_data_struct(instance)
        for k, name in enumerate(names):
            value = context.cast(builder, builder.extract_value(tup, k), values[k], inst_type.field_dict[name])
            context.nrt.incref(builder, inst_type.field_dict[name], value)
            setattr(data, name, value)  # a fresh struct: no old value to release
        return context.get_dummy_value()

    return types.none(struct, values), codegen


@njit(cache=True)
def _pack_state(t):
    s = structref.new(STATE_TYPE)
    _fill(s, t)
    return s


@njit(cache=True)
def _pack_firms(t):
    fa = structref.new(FIRMS_TYPE)
    _fill(fa, t)
    return fa


__all__ = ["CAUSE", "CAUSES", "COUNTERS", "NEVER", "STREAMS", "FirmArrays", "World", "add", "begin_day",
           "create_world", "join", "leave"]
