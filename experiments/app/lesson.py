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

The focal firm may also learn (`LEARNING`). A test-and-learn firm (sim/learning.py: `TestAndLearn`; the
firm_policy preset test_and_learn, with the window a test measures chosen on the page) gets a caption when each
test starts (the lever, its new and current value, how many customers are in the cell) and when it ends (the
measured effect per customer, its z and whether the change was adopted for everyone), read from the firm's own
log, the rows of `model.tests()`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtri

from relsim.model import RelationshipModel
from relsim.params import CHANNELS, ConfigError, Market, Policy, Strategy, allowed_names, build
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
            "step by step (hill climbing), for customer value": ("hill_climb", "equity"),
            "by randomised tests (test-and-learn), for the profit a test measures": ("test_and_learn", "profit"),
            "by randomised tests (test-and-learn), for profit plus the customers kept": ("test_and_learn", "horizon")}
NO_LEARNING = next(iter(LEARNING))
#: How long each test of a test-and-learn firm measures (its window, firm_policy.period_days), as the page offers it.
TEST_WINDOWS = (30, 90, 365)
#: A lever a test moves, in words, at a value (the menu of configs/firm_policy/test_and_learn.yaml).
LEVER_WORDS = {
    "mail_rate": lambda v: f"{v:g} {'piece' if v == 1 else 'pieces'} of mail a year",
    "email_rate": lambda v: f"{v:g} e-mail{'' if v == 1 else 's'} a year",
    "phone_rate": lambda v: f"{v:g} call{'' if v == 1 else 's'} a year",
    "inbound_capacity": lambda v: f"support for {v:g} call{'' if v == 1 else 's'} a day per 1,000 customers",
    "support_fee": lambda v: f"a support fee of {v:g} a call" if v else "free support calls",
    "nuisance_fee": lambda v: f"a monthly fee of {v:g} to keep a right customers had" if v else "no monthly fee",
}

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


@functools.lru_cache(maxsize=1)
def _test_and_learn() -> Policy:
    """The firm_policy preset test_and_learn (configs/firm_policy/test_and_learn.yaml: its menu, test share, alpha),
    through the one config loader."""
    return load(["firm_policy=test_and_learn"]).policy


def page_policy(learning: str, test_days: int = TEST_WINDOWS[0]) -> Policy:
    """The focal firm's Policy for a `learning` choice of the page (a key of LEARNING); a test-and-learn firm gets the
    preset's menu and measures each test over `test_days`."""
    if learning not in LEARNING:
        raise ConfigError(f"learning={learning!r}: expected one of {', '.join(LEARNING)}")
    if isinstance(test_days, bool) or not isinstance(test_days, (int, np.integer)) or not 1 <= test_days <= 3650:
        raise ConfigError(f"test_days={test_days!r}: expected a whole number of days in [1, 3650]")
    rule = LEARNING[learning]
    if rule is None:
        return Policy()
    if rule[0] == "test_and_learn":
        return dataclasses.replace(_test_and_learn(), objective=rule[1], period_days=int(test_days))
    return Policy(rule=rule[0], objective=rule[1])


def lever_words(lever: str, value: float) -> str:
    """A lever at a value in a class's words: "26 pieces of mail a year", "a support fee of 5 a call"."""
    words = LEVER_WORDS.get(lever)
    return words(value) if words else f"{lever.replace('_', ' ')} {value:g}"


def _share_words(share: float) -> str:
    """0.5 -> "half of the customers", 0.25 -> "a quarter of the customers", 0.3 -> "30% of the customers"."""
    named = {0.5: "half", 0.25: "a quarter", 0.75: "three quarters", 1 / 3: "a third"}
    return next((f"{w} of the customers" for v, w in named.items() if abs(share - v) < 1e-9),
                f"{share:.0%} of the customers")


