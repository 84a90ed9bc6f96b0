"""The educator's lesson: the page's model and captions detected from what happened in a run.

`LessonModel` is a `RelationshipModel` built from what the page offers: a strategy preset from
configs/strategy/, a what-if scenario ("none", the lesson "relationship decay", or a scenario of
configs/scenario/ or one of its contrasts, applied by experiments/plumbing/scenarios.py), the consumer count and
the seed. The focal firm's levers (mail, e-mails and calls a year, support, ...) can be changed while it runs, as
a NetLogo slider would; the change takes effect from the next day. Nothing here changes how the
model works: the presets are read from their files, the dynamics are sim/'s.

The captions are never a script timed in advance. Each day `new_captions` looks at the model's state
and reports what has just happened: most customers' contact load has passed their capacity, the
first public complaint and how many neighbours it reached (and how many of them trust the firm less
than the day before), the average customer's trust falling below 0.5, churn rising over its first
month's level, the firm losing a tenth, a quarter, half of its original customers, the first
complaint it answers. A different seed, preset or lever gives other days, other numbers, or no
caption at all.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from relsim.model import RelationshipModel
from relsim.params import CHANNELS, ConfigError, Market, Policy, Strategy, build
from relsim.recorder import COLUMNS

from ..plumbing import scenarios
from ..plumbing.config import RunSpec, compose, load, options, plain_config

NONE = "none"
#: The lesson scenario: the chosen preset (one_way on the page) mailing three times a week (its other
#: channels as they are).
LESSON = "relationship decay"
LESSON_FOCAL = {"mail_rate": 156.0}
#: How the page names a contact of each channel (sim/params.py: CHANNELS), one and many.
CONTACT_WORDS = {"mail": ("piece of mail", "pieces of mail"), "email": ("e-mail", "e-mails"),
                 "phone": ("call", "calls")}


def contact_mix(focal: Strategy) -> str:
    """The focal firm's contacts a year in words, channel by channel: "156 pieces of mail and 12 calls"."""
    parts = [f"{rate:g} {CONTACT_WORDS[c][rate != 1]}" for c, rate in zip(CHANNELS, focal.rates, strict=True)
             if rate > 0]
    if not parts:
        return "no contacts"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def lesson_intro(focal: Strategy) -> str:
    """The lesson's opening words, from what the focal firm actually does."""
    calls = f"{focal.inbound_capacity:g} support call" + ("s" if focal.inbound_capacity != 1 else "")
    return (f"The focal firm sends each customer {contact_mix(focal)} a year, answers "
            f"{calls} a day per 1,000 customers and hears {focal.listening:.0%} of their complaints. Press Play "
            "and watch trust, stress and churn; the captions say what just happened in this run. Then move the "
            "levers (mail, e-mails and calls, inbound capacity, listening) and watch the story change.")


#: How the focal firm may learn its levers on the page (sim/learning.py): a choice -> (rule, objective).
LEARNING = {"no: the levers stay as set": None,
            "by trial and error (bandit), for this month's profit": ("bandit", "profit"),
            "by trial and error (bandit), for customer value": ("bandit", "equity"),
            "step by step (hill climbing), for this month's profit": ("hill_climb", "profit"),
            "step by step (hill climbing), for customer value": ("hill_climb", "equity")}
NO_LEARNING = next(iter(LEARNING))

#: The focal firm's levers the page offers (Strategy fields).
LEVERS = ("mail_rate", "email_rate", "phone_rate", "inbound_capacity", "support_free_days", "support_fee", "listening",
          "responsiveness")

# Caption thresholds (with hysteresis, so a value hovering at a threshold does not flood the captions).
OVERLOAD_ON, OVERLOAD_OFF = 0.5, 0.4  # share of the focal firm's customers whose contact load exceeds capacity
TRUST_LOW, TRUST_RECOVERED = 0.5, 0.52  # mean trust of the focal firm's customers
CHURN_WINDOW, CHURN_SPIKE = 30, 2.0  # days; a 30-day churn this many times the first month's
RETENTION_STEPS = ((0.9, "one in ten"), (0.75, "a quarter"), (0.5, "half"))


@functools.lru_cache(maxsize=8)
def _spec(consumers: int) -> RunSpec:
    """Every strategy preset and the default market with `consumers`, through the one config loader."""
    return load([f"market.consumers={consumers}"])


def presets() -> list[str]:
    """The strategy presets in configs/strategy/."""
    return options("strategy")


