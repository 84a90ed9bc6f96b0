"""Typed parameters of the relationship model, with their allowed ranges.

Every field carries a default, a unit and a range in its metadata; `build` turns a plain mapping
(from YAML, a CLI or a notebook) into these dataclasses and rejects bad input with one clear line
that names the key, the value and what is allowed. The meaning of each parameter is in docs/ODD.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import math
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import numpy as np


#: The largest magnitude any parameter may take (far beyond any meaningful value; keeps arithmetic finite).
LARGEST = 1e12
#: The longest horizon a run may have (100 years of days).
MAX_DAYS = 36500
#: The engines that run a day: the compiled array engine, and the per-agent reference it is docked against.
ENGINES = ("vectorized", "agents")
#: The most values one lever may have in a learning firm's menu, and the most settings (combinations) a menu may
#: make: a bandit tries every setting.
MAX_MENU_VALUES, MAX_MENU_SETTINGS = 100, 10_000


class ConfigError(ValueError):
    """A user's parameter is wrong: the message is one line naming key, value and what is allowed."""


class ConfigWarning(UserWarning):
    """A value that is used, but not as given (e.g. more neighbours than there are consumers); the message
    names the key, the value and what is used instead. The commands print it as one `warning:` line."""


def show(value: Any, width: int = 60) -> str:
    """A value as a one-line message shows it: its repr, with very long numbers and texts shortened."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and abs(int(value)) >= 10**20:
        value = int(value)
        digits = int(value.bit_length() * 0.30103) + 1
        if digits > 4000:  # beyond what Python turns into text
            return f"{'-' if value < 0 else ''}<an integer of about {digits:,} digits>"
        text = str(value)
        return f"{text[:12]}...<{len(text.lstrip('-')):,} digits>"
    text = repr(value)
    return text if len(text) <= width else f"{text[:width]}...<{len(text):,} characters>"


def did_you_mean(word: Any, names: Iterable[Any]) -> str:
    """'did you mean X? ' for the one of `names` closest to a mistyped `word`, or '' when none is close."""
    close = difflib.get_close_matches(word, [str(n) for n in names], n=1, cutoff=0.6) if isinstance(word, str) else []
    return f"did you mean {close[0]}? " if close else ""


#: The strategy's levers that the outbound channels replaced, and what replaced them: an unknown key of one of
#: these names among a strategy's fields is pointed there, not at a look-alike (contact_rate is not prospect_rate).
REPLACED = {"contact_rate": "mail_rate, email_rate or phone_rate (a rate for each channel)",
            "channels": "mail_rate, email_rate or phone_rate (a rate for each channel)",
            "intrusiveness": "market.channels.mail.intrusiveness (each channel has its own: mail, email, phone)",
            "cost_per_contact": "market.channels.mail.cost (each channel has its own: mail, email, phone)",
            "response_rate": "market.channels.mail.response (each channel has its own: mail, email, phone)"}


def allowed_names(word: Any, names: Iterable[Any]) -> str:
    """The end of an unknown-name message: '; did you mean X? allowed: a, b, c' (without the question when no
    name is close). Every unknown key, option and name says it so."""
    names = [str(n) for n in names]
    if isinstance(word, str) and word in REPLACED and "mail_rate" in names:  # a strategy's fields or levers
        return f"; renamed: {word} is now {REPLACED[word]}; allowed: {', '.join(names)}"
    return f"; {did_you_mean(word, names)}allowed: {', '.join(names)}"


def check_keys(data: Mapping[Any, Any], allowed: Iterable[str], path: str = "") -> None:
    """Raise ConfigError naming the first unknown key of `data` (in sorted order) under `path`, and the keys
    allowed: the one unknown-key check of parameters, run settings and scenarios."""
    allowed = list(allowed)
    unknown = sorted((k for k in data if k not in allowed), key=str)
    if unknown:
        key = f"{path}.{unknown[0]}" if path else str(unknown[0])
        raise ConfigError(f"{key}: unknown key{allowed_names(unknown[0], allowed)}")


def _p(default: Any, lo: float | None = None, hi: float | None = None, doc: str = "", choices=None,
       distinct: bool = False, mapping: str = "menu"):
    """A dataclass field with a range (inclusive) or a set of choices in its metadata (`distinct`: a list of
    names, each at most once; `mapping`: what a dict holds, a learner's "menu" or a segment's "levers")."""
    meta = {"lo": lo, "hi": hi, "doc": doc, "choices": choices, "distinct": distinct, "mapping": mapping}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    if dataclasses.is_dataclass(default):
        return field(default_factory=lambda: dataclasses.replace(default), metadata=meta)
    return field(default=default, metadata=meta)


#: While checking many configs at once (`memoized`): built objects and refusals by (class, path, data).
_MEMO: dict | None = None


@contextlib.contextmanager
def memoized() -> Iterator[dict]:
    """Within this block, `build` remembers what it built (and refused) for the same class, path and data, so a
    sweep of thousands of jobs that share most of their settings is checked in seconds (experiments/plumbing/
    checks.py); yields the memo, which callers may use for their own results too."""
    global _MEMO
    outer = _MEMO
    _MEMO = {} if outer is None else outer
    try:
        yield _MEMO
    finally:
        _MEMO = outer


def memo() -> dict | None:
    """The active memo of `memoized`, or None."""
    return _MEMO


def _frozen(value: Any) -> Any:
    """A hashable form of plain data that tells 1, 1.0 and True apart."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("i", value)
    if isinstance(value, float):
        return ("f", value)
    if value is None or isinstance(value, str):
        return ("s", value)
    if isinstance(value, Mapping):
        return ("m", tuple(sorted(((str(k), type(k).__name__), _frozen(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("l", tuple(_frozen(v) for v in value))
    raise TypeError("not plain data")


def build(cls: type, data: Mapping[str, Any] | None, path: str = "") -> Any:
    """Build dataclass `cls` from a plain mapping, checking keys, types and ranges.

    Raises ConfigError with one line: ``<path.key>=<value>: <what is allowed>``.
    """
    if _MEMO is not None and not isinstance(data, cls):
        seen = _MEMO.get(("id", id(data)))  # the same object again (a sweep's jobs share what they do not vary)
        if seen is not None and seen[0] is data:
            key = ("build", cls, path, seen[1])
        else:
            try:
                frozen = _frozen(data)
                _MEMO[("id", id(data))] = (data, frozen)
                key = ("build", cls, path, frozen)
            except TypeError:
                key = None
        if key is not None:
            hit = _MEMO.get(key)
            if hit is None:
                try:
                    hit = _build(cls, data, path)
                except ConfigError as exc:
                    hit = exc
                _MEMO[key] = hit
            if isinstance(hit, ConfigError):
                raise ConfigError(str(hit))
            return hit
    return _build(cls, data, path)


def _build(cls: type, data: Mapping[str, Any] | None, path: str = "") -> Any:
    data = {} if data is None else data
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path or cls.__name__}={show(data)}: expected a mapping of {cls.__name__} fields")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    check_keys(data, fields, path)
    values = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        values[name] = _check(hints[name], fields[name].metadata, value, key)
    try:
        return cls(**values)
    except ConfigError as exc:  # a whole-object check: the key it names is relative to this object
        raise ConfigError(f"{path}.{exc}" if path else str(exc)) from None


def _check(kind: Any, meta: Mapping[str, Any], value: Any, key: str) -> Any:
    """Coerce and range-check one value."""
    if dataclasses.is_dataclass(kind):
        if value is None:  # null never stands for the defaults
            raise ConfigError(f"{key}=None: expected a mapping of {kind.__name__} fields (null is not allowed)")
        return build(kind, value, key)
    if kind is list:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{key}={show(value)}: expected a list of names")
        if meta.get("distinct") and len(set(value)) != len(value):
            raise ConfigError(f"{key}={show(list(value))}: each name may appear once")
        return list(value)
    if kind is dict:
        return _segment_levers(value, key) if meta.get("mapping") == "levers" else _menu(value, key)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}={show(value)}: expected true or false")
        return value
    if kind is str:
        choices = meta.get("choices")
        if not isinstance(value, str) or (choices and value not in choices):
            allowed = f"one of {', '.join(choices)}" if choices else "a string"
            raise ConfigError(f"{key}={show(value)}: {did_you_mean(value, choices or ())}expected {allowed}")
        return value
    return number(value, key, meta.get("lo"), meta.get("hi"), integer=kind is int)


def number(value: Any, key: str, lo: float | None = None, hi: float | None = None, integer: bool = False) -> Any:
    """A finite number (an integer if `integer`) in [lo, hi] and within +-LARGEST, as int or float; else ConfigError.

    Integers of any length are compared as integers, so a very long one is a one-line error, never an overflow.
    """
    what = f"expected {'an integer' if integer else 'a number'}{_range(lo, hi)}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{key}={show(value)}: {what}")
    exact = isinstance(value, (int, np.integer))
    if (not exact and not math.isfinite(value)) or (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{key}={show(value)}: {what}")
    if integer and not exact and value != int(value):
        raise ConfigError(f"{key}={show(value)}: expected an integer{_range(lo, hi)}")
    if abs(value) > LARGEST:
        raise ConfigError(f"{key}={show(value)}: {what}, at most {LARGEST:g}")
    return int(value) if integer else float(value)


def _menu(value: Any, key: str) -> dict[str, list[float]]:
    """A mapping of lever names to lists of 2 to MAX_MENU_VALUES distinct finite numbers, as plain containers."""
    what = f"expected a mapping of lever names to lists of 2 to {MAX_MENU_VALUES} distinct numbers"
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(f"{key}={show(value)}: {what}")
    out = {}
    for name, levels in value.items():
        if not isinstance(name, str) or not isinstance(levels, (list, tuple)) or not 2 <= len(levels) <= MAX_MENU_VALUES:
            raise ConfigError(f"{key}.{name}={show(levels)}: {what}")
        values = [number(v, f"{key}.{name}") for v in levels]
        if len(set(values)) != len(values):
            raise ConfigError(f"{key}.{name}={show(levels)}: each value may appear once")
        out[name] = values
    return out


def _segment_levers(value: Any, key: str) -> dict[str, float]:
    """A segment's levers: a mapping of SEGMENT_LEVERS to values in the Strategy's ranges, as a plain dict."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}={show(value)}: expected a mapping of levers ({', '.join(SEGMENT_LEVERS)}) to values")
    fields = {f.name: f for f in dataclasses.fields(Strategy)}
    out = {}
    for name, v in value.items():
        if name not in SEGMENT_LEVERS:
            raise ConfigError(f"{key}.{name}: not a lever a firm can set per segment{allowed_names(name, SEGMENT_LEVERS)}")
        meta = fields[name].metadata
        out[name] = number(v, f"{key}.{name}", meta["lo"], meta["hi"], integer=fields[name].type in (int, "int"))
    return out


def _range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f" >= {lo:g}"
    if hi is not None:
        return f" <= {hi:g}"
    return ""


def check_dist(dist: Dist, key: str, lo: float = 0.0, hi: float | None = None) -> None:
    """Check that a trait distribution can be drawn (e.g. a beta's sd fits its mean) and fits the trait's range
    [lo, hi]: a constant lies in it; a uniform's draws do; a trait bounded above is not drawn from an unbounded
    family. (Draws of a beta, gamma or lognormal beyond a bound that is not the family's own, e.g. a day-0 trust
    below 0.01, are set to the bound: the parameter table says so.)"""
    if dist.kind == "beta" and not 0 < dist.mean < 1 and dist.sd > 0:
        raise ConfigError(f"{key}.mean={dist.mean!r}: a beta trait needs a mean in (0, 1)")
    if dist.kind == "beta" and dist.sd > 0 and dist.sd**2 >= dist.mean * (1 - dist.mean):
        limit = math.sqrt(dist.mean * (1 - dist.mean))
        raise ConfigError(f"{key}.sd={dist.sd!r}: a beta trait with mean {dist.mean:g} needs sd < {limit:.3g}")
    if dist.kind in ("gamma", "lognormal") and dist.sd > 0 and dist.mean <= 0:
        raise ConfigError(f"{key}.mean={dist.mean!r}: a {dist.kind} trait needs a mean > 0")
    if dist.kind == "constant" or dist.sd == 0:
        if dist.mean < lo or (hi is not None and dist.mean > hi):
            raise ConfigError(f"{key}.mean={dist.mean!r}: a constant {key} must be{_range(lo, hi)}")
    elif dist.kind == "uniform":
        half = math.sqrt(3.0) * dist.sd
        if dist.mean - half < lo or (hi is not None and dist.mean + half > hi):
            raise ConfigError(f"{key}.sd={dist.sd!r}: a uniform {key} with mean {dist.mean:g} spans "
                              f"[{dist.mean - half:.3g}, {dist.mean + half:.3g}]; its draws must be{_range(lo, hi)}")
    elif hi is not None and dist.kind in ("gamma", "lognormal"):
        raise ConfigError(f"{key}.kind={dist.kind!r}: {dist.kind} draws have no upper bound, but {key} must be"
                          f"{_range(lo, hi)}; use beta, uniform or constant")


def checked(cls: type) -> type:
    """A frozen dataclass whose instances check every field on construction, as `build` does.

    So the Python API refuses what the command line refuses, with the same one-line message (the key
    is the field's name; `build` puts the config path in front), unknown and renamed keywords included
    (`Strategy(contact_rate=3)`). A class may add a whole-object check
    as `_check_whole(self)`.
    """

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            coerced = _check(hints[f.name], f.metadata, value, f.name)
            if coerced is not value:
                object.__setattr__(self, f.name, coerced)
        whole = getattr(self, "_check_whole", None)
        if whole is not None:
            whole()

    cls.__post_init__ = __post_init__
    cls = dataclass(frozen=True)(cls)
    init, names = cls.__init__, [f.name for f in dataclasses.fields(cls)]

    @functools.wraps(init)
    def __init__(self, *args, **kwargs) -> None:
        check_keys(kwargs, names)  # an unknown or renamed keyword is one line, as on the command line
        init(self, *args, **kwargs)

    cls.__init__ = __init__
    return cls


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


#: The outbound channels, in the order of every per-channel array: Market.channels, the Strategy's rates
#: (`mail_rate`, ...), the per-channel columns of runs.parquet (`contacts_mail`, `sales_mail`, ...).
CHANNELS = ("mail", "email", "phone")
#: The channel acquisition contacts to prospects go by (docs/ODD.md §7.2: rented prospect lists are postal;
#: e-mail and calls to people who are not customers need their consent or meet do-not-call registries).
PROSPECTING = "mail"


@checked
class Strategy:
    """What a firm does: how it talks, how it can be reached, what it charges, how it listens."""

    mail_rate: float = _p(6.0, 0, 365, "direct mail pieces per customer per year (market.channels.mail)")
    email_rate: float = _p(18.0, 0, 365, "e-mails per customer per year (market.channels.email)")
    phone_rate: float = _p(2.0, 0, 365, "telephone calls per customer per year (market.channels.phone)")
    prospect_rate: float = _p(6.0, 0, 365, "acquisition contacts per non-customer per year, by direct mail")
    data_requests: float = _p(0.0, 0, 365, "requests for personal information per customer per year")
    inbound_capacity: float = _p(4.0, 0, 1000, "support calls answered per day per 1,000 customers; 0 = unreachable")
    resolution_quality: float = _p(0.7, 0, 1, "probability that an answered call resolves the problem")
    support_free_days: int = _p(90, 0, None, "days of tenure during which support calls are free")
    support_fee: float = _p(0.0, 0, None, "fee per answered support call after the free period")
    nuisance_fee: float = _p(0.0, 0, None, "monthly fee to keep a right the customer had")
    price: float = _p(30.0, 0.01, None, "subscription price per month")
    assortment_cut: float = _p(0.0, 0, 1, "share of the assortment cut (share of customers who lose fit)")
    cut_day: int = _p(0, 0, None, "day on which the assortment cut happens")
    cut_framing: float = _p(1.0, 0, 1, "how far the cut is framed as for the customer's sake (0 honest, 1 spun)")
    listening: float = _p(0.3, 0, 1, "share of private complaints and call content the firm detects and answers")
    public_listening: float = _p(0.0, 0, 1, "share of public posts about the firm it detects and answers")
    responsiveness: float = _p(0.2, 0, 1, "how strongly what the firm hears lowers its root-cause problem rate")
    problem_rate: float = _p(3.0, 0, 365, "root-cause problems per customer per year at day 0")
    cost_per_ticket: float = _p(5.0, 0, None, "daily cost of one staffed support slot (capacity is paid for, used or not)")
    cost_per_answer: float = _p(2.0, 0, None, "cost of answering one complaint")
    listening_cost: float = _p(20.0, 0, None, "daily cost of full listening per 1,000 customers")
    serve_cost: float = _p(18.0, 0, None, "cost to serve one customer per month")
    assortment_saving: float = _p(3.0, 0, None, "monthly serving cost saved per customer by a full (share 1) cut")
    sale_price: float = _p(100.0, 0, None, "revenue of one sale an outbound contact brings (cross-sell, upgrade, renewal)")
    sale_cost_share: float = _p(0.6, 0, 1, "cost of goods of a contact sale, as a share of its revenue")
    budget: float = _p(0.0, 0, None, "relationship budget per customer-year; > 0 scales the channel rates (the mix) and "
                       "sets inbound_capacity, listening and public_listening from the shares below (sim/budget.py); "
                       "0 = levers as given")
    outbound_share: float = _p(0.52, 0, 1, "share of the budget spent on outbound contacts to customers, bought in "
                               "the proportions of the channel rates")
    access_share: float = _p(0.37, 0, 1, "share of the budget spent on staffed support slots")
    listening_share: float = _p(0.11, 0, 1, "share of the budget spent on listening (private first, then public)")
    service_level: float = _p(0.0, 0, 0.999, "staff for demand: chance that all of a day's forecast callers get "
                              "through, at most inbound_capacity; 0 = a fixed ratio (inbound_capacity)")

    @property
    def rates(self) -> tuple[float, ...]:
        """Contacts per customer-year by channel, in the order of `CHANNELS`."""
        return tuple(getattr(self, f"{c}_rate") for c in CHANNELS)

    @property
    def contacts_per_year(self) -> float:
        """Contacts per customer-year over every channel (prospecting not included)."""
        return sum(self.rates)

    def _check_whole(self) -> None:
        total = self.outbound_share + self.access_share + self.listening_share
        if self.budget > 0 and abs(total - 1.0) > 1e-6:
            raise ConfigError(f"outbound_share={self.outbound_share!r}: with a budget, outbound_share + access_share "
                              f"+ listening_share must add up to 1 (they add up to {total:.6g})")


#: The Strategy levers a learning firm may change (sim/learning.py), recorded daily in runs.parquet.
LEVERS = ("mail_rate", "email_rate", "phone_rate", "prospect_rate", "data_requests", "inbound_capacity",
          "resolution_quality", "listening", "public_listening", "responsiveness", "support_free_days", "support_fee",
          "nuisance_fee", "price")
#: The levers a firm may set differently for a segment of its customers (`Segment`; docs/ODD.md §7.22): those it
#: applies customer by customer. The channel rates come first, in the order of CHANNELS. Listening, price and the
#: root-cause levers act on the firm as a whole and are not segmented.
SEGMENT_LEVERS = ("mail_rate", "email_rate", "phone_rate", "data_requests", "inbound_capacity", "resolution_quality",
                  "support_fee", "support_free_days", "nuisance_fee")
#: The most segments a firm may have (besides its customers in none, who get its strategy's levers).
MAX_SEGMENTS = 8


@checked
class Segment:
    """A segment of a firm's customers that gets some levers of its own (docs/ODD.md §7.22): a random test cell,
    a tenure band, or both. A customer is in the first of its firm's segments whose tenure band holds its tenure
    and whose random draw (keyed by the consumer, the firm, the segment's place and `salt`) falls below `share`;
    customers in no segment get the strategy's levers."""

    share: float = _p(1.0, 0, 1, "share of the customers in the tenure band (and in no earlier segment) drawn into "
                      "the segment at random; 1 = all of them")
    tenure_from: int = _p(0, 0, MAX_DAYS, "first day of tenure in the segment")
    tenure_to: int = _p(MAX_DAYS + 1, 1, MAX_DAYS + 1, "first day of tenure past the segment (default: none)")
    salt: int = _p(0, 0, 2**31 - 1, "which random draw assigns customers to the segment (a new test draws anew)")
    levers: dict = _p({}, doc="the segment's levers (SEGMENT_LEVERS) and their values; the others are the "
                      "strategy's", mapping="levers")

    def _check_whole(self) -> None:
        if self.tenure_to <= self.tenure_from:
            raise ConfigError(f"tenure_to={self.tenure_to!r}: must be greater than tenure_from={self.tenure_from!r}")


def segment_list(value: Any, key: str = "segments") -> list[Segment]:
    """A firm's segments from a list of Segment objects or mappings (at most MAX_SEGMENTS); else ConfigError."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{key}={show(value)}: expected a list of segments (mappings of Segment fields)")
    if len(value) > MAX_SEGMENTS:
        raise ConfigError(f"{key}: {len(value)} segments; at most {MAX_SEGMENTS}")
    return [build(Segment, v, f"{key}[{k}]") for k, v in enumerate(value)]


@checked
class Policy:
    """How firms choose their levers: fixed, or learned from what they observe (sim/learning.py)."""

    rule: str = _p("fixed", doc="fixed (the levers as set), bandit (epsilon-greedy over a menu of settings), "
                   "hill_climb (local search, one lever at a time) or test_and_learn (randomised tests on a share of "
                   "the customers, each measured over period_days)",
                   choices=("fixed", "bandit", "hill_climb", "test_and_learn"))
    arms: list = _p([], doc="the arms whose focal firm learns (empty: every arm)", distinct=True)
    rivals: bool = _p(False, doc="the rivals learn too")
    objective: str = _p("profit", doc="what a learner maximises each period: profit (this period's, per customer), "
                        "horizon (profit plus customers gained or lost valued over horizon_days) or equity "
                        "(profit plus the change in what its customers are worth, as far as it can see)",
                        choices=("profit", "horizon", "equity"))
    horizon_days: float = _p(730.0, 0, 36500, "planning horizon of the horizon objective (days)")
    period_days: int = _p(30, 1, 3650, "days between decisions (test_and_learn: each test's measurement window)")
    exploration: float = _p(0.1, 0, 1, "bandit: chance of trying a setting at random instead of the best so far")
    explore: str = _p("neighbours", doc="bandit: what it tries: neighbours (it starts at the setting nearest its "
                      "levers and explores the settings one menu step from its best, in one lever) or menu (every "
                      "setting once first, then any setting at random)", choices=("neighbours", "menu"))
    learning_rate: float = _p(0.3, 0.001, 1, "weight of the newest score in a setting's value (bandit) or in the "
                              "aspiration level (hill_climb)")
    step: float = _p(0.1, 0.001, 1, "hill_climb: size of a trial move, as a share of the lever's range in the menu")
    menu: dict = _p({"mail_rate": [6.0, 26.0, 104.0], "inbound_capacity": [1.0, 4.0, 8.0],
                     "support_fee": [0.0, 10.0]},
                    doc="levers a learner may change and the values it considers (hill_climb: their range; "
                    "test_and_learn: a test moves one lever to the next value up or down)")
    test_share: float = _p(0.5, 0.01, 0.99, "test_and_learn: share of the customers (outside the holdout) in a test's "
                           "treatment cell")
    alpha: float = _p(0.05, 1e-6, 0.5, "test_and_learn: a change is adopted when its cell beats control at this "
                      "two-sided significance level (the false-adoption rate of a change that does nothing is alpha/2)")
    holdout: float = _p(0.0, 0, 0.5, "test_and_learn: share of the customers in a long-term holdout that keeps the "
                        "starting levers (0: none; Hohnhold, O'Brien & Tang 2015)")
    holdout_days: int = _p(365, 1, 3650, "test_and_learn: how long the holdout is measured against the customers the "
                           "tests have changed before the firm judges its adopted changes")

    def _check_whole(self) -> None:
        fields = {f.name: f for f in dataclasses.fields(Strategy)}
        if self.rule == "test_and_learn":
            if self.objective == "equity":
                raise ConfigError("objective='equity': a test measures its cells' profit per customer (objective="
                                  "profit) or that plus the customers kept valued over horizon_days (horizon)")
            for name in self.menu:
                if name not in SEGMENT_LEVERS:
                    raise ConfigError(f"menu.{name}: a test changes a lever for a cell of customers; not one of "
                                      f"{', '.join(SEGMENT_LEVERS)}")
        settings = math.prod(len(levels) for levels in self.menu.values())
        if settings > MAX_MENU_SETTINGS:
            raise ConfigError(f"menu: {settings:,} settings (every combination of its values); at most "
                              f"{MAX_MENU_SETTINGS:,}: offer fewer values")
        for name, levels in self.menu.items():
            if name not in LEVERS:
                raise ConfigError(f"menu.{name}: not a lever a firm can learn{allowed_names(name, LEVERS)}")
            meta = fields[name].metadata
            for v in levels:
                if (meta["lo"] is not None and v < meta["lo"]) or (meta["hi"] is not None and v > meta["hi"]):
                    raise ConfigError(f"menu.{name}={levels!r}: each value must be{_range(meta['lo'], meta['hi'])}")


@checked
class Dist:
    """A distribution of a consumer trait: `kind` with `mean` and `sd` (sd 0 is a constant)."""

    kind: str = _p("gamma", doc="distribution family", choices=("constant", "gamma", "beta", "lognormal", "uniform"))
    mean: float = _p(1.0, 0, None, "mean of the trait")
    sd: float = _p(0.0, 0, None, "standard deviation of the trait")

    def parameters(self) -> tuple[float, float] | None:
        """The parameters a trait is drawn with (sim/population.py: `draw`), from its mean m and sd: a gamma's
        (shape, scale) = ((m/sd)², sd²/m), a beta's (a, b) = (m c, (1 - m) c) with c = m(1 - m)/sd² - 1, a
        lognormal's log-mean and log-sd, a uniform's (low, high) = m ∓ √3 sd; None for a point mass (a constant,
        sd 0, or an sd too small against the mean for the family's parameters to be represented, e.g. a beta with
        sd 1e-200, whose parameters would overflow: in floating point it is its mean)."""
        m, sd = self.mean, self.sd
        if self.kind == "constant" or sd == 0:
            return None
        if self.kind == "gamma":
            try:
                shape, scale = (m / sd) ** 2, sd**2 / m
            except OverflowError:
                return None
            return (shape, scale) if shape <= MAX_SHAPE and scale > 0 else None
        if self.kind == "beta":
            common = m * (1 - m) / sd**2 - 1 if sd**2 > 0 else math.inf
            return (m * common, (1 - m) * common) if common <= MAX_SHAPE else None
        if self.kind == "lognormal":
            ratio = sd / m
            try:
                s2 = np.log1p(ratio**2)
            except OverflowError:  # sd dwarfs the mean: log(1 + r^2) is 2 log r to the last bit
                s2 = 2 * math.log(ratio)
            return np.log(m) - s2 / 2, np.sqrt(s2)
        half = math.sqrt(3.0) * sd  # uniform
        return m - half, m + half

    def share_outside(self, lo: float, hi: float = math.inf) -> float:
        """The share of the draws that fall outside [lo, hi] (a trait's are set to the nearer bound)."""
        from scipy import special

        params = self.parameters()
        if params is None or (self.kind == "uniform" and not params[0] < params[1]):  # a point mass (in floats)
            return float(not lo <= self.mean <= hi)
        a, b = params
        cdf = {"gamma": lambda x: special.gammainc(a, x / b) if x > 0 else 0.0,
               "beta": lambda x: special.betainc(a, b, min(max(x, 0.0), 1.0)),
               "lognormal": lambda x: special.ndtr((math.log(x) - a) / b) if x > 0 else 0.0,
               "uniform": lambda x: min(max((x - a) / (b - a), 0.0), 1.0)}[self.kind]
        return float(cdf(lo) + (1.0 - cdf(hi) if math.isfinite(hi) else 0.0))


@checked
class Population:
    """Heterogeneity among consumers: one distribution per trait (drawn once, at day 0)."""

    churn_propensity: Dist = _p(Dist("gamma", 1.0, 1.0), 0, None, "multiplier of the base churn hazard")
    contact_capacity: Dist = _p(Dist("gamma", 8.0, 4.0), 0, None,
                                "contacts per load window (load_days) a consumer absorbs without burden")
    contact_tolerance: Dist = _p(Dist("beta", 0.5, 0.2), 0, 1, "patience with contacts beyond capacity")
    price_sensitivity: Dist = _p(Dist("gamma", 1.0, 0.5), 0, None, "weight of price and fees in decisions")
    support_seeking: Dist = _p(Dist("beta", 0.6, 0.2), 0, 1, "probability of calling support about a problem")
    voice_propensity: Dist = _p(Dist("gamma", 1.0, 0.7), 0, None, "readiness to complain per unit of bad experience")
    public_voice: Dist = _p(Dist("beta", 0.25, 0.15), 0, 1, "share of a consumer's voice that goes public")
    problem_proneness: Dist = _p(Dist("gamma", 1.0, 0.5), 0, None, "multiplier of the firm's problem rate")
    patience: Dist = _p(Dist("gamma", 5.0, 2.0), 1, None, "days a consumer keeps calling before giving up "
                        "(draws below 1 count as 1 day)")
    spin_detection: Dist = _p(Dist("beta", 0.3, 0.15), 0, 1, "probability of seeing through a cost cut framed as a "
                              "favour")
    fit: Dist = _p(Dist("beta", 0.75, 0.12), 0, 1, "fit of each firm's offer to the consumer")
    initial_trust: Dist = _p(Dist("beta", 0.65, 0.1), 0.01, 0.99, "a day-0 customer's trust in its firm (draws "
                             "beyond [0.01, 0.99] count as 0.01 or 0.99: the Beta evidence needs both signs)")

    def _check_whole(self) -> None:
        for f in dataclasses.fields(self):
            dist, lo, hi = getattr(self, f.name), f.metadata["lo"], f.metadata["hi"]
            check_dist(dist, f.name, lo, hi)
            if dist == f.default_factory():  # a default's share is known (tests/test_population.py): no scipy import
                continue
            share = dist.share_outside(lo, math.inf if hi is None else hi)
            if share > CLIPPED_SHARE:  # no silent clipping: say how much of the trait is set to its bound
                where = f"below {lo:g} and are set to {lo:g}" if hi is None else (
                    f"outside [{lo:g}, {hi:g}] and are set to the nearer bound")
                warnings.warn(f"population.{f.name}: {share:.1%} of its {dist.kind} draws (mean {dist.mean:g}, sd "
                              f"{dist.sd:g}) fall {where}", ConfigWarning, stacklevel=4)


#: The largest shape of a gamma or a + b of a beta the samplers draw from; a distribution whose sd is so small
#: against its mean that its parameters pass it (or cannot be computed at all) is, in floating point, its mean.
MAX_SHAPE = 1e300

#: A trait whose distribution puts more than this share of its draws outside its range is announced (ConfigWarning);
#: at the defaults the most is patience's 0.12% below 1 day.
CLIPPED_SHARE = 0.01


def trait_range(name: str) -> tuple[float, float]:
    """The range [lo, hi] of a consumer trait (Population field); its draws are kept in it (sim/population.py)."""
    meta = {f.name: f.metadata for f in dataclasses.fields(Population)}[name]
    return float(meta["lo"]), (math.inf if meta["hi"] is None else float(meta["hi"]))


@checked
class Behaviour:
    """How consumers turn experience into trust, stress, intimacy, voice and churn."""

    # trust as Beta evidence
    prior_evidence: float = _p(2.0, 0.01, None, "prior evidence mass (half positive, half negative)")
    initial_evidence: float = _p(6.0, 0, None, "evidence mass behind a day-0 customer's trust")
    memory_days: float = _p(180.0, 1, None, "mean lifetime of evidence (forgetting time constant)")
    negativity_bias: float = _p(2.0, 1, 20, "weight of negative evidence relative to equal positive evidence")
    # evidence per event
    usage_evidence: float = _p(0.05, 0, None, "daily evidence from using the product (split by fit)")
    contact_value: float = _p(0.05, 0, None, "positive evidence of a welcome, non-intrusive contact")
    intrusion_weight: float = _p(0.05, 0, None, "negative evidence of a contact per unit of intrusiveness")
    burden_weight: float = _p(0.15, 0, None, "negative evidence of a contact beyond the consumer's capacity")
    channel_reactance: float = _p(0.25, 0, None, "extra load of each contact to a customer per additional channel "
                                  "its firm uses")
    clutter_rate: float = _p(4.0, 0, None, "contacts per 30 days from firms outside the model")
    load_days: float = _p(30.0, 1, None, "window of the contact load (days): load is an exponentially weighted count over it")
    data_request_weight: float = _p(0.3, 0, None, "negative evidence of a data request that gives nothing back")
    problem_weight: float = _p(0.3, 0, None, "negative evidence at a problem's onset, per unit severity")
    open_weight: float = _p(0.05, 0, None, "negative evidence per day a problem stays open, per unit severity")
    unreached_weight: float = _p(0.3, 0, None, "negative evidence of a support call that does not get through")
    heard_weight: float = _p(0.15, 0, None, "positive evidence of a call that gets through")
    recovery_paradox: float = _p(0.0, -5, 5, "net evidence of a problem resolved at the first call relative to no problem, per unit severity (0 = back where they were)")
    quick_weight: float = _p(0.4, 0, None, "how much less a resolution at a later call is worth than one at the first call, per unit severity")
    unresolved_weight: float = _p(0.6, 0, None, "negative evidence when a consumer gives up, per unit severity")
    fee_weight: float = _p(1.0, 0, None, "negative (unfairness) evidence of a fee, per reference price")
    assortment_weight: float = _p(1.0, 0, None, "negative evidence when a cut removes what a customer used")
    fit_loss: float = _p(0.5, 0, 1, "share of fit an affected customer loses in an assortment cut")
    spin_weight: float = _p(1.0, 0, None, "negative evidence when a consumer sees through the spin, at full framing")
    spin_softening: float = _p(0.3, 0, 1, "share of a cut's loss evidence that full framing removes for those who do not see through it")
    answer_weight: float = _p(0.4, 0, None, "positive evidence when the firm answers a complaint")
    wom_negative_weight: float = _p(0.25, 0, None, "negative evidence a neighbour's negative post carries")
    wom_positive_weight: float = _p(0.12, 0, None, "positive evidence a neighbour's positive post carries")
    public_answer_weight: float = _p(0.1, 0, None, "positive evidence a neighbour gets from a public answer")
    exit_talk_weight: float = _p(0.2, 0, None, "negative evidence a neighbour's defection carries")
    # problems and support
    severity_mean: float = _p(1.0, 0, None, "mean severity of an ordinary problem (exponential)")
    fee_deterrence: float = _p(5.0, 0, None, "how strongly an expected fee (per reference price) deters calling or complaining")
    self_fix_days: float = _p(10.0, 1, None, "mean days until a problem nobody calls about goes away")
    # voice
    voice_scale: float = _p(0.15, 0, None, "complaints per unit of voice propensity x negative evidence")
    praise_scale: float = _p(0.3, 0, None, "positive posts per unit of voice propensity x public voice x positive event evidence")
    retell_scale: float = _p(2.0, 0, None, "public posts per unit of voice propensity x public voice x negative posts heard yesterday")
    advocacy_rate: float = _p(0.7, 0, None, "positive posts per year per unit of voice propensity x public voice at neutral trust (advocacy)")
    advocacy_sensitivity: float = _p(8.0, 0, None, "log-rate of advocacy per unit of trust above 0.5")
    redirect_public: float = _p(0.3, 0, 1, "share of private voice that goes public when the firm cannot be reached at all")
    voice_loyalty: float = _p(0.0, 0, 1, "rank correlation of a consumer's loyalty (low churn propensity) with its support seeking and voice propensity (Hirschman 1970: loyalty activates voice; 0 = independent)")
    # stress
    stress_relief: float = _p(0.05, 0, 1, "daily relief of stress")
    stress_burden: float = _p(0.02, 0, 1, "stress of a contact beyond capacity")
    stress_unreached: float = _p(0.05, 0, 1, "stress of an unreached call")
    stress_fee: float = _p(0.05, 0, 1, "stress of a fee")
    stress_unresolved: float = _p(0.1, 0, 1, "stress of giving up on a problem")
    stress_spin: float = _p(0.05, 0, 1, "stress of seeing through spin")
    stress_data: float = _p(0.03, 0, 1, "stress of a data request")
    answer_relief: float = _p(0.1, 0, 1, "stress relieved by an answered complaint")
    # intimacy
    intimacy_gain: float = _p(0.1, 0, 1, "intimacy gained per two-way exchange (towards 1)")
    intimacy_memory_days: float = _p(365.0, 1, None, "time constant of intimacy decay (days)")
    # churn and acquisition
    base_churn: float = _p(0.15, 0, 365, "baseline churn hazard per year at neutral trust")
    trust_sensitivity: float = _p(6.0, 0, None, "log-hazard per unit of trust below 0.5")
    stress_sensitivity: float = _p(1.5, 0, None, "log-hazard per unit of stress")
    intimacy_bond: float = _p(1.0, 0, None, "log-hazard reduction per unit of intimacy")
    price_weight: float = _p(1.0, 0, None, "log-hazard per unit of relative price above the reference")
    switch_share: float = _p(0.5, 0, 1, "share of churners who switch to a rival rather than leave the market")
    acquisition_rate: float = _p(0.3, 0, 365, "joinings per prospect per year at neutral trust, per firm")
    contact_lift: float = _p(2.0, 0, None, "relative lift in a prospect's joining on a day the firm contacts them")
    learning_rate: float = _p(2.0, 0, None, "root-cause learning per complaint heard per customer")
    problem_floor: float = _p(0.3, 0, 1, "share of the problem rate no learning removes")


@checked
class Network:
    """The consumers' social network (discussion groups and word of mouth)."""

    generator: str = _p("watts_strogatz", doc="graph generator",
                        choices=("watts_strogatz", "barabasi_albert", "erdos_renyi", "none"))
    degree: int = _p(10, 0, 1000, "mean number of neighbours (barabasi_albert: rounded down to even; at most "
                     "consumers - 1: more links everyone to everyone, with a warning)")
    rewire: float = _p(0.1, 0, 1, "rewiring probability (watts_strogatz)")


@checked
class Shock:
    """An exogenous defect (the Pentium flaw): on `day`, a share of a firm's customers get a serious problem."""

    day: int = _p(-1, -1, None, "day of the defect (>= 1); -1 = none")
    share: float = _p(0.0, 0, 1, "share of the firm's customers hit")
    severity: float = _p(3.0, 0, None, "severity of the defect's problem")
    firm: int = _p(0, 0, None, "index of the firm hit (0 = focal)")


@checked
class Channel:
    """One outbound channel: what a contact costs in the market and how consumers take it."""

    cost: float = _p(0.56, 0, None, "cost of one contact")
    response: float = _p(0.11, 0, 1, "chance that a contact to a customer with fit 1, trust 1 and no load brings a "
                         "sale")
    intrusiveness: float = _p(0.49, 0, 1, "how intrusive one contact is (0 not at all, 1 the most irritating "
                              "marketing contact: a sales call)")
    load: float = _p(1.0, 0, 100, "contact load one contact adds, against the consumer's capacity (a mail piece = 1)")


@checked
class Channels:
    """The market's outbound channels (docs/ODD.md §7.2): cost, response, intrusiveness and load of each."""

    mail: Channel = _p(Channel(cost=0.56, response=0.11, intrusiveness=0.49, load=1.0),
                       doc="direct mail: letters, postcards, catalogues")
    email: Channel = _p(Channel(cost=0.10, response=0.021, intrusiveness=0.6, load=1.0), doc="e-mail")
    phone: Channel = _p(Channel(cost=2.50, response=0.5, intrusiveness=0.89, load=3.0),
                        doc="telephone (telemarketing calls)")

    def of(self, name: str) -> Channel:
        """The channel called `name` (one of CHANNELS)."""
        return getattr(self, name)


@checked
class Market:
    """Who is in the market: consumers, their traits and behaviour, the network, the rival firms."""

    consumers: int = _p(5000, 2, 100_000_000, "number of consumers")
    rivals: list = _p(["middle"], doc="strategy names of the rival firms (empty = monopoly)")
    initial_penetration: float = _p(0.7, 0, 1, "share of consumers who are customers on day 0")
    reference_price: float = _p(30.0, 0.01, None, "the price consumers consider fair, per month")
    discount_rate: float = _p(0.1, 0, 10, "yearly discount rate of the firm's NPV")
    channels: Channels = _p(Channels())
    network: Network = _p(Network())
    population: Population = _p(Population())
    behaviour: Behaviour = _p(Behaviour())
    shock: Shock = _p(Shock())

    def _check_whole(self) -> None:
        if self.shock.day == 0:
            raise ConfigError("shock.day=0: expected a day >= 1 (days start at 1), or -1 for no shock")
        if self.shock.firm > len(self.rivals):
            raise ConfigError(f"shock.firm={self.shock.firm}: expected a firm index in [0, {len(self.rivals)}]")
        if self.network.generator != "none" and self.network.degree > self.consumers - 1:
            warnings.warn(f"network.degree={self.network.degree}: more than consumers - 1 = {self.consumers - 1}; "
                          f"each consumer is linked to all {self.consumers - 1} others", ConfigWarning, stacklevel=4)


def parameter_table() -> str:
    """Every parameter with its default, range and meaning, as the Markdown of docs/PARAMETERS.md."""
    lines = ["# relsim parameters", "",
             "Generated from sim/params.py by `python -c \"from relsim.params import parameter_table; "
             "print(parameter_table(), end=\"\")\" > docs/PARAMETERS.md` (tests/test_config.py checks it is current).",
             "Config keys: `strategies.<name>.<field>` for a strategy, `market.<field>` for the market, "
             "`firm_policy.<field>` for how firms choose their levers. "
             "Equations and sources: docs/ODD.md."]

    def section(cls: type, prefix: str, title: str = "") -> None:
        rows = []
        for f in dataclasses.fields(cls):
            default = getattr(cls(), f.name)
            if dataclasses.is_dataclass(default) and not isinstance(default, Dist):
                continue
            meta = f.metadata
            allowed = ", ".join(meta["choices"]) if meta.get("choices") else _range(meta["lo"], meta["hi"]).strip()
            if isinstance(default, Dist):
                allowed = ("{kind, mean, sd}: kind one of " + ", ".join(dataclasses.fields(Dist)[0].metadata["choices"])
                           + "; values" + _range(meta["lo"], meta["hi"]))
            shown = (f"{default.kind}(mean {default.mean:g}, sd {default.sd:g})" if isinstance(default, Dist)
                     else default)
            rows.append(f"| `{prefix}.{f.name}` | {shown} | {allowed or '—'} | {meta['doc']} |")
        if rows:  # a group of groups only (market.channels) has no table of its own
            lines.extend(["", f"## `{prefix}`: {title or cls.__doc__.splitlines()[0]}", "",
                          "| key | default | allowed | meaning |", "|---|---|---|---|", *rows])
        for f in dataclasses.fields(cls):
            default = getattr(cls(), f.name)
            if dataclasses.is_dataclass(default) and not isinstance(default, Dist):
                section(type(default), f"{prefix}.{f.name}", f.metadata["doc"])

    section(Strategy, "strategies.<name>")
    section(Market, "market")
    section(Policy, "firm_policy")
    return "\n".join(lines) + "\n"
