"""The reference engine: every consumer applies the model's rules to itself, in plain Python.

This is the readable specification of docs/ODD.md §7, written in the style of Mesa's examples
(boltzmann_wealth_model, wolf_sheep): agents with short, verb-named methods, and a day that names the
order of activation outright (`day`, the schedule of ODD §3).

Every amount of evidence or stress, every probability and every hazard comes from the rule function
of its mechanism module (sim/contacts.py, sim/support.py, sim/fees.py, ...): the same functions the
vectorized engine (sim/vectorized.py) compiles, called here as the plain Python they are compiled
from (numba's `py_func`; `_plain` below). What this module writes itself is only when things happen:
an event "with probability p" is one uniform draw compared with p, every pair, every day, where the
vectorized engine samples only the events that happen. That sampling is what docking tests
(tests/test_docking.py; Axtell et al. 1996; Rand & Rust 2011). It is slow (about 10 µs per
consumer-day) and exists to be read.

Both engines start from the same day-0 world (sim/world.py:create_world: population, network,
providers, trust); at the end of each day the agents write their state back into that world, so the
recorder, the Mesa reporters and every output file are the same for both engines. Random numbers come
from one `random.Random` per process, seeded from the same streams as the vectorized engine's, so a
seed fully determines a run; the two engines do not draw the same numbers.
"""

from __future__ import annotations

import math
import random
from types import ModuleType, SimpleNamespace

import mesa
from mesa.agent import AgentSet
import numpy as np

from . import (agents, assortment, churn, contacts, economics, fees, intimacy, rand, responsiveness, stress,
               support, trust, voice, word_of_mouth)
from .params import CHANNELS, Strategy
from .population import TRAITS
from .world import (CAUSE, COUNTERS, DAILY, E_EPISODES, N_CHANNELS, PROSPECT, QUICK, RESOLVED_LATER, SILENT, STREAMS,
                    R_RESPONSE, UNRESOLVED_END, World, contact_seeds, log_episode, reference_cell)


def _plain(module: ModuleType) -> SimpleNamespace:
    """The compiled functions of `module` as the plain Python functions they are compiled from."""
    return SimpleNamespace(**{name: rule.py_func for name, rule in vars(module).items() if hasattr(rule, "py_func")})


# From here on, `contacts.welcome(b, i)` is sim/contacts.py's rule `welcome`, run as plain Python.
(assortment, churn, contacts, economics, fees, intimacy, rand, responsiveness, stress, support, trust, voice,
 word_of_mouth) = map(_plain, (assortment, churn, contacts, economics, fees, intimacy, rand, responsiveness, stress,
                               support, trust, voice, word_of_mouth))


