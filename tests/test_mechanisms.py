"""Direction of each mechanism, on tiny hand-set populations (common random numbers).

Each test isolates one mechanism: it builds a World with sim.world.create_world, hand-sets the
state the mechanism reads, calls the phase function(s), and compares two settings on the same seed;
or it runs a short RelationshipModel with the other mechanisms switched off. None of them asserts
which strategy wins overall: the paradox must emerge, never be written into a test.
"""

from __future__ import annotations

import dataclasses
import multiprocessing

import mesa
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import (channel_table, evidence, make_market, make_world, run_model, runs, set_provider, set_traits,
                      set_trust)

from relsim import (assortment, budget, churn, contacts, economics, fees, intimacy, listening, numerics, responsiveness,
                    stress, support, trust, voice, word_of_mouth)
from relsim.model import RelationshipModel
from relsim.params import CHANNELS, Channels, Market, Network, Shock, Strategy
from relsim.population import build_network, neighbour_counts
from relsim.world import World, begin_day

# A market in which nobody churns or joins: the same customers in every arm, so arms differ only by
# the mechanism under test.
FROZEN = {"base_churn": 0.0, "acquisition_rate": 0.0}
# A firm that contacts its customers by mail only (the other channels' rates 0).
MAIL_ONLY = {"email_rate": 0.0, "phone_rate": 0.0}
# Channels that add no intrusion evidence (so a contact's evidence is welcome or burden only).
GENTLE = channel_table(every={"intrusiveness": 0.0})


# --------------------------------------------------------------------------- trust: asymmetry, forgetting

@pytest.mark.parametrize("bias", [1.0, 2.0, 5.0])
def test_negative_evidence_moves_trust_further_than_equal_positive(bias: float) -> None:
    w = make_world(consumers=200, provider=0, behaviour={"negativity_bias": bias})
    set_trust(w, 0.5, mass=6.0)
    good, bad = np.arange(100), np.arange(100, 200)
    zeros = np.zeros(100, dtype=np.int64)
    before = w.trust()[:, 0].copy()
    w.add("positive", "usage", good, zeros, 1.0)
    w.add("negative", "usage", bad, zeros, 1.0)
    trust.update(w)
    after = w.trust()[:, 0]
    up, down = after[good] - before[good], before[bad] - after[bad]
    assert (up > 0).all() and (down > 0).all()
    if bias == 1.0:
        np.testing.assert_allclose(down, up, rtol=1e-12)
    else:
        assert (down > up * 1.2).all()


def test_equal_loss_and_gain_leave_trust_below_start_with_negativity_bias() -> None:
    """A failure followed by an equal success does not restore trust (rebuilding takes longer)."""
    for bias, expect_below in ((1.0, False), (3.0, True)):
        w = make_world(consumers=50, provider=0, behaviour={"negativity_bias": bias, "memory_days": 1e9})
        set_trust(w, 0.5, mass=8.0)
        start = w.trust()[:, 0].copy()
        rows, firms = np.arange(50), np.zeros(50, dtype=np.int64)
        w.add("negative", "problems", rows, firms, 2.0)
        trust.update(w)
        begin_day(w)
        w.add("positive", "resolved", rows, firms, 2.0)
        trust.update(w)
        end = w.trust()[:, 0]
        if expect_below:
            assert (end < start - 0.01).all()
        else:
            np.testing.assert_allclose(end, start, atol=1e-6)


def test_evidence_decays_with_memory_days() -> None:
    short = make_world(consumers=100, provider=0, behaviour={"memory_days": 30.0})
    long = make_world(consumers=100, provider=0, behaviour={"memory_days": 300.0})
    for w in (short, long):
        w.pos[:, 0], w.neg[:, 0] = 8.0, 2.0  # trust well above 0.5
        for _ in range(30):
            begin_day(w)
            trust.update(w)
    # after one time constant, e^-1 of the evidence is left
    np.testing.assert_allclose(short.pos[:, 0], 8.0 * np.exp(-1.0), rtol=1e-9)
    np.testing.assert_allclose(short.neg[:, 0], 2.0 * np.exp(-1.0), rtol=1e-9)
    np.testing.assert_allclose(long.pos[:, 0], 8.0 * np.exp(-0.1), rtol=1e-9)
    # forgetting pulls trust back towards the prior (0.5), faster with a shorter memory
    t_short, t_long = short.trust()[:, 0], long.trust()[:, 0]
    start = (1 + 8.0) / (2 + 10.0)
    assert (0.5 < t_short).all() and (t_short < t_long).all() and (t_long < start).all()


# --------------------------------------------------------------------------- intimacy needs reciprocity

def test_intimacy_never_rises_from_outbound_contact_alone() -> None:
    m = run_model(consumers=500, days=60, mail_rate=365.0, email_rate=365.0, phone_rate=365.0, prospect_rate=365.0,
                  inbound_capacity=0.0, listening=0.0, public_listening=0.0,
                  problem_rate=12.0)
    table = runs(m)
    assert table.contacts.sum() > 500 * 50  # contacts every day for every customer, by every channel
    assert (m.world.intimacy == 0).all()
    assert (table.mean_intimacy.dropna() == 0).all()


def test_contact_phase_alone_gives_no_exchange() -> None:
    w = make_world({"mail_rate": 365.0, **MAIL_ONLY}, consumers=300, provider=0, channels=GENTLE)
    contacts.contact(w)
    assert w.contacted[:, 0].all()
    assert (w.exchanges == 0).all()
    intimacy.update(w)
    assert (w.intimacy == 0).all()


def test_intimacy_rises_from_answered_calls() -> None:
    w = make_world({"inbound_capacity": 1000.0, "resolution_quality": 0.0}, consumers=300, provider=0,
                   behaviour={"intimacy_gain": 0.1})
    w.open_severity[:], w.seeking[:] = 1.0, True
    w.seeking[150:] = False  # half do not call
    support.seek_support(w)
    intimacy.update(w)
    np.testing.assert_allclose(w.intimacy[:150, 0], 0.1)  # every call got through (slots = customers)
    assert (w.intimacy[150:] == 0).all()
    # and in a whole run: answered calls build intimacy that outbound contact cannot
    reachable = run_model(consumers=500, days=60, inbound_capacity=50.0, listening=0.0, problem_rate=12.0)
    assert reachable.world.intimacy[:, 0].max() > 0
    assert runs(reachable).mean_intimacy.iloc[-1] > 0


# --------------------------------------------------------------------------- unreachable support

def test_unreachable_support_lowers_trust_raises_stress_and_leaves_tickets_unreached() -> None:
    common = dict(consumers=1000, days=90, problem_rate=12.0, responsiveness=0.0, behaviour=FROZEN)
    closed = run_model(inbound_capacity=0.0, **common)
    open_ = run_model(inbound_capacity=20.0, **common)
    c, o = runs(closed), runs(open_)
    # same customers, same problems (common random numbers)
    np.testing.assert_array_equal(c.problems, o.problems)
    assert c.problems.sum() > 100
    assert c.tickets_reached.sum() == 0 and c.tickets_unreached.sum() > 0
    assert c.tickets_unreached.sum() > o.tickets_unreached.sum()
    assert o.tickets_reached.sum() > 0
    assert c.mean_trust.iloc[-1] < o.mean_trust.iloc[-1]
    assert c.mean_stress.mean() > o.mean_stress.mean()
    ev_c = closed.recorder.evidence_table()
    assert ev_c[(ev_c.cause == "unreached") & (ev_c.sign == "negative")].amount.sum() > 0
    assert ev_c[ev_c.cause == "heard"].amount.sum() == 0


