"""Firms that learn from what they observe (docs/ODD.md §7.21; issue 12).

A learning firm decides its levers every `period_days` (its planning cycle). At the end of a period
it **observes** what it can, scores the period by its **objective**, **decides** the levers for the
next period by its **rule**, and **acts** through `RelationshipModel.set_strategy`, the one way a
strategy changes mid-run. Nothing here prefers a strategy: the rules only climb the objective.

What a firm observes. Its own revenue, costs and profit, its customers and how many left: always.
What its customers are about to do (their trust, so their churn hazards) only as far as it listens:
its estimate of what its customers are worth is

    V_hat = listening V_true + (1 - listening) C V(m, h_obs)

with V_true the sum of V(m, h_n) over its customers at their hazards today (sim/economics.py), and
h_obs the daily churn rate it saw over the last CHURN_WINDOW days (churned / customer-days; the
market's base churn before the first period). A firm that does not listen sees its customers' value fall only as they
leave.

Objectives, per customer at the start of the period (so that periods of different size compare):

    profit   J = P / C0                                     (this period's profit: myopic)
    horizon  J = (P + (C1 - C0) m/30 A(H)) / C0             (customers gained or lost valued over H days)
    equity   J = (P + V_hat1 - V_hat0) / C0                 (profit plus the change in perceived value)

P is the period's profit, C0 and C1 the customers at its start and end, m the monthly margin
(sim/economics.py:margin), A(H) = sum_{d=1..H} (1 + discount_rate)^(-d/365) the value of a day of
margin kept for H days.

Rules.
- bandit: epsilon-greedy over the menu's settings (every combination of its lever values; Sutton &
  Barto 2018, §2.2-2.5). With `explore` = menu, each setting is tried once first, in a random order;
  then, with probability `exploration` a setting at random, otherwise the one with the highest value.
  With `explore` = neighbours (the default), it starts at the setting nearest its starting levers and,
  with probability `exploration`, tries a setting one menu step away from its best in one lever (a
  random lever and direction), otherwise it plays the best setting tried: it never has to visit the
  menu's extremes to learn that they are bad. A setting's value is a recency-weighted mean of its
  scores, Q <- Q + learning_rate (J - Q) (the first score sets it), since the market it learns about
  changes.
- hill_climb: local search one lever at a time, judged against an adaptive aspiration level
  (Cyert & March 1963; Levinthal & March 1981; Greve 2003). Each period after the first is a trial:
  one lever of the menu, chosen at random, moves by `step` of its menu range up or down (at random;
  inward at a bound). If the trial period scores above the aspiration level, the move is kept,
  otherwise undone; the aspiration then moves towards the score, A <- A + learning_rate (J - A) (the
  first period, at the starting levers, sets it), so it follows the firm's recent performance.

- test_and_learn: randomised tests, as firms run them on their customers (Kohavi, Tang & Xu 2020, Trustworthy
  Online Controlled Experiments, ch. 2-3; Hohnhold, O'Brien & Tang 2015, KDD, "Focusing on the long-term"). Each
  test moves one lever of the menu to the next value up or down (at random; inward at a bound) for a treatment cell,
  a random `test_share` of the customers (a segment, docs/ODD.md §7.22, drawn anew for each test); the others are
  the control. The test measures, over `period_days` (the window W), what each customer there at its start brought
  the firm (its customer account, sim/economics.py, over the window; objective horizon adds, for a customer still
  there at the end, m/30 A(horizon_days)), and adopts the change for every customer when the treatment's mean beats
  the control's by more than z_(1 - alpha/2) standard errors (Welch's z on the two cells' means). The next test
  starts the next day. With a `holdout`, a random share of the customers keeps the levers the firm had when the
  holdout began; every `holdout_days` (at the first test's end after) the firm compares, by the same rule, what the
  holdout's customers brought over the period with what the others did, reverts to the holdout's levers if the
  holdout won, and starts a new holdout (drawn anew) at the levers it then has. Every test and judgement is a row of
  `tests()` (docs/SCHEMA.md, tests.parquet).

Each firm draws from its own random stream (`policy`), so a seed fixes every decision.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from scipy.special import ndtri

from .economics import customer_values, expected_margin, margin, serve_cost
from .params import SEGMENT_LEVERS, Policy, Segment
from .recorder import column
from .world import _cells_for

#: Levers that take whole numbers (a hill climber's move is rounded to one).
WHOLE = ("support_free_days",)
#: Days of churn a firm looks back over to estimate its churn rate (a year: the usual window of a
#: churn report; a month of a few thousand customers holds too few departures to estimate it).
CHURN_WINDOW = 365


def annuity(discount_rate: float, days: float) -> float:
    """A(H) = sum_{d=1..H} (1 + r)^(-d/365): today's value of one unit a day for H days (H whole days)."""
    days = int(days)
    q = (1.0 + discount_rate) ** (-1.0 / 365.0)
    return float(days) if q == 1.0 else q * (1.0 - q**days) / (1.0 - q)


