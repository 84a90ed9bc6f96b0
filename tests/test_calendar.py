"""The calendar (sim/calendar.py): dated events (a cut, the defect shock) fire on their days, and a changed
cut day is rescheduled.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import dataclasses

from relsim.model import RelationshipModel
from relsim.params import Market, Shock, Strategy


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