@functools.lru_cache(maxsize=1)
def _scenario_files() -> dict[str, scenarios.Scenario]:
    """The scenarios in configs/scenario/ (parsed and checked by experiments/plumbing/scenarios.py)."""
    names = options("scenario")
    chosen = plain_config(compose([f"scenario=[{','.join(names)}]"]))["scenario"]
    return {name: scenarios.parse(name, chosen[name]) for name in names}


def what_ifs() -> list[str]:
    """The scenarios the page offers: none, the lesson, each what-if in configs/scenario/ and its contrasts.

    The mechanism audit's switch-offs (off_*.yaml, relsim-audit) are a researcher's tool,
    not a what-if for a class, and are left out.
    """
    names = [NONE, LESSON]
    for name, scenario in _scenario_files().items():
        if name != scenarios.BASELINE and not name.startswith("off_"):  # baseline is the same as "none"
            names += [name, *(f"{name}:{contrast}" for contrast in scenario.contrasts)]
    return names


def what_if_changes(name: str) -> list[scenarios.Change]:
    """The changes a scenario makes to the focal strategy and the market, in order."""
    if name == NONE:
        return []
    if name == LESSON:
        return [scenarios.Change(set=dict(LESSON_FOCAL))]
    base, _, contrast = name.partition(":")
    files = _scenario_files()
    if base not in files or (contrast and contrast not in files[base].contrasts):
        raise ConfigError(f"scenario={name!r}: unknown; allowed: {', '.join(what_ifs())}")
    scenario = files[base]
    return [scenario.change, *([scenario.contrasts[contrast]] if contrast else [])]


def setup(preset: str, what_if: str, consumers: int) -> tuple[Strategy, Market, list[Strategy], list[str]]:
    """The focal strategy (preset + scenario), the market (default + scenario) and the rivals."""
    if preset not in presets():
        raise ConfigError(f"preset={preset!r}: unknown; allowed: {', '.join(presets())}")
    changes = what_if_changes(what_if)
    spec = _spec(consumers)
    focal = scenarios.apply(spec.strategies[preset], changes, "focal")
    market = scenarios.apply_market(dataclasses.asdict(spec.market), changes, "market")
    for name in market.rivals:
        if name not in spec.strategies:
            raise ConfigError(f"market.rivals: unknown strategy {name!r}; allowed: {', '.join(presets())}")
    rivals = [spec.strategies[name] for name in market.rivals]
    names = [f"focal ({preset})", *(f"rival ({name})" for name in market.rivals)]
    return focal, market, rivals, names


@dataclasses.dataclass(frozen=True)
class Caption:
    """Something that happened in the run, on `day`; `kind` names the detector."""

    day: int
    kind: str
    text: str


@dataclasses.dataclass
class LessonState:
    """What the caption detector remembers between days."""

    prev_trust: np.ndarray  # every consumer's trust in the focal firm at the last check
    first_trust: float = float("nan")  # mean trust of the focal firm's customers on day 1
    fired: set[str] = dataclasses.field(default_factory=set)
    overloaded: bool = False
    distrusted: bool = False

    @classmethod
    def start(cls, model: RelationshipModel) -> LessonState:
        """The detector's state for `model`, taken before it is stepped (or at the last check)."""
        return cls(prev_trust=model.world.trust()[:, 0].copy())


def _firm_when_posting(w, posters: np.ndarray) -> np.ndarray:
    """The firm each poster was a customer of when posting (before today's churn moved some)."""
    firms = w.provider[posters].copy()
    left, from_firm = w.defections
    if len(left):
        where = {int(c): int(f) for c, f in zip(left, from_firm, strict=True)}
        firms = np.array([where.get(int(c), int(f)) for c, f in zip(posters, firms, strict=True)], dtype=np.int64)
    return firms


def new_captions(model: RelationshipModel, state: LessonState) -> list[Caption]:
    """Captions for what happened to the focal firm (firm 0) since the last call; updates `state`.

    Call it once a day, after the model's step, with a state from `LessonState.start`.
    """
    w, rec, day = model.world, model.recorder, model.world.day
    if rec.day == 0:
        return []
    today = rec.values[rec.day - 1, 0]
    trust_now = w.trust()[:, 0]
    mean_trust = float(today[_COL["mean_trust"]])
    if day == 1 or np.isnan(state.first_trust):
        state.first_trust = mean_trust
    said = [*_contact_load(w, state, mean_trust), *_public_complaint(w, state, trust_now), *_answered(state, today),
            *_trust_level(state, today, mean_trust), *_churn_spike(rec, state, today), *_customers_lost(rec, state)]
    state.prev_trust = trust_now.copy()
    return [Caption(day, kind, text) for kind, text in said]