@pytest.mark.parametrize("capacity", [0.0, 20.0, 1000.0])
def test_calls_that_do_not_get_through_are_negative_evidence_and_stress(capacity: float) -> None:
    w = make_world({"inbound_capacity": capacity, "resolution_quality": 0.0}, consumers=1000, provider=0, seed=2)
    w.open_severity[:], w.seeking[:] = 1.0, True
    support.seek_support(w)
    b = w.market.behaviour
    reached = w.today["tickets_reached"][0]
    assert w.today["tickets"][0] == 1000
    if capacity == 0.0:
        assert reached == 0
    elif capacity == 1000.0:
        assert reached == 1000  # as many slots as callers
    else:
        assert 5 < reached < 40  # 20 slots for 1,000 callers
    lost = w.exchanges == 0
    assert lost.sum() == 1000 - reached
    np.testing.assert_allclose(w.stress_in[lost], b.stress_unreached)
    assert (w.stress_in[~lost] == 0).all()
    assert evidence(w, "negative", "unreached") == pytest.approx(b.unreached_weight * lost.sum())
    assert evidence(w, "positive", "heard") == pytest.approx(b.heard_weight * reached)
    stress.update(w)
    assert (w.stress[lost] > w.stress[~lost].max(initial=0)).all()


# --------------------------------------------------------------------------- contact load

def _contact_world(load: float, intrusiveness: float = 0.0, channel: str = "mail", capacity: float = 5.0,
                   **firm) -> World:
    """Everyone a customer, contacted today by `channel` only (rate 365), every channel at `intrusiveness`."""
    rates = {f"{c}_rate": (365.0 if c == channel else 0.0) for c in CHANNELS}
    w = make_world({**rates, **firm}, consumers=200, provider=0, behaviour={"clutter_rate": 0.0},
                   population={"contact_capacity": capacity, "contact_tolerance": 0.5},
                   channels=channel_table(every={"intrusiveness": intrusiveness}))
    w.load[:] = load
    return w


def test_contacts_within_capacity_and_non_intrusive_are_positive_evidence() -> None:
    w = _contact_world(load=0.0, intrusiveness=0.0)
    contacts.contact(w)
    assert w.contacted[:, 0].all()
    assert (w.pos_today[:, 0] > 0).all()
    assert (w.neg_today[:, 0] == 0).all()
    assert (w.stress_in == 0).all()
    assert evidence(w, "positive", "contacts") > 0


def test_contacts_beyond_capacity_are_negative_evidence_and_stress() -> None:
    w = _contact_world(load=100.0, intrusiveness=0.0)
    contacts.contact(w)
    assert w.contacted[:, 0].all()
    assert (w.pos_today[:, 0] == 0).all()
    assert (w.neg_today[:, 0] > 0).all()
    assert (w.stress_in > 0).all()
    assert evidence(w, "negative", "contacts") > 0 and evidence(w, "positive", "contacts") == 0


def test_intrusive_contacts_are_negative_even_within_capacity() -> None:
    gentle, intrusive = _contact_world(0.0, intrusiveness=0.0), _contact_world(0.0, intrusiveness=1.0)
    contacts.contact(gentle)
    contacts.contact(intrusive)
    assert (intrusive.neg_today[:, 0] > gentle.neg_today[:, 0]).all()
    assert (intrusive.pos_today[:, 0] < gentle.pos_today[:, 0]).all()


def _by_channel(channel: str, **firm) -> World:
    """Everyone a customer of firm 0, contacted today by `channel` only, at the market's channel table."""
    rates = {f"{c}_rate": (365.0 if c == channel else 0.0) for c in CHANNELS}
    return make_world({**rates, **firm}, consumers=500, provider=0, behaviour={"clutter_rate": 0.0},
                      population={"contact_capacity": 1000.0, "contact_tolerance": 0.5})


def test_a_call_is_more_negative_evidence_than_an_email_and_less_welcome() -> None:
    """Within capacity, per contact: the phone's intrusiveness (0.89) against e-mail's (0.6), nothing else."""
    phone, email = _by_channel("phone"), _by_channel("email")
    for w in (phone, email):
        contacts.contact(w)
        assert w.today["contacts"][0] == 500 and (w.load < w.traits.contact_capacity).all()  # nobody burdened
    per_call = evidence(phone, "negative", "contacts") / 500
    per_email = evidence(email, "negative", "contacts") / 500
    assert per_call > per_email > 0
    assert evidence(phone, "positive", "contacts") < evidence(email, "positive", "contacts")
    assert phone.market.channels.phone.intrusiveness > email.market.channels.email.intrusiveness


def test_more_phone_contacts_give_more_negative_contact_evidence_per_contact_than_as_many_emails() -> None:
    """A whole run at the market's channels: 26 calls a year against 26 e-mails, the same customers (no churn)."""
    ev = {}
    for channel in ("phone", "email"):
        rates = {f"{c}_rate": (26.0 if c == channel else 0.0) for c in CHANNELS}
        m = run_model(consumers=1000, days=120, behaviour=FROZEN, prospect_rate=0.0, **rates)
        table, evid = runs(m), m.recorder.evidence_table()
        negative = evid[(evid.firm == 0) & (evid.cause == "contacts") & (evid.sign == "negative")].amount.sum()
        ev[channel] = negative / table[f"contacts_{channel}"].sum()
        assert table[f"contacts_{channel}"].sum() == table.contacts.sum() > 0
    assert ev["phone"] > 1.5 * ev["email"]


def test_more_channels_bring_the_burden_sooner() -> None:
    """The same mail, to customers who also get (almost never) an e-mail and a call: three channels in use, so
    every piece of mail weighs 1 + 2 channel_reactance. A superset of burdened contacts, the first ones earlier."""
    burdened, first = {}, {}
    for channels, others in ((1, 0.0), (3, 1e-9)):
        w = make_world({"mail_rate": 104.0, "email_rate": others, "phone_rate": others}, consumers=1000,
                       provider=0, seed=3, population={"contact_tolerance": 0.5}, channels=GENTLE)
        days = []
        for _ in range(90):
            begin_day(w)
            contacts.contact(w)
            assert w.today["contacts_email"][0] == w.today["contacts_phone"][0] == 0
            days.append(w.contacted[:, 0] & (w.neg_today[:, 0] > 0))
        burdened[channels] = np.array(days)
        hit = burdened[channels].any(axis=0)
        first[channels] = np.where(hit, burdened[channels].argmax(axis=0), 10**6)
    one, three = burdened[1], burdened[3]
    assert one.sum() > 0
    assert three.sum() > 1.2 * one.sum()
    assert (three | ~one).all()  # every contact burdensome with one channel is burdensome with three
    assert (first[3] <= first[1]).all() and (first[3] < first[1]).any()


def _contacts_by_channel(w: World) -> dict[str, set]:
    """Today's contacts of firm 0 to its customers, as (consumer) sets per channel (read from the contact phase)."""
    k = int(w.today["contacts"].sum())
    pairs = w.pairs[:k]
    per = len(CHANNELS) + 1
    n, f, c = pairs // per // w.n_firms, pairs // per % w.n_firms, pairs % per
    return {name: set(n[(f == 0) & (c == j)].tolist()) for j, name in enumerate(CHANNELS)}


@pytest.mark.parametrize("engine", ["vectorized", "agents"])
def test_changing_one_channels_rate_leaves_the_other_channels_contacts_as_they_were(engine: str) -> None:
    """Common random numbers: each (firm, channel) draws its contacts from its own stream."""
    tables = {}
    market = make_market(300 if engine == "agents" else 1000, 2, behaviour=FROZEN, penetration=0.7)
    for email in (12.0, 104.0):
        focal = Strategy(mail_rate=26.0, email_rate=email, phone_rate=6.0)
        m = RelationshipModel(focal, market, rivals=[Strategy()], days=60, rng=1, engine=engine,
                              consumer_agents=False).run()
        tables[email] = runs(m, firm=None)
    low, high = tables[12.0], tables[104.0]
    for column in ("contacts_mail", "contacts_phone", "prospect_contacts"):
        np.testing.assert_array_equal(low[column], high[column], err_msg=column)
    focal = low.firm == 0  # the rival's contacts are as they were in every channel
    np.testing.assert_array_equal(low.contacts_email[~focal], high.contacts_email[~focal])
    assert high.contacts_email[focal].sum() > 4 * low.contacts_email[focal].sum() > 0
    assert (low.contacts_mail[focal] > 0).any() and (low.contacts_phone[focal] > 0).any()


