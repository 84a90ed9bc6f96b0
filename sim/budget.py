"""The relationship budget: what a budget per customer-year buys (docs/ODD.md §7.19; issue 11).

A strategy may be stated as levers (contact_rate, inbound_capacity, listening, public_listening), or
as a relationship budget B per customer-year and its allocation over outbound contacts, access
(staffed support slots) and listening; then those four levers follow from B and the shares, at the
strategy's own unit costs, so that strategies can be compared at equal spend:

    contact_rate      = min(365,  outbound_share B / cost_per_contact)          contacts per customer-year
    inbound_capacity  = min(1000, access_share B 1000 / (365 cost_per_ticket))  slots a day per 1,000 customers
    L                 = listening_share B 1000 / (365 listening_cost)           listening bought (0 to 2)
    listening         = min(1, L),   public_listening = min(1, max(0, L - 1))

Listening buys the firm's own channel (private complaints) first, then the monitoring of public talk:
both cost listening_cost per 1,000 customers a day at full strength (sim/economics.py). A share that
buys more than a lever's range leaves the rest unspent. Everything else a strategy sets (how intrusive
its contacts are, the quality of resolution, fees, responsiveness, prospecting) is as given: those are
choices of kind, not of spend. Answers to complaints (cost_per_answer each) are paid as they come and
are not part of B. `spend` is the inverse: the relationship budget a strategy's levers plan.
"""

from __future__ import annotations

import dataclasses

from .params import Strategy

#: Days in the budget's year.
YEAR = 365.0


def levers(s: Strategy) -> Strategy:
    """The strategy with contact_rate, inbound_capacity, listening and public_listening bought by its budget.

    A strategy without a budget (budget = 0) is returned as it is.
    """
    if s.budget <= 0:
        return s
    bought = _bought(s.listening_share * s.budget * 1000.0 / YEAR, s.listening_cost, 2.0)
    return dataclasses.replace(
        s,
        contact_rate=_bought(s.outbound_share * s.budget, s.cost_per_contact, 365.0),
        inbound_capacity=_bought(s.access_share * s.budget * 1000.0 / YEAR, s.cost_per_ticket, 1000.0),
        listening=min(1.0, bought),
        public_listening=min(1.0, max(0.0, bought - 1.0)),
    )


def spend(s: Strategy) -> float:
    """The relationship budget per customer-year that a strategy's levers plan (contacts, slots, listening)."""
    return (s.contact_rate * s.cost_per_contact
            + s.inbound_capacity * YEAR / 1000.0 * s.cost_per_ticket
            + (s.listening + s.public_listening) * s.listening_cost * YEAR / 1000.0)


def _bought(money: float, unit_cost: float, most: float) -> float:
    """How much of a lever `money` buys at `unit_cost`, at most `most` (all of it when it is free)."""
    if money <= 0:
        return 0.0
    return most if unit_cost <= 0 else min(most, money / unit_cost)