#: Each recorded column's position in the recorder's rows.
_COL = {c: k for k, c in enumerate(COLUMNS)}


def _contact_load(w, state: LessonState, mean_trust: float) -> list[tuple[str, str]]:
    """1. Contacts beyond most customers' capacity, and back within it."""
    customers = w.provider == 0
    if not customers.any():
        return []
    share = float((w.load[customers] > w.traits.contact_capacity[customers]).mean())
    if not state.overloaded and share > OVERLOAD_ON:
        state.overloaded = True
        trend = (f", down from {state.first_trust:.2f} on day 1" if mean_trust < state.first_trust else "")
        return [("overload", f"Contacts now exceed the capacity of most customers ({share:.0%} are over theirs): "
                             f"each further contact is a burden, not a bond. Mean trust {mean_trust:.2f}{trend}.")]
    if state.overloaded and share < OVERLOAD_OFF:
        state.overloaded = False
        return [("relief", f"Contacts are back within most customers' capacity (only {share:.0%} are over theirs).")]
    return []


def _public_complaint(w, state: LessonState, trust_now: np.ndarray) -> list[tuple[str, str]]:
    """2. The first public complaint about the firm, and the neighbours it reached."""
    if "public_complaint" in state.fired or not len(w.public_posts):
        return []
    posters = w.public_posts[_firm_when_posting(w, w.public_posts) == 0]
    if not len(posters):
        return []
    state.fired.add("public_complaint")
    heard = np.setdiff1d(np.unique(np.concatenate(
        [w.adj.indices[w.adj.indptr[p]: w.adj.indptr[p + 1]] for p in posters])), posters)
    lower = int((trust_now[heard] < state.prev_trust[heard]).sum())
    who = "A customer complains" if len(posters) == 1 else f"{len(posters)} customers complain"
    return [("public_complaint", f"{who} in public: {len(heard)} neighbours hear it, and {lower} of them "
                                 f"now trust the firm less than yesterday.")]


def _answered(state: LessonState, today: np.ndarray) -> list[tuple[str, str]]:
    """3. The first complaint the firm answers (the two-way exchange that builds intimacy)."""
    if "answered" in state.fired or not today[_COL["complaints_answered"]] > 0:
        return []
    state.fired.add("answered")
    return [("answered", f"The firm answers a complaint: a two-way exchange, the only kind that builds intimacy "
                         f"(mean intimacy {today[_COL['mean_intimacy']]:.3f}).")]


def _trust_level(state: LessonState, today: np.ndarray, mean_trust: float) -> list[tuple[str, str]]:
    """4. Mean trust below one half, and its recovery."""
    if np.isnan(mean_trust):
        return []
    if not state.distrusted and mean_trust < TRUST_LOW:
        state.distrusted = True
        below = np.floor(mean_trust * 1000) / 1000  # 0.4996 reads 0.499, not 0.500
        return [("distrust", f"The average customer now trusts the firm less than not: mean trust {below:.3f} "
                             f"(day 1: {state.first_trust:.2f}), mean stress {today[_COL['mean_stress']]:.2f}.")]
    if state.distrusted and mean_trust > TRUST_RECOVERED:
        state.distrusted = False
        return [("recovery", f"Trust recovers: mean trust is back above one half ({mean_trust:.3f}).")]
    return []


def _churn_spike(rec, state: LessonState, today: np.ndarray) -> list[tuple[str, str]]:
    """5. Churn rising over the first month's level."""
    if "churn_spike" in state.fired or rec.day < 2 * CHURN_WINDOW:
        return []
    churned = rec.values[: rec.day, 0, _COL["churned"]]
    first, recent = churned[:CHURN_WINDOW].sum(), churned[-CHURN_WINDOW:].sum()
    if not (recent >= CHURN_SPIKE * max(first, 3) and recent >= 0.01 * max(today[_COL["customers"]], 1)):
        return []
    state.fired.add("churn_spike")
    return [("churn_spike", f"Customers are leaving: {int(recent)} left in the last {CHURN_WINDOW} days, "
                            f"{recent / max(first, 1):.1f} times as many as in the first month ({int(first)}).")]


