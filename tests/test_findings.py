"""relsim-findings: the runs and docs/FINDINGS.md, end to end at toy sizes (--quick)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsim.analysis.audit import MECHANISMS

FINDINGS = str(Path(sys.executable).with_name("relsim-findings"))


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("findings")
    out, doc = root / "runs", root / "doc" / "FINDINGS.md"
    result = subprocess.run([FINDINGS, "--quick", "--no-figures", "--out", str(out), "--doc", str(doc)],
                            capture_output=True, text=True, timeout=900, cwd=root)
    return out, doc, result


@pytest.mark.slow
def test_one_command_runs_every_experiment_and_writes_the_page(quick) -> None:
    out, doc, result = quick
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("best_budget", "best", "flagship", "decomposition", "decomposition_best", "audit", "audit_best",
                 "allocation",
                 "discovery", "learning", "test_and_learn", "emergence", "posterior", "calibrated"):
        assert (out / name).is_dir(), name
    assert (out / "test_and_learn" / "regret.csv").is_file()  # the frozen step writes into the sweep it reads
    assert (out / "audit" / "audit.csv").is_file() and (out / "allocation" / "allocation.csv").is_file()
    text = doc.read_text()
    assert "Quick mode" in text  # toy sizes are never presented as a finding
    for heading in ("## 1. In short", "## 2. The best one-way firm against the best reciprocal firm, at an equal budget",
                    "## 3. The best one-way firm against the best reciprocal firm, each spending",
                    "## 4. The presets", "## 5. Which levers carry the presets' gap",
                    "## 6. Which levers carry the gap between the best firms", "## 7. Equal budget",
                    "## 8. Which mechanisms carry the presets' gap",
                    "## 9. Which mechanisms carry the gap between the best firms", "## 10. Where each bundle",
                    "## 11. Firms that test and learn", "## 12. Firms that learn (emergence)",
                    "## 13. The presets over the calibrated posterior", "## 14. What the model cannot show"):
        assert heading in text
    for switch_off in MECHANISMS:  # every switch-off of both audits has its row
        assert text.count(f"`{switch_off}`") >= 2, switch_off


@pytest.mark.slow
def test_the_page_states_what_the_runs_found(quick) -> None:
    out, doc, result = quick
    assert result.returncode == 0, result.stderr[-3000:]
    text = doc.read_text()
    table = pd.read_csv(out / "allocation" / "allocation.csv")
    best = table[table["best"]].iloc[0]
    assert (f"spends {best.outbound_share:.0%} on outbound contacts, {best.access_share:.0%} on access and "
            f"{best.listening_share:.0%} on listening") in text
    summary = pd.read_csv(out / "flagship" / "summary.csv")
    equity = summary[(summary["arm"] == "reciprocal") & (summary["metric"] == "customer_equity")].iloc[0]
    assert f"{equity['diff']:+,.0f}" in text
    assert "draws with one_way ahead" in text and "parameter uncertainty is" in text  # the posterior's section
    point = pd.read_csv(out / "calibrated" / "summary.csv")  # ... and the calibrated point beside it
    row = point[(point["arm"] == "reciprocal") & (point["metric"] == "npv")].iloc[0]
    assert "calibrated point [95% CI]" in text and f"{row['diff']:+,.0f}" in text


@pytest.mark.slow
def test_the_best_firms_and_the_decompositions_are_on_the_page(quick) -> None:
    """The best responses' levers as each firm runs them, and each decomposition's shares, as the runs wrote them."""
    out, doc, result = quick
    assert result.returncode == 0, result.stderr[-3000:]
    text = doc.read_text()
    assert "| `listening_share` |" in text and "found by `relsim-optimize --class one_way --budget 20" in text
    summary = pd.read_csv(out / "best_budget" / "summary.csv")
    npv = summary[(summary["arm"] == "best_reciprocal_b20") & (summary["metric"] == "npv")].iloc[0]
    assert f"{npv['diff']:+,.0f}" in text
    for name, lever in (("decomposition", "inbound_capacity"), ("decomposition_best", "phone_rate")):
        table = pd.read_csv(out / name / "decomposition.csv")
        row = table[(table["metric"] == "npv") & (table["lever"] == lever)].iloc[0]
        assert f"| {lever} |" in text and f"{row['share']:.0%} |" in text
    budgeted = table[table["lever"].isin(["budget", "outbound_share", "access_share", "listening_share"])]
    assert budgeted.empty  # budgeted arms are decomposed by the levers their budget buys


@pytest.mark.slow
def test_the_page_can_be_rewritten_from_the_runs_and_bad_use_gets_one_line(quick, tmp_path) -> None:
    out, doc, result = quick
    assert result.returncode == 0, result.stderr[-3000:]
    again = tmp_path / "again.md"
    rewrite = subprocess.run([FINDINGS, "--from", str(out), "--no-figures", "--doc", str(again)], capture_output=True,
                             text=True, timeout=300, cwd=tmp_path)
    assert rewrite.returncode == 0, rewrite.stderr[-2000:]
    strip = lambda s: [line for line in s.splitlines() if not line.startswith(("Generated by", "Written by"))]  # noqa: E731
    assert strip(again.read_text()) == strip(doc.read_text())
    for args, key in ((["--out", str(out)], "--out"), (["--from", str(tmp_path)], "--from")):
        bad = subprocess.run([FINDINGS, *args, "--doc", str(tmp_path / "x.md")], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and key in bad.stderr
        assert not (tmp_path / "x.md").exists()


@pytest.mark.slow
def test_the_allocation_run_spends_one_budget_split_every_way(quick) -> None:
    """Each split of the budgeted preset's budget buys its levers; the report names the best split."""
    out, _, result = quick
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(out / "allocation" / "allocation.csv")
    assert len(table) == 6 and table["best"].sum() == 1  # a {3, 2} lattice in quick mode
    np.testing.assert_allclose(table[["outbound_share", "access_share", "listening_share"]].sum(axis=1), 1.0)
    only_outbound = table[table["outbound_share"] == 1.0].iloc[0]  # budget 20 / 10.16 per middle mix = 1.97 mixes
    assert only_outbound.mail_rate == pytest.approx(6.0 * 20.0 / 10.16) and only_outbound.inbound_capacity == 0.0
    assert only_outbound.contacts_per_year == pytest.approx(26.0 * 20.0 / 10.16)
    best = table[table["best"]].iloc[0]
    assert best.customer_equity == table["customer_equity"].max() and best.diff_from_best == 0.0
    assert (table["diff_from_best"] <= 0).all()
    assert "the split that keeps the most customer equity" in (out / "allocation" / "sweep_report.html").read_text()