def test_started(learner, number: int) -> str:
    """The caption of the test a TestAndLearn firm has just started (its `number`, from 1)."""
    policy, treated = learner.policy, len(learner._segments())  # the treatment cell is the last segment
    cell, control = int((learner.cells == treated).sum()), int((learner.cells == 0).sum())
    now = learner.current()[learner.lever]
    return (f"Test {number} starts: {lever_words(learner.lever, learner.value)} (now {now:g}) for "
            f"{_share_words(policy.test_share)}, {cell:,} drawn at random (the other {control:,} are the control), "
            f"judged on what each brings in the next {policy.period_days} days.")


def test_ended(row: Mapping[str, Any], policy: Policy) -> str:
    """The caption of a test's end, from its row of `model.tests()`: the effect per customer, its z and the decision."""
    effect, z = float(row["effect"]), float(row["z"])
    what = "was worth" if policy.objective == "horizon" else "brought"
    measure = " (profit plus the customers kept, valued over the horizon)" if policy.objective == "horizon" else ""
    if row["adopted"]:
        verdict = "adopted for everyone"
    elif effect > 0:
        verdict = f"not sure enough (z must pass {ndtri(1.0 - policy.alpha / 2.0):.2f}): not adopted"
    else:
        verdict = "not adopted"
    return (f"The {int(row['end_day']) - int(row['start_day'])}-day test of {lever_words(row['lever'], row['to'])} "
            f"(was {row['from']:g}) on {_share_words(policy.test_share)} {what} {abs(effect):.2f} "
            f"{'more' if effect > 0 else 'less'} per customer than the control{measure} (z = {z:.1f}): {verdict}.")


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
        raise ConfigError(f"scenario={name!r}: unknown{allowed_names(name, what_ifs())}")
    scenario = files[base]
    return [scenario.change, *([scenario.contrasts[contrast]] if contrast else [])]