def _customers_lost(rec, state: LessonState) -> list[tuple[str, str]]:
    """6. The share of the firm's original (day-0) customers lost, at each step of RETENTION_STEPS."""
    said = []
    surviving = float(rec.surviving[rec.day, 0])
    for level, words in RETENTION_STEPS:
        if f"retention_{level}" not in state.fired and surviving < level:
            state.fired.add(f"retention_{level}")
            said.append(("retention", f"The firm has lost {words} of its original customers "
                                      f"(retention {surviving:.0%})."))
    return said


class LessonModel(RelationshipModel):
    """The page's model: a preset and a what-if scenario, levers that act at once, and captions.

    Args:
        preset: a strategy preset of the focal firm (a file in configs/strategy/).
        what_if: "none", the lesson "relationship decay", a scenario in configs/scenario/, or
            "<scenario>:<contrast>".
        consumers: number of consumers.
        rng: the seed (an integer, or its digits as text).
        days: the horizon.
        learning: whether and how the focal firm learns its mail rate, support capacity and fee, once a
            month (a key of LEARNING; sim/learning.py); the levers it chooses are drawn and captioned.
        scenario: ignored; Mesa's SolaraViz passes its own `Scenario` object when it resets a model.
        **levers: focal Strategy fields set by hand, on top of the preset and the scenario.
    """

    def __init__(self, preset: str = "one_way", what_if: str = LESSON, consumers: int = 2000, rng: int | str = 1,
                 days: int = 1095, learning: str = NO_LEARNING, scenario: Any = None, **levers):
        if isinstance(rng, str):  # the page's seed box holds text: ASCII digits only (not '²'), int64
            text = rng.strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < 2**63):
                raise ConfigError(f"seed={rng[:30]!r}: expected a whole number in [0, 2**63 - 1]")
            rng = int(text)
        if learning not in LEARNING:
            raise ConfigError(f"learning={learning!r}: expected one of {', '.join(LEARNING)}")
        focal, market, rivals, names = setup(preset, what_if, int(consumers))
        self.preset, self.what_if, self.base_focal, self.learning = preset, what_if, focal, learning
        rule = LEARNING[learning]
        policy = Policy(rule=rule[0], objective=rule[1]) if rule else Policy()
        self.levers: dict[str, Any] = dict(levers)
        if levers:
            focal = build(Strategy, {**dataclasses.asdict(focal), **levers}, "focal")
        super().__init__(focal, market, rivals=rivals, days=days, names=names, rng=rng, policy=policy, learners=[0])
        self.lesson = LessonState.start(self)
        self.captions: list[Caption] = []
        self._course: tuple[int, Strategy] | None = None

    def step(self) -> None:
        """One day, then the captions for what happened in it (and what a learning firm changed). At the horizon the
        page's Step button does nothing (the model itself refuses a step beyond it)."""
        if not self.running:
            return
        before = self.firms[0].strategy
        super().step()
        self.captions.extend(new_captions(self, self.lesson))
        after = self.firms[0].strategy
        changes = [f"{k.replace('_', ' ')} {getattr(before, k):g} → {getattr(after, k):g}"
                   for k in LEVERS if getattr(before, k) != getattr(after, k)]
        if changes:  # only learning changes the levers inside a step (the sliders act between steps)
            self.captions.append(Caption(self.world.day, "learning", "The firm learns from last month's results: "
                                         + ", ".join(changes) + "."))

    def set_levers(self, levers: Mapping[str, Any]) -> None:
        """Set the focal firm's levers by hand (replacing earlier ones); they act from the next day."""
        focal = build(Strategy, {**dataclasses.asdict(self.base_focal), **levers}, "focal")
        day = self.world.day
        if self._course is None or self._course[0] != day:
            self._course = (day, self.firms[0].strategy)  # the strategy before today's first change
        elif self.captions and self.captions[-1].kind == "levers" and self.captions[-1].day == day:
            self.captions.pop()  # one caption per day, however often a slider moved
        before, now = self._course[1], self.firms[0].strategy
        self.levers = dict(levers)
        moved = {k: v for k, v in dataclasses.asdict(focal).items() if getattr(now, k) != v}
        if moved:
            self.set_strategy(0, **moved)
        changes = [f"{k.replace('_', ' ')} {getattr(before, k):g} → {getattr(focal, k):g}"
                   for k in LEVERS if getattr(before, k) != getattr(focal, k)]
        if changes:
            self.captions.append(Caption(day, "levers", "The firm changes course: " + ", ".join(changes) + "."))