@pytest.mark.slow
def test_the_emergence_run_writes_the_phase_diagram(quick) -> None:
    out, _, result = quick
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(out / "emergence" / "emergence.csv")
    # --quick's cells: one window x objective (2) x listening (2) x competition (2), each once
    cells = ["firm_policy.objective", "strategies.learner.listening", "market.rivals"]
    assert len(table) == 8 and [table[c].nunique() for c in cells] == [2, 2, 2]
    assert not table[cells].duplicated().any()
    for share in ("one_way_like", "talk_more", "harder_to_reach", "charge_to_be_heard", "charge_to_keep"):
        assert table[share].between(0, 1).all()
    assert (table["one_way_like"] <= table[["talk_more", "harder_to_reach"]].min(axis=1)).all()
    assert table["learning_firms"].gt(0).all() and set(table["best_fixed"]) <= {"one_way", "middle", "reciprocal"}
    assert table["market_trust"].between(0, 1).all() and table["equity_vs_best"].notna().all()
    assert table["npv_vs_best"].notna().all()
    assert "Share of learning firms that end one-way-like" in (out / "emergence" / "sweep_report.html").read_text()


def test_an_interrupted_attempt_resumes_from_the_runs_it_has(tmp_path, monkeypatch, capfd) -> None:
    from relsim.experiments.commands import write_findings

    monkeypatch.setattr(write_findings, "RUNS", {"flagship": ([], "run"), "calibrated": (["market=calibrated"], "run")})
    monkeypatch.setattr(write_findings, "QUICK", ["seeds=2", "market.consumers=200", "days=30", "progress=false"])
    out = tmp_path / "runs"
    (out / "flagship").mkdir(parents=True)
    first = write_findings.run_all(out, quick=True)
    assert set(first) == {"flagship", "calibrated"} and (out / "calibrated" / "manifest.json").is_file()
    capfd.readouterr()
    write_findings.run_all(out, quick=True)  # again: each finished run is skipped, not run anew
    said = capfd.readouterr().out
    assert said.count("is already complete") == 2, said


def test_a_resumed_attempt_keeps_its_sizes(tmp_path) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    (out / "findings_started.json").write_text('{"quick": false}')
    result = subprocess.run([FINDINGS, "--quick", "--out", str(out)], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "without --quick" in result.stderr and sorted(p.name for p in out.iterdir()) == ["findings_started.json"]


@pytest.mark.slow
def test_the_test_and_learn_section_sets_each_learner_against_the_best_fixed_strategy(quick) -> None:
    out, doc, result = quick
    assert result.returncode == 0, result.stderr[-3000:]
    section = doc.read_text().split("## 11. Firms that test and learn")[1].split("## 12.")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "(best_tested)" in line
            or any(f"({arm})" in line for arm in ("middle", "one_way", "reciprocal")) and line.startswith("| ")]
    assert len(rows) == 2  # --quick: one window and objective (not swept), with and without a holdout
    fixed = ("best_tested", "middle", "one_way", "reciprocal")
    for row in rows:
        cells = row.strip("|").split("|")
        assert sum(row.count(f"({arm})") for arm in fixed) == 2  # the best fixed arm by NPV and by equity
        assert cells[-1].strip() != "—"  # the frozen levers were played
    regret = pd.read_csv(out / "test_and_learn" / "regret.csv")
    assert set(regret["metric"]) == {"npv", "customer_equity"} and regret["frozen"].notna().all()