def test_one_channels_contacts_are_the_same_consumers_whatever_another_channel_does() -> None:
    seen = {}
    for email in (0.0, 200.0):
        w = make_world({"mail_rate": 30.0, "email_rate": email, "phone_rate": 10.0}, consumers=2000, provider=0)
        days = []
        for _ in range(20):
            begin_day(w)
            contacts.contact(w)
            days.append(_contacts_by_channel(w))
        seen[email] = days
    for day_low, day_high in zip(seen[0.0], seen[200.0], strict=True):
        assert day_low["mail"] == day_high["mail"] and day_low["phone"] == day_high["phone"]
        assert not day_low["email"] and day_high["email"]


# --------------------------------------------------------------------------- service recovery

def _trust_after_problem(recovery: float | None, trust_level: float = 0.7) -> np.ndarray:
    """Trust after a day with a problem of severity 1 resolved at the first call (None: no problem)."""
    w = make_world({"inbound_capacity": 1000.0, "resolution_quality": 1.0}, consumers=500, provider=0,
                   behaviour={"recovery_paradox": recovery or 0.0})
    set_trust(w, trust_level)
    if recovery is not None:
        rows = np.arange(w.n)
        w.add("negative", "problems", rows, np.zeros(w.n, dtype=np.int64), w.market.behaviour.problem_weight, True)
        w.open_severity[:], w.seeking[:], w.calls[:] = 1.0, True, 0
        support.seek_support(w)
        assert w.today["tickets_resolved"][0] == w.n
    trust.update(w)
    return w.trust()[:, 0]


@pytest.mark.parametrize("trust_level", [0.4, 0.7, 0.9])
def test_the_recovery_parameter_sets_trust_after_a_quick_resolution_against_no_problem(trust_level: float) -> None:
    none = _trust_after_problem(None, trust_level)
    at, above, below = (_trust_after_problem(r, trust_level) for r in (0.0, 0.5, -0.5))
    np.testing.assert_allclose(at, none, atol=5e-4)  # 0: back where they were (up to the day's forgetting)
    assert (above > none + 2e-3).all() and (below < none - 2e-3).all()
    assert (above > at).all() and (at > below).all()


def test_a_resolution_at_a_later_call_is_worth_less_than_at_the_first() -> None:
    b = make_world(consumers=10).kernel()[1]
    assert support.resolution(b, 2.0, False, 0.7) < support.resolution(b, 2.0, True, 0.7)
    assert support.resolution(b, 2.0, True, 0.7) < support.resolution(b, 2.0, True, 0.9)  # more to restore


# --------------------------------------------------------------------------- contact response (sales)

def _sales_world(response_rate: float, load: float = 0.0, trust_level: float = 0.7, **firm) -> World:
    """Everyone a customer, mailed today (mail's base response `response_rate`)."""
    w = make_world({"mail_rate": 365.0, **MAIL_ONLY, **firm}, consumers=2000, provider=0, seed=5,
                   behaviour={"clutter_rate": 0.0}, population={"contact_capacity": 5.0, "fit": 0.8},
                   channels=channel_table(mail={"response": response_rate, "intrusiveness": 0.0}))
    set_trust(w, trust_level)
    w.load[:] = load
    return w


def _sell(w: World) -> dict[str, float]:
    contacts.contact(w)
    economics.account(w)
    return {k: float(w.today[k][0]) for k in ("contacts", "contact_sales", "sales_revenue", "revenue", "cost",
                                              "contacts_mail", "sales_mail")}


def test_a_higher_response_brings_more_short_run_revenue_and_its_cost_of_goods() -> None:
    day = {rate: _sell(_sales_world(rate)) for rate in (0.0, 0.05, 0.3)}
    assert day[0.0]["contact_sales"] == 0 and day[0.0]["sales_revenue"] == 0
    assert 0 < day[0.05]["contact_sales"] < day[0.3]["contact_sales"]
    assert day[0.0]["revenue"] < day[0.05]["revenue"] < day[0.3]["revenue"]
    price, share = Strategy().sale_price, Strategy().sale_cost_share
    for rate in (0.05, 0.3):
        assert day[rate]["sales_revenue"] == pytest.approx(price * day[rate]["contact_sales"])
        assert day[rate]["revenue"] - day[0.0]["revenue"] == pytest.approx(day[rate]["sales_revenue"])
        assert day[rate]["cost"] - day[0.0]["cost"] == pytest.approx(share * day[rate]["sales_revenue"])
    # every customer was mailed; about r = response x fit x trust x capacity / (capacity + load) of them bought
    expected = 0.3 * 0.8 * 0.7 * 5.0 / (5.0 + 1.0)
    assert day[0.3]["contact_sales"] / day[0.3]["contacts"] == pytest.approx(expected, abs=0.03)
    assert day[0.3]["sales_mail"] == day[0.3]["contact_sales"] and day[0.3]["contacts_mail"] == day[0.3]["contacts"]


def test_a_higher_contact_load_lowers_the_response() -> None:
    light, heavy = _sell(_sales_world(0.5, load=0.0)), _sell(_sales_world(0.5, load=20.0))
    assert light["contacts"] == heavy["contacts"] > 0
    assert heavy["contact_sales"] < 0.5 * light["contact_sales"]
    chances = [contacts.response_chance(0.5, 0.8, 0.7, load, 5.0) for load in (0.0, 2.0, 5.0, 20.0)]
    assert chances == sorted(chances, reverse=True)
    assert chances[2] == pytest.approx(chances[0] / 2)  # halved when the load reaches capacity


def test_the_response_rises_with_fit_and_trust() -> None:
    assert contacts.response_chance(0.1, 0.4, 0.7, 1.0, 5.0) < contacts.response_chance(0.1, 0.9, 0.7, 1.0, 5.0)
    assert contacts.response_chance(0.1, 0.8, 0.3, 1.0, 5.0) < contacts.response_chance(0.1, 0.8, 0.9, 1.0, 5.0)
    assert contacts.response_chance(0.1, 0.8, 0.7, 1.0, 5.0) < contacts.response_chance(0.4, 0.8, 0.7, 1.0, 5.0)
    low, high = _sell(_sales_world(0.3, trust_level=0.3)), _sell(_sales_world(0.3, trust_level=0.9))
    assert low["contact_sales"] < high["contact_sales"]


def test_a_customer_responds_alike_in_two_arms_on_the_same_day() -> None:
    """The response draw is keyed by (consumer, firm and channel, day): the buyers at a lower chance are among those
    at a higher one."""
    bought = {}
    for rate in (0.1, 0.4):
        w = _sales_world(rate)
        before = w.today_arr.copy()
        rows = []
        for n in range(w.n):  # one consumer at a time, so the firm's counter tells who bought
            w.provider[:] = -1
            w.provider[n] = 0
            w.recount()
            w.today_arr[:] = before
            w.contacted[:] = False
            w.load[:] = 0.0
            contacts.contact(w)
            rows.append(w.today["contact_sales"][0] > 0)
        bought[rate] = np.array(rows)
    assert 0 < bought[0.1].sum() < bought[0.4].sum()
    assert (bought[0.4] | ~bought[0.1]).all()


def test_contacts_to_prospects_bring_no_sale_and_go_by_mail() -> None:
    w = make_world({"prospect_rate": 365.0, "mail_rate": 0.0, **MAIL_ONLY}, consumers=500, provider=-1,
                   channels=channel_table(every={"response": 1.0}))
    contacts.contact(w)
    assert w.today["contacts"][0] == w.today["prospect_contacts"][0] == 500 and w.today["contact_sales"][0] == 0
    economics.account(w)
    assert w.today["spend"][0] == pytest.approx(500 * w.market.channels.mail.cost)


