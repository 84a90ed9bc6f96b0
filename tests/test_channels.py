"""Channel economics (issue 27; docs/ODD.md §7.2.1, docs/VALIDATION.md §1.4): the realised short-run return of
each channel at defaults against the published figures, and the measurement itself.

These are calibration checks, like the stylized facts: each channel's realised return at defaults must
lie inside the published range of that channel's return on spend. They say nothing about which strategy
wins.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsim.analysis.channels import PUBLISHED, channel_economics, markdown
from relsim.experiments.inference.fact_checks import measure_channels
from relsim.params import CHANNELS, Channels

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return measure_channels()


def test_every_channels_realised_short_run_return_at_defaults_lies_in_its_published_range(table) -> None:
    for row in table.itertuples():
        published = PUBLISHED[row.channel]
        assert row.contacts > 10_000 and row.sales > 500, row.channel  # enough contacts to measure it
        assert min(published.returns) <= row.realised_return <= max(published.returns), row
        assert row.realised_return > 0  # contact pays at the typical firm's volume, as in the market
        assert abs(row.realised_return - published.target) < 0.05, row  # near the target it was set for


def test_the_channels_order_as_published(table) -> None:
    by = table.set_index("channel")
    assert by.loc["phone", "realised_response"] > by.loc["mail", "realised_response"] > by.loc["email",
                                                                                                "realised_response"]
    assert by.loc["email", "realised_return"] > by.loc["mail", "realised_return"] > by.loc["phone", "realised_return"]


def test_the_validation_page_shows_the_current_channel_table(table) -> None:
    assert markdown(table) in (ROOT / "docs" / "VALIDATION.md").read_text()


def test_each_target_is_the_median_of_its_published_figures() -> None:
    for c in ("mail", "email"):
        assert PUBLISHED[c].target == pytest.approx(statistics.median(PUBLISHED[c].returns), abs=0.005)
    low, high = PUBLISHED["phone"].returns  # two figures: the middle of the range
    assert PUBLISHED["phone"].target == pytest.approx((low + high) / 2, abs=0.005)
    assert set(PUBLISHED) == set(CHANNELS)


def test_channel_economics_is_the_margin_per_contact_over_its_cost() -> None:
    runs = pd.DataFrame({"firm": [0, 0, 1], "contacts_mail": [100, 300, 999], "sales_mail": [4, 6, 999],
                         "contacts_email": [0, 0, 5], "sales_email": [0, 0, 5], "contacts_phone": [10, 10, 0],
                         "sales_phone": [1, 1, 0]})
    out = channel_economics(runs, Channels(), sale_price=100.0, sale_cost_share=0.6).set_index("channel")
    assert out.loc["mail", "realised_response"] == pytest.approx(10 / 400)
    assert out.loc["mail", "realised_return"] == pytest.approx(10 * 40.0 / (400 * 0.56) - 1)
    assert out.loc["phone", "realised_return"] == pytest.approx(2 * 40.0 / (20 * 2.5) - 1)
    assert np.isnan(out.loc["email", "realised_response"]) and np.isnan(out.loc["email", "realised_return"])