class ReferenceFirm(agents.Firm):
    """The reference engine's firm: a Mesa firm agent that keeps its own day's counters, evidence ledger and
    accounts, and staffs its support line, listens and learns itself (the firm-side phases)."""

    def __init__(self, model: mesa.Model, index: int, name: str, strategy: Strategy):
        super().__init__(model, index, name, strategy)
        self.rate = strategy.problem_rate  # root-cause problem rate r_f
        self.value = 0.0  # NPV
        self.count = 0  # customers
        self.today = dict.fromkeys(COUNTERS, 0.0)
        self.ledger = {sign: [0.0] * len(CAUSE) for sign in ("negative", "positive")}

    def set_problem_rate(self, rate: float) -> None:
        """Set today's root-cause problem rate (RelationshipModel.set_strategy does, for `problem_rate`)."""
        self.rate = rate

    def close_cut(self) -> None:
        """If the calendar's cut was today, its share is in effect from now on (serving costs less)."""
        w = self.model.world
        if w.cut_today[self.index]:
            w.cut_today[self.index] = False
            w.cut_share[self.index] = self.strategy.assortment_cut

    def open_day(self) -> None:
        """Clear today's counters and evidence ledger."""
        self.today = dict.fromkeys(COUNTERS, 0.0)
        self.ledger = {sign: [0.0] * len(CAUSE) for sign in ("negative", "positive")}

    def answer_calls(self) -> None:
        """Staff slots (a fixed ratio or for demand) for each of my cells (§7.22; one without segments); in each,
        the callers with the smallest priority get through (§7.6)."""
        s, forecast, draw = self.strategy, self.model.world.call_forecast, self.model.streams["support"]
        cells = self.model.world.firms.cell_strategies[self.index]
        mine = [c for c in self.model.consumers if c.provider == self.index]
        slots = []
        for k, cell in enumerate(cells):
            members = sum(c.cell == k for c in mine) if len(cells) > 1 else self.count
            expected = forecast[self.index] * (members / self.count if self.count else 0.0) if len(cells) > 1 \
                else forecast[self.index]
            staffed = support.staffing(cell.inbound_capacity, members, s.service_level, expected)
            self.today["staffed"] += staffed
            whole = math.floor(staffed)
            slots.append(whole + (staffed > whole and draw.random() < staffed - whole))
        callers = [c for c in mine if c.open_severity > 0 and c.seeking]
        forecast[self.index] = support.forecast_of(forecast[self.index], len(callers))
        for k in range(len(cells)):
            queue = sorted((c for c in callers if c.cell == k), key=lambda c: draw.random())
            for rank, caller in enumerate(queue):
                caller.call_support(self, reached=rank < slots[k])

    def listen(self) -> None:
        """Detect and answer private complaints (listening) and public posts (public_listening) (§7.12)."""
        s, draw = self.strategy, self.model.streams["listening"]
        for consumer in self.model.private_complaints:
            if consumer.provider == self.index and draw.random() < s.listening:
                consumer.hear_back(self)
        for consumer in self.model.public_posts:
            if consumer.provider == self.index and draw.random() < s.public_listening:
                consumer.hear_back(self)
                consumer.post("positive", "word_of_mouth", self.index, self.model.b.public_answer_weight)
        self.learn()

    def learn(self) -> None:
        """What I heard today lowers my root-cause problem rate towards its floor (§7.13)."""
        b, s = self.model.b, self.strategy
        heard = responsiveness.heard(self.today["complaints_answered"], s.listening, self.today["tickets_reached"])
        self.rate = responsiveness.learned(b, self.rate, s.problem_rate, s.responsiveness, heard, self.count)

    def account(self) -> None:
        """Revenue, cost, profit and discounted value (§7.18)."""
        s, day, t = self.strategy, self.model.day, self.today
        serve = economics.serve_cost(s.serve_cost, s.assortment_saving,
                                     float(self.model.world.cut_share[self.index]))
        t["revenue"] = economics.revenue(self.count, s.price, t["fees"], t["sales_revenue"])
        outbound = economics.outbound_spend(self.model.b, [t[f"contacts_{c}"] for c in CHANNELS],
                                            t["prospect_contacts"])
        t["spend"] = economics.relationship_spend(self.count, outbound, t["staffed"], s.cost_per_ticket,
                                                  t["complaints_answered"], s.cost_per_answer, s.listening,
                                                  s.public_listening, s.listening_cost)
        t["cost"] = economics.cost(self.count, serve, t["spend"],
                                   economics.cost_of_goods(t["sales_revenue"], s.sale_cost_share))
        self.value += economics.discounted(self.model.b, t["revenue"] - t["cost"], day)