def test_each_channel_sells_at_its_own_response_and_is_counted_apart() -> None:
    w = make_world({"mail_rate": 365.0, "email_rate": 365.0, "phone_rate": 365.0}, consumers=3000, provider=0,
                   behaviour={"clutter_rate": 0.0}, population={"contact_capacity": 1e6, "fit": 1.0},
                   channels=channel_table(mail={"response": 0.2}, email={"response": 0.02}, phone={"response": 0.6}))
    set_trust(w, 0.9)
    contacts.contact(w)
    sold = {c: w.today[f"sales_{c}"][0] for c in CHANNELS}
    assert all(w.today[f"contacts_{c}"][0] == 3000 for c in CHANNELS)
    assert sold["email"] < sold["mail"] < sold["phone"]
    assert sum(sold.values()) == w.today["contact_sales"][0]
    for c, response in (("mail", 0.2), ("email", 0.02), ("phone", 0.6)):  # fit 1, trust 0.9, no room lost
        assert sold[c] / 3000 == pytest.approx(response * 0.9, abs=4 * (response * 0.9 / 3000) ** 0.5)


def test_a_cheaper_channel_at_the_same_response_has_a_higher_realised_short_run_return() -> None:
    """The realised return (analysis/channels.py) of the same contacts and sales at half the cost per contact."""
    from relsim.analysis.channels import channel_economics

    out = {}
    for cost in (0.56, 0.28):
        table = channel_table(mail={"cost": cost})
        m = run_model(consumers=1000, days=180, mail_rate=26.0, **MAIL_ONLY,
                      market=make_market(1000, 1, channels=table, penetration=0.7))
        s = m.firms[0].strategy
        out[cost] = channel_economics(runs(m), m.market.channels, s.sale_price, s.sale_cost_share).set_index("channel")
    dear, cheap = out[0.56].loc["mail"], out[0.28].loc["mail"]
    assert dear.contacts == cheap.contacts > 0 and dear.sales == cheap.sales > 0  # cost moves no consumer
    assert cheap.realised_return > dear.realised_return
    assert 1 + cheap.realised_return == pytest.approx(2 * (1 + dear.realised_return))
    assert np.isnan(out[0.56].loc["phone"].realised_return)  # a channel not in use has no return


# --------------------------------------------------------------------------- support fee

def test_support_fee_is_charged_only_after_the_free_period() -> None:
    fee, free = 15.0, 90
    w = make_world({"inbound_capacity": 1000.0, "support_fee": fee, "support_free_days": free,
                    "resolution_quality": 0.0}, consumers=400, provider=0)
    w.tenure[:] = np.tile([10, 90, 91, 300], 100)
    w.open_severity[:], w.seeking[:] = 1.0, True
    support.seek_support(w)
    after = w.tenure > free
    assert w.today["tickets_reached"][0] == 400  # everyone got through
    assert w.today["fees"][0] == pytest.approx(fee * after.sum())
    b = w.market.behaviour
    assert evidence(w, "negative", "support_fees") == pytest.approx(
        b.fee_weight * fee / w.market.reference_price * after.sum())
    assert (w.stress_in[after] > w.stress_in[~after]).all()


def test_support_fee_in_a_run_starts_after_the_free_period() -> None:
    m = run_model(consumers=400, days=60, problem_rate=24.0, inbound_capacity=200.0, support_fee=10.0,
                  support_free_days=30, behaviour=FROZEN)
    table = runs(m)  # no churn, no joining: every customer's tenure is the day
    assert (table.fees[table.day <= 30] == 0).all()
    assert table.fees[table.day > 30].sum() > 0


def test_a_support_fee_lowers_the_share_of_problems_that_lead_to_calls() -> None:
    share = {}
    for fee in (0.0, 30.0):
        for tenure in (10, 200):
            w = make_world({"problem_rate": 365.0, "support_fee": fee, "support_free_days": 90}, consumers=2000,
                           provider=0, seed=5)
            set_traits(w, problem_proneness=1.0)
            w.tenure[:] = tenure
            support.experience_problems(w)
            assert w.today["problems"][0] == 2000
            share[fee, tenure] = w.seeking.copy()
    assert share[30.0, 200].mean() < 0.8 * share[0.0, 200].mean()
    assert (share[0.0, 200] | ~share[30.0, 200]).all()  # the fee only deters
    np.testing.assert_array_equal(share[0.0, 10], share[30.0, 10])  # free period: no deterrence


# --------------------------------------------------------------------------- nuisance fee

def test_nuisance_fee_charged_each_30_days_of_tenure() -> None:
    w = make_world({"nuisance_fee": 6.0}, consumers=120, provider=0)
    w.tenure[:] = np.arange(1, 121)
    fees.charge_nuisance_fees(w)
    charged = np.flatnonzero(w.neg_today[:, 0] > 0) + 1
    np.testing.assert_array_equal(charged, [30, 60, 90, 120])
    assert w.today["fees"][0] == pytest.approx(6.0 * 4)
    assert evidence(w, "negative", "nuisance_fees") == pytest.approx(4 * 6.0 / w.market.reference_price)
    assert (w.stress_in[charged - 1] > 0).all() and w.stress_in.sum() == pytest.approx(
        4 * w.market.behaviour.stress_fee)


def test_nuisance_fee_in_a_run_adds_unfairness_and_stress() -> None:
    common = dict(consumers=500, days=95, problem_rate=0.0, behaviour=FROZEN)
    fee, free = run_model(nuisance_fee=6.0, **common), run_model(nuisance_fee=0.0, **common)
    f, n = runs(fee), runs(free)
    assert set(f.day[f.fees > 0]) == {30, 60, 90}
    np.testing.assert_allclose(f.fees[f.fees > 0], 6.0 * f.customers[f.fees > 0])
    ev = fee.recorder.evidence_table()
    nuisance = ev[(ev.cause == "nuisance_fees") & (ev.sign == "negative")]
    assert set(nuisance.day[nuisance.amount > 0]) == {30, 60, 90}
    assert f.mean_stress[f.day == 29].item() == pytest.approx(n.mean_stress[n.day == 29].item())
    assert f.mean_stress[f.day == 30].item() > n.mean_stress[n.day == 30].item()
    assert f.mean_trust.iloc[-1] < n.mean_trust.iloc[-1]


# --------------------------------------------------------------------------- assortment cut and spin

def test_assortment_cut_lowers_fit_of_affected_once_when_the_calendar_says_so() -> None:
    w = make_world({"assortment_cut": 0.4, "cut_day": 5, "cut_framing": 0.0}, consumers=1000, provider=0,
                   behaviour={"fit_loss": 0.5})  # announced honestly: the loss is not softened
    fit0 = w.fit.copy()
    w.day = 5
    assortment.cut_assortment(w)  # no calendar event today: the phase does not poll the date
    np.testing.assert_array_equal(w.fit, fit0)
    assert evidence(w, "negative", "assortment") == 0 and w.cut_share[0] == 0
    w.cut_today[0] = True  # the calendar's event (sim/calendar.py)
    assortment.cut_assortment(w)
    assert not w.cut_today[0] and w.cut_share[0] == 0.4
    affected = w.traits.assortment_rank < 0.4
    assert 300 < affected.sum() < 500
    np.testing.assert_allclose(w.fit[affected, 0], 0.5 * fit0[affected, 0])
    np.testing.assert_array_equal(w.fit[~affected, 0], fit0[~affected, 0])
    assert (w.neg_today[affected, 0] >= w.market.behaviour.assortment_weight).all()
    assert evidence(w, "negative", "assortment") == pytest.approx(affected.sum())
    cut_once = w.fit.copy()
    assortment.cut_assortment(w)
    np.testing.assert_array_equal(w.fit, cut_once)


