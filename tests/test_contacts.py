"""Contacts (sim/contacts.py): welcome within a consumer's capacity, a burden beyond it or when intrusive;
the contact response (cross-sales) rises with fit and trust and falls with load.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (FROZEN, GENTLE, MAIL_ONLY, channel_table, evidence, make_market, make_world, run_model, runs,
                      set_trust)

from relsim import contacts, economics
from relsim.model import RelationshipModel
from relsim.params import CHANNELS, Strategy
from relsim.world import World, begin_day


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