class ReferenceConsumer(mesa.Agent):
    """The reference engine's consumer: an agent that holds its own state (its traits, its provider, and its
    evidence, intimacy and fit about every firm) and applies the rules to itself; not a view on the arrays like
    sim/agents.py's Consumer."""

    def __init__(self, model: mesa.Model, index: int, w: World):
        super().__init__(model)
        self.index = index
        for trait in TRAITS:
            setattr(self, trait, float(getattr(w.traits, trait)[index]))
        self.pos, self.neg = w.pos[index].tolist(), w.neg[index].tolist()  # evidence about each firm
        self.intimacy, self.fit = w.intimacy[index].tolist(), w.fit[index].tolist()
        self.provider, self.tenure = int(w.provider[index]), 0
        self.cell = 0  # my cell with my provider (§7.22), placed each morning
        self.cohort, self.loyal = int(w.cohort[index]), bool(w.cohort_alive[index])
        self.shock_draw = float(w.shock_draw[index])
        self.stress = self.load = self.open_severity = 0.0
        self.open_days = self.calls = 0
        self.seeking = False
        self.heard_negative = 0.0  # W-: negative posts about the provider heard yesterday
        self.neighbours: list[ReferenceConsumer] = []

    # ------------------------------------------------------------------ helpers
    def receive(self, sign: str, cause: str, firm: int, amount: float, direct: bool = False) -> None:
        """Evidence about `firm` today (§7.9); the firm's ledger counts it if I am its customer."""
        (self.pos_today if sign == "positive" else self.neg_today)[firm] += amount
        ledger, experienced = trust.routes(self.provider, firm, direct)
        if ledger:
            self.model.firms[firm].ledger[sign][CAUSE[cause]] += amount
        if experienced:
            if sign == "positive":
                self.direct_pos += amount
            else:
                self.direct_neg += amount

    def trust(self, firm: int) -> float:
        """My trust in `firm`, the mean of my Beta evidence about it (§7.9)."""
        return trust.beta_mean(trust.prior(self.model.b), self.pos[firm], self.neg[firm])

    def levers(self, firm: int | None = None) -> Strategy:
        """The levers `firm` (default my provider) applies to me: my cell's if I am its customer (§7.22), else its
        strategy's."""
        firm = self.provider if firm is None else firm
        cells = self.model.world.firms.cell_strategies[firm]
        return cells[self.cell] if firm == self.provider else cells[0]

    def place(self) -> None:
        """My cell with my provider at my tenure today (§7.22; world.py:cell_at, as the other engine draws it)."""
        w = self.model.world
        self.cell = (int(reference_cell(w.kernel()[2], w.streams[R_RESPONSE], self.index, self.provider, self.tenure))
                     if self.provider >= 0 else 0)

    def fee(self) -> float:
        """The support fee a call would cost me today (§7.6)."""
        s = self.levers()
        return fees.call_fee(s.support_fee, s.support_free_days, self.tenure)

    def deterrent(self) -> float:
        """How much that fee deters me from calling or complaining (§7.6)."""
        return fees.deterrent(self.model.b, self.price_sensitivity, self.fee())

    def price_term(self, firm: int) -> float:
        """The price term of my churn and joining hazards for `firm` (§7.16)."""
        s = self.levers(firm)
        return self.price_sensitivity * churn.price_markup(self.model.b, s.price, s.nuisance_fee)

    # ------------------------------------------------------------------ phase 1
    def begin_day(self) -> None:
        """A day older with my provider; today's evidence, stressors and exchanges start at zero."""
        if self.provider >= 0:
            self.tenure += 1
        self.place()
        n_firms = len(self.pos)
        self.pos_today, self.neg_today = [0.0] * n_firms, [0.0] * n_firms
        self.contacted = [False] * n_firms
        self.direct_neg = self.direct_pos = self.stress_in = self.relief_in = 0.0
        self.exchanges = 0
        self.left_today = False

    # ------------------------------------------------------------------ phases 2-5
    def step(self) -> None:
        """My morning: contacts, data requests, using the product, problems (phases 2-5)."""
        self.receive_contacts()
        self.answer_data_requests()
        self.use_product()
        self.meet_problems()

    def receive_contacts(self) -> None:
        """Each firm contacts me or not, channel by channel; my load decides whether each contact is welcome or a
        burden (§7.2). A customer hears from its provider through its channels; a prospect by the prospecting one."""
        b, streams = self.model.b, self.model.contact_streams
        self.load *= trust.kept(b.load_days)
        today = []  # (firm, channel) of today's contacts; channel N_CHANNELS is prospecting
        for firm in self.model.firms:
            s, mine = self.levers(firm.index), self.provider == firm.index
            for c, rate in enumerate(s.rates):  # every stream draws every day, so each channel keeps its own numbers
                if streams[firm.index][c].random() < rate / 365.0 and mine:
                    today.append((firm, c))
                    self.load += contacts.load_weight(b, b.channel_load[c], contacts.channels_in_use(s.rates))
            if streams[firm.index][N_CHANNELS].random() < s.prospect_rate / 365.0 and not mine:
                today.append((firm, N_CHANNELS))
                self.load += contacts.load_weight(b, b.channel_load[PROSPECT], 1.0)
        if self.model.streams["clutter"].random() < contacts.clutter_chance(b):
            self.load += 1.0
        burdened = contacts.burdened(self.load, self.contact_capacity)
        for firm, c in today:
            prospecting = c == N_CHANNELS
            self.contacted[firm.index] = True
            intrusive = b.channel_intrusiveness[PROSPECT if prospecting else c]
            firm.today["contacts"] += 1
            firm.today["prospect_contacts" if prospecting else f"contacts_{CHANNELS[c]}"] += 1
            if not burdened:
                self.receive("positive", "contacts", firm.index, contacts.welcome(b, intrusive))
            self.receive("negative", "contacts", firm.index,
                         contacts.intrusion(b, intrusive, self.contact_tolerance, burdened), direct=True)
            if burdened:
                self.stress_in += contacts.burden_stress(b, self.contact_tolerance)
            if not prospecting:
                self.respond(firm, c)

    def respond(self, firm: ReferenceFirm, channel: int) -> None:
        """My provider's contact may sell me something: a cross-sell, upgrade or renewal (§7.2.1)."""
        chance = contacts.response_chance(self.model.b.channel_response[channel], self.fit[firm.index],
                                          self.trust(firm.index), self.load, self.contact_capacity)
        if self.model.streams["response"].random() < chance:
            firm.today["contact_sales"] += 1
            firm.today[f"sales_{CHANNELS[channel]}"] += 1
            firm.today["sales_revenue"] += firm.strategy.sale_price

    def answer_data_requests(self) -> None:
        """My provider may ask me for information it puts to no visible use (§7.3)."""
        if self.provider < 0:
            return
        b = self.model.b
        if self.model.streams["contacts"].random() < self.levers().data_requests / 365.0:
            self.receive("negative", "data_requests", self.provider, b.data_request_weight, direct=True)
            self.stress_in += b.stress_data

    def use_product(self) -> None:
        """Using the product is evidence of its fit (§7.4)."""
        if self.provider >= 0:
            positive, negative = support.usage(self.model.b, self.fit[self.provider])
            self.receive("positive", "usage", self.provider, positive)
            self.receive("negative", "usage", self.provider, negative)

    def meet_problems(self) -> None:
        """A new problem, or the defect shock; a fresh problem gets one decision to call support (§7.5)."""
        if self.provider < 0:
            return
        b, m, draw = self.model.b, self.model.market, self.model.streams["problems"]
        firm = self.model.firms[self.provider]
        new = draw.random() < support.problem_chance(firm.rate, self.problem_proneness)
        severity = draw.expovariate(1 / b.severity_mean) if b.severity_mean > 0 else 0.0
        shock = self.model.world.shock_today[0]  # raised by the calendar (sim/calendar.py)
        if shock and self.provider == m.shock.firm and self.shock_draw < m.shock.share:
            severity, new = max(severity, m.shock.severity), True
        if not new:
            return
        firm.today["problems"] += 1
        self.receive("negative", "problems", self.provider, b.problem_weight * severity, direct=True)
        if self.open_severity == 0:
            self.open_days = self.calls = 0
            self.seeking = draw.random() < self.support_seeking * self.deterrent()
            self.model.world.episode_start[self.index] = self.model.day
        self.open_severity += severity

    # ------------------------------------------------------------------ phase 6 (called by my provider)
    def call_support(self, firm: ReferenceFirm, reached: bool) -> None:
        """My call about an open problem: a busy line, or heard, perhaps charged, perhaps resolved (§7.6)."""
        b, first_call = self.model.b, self.calls == 0
        self.calls += 1
        firm.today["tickets"] += 1
        if not reached:
            self.receive("negative", "unreached", firm.index, b.unreached_weight, direct=True)
            self.stress_in += b.stress_unreached
            return
        firm.today["tickets_reached"] += 1
        self.receive("positive", "heard", firm.index, b.heard_weight, direct=True)
        self.exchanges += 1
        fee = self.fee()
        if fee > 0:
            firm.today["fees"] += fee
            self.receive("negative", "support_fees", firm.index, fees.unfairness(b, fee), direct=True)
            self.stress_in += b.stress_fee
        if self.model.streams["support"].random() < self.levers().resolution_quality:
            firm.today["tickets_resolved"] += 1
            self.receive("positive", "resolved", firm.index,
                         support.resolution(b, self.open_severity, first_call, self.trust(firm.index)), direct=True)
            self.exchanges += 1
            self.open_severity = 0.0
            self.end_episode(firm.index, QUICK if first_call else RESOLVED_LATER)

    def end_episode(self, firm: int, outcome: int) -> None:
        """My problem with `firm` ended today with `outcome` (logged when episodes are observed)."""
        w = self.model.world
        log_episode.py_func(w.observe, w.n_events, w.episode_buf, w.episode_firm, w.episode_outcome, self.index,
                            firm, outcome)

    # ------------------------------------------------------------------ phases 7-10
    def react(self) -> None:
        """My afternoon: living with a problem, fees, the cut, and whether to speak up (phases 7-10)."""
        self.live_with_problem()
        self.pay_nuisance_fee()
        self.notice_cut()
        self.speak_up()

    def live_with_problem(self) -> None:
        """An open problem weighs; as a caller I give up after my patience, otherwise it may fade (§7.5, §7.6)."""
        if self.provider < 0 or self.open_severity == 0:
            return
        b = self.model.b
        self.receive("negative", "problems", self.provider, b.open_weight * self.open_severity, direct=True)
        self.open_days += 1
        fades = self.model.streams["problems"].random() < support.fade_chance(b)
        if self.seeking and support.gives_up(self.open_days, self.patience):
            self.receive("negative", "unresolved", self.provider, b.unresolved_weight * self.open_severity, direct=True)
            self.stress_in += b.stress_unresolved
            self.open_severity = 0.0
            self.end_episode(self.provider, UNRESOLVED_END)
        elif not self.seeking and fades:
            self.open_severity = 0.0
            self.end_episode(self.provider, SILENT)

    def pay_nuisance_fee(self) -> None:
        """Every 30 days of tenure my provider charges its nuisance fee, if it has one (§7.7)."""
        if self.provider < 0:
            return
        firm = self.model.firms[self.provider]
        fee = self.levers().nuisance_fee
        if fees.nuisance_due(fee, self.tenure):
            b = self.model.b
            firm.today["fees"] += fee
            self.receive("negative", "nuisance_fees", self.provider, fees.unfairness(b, fee), direct=True)
            self.stress_in += b.stress_fee

    def notice_cut(self) -> None:
        """A firm's cut today lowers my fit if I relied on what it cut; I may see through the spin (§7.8)."""
        b = self.model.b
        for firm in self.model.firms:
            s = firm.strategy
            if not self.model.world.cut_today[firm.index]:  # raised by the calendar (sim/calendar.py)
                continue
            affected = assortment.relied_on_cut(self.assortment_rank, s.assortment_cut)
            if affected:
                self.fit[firm.index] = assortment.fit_after_cut(b, self.fit[firm.index])
            if self.provider == firm.index:
                seen = assortment.sees_through(self.spin_seen, self.spin_detection)
                if affected:
                    self.receive("negative", "assortment", firm.index, assortment.cut_loss(b, s.cut_framing, seen),
                                 direct=True)
                spin, strain = assortment.betrayal(b, s.cut_framing, seen)
                if spin > 0:
                    self.receive("negative", "spin", firm.index, spin, direct=True)
                    self.stress_in += strain

    def speak_up(self) -> None:
        """Today's direct experience (and yesterday's posts heard) may become a complaint or a post; satisfied
        customers also recommend their provider (advocacy) on any day (§7.10)."""
        heard, self.heard_negative = self.heard_negative, 0.0
        if self.provider < 0:
            return
        b, draw, model = self.model.b, self.model.streams["voice"], self.model
        q, v = self.public_voice, self.voice_propensity
        firm = model.firms[self.provider]
        # advocacy: satisfied customers recommend their provider without any incident (Anderson 1998)
        advocacy = voice.advocacy(b, v, q, self.trust(self.provider))
        if self.direct_neg <= 0 and self.direct_pos <= 0 and heard <= 0:
            if advocacy > 0 and draw.random() < 1 - math.exp(-advocacy):
                model.praise_posts.append(self)
                firm.today["posts_positive"] += 1
            return
        open_line = voice.reachable(self.levers().inbound_capacity)
        private = voice.private_voice(b, v, q, self.direct_neg, open_line, self.deterrent())
        if draw.random() < 1 - math.exp(-private):
            model.private_complaints.append(self)
            firm.today["complaints_private"] += 1
        if draw.random() < 1 - math.exp(-voice.public_voice(b, v, q, self.direct_neg, open_line, heard)):
            model.public_posts.append(self)
            firm.today["complaints_public"] += 1
        if draw.random() < 1 - math.exp(-voice.praise(b, v, q, self.direct_pos, advocacy)):
            model.praise_posts.append(self)
            firm.today["posts_positive"] += 1

    # ------------------------------------------------------------------ phase 11
    def post(self, sign: str, cause: str, firm: int, weight: float, retold: bool = False) -> None:
        """My neighbours hear what I say (or did) about `firm`; with `retold`, its customers may retell it (§7.11)."""
        for neighbour in self.neighbours:
            neighbour.receive(sign, cause, firm, weight)
            if word_of_mouth.retold(retold, neighbour.provider, firm):
                neighbour.heard_negative += weight

    # ------------------------------------------------------------------ phase 12 (called by my provider)
    def hear_back(self, firm: ReferenceFirm) -> None:
        """The firm answers my complaint: evidence, a two-way exchange, relief (§7.12)."""
        b = self.model.b
        firm.today["complaints_answered"] += 1
        self.receive("positive", "answered", firm.index, b.answer_weight)
        self.exchanges += 1
        self.relief_in += b.answer_relief

    # ------------------------------------------------------------------ phases 13-15
    def settle(self) -> None:
        """My evening: trust, intimacy and stress take in the day; then I may leave, switch or join (13-15)."""
        self.update_trust()
        self.update_intimacy()
        self.update_stress()
        if self.provider >= 0:
            self.consider_leaving()
        elif not self.left_today:
            self.consider_joining()

    def update_trust(self) -> None:
        """My evidence about every firm fades and takes in today's, the negative weighed more (§7.9)."""
        b = self.model.b
        keep = trust.kept(b.memory_days)
        for f in range(len(self.pos)):
            self.pos[f], self.neg[f] = trust.folded(keep, b.negativity_bias, self.pos[f], self.neg[f],
                                                    self.pos_today[f], self.neg_today[f])

    def update_intimacy(self) -> None:
        """Intimacy decays; two-way exchanges with my provider close part of the gap to 1 (§7.14)."""
        b = self.model.b
        keep = trust.kept(b.intimacy_memory_days)
        self.intimacy = [i * keep for i in self.intimacy]
        if self.exchanges > 0 and self.provider >= 0:
            self.intimacy[self.provider] = intimacy.closer(b, self.intimacy[self.provider], self.exchanges)

    def update_stress(self) -> None:
        """Stressors raise stress towards 1; relief and answers lower it (§7.15)."""
        self.stress = stress.stressed(self.model.b, self.stress, self.stress_in, self.relief_in)

    def consider_leaving(self) -> None:
        """Leave with probability 1 - exp(-h); a leaver may switch at once to a rival it trusts (§7.16)."""
        b, draw, f = self.model.b, self.model.streams["churn"], self.provider
        hazard = churn.hazard(b, self.trust(f), self.stress, self.intimacy[f], self.churn_propensity,
                              self.price_term(f))
        if not draw.random() < -math.expm1(-hazard):
            return
        firm = self.model.firms[f]
        firm.today["churned"] += 1
        self.model.world.cell_today[1, f, self.cell] += 1.0
        firm.count -= 1
        if self.open_severity > 0:
            self.end_episode(f, UNRESOLVED_END if self.seeking else SILENT)
        self.loyal, self.provider, self.tenure, self.open_severity = False, -1, 0, 0.0
        self.left_today = True
        self.model.leavers.append((self, f))
        if len(self.model.firms) > 1 and draw.random() < b.switch_share:
            weights = [0.0 if k == f else churn.switch_weight(b, self.trust(k)) for k in range(len(self.pos))]
            self.join(rand.choose(weights, draw.random()))

    def consider_joining(self) -> None:
        """Join some firm with probability 1 - exp(-sum of hazards), firm k with probability ∝ h_k (§7.17)."""
        b, draw = self.model.b, self.model.streams["acquisition"]
        hazards = [churn.join_hazard(b, self.trust(k), self.price_term(k), self.contacted[k])
                   for k in range(len(self.pos))]
        if draw.random() < -math.expm1(-sum(hazards)):
            self.join(rand.choose(hazards, draw.random()))

    def join(self, firm: int) -> None:
        """Become a customer of `firm`, tenure 0, in my cell with it."""
        self.provider, self.tenure, self.open_severity = firm, 0, 0.0
        self.place()
        self.model.firms[firm].count += 1
        self.model.firms[firm].today["acquired"] += 1


