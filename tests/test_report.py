"""Tests of relsim.analysis.load, .summary and .report on synthetic run directories."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsim.analysis import (
    METRICS, format_table, load_run, per_seed_metrics, summarise, verdict, write_report, write_summary,
)
from relsim.analysis.report import figures
from relsim.analysis.report import SECTIONS
from relsim.analysis.summary import SUMMARY_COLUMNS, crossover, profit_gap

ARMS = ("one_way", "reciprocal")
SEEDS = (0, 1, 2, 3, 4, 5)  # six: the fewest with which a paired test can call a difference clear
# Zero-mean, per-seed perturbation of the treatment arms: paired differences are
# effect + JITTER, so their mean is exactly the built-in effect.
JITTER = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])

# Built-in effects per unit of `effect`, for the focal firm of every non-first arm.
TRUST_EFFECT = 0.1            # on mean_trust every day
REVENUE_EFFECT = 100.0        # per day
PUBLIC_EFFECT = -2            # complaints_public per day
HAZARD_EFFECT = -0.001        # daily retention hazard


# --------------------------------------------------------------------------- fixture builder

def _runs_rows(arm_ix: int, arm: str, seed: int, days: int, effect: float,
               jitter: float, n_firms: int) -> list[pd.DataFrame]:
    """runs.parquet rows of one arm x seed, for all firms."""
    day = np.arange(1, days + 1, dtype=np.int64)
    out = []
    for firm in range(n_firms):
        treat = effect * arm_ix if firm == 0 else 0.0
        jit = jitter if firm == 0 else 0.0
        hazard = 0.003 + 1e-4 * seed + HAZARD_EFFECT * treat
        customers = np.round(1000 * np.exp(-hazard * day)).astype(np.int64)
        revenue = 1000 + 10 * seed + REVENUE_EFFECT * treat + 5 * jit + 0 * day
        cost = np.full(days, 800.0 + 10 * seed)
        profit = revenue - cost
        public = np.full(days, max(0, int(round(4 + PUBLIC_EFFECT * treat + jit))), np.int64)
        tickets = np.full(days, 20, np.int64)
        reached = np.full(days, 15, np.int64)
        out.append(pd.DataFrame({
            "arm": arm, "seed": np.int64(seed), "day": day, "firm": np.int64(firm),
            "strategy": arm if firm == 0 else "rival_default",
            "customers": customers,
            "acquired": np.zeros(days, np.int64),
            "churned": np.r_[0, -np.diff(customers)].astype(np.int64),
            "mean_trust": 0.5 + 0.001 * seed + TRUST_EFFECT * treat + 0.002 * jit
                          + 0.0001 * day,
            "mean_intimacy": 0.3 + 0.05 * treat + 0.001 * jit + 0.0 * day,
            "mean_stress": 0.4 - 0.05 * treat + 0.001 * jit + 0.0 * day,
            "contacts": np.full(days, 50, np.int64),
            "problems": np.full(days, 10, np.int64),
            "tickets": tickets, "tickets_reached": reached,
            "tickets_resolved": np.full(days, 12, np.int64),
            "tickets_unreached": tickets - reached,
            "fees": np.zeros(days),
            "complaints_private": np.full(days, 3 + seed % 2, np.int64),
            "complaints_public": public,
            "posts_positive": np.ones(days, np.int64),
            "complaints_answered": np.ones(days, np.int64),
            "problem_rate": np.full(days, 2.0),
            "spend": 0.02 * customers * (1 + treat),  # 7.3 (one_way) or 14.6 (reciprocal) per customer-year
            "revenue": revenue, "cost": cost, "profit": profit,
            "npv": np.cumsum(profit / (1 + 0.05 / 365) ** day),
        }))
        # customer equity: NPV plus 100 a customer, recorded every 30th day and on the last day
        sampled = (day % 30 == 0) | (day == days)
        out[-1]["customer_equity"] = np.where(sampled, out[-1]["npv"] + 100.0 * customers, np.nan)
    return out


def _retention_rows(arm_ix: int, arm: str, seed: int, days: int, effect: float,
                    jitter: float, n_firms: int) -> list[pd.DataFrame]:
    """retention.parquet rows of one arm x seed, for all firms."""
    tenure = np.arange(0, days + 1, dtype=np.int64)
    out = []
    for firm in range(n_firms):
        treat = effect * arm_ix if firm == 0 else 0.0
        jit = jitter if firm == 0 else 0.0
        hazard = 0.003 + 1e-4 * seed + HAZARD_EFFECT * treat + 1e-5 * jit
        out.append(pd.DataFrame({
            "arm": arm, "seed": np.int64(seed), "firm": np.int64(firm),
            "tenure_days": tenure, "surviving": np.exp(-hazard * tenure),
        }))
    return out


def _evidence_rows(arm_ix: int, arm: str, seed: int, days: int, effect: float,
                   n_firms: int) -> list[pd.DataFrame]:
    """evidence.parquet rows: one_way loses trust mainly to unreached calls."""
    negative = {"unreached": 5.0 - 4.0 * effect * arm_ix, "usage": 2.0, "contacts": 1.0}
    positive = {"usage": 3.0, "heard": 1.0, "answered": 0.5 + 0.5 * arm_ix}
    day = np.arange(1, days + 1, dtype=np.int64)
    out = []
    for firm in range(n_firms):
        for sign, causes in (("negative", negative), ("positive", positive)):
            for cause, amount in causes.items():
                out.append(pd.DataFrame({
                    "arm": arm, "seed": np.int64(seed), "day": day, "firm": np.int64(firm),
                    "sign": sign, "cause": cause, "amount": np.full(days, max(amount, 0.0)),
                }))
    return out


def build_run_dir(path: Path, *, days: int = 60, effect: float = 1.0,
                  arms: Sequence[str] = ARMS, seeds: Sequence[int] = SEEDS,
                  n_firms: int = 2, manifest_arms: Sequence[str] | None = None,
                  data_order: Sequence[str] | None = None) -> Path:
    """Write a run directory following docs/SCHEMA.md with a known effect of the non-first arms.

    Each non-first arm's focal firm has, per unit of ``effect``: trust +0.1, revenue
    +100/day, public complaints -2/day, a lower retention hazard and fewer unreached
    calls; the per-seed JITTER has mean 0, so paired mean differences equal the effect.
    """
    path.mkdir(parents=True, exist_ok=True)
    runs, ret, ev = [], [], []
    for arm in (data_order or arms):
        ix = list(arms).index(arm)
        for seed in seeds:
            jitter = JITTER[seed % len(JITTER)] * (ix > 0)
            runs += _runs_rows(ix, arm, seed, days, effect, jitter, n_firms)
            ret += _retention_rows(ix, arm, seed, days, effect, jitter, n_firms)
            ev += _evidence_rows(ix, arm, seed, days, effect, n_firms)
    pd.concat(runs, ignore_index=True).to_parquet(path / "runs.parquet", index=False)
    pd.concat(ret, ignore_index=True).to_parquet(path / "retention.parquet", index=False)
    pd.concat(ev, ignore_index=True).to_parquet(path / "evidence.parquet", index=False)
    manifest = {"config": {"days": days}, "seeds": list(seeds),
                "arms": list(manifest_arms if manifest_arms is not None else arms),
                "versions": {"python": "3.12"}, "git_commit": "0123456789abcdef",
                "wall_time_s": 1.5, "created": "2025-01-01T00:00:00"}
    if manifest_arms == []:
        del manifest["arms"]
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clear_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two arms, 6 seeds, 60 days, a large built-in effect."""
    return build_run_dir(tmp_path_factory.mktemp("clear"))


