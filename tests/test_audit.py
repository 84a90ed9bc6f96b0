"""The mechanism audit: each switch-off really makes its mechanism inert, and the command writes its table.

These tests check that a switch-off removes its mechanism's trace (its evidence cause, its counter, or
any influence of its inputs on the outcome), never how large the mechanism's effect is or which
strategy it favours.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from relsim.analysis.audit import MECHANISMS
from relsim.experiments.plumbing.config import load, options
from relsim.experiments.plumbing.runner import simulate
from relsim.params import LEVERS
from relsim.support import resolution

SMALL = ["seeds=[1]", "market.consumers=400", "progress=false"]
ALL_FIRMS = slice(None)


def tables(*overrides: str, arm: str = "one_way", days: int = 120) -> dict[str, dict[str, pd.DataFrame]]:
    """Per variant of `relsim *overrides`: runs (all firms) and evidence, on seed 1."""
    spec = load([*SMALL, f"days={days}", *overrides])
    return {v.name: simulate(spec, arm, v.name, 1) for v in spec.variants}


def evidence(ev: pd.DataFrame, cause: str, sign: str | None = None, firm: int | None = None) -> float:
    rows = ev[ev["cause"] == cause]
    if sign:
        rows = rows[rows["sign"] == sign]
    if firm is not None:
        rows = rows[rows["firm"] == firm]
    return float(rows["amount"].sum())


def test_every_switch_off_is_in_the_preset_and_named() -> None:
    assert set(MECHANISMS) <= set(options("scenario"))
    spec = load([*SMALL, "+experiment=audit", "days=10"])
    assert [v.name for v in spec.variants] == ["baseline", *MECHANISMS]


def test_one_way_and_capacity_off_leave_contacts_no_negative_evidence_and_unreached_calls_none() -> None:
    out = tables("scenario=[off_one_way,off_capacity]")
    base, off = out["baseline"]["evidence"], out["off_one_way+off_capacity"]["evidence"]
    assert evidence(base, "contacts", "negative") > 0 and evidence(base, "unreached") > 0
    assert evidence(off, "contacts", "negative") == 0
    assert evidence(off, "unreached") == 0
    assert evidence(off, "contacts", "positive") > 0  # welcome contacts are no part of either idea
    alone = tables("scenario=off_one_way")["off_one_way"]["evidence"]
    assert evidence(alone, "unreached") == 0 and evidence(alone, "contacts", "negative") > 0  # burden stays


def test_fees_off_leaves_fees_no_evidence() -> None:
    out = tables("scenario=[support_fee_90d,off_fees]", "compose_scenarios=false", arm="reciprocal", days=150)
    assert evidence(out["support_fee_90d"]["evidence"], "support_fees") > 0
    assert evidence(out["off_fees"]["evidence"], "support_fees") == 0  # no fee at all without the what-if
    both = tables("scenario=[support_fee_90d,off_fees]", arm="reciprocal", days=150)["support_fee_90d+off_fees"]
    assert evidence(both["evidence"], "support_fees") == 0
    assert both["runs"]["fees"].sum() > 0  # fees are still charged, only no longer felt


def test_spin_off_leaves_a_framed_cut_no_spin_evidence() -> None:
    out = tables("scenario=[sku_cut,off_spin]", days=200)
    spun, off = out["sku_cut+off_spin"]["evidence"], tables("scenario=sku_cut", days=200)["sku_cut"]["evidence"]
    assert evidence(off, "spin") > 0
    assert evidence(spun, "spin") == 0
    assert evidence(spun, "assortment") > 0  # the cut itself still acts


def test_listening_off_answers_nothing_for_the_focal_firm() -> None:
    out = tables("scenario=off_listening", arm="reciprocal")
    base, off = out["baseline"], out["off_listening"]
    focal = lambda t: t["runs"][t["runs"]["firm"] == 0]
    assert focal(base)["complaints_answered"].sum() > 0
    assert focal(off)["complaints_answered"].sum() == 0
    assert evidence(off["evidence"], "answered", firm=0) == 0


def test_word_of_mouth_off_leaves_the_network_no_evidence() -> None:
    out = tables("scenario=off_word_of_mouth")
    base, off = out["baseline"]["evidence"], out["off_word_of_mouth"]["evidence"]
    assert evidence(base, "word_of_mouth") > 0
    assert evidence(off, "word_of_mouth") == 0 and evidence(off, "exit_talk") == 0


def test_contact_response_off_sells_nothing() -> None:
    out = tables("scenario=off_contact_response")
    assert out["baseline"]["runs"]["contact_sales"].sum() > 0
    runs = out["off_contact_response"]["runs"]
    assert runs["contact_sales"].sum() == 0 and runs["sales_revenue"].sum() == 0


@pytest.mark.parametrize("scenario, change, spared", [
    ("off_stress", "market.behaviour.stress_burden=0.5", "mean_stress"),
    ("off_intimacy", "market.behaviour.intimacy_gain=0.9", "mean_intimacy"),
    ("off_responsiveness", "strategies.reciprocal.responsiveness=0.9", None),
])
def test_switched_off_inputs_no_longer_move_anything(scenario: str, change: str, spared: str | None) -> None:
    """With the mechanism off, changing what feeds it leaves every outcome the same (but its own state)."""
    plain = tables(f"scenario={scenario}", arm="reciprocal", days=90)
    moved = tables(f"scenario={scenario}", change, arm="reciprocal", days=90)
    keep = [c for c in plain[scenario]["runs"].columns if c != spared and c not in LEVERS]  # outcomes, not inputs
    pd.testing.assert_frame_equal(plain[scenario]["runs"][keep], moved[scenario]["runs"][keep])
    if spared:  # the state is still computed: the change does move it
        assert not np.allclose(plain[scenario]["runs"][spared], moved[scenario]["runs"][spared])
    # and with the mechanism on, the same change moves the outcome (the test can see a difference)
    assert not plain["baseline"]["runs"][keep].equals(moved["baseline"]["runs"][keep])


def test_service_recovery_off_makes_a_resolution_the_same_at_any_call() -> None:
    spec = load([*SMALL, "scenario=off_service_recovery", "days=10"])
    b_on = spec.cell("one_way", "baseline")[1].behaviour
    b_off = spec.cell("one_way", "off_service_recovery")[1].behaviour
    rule = resolution.py_func
    for severity in (0.5, 1.0, 3.0):
        for trust in (0.3, 0.6, 0.9):
            assert rule(b_off, severity, False, trust) == rule(b_off, severity, True, trust)
            assert rule(b_on, severity, False, trust) <= rule(b_on, severity, True, trust)


def test_audit_command_writes_one_row_per_switch_off_and_arm(tmp_path: Path) -> None:
    out, doc = tmp_path / "run", tmp_path / "AUDIT.md"
    result = subprocess.run([sys.executable, "-m", "relsim.experiments.commands.audit_mechanisms", "--out", str(out),
                             "--doc", str(doc), "seeds=2", "days=60", "market.consumers=200", "progress=false"],
                            check=False, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out / "audit.csv")
    stored = pd.read_parquet(out / "audit.parquet")
    assert list(stored.columns) == list(table.columns) and len(stored) == len(table)
    arms = ["one_way", "reciprocal", "reciprocal − one_way"]
    assert len(table) == len(MECHANISMS) * len(arms)
    assert set(zip(table["switch_off"], table["arm"])) == {(s, a) for s in MECHANISMS for a in arms}
    bounds = [c for c in table.columns if c.endswith(("_ci_low", "_ci_high", "_effect"))]
    assert len(bounds) >= 9 and all(math.isfinite(x) for x in table[bounds].to_numpy().ravel())
    text = doc.read_text(encoding="utf-8")
    assert "relsim-audit" in text and "seeds=2" in text
    assert text.count("| `off_") == len(MECHANISMS) * len(arms)