def populate(model: mesa.Model, strategies: list[Strategy]) -> tuple[list[ReferenceFirm], mesa.AgentSet]:
    """Create the firm and consumer agents from `model.world` (day 0) and the per-process random streams."""
    w = model.world
    seeds = dict(zip(STREAMS, np.random.SeedSequence(model.seed).spawn(len(STREAMS)), strict=True))
    model.streams = {k: random.Random(int(seeds[k].generate_state(1, np.uint64)[0])) for k in DAILY}
    per_firm = [random.Random(int(seq.generate_state(1, np.uint64)[0]))
                for seq in contact_seeds(seeds["contacts"], len(strategies))]
    model.contact_streams = [per_firm[f * (N_CHANNELS + 1): (f + 1) * (N_CHANNELS + 1)] for f in range(len(strategies))]
    model.b = w.kernel()[1]  # the behaviour and market parameters, as the compiled rules get them
    model.day = 0
    model.private_complaints, model.public_posts, model.praise_posts, model.leavers = [], [], [], []
    firms = [ReferenceFirm(model, k, name, s) for k, (name, s) in enumerate(zip(model.names, strategies, strict=True))]
    for firm in firms:
        firm.count = int(w.firm_customers[firm.index])
    model.firm_agents = AgentSet(firms, random=model.random)
    consumers = AgentSet([ReferenceConsumer(model, n, w) for n in range(w.n)], random=model.random)
    people = list(consumers)
    for c in people:
        c.neighbours = [people[k] for k in w.adj.indices[w.adj.indptr[c.index]: w.adj.indptr[c.index + 1]]]
    return firms, consumers