@pytest.fixture(scope="module")
def clear_run(clear_dir: Path):
    """The clear-effect run, loaded."""
    return load_run(clear_dir)


@pytest.fixture(scope="module")
def clear_summary(clear_run) -> pd.DataFrame:
    """Summary of the clear-effect run."""
    return summarise(clear_run)


def _row(summary: pd.DataFrame, arm: str, metric: str) -> pd.Series:
    """The summary row of one arm and metric."""
    return summary[(summary["arm"] == arm) & (summary["metric"] == metric)].iloc[0]


# --------------------------------------------------------------------------- load

def test_load_run_reads_all_tables(clear_run) -> None:
    assert len(clear_run.runs) == 2 * len(SEEDS) * 60 * 2
    assert len(clear_run.retention) == 2 * len(SEEDS) * 61 * 2
    assert set(clear_run.evidence["sign"]) == {"negative", "positive"}
    assert clear_run.manifest["arms"] == list(ARMS)
    assert clear_run.arms == list(ARMS)


@pytest.mark.parametrize("name", ["runs.parquet", "retention.parquet", "evidence.parquet",
                                  "manifest.json"])
def test_load_run_names_the_missing_file(tmp_path: Path, name: str) -> None:
    build_run_dir(tmp_path, days=10, seeds=(0, 1))
    (tmp_path / name).unlink()
    with pytest.raises(FileNotFoundError, match=name.replace(".", r"\.")):
        load_run(tmp_path)


