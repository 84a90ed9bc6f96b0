"""Intimacy (sim/intimacy.py): only two-way exchanges raise it; outbound contact alone never does.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
from conftest import GENTLE, MAIL_ONLY, make_world, run_model, runs

from relsim import contacts, intimacy, support


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
