"""The levers a best response searches over, and the classes of strategy it can be held to.

A **class** of strategy is the article's idea stated as bounds (docs/ODD.md §8.10): a *one-way* firm
talks at will but gives its customers at most the middle firm's access and hearing (inbound capacity,
listening, public listening, responsiveness each at most the `Strategy` default, the middle-of-the-road
rival); a *reciprocal* firm gives at least that; `any` is unconstrained. Every other lever (how much it
talks and through which channels, prospecting, fees, an assortment cut and its framing) is searched over the same range in
every class, so the classes differ only in the idea. What a firm is and sells (price, product problem
rate, resolution quality, unit costs) is the market's and stays at the base strategy's value.

With a relationship **budget** B (sim/budget.py), the access and listening levers are bought by B's split and
the outbound money buys the searched channel rates' mix, and the class bounds the split instead: a one-way firm spends at most the middle firm's
shares on access and on listening, a reciprocal one at least. The split is searched through a map from
the unit square onto the class's part of the simplex, so every trial is feasible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from relsim import budget
from relsim.params import Channels, ConfigError, Strategy

__all__ = ["CLASSES", "IDEA", "Lever", "SEARCH", "Space", "make_space"]


@dataclasses.dataclass(frozen=True)
class Lever:
    """A searched lever: its range, whether it is an integer, and why the range."""

    lo: float
    hi: float
    why: str
    integer: bool = False


#: Every lever a best response may search, with its range. The ranges span what a subscription business
#: could do; none is chosen for an outcome.
SEARCH: dict[str, Lever] = {
    "mail_rate": Lever(0.0, 104.0, "none to twice a week (the article's 'a hundred pieces of mail a year')"),
    "email_rate": Lever(0.0, 365.0, "none to one a day"),
    "phone_rate": Lever(0.0, 52.0, "none to a call a week (the dinner_calls scenario)"),
    "prospect_rate": Lever(0.0, 24.0, "no prospecting to twice a month per non-customer"),
    "inbound_capacity": Lever(0.0, 20.0, "unreachable to about four times the default demand for support "
                                          "(about 4.9 calls a day per 1,000 customers)"),
    "listening": Lever(0.0, 1.0, "the whole range"),
    "public_listening": Lever(0.0, 1.0, "the whole range"),
    "responsiveness": Lever(0.0, 1.0, "the whole range"),
    "support_fee": Lever(0.0, 20.0, "free to two-thirds of the monthly price per answered call"),
    "support_free_days": Lever(0.0, 365.0, "support charged from the first day to free for a year", integer=True),
    "nuisance_fee": Lever(0.0, 5.0, "none to a sixth of the monthly price (the caller_id_fee scenario's 3)"),
    "assortment_cut": Lever(0.0, 0.5, "no cut to half the assortment"),
    "cut_framing": Lever(0.0, 1.0, "an honest (0) to a fully spun (1) cut"),
}

#: The levers of the idea: a one-way firm keeps each at most at the middle firm's value, a reciprocal one at
#: least there ("the firm talks, the consumer cannot reach it or be heard").
IDEA = ("inbound_capacity", "listening", "public_listening", "responsiveness")
#: The levers a budget buys outright: not searched when the space has a budget (the channel rates are: they set
#: the proportions of the mix that the outbound money buys, sim/budget.py).
BOUGHT = ("inbound_capacity", "listening", "public_listening")
CLASSES = ("one_way", "reciprocal", "any")


@dataclasses.dataclass(frozen=True)
class Space:
    """A search space: the searched levers' ranges, the base strategy and, optionally, a budget's split."""

    kind: str
    ranges: Mapping[str, tuple[float, float, bool]]  # lever -> (lo, hi, integer)
    base: Strategy
    budget: float = 0.0
    access: tuple[float, float] = (0.0, 1.0)  # the access share's range (with a budget)
    listening: tuple[float, float] = (0.0, 1.0)  # the listening share's range (with a budget)

    def suggest(self, trial) -> dict[str, float]:
        """The Strategy fields of one trial (an optuna.Trial), drawn from the space."""
        values: dict[str, float] = {}
        for name, (lo, hi, integer) in self.ranges.items():
            values[name] = (float(trial.suggest_int(name, int(lo), int(hi))) if integer
                            else trial.suggest_float(name, lo, hi))
        if self.budget > 0:
            values.update(self.split(trial.suggest_float("access_u", 0.0, 1.0),
                                     trial.suggest_float("listening_u", 0.0, 1.0)))
        return values

    def split(self, u: float, v: float) -> dict[str, float]:
        """The budget's shares from a point (u, v) of the unit square: access in its class range, listening in
        its range within what access leaves, outbound the rest (so the three add up to 1)."""
        access = self.access[0] + u * (self.access[1] - self.access[0])
        top = min(self.listening[1], 1.0 - access)
        listening = self.listening[0] + v * max(0.0, top - self.listening[0])
        return {"budget": self.budget, "outbound_share": max(0.0, 1.0 - access - listening),
                "access_share": access, "listening_share": listening}

    def strategy(self, values: Mapping[str, float]) -> Strategy:
        """The base strategy with a trial's values."""
        return dataclasses.replace(self.base, **{k: (int(v) if k == "support_free_days" else float(v))
                                                 for k, v in values.items()})

    def describe(self) -> dict:
        """The space as plain data (kept with a study, so a resumed study can be checked against it)."""
        return {"kind": self.kind, "budget": self.budget, "ranges": {k: list(v) for k, v in self.ranges.items()},
                "access": list(self.access), "listening": list(self.listening),
                "base": dataclasses.asdict(self.base)}