# --------------------------------------------------------------------------- summary

def test_per_seed_metrics_one_row_per_arm_and_seed(clear_run) -> None:
    per = per_seed_metrics(clear_run)
    assert list(per[["arm", "seed"]].itertuples(index=False, name=None)) == [
        (a, s) for a in ARMS for s in SEEDS]
    # 60 days: no yearly retention horizon is available
    assert not any(c.startswith("retention_") for c in per.columns)
    base = per[per["arm"] == "one_way"].set_index("seed")
    assert base.loc[2, "revenue"] == pytest.approx(60 * 1020.0)
    assert base.loc[2, "complaints_public"] == 60 * 4
    assert base.loc[2, "trust"] == pytest.approx(0.5 + 0.002 + 0.006)  # last day: 60


def test_summarise_columns_rows_and_order(clear_summary: pd.DataFrame) -> None:
    assert list(clear_summary.columns) == SUMMARY_COLUMNS
    metrics = [m for m in METRICS if not m.startswith("retention_")]
    assert list(clear_summary["arm"]) == [a for a in ARMS for _ in metrics]
    assert list(clear_summary["metric"]) == metrics * 2
    assert (clear_summary["n_seeds"] == len(SEEDS)).all()
    first = clear_summary[clear_summary["arm"] == "one_way"]
    assert first[["diff", "diff_ci_low", "diff_ci_high"]].isna().all().all()
    assert list(clear_summary["unit"][:len(metrics)]) == [METRICS[m].unit for m in metrics]


def test_summarise_recovers_built_in_effects(clear_summary: pd.DataFrame) -> None:
    trust = _row(clear_summary, "reciprocal", "trust")
    assert trust["diff"] == pytest.approx(TRUST_EFFECT)
    assert trust["diff_ci_low"] <= TRUST_EFFECT <= trust["diff_ci_high"]
    assert trust["diff_ci_low"] > 0
    revenue = _row(clear_summary, "reciprocal", "revenue")
    assert revenue["diff"] == pytest.approx(60 * REVENUE_EFFECT)
    assert revenue["diff_ci_low"] > 0
    public = _row(clear_summary, "reciprocal", "complaints_public")
    assert public["diff"] == pytest.approx(60 * PUBLIC_EFFECT)
    assert public["diff_ci_high"] < 0
    for _, row in clear_summary.iterrows():
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def test_summarise_no_effect_diff_ci_includes_zero(tmp_path: Path) -> None:
    summary = summarise(load_run(build_run_dir(tmp_path, effect=0.0)))
    diffs = summary[summary["arm"] == "reciprocal"]
    assert diffs["diff"].abs().max() < 1e-6
    assert ((diffs["diff_ci_low"] <= 0) & (diffs["diff_ci_high"] >= 0)).all()


