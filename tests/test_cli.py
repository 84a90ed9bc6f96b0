"""The relsim command end to end: files, columns, determinism, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import relsim_command

from relsim.analysis.stats import MIN_CLEAR_PAIRS
from relsim.experiments.plumbing import checks
from relsim.experiments.plumbing.checks import check_command_line
from relsim.params import ConfigError

SMALL = ["seeds=2", "days=60", "market.consumers=300", "progress=false", "workers=1"]
RUNS_COLUMNS = ["arm", "scenario", "seed", "day", "firm", "customers", "acquired", "churned", "mean_trust", "mean_intimacy",
                "mean_stress", "contacts", "tickets", "tickets_reached", "tickets_resolved", "fees",
                "complaints_private", "complaints_public", "revenue", "cost", "profit"]


def relsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the relsim console script with arguments."""
    return relsim_command(*args, cwd=cwd)


@pytest.fixture(scope="module")
def flagship(tmp_path_factory) -> Path:
    """A small run of the default comparison (one_way vs reciprocal)."""
    tmp = tmp_path_factory.mktemp("flagship")
    out = tmp / "out"
    result = relsim(*SMALL, f"hydra.run.dir={out}", cwd=tmp)
    assert result.returncode == 0, result.stderr
    return out


def test_writes_every_file(flagship: Path) -> None:
    for name in ("runs.parquet", "retention.parquet", "evidence.parquet", "summary.csv", "manifest.json",
                 "report.html"):
        assert (flagship / name).stat().st_size > 0, name
    assert not list(flagship.glob(".*.tmp")), "temporary files left behind"


def test_runs_table_is_tidy(flagship: Path) -> None:
    runs = pd.read_parquet(flagship / "runs.parquet")
    assert set(RUNS_COLUMNS) <= set(runs.columns)
    assert len(runs) == 2 * 2 * 60 * 2  # arms x seeds x days x firms
    assert not runs.duplicated(["arm", "seed", "day", "firm"]).any()
    assert set(runs["arm"]) == {"one_way", "reciprocal"}
    retention = pd.read_parquet(flagship / "retention.parquet")
    assert list(retention.columns) == ["arm", "scenario", "seed", "firm", "tenure_days", "surviving"]
    assert set(runs["scenario"]) == {"baseline"}
    assert retention["tenure_days"].max() == 60


def test_summary_and_manifest(flagship: Path) -> None:
    summary = pd.read_csv(flagship / "summary.csv")
    assert {"arm", "metric", "mean", "ci_low", "ci_high", "diff"} <= set(summary.columns)
    assert set(summary["metric"]) >= {"trust", "intimacy", "stress", "npv", "profit"}
    manifest = json.loads((flagship / "manifest.json").read_text())
    assert manifest["arms"] == ["one_way", "reciprocal"] and manifest["seeds"] == [0, 1]
    assert manifest["config"]["market"]["consumers"] == 300
    assert manifest["versions"]["mesa"].startswith("3.")
    assert manifest["wall_time_s"] > 0