def setup(preset: str, what_if: str, consumers: int) -> tuple[Strategy, Market, list[Strategy], list[str]]:
    """The focal strategy (preset + scenario), the market (default + scenario) and the rivals."""
    if preset not in presets():
        raise ConfigError(f"preset={preset!r}: unknown{allowed_names(preset, presets())}")
    changes = what_if_changes(what_if)
    spec = _spec(consumers)
    focal = scenarios.apply(spec.strategies[preset], changes, "focal")
    market = scenarios.apply_market(dataclasses.asdict(spec.market), changes, "market")
    for name in market.rivals:
        if name not in spec.strategies:
            raise ConfigError(f"market.rivals: unknown strategy {name!r}{allowed_names(name, presets())}")
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
    """5. Churn rising over the first month's level, while the firm shrinks (a firm that gains more customers than
    it loses is not "losing customers", whatever its churn: the caption must not contradict the chart)."""
    if "churn_spike" in state.fired or rec.day < 2 * CHURN_WINDOW:
        return []
    churned = rec.values[: rec.day, 0, _COL["churned"]]
    first, recent = churned[:CHURN_WINDOW].sum(), churned[-CHURN_WINDOW:].sum()
    then, now = rec.values[rec.day - 1 - CHURN_WINDOW, 0, _COL["customers"]], today[_COL["customers"]]
    if not (recent >= CHURN_SPIKE * max(first, 3) and recent >= 0.01 * max(now, 1) and now < then):
        return []
    state.fired.add("churn_spike")
    return [("churn_spike", f"Customers are leaving: {int(recent)} left in the last {CHURN_WINDOW} days, "
                            f"{recent / max(first, 1):.1f} times as many as in the first month ({int(first)}); "
                            f"the firm went from {then:,.0f} to {now:,.0f} customers.")]


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
        learning: whether and how the focal firm learns its levers (a key of LEARNING; sim/learning.py): a bandit or
            hill climber its mail rate, support capacity and fee once a month, a test-and-learn firm (the
            firm_policy preset test_and_learn) by randomised tests on half its customers, starting from the preset's
            levers; the levers it chooses are drawn and captioned (each test when it starts and when it ends).
        test_days: how long each test of a test-and-learn firm measures (days; its window).
        scenario: ignored; Mesa's SolaraViz passes its own `Scenario` object when it resets a model.
        **levers: focal Strategy fields set by hand, on top of the preset and the scenario.
    """

    def __init__(self, preset: str = "one_way", what_if: str = LESSON, consumers: int = 2000, rng: int | str = 1,
                 days: int = 1095, learning: str = NO_LEARNING, test_days: int = TEST_WINDOWS[0], scenario: Any = None,
                 **levers):
        if isinstance(rng, str):  # the page's seed box holds text: ASCII digits only (not '²'), int64
            text = rng.strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < 2**63):
                raise ConfigError(f"seed={rng[:30]!r}: expected a whole number in [0, 2**63 - 1]")
            rng = int(text)
        policy = page_policy(learning, test_days)
        self._made_with = dict(preset=preset, what_if=what_if, consumers=consumers, rng=rng, days=days,
                               learning=learning, test_days=test_days, **levers)  # the road not taken's recipe
        focal, market, rivals, names = setup(preset, what_if, int(consumers))
        self.preset, self.what_if, self.base_focal, self.learning = preset, what_if, focal, learning
        self.levers: dict[str, Any] = dict(levers)
        if levers:
            focal = build(Strategy, {**dataclasses.asdict(focal), **levers}, "focal")
        super().__init__(focal, market, rivals=rivals, days=days, names=names, rng=rng, policy=policy, learners=[0])
        self.lesson = LessonState.start(self)
        self.captions: list[Caption] = []
        self._course: tuple[int, Strategy] | None = None
        #: The road not taken: after the first change of course, the same run (same seed) carried on unchanged,
        #: stepped beside this one; `changed_on` is the day of that change.
        self.road_not_taken: LessonModel | None = None
        self.changed_on: int | None = None
        self.tester = next((x for x in self.learners if x.policy.rule == "test_and_learn"), None)
        if self.tester is not None:  # the first test starts before the first day
            self.captions.append(Caption(0, "test_start", test_started(self.tester, 1)))

    def step(self) -> None:
        """One day, then the captions for what happened in it (and what a learning firm changed). At the horizon the
        page's Step button does nothing (the model itself refuses a step beyond it)."""
        if not self.running:
            return
        before = self.firms[0].strategy
        tester = self.tester
        judged = len(tester.log) if tester is not None else 0
        super().step()
        road = self.road_not_taken
        while road is not None and road.world.day < self.world.day:
            road.step()
        self.captions.extend(new_captions(self, self.lesson))
        if tester is not None:  # a test-and-learn firm: its tests' ends and starts say what it changed
            day = self.world.day
            ended = [row for row in tester.log[judged:] if row["kind"] == "test"]
            self.captions.extend(Caption(day, "test_end", test_ended(row, tester.policy)) for row in ended)
            if ended and tester.start_day == day:
                tests = sum(row["kind"] == "test" for row in tester.log)
                self.captions.append(Caption(day, "test_start", test_started(tester, tests + 1)))
            return
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
        moved = {k: v for k, v in dataclasses.asdict(focal).items() if getattr(now, k) != v}
        if moved and day > 0 and self.road_not_taken is None:
            self.road_not_taken, self.changed_on = self._replay(), day
        self.levers = dict(levers)
        if moved:
            self.set_strategy(0, **moved)
        changes = [f"{k.replace('_', ' ')} {getattr(before, k):g} → {getattr(focal, k):g}"
                   for k in LEVERS if getattr(before, k) != getattr(focal, k)]
        if changes:
            self.captions.append(Caption(day, "levers", "The firm changes course: " + ", ".join(changes) + "."))

    def _replay(self) -> LessonModel:
        """This run as it stands today, before the change of course: made the same way (the same seed, so the
        same consumers, network and random draws), given the same levers, and stepped to today; from here it
        carries on unchanged (what would have happened had the firm not changed course). A learning firm learns
        there too, by the same rule and random stream (a test-and-learn firm runs the same tests up to today): the
        road not taken is the same firm without the change made by hand, not a firm that stops learning."""
        road = LessonModel(**self._made_with)
        if self.levers:  # set before the first day (they carry over a Reset)
            road.set_levers(self.levers)
        while road.world.day < self.world.day:
            road.step()
        return road
