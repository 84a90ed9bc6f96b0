"""Contacts (sim/contacts.py): welcome within a consumer's capacity, a burden beyond it or when intrusive;
the contact response (cross-sales) rises with fit and trust and falls with load.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import evidence, make_world, set_trust

from relsim import contacts, economics
from relsim.params import Strategy
from relsim.world import World, begin_day


# --------------------------------------------------------------------------- contact load

def _contact_world(load: float, **firm) -> World:
    w = make_world({"contact_rate": 365.0, **firm}, consumers=200, provider=0,
                   behaviour={"clutter_rate": 0.0},
                   population={"contact_capacity": 5.0, "contact_tolerance": 0.5})
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


def test_more_channels_bring_the_burden_sooner() -> None:
    """Same contacts, more channels: a superset of burdened contacts, and the first ones earlier."""
    burdened, first = {}, {}
    for channels in (1, 4):
        w = make_world({"contact_rate": 104.0, "intrusiveness": 0.0, "channels": channels}, consumers=1000,
                       provider=0, seed=3, population={"contact_tolerance": 0.5})
        days = []
        for _ in range(90):
            begin_day(w)
            contacts.contact(w)
            days.append(w.contacted[:, 0] & (w.neg_today[:, 0] > 0))
        burdened[channels] = np.array(days)
        hit = burdened[channels].any(axis=0)
        first[channels] = np.where(hit, burdened[channels].argmax(axis=0), 10**6)
    one, four = burdened[1], burdened[4]
    assert one.sum() > 0
    assert four.sum() > 1.2 * one.sum()
    assert (four | ~one).all()  # every contact burdensome with one channel is burdensome with four
    assert (first[4] <= first[1]).all() and (first[4] < first[1]).any()


# --------------------------------------------------------------------------- contact response (sales)

def _sales_world(response_rate: float, load: float = 0.0, trust_level: float = 0.7, **firm) -> World:
    w = make_world({"contact_rate": 365.0, "intrusiveness": 0.0, **firm}, consumers=2000, provider=0, seed=5,
                   behaviour={"clutter_rate": 0.0, "response_rate": response_rate},
                   population={"contact_capacity": 5.0, "fit": 0.8})
    set_trust(w, trust_level)
    w.load[:] = load
    return w


def _sell(w: World) -> dict[str, float]:
    contacts.contact(w)
    economics.account(w)
    return {k: float(w.today[k][0]) for k in ("contacts", "contact_sales", "sales_revenue", "revenue", "cost")}


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
    # every customer was contacted; about r = rate x fit x trust x capacity / (capacity + load) of them bought
    expected = 0.3 * 0.8 * 0.7 * 5.0 / (5.0 + 1.0)
    assert day[0.3]["contact_sales"] / day[0.3]["contacts"] == pytest.approx(expected, abs=0.03)


def test_a_higher_contact_load_lowers_the_response() -> None:
    light, heavy = _sell(_sales_world(0.5, load=0.0)), _sell(_sales_world(0.5, load=20.0))
    assert light["contacts"] == heavy["contacts"] > 0
    assert heavy["contact_sales"] < 0.5 * light["contact_sales"]
    b = _sales_world(0.5).kernel()[1]
    chances = [contacts.response_chance(b, 0.8, 0.7, load, 5.0) for load in (0.0, 2.0, 5.0, 20.0)]
    assert chances == sorted(chances, reverse=True)
    assert chances[2] == pytest.approx(chances[0] / 2)  # halved when the load reaches capacity


def test_the_response_rises_with_fit_and_trust() -> None:
    b = _sales_world(0.1).kernel()[1]
    assert contacts.response_chance(b, 0.4, 0.7, 1.0, 5.0) < contacts.response_chance(b, 0.9, 0.7, 1.0, 5.0)
    assert contacts.response_chance(b, 0.8, 0.3, 1.0, 5.0) < contacts.response_chance(b, 0.8, 0.9, 1.0, 5.0)
    low, high = _sell(_sales_world(0.3, trust_level=0.3)), _sell(_sales_world(0.3, trust_level=0.9))
    assert low["contact_sales"] < high["contact_sales"]


def test_a_customer_responds_alike_in_two_arms_on_the_same_day() -> None:
    """The response draw is keyed by (consumer, firm, day): the buyers at a lower chance are among those at a higher one."""
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


def test_contacts_to_prospects_bring_no_sale() -> None:
    w = make_world({"prospect_rate": 365.0, "contact_rate": 0.0}, consumers=500, provider=-1,
                   behaviour={"response_rate": 1.0})
    contacts.contact(w)
    assert w.today["contacts"][0] == 500 and w.today["contact_sales"][0] == 0