def test_prints_table_and_verdict(tmp_path: Path) -> None:
    result = relsim("arms=[one_way]", "seeds=[3]", "days=30", "market.consumers=200", "progress=false",
                    f"hydra.run.dir={tmp_path / 'one'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "one_way" in result.stdout and "Over" in result.stdout
    runs = pd.read_parquet(tmp_path / "one" / "runs.parquet")
    assert set(runs["seed"]) == {3} and runs["day"].max() == 30


def test_same_seed_same_files(flagship: Path, tmp_path: Path) -> None:
    """Determinism: a rerun (here with two worker processes) gives identical tables."""
    out = tmp_path / "again"
    result = relsim(*SMALL[:-1], "workers=2", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("runs", "retention", "evidence"):
        pd.testing.assert_frame_equal(pd.read_parquet(flagship / f"{name}.parquet"),
                                      pd.read_parquet(out / f"{name}.parquet"))


def test_help_is_relsims_own(tmp_path: Path) -> None:
    result = relsim("--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    text = result.stdout
    flat = " ".join(text.split())
    assert text.startswith("relsim: an agent-based simulation")
    assert "Hydra" not in text.split("--hydra-help")[0] and "${" not in text  # no raw YAML, no interpolations
    assert ("strategies.NAME.mail_rate direct mail pieces per customer per year (market.channels.mail); number in "
            "[0, 365]; default 6") in flat
    assert "days=N" in text and "integer in [1, 36500]" in flat
    assert "relsim-report" in text and "examples:" in text
    assert f"fewer than {MIN_CLEAR_PAIRS} cannot show a clear difference" in flat  # the rule of analysis/stats.py
    assert "firm_policy=NAME" in text and "hill_climb" in flat
    assert max(len(line) for line in text.splitlines()) <= 100
    assert not list(tmp_path.iterdir())  # nothing written


def test_version_is_relsims_with_its_commit(tmp_path: Path) -> None:
    from importlib.metadata import version

    from relsim.experiments.plumbing.outputs import short_commit

    result = relsim("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"relsim {version('relsim')} (commit {short_commit()})"
    assert "Hydra" not in result.stdout and list(tmp_path.iterdir()) == []


def test_hydras_help_stays_available(tmp_path: Path) -> None:
    result = relsim("--hydra-help", cwd=tmp_path)
    assert result.returncode == 0 and "Hydra" in result.stdout


@pytest.mark.parametrize(("override", "expected"), [
    ("strategies.one_way.mail_rate=-1", "strategies.one_way.mail_rate=-1: expected a number in [0, 365]"),
    ("strategies.reciprocal.listening=1.5", "strategies.reciprocal.listening=1.5: expected a number in [0, 1]"),
    ("strategies.one_way.phone_rate=abc", "strategies.one_way.phone_rate='abc': expected a number"),
    ("strategies.one_way.support_free_days=1.5", "strategies.one_way.support_free_days=1.5: expected an integer"),
    ("market.channels.phone.intrusiveness=2", "market.channels.phone.intrusiveness=2: expected a number in [0, 1]"),
    ("market.channels.fax=1", "market.channels.fax: unknown key; allowed: mail, email, phone"),
    ("arms=[one_way,nope]", "arms: unknown strategy 'nope'; allowed: one_way, reciprocal, hybrid, middle"),
    ("market=nope", "market=nope: unknown option; allowed: calibrated, default, head_to_head, monopoly"),
    ("strategies.one_way.contact_rate=5", "strategies.one_way.contact_rate: unknown key; renamed: contact_rate is "
                                          "now mail_rate, email_rate or phone_rate (a rate for each channel); "
                                          "allowed: mail_rate"),
    ("strategies.one_way.intrusiveness=0.5", "strategies.one_way.intrusiveness: unknown key; renamed: intrusiveness "
                                             "is now market.channels.mail.intrusiveness"),
    ("strategies.one_way.mail_rte=5", "strategies.one_way.mail_rte: unknown key; did you mean mail_rate? "
                                      "allowed: mail_rate"),
    ("strategies.one_way.zzz=5", "strategies.one_way.zzz: unknown key; allowed: mail_rate"),  # nothing close
    ("seed=3", "seed: unknown key; did you mean seeds? allowed: strategies"),
    ("market=monopoli", "market=monopoli: unknown option; did you mean monopoly? allowed: calibrated"),
    ("arms=[one_wya]", "arms: unknown strategy 'one_wya'; did you mean one_way? allowed: one_way"),
    ("scenario=pentium_crises", "scenario=pentium_crises: unknown option; did you mean pentium_crisis? allowed:"),
    ("scenario=[null]", "'scenario=[null]': None is not an option name"),
    ("--resolve", "--resolve: only with --cfg"),  # null means no scenario, not one in a list
    ("market.network.generator=watts_strogats", "market.network.generator='watts_strogats': did you mean "
                                                "watts_strogatz? expected one of watts_strogatz"),
    ("--verison", "--verison: unknown flag; did you mean --version? allowed:"),
    ("seeds=0", "seeds=0: expected a count in [1, 100000]"),
    ("days=abc", "days='abc': expected an integer"),
    ("market.network.generator=lattice", "market.network.generator='lattice': expected one of watts_strogatz"),
    ("market.population.fit.sd=0.9", "market.population.fit.sd=0.9: a beta trait with mean 0.75 needs sd <"),
    ("market.rivals=[ghost]", "market.rivals: unknown strategy 'ghost'"),
    ("strategies.one_way={mail_rate: 5, bogus: 1}", "strategies.one_way.bogus: unknown key; allowed: mail_rate"),
])
def test_bad_input_is_one_clear_line(override: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        check_command_line([override])
    message = str(err.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_flags_go_before_the_overrides_for_hydra_wherever_they_were_written() -> None:
    # Hydra's parser reads the overrides as one run of words: `seeds=2 -m x=1,2` would leave x=1,2 unread
    assert checks.flags_first(["seeds=2", "-m", "strategies.one_way.mail_rate=range(1,3)"]) == \
        ["-m", "seeds=2", "strategies.one_way.mail_rate=range(1,3)"]
    assert checks.flags_first(["seeds=2", "--cfg", "job", "days=5", "--resolve"]) == \
        ["--cfg", "job", "--resolve", "seeds=2", "days=5"]
    assert checks.flags_first(["a=1", "--info"]) == ["--info", "a=1"]


def test_a_folder_of_someone_elses_files_is_refused_untouched(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("x")
    before = mine.stat().st_mtime_ns
    result = relsim(*SMALL, f"hydra.run.dir={mine}", cwd=tmp_path)
    assert result.returncode == 2 and "is not empty and holds no relsim run" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"] and mine.stat().st_mtime_ns == before  # not even probed


def test_bad_input_exits_2_without_output(tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = relsim("strategies.one_way.mail_rate=-5", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["relsim: error: strategies.one_way.mail_rate=-5: expected a number in [0, 365]"]
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() and not (tmp_path / "outputs").exists()


def test_config_values_are_never_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    code = f"__import__('os').system('touch {marker}')"
    result = relsim(f'strategies.one_way.mail_rate="{code}"', f"hydra.run.dir={tmp_path / 'x'}", cwd=tmp_path)
    assert result.returncode == 2 and "expected a number" in result.stderr
    assert not marker.exists()


def test_the_old_module_names_still_work_for_one_release(tmp_path: Path) -> None:
    """relsim.experiments.config, .main and .audit moved (README, "A map of the code"); the old names stay
    for one release."""
    from relsim.experiments.config import load
    from relsim.experiments.plumbing import config

    assert load is config.load and load(["seeds=3"]).seeds == (0, 1, 2)
    for old in ("relsim.experiments.main", "relsim.experiments.audit"):
        result = subprocess.run([sys.executable, "-m", old, "--help"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0 and "usage: relsim" in result.stdout, (old, result.stderr)


def test_a_verdict_on_seed_noise_names_the_command_that_checks_it_over_the_posterior(tmp_path: Path) -> None:
    result = relsim("seeds=2", "days=30", "market.consumers=200", "progress=false",
                    f"hydra.run.dir={tmp_path / 'two'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "seed noise only" in text
    command = text.split("`")[1]  # the command it names keeps the run's overrides and adds posterior draws
    assert command == "relsim days=30 market.consumers=200 progress=false posterior=20 seeds=5"
    drawn = relsim("seeds=2", "days=30", "market.consumers=200", "progress=false", "posterior=2",
                   f"hydra.run.dir={tmp_path / 'drawn'}", cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert "seed noise only" not in drawn.stdout and "parameter uncertainty" in drawn.stdout
