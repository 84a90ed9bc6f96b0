"""Segments of a firm's customers (docs/ODD.md §7.22) and customer accounts (§7.18.2): a cell's levers act on
its customers only, cells are drawn at the documented shares and tenure bands, each cell is its own support queue,
the accounts add up to the firm's profit less prospecting, and a model without segments is the model it was."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsim.model import RelationshipModel
from relsim.params import MAX_SEGMENTS, ConfigError, Segment
from relsim.recorder import column

CELL = Segment(share=0.5, salt=7, levers={"mail_rate": 104.0, "support_fee": 20.0, "inbound_capacity": 0.5})


def _model(segments=None, days: int = 90, **kw) -> RelationshipModel:
    return RelationshipModel(consumers=1500, days=days, rng=5, collect=False, consumer_agents=False,
                             segments=segments, **kw)


def test_a_cell_gets_its_own_levers_and_the_rest_keep_the_strategy() -> None:
    model = _model({0: [CELL]}, accounts=True).run()
    w = model.world
    customers = np.flatnonzero(w.provider == 0)
    cells = w.cell[customers]
    assert set(np.unique(cells)) == {0, 1}
    assert 0.4 < cells.mean() < 0.6  # share 0.5 of the firm's customers
    # the cell is mailed 104 times a year, the rest 6: the cell's contact load is far higher
    assert w.load[customers[cells == 1]].mean() > 2 * w.load[customers[cells == 0]].mean()
    # its support line costs a fee (20 after 90 days) and is staffed at 0.5 per 1,000: the customers it serves
    # bear less staffing cost per day than the control's 4 per 1,000
    assert w.cell_cost[0, 1] < w.cell_cost[0, 0]
    fa = w.firms
    assert fa.cell_strategy(0, 1).mail_rate == 104.0 and fa.cell_strategy(0, 0).mail_rate == 6.0


def test_tenure_bands_put_customers_in_the_segment_their_tenure_says() -> None:
    model = _model({0: [Segment(tenure_from=30, tenure_to=60, levers={"support_fee": 5.0})]}, days=80).run()
    w = model.world
    customers = np.flatnonzero(w.provider == 0)
    in_band = (w.tenure[customers] >= 30) & (w.tenure[customers] < 60)
    assert in_band.any() and (~in_band).any()
    np.testing.assert_array_equal(w.cell[customers] == 1, in_band)


def test_customer_accounts_add_up_to_profit_less_prospecting() -> None:
    model = _model({0: [CELL]}, accounts=True).run()
    values = model.recorder.values[:, :, :]
    for f in range(model.world.n_firms):
        profit = values[:, f, column("profit")].sum()
        prospecting = values[:, f, column("prospect_contacts")].sum() * model.market.channels.mail.cost
        assert model.world.account[:, f].sum() == pytest.approx(profit + prospecting, rel=1e-9, abs=1e-6)


def test_without_segments_a_model_runs_as_before_and_an_empty_list_is_no_segment() -> None:
    plain = _model().run().recorder.runs()
    empty = _model({0: []}).run().recorder.runs()
    with_accounts = _model(accounts=True).run().recorder.runs()
    assert plain.equals(empty) and plain.equals(with_accounts)  # accounts only watch


def test_segments_change_mid_run_and_customers_are_drawn_anew() -> None:
    model = _model(days=120)
    model.advance(60)
    model.set_segments(0, [Segment(share=0.3, salt=1, levers={"mail_rate": 52.0})])
    model.advance(1)
    first = model.world.cell.copy()
    model.set_segments(0, [Segment(share=0.3, salt=2, levers={"mail_rate": 52.0})])
    model.advance(1)
    customers = np.flatnonzero(model.world.provider == 0)
    assert (first[customers] != model.world.cell[customers]).any()  # another salt, another draw
    model.set_segments(0, [])
    model.advance(1)
    assert (model.world.cell == 0).all()


@pytest.mark.parametrize("segments, message", [
    ({0: [{"share": 1.5}]}, "segments[0][0].share=1.5"),
    ({0: [{"levers": {"price": 20}}]}, "levers.price: not a lever a firm can set per segment"),
    ({0: [{"tenure_from": 90, "tenure_to": 30}]}, "tenure_to=30: must be greater than tenure_from=90"),
    ({0: [{}] * (MAX_SEGMENTS + 1)}, f"at most {MAX_SEGMENTS}"),
    ({7: []}, "firm=7: expected a firm index"),
    ({0: "cell"}, "expected a list of segments"),
])
def test_bad_segments_get_one_line(segments, message) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")) as err:
        _model(segments)
    assert "\n" not in str(err.value)


def test_accounts_are_refused_on_the_agents_engine() -> None:
    with pytest.raises(ConfigError, match="vectorized engine only"):
        RelationshipModel(consumers=50, days=5, rng=1, engine="agents", accounts=True)


def test_both_engines_put_the_same_customers_in_the_same_cells() -> None:
    segments = {0: [Segment(tenure_from=20, tenure_to=40, levers={"support_fee": 5.0}), CELL]}
    runs = {engine: RelationshipModel(consumers=300, days=60, rng=2, engine=engine, consumer_agents=False,
                                      collect=False, segments=segments).run() for engine in ("vectorized", "agents")}
    ref = [c.cell for c in runs["agents"].consumers]
    w = runs["agents"].world  # the reference engine writes its state back; its cells it keeps on its agents
    from relsim.world import _cells_for
    s, _, fa = w.kernel()
    customers = np.flatnonzero(w.provider == 0)
    np.testing.assert_array_equal(np.asarray(ref)[customers], _cells_for(s, fa, customers, 0))


def test_each_cell_is_recorded_by_day_and_adds_up_to_the_firm() -> None:
    model = _model({0: [Segment(tenure_from=30, levers={"support_fee": 5.0})]}, days=80).run()
    table = model.recorder.segments()
    runs = model.recorder.runs()
    focal = runs[runs.firm == 0].set_index("day")
    assert set(table["firm"]) == {0} and set(table["cell"]) == {0, 1}  # only the firm with segments
    per_day = table.groupby("day")[["customers", "churned"]].sum()
    np.testing.assert_array_equal(per_day["churned"], focal["churned"])  # every departure in one cell
    cell1 = table[table.cell == 1].set_index("day")["customers"]
    assert (cell1.loc[:29] == 0).all() and (cell1.loc[31:] > 0).all()  # the band starts on day 30 of tenure
    assert _model().run().recorder.segments().empty  # no segments, no rows


def test_both_engines_record_the_same_cells_where_nothing_is_random() -> None:
    from test_docking import CERTAIN_FIRMS, CERTAIN_SEGMENTS, _certain_market
    from conftest import strategy

    market = _certain_market({"base_churn": 0.0, "acquisition_rate": 0.0}, {"price_sensitivity": 0.0})
    focal, rival = (strategy(f) for f in CERTAIN_FIRMS)
    tables = [RelationshipModel(focal, market, rivals=[rival], days=40, rng=5, engine=engine, consumer_agents=False,
                                segments={0: CERTAIN_SEGMENTS}).run().recorder.segments()
              for engine in ("vectorized", "agents")]
    pd.testing.assert_frame_equal(*tables)
    assert tables[0]["cell"].nunique() == 3


def test_segments_come_from_the_config_per_arm_and_bad_ones_get_one_line() -> None:
    from relsim.experiments.plumbing.config import load

    spec = load(["+experiment=targeting"])
    assert spec.arms == ("one_way", "one_way_targeted", "reciprocal")
    (segment,) = spec.segments["one_way_targeted"]
    assert segment.tenure_from == 365 and segment.levers["inbound_capacity"] == 8.0
    assert spec.strategies["one_way_targeted"] == spec.strategies["one_way"]  # the same firm, targeting aside
    for overrides, message in (
            (["+segments.nobody=[]"], "segments.nobody: unknown strategy"),
            (["+segments.one_way=[{share: 2}]"], "segments.one_way[0].share=2"),
            (["+segments.one_way=[{levers: {price: 3}}]"], "not a lever a firm can set per segment"),
            (["firm_policy=test_and_learn", "arms=[learner]", "+segments.learner=[{share: 0.5}]"],
             "segments.learner: a test-and-learn firm draws its own cells")):
        with pytest.raises(ConfigError, match=message.replace("[", r"\[")) as err:
            load(overrides)
        assert "\n" not in str(err.value)