def perceived_value(listening: float, true_value: float, customers: float, monthly_margin: float,
                    observed_hazard: float, b) -> float:
    """V_hat = listening V_true + (1 - listening) C V(m, h_obs): what a firm thinks its customers are worth."""
    seen = customers * expected_margin(b, monthly_margin, observed_hazard) if customers else 0.0
    return listening * true_value + (1.0 - listening) * seen


def objective(policy: Policy, profit: float, start: float, end: float, monthly_margin: float, discount_rate: float,
              value_start: float = 0.0, value_end: float = 0.0) -> float:
    """A period's score J per customer at its start (see the module docstring)."""
    gain = 0.0
    if policy.objective == "horizon":
        gain = (end - start) * monthly_margin / 30.0 * annuity(discount_rate, policy.horizon_days)
    elif policy.objective == "equity":
        gain = value_end - value_start
    return (profit + (gain if math.isfinite(gain) else 0.0)) / max(start, 1.0)


class Learner:
    """One firm's learning: observe, score, decide and act at the end of every period."""

    def __init__(self, model, firm: int, policy: Policy, rng: np.random.Generator):
        self.model, self.firm, self.policy, self.rng = model, firm, policy, rng
        self.levers = list(policy.menu)
        self.start = float(model.world.customers[firm])
        # what it believes its customers are worth: only the equity objective needs it (a pass over consumers)
        self.value = (self._value(observed_hazard=model.market.behaviour.base_churn / 365.0)
                      if policy.objective == "equity" else 0.0)
        self.scores: list[float] = []

    def step(self) -> None:
        """At the end of a period: score it, choose the next levers, and set them (from tomorrow)."""
        day = self.model.world.day
        if day % self.policy.period_days or day >= self.model.days:
            return
        score = self._score(day)
        self.scores.append(score)
        self.model.set_strategy(self.firm, **self.decide(score))

    def decide(self, score: float) -> dict[str, float]:
        """The levers for the next period, given the score of the one that ended."""
        raise NotImplementedError

    def next_decision(self, day: int) -> int:
        """The first day after `day` at whose end `step` acts (the model runs the days up to it in one stretch)."""
        return (day // self.policy.period_days + 1) * self.policy.period_days

    def current(self, names=None) -> dict[str, float]:
        """The firm's levers now: those of the menu, or `names`."""
        strategy = self.model.firms[self.firm].strategy
        return {name: float(getattr(strategy, name)) for name in (self.levers if names is None else names)}

    def _margin(self) -> float:
        s = self.model.firms[self.firm].strategy
        cut = float(self.model.world.cut_share[self.firm])
        return margin(s.price, s.nuisance_fee, serve_cost(s.serve_cost, s.assortment_saving, cut))

    def _value(self, observed_hazard: float) -> float:
        w = self.model.world
        listening = self.model.firms[self.firm].strategy.listening
        return perceived_value(listening, float(customer_values(w)[self.firm]), float(w.customers[self.firm]),
                               self._margin(), observed_hazard, w.kernel()[1])

    def _score(self, day: int) -> float:
        rows = self.model.recorder.values[day - self.policy.period_days: day, self.firm]
        profit = float(rows[:, column("profit")].sum())
        end = float(self.model.world.customers[self.firm])
        value_end = self.value
        if self.policy.objective == "equity":
            seen = self.model.recorder.values[max(0, day - CHURN_WINDOW): day, self.firm]
            exposure = float(seen[:, column("customers")].sum())
            hazard = float(seen[:, column("churned")].sum()) / exposure if exposure else 0.0
            value_end = self._value(hazard)
        score = objective(self.policy, profit, self.start, end, self._margin(),
                          self.model.market.discount_rate, self.value, value_end)
        self.start, self.value = end, value_end
        return score


class Bandit(Learner):
    """Epsilon-greedy over every combination of the menu's values (each tried once first)."""

    def __init__(self, model, firm: int, policy: Policy, rng: np.random.Generator):
        super().__init__(model, firm, policy, rng)
        self.settings = [dict(zip(self.levers, combo, strict=True))
                         for combo in itertools.product(*policy.menu.values())]
        self.values = np.full(len(self.settings), -np.inf)  # a setting never tried is never the best
        self.pulls = np.zeros(len(self.settings), dtype=np.int64)
        if policy.explore == "menu":
            self.untried = list(rng.permutation(len(self.settings)))
            self.playing = int(self.untried.pop(0))
        else:
            self.untried = []
            now = self.current()
            nearest = {name: min(values, key=lambda v: (abs(v - now[name]), v)) for name, values in policy.menu.items()}
            self.playing = self.settings.index(nearest)
        model.set_strategy(firm, **self.settings[self.playing])

    def decide(self, score: float) -> dict[str, float]:
        """Update the value of the setting just played; pick the next (untried, a random or neighbouring one, or
        the best)."""
        k, lr = self.playing, self.policy.learning_rate
        self.values[k] = score if self.pulls[k] == 0 else self.values[k] + lr * (score - self.values[k])
        self.pulls[k] += 1
        if self.untried:
            self.playing = int(self.untried.pop(0))
        elif self.rng.random() < self.policy.exploration:
            self.playing = (int(self.rng.integers(len(self.settings))) if self.policy.explore == "menu"
                            else self._neighbour(int(np.argmax(self.values))))
        else:
            self.playing = int(np.argmax(self.values))
        return self.settings[self.playing]

    def _neighbour(self, best: int) -> int:
        """A setting one menu step from setting `best` in one lever (a random lever; a random direction, the only
        one at a bound)."""
        name, value = propose(self.policy.menu, self.settings[best], self.rng)
        return self.settings.index({**self.settings[best], name: value})


class HillClimb(Learner):
    """Local search: try one lever a step up or down for a period; keep the move if the period scored higher."""

    def __init__(self, model, firm: int, policy: Policy, rng: np.random.Generator):
        super().__init__(model, firm, policy, rng)
        self.bounds = {name: (min(v), max(v)) for name, v in policy.menu.items()}
        start = {name: min(max(value, self.bounds[name][0]), self.bounds[name][1])
                 for name, value in self.current().items()}
        self.incumbent, self.aspiration, self.trial = start, None, None
        model.set_strategy(firm, **start)

    def decide(self, score: float) -> dict[str, float]:
        """Keep the trial that ended if it beat the aspiration level; update the aspiration; start the next trial."""
        if self.aspiration is None:
            self.aspiration = score  # the first period, played at the starting levers
        else:
            if score > self.aspiration:
                self.incumbent = self.trial
            self.aspiration += self.policy.learning_rate * (score - self.aspiration)
        name = self.levers[int(self.rng.integers(len(self.levers)))]
        lo, hi = self.bounds[name]
        move = self.policy.step * (hi - lo) * (1.0 if self.rng.random() < 0.5 else -1.0)
        value = self.incumbent[name] + move
        if not lo <= value <= hi:  # at a bound: move inward
            value = self.incumbent[name] - move
        value = min(max(value, lo), hi)
        self.trial = {**self.incumbent, name: float(round(value)) if name in WHOLE else value}
        return self.trial


def propose(menu: dict[str, list[float]], current: dict[str, float], rng: np.random.Generator) -> tuple[str, float]:
    """A test's change: a lever of the menu at random, moved to the next menu value up or down (at random; the
    only way there is at a bound). A value off the menu moves to the nearest menu value on that side."""
    name = list(menu)[int(rng.integers(len(menu)))]
    values, now = sorted(menu[name]), current[name]
    up, down = [v for v in values if v > now], [v for v in values if v < now]
    if up and (not down or rng.random() < 0.5):
        return name, up[0]
    return name, down[-1]


def verdict(control: np.ndarray, treatment: np.ndarray, alpha: float) -> tuple[float, float, float, bool]:
    """(effect, standard error, z, adopt): the treatment's mean less the control's, Welch's standard error, and
    whether the treatment wins at two-sided level alpha (z > z_(1 - alpha/2)). No customers in a cell: no win."""
    if len(control) < 2 or len(treatment) < 2:
        return 0.0, math.inf, 0.0, False
    effect = float(treatment.mean() - control.mean())
    se = math.sqrt(treatment.var(ddof=1) / len(treatment) + control.var(ddof=1) / len(control))
    z = effect / se if se > 0 else (math.copysign(math.inf, effect) if effect else 0.0)
    return effect, se, z, bool(z > ndtri(1.0 - alpha / 2.0))


class TestAndLearn(Learner):
    """Randomised tests of one lever change at a time on a cell of the customers, each measured over period_days;
    optionally a long-term holdout (see the module docstring)."""

    HOLDOUT, TREATMENT = "holdout", "treatment"

    def __init__(self, model, firm: int, policy: Policy, rng: np.random.Generator):
        super().__init__(model, firm, policy, rng)
        self.log: list[dict] = []
        self.draws = 0  # segments drawn so far: each draws with its own salt
        self.holdout: Segment | None = None
        self._start_holdout()
        self._start_test()

    def step(self) -> None:
        """At the end of a test: judge it (and the holdout when its time has come), then start the next test."""
        day = self.model.world.day
        if day % self.policy.period_days or day >= self.model.days:
            return
        self._judge_test(day)
        if self.holdout is not None and day - self.holdout_start >= self.policy.holdout_days:
            self._judge_holdout(day)
        self._start_test()

    def _segments(self) -> list[Segment]:
        return [s for s in (self.holdout, self.cell) if s is not None]

    def _draw(self, share: float, levers: dict[str, float]) -> Segment:
        self.draws += 1
        return Segment(share=share, salt=self.draws, levers=levers)

    def _cohort(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The firm's customers now, their cells (0 control, then the segments in order) and their accounts."""
        w = self.model.world
        rows = np.flatnonzero(w.provider == self.firm)
        s, _, fa = w.kernel()
        return rows, _cells_for(s, fa, rows, self.firm), w.account[rows, self.firm].copy()

    def _outcome(self, rows: np.ndarray, start: np.ndarray) -> np.ndarray:
        """What each of `rows` brought the firm since `start` (its accounts then), plus for objective horizon the
        value of a customer still there, m/30 A(horizon_days)."""
        w = self.model.world
        y = w.account[rows, self.firm] - start
        if self.policy.objective == "horizon":
            kept = w.provider[rows] == self.firm
            y = y + kept * self._margin() / 30.0 * annuity(self.model.market.discount_rate, self.policy.horizon_days)
        return y

    def _start_test(self) -> None:
        self.lever, self.value = propose(self.policy.menu, self.current(), self.rng)
        self.cell = self._draw(self.policy.test_share, {self.lever: self.value})
        self.model.set_segments(self.firm, self._segments())
        self.start_day = self.model.world.day
        self.rows, self.cells, self.accounts = self._cohort()

    def _judge_test(self, day: int) -> None:
        y = self._outcome(self.rows, self.accounts)
        treated = len(self._segments())  # the treatment cell is the last segment
        control, treatment = self.cells == 0, self.cells == treated
        effect, se, z, adopt = verdict(y[control], y[treatment], self.policy.alpha)
        before = self.current()[self.lever]
        self._record(day, "test", self.start_day, self.lever, before, self.value, control, treatment, y, effect, se,
                     z, adopt)
        self.cell = None
        self.model.set_segments(self.firm, self._segments())
        if adopt:
            self.model.set_strategy(self.firm, **{self.lever: self.value})

    def _start_holdout(self) -> None:
        if self.policy.holdout <= 0:
            return
        self.holdout = self._draw(self.policy.holdout, self.current(SEGMENT_LEVERS))
        self.cell = None
        self.model.set_segments(self.firm, self._segments())
        self.holdout_start = self.model.world.day
        self.holdout_rows, self.holdout_cells, self.holdout_accounts = self._cohort()

    def _judge_holdout(self, day: int) -> None:
        """The adopted changes against the holdout over the holdout's period; revert if the holdout won."""
        y = self._outcome(self.holdout_rows, self.holdout_accounts)
        held, rest = self.holdout_cells == 1, self.holdout_cells != 1
        effect, se, z, revert = verdict(y[rest], y[held], self.policy.alpha)
        now = self.current(SEGMENT_LEVERS)
        changed = {k: v for k, v in self.holdout.levers.items() if v != now[k]}
        for name, value in changed.items() or [("", math.nan)]:  # a row per lever that differs, or one saying none
            self._record(day, "holdout", self.holdout_start, name, now.get(name, math.nan), value, rest, held, y,
                         effect, se, z, revert)
        if revert and changed:
            self.model.set_strategy(self.firm, **changed)
        self._start_holdout()

    def _record(self, day, kind, start, lever, before, after, control, treatment, y, effect, se, z, decision) -> None:
        self.log.append({
            "firm": self.firm, "kind": kind, "start_day": start, "end_day": day, "lever": lever, "from": before,
            "to": after, "control_customers": int(control.sum()), "treatment_customers": int(treatment.sum()),
            "control_mean": float(y[control].mean()) if control.any() else math.nan,
            "treatment_mean": float(y[treatment].mean()) if treatment.any() else math.nan,
            "effect": effect, "se": se, "z": z, "adopted": decision})


RULES = {"bandit": Bandit, "hill_climb": HillClimb, "test_and_learn": TestAndLearn}


def learners(model, policy: Policy, firms: list[int], seeds: list[np.random.SeedSequence]) -> list[Learner]:
    """The learners of `firms` under `policy` (none for the fixed rule), each on its own random stream."""
    if policy.rule == "fixed":
        return []
    return [RULES[policy.rule](model, f, policy, np.random.default_rng(seeds[f])) for f in firms]