def shares(s: Strategy, channels: Channels) -> dict[str, float]:
    """The split of a strategy's planned relationship spend over outbound, access and listening, at the market's
    contact prices."""
    contacts = budget.outbound(s, channels)
    total = budget.spend(s, channels)
    access = s.inbound_capacity * budget.YEAR / 1000.0 * s.cost_per_ticket
    return {"outbound_share": contacts / total, "access_share": access / total,
            "listening_share": (total - contacts - access) / total}


def make_space(kind: str, base: Strategy, *, budget_per_year: float = 0.0, levers: tuple[str, ...] = (),
               middle: Strategy | None = None, channels: Channels | None = None) -> Space:
    """The search space of class `kind` around `base` (its fixed levers), optionally at a budget.

    `levers` restricts the search to those levers (default: all of SEARCH); `middle` is the strategy whose
    access and hearing bound the classes (default: the Strategy defaults, the middle-of-the-road rival);
    `channels` the market's contact prices that split the middle firm's budget (default: Market's).
    """
    if kind not in CLASSES:
        raise ConfigError(f"--class={kind!r}: expected one of {', '.join(CLASSES)}")
    if budget_per_year < 0:
        raise ConfigError(f"--budget={budget_per_year!r}: expected a number >= 0")
    middle = middle or Strategy()
    unknown = [name for name in levers if name not in SEARCH]
    if unknown:
        raise ConfigError(f"--levers: {unknown[0]!r} is not a searchable lever; allowed: {', '.join(SEARCH)}")
    names = [n for n in (levers or SEARCH) if not (budget_per_year > 0 and n in BOUGHT)]
    ranges = {}
    for name in names:
        lever = SEARCH[name]
        lo, hi = lever.lo, lever.hi
        if name in IDEA and kind != "any":
            mid = float(getattr(middle, name))
            lo, hi = (lo, mid) if kind == "one_way" else (mid, hi)
        ranges[name] = (lo, hi, lever.integer)
    access = listening = (0.0, 1.0)
    if budget_per_year > 0 and kind != "any":
        split = shares(middle, channels or Channels())
        a, li = split["access_share"], split["listening_share"]
        access, listening = ((0.0, a), (0.0, li)) if kind == "one_way" else ((a, 1.0 - li), (li, 1.0))
    fixed = {name: (lo, hi) for name, (lo, hi, _) in ranges.items() if lo == hi}
    ranges = {name: r for name, r in ranges.items() if name not in fixed}
    base = dataclasses.replace(base, **{name: lo for name, (lo, _) in fixed.items()})
    return Space(kind, ranges, base, float(budget_per_year), access, listening)