def test_summarise_is_deterministic(clear_run, clear_summary: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(summarise(clear_run), clear_summary)


def test_summarise_arm_order_from_manifest_then_first_appearance(tmp_path: Path) -> None:
    listed = build_run_dir(tmp_path / "listed", days=10, data_order=("reciprocal", "one_way"))
    assert list(dict.fromkeys(summarise(load_run(listed))["arm"])) == ["one_way", "reciprocal"]
    unlisted = build_run_dir(tmp_path / "unlisted", days=10, manifest_arms=[],
                             data_order=("reciprocal", "one_way"))
    run = load_run(unlisted)
    assert "arms" not in run.manifest
    summary = summarise(run)
    assert list(dict.fromkeys(summary["arm"])) == ["reciprocal", "one_way"]
    assert summary[summary["arm"] == "reciprocal"]["diff"].isna().all()


def test_retention_horizons_follow_run_length(tmp_path: Path) -> None:
    summary = summarise(load_run(build_run_dir(tmp_path, days=400, seeds=(0, 1, 2))))
    metrics = set(summary["metric"])
    assert "retention_1y" in metrics
    assert not {"retention_2y", "retention_3y"} & metrics
    base = _row(summary, "one_way", "retention_1y")
    expected = np.mean([np.exp(-(0.003 + 1e-4 * s) * 365) for s in (0, 1, 2)])
    assert base["mean"] == pytest.approx(expected)
    assert _row(summary, "reciprocal", "retention_1y")["diff_ci_low"] > 0


def test_write_summary_is_csv_with_empty_first_arm_diff(tmp_path: Path,
                                                        clear_summary: pd.DataFrame) -> None:
    path = write_summary(clear_summary, tmp_path)
    assert path == tmp_path / "summary.csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]
    header, first = path.read_text(encoding="utf-8").splitlines()[:2]
    assert header == ",".join(SUMMARY_COLUMNS)
    assert ",,,," in first  # diff, diff_ci_low, diff_ci_high are empty
    back = pd.read_csv(path)
    assert len(back) == len(clear_summary)


# --------------------------------------------------------------------------- format_table

def test_format_table_lists_arms_and_metrics_aligned(clear_summary: pd.DataFrame) -> None:
    text = format_table(clear_summary)
    lines = text.splitlines()
    for arm in ARMS:
        assert arm in lines[0]
    assert "reciprocal − one_way" in lines[0]
    for metric in clear_summary["metric"].unique():
        assert sum(line.startswith(METRICS[metric].label) for line in lines) == 1
    body = lines[2: 2 + clear_summary["metric"].nunique()]
    assert len({len(line) for line in [lines[0], *body]}) == 1, "columns must be aligned"
    revenue = next(line for line in lines if line.startswith("Revenue"))
    assert revenue.startswith("Revenue (thousand $)")  # 61,500 reaches 10,000: shown in thousands
    assert "61.5 [" in revenue and "+6.00 [" in revenue


def test_format_table_fits_100_columns_with_the_chosen_currency(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, days=1095, seeds=(0, 1, 2)))
    text = format_table(summarise(run), currency="€")
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "NPV (thousand €)" in text and "$" not in text and "currency" not in text


def test_format_table_shows_retention_in_percent(tmp_path: Path) -> None:
    summary = summarise(load_run(build_run_dir(tmp_path, days=366, seeds=(0, 1, 2))))
    line = next(x for x in format_table(summary).splitlines() if x.startswith("Retention"))
    mean = _row(summary, "one_way", "retention_1y")["mean"]
    assert f"{mean * 100:.1f}%" in line
    assert " pp " in line


# --------------------------------------------------------------------------- verdict

def test_verdict_claims_clear_differences(clear_run, clear_summary: pd.DataFrame) -> None:
    text = verdict(clear_run, clear_summary)
    assert "\n" not in text
    assert text.startswith("Over 60 days the reciprocal firm keeps ")
    assert "points more of its first customers than one_way (95% CI" in text
    assert "more NPV (CI" in text
    assert "no clear difference" not in text
    # the "why": the cause with the largest share of the whole trust gap (evidence gained and lost)
    assert ". Reciprocal's customers gain more trust evidence a day than one_way's, most of the change (" in text
    assert all(s[:1].isupper() for s in text.split(". ")) and len(max(text.split(". "), key=len)) < 200  # sentences
    assert "%) in unreached support calls" in text