def test_the_calendar_fires_the_cut_and_the_shock_on_their_days_and_reschedules_a_changed_cut() -> None:
    market = dataclasses.replace(Market(), shock=Shock(day=7, share=1.0, severity=3.0, firm=0))
    model = RelationshipModel(Strategy(assortment_cut=0.4, cut_day=5), market, consumers=400, days=30, rng=2,
                              consumer_agents=False)
    for _ in range(4):
        model.step()
    assert model.world.cut_share[0] == 0 and not model.world.cut_today.any()
    model.step()
    assert model.world.cut_share[0] == 0.4
    model.run()
    problems = model.recorder.runs().query("firm == 0").set_index("day")["problems"]
    assert problems[7] > 0.9 * model.recorder.runs().query("firm == 0 and day == 7")["customers"].iloc[0]
    assert problems.drop(7).max() < problems[7] / 10
    moved = RelationshipModel(Strategy(assortment_cut=0.4, cut_day=5), consumers=400, days=30, rng=2,
                              consumer_agents=False)
    moved.step()
    moved.set_strategy(0, cut_day=20)
    for day in range(2, 21):
        moved.step()
        assert moved.world.cut_share[0] == (0.4 if day == 20 else 0.0)


def test_consumers_high_in_spin_detection_see_through_the_cut_more() -> None:
    seen = {}
    for detection in (0.1, 0.8):
        w = make_world({"assortment_cut": 0.5, "cut_day": 3}, consumers=1000, provider=0, day=3)
        set_traits(w, spin_detection=detection)
        w.cut_today[0] = True
        assortment.cut_assortment(w)
        seen[detection] = (evidence(w, "negative", "spin"), w.stress_in > 0)
    (low, low_rows), (high, high_rows) = seen[0.1], seen[0.8]
    assert low > 0 and high > 3 * low
    assert (high_rows | ~low_rows).all()
    assert 0.05 < low_rows.mean() < 0.15 and 0.7 < high_rows.mean() < 0.9


def _cut_world(framing: float, detection: float) -> World:
    w = make_world({"assortment_cut": 0.5, "cut_day": 3, "cut_framing": framing}, consumers=1000, provider=0, day=3)
    set_traits(w, spin_detection=detection)
    w.cut_today[0] = True
    assortment.cut_assortment(w)
    return w


def test_seen_through_spin_is_more_negative_evidence_and_stress() -> None:
    fooled, seen = _cut_world(1.0, detection=0.0), _cut_world(1.0, detection=1.0)
    affected = fooled.traits.assortment_rank < 0.5
    assert (seen.neg_today[:, 0] > fooled.neg_today[:, 0]).all()
    assert evidence(seen, "negative", "spin") > 0 and evidence(fooled, "negative", "spin") == 0
    assert (seen.stress_in > 0).all() and (fooled.stress_in == 0).all()
    assert evidence(seen, "negative", "assortment") > evidence(fooled, "negative", "assortment")
    assert affected.any()


def test_framing_softens_the_loss_for_those_who_do_not_see_through_it() -> None:
    honest, spun, half = _cut_world(0.0, 0.0), _cut_world(1.0, 0.0), _cut_world(0.5, 0.0)
    b = honest.market.behaviour
    loss = {k: evidence(w, "negative", "assortment") for k, w in (("honest", honest), ("spun", spun), ("half", half))}
    assert loss["spun"] < loss["half"] < loss["honest"]
    assert loss["spun"] == pytest.approx((1 - b.spin_softening) * loss["honest"])
    assert evidence(spun, "negative", "spin") == 0


def test_an_honest_cut_neither_softens_nor_betrays() -> None:
    honest_seen, honest_fooled = _cut_world(0.0, 1.0), _cut_world(0.0, 0.0)
    np.testing.assert_array_equal(honest_seen.neg_today, honest_fooled.neg_today)
    assert evidence(honest_seen, "negative", "spin") == 0 and (honest_seen.stress_in == 0).all()
    more = _cut_world(1.0, 1.0)
    assert evidence(more, "negative", "spin") == pytest.approx(honest_seen.market.behaviour.spin_weight * 1000)


# --------------------------------------------------------------------------- voice

def _voice_world(**firm) -> World:
    w = make_world(firm, consumers=2000, provider=0, seed=7)
    w.direct_neg[:] = 2.0
    return w


def test_private_complaints_need_a_reachable_firm() -> None:
    reachable, closed = _voice_world(inbound_capacity=4.0), _voice_world(inbound_capacity=0.0)
    voice.voice(reachable)
    voice.voice(closed)
    assert reachable.today["complaints_private"][0] > 100
    assert closed.today["complaints_private"][0] == 0
    # blocked private voice partly goes public instead
    assert closed.today["complaints_public"][0] > reachable.today["complaints_public"][0]


def test_private_complaints_fall_as_the_support_fee_rises() -> None:
    counts = []
    for fee in (0.0, 10.0, 40.0):
        w = _voice_world(support_fee=fee, support_free_days=90)
        w.tenure[:] = 200
        voice.voice(w)
        counts.append(w.today["complaints_private"][0])
    assert counts[0] > counts[1] > counts[2]
    # within the free period the fee does not deter
    w = _voice_world(support_fee=40.0, support_free_days=90)
    w.tenure[:] = 10
    voice.voice(w)
    assert w.today["complaints_private"][0] == counts[0]


def test_private_complaints_in_a_run_fall_without_a_channel_or_with_a_fee() -> None:
    common = dict(consumers=800, days=60, problem_rate=12.0, responsiveness=0.0, behaviour=FROZEN)
    base = runs(run_model(inbound_capacity=10.0, **common)).complaints_private.sum()
    closed = runs(run_model(inbound_capacity=0.0, **common)).complaints_private.sum()
    fee = runs(run_model(inbound_capacity=10.0, support_fee=60.0, support_free_days=0, **common))
    assert base > 20
    assert closed == 0
    assert fee.complaints_private.sum() < base


