"""The model as Mesa sees it (sim/model.py): mesa.batch_run runs every combination with the model's
reporters.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import multiprocessing

import mesa
import pandas as pd

from relsim.model import RelationshipModel


def _batch_run() -> list[dict]:
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        return mesa.batch_run(RelationshipModel, parameters={"consumers": 100, "days": 20, "mail_rate": [12, 52]},
                              rng=[1, 2], max_steps=20, number_processes=1, display_progress=False)
    finally:  # batch_run forces the spawn start method on the whole process: put it back
        multiprocessing.set_start_method(method, force=True)


def test_mesa_batch_run_runs_every_combination_with_the_model_reporters() -> None:
    table = pd.DataFrame(_batch_run())
    assert table.RunId.nunique() == 4
    runs_ = table.drop_duplicates("RunId")
    assert sorted(zip(runs_.iteration, runs_.mail_rate)) == [(0, 12), (0, 52), (1, 12), (1, 52)]
    assert set(runs_.Step) == {20}
    for reporter in ("customers", "mean_trust", "mean_stress", "profit"):
        assert reporter in table and runs_[reporter].notna().all()
    assert ((runs_.mean_trust > 0) & (runs_.mean_trust < 1)).all()
    # same seed, different contact rate: different outcomes; batch runs are reproducible
    assert runs_.groupby("iteration").profit.nunique().eq(2).all()
    again = pd.DataFrame(_batch_run())
    pd.testing.assert_frame_equal(table, again)


def test_mesa_batch_run_returns_one_row_per_run_and_firm() -> None:
    """The Firm agenttype reporters make batch_run return a row per firm (2) of each run (4)."""
    rows = _batch_run()
    assert len(rows) == 8
    assert {(r["RunId"], r["AgentID"]) for r in rows} == {(run, firm) for run in range(4) for firm in (1, 2)}
    assert all(r["npv"] > 0 and r["customers"] > 0 for r in rows)