def test_verdict_never_claims_difference_when_ci_includes_zero(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, effect=0.0))
    text = verdict(run, summarise(run))
    assert "no clear difference in retention" in text
    assert "no clear difference in NPV" in text
    for claim in ("points more", "points fewer", "more NPV", "less NPV"):
        assert claim not in text


def test_verdict_reports_harmful_arm_as_loss(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, effect=-1.0))
    text = verdict(run, summarise(run))
    assert "points fewer of its first customers than one_way" in text
    assert "less NPV" in text


def test_verdict_uses_longest_horizon(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, days=740, seeds=(0, 1, 2)))
    text = verdict(run, summarise(run))
    assert text.startswith("Over 2 years ")


def test_verdict_single_arm_describes_it_alone(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, arms=("one_way",)))
    summary = summarise(run)
    text = verdict(run, summary)
    assert text.startswith("Over 60 days the one_way firm keeps ")
    assert "% of its first customers (95% CI" in text
    assert "earns an NPV of" in text
    assert ". Its largest source of lost trust is unreached support calls" in text
    assert " than " not in text and "no clear" not in text


def test_verdict_never_calls_a_small_sample_clear(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, seeds=(0, 1, 2)))  # the large built-in effect, 3 seeds
    text = verdict(run, summarise(run))
    # an interval that excludes 0 over too few seeds is "too few seeds to call", never "no clear difference"
    assert "no clear difference" not in text and "points more" not in text and "more NPV" not in text
    assert text.count("but 3 seeds are too few to call it (95% CI") == 2


def _diff_row(**kw) -> pd.Series:
    return pd.Series({"diff": 1.0, "diff_ci_low": 0.5, "diff_ci_high": 1.5, "n_seeds": 10, **kw})


@pytest.mark.parametrize(("row", "kind", "words"), [
    (_diff_row(), "clear", ""),
    (_diff_row(n_seeds=5), "few", "differs in NPV by +1.0, but 5 seeds are too few to call it (95% CI +0.5 to +1.5; "
                             "a clear call needs 6 seeds)"),
    (_diff_row(diff_ci_low=-0.5), "unclear", "shows no clear difference in NPV (95% CI -0.5 to +1.5)"),
    (_diff_row(n_seeds=1, diff_ci_low=1.0, diff_ci_high=1.0), "single",
     "differs in NPV by +1.0 on its one seed (no interval: one seed is too few to call)"),
    (_diff_row(diff=0.0, diff_ci_low=0.0, diff_ci_high=0.0), "none", "shows no difference in NPV on any of the 10 seeds"),
    (_diff_row(replicate="draw", n_agree=9), "clear", ""),  # 9 of 10 posterior draws: stats.SUPPORT
    (_diff_row(replicate="draw", n_agree=8), "unsettled",
     "shows no clear difference in NPV that the posterior settles: +1.0 on average (95% CI +0.5 to +1.5), but that "
     "sign holds in only 8 of 10 posterior draws"),
    (_diff_row(n_agree=5), "clear", ""),  # over seeds, the interval decides: a seed is noise, not a parameter
])
def test_one_grammar_of_verdicts_chosen_by_the_numbers(row, kind, words) -> None:
    from relsim.analysis.wording import call, uncalled

    assert call(row) == kind
    assert uncalled(row, "NPV", lambda v: f"{v:+.1f}") == words
    flipped = row.copy()  # the same numbers with the other sign read the same way: never by which arm wins
    flipped[["diff", "diff_ci_low", "diff_ci_high"]] = -row[["diff", "diff_ci_high", "diff_ci_low"]].to_numpy()
    assert call(flipped) == kind


