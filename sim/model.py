"""RelationshipModel: firms and consumers in a relationship-marketing market (docs/ODD.md).

After Fournier, Dobscha & Mick (1998), "Preventing the premature death of relationship marketing":
the very things marketers do to build relationships may destroy them. Whether they do is left to
emerge from the mechanisms, one module each (docs/ODD.md §8.1: contacts, support, fees, assortment,
voice, word_of_mouth, listening, responsiveness, trust, intimacy, stress, churn, economics); this
module only wires them into a day (sim/vectorized.py or sim/reference.py), schedules the dated events
(sim/calendar.py) and offers the one supported way to change a strategy mid-run (`set_strategy`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence

import mesa
import numpy as np

from . import budget, learning, reference, vectorized
from .agents import Consumer, Firm
from .calendar import Calendar
from .params import ENGINES, MAX_DAYS, ConfigError, Market, Policy, Segment, Strategy, build, segment_list, show
from .recorder import Recorder

#: The columns of `RelationshipModel.tests()`: which firm, a test or a holdout judgement, the days it ran, the lever
#: and its values (control's, then the cell's), the two cells' sizes and mean outcome per customer, the effect, its
#: standard error and z, and whether the change was adopted (a holdout: whether the firm reverted).
TEST_COLUMNS = ("firm", "kind", "start_day", "end_day", "lever", "from", "to", "control_customers",
                "treatment_customers", "control_mean", "treatment_mean", "effect", "se", "z", "adopted")
from .world import FirmArrays, World, create_world


logging.getLogger("MESA").setLevel(logging.WARNING)


class RelationshipModel(mesa.Model):
    """A market of firms (the focal firm 0 and its rivals) and consumers, one step per day.

    Args:
        focal: the focal firm's strategy (default: `Strategy()`, a middle-of-the-road firm). A strategy
            with a budget (`budget` > 0) runs with the levers its budget buys (sim/budget.py).
        market: consumers, their traits and behaviour, the network and rivals (default `Market()`).
        rivals: the rivals' strategies; default one `Strategy()` per name in `market.rivals`.
        days: the horizon; `running` turns False after it.
        consumers: shorthand for `market.consumers`.
        names: display names of the firms' strategies (default: focal, rival_1, ...).
        consumer_agents: create a Mesa `Consumer` agent per consumer (views on the arrays); the
            "agents" engine always creates its own consumer agents.
        engine: "vectorized" (default: compiled rules over the population's arrays, sim/vectorized.py)
            or "agents" (the readable per-agent reference, sim/reference.py). Both run the same model
            from the same day-0 world and record the same tables; they agree in distribution
            (tests/test_docking.py), not draw by draw.
        record_episodes: also record every problem episode and how it ended (`recorder.episodes()`);
            off by default, as only the stylized-fact experiments need it.
        collect: collect Mesa's DataCollector every day (`datacollector`: the focal firm's customers, trust,
            stress and profit, and each firm's customers and NPV); the recorder keeps all of these and
            more either way, so the command's runs, which read only the recorder, turn it off (it cost
            about a sixth of a day at 5,000 consumers).
        policy: how firms choose their levers (default `Policy()`: fixed); a learning rule changes the
            levers of the firms in `learners` every `policy.period_days` (sim/learning.py).
        learners: the indices of the learning firms (default: the focal firm 0, and the rivals too when
            `policy.rivals`).
        rng: the seed. A seed fully determines the run; the population, the network and each
            stochastic process draw from their own child streams, so changing a strategy leaves
            the consumers and the network identical (common random numbers).
        segments: {firm index: [Segment, ...]}: segments of a firm's customers that get levers of their own (random
            test cells, tenure bands; docs/ODD.md §7.22); change them mid-run with `set_segments`.
        accounts: keep customer accounts, what each firm has made from each consumer (`world.account`, firm
            columns; docs/ODD.md §7.18.2); test-and-learn firms measure their tests with them (on for them).
        day0: the day-0 world of a model with the same market, seed and number of firms (`model.world.copy()`
            before that model's first day): copied instead of drawn again, the same numbers (sim/world.py:
            create_world); saves drawing the population and the network when several strategies run on one seed.
        **focal_overrides: Strategy fields of the focal firm, e.g. `mail_rate=104`.
    """

    def __init__(self, focal: Strategy | None = None, market: Market | None = None, *,
                 rivals: Sequence[Strategy] | None = None, days: int = 1095, consumers: int | None = None,
                 names: Sequence[str] | None = None, consumer_agents: bool = True, rng: int | None = None,
                 engine: str = "vectorized", record_episodes: bool = False, collect: bool = True,
                 policy: Policy | None = None, learners: Sequence[int] | None = None, day0: World | None = None,
                 segments: dict[int, Sequence[Segment]] | None = None, accounts: bool = False, **focal_overrides):
        if engine not in ENGINES:
            raise ConfigError(f"engine={show(engine)}: expected one of {', '.join(ENGINES)}")
        if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or not 1 <= days <= MAX_DAYS:
            raise ConfigError(f"days={show(days)}: expected an integer in [1, {MAX_DAYS}]")
        if focal is not None and not isinstance(focal, Strategy):
            raise ConfigError(f"focal={show(focal)}: expected a Strategy")
        if market is not None and not isinstance(market, Market):
            raise ConfigError(f"market={show(market)}: expected a Market")
        if policy is not None and not isinstance(policy, Policy):
            raise ConfigError(f"policy={show(policy)}: expected a Policy")
        if day0 is not None and not isinstance(day0, World):
            raise ConfigError(f"day0={show(day0)}: expected a World (another model's `world.copy()` before its first "
                              "day)")
        seed = _seed_of(rng)
        super().__init__(rng=seed)
        focal = focal or Strategy()
        if focal_overrides:
            focal = build(Strategy, {**dataclasses.asdict(focal), **focal_overrides}, "focal")
        market = market or Market()
        if consumers is not None:
            market = dataclasses.replace(market, consumers=build(Market, {"consumers": consumers}).consumers)
        rivals = _rivals(market, rivals)
        strategies = [budget.levers(s, market.channels) for s in (focal, *rivals)]  # what a budget buys (sim/budget.py)
        if names is not None and (isinstance(names, str) or len(names) != len(strategies)
                                  or not all(isinstance(n, str) and n for n in names)):
            raise ConfigError(f"names={show(names)}: expected a list of {len(strategies)} names (strings), one per firm")
        self.seed, self.days, self.market, self.engine = seed, days, market, engine
        self.names = list(names) if names else ["focal"] + [f"rival_{k}" for k in range(1, len(strategies))]
        self.world: World = create_world(strategies, market, np.random.SeedSequence(seed), like=day0)
        self.recorder = Recorder(self.world, days, self.names)
        self.world.observe[0] = record_episodes
        self.segments: list[list[Segment]] = [[] for _ in strategies]
        self.policy = policy or Policy()
        self.world.observe[1] = bool(accounts) or self.policy.rule == "test_and_learn"
        if engine == "agents" and self.world.observe[1]:
            raise ConfigError(f"engine={show(engine)}: customer accounts (accounts=True, firm_policy.rule="
                              "test_and_learn) are kept on the vectorized engine only")
        if engine == "agents":
            self.firms, self.consumers = reference.populate(self, strategies)
        else:
            self.firms = [Firm(self, k, name, s)
                          for k, (name, s) in enumerate(zip(self.names, strategies, strict=True))]
            if consumer_agents:
                Consumer.create_agents(self, market.consumers, index=list(range(market.consumers)))
        self.calendar = Calendar(self)  # the dated events: assortment cuts, the defect shock
        if segments is not None:
            if not isinstance(segments, dict):
                raise ConfigError(f"segments={show(segments)}: expected {{firm index: [Segment, ...]}}")
            for firm, segs in segments.items():
                self.set_segments(firm, segs)
        if learners is None:
            learners = range(len(strategies)) if self.policy.rivals else [0]
        learners = sorted(set(learners))
        if any(isinstance(f, bool) or not isinstance(f, (int, np.integer)) or not 0 <= f < len(strategies)
               for f in learners):
            raise ConfigError(f"learners={show(learners)}: expected firm indices in [0, {len(strategies) - 1}]")
        self.learners = learning.learners(self, self.policy, [int(f) for f in learners], self.world.policy_seeds)
        self.collect = bool(collect)
        self._observer = None  # (loop, args) while `advance` runs days with a compiled observer
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "customers": lambda m: m.firms[0].customers,
                "mean_trust": lambda m: m.recorder.latest("mean_trust"),
                "mean_stress": lambda m: m.recorder.latest("mean_stress"),
                "profit": lambda m: m.recorder.latest("profit"),
            },
            agenttype_reporters={type(self.firms[0]): {"customers": "customers", "npv": "npv"}},
        )

    def step(self) -> None:
        """One day, in the order of docs/ODD.md's schedule, then the Mesa DataCollector. A model steps up to its
        horizon (`days`); a step beyond it is refused (ConfigError), as nothing would record it. (`run` and
        `advance` give the same days, bit for bit, several at a time.)"""
        if self.world.day >= self.days:
            raise ConfigError(f"step: the model has reached its horizon (days={self.days}); "
                              "make a model with more days to go on")
        if self.engine == "agents":
            reference.day(self)
        elif self._observer is not None:  # a day of `advance` with an observer
            vectorized.days(self.world, self.recorder, 1, *self._observer)
        else:
            vectorized.day(self.world, self.recorder)
        for learner in self.learners:  # learning firms decide at the end of each period (sim/learning.py)
            learner.step()
        if self.collect:
            self.datacollector.collect(self)
        if self.world.day >= self.days:
            self.running = False

    def set_strategy(self, firm: int, **levers) -> Strategy:
        """Change firm `firm`'s levers from the next day on; the one supported way to change a strategy mid-run.

        `levers` are Strategy fields (e.g. `mail_rate=104, support_fee=10`), validated like any input
        (ConfigError names the key, the value and what is allowed); with a budget, the budget and its shares
        scale the channel rates (which then set the mix) and set inbound_capacity and listening
        (sim/budget.py). Setting `problem_rate` also sets the firm's current root-cause problem rate (learning
        then works from there); changing `assortment_cut` or `cut_day` reschedules the firm's cut (a cut day
        already past, or a cut made, is not repeated).
        Returns the new strategy.
        """
        if isinstance(firm, bool) or not isinstance(firm, (int, np.integer)) or not 0 <= firm < len(self.firms):
            raise ConfigError(f"firm={show(firm)}: expected a firm index in [0, {len(self.firms) - 1}]")
        agent = self.firms[int(firm)]
        strategy = budget.levers(build(Strategy, {**dataclasses.asdict(agent.strategy), **levers}, f"firms[{firm}]"),
                                 self.market.channels)
        agent.strategy = strategy
        self.world.firms = FirmArrays([f.strategy for f in self.firms], self.segments)
        if "problem_rate" in levers:
            agent.set_problem_rate(strategy.problem_rate)
        if {"assortment_cut", "cut_day"} & set(levers):
            self.calendar.schedule_cut(agent)
        return strategy

    def set_segments(self, firm: int, segments: Sequence[Segment | dict]) -> list[Segment]:
        """Give firm `firm` these segments of its customers from the next day on (docs/ODD.md §7.22), replacing its
        earlier ones (an empty list: none). A segment's levers override the firm's strategy for its customers; the
        levers it does not name follow the strategy, also when `set_strategy` changes it. Returns the segments."""
        if isinstance(firm, bool) or not isinstance(firm, (int, np.integer)) or not 0 <= firm < len(self.firms):
            raise ConfigError(f"firm={show(firm)}: expected a firm index in [0, {len(self.firms) - 1}]")
        self.segments[int(firm)] = segment_list(segments, f"segments[{firm}]")
        self.world.firms = FirmArrays([f.strategy for f in self.firms], self.segments)
        self.world.cell[:] = 0  # each customer's cell is drawn anew tomorrow morning (world.py:_assign_cells)
        return self.segments[int(firm)]

    def tests(self):
        """Every test and holdout judgement of the test-and-learn firms, one row each (docs/SCHEMA.md, tests.parquet);
        empty without them."""
        import pandas as pd

        rows = [row for learner in self.learners for row in getattr(learner, "log", [])]
        return pd.DataFrame(rows, columns=list(TEST_COLUMNS))

    def run(self) -> RelationshipModel:
        """Step until the horizon; returns the model. The same as calling `step` until `running` turns False, in
        compiled stretches of days (`advance`)."""
        while self.running:
            self.advance(max(self.days - self.world.day, 1))
        return self

    def advance(self, days: int, loop=None, args: tuple = ()) -> None:
        """Advance `days` days: the same days, bit for bit, as `days` calls of `step` (Mesa's clock, its events,
        the recorder and the learning firms included), in as few compiled calls as the days allow.

        A stretch of days runs in one compiled call (sim/vectorized.py:days) up to the next day on which Python
        must act: a dated event of Mesa's event list (the calendar's assortment cuts and defect shock, or any
        event scheduled on the model) fires before its day, which then runs as a `step`; a learning firm decides
        after the last day of its period; the horizon ends a stretch. The agents engine, a model that collects
        Mesa's DataCollector every day and a subclass with a step of its own step one day at a time. `loop` and
        `args` run each stretch's days with a compiled observer (sim/vectorized.py:days; e.g.
        experiments/inference/battery.py). Days beyond the horizon are refused, as `step` refuses them.
        """
        if loop is not None and self.engine != "vectorized":
            raise ConfigError(f"engine={show(self.engine)}: a compiled observer (advance's loop) runs on the "
                              "vectorized engine only")
        if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 0:
            raise ConfigError(f"advance: days={show(days)}: expected a whole number of days, 0 or more")
        if days > self.days - self.world.day:  # as `step` refuses a day beyond the horizon
            raise ConfigError(f"advance: days={days}: the model has {self.days - self.world.day} days left to its "
                              f"horizon (days={self.days}); make a model with more days to go on")
        end = self.world.day + int(days)
        self._observer = (loop, args) if loop is not None else None
        try:
            while self.world.day < end:
                stretch = self._stretch(end - self.world.day)
                if stretch <= 1:
                    self.step()  # Mesa's own step: its events fire before the day
                    continue
                done = vectorized.days(self.world, self.recorder, stretch, loop, args)
                if not done:  # the log had room for a day (Recorder.reserve): a loop that ran none is broken
                    raise RuntimeError(f"advance: {getattr(loop, '__name__', loop)} ran no day of {stretch}")
                self._skip_clock(done)
                for learner in self.learners:  # a stretch ends on a decision day at the latest
                    learner.step()
                if self.world.day >= self.days:
                    self.running = False
        finally:
            self._observer = None

    def _stretch(self, limit: int) -> int:
        """How many days, at most `limit`, can run in one compiled call from today (0 or 1: step)."""
        if (self.engine != "vectorized" or self.collect or type(self).step is not RelationshipModel.step
                or not _clock_skips(self)):
            return 1  # a subclass's own step (e.g. the page's lesson, experiments/app/lesson.py) sees every day
        day = self.world.day
        k = min(limit, self.days - day)  # `running` turns False on the horizon (and `step` refuses a day beyond it)
        for learner in self.learners:
            k = min(k, learner.next_decision(day) - day)
        step = self._default_schedule._current_event
        try:
            upcoming = self._event_list.peek_ahead(2)
        except IndexError:
            upcoming = []
        for event in upcoming:
            if event is not step:  # the days whose steps come before it (it fires before the next day's step)
                k = min(k, math.ceil(event.time) - 1 - day)
                break
        return max(k, 0)

    def _skip_clock(self, days: int) -> None:
        """Move Mesa's clock over `days` days run outside its step: what `days` calls of `step` do to it when no
        other event falls in them (time, steps, and the next step event)."""
        if not days:
            return
        schedule = self._default_schedule
        schedule._current_event.cancel()
        self.steps += days
        schedule._execution_count += days
        self.time = self.time + days
        schedule._schedule_next(self.time + schedule._get_interval())


def _rivals(market: Market, rivals: Sequence[Strategy] | None) -> list[Strategy]:
    """The rivals' strategies: given, one per name in `market.rivals`, or built by name ('middle' only)."""
    if rivals is None:
        unknown = [name for name in market.rivals if name != "middle"]
        if unknown:
            raise ConfigError(f"market.rivals={market.rivals!r}: by name the model builds only 'middle' rivals "
                              "(the Strategy defaults); pass rivals=[Strategy(...), ...] for the others")
        return [Strategy() for _ in market.rivals]
    rivals = list(rivals)
    if len(rivals) != len(market.rivals) or not all(isinstance(s, Strategy) for s in rivals):
        raise ConfigError(f"rivals: expected {len(market.rivals)} Strategy objects, one per name in "
                          f"market.rivals={market.rivals!r}")
    return rivals


def _clock_skips(model: RelationshipModel) -> bool:
    """Whether `RelationshipModel._skip_clock` knows this Mesa's clock: a daily step generator with a pending
    event one day ahead (Mesa 3.5's; otherwise the model steps one day at a time)."""
    schedule = getattr(model, "_default_schedule", None)
    event = getattr(schedule, "_current_event", None)
    return (event is not None and getattr(schedule, "_paused", True) is False
            and all(hasattr(schedule, k) for k in ("_execution_count", "_schedule_next", "_get_interval"))
            and getattr(schedule.schedule, "interval", None) == 1.0 and event.time == model.time + 1
            and hasattr(model, "_event_list"))


def _seed_of(rng) -> int:
    """The integer seed behind `rng` (an int, a Generator, or None for fresh entropy)."""
    if rng is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and 0 <= rng < 2**63:
        return int(rng)
    raise ConfigError(f"rng={show(rng)}: expected an integer seed in [0, 2**63 - 1]")
