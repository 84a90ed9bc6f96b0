"""Customer equity (docs/ODD.md §7.18.1, sim/economics.py): the closed form, its directions, the record.

Directions only: more margin, more equity; a higher hazard (lower trust), less. Nothing here says
which strategy earns more equity.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make_world, run_model, runs, set_trust

from relsim import economics
from relsim.model import RelationshipModel
from relsim.recorder import EQUITY_EVERY


def _b(discount_rate: float = 0.1):
    w = make_world(consumers=10, discount_rate=discount_rate)
    return w.kernel()[1]


@pytest.mark.parametrize("h", [0.0005, 0.01, 0.2])
@pytest.mark.parametrize("rate", [0.0, 0.1, 2.0])
def test_expected_margin_is_the_discounted_survival_weighted_sum(h: float, rate: float) -> None:
    b = _b(rate)
    delta, s = (1 + rate) ** (1 / 365), math.exp(-h)
    brute = sum(12.0 / 30 * s ** k / delta ** k for k in range(1, 200_000))
    assert economics.expected_margin(b, 12.0, h) == pytest.approx(brute, rel=1e-6)
    assert economics.expected_margin.py_func(b, 12.0, h) == pytest.approx(brute, rel=1e-6)


def test_expected_margin_rises_with_margin_and_falls_with_hazard() -> None:
    b = _b()
    margins = [economics.expected_margin(b, m, 0.002) for m in (1.0, 5.0, 12.0)]
    hazards = [economics.expected_margin(b, 12.0, h) for h in (0.0005, 0.002, 0.02)]
    assert margins == sorted(margins) and len(set(margins)) == 3
    assert hazards == sorted(hazards, reverse=True) and len(set(hazards)) == 3
    assert economics.expected_margin(b, 0.0, 0.002) == 0.0
    assert economics.expected_margin(b, -3.0, 0.002) < 0


def test_no_churn_and_no_discounting_is_an_infinite_value() -> None:
    assert economics.expected_margin(_b(0.0), 12.0, 0.0) == math.inf


def _equity(price: float = 30.0, serve_cost: float = 18.0, trust: float = 0.6, day: int = 1) -> float:
    w = make_world({"price": price, "serve_cost": serve_cost}, consumers=200, provider=0, day=day)
    set_trust(w, trust)
    return economics.customer_equity(w)[0] - w.npv[0]


def test_customer_equity_rises_with_price_margin_and_falls_with_hazard() -> None:
    assert _equity(price=25) < _equity(price=30) < _equity(price=40)
    assert _equity(serve_cost=24) < _equity(serve_cost=18)
    assert _equity(trust=0.3) < _equity(trust=0.6) < _equity(trust=0.9)  # lower trust, higher hazard
    assert _equity(price=18, serve_cost=18) == 0.0  # no margin: equity is the NPV


def test_customer_equity_is_discounted_to_day_0_like_the_npv() -> None:
    assert _equity(day=366) == pytest.approx(_equity(day=1) * 1.1 ** (-365 / 365), rel=1e-9)


def test_customer_equity_is_recorded_on_sampled_days_and_the_last_day() -> None:
    model = run_model(consumers=300, days=65)
    table = runs(model)
    recorded = table.loc[table["customer_equity"].notna(), "day"].tolist()
    assert recorded == [d for d in range(1, 66) if d % EQUITY_EVERY == 0 or d == 65]
    last = table.iloc[-1]
    assert last["customer_equity"] == pytest.approx(economics.customer_equity(model.world)[0])
    assert last["customer_equity"] > last["npv"]  # positive margin, customers held


def test_both_engines_record_customer_equity() -> None:
    for engine in ("vectorized", "agents"):
        model = RelationshipModel(days=31, consumers=40, rng=3, engine=engine)
        for _ in range(31):
            model.step()
        table = model.recorder.runs()
        assert np.isfinite(table.loc[table["day"].isin([30, 31]), "customer_equity"]).all()
        assert table.loc[table["day"] == 29, "customer_equity"].isna().all()