def test_a_clear_difference_over_posterior_draws_says_in_how_many_it_holds() -> None:
    from relsim.analysis.stats import paired_effect
    from relsim.analysis.wording import _npv_clause, _retention_clause

    assert paired_effect([3.0, 2.0, -1.0, 4.0], [0.0] * 4).agree == 3
    assert paired_effect([1.0, -1.0], [0.0, 0.0]).agree == 0  # no direction, nothing agrees
    row = _diff_row(diff=20.0, diff_ci_low=10.0, diff_ci_high=30.0, replicate="draw", n_agree=19, n_seeds=20)
    assert _npv_clause(row, 1000.0) == "earns 2.0% more NPV (CI 1.0% to 3.0%; holds in 19 of 20 posterior draws)"
    over_seeds = row.drop(["replicate", "n_agree"])  # summary.csv written before the columns: read as seeds
    assert _npv_clause(over_seeds, 1000.0) == "earns 2.0% more NPV (CI 1.0% to 3.0%)"
    split = _diff_row(diff=0.1, diff_ci_low=0.05, diff_ci_high=0.15, replicate="draw", n_agree=14, n_seeds=20)
    text = _retention_clause(split, "one_way")
    assert "points more" not in text and "only 14 of 20 posterior draws" in text


def test_money_in_headlines_has_its_unit_and_the_tables_scale() -> None:
    from relsim.analysis.wording import money_words

    assert money_words([19834, 18429, 21464]) == ["$19.8 thousand", "$18.4 thousand", "$21.5 thousand"]
    assert money_words([-704, -619], "$", signed=True, scale_from=[39_300, -704]) == ["-$0.70 thousand",
                                                                                     "-$0.62 thousand"]
    assert money_words([950, -120], "EUR", signed=True) == ["+950 EUR", "-120 EUR"]
    assert money_words([950], "€") == ["€950"]


def test_the_table_and_headline_name_what_the_replicates_are(tmp_path: Path) -> None:
    from relsim.analysis.wording import levers_line, replicates_phrase

    run = load_run(build_run_dir(tmp_path, seeds=(0, 1, 2)))
    assert replicates_phrase(run) == "3 seeds"
    run.manifest.setdefault("config", {})["posterior"] = 3
    assert replicates_phrase(run) == "3 posterior draws × 1 seeds (3 runs an arm)"
    assert "over 3 posterior draws × 1 seeds" in format_table(summarise(run), replicates=replicates_phrase(run))
    run.manifest["config"]["strategies"] = {"one_way": {"mail_rate": 52.0, "listening": 0.05, "fee": 0},
                                            "reciprocal": {"mail_rate": 12.0, "listening": 0.8, "fee": 0}}
    assert levers_line(run) == ("What differs between the arms: mail_rate one_way 52, reciprocal 12; "
                                "listening 0.05, 0.8.")


def test_terminal_tables_fit_100_columns_by_splitting_their_columns(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, arms=("one_way", "reciprocal", "hybrid", "middle"), seeds=(0, 1, 2)))
    text = format_table(summarise(run))
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.count("metric") >= 2  # each block repeats the metric column
    for arm in ("reciprocal − one_way", "hybrid − one_way", "middle − one_way"):
        assert arm in text


def test_one_seed_gets_no_interval(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, arms=("one_way",), seeds=(0,)))
    summary = summarise(run)
    text = verdict(run, summary)
    assert "95% CI" not in text and "(1 seed)" in text
    assert all("[" not in line.rsplit(")", 1)[-1] for line in format_table(summary).splitlines()[2:-2])


def test_gap_cause_says_most_only_above_one_half() -> None:
    from relsim.analysis.wording import gap_cause

    assert gap_cause(pd.Series({"contacts": 0.38, "unreached": 0.32, "fees": 0.30})) == \
        "the largest share (38%) in outbound contacts"
    assert gap_cause(pd.Series({"contacts": 0.2, "unreached": 0.8})) == \
        "most of the change (80%) in unreached support calls"
    assert gap_cause(pd.Series({"contacts": 0.0})) == ""


# --------------------------------------------------------------------------- report