def day(model: mesa.Model) -> None:
    """One day of docs/ODD.md §3, each phase activating the agents in a fixed order."""
    consumers, firms = model.consumers, model.firm_agents
    model.day += 1
    firms.do("open_day")  # 1
    model.world.n_events[E_EPISODES] = 0
    consumers.do("begin_day")  # 1
    cells = model.world.cell_today  # each cell's customers at the start of the day (§7.22)
    cells[:] = 0.0
    for consumer in consumers:
        if consumer.provider >= 0:
            cells[0, consumer.provider, consumer.cell] += 1.0
    consumers.do("step")  # 2-5: contacts, data requests, usage, problems
    model.world.shock_today[0] = False  # the calendar's shock, if any, has hit
    firms.do("answer_calls")  # 6: the support queue
    consumers.do("react")  # 7-10: open problems, nuisance fees, the cut, voice
    firms.do("close_cut")  # 9: a cut made today is in effect from now on
    exit_talk, model.leavers = model.leavers, []
    for consumer in model.public_posts:  # 11: word of mouth and yesterday's exit talk
        consumer.post("negative", "word_of_mouth", consumer.provider, model.b.wom_negative_weight, retold=True)
    for consumer in model.praise_posts:
        consumer.post("positive", "word_of_mouth", consumer.provider, model.b.wom_positive_weight)
    for consumer, firm in exit_talk:
        consumer.post("negative", "exit_talk", firm, model.b.exit_talk_weight)
    firms.do("listen")  # 12: answers and root-cause learning
    model.world.public_posts = [c.index for c in model.public_posts]
    model.private_complaints, model.public_posts, model.praise_posts = [], [], []
    consumers.do("settle")  # 13-15: trust, intimacy, stress; churn, switching, joining
    firms.do("account")  # 16
    write_back(model)
    model.recorder.record(model.world)  # 17


def write_back(model: mesa.Model) -> None:
    """Copy the agents' state into the world's arrays, so both engines share recorder and reporters."""
    w, people = model.world, list(model.consumers)
    w.day = model.day
    for name, attr in (("provider", "provider"), ("tenure", "tenure"), ("stress", "stress"), ("load", "load"),
                       ("open_severity", "open_severity"), ("cohort_alive", "loyal")):
        getattr(w, name)[:] = [getattr(c, attr) for c in people]
    for name in ("pos", "neg", "intimacy", "fit"):
        getattr(w, name)[:] = [getattr(c, name) for c in people]
    for firm in model.firms:
        k = firm.index
        w.firm_customers[k], w.problem_rate[k], w.npv[k] = firm.count, firm.rate, firm.value
        w.today_arr[:, k] = [firm.today[name] for name in COUNTERS]
        w.evidence[0, :, k], w.evidence[1, :, k] = firm.ledger["negative"], firm.ledger["positive"]
    w.defections = ([c.index for c, _ in model.leavers], [f for _, f in model.leavers])
