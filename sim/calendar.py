"""The calendar: the market's dated events, scheduled with Mesa's event list (docs/ODD.md §3).

Two things happen on a given day rather than every day: a firm's assortment cut (on its `cut_day`,
sim/assortment.py) and the defect shock (on `market.shock.day`, sim/support.py). Each is a Mesa
event at time day - 0.5, so it fires after the previous day and before the day's step. The event
only raises a flag in the world (`cut_today[f]`, `shock_today`); the phase that acts on the event
reads the flag and lowers it. So no phase polls the date, both engines see the same events, and a
strategy changed mid-run (RelationshipModel.set_strategy) reschedules its cut here.

Monthly nuisance fees are not calendar events: each customer pays on its own 30-day tenure
anniversary (sim/fees.py), which is a property of the customer, not a date of the market.
"""

from __future__ import annotations

import mesa
from mesa.time.events import Event


class Calendar:
    """Schedules each firm's assortment cut and the defect shock on a model's Mesa event list."""

    def __init__(self, model: mesa.Model):
        self.model = model
        self.cuts: dict[int, Event] = {}
        for firm in model.firms:
            self.schedule_cut(firm)
        shock_day = model.market.shock.day
        if shock_day >= 1:
            model.schedule_event(self.defect_shock, at=shock_day - 0.5)

    def schedule_cut(self, firm) -> None:
        """(Re)schedule `firm`'s assortment cut for day max(cut_day, 1), if it cuts and that day is still ahead."""
        pending = self.cuts.pop(firm.index, None)
        if pending is not None:
            pending.cancel()
        s, today = firm.strategy, self.model.world.day
        day = max(s.cut_day, 1)
        if s.assortment_cut > 0 and day > today:
            self.cuts[firm.index] = self.model.schedule_event(firm.announce_cut, at=day - 0.5)

    def defect_shock(self) -> None:
        """Tomorrow the defect hits (sim/support.py acts on the flag)."""
        self.model.world.shock_today[0] = True