def test_figures_have_consistent_arm_colours(clear_run) -> None:
    figs = figures(clear_run)
    assert list(figs) == list(SECTIONS)

    def colour_of(fig, arm: str) -> str:
        return next(t.line.color for t in fig.data
                    if t.name and t.name.startswith(arm) and t.mode == "lines")

    for arm in ARMS:
        colours = {colour_of(figs[k], arm) for k in ("trust", "customers", "retention",
                                                     "complaints")}
        assert len(colours) == 1
    assert colour_of(figs["trust"], ARMS[0]) != colour_of(figs["trust"], ARMS[1])
    bars = [t for t in figs["evidence"].data if t.type == "bar"]
    unreached = [t for t in bars if t.legendgroup == "negative-unreached"]
    assert unreached and unreached[0].customdata[0] == pytest.approx(62.5)  # share of one_way's negative
    assert unreached[0].y[0] > unreached[0].y[1] > 0  # per 1,000 customer-days, one_way above reciprocal
    # one legend per panel, each cause a different colour
    assert {t.legend for t in bars if t.xaxis == "x"} == {"legend"} and {t.legend for t in bars if t.xaxis == "x2"} == {
        "legend2"}
    colours = {t.legendgroup.split("-", 1)[1]: t.marker.color for t in bars}
    assert len(set(colours.values())) == len(colours)
    # bands of counts and shares never go below 0; the three [0, 1] panels share one axis
    bands = [t for k in ("customers", "complaints", "retention") for t in figs[k].data if t.fill == "toself"]
    assert bands and all(min(t.y) >= 0 for t in bands)
    assert all(tuple(figs["trust"].layout[f"yaxis{k}"].range) == (0, 1) for k in ("", "2", "3"))
    assert not any("firm 0" in t.name or "firm 1" in t.name for t in figs["customers"].data)


def test_long_runs_are_plotted_weekly(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, days=500, seeds=(0, 1), arms=("one_way",)))
    fig = figures(run)["trust"]
    line = next(t for t in fig.data if t.mode == "lines")
    assert len(line.x) == math.ceil(500 / 7)


def test_write_report_writes_self_contained_page(clear_dir: Path, clear_run) -> None:
    before = {p.name for p in clear_dir.iterdir()}
    path = write_report(clear_dir)
    assert path == clear_dir / "report.html"
    text = path.read_text(encoding="utf-8")
    assert len(text) > 100_000
    assert "plotly" in text
    assert text.count("* plotly.js v") == 1, "plotly.js must be embedded exactly once"
    for title, _ in SECTIONS.values():
        assert html.escape(title) in text
    assert html.escape(verdict(clear_run, summarise(clear_run))) in text
    assert 'class="dataframe summary"' in text
    assert {p.name for p in clear_dir.iterdir()} == before | {"report.html"}


def test_write_report_with_given_run_and_title(tmp_path: Path, clear_run) -> None:
    path = write_report(tmp_path, run=clear_run, title="Hotline <what-if>")
    text = path.read_text(encoding="utf-8")
    assert "<h1>Hotline &lt;what-if&gt;</h1>" in text
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


# --------------------------------------------------------------------------- customer equity, profit gap

def test_summary_shows_customer_equity_next_to_npv(clear_run, clear_summary: pd.DataFrame) -> None:
    metrics = list(dict.fromkeys(clear_summary["metric"]))
    assert metrics.index("customer_equity") == metrics.index("npv") + 1
    per = per_seed_metrics(clear_run).set_index(["arm", "seed"])
    runs = clear_run.runs[(clear_run.runs["firm"] == 0) & (clear_run.runs["day"] == 60)].set_index(["arm", "seed"])
    assert per["customer_equity"].to_dict() == pytest.approx(runs["customer_equity"].to_dict())
    row = _row(clear_summary, "reciprocal", "customer_equity")
    npv = _row(clear_summary, "reciprocal", "npv")
    assert row["diff"] > npv["diff"]  # the built-in arm also holds more customers at the end
    assert "Customer equity (thousand $)" in format_table(clear_summary)


def test_runs_without_customer_equity_still_summarise(tmp_path: Path) -> None:
    path = build_run_dir(tmp_path)
    runs = pd.read_parquet(path / "runs.parquet").drop(columns="customer_equity")
    runs.to_parquet(path / "runs.parquet", index=False)
    assert "customer_equity" not in set(summarise(load_run(path))["metric"])


