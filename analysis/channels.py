"""Channel economics: each channel's realised response and short-run return, beside the published figures.

The market's channel table (sim/params.py: Market.channels; docs/ODD.md §7.2, §7.2.1) sets each
channel's cost per contact and base response. What a channel returns in a run depends on who is
contacted: a contact to customer n sells with chance response_c x fit x trust x capacity / (capacity +
load). This module measures, from a run's table, over the contacts a firm sent to its customers:

    realised response_c = sales_c / contacts_c
    realised return_c   = sales_c x sale_price x (1 - sale_cost_share) / (contacts_c x cost_c) - 1

(the contact-sale margin per contact over its cost, less 1: the short-run return on the contact's
spend, before anything it does to trust and churn), and sets it beside the published median returns on
spend of the Data & Marketing Association / ANA Response Rate Reports (`PUBLISHED`). The model is run
elsewhere (experiments/inference/fact_checks.py: `measure_channels`, `channel_table`); nothing here imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from relsim.params import CHANNELS, Channels

__all__ = ["PUBLISHED", "Published", "channel_economics", "markdown"]


@dataclass(frozen=True)
class Published:
    """What the published sources say about one channel (docs/ODD.md §7.2.1 cites them in full)."""

    cost: str  # published cost per contact
    response: str  # published response to a house (customer) list
    returns: tuple[float, ...]  # median return on spend (ROI), one figure per report edition, house list where given
    target: float  # the return the default base response is set to reproduce at defaults (the median of `returns`)
    source: str


#: The published figures, per channel. Returns: the DMA/ANA Response Rate Reports' median ROI, 2012-2023
#: editions, one figure per edition (the house-list figure where one is reported), as fractions.
PUBLISHED: dict[str, Published] = {
    "mail": Published(
        cost="$0.38 (house mailing), $0.56 (B2C letter, 2012: $556 per thousand), $0.91 (dimensional)",
        response="3.4% (2012), 3.7% (2015), 5.1% (2017), 9% (2018)",
        returns=(0.07, 0.19, 0.29, 0.92, 1.61),
        target=0.29,
        source="DMA Response Rate Reports 2012 (7%), 2015 (house 18-20%), 2017 (29%); ANA 2021 (house "
               "postcards 92%), 2023 (house 161%)"),
    "email": Published(
        cost="$0.03 (2003), $0.10 (2004); sending alone $0.008-0.015",
        response="0.12% (2012: click-through x conversion), 0.1% (2015), 0.6% (2017), 0.96% (2003)",
        returns=(0.285, 0.31, 1.24, 0.93, 0.44),
        target=0.44,
        source="DMA Response Rate Reports 2012 (28.5%), 2015 (house 30-32%), 2017 (124%); ANA 2021 (93%), "
               "2023 (house 44%)"),
    "phone": Published(
        cost="$2.50 a call (2004); $10.09 a house cross-sell call reached (2012)",
        response="5.8% (2004, direct orders), 12.95% (2012, cross-selling), 9-10% (2015)",
        returns=(0.065, 0.21),
        target=0.14,
        source="DMA Response Rate Reports 2012 (house 6.5%), 2015 (telephone just below e-mail's 21-23%)"),
}


def channel_economics(runs: pd.DataFrame, channels: Channels, sale_price: float, sale_cost_share: float,
                      firm: int = 0) -> pd.DataFrame:
    """One row per channel: cost, base response, contacts to customers and sales, realised response and return.

    `runs` is a runs.parquet table (any number of seeds and days), `channels` the market's channel table,
    `sale_price` and `sale_cost_share` the firm's sale (sim/params.py: Strategy). Only firm `firm`'s rows count.
    A channel the firm did not use has NaN response and return.
    """
    rows = runs[runs["firm"] == firm]
    margin = sale_price * (1.0 - sale_cost_share)
    out = []
    for c in CHANNELS:
        channel = channels.of(c)
        contacts, sales = float(rows[f"contacts_{c}"].sum()), float(rows[f"sales_{c}"].sum())
        spent = contacts * channel.cost
        out.append({"channel": c, "cost": channel.cost, "base_response": channel.response, "contacts": contacts,
                    "sales": sales, "realised_response": sales / contacts if contacts else float("nan"),
                    "realised_return": sales * margin / spent - 1.0 if spent > 0 else float("nan")})
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame, published: Mapping[str, Published] = PUBLISHED) -> str:
    """The channel table of docs/VALIDATION.md: the measured economics beside the published ranges."""
    lines = ["| channel | cost per contact | base response | realised response | realised short-run return | "
             "published return (median ROI) | target | published cost per contact | published house response | "
             "source |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        p = published[r.channel]
        low, high = min(p.returns), max(p.returns)
        lines.append(f"| {r.channel} | {r.cost:.2f} | {r.base_response:.3g} | {r.realised_response:.2%} | "
                     f"{r.realised_return:+.0%} | {low:.1%} to {high:.0%} | {p.target:.0%} | {p.cost} | {p.response} | "
                     f"{p.source} |")
    return "\n".join(lines) + "\n"
