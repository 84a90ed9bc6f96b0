"""The relationship budget: what a budget per customer-year buys (docs/ODD.md §7.20; issues 11 and 27).

A strategy may be stated as levers (the channel rates, inbound_capacity, listening, public_listening),
or as a relationship budget B per customer-year and its allocation over outbound contacts, access
(staffed support slots) and listening; then those levers follow from B and the shares, at the market's
prices of a contact (Market.channels) and the strategy's own unit costs, so that strategies can be
compared at equal spend.

Outbound money buys the strategy's channel mix: its rates r_c, scaled by one factor k so that the
money is spent at the channels' costs cost_c, no rate beyond 365:

    u = sum_c r_c cost_c                            (the cost of the mix as stated, per customer-year)
    k = min(outbound_share B / u, 365 / max_c r_c)  (all-free channels: k = 365 / max_c r_c)
    rate_c = k r_c                                  contacts per customer-year in channel c

A mix of all zeros buys nothing: the firm sends no contacts to its customers, and the outbound money is
unspent (as with outbound_share 0). Then

    inbound_capacity  = min(1000, access_share B 1000 / (365 cost_per_ticket))  slots a day per 1,000 customers
    L                 = listening_share B 1000 / (365 listening_cost)           listening bought (0 to 2)
    listening         = min(1, L),   public_listening = min(1, max(0, L - 1))

Listening buys the firm's own channel (private complaints) first, then the monitoring of public talk:
both cost listening_cost per 1,000 customers a day at full strength (sim/economics.py). A share that
buys more than a lever's range leaves the rest unspent. Everything else a strategy sets (the
proportions of its channel mix, the quality of resolution, fees, responsiveness, prospecting) is as
given: those are choices of kind, not of spend. Answers to complaints (cost_per_answer each) are paid
as they come, and prospects are contacted at `prospect_rate`: neither is part of B. `spend` is the
inverse: the relationship budget a strategy's levers plan.
"""

from __future__ import annotations

import dataclasses

from .params import CHANNELS, Channels, Strategy

#: Days in the budget's year.
YEAR = 365.0
#: The most contacts per customer-year a channel rate can be.
MOST_CONTACTS = 365.0


def levers(s: Strategy, channels: Channels) -> Strategy:
    """The strategy with its channel rates, inbound_capacity, listening and public_listening bought by its budget,
    at the market's contact prices `channels`.

    A strategy without a budget (budget = 0) is returned as it is.
    """
    if s.budget <= 0:
        return s
    bought = _bought(s.listening_share * s.budget * 1000.0 / YEAR, s.listening_cost, 2.0)
    return dataclasses.replace(
        s,
        **mix(s, channels, s.outbound_share * s.budget),
        inbound_capacity=_bought(s.access_share * s.budget * 1000.0 / YEAR, s.cost_per_ticket, 1000.0),
        listening=min(1.0, bought),
        public_listening=min(1.0, max(0.0, bought - 1.0)),
    )


def mix(s: Strategy, channels: Channels, money: float) -> dict[str, float]:
    """The channel rates (`mail_rate`, ...) that `money` per customer-year buys in the proportions of the
    strategy's rates: every rate times one factor, none beyond 365 (a mix of all zeros stays all zeros)."""
    rates, costs = s.rates, [channels.of(c).cost for c in CHANNELS]
    largest = max(rates)
    if largest <= 0 or money <= 0:
        scale = 0.0
    else:
        unit = sum(r * cost for r, cost in zip(rates, costs, strict=True))
        scale = MOST_CONTACTS / largest if unit <= 0 else min(money / unit, MOST_CONTACTS / largest)
    return {f"{c}_rate": min(MOST_CONTACTS, scale * r) for c, r in zip(CHANNELS, rates, strict=True)}


def outbound(s: Strategy, channels: Channels) -> float:
    """What a strategy's contacts to its customers cost per customer-year: sum_c rate_c cost_c."""
    return sum(r * channels.of(c).cost for c, r in zip(CHANNELS, s.rates, strict=True))


def spend(s: Strategy, channels: Channels) -> float:
    """The relationship budget per customer-year that a strategy's levers plan (contacts to customers, slots,
    listening), at the market's contact prices `channels`."""
    return (outbound(s, channels)
            + s.inbound_capacity * YEAR / 1000.0 * s.cost_per_ticket
            + (s.listening + s.public_listening) * s.listening_cost * YEAR / 1000.0)


def _bought(money: float, unit_cost: float, most: float) -> float:
    """How much of a lever `money` buys at `unit_cost`, at most `most` (all of it when it is free)."""
    if money <= 0:
        return 0.0
    return most if unit_cost <= 0 else min(most, money / unit_cost)