def _gap(means, half=1.0) -> pd.DataFrame:
    means = np.asarray(means, dtype=float)
    return pd.DataFrame({"day": np.arange(1, len(means) + 1), "mean": means, "low": means - half,
                         "high": means + half, "n": 5})


def test_crossover_is_the_first_day_of_the_final_sign() -> None:
    assert crossover(_gap([-3, -2, 1, -1, 2, 3, 4], half=0.5)) == (5, 1, 5)
    assert crossover(_gap([3, 2, -1, -2, -3], half=1.5)) == (3, -1, 4)
    assert crossover(_gap([-3, 0, 0, 2, 3], half=10)) == (4, 1, None)  # zeros passed over; band never clear
    assert crossover(_gap([1, 2, 3], half=0.5)) == (None, 1, 1)  # one arm leads throughout: no crossover
    assert crossover(_gap([])) == (None, 0, None)


def _late_payer(clear_run, upfront: float = 3000.0):
    """The clear run with the reciprocal arm paying `upfront` on day 1: it starts behind, then overtakes."""
    import dataclasses

    runs = clear_run.runs.copy()
    late = (runs["arm"] == "reciprocal") & (runs["firm"] == 0)
    runs.loc[late, "npv"] -= upfront
    return dataclasses.replace(clear_run, runs=runs)


def test_profit_gap_is_paired_by_seed_and_finds_the_crossover(clear_run) -> None:
    gap = profit_gap(clear_run.runs, "reciprocal", "one_way")
    focal = clear_run.runs[clear_run.runs["firm"] == 0].set_index(["arm", "seed", "day"])["npv"]
    paired = (focal["reciprocal"] - focal["one_way"]).groupby("day").mean()
    assert gap["mean"].to_numpy() == pytest.approx(paired.to_numpy())
    assert (gap["n"] == len(SEEDS)).all() and (gap["low"] <= gap["mean"]).all()
    assert crossover(gap).day is None  # the built-in effect leads from day 1
    late = crossover(profit_gap(_late_payer(clear_run).runs, "reciprocal", "one_way"))
    assert late.day == 31 and late.sign == 1  # 100 a day (discounted) repays 3,000 on day 31


def test_report_draws_the_profit_gap_and_the_verdict_states_the_crossover(tmp_path: Path, clear_run) -> None:
    run = _late_payer(clear_run)
    fig = figures(run)["gap"]
    line = next(t for t in fig.data if t.mode == "lines")
    assert line.name == "reciprocal − one_way" and len(line.x) == 60
    assert any("crossover: day 31" in (a.text or "") for a in fig.layout.annotations)
    text = verdict(run, summarise(run))
    assert ". Reciprocal overtakes one_way in NPV to date on day 31" in text
    assert "overtakes" not in verdict(clear_run, summarise(clear_run))  # no crossover, no claim
    import dataclasses

    few = dataclasses.replace(run, runs=run.runs[run.runs["seed"].isin(SEEDS[:3])],  # a band over too few seeds
                              retention=run.retention[run.retention["seed"].isin(SEEDS[:3])])
    text = verdict(few, summarise(few))
    assert "overtakes" not in text and "stays ahead" not in text
    assert "The mean gap in NPV to date between reciprocal and one_way changes sign for good on day 3" in text, text
    assert "but 3 seeds are too few to call it)" in text
    page = write_report(tmp_path, run=run).read_text(encoding="utf-8")
    assert html.escape(SECTIONS["gap"][0]) in page


def test_one_arm_has_no_profit_gap(tmp_path: Path) -> None:
    run = load_run(build_run_dir(tmp_path, arms=("one_way",)))
    assert "gap" not in figures(run)


def test_spend_rate_is_relationship_spend_per_customer_year(clear_run, clear_summary: pd.DataFrame) -> None:
    assert _row(clear_summary, "one_way", "spend_rate")["mean"] == pytest.approx(0.02 * 365)
    assert _row(clear_summary, "reciprocal", "spend_rate")["diff"] == pytest.approx(0.02 * 365)