def _advocacy_world(rate: float) -> World:
    """2,000 customers without incidents: the first half trusts its provider (0.8), the second does not (0.3)."""
    w = make_world({}, consumers=2000, provider=0, seed=7, behaviour={"advocacy_rate": rate, **FROZEN})
    set_trust(w, np.where(np.arange(w.n) < w.n // 2, 0.8, 0.3))
    set_traits(w, voice_propensity=1.0, public_voice=0.5)
    return w


def _praise_by_half(w: World, days: int = 30) -> tuple[int, int]:
    """Positive posts over `days` days of voice with no support events, by half (trusting, wary)."""
    counts = np.zeros(w.n, dtype=int)
    for _ in range(days):
        assert not w.direct_pos.any() and not w.direct_neg.any()
        voice.voice(w)
        np.add.at(counts, np.asarray(w.praise_posts, dtype=np.int64), 1)
    return int(counts[: w.n // 2].sum()), int(counts[w.n // 2:].sum())


def test_satisfied_customers_advocate_more_than_dissatisfied_ones() -> None:
    trusting, wary = _praise_by_half(_advocacy_world(0.7))
    assert trusting > 100
    assert trusting > 10 * wary


def test_without_advocacy_nobody_praises_without_a_support_event() -> None:
    assert _praise_by_half(_advocacy_world(0.0)) == (0, 0)


def _hand_network(n: int, edges: list[tuple[int, int]]) -> sp.csr_matrix:
    src, dst = np.array(edges).T
    return sp.csr_matrix((np.ones(2 * len(edges)), (np.r_[src, dst], np.r_[dst, src])), shape=(n, n))


def test_negative_posts_reach_network_neighbours_only() -> None:
    w = make_world({}, {}, consumers=10, provider=np.array([0, 0, 1, 0, 1, -1, 0, 1, 0, 0]))
    # 0 - 1, 0 - 2, 2 - 5, 5 - 6, 7 - 8; 3, 4 and 9 are isolated
    w.adj = _hand_network(10, [(0, 1), (0, 2), (2, 5), (5, 6), (7, 8)])
    w.public_posts = np.array([0, 6])  # two customers of firm 0 post
    w.praise_posts = np.array([], dtype=np.int64)
    weight = w.market.behaviour.wom_negative_weight
    word_of_mouth.word_of_mouth(w)
    expected = np.zeros(10)
    expected[[1, 2, 5]] = weight
    np.testing.assert_allclose(w.neg_today[:, 0], expected)
    assert (w.neg_today[:, 1] == 0).all()  # about the posters' firm only
    assert (w.pos_today == 0).all()
    # neighbours of two posters hear twice
    w.neg_today[:] = 0
    w.public_posts = np.array([1, 2])  # firm 0's customer 1, firm 1's customer 2; both neighbour 0
    word_of_mouth.word_of_mouth(w)
    assert w.neg_today[0, 0] == pytest.approx(weight) and w.neg_today[0, 1] == pytest.approx(weight)
    assert w.neg_today[5, 1] == pytest.approx(weight) and w.neg_today[5, 0] == 0


def test_word_of_mouth_on_a_generated_network_follows_the_adjacency() -> None:
    w = make_world(consumers=600, provider=0, network="watts_strogatz", degree=6, seed=2)
    posters = np.random.default_rng(0).choice(600, 25, replace=False)
    w.public_posts, w.praise_posts = posters, np.array([], dtype=np.int64)
    word_of_mouth.word_of_mouth(w)
    indicator = np.zeros(600)
    indicator[posters] = 1
    expected = w.market.behaviour.wom_negative_weight * (w.adj.toarray() @ indicator)
    np.testing.assert_allclose(w.neg_today[:, 0], expected)
    assert (w.neg_today[expected == 0, 0] == 0).all() and (expected == 0).sum() > 300


def test_defections_reach_neighbours_as_exit_talk() -> None:
    w = make_world(consumers=6, provider=np.array([-1, 0, 0, 0, 0, 0]))
    w.adj = _hand_network(6, [(0, 1), (0, 2), (3, 4)])
    w.public_posts = w.praise_posts = np.array([], dtype=np.int64)
    w.defections = (np.array([0]), np.array([0]))
    word_of_mouth.word_of_mouth(w)
    expected = np.zeros(6)
    expected[[1, 2]] = w.market.behaviour.exit_talk_weight
    np.testing.assert_allclose(w.neg_today[:, 0], expected)
    assert evidence(w, "negative", "exit_talk") == pytest.approx(expected.sum())


# --------------------------------------------------------------------------- listening

def _listening_world(**firm) -> World:
    w = make_world(firm, consumers=1000, provider=0, seed=11)
    w.private_complaints = np.arange(1000)
    w.public_posts = np.array([], dtype=np.int64)
    return w


def test_more_listening_answers_more_complaints() -> None:
    answered = {}
    for share in (0.0, 0.2, 0.8):
        w = _listening_world(listening=share)
        listening.listen(w)
        answered[share] = (w.today["complaints_answered"][0], evidence(w, "positive", "answered"),
                               w.exchanges.copy())
    assert answered[0.0][0] == 0 and answered[0.0][1] == 0
    assert 100 < answered[0.2][0] < answered[0.8][0]
    assert answered[0.8][1] == pytest.approx(answered[0.8][0] * 0.4)  # answer_weight each
    assert ((answered[0.8][2] > 0) | (answered[0.2][2] == 0)).all()


def test_public_listening_answers_public_posts() -> None:
    out = {}
    for public in (0.0, 0.5):
        w = make_world({"public_listening": public, "listening": 0.0}, consumers=500, provider=0,
                       network="watts_strogatz", degree=4)
        w.private_complaints = np.array([], dtype=np.int64)
        w.public_posts = np.arange(0, 500, 5)
        listening.listen(w)
        out[public] = w
    assert out[0.0].today["complaints_answered"][0] == 0
    assert out[0.5].today["complaints_answered"][0] > 20
    assert evidence(out[0.5], "positive", "answered") > 0
    # a public answer is also seen by the poster's neighbours
    assert evidence(out[0.5], "positive", "word_of_mouth") > 0
    assert evidence(out[0.0], "positive", "word_of_mouth") == 0


# --------------------------------------------------------------------------- responsiveness

@pytest.mark.parametrize(("listening", "responsiveness", "learns"),
                         [(0.5, 0.5, True), (0.5, 0.0, False), (0.0, 0.5, False)])
def test_responsiveness_lowers_the_problem_rate_only_if_the_firm_hears_and_acts(
        listening: float, responsiveness: float, learns: bool) -> None:
    m = run_model(consumers=500, days=90, problem_rate=6.0, listening=listening, responsiveness=responsiveness,
                  public_listening=0.0, inbound_capacity=10.0)
    rate = runs(m).problem_rate.to_numpy()
    floor = m.market.behaviour.problem_floor * 6.0
    if learns:
        assert (np.diff(rate) <= 1e-12).all()
        assert rate[-1] < 0.9 * 6.0
        assert (rate >= floor - 1e-12).all()
    else:
        assert (rate == 6.0).all()


def test_learning_approaches_but_never_passes_the_floor() -> None:
    w = make_world({"problem_rate": 10.0, "responsiveness": 1.0}, consumers=100, provider=0)
    floor = w.market.behaviour.problem_floor * 10.0
    responsiveness.learn(w, np.array([1e6]))
    assert w.problem_rate[0] == pytest.approx(floor)
    assert w.problem_rate[0] >= floor


# --------------------------------------------------------------------------- churn and switching

def _churn_world(n_firms: int = 1, trust_level: float = 0.5, **behaviour) -> World:
    w = make_world(*([{}] * n_firms), consumers=2000, seed=13, provider=0,
                   behaviour={"base_churn": 20.0, **behaviour})
    set_trust(w, trust_level)
    return w


def test_higher_base_churn_raises_churn() -> None:
    low, high = _churn_world(base_churn=5.0), _churn_world(base_churn=50.0)
    churn.churn(low)
    churn.churn(high)
    left_low, left_high = low.provider < 0, high.provider < 0
    assert 0 < left_low.sum() < 0.5 * left_high.sum()
    assert (left_high | ~left_low).all()


def test_lower_trust_raises_churn() -> None:
    trusting, wary = _churn_world(trust_level=0.8), _churn_world(trust_level=0.3)
    churn.churn(trusting)
    churn.churn(wary)
    assert 0 < trusting.today["churned"][0] < 0.5 * wary.today["churned"][0]
    assert ((wary.provider < 0) | (trusting.provider >= 0)).all()


def test_leavers_switch_to_the_rival_in_a_two_firm_market() -> None:
    w = _churn_world(n_firms=2, switch_share=1.0)
    set_provider(w, np.r_[np.zeros(1000, dtype=np.int64), np.ones(1000, dtype=np.int64)])
    set_trust(w, 0.5)
    was = w.provider.copy()
    churn.churn(w)
    left, from_firm = w.defections
    assert len(left) > 50
    np.testing.assert_array_equal(from_firm, was[left])
    np.testing.assert_array_equal(w.provider[left], 1 - from_firm)
    np.testing.assert_array_equal(w.today["acquired"], w.today["churned"][::-1])


def test_no_switching_when_switch_share_is_zero_or_in_a_monopoly() -> None:
    for n_firms, share in ((2, 0.0), (1, 1.0)):
        w = _churn_world(n_firms=n_firms, switch_share=share)
        churn.churn(w)
        left, _ = w.defections
        assert len(left) > 50
        assert (w.provider[left] == -1).all()
        assert w.today["acquired"].sum() == 0


def test_switching_in_runs() -> None:
    """Monopoly (rivals=[]): leavers never switch; 2 firms, switch_share 1: every leaver switches."""
    common = dict(consumers=600, days=60, behaviour={"base_churn": 3.0, "acquisition_rate": 0.0, "switch_share": 1.0})
    mono = runs(run_model(**common), firm=None)
    assert mono.churned.sum() > 0 and mono.acquired.sum() == 0
    duo = runs(run_model(rivals=[{}], **common), firm=None)
    by_day = duo.pivot(index="day", columns="firm")
    assert duo.churned.sum() > 0
    np.testing.assert_array_equal(by_day["acquired"][1], by_day["churned"][0])
    np.testing.assert_array_equal(by_day["acquired"][0], by_day["churned"][1])


# --------------------------------------------------------------------------- economics

def test_profit_is_revenue_minus_cost_every_day() -> None:
    m = run_model(consumers=400, days=60, rivals=[{}], nuisance_fee=3.0, support_fee=5.0, support_free_days=10,
                  public_listening=0.5, assortment_cut=0.3, cut_day=20)
    table = runs(m, firm=None)
    np.testing.assert_allclose(table.revenue - table.cost, table.profit, rtol=0, atol=1e-9)
    assert table.fees.sum() > 0
    assert table.sales_revenue.sum() > 0
    np.testing.assert_allclose(table.revenue, table.customers * 30.0 / 30.0 + table.fees + table.sales_revenue,
                               rtol=1e-12)
    np.testing.assert_allclose(table.sales_revenue, table.contact_sales * Strategy().sale_price, rtol=1e-12)


def test_staffed_capacity_costs_money_even_without_calls() -> None:
    cost = {}
    for capacity in (0.0, 10.0):
        w = make_world({"inbound_capacity": capacity, "problem_rate": 0.0, "mail_rate": 0.0, **MAIL_ONLY,
                        "listening": 0.0,
                        "serve_cost": 0.0, "cost_per_ticket": 5.0}, consumers=1000, provider=0)
        support.seek_support(w)
        economics.account(w)
        assert w.today["tickets"][0] == 0
        cost[capacity] = w.today["cost"][0]
    assert cost[0.0] == 0
    assert cost[10.0] == pytest.approx(10.0 * 1000 / 1000 * 5.0)


def test_spend_is_the_cost_beyond_serving_and_the_goods_of_contact_sales() -> None:
    m = run_model(consumers=400, days=60, rivals=[{}], listening=0.5, public_listening=0.5)
    table = runs(m, firm=None)
    serving = table.customers * Strategy().serve_cost / 30.0
    goods = table.sales_revenue * Strategy().sale_cost_share
    np.testing.assert_allclose(table.spend, table.cost - serving - goods, rtol=1e-9, atol=1e-9)
    assert (table.spend > 0).all()


def test_contacts_cost_the_markets_price_of_their_channel() -> None:
    m = run_model(consumers=400, days=60, rivals=[{}], inbound_capacity=0.0, listening=0.0, public_listening=0.0)
    table = runs(m, firm=None)
    prices = m.market.channels
    contacts_ = sum(table[f"contacts_{c}"] * prices.of(c).cost for c in CHANNELS)
    prospecting = table.prospect_contacts * prices.mail.cost
    answers = table.complaints_answered * Strategy().cost_per_answer
    focal = table.firm == 0
    np.testing.assert_allclose(table.spend[focal], (contacts_ + prospecting + answers)[focal], rtol=1e-9)
    np.testing.assert_array_equal(table.contacts,
                                  sum(table[f"contacts_{c}"] for c in CHANNELS) + table.prospect_contacts)
    np.testing.assert_array_equal(table.contact_sales, sum(table[f"sales_{c}"] for c in CHANNELS))
    assert all(table[f"sales_{c}"].sum() > 0 for c in CHANNELS)


# --------------------------------------------------------------------------- the relationship budget

def test_a_budget_buys_its_channel_mix_and_levers_and_spend_inverts_it() -> None:
    prices = Channels()
    s = Strategy(budget=40.0, outbound_share=0.5, access_share=0.4, listening_share=0.1)
    bought = budget.levers(s, prices)
    mix_cost = sum(r * prices.of(c).cost for c, r in zip(CHANNELS, s.rates, strict=True))
    for c in CHANNELS:  # the mix's proportions, scaled so that the outbound money is spent
        assert getattr(bought, f"{c}_rate") == pytest.approx(getattr(s, f"{c}_rate") * 0.5 * 40.0 / mix_cost)
    assert budget.outbound(bought, prices) == pytest.approx(0.5 * 40.0)
    assert bought.inbound_capacity == pytest.approx(0.4 * 40.0 * 1000 / (365 * s.cost_per_ticket))
    assert bought.listening == pytest.approx(0.1 * 40.0 * 1000 / (365 * s.listening_cost))
    assert bought.public_listening == 0.0
    assert budget.spend(bought, prices) == pytest.approx(40.0)  # no lever at its cap: the whole budget is planned
    assert budget.levers(bought, prices).rates == pytest.approx(bought.rates)  # buying again buys the same
    # levers are unchanged without a budget
    assert budget.levers(Strategy(mail_rate=7.0), prices) == Strategy(mail_rate=7.0)


@pytest.mark.parametrize("budget_, shares", [(10.0, (0.3, 0.5, 0.2)), (55.0, (0.6, 0.3, 0.1)),
                                             (200.0, (0.2, 0.7, 0.1))])
@pytest.mark.parametrize("mix", [(6.0, 18.0, 2.0), (40.0, 0.0, 12.0), (0.0, 1.0, 0.0)])
def test_spend_inverts_levers_for_any_mix_below_the_caps(budget_: float, shares: tuple, mix: tuple) -> None:
    prices = Channels()
    s = Strategy(budget=budget_, **dict(zip(("outbound_share", "access_share", "listening_share"), shares)),
                 **{f"{c}_rate": r for c, r in zip(CHANNELS, mix, strict=True)})
    bought = budget.levers(s, prices)
    capped = (max(bought.rates) >= 365 or bought.listening + bought.public_listening >= 2
              or bought.inbound_capacity >= 1000)
    if not capped:
        assert budget.spend(bought, prices) == pytest.approx(budget_)
    ratios = [b / r for b, r in zip(bought.rates, mix, strict=True) if r > 0]
    assert ratios == pytest.approx([ratios[0]] * len(ratios))  # one factor for every channel: the mix is kept


def test_a_mix_of_all_zeros_buys_no_contacts_and_leaves_the_outbound_money_unspent() -> None:
    prices = Channels()
    s = Strategy(budget=20.0, mail_rate=0.0, email_rate=0.0, phone_rate=0.0)
    bought = budget.levers(s, prices)
    assert bought.rates == (0.0, 0.0, 0.0)
    assert budget.spend(bought, prices) == pytest.approx((s.access_share + s.listening_share) * 20.0)


def test_a_mix_of_free_channels_is_bought_up_to_the_most_contacts() -> None:
    free = channel_table(every={"cost": 0.0})
    bought = budget.levers(Strategy(budget=20.0, mail_rate=1.0, email_rate=2.0, phone_rate=0.0), free)
    assert bought.rates == pytest.approx((182.5, 365.0, 0.0))
    capped = budget.levers(Strategy(budget=1e6, outbound_share=1.0, access_share=0.0, listening_share=0.0), Channels())
    assert max(capped.rates) == pytest.approx(365.0)


def test_more_budget_share_buys_more_of_its_lever() -> None:
    prices = Channels()
    low = budget.levers(Strategy(budget=20.0, outbound_share=0.2, access_share=0.7, listening_share=0.1), prices)
    high = budget.levers(Strategy(budget=20.0, outbound_share=0.6, access_share=0.3, listening_share=0.1), prices)
    assert all(h > lo for h, lo in zip(high.rates, low.rates, strict=True))
    assert high.inbound_capacity < low.inbound_capacity
    assert high.listening == low.listening


def test_listening_money_buys_private_listening_first_then_public_and_leaves_the_rest() -> None:
    prices = Channels()
    s = Strategy(budget=100.0, outbound_share=0.0, access_share=0.0, listening_share=1.0, listening_cost=20.0)
    bought = budget.levers(s, prices)  # 100 x 1000 / (365 x 20) = 13.7 units: both at their cap, the rest unspent
    assert bought.listening == 1.0 and bought.public_listening == 1.0
    assert bought.rates == (0.0, 0.0, 0.0) and bought.inbound_capacity == 0.0
    assert budget.spend(bought, prices) == pytest.approx(2 * 20.0 * 365 / 1000)
    half = budget.levers(dataclasses.replace(s, budget=1.5 * 20.0 * 365 / 1000), prices)
    assert half.listening == 1.0 and half.public_listening == pytest.approx(0.5)


def test_a_budgets_shares_must_add_up_to_one() -> None:
    with pytest.raises(ValueError, match="outbound_share.*add up to 1"):
        Strategy(budget=10.0, outbound_share=0.5, access_share=0.5, listening_share=0.5)
    Strategy(budget=0.0, outbound_share=0.5, access_share=0.5, listening_share=0.5)  # no budget: shares unused


def test_the_model_runs_the_levers_its_budget_buys() -> None:
    s = Strategy(budget=30.0, outbound_share=0.2, access_share=0.7, listening_share=0.1)
    m = RelationshipModel(s, days=5, consumers=100, rng=0)
    prices = m.market.channels
    assert m.firms[0].strategy == budget.levers(s, prices)
    assert m.world.firms.inbound_capacity[0] == pytest.approx(budget.levers(s, prices).inbound_capacity)
    m.set_strategy(0, outbound_share=0.7, access_share=0.2)  # a new split of the same budget, mid-run
    assert budget.outbound(m.firms[0].strategy, prices) == pytest.approx(0.7 * 30.0)
    ratio = m.world.firms.channel_rate[0] / np.array(s.rates)
    np.testing.assert_allclose(ratio, ratio[0])  # still the strategy's mix


# --------------------------------------------------------------------------- staffing for demand

def test_normal_quantile_matches_scipy() -> None:
    from scipy.stats import norm

    for p in (0.001, 0.2, 0.5, 0.8, 0.95, 0.999):
        assert numerics.normal_quantile(p) == pytest.approx(norm.ppf(p), abs=1e-9)


def test_demand_staffing_rises_with_the_service_level_and_the_forecast_and_stops_at_capacity() -> None:
    levels = [support.staffing(10.0, 10_000, level, 40.0) for level in (0.5, 0.8, 0.95, 0.99)]
    assert levels == sorted(levels) and levels[0] == 40.0 and levels[-1] < 100.0
    assert support.staffing(10.0, 10_000, 0.9, 20.0) < support.staffing(10.0, 10_000, 0.9, 60.0)
    assert support.staffing(1.0, 10_000, 0.9, 60.0) == 10.0  # inbound_capacity is the most the firm staffs
    assert support.staffing(4.0, 2_000, 0.0, 60.0) == 8.0  # service_level 0: the fixed ratio, whatever the demand
    assert support.forecast_of(10.0, 17.0) == pytest.approx(10.0 + 7.0 / support.FORECAST_DAYS)


def test_staffing_for_demand_staffs_what_is_called_for_and_costs_less_than_a_generous_fixed_ratio() -> None:
    out = {}
    for level in (0.0, 0.5, 0.95):
        m = run_model(consumers=3000, days=200, inbound_capacity=20.0, problem_rate=6.0, service_level=level)
        t = runs(m).iloc[50:]  # after the forecast has settled
        out[level] = (t.staffed.mean(), t.tickets_unreached.sum() / t.tickets.sum(), t.spend.sum())
    fixed, median, high = out[0.0], out[0.5], out[0.95]
    assert fixed[0] > high[0] > median[0]  # the fixed ratio staffs 20 per 1,000 whatever the calls
    assert fixed[1] <= high[1] < median[1]  # and a higher service level leaves fewer callers unreached
    assert fixed[2] > high[2] > median[2]


def test_npv_accumulates_discounted_profit() -> None:
    m = run_model(consumers=300, days=40)
    table = runs(m)
    r = m.market.discount_rate
    discounted = table.profit / (1 + r) ** (table.day / 365.0)
    np.testing.assert_allclose(table.npv, discounted.cumsum(), rtol=1e-9)


# --------------------------------------------------------------------------- network

@pytest.mark.parametrize("degree", [4, 10])
def test_watts_strogatz_is_symmetric_without_self_loops_with_the_mean_degree(degree: int) -> None:
    adj = build_network(Network("watts_strogatz", degree, 0.1), 1000, np.random.default_rng(4))
    assert (adj != adj.T).nnz == 0
    assert adj.diagonal().sum() == 0
    assert set(np.unique(adj.data)) == {1.0}
    assert abs(adj.sum(axis=1).mean() - degree) < 0.5


def test_watts_strogatz_mean_degree_for_odd_degree() -> None:
    adj = build_network(Network("watts_strogatz", 7, 0.1), 1000, np.random.default_rng(4))
    assert abs(adj.sum(axis=1).mean() - 7) < 0.5


def test_watts_strogatz_without_rewiring_is_a_ring_lattice() -> None:
    adj = build_network(Network("watts_strogatz", 6, 0.0), 50, np.random.default_rng(0))
    np.testing.assert_array_equal(np.asarray(adj.sum(axis=1)).ravel(), 6)
    assert adj[0, 1] == adj[0, 3] == adj[0, 49] == adj[0, 47] == 1 and adj[0, 4] == 0


@pytest.mark.parametrize("generator", ["erdos_renyi", "barabasi_albert"])
def test_other_generators_are_symmetric_without_self_loops(generator: str) -> None:
    adj = build_network(Network(generator, 8, 0.1), 800, np.random.default_rng(5))
    assert (adj != adj.T).nnz == 0
    assert adj.diagonal().sum() == 0
    assert 6 < adj.sum(axis=1).mean() < 9


def test_no_network_has_no_edges() -> None:
    assert build_network(Network("none", 10, 0.1), 100, np.random.default_rng(0)).nnz == 0


def test_neighbour_counts_equals_the_adjacency_product() -> None:
    rng = np.random.default_rng(6)
    adj = build_network(Network("watts_strogatz", 8, 0.3), 400, rng)
    dense = adj.toarray()
    sources = rng.choice(400, 40, replace=False)
    indicator = np.bincount(sources, minlength=400).astype(float)
    np.testing.assert_allclose(neighbour_counts(adj, sources), dense @ indicator)
    weights = rng.random(40)
    np.testing.assert_allclose(neighbour_counts(adj, sources, weights),
                               dense @ np.bincount(sources, weights=weights, minlength=400))
    repeated = np.r_[sources, sources[:5]]
    np.testing.assert_allclose(neighbour_counts(adj, repeated), dense @ np.bincount(repeated, minlength=400))
    assert (neighbour_counts(adj, np.array([], dtype=np.int64)) == 0).all()


# --------------------------------------------------------------------------- Mesa interoperability

def _batch_run() -> list[dict]:
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        return mesa.batch_run(RelationshipModel, parameters={"consumers": 100, "days": 20, "mail_rate": [12, 52]},
                              rng=[1, 2], max_steps=20, number_processes=1, display_progress=False)
    finally:  # batch_run forces the spawn start method on the whole process: put it back
        multiprocessing.set_start_method(method, force=True)


def test_mesa_batch_run_runs_every_combination_with_the_model_reporters() -> None:
    table = pd.DataFrame(_batch_run())
    assert table.RunId.nunique() == 4
    runs_ = table.drop_duplicates("RunId")
    assert sorted(zip(runs_.iteration, runs_.mail_rate)) == [(0, 12), (0, 52), (1, 12), (1, 52)]
    assert set(runs_.Step) == {20}
    for reporter in ("customers", "mean_trust", "mean_stress", "profit"):
        assert reporter in table and runs_[reporter].notna().all()
    assert ((runs_.mean_trust > 0) & (runs_.mean_trust < 1)).all()
    # same seed, different contact rate: different outcomes; batch runs are reproducible
    assert runs_.groupby("iteration").profit.nunique().eq(2).all()
    again = pd.DataFrame(_batch_run())
    pd.testing.assert_frame_equal(table, again)


def test_mesa_batch_run_returns_one_row_per_run_and_firm() -> None:
    """The Firm agenttype reporters make batch_run return a row per firm (2) of each run (4)."""
    rows = _batch_run()
    assert len(rows) == 8
    assert {(r["RunId"], r["AgentID"]) for r in rows} == {(run, firm) for run in range(4) for firm in (1, 2)}
    assert all(r["npv"] > 0 and r["customers"] > 0 for r in rows)

