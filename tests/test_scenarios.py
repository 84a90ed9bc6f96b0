"""The what-if library: every scenario loads, runs, and moves the mechanism it names (not its outcome)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import relsim_command

from relsim.experiments.plumbing.config import load, options
from relsim.experiments.plumbing.checks import check_command_line
from relsim.experiments.plumbing.runner import simulate
from relsim.experiments.plumbing import scenarios
from relsim.experiments.plumbing.scenarios import parse
from relsim.params import ConfigError

SMALL = ["seeds=[1]", "market.consumers=400", "progress=false"]


def spec_for(*overrides: str):
    """The validated run spec of the command line `relsim *overrides`."""
    return load([*SMALL, *overrides])


def run_variants(spec, arm: str = "reciprocal") -> dict[str, pd.DataFrame]:
    """Firm 0's daily rows and evidence per variant of a spec, on seed 1."""
    out = {}
    for variant in spec.variants:
        tables = simulate(spec, arm, variant.name, 1)
        runs = tables["runs"]
        out[variant.name] = (runs[runs["firm"] == 0].reset_index(drop=True), tables["evidence"])
    return out


def neg_evidence(evidence: pd.DataFrame, cause: str) -> float:
    ev = evidence[(evidence["firm"] == 0) & (evidence["sign"] == "negative") & (evidence["cause"] == cause)]
    return float(ev["amount"].sum())


def test_library_has_every_scenario_of_the_issue() -> None:
    wanted = {"baseline", "support_fee_90d", "caller_id_fee", "sku_cut", "outsourced_hotline", "pentium_crisis",
              "web_listening", "responsive_writers", "mail_blitz", "dinner_calls", "data_grab"}
    assert wanted <= set(options("scenario"))


@pytest.mark.parametrize("name", options("scenario"))
def test_every_scenario_file_is_documented_and_loads(name: str) -> None:
    text = (Path(__file__).parent.parent / "configs" / "scenario" / f"{name}.yaml").read_text()
    assert text.startswith(f"# @package scenario.{name}\n")
    comment = [line for line in text.splitlines() if line.startswith("#")][1:]
    assert len(comment) >= 1  # the passage of the article and the mechanisms moved
    if name != "baseline":
        assert "Mechanisms moved" in text and "Fournier, Dobscha & Mick 1998" in text
    spec = spec_for(f"scenario={name}", "days=20")
    assert spec.variants[0].name == "baseline"
    for variant in spec.variants:
        for arm in spec.arms:
            tables = simulate(spec, arm, variant.name, 1)
            assert len(tables["runs"]) == 20 * 2


def test_baseline_changes_nothing() -> None:
    spec = spec_for("scenario=baseline", "days=30")
    assert [v.name for v in spec.variants] == ["baseline"] and not spec.whatif


def test_support_fee_charged_only_after_90_days() -> None:
    spec = spec_for("scenario=support_fee_90d", "days=150", "arms=[reciprocal]")
    runs, evidence = run_variants(spec)["support_fee_90d"]
    base, _ = run_variants(spec)["baseline"]
    # the launch cohort reaches tenure 91 on day 91; joiners are younger, so nothing before
    assert runs.loc[runs["day"] <= 90, "fees"].sum() == 0
    assert runs.loc[runs["day"] > 90, "fees"].sum() > 0
    assert base["fees"].sum() == 0
    assert neg_evidence(evidence, "support_fees") > 0


def test_caller_id_fee_is_unfairness_evidence_every_month() -> None:
    spec = spec_for("scenario=caller_id_fee", "days=95")
    runs, evidence = run_variants(spec)["caller_id_fee"]
    charged = runs.loc[runs["fees"] > 0, "day"]
    assert {30, 60, 90} <= set(charged)
    assert neg_evidence(evidence, "nuisance_fees") > 0


def test_sku_cut_lowers_fit_on_its_day_and_some_see_through_it() -> None:
    spec = spec_for("scenario=sku_cut", "days=200")
    _, evidence = run_variants(spec)["sku_cut"]
    focal = evidence[(evidence["firm"] == 0) & (evidence["sign"] == "negative")]
    for cause in ("assortment", "spin"):
        days = focal.loc[(focal["cause"] == cause) & (focal["amount"] > 0), "day"]
        assert set(days) == {180}, cause


def test_sku_cut_shows_the_cut_framed_as_a_favour_and_announced_honestly() -> None:
    spec = spec_for("scenario=sku_cut", "days=200")
    variants = run_variants(spec)
    assert spec.cell("reciprocal", "sku_cut")[0].cut_framing == 1.0
    assert spec.cell("reciprocal", "sku_cut:honest")[0].cut_framing == 0.0
    spun, honest = variants["sku_cut"][1], variants["sku_cut:honest"][1]
    assert neg_evidence(spun, "spin") > 0 and neg_evidence(honest, "spin") == 0
    assert neg_evidence(honest, "assortment") > neg_evidence(spun, "assortment")  # framing softened the loss


def test_outsourced_hotline_halves_capacity_and_cost_per_slot() -> None:
    spec = spec_for("scenario=outsourced_hotline")
    base, out = spec.cell("reciprocal", "baseline")[0], spec.cell("reciprocal", "outsourced_hotline")[0]
    assert out.inbound_capacity == pytest.approx(base.inbound_capacity * 0.5)
    assert out.resolution_quality < base.resolution_quality and out.cost_per_ticket < base.cost_per_ticket
    runs = run_variants(dataclasses.replace(spec_for("scenario=outsourced_hotline", "days=200")))
    assert runs["outsourced_hotline"][0]["tickets_unreached"].sum() > runs["baseline"][0]["tickets_unreached"].sum()


def test_pentium_crisis_raises_public_complaints_after_its_day_and_listening_answers_them() -> None:
    spec = spec_for("scenario=pentium_crisis", "days=220", "arms=[one_way]", "market.consumers=2000")
    assert [v.name for v in spec.variants] == ["baseline", "pentium_crisis", "pentium_crisis:with_listening"]
    runs = run_variants(spec, "one_way")
    crisis, base = runs["pentium_crisis"][0], runs["baseline"][0]
    window = lambda r: r.loc[r["day"].between(180, 200), "complaints_public"].sum()  # noqa: E731
    assert window(crisis) > 2 * window(base)
    before = lambda r: r.loc[r["day"] < 180, "complaints_public"].sum()  # noqa: E731
    assert before(crisis) == before(base)  # identical until the defect: common random numbers
    heard = runs["pentium_crisis:with_listening"][0]
    assert heard["complaints_answered"].sum() > crisis["complaints_answered"].sum()


def test_web_listening_answers_a_larger_share_of_public_complaints() -> None:
    spec = spec_for("scenario=web_listening", "days=200", "arms=[one_way]")
    runs = run_variants(spec, "one_way")
    share = {k: r["complaints_answered"].sum() / max(r["complaints_private"].sum() + r["complaints_public"].sum(), 1)
             for k, (r, _) in runs.items()}
    assert share["web_listening"] > share["baseline"]


def test_responsive_writers_lower_the_problem_rate_faster() -> None:
    spec = spec_for("scenario=responsive_writers", "days=200")
    runs = run_variants(spec)
    assert runs["responsive_writers"][0]["problem_rate"].iloc[-1] < runs["baseline"][0]["problem_rate"].iloc[-1]


@pytest.mark.parametrize("name", ["mail_blitz", "dinner_calls"])
def test_more_contacts(name: str) -> None:
    runs = run_variants(spec_for(f"scenario={name}", "days=60"))
    assert runs[name][0]["contacts"].sum() > 1.5 * runs["baseline"][0]["contacts"].sum()
    assert neg_evidence(runs[name][1], "contacts") > neg_evidence(runs["baseline"][1], "contacts")


def test_data_grab_asks_and_gives_nothing_back() -> None:
    runs = run_variants(spec_for("scenario=data_grab", "days=60"))
    assert neg_evidence(runs["data_grab"][1], "data_requests") > 0
    assert neg_evidence(runs["baseline"][1], "data_requests") == 0


def test_scenarios_compose_in_the_order_given() -> None:
    first = spec_for("scenario=[mail_blitz,dinner_calls]")
    second = spec_for("scenario=[dinner_calls,mail_blitz]")
    assert [v.name for v in first.variants] == ["baseline", "mail_blitz+dinner_calls"]
    a = first.cell("reciprocal", "mail_blitz+dinner_calls")[0]
    b = second.cell("reciprocal", "dinner_calls+mail_blitz")[0]
    # the blitz sets the mail, the calls add to the phone: different levers, so either order gives the same firm
    assert a.mail_rate == b.mail_rate == 100 and a.phone_rate == b.phone_rate == 52
    assert a == b
    # on one lever the order matters: set 100 then add 52, or add 52 then set 100
    blitz, more_mail = scenarios.Change(set={"mail_rate": 100.0}), scenarios.Change(add={"mail_rate": 52.0})
    firm = first.strategies["reciprocal"]
    assert scenarios.apply(firm, [blitz, more_mail], "s").mail_rate == 152
    assert scenarios.apply(firm, [more_mail, blitz], "s").mail_rate == 100


def test_each_scenario_applies_to_every_arm() -> None:
    spec = spec_for("scenario=web_listening")
    for arm in spec.arms:
        assert spec.cell(arm, "web_listening")[0].public_listening == 0.9
        assert spec.cell(arm, "web_listening")[0].rates == spec.strategies[arm].rates


@pytest.mark.parametrize(("override", "expected"), [
    ("+scenario.support_fee_90d.set.suport_fee=3", "scenario.support_fee_90d.set.suport_fee: unknown key; did you "
                                                  "mean support_fee? allowed:"),
    ("+scenario.support_fee_90d.bogus=1", "scenario.support_fee_90d.bogus: unknown key; allowed: description, set"),
    ("scenario.support_fee_90d.set.support_fee=-3", "scenario.support_fee_90d.support_fee=-3: expected a number >= 0"),
    ("scenario=nope", "scenario=nope: unknown option; allowed: baseline, caller_id_fee"),
])
def test_bad_scenarios_get_one_line(override: str, expected: str) -> None:
    args = [override] if override.startswith("scenario=") else ["scenario=support_fee_90d", override]
    with pytest.raises(ConfigError) as err:
        check_command_line(args)
    assert str(err.value).startswith(expected), str(err.value)


def test_parse_rejects_a_non_numeric_change() -> None:
    with pytest.raises(ConfigError, match=r"scenario.x.scale.price='a lot': expected a number"):
        parse("x", {"scale": {"price": "a lot"}})


def test_whatif_command_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = relsim_command("scenario=pentium_crisis", "seeds=3", "days=240", "market.consumers=300",
                            "progress=false", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    headline = next(x for x in lines if x.startswith("Under one_way"))
    after = " ".join(" ".join(lines[lines.index(headline) + 1:-1]).split())  # beside the verdict: how to check it
    assert after.startswith("The 95% CIs above are seed noise only") and "`relsim scenario=pentium_crisis " in after
    assert headline.startswith("Under one_way, pentium_crisis ") and "Under reciprocal, pentium_crisis " in headline
    sentences = [x for x in headline.split(". ") if x]
    assert all(x[0].isupper() and len(x) <= 250 for x in sentences), sentences  # short sentences, capitalised
    assert "no clear" not in headline or "makes no clear difference" in headline  # never a clause without a verb
    assert "less " not in headline and "most of" not in headline.split("(")[0]
    assert "too few to call any difference clear" in result.stderr  # 3 seeds
    assert result.stdout.strip().splitlines()[-1].startswith(f"wrote {out / 'report.html'}")
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["scenario"]) == {"baseline", "pentium_crisis", "pentium_crisis:with_listening"}
    assert set(summary.loc[summary["scenario"] != "baseline", "reference"]) == {"baseline"}
    assert np.isfinite(summary.loc[summary["reference"] == "baseline", "diff_half_width"]).all()
    html = (out / "report.html").read_text()
    assert "effect over time" in html and "public complaints per week" in html
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(runs["scenario"]) == {"baseline", "pentium_crisis", "pentium_crisis:with_listening"}


def test_whatif_all_writes_the_overview(tmp_path: Path) -> None:
    out = tmp_path / "all"
    result = relsim_command("+experiment=whatif_all", "seeds=2", "days=60", "market.consumers=200",
                            "progress=false", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out / "overview.csv")
    assert len(frame) == 2 * 12  # 10 scenarios + the pentium and sku_cut contrasts, for both strategies
    assert {"trust_effect", "npv_effect", "npv_ci_low", "npv_ci_high"} <= set(frame.columns)
    assert (out / "overview.html").stat().st_size > 0


@pytest.mark.parametrize(("overrides", "expected"), [
    (["scenario=pentium_crisis", "days=150"], "under one_way, pentium_crisis cannot show an effect: its defect shock "
                                              "falls on day 180, after the horizon of 150 days"),
    (["scenario=sku_cut", "days=120"], "under one_way, sku_cut cannot show an effect: its assortment cut falls on day "
                                       "180, after the horizon of 120 days"),
    (["scenario=support_fee_90d", "days=60"], "under one_way, support_fee_90d cannot show an effect: its support fee "
                                              "applies after 90 days of tenure"),
    (["scenario=mail_blitz", "strategies.one_way.mail_rate=100"], "under one_way, mail_blitz changes nothing"),
])
def test_results_that_cannot_show_an_effect_are_found_before_the_runs(overrides, expected) -> None:
    from relsim.experiments.plumbing.config import load
    from relsim.experiments.plumbing.inert import cannot_show

    found = cannot_show(load(overrides))
    assert found[("one_way", overrides[0].split("=")[1])].startswith(expected), found


def test_events_within_the_horizon_and_real_changes_are_not_flagged() -> None:
    from relsim.experiments.plumbing.config import load
    from relsim.experiments.plumbing.inert import cannot_show

    for overrides in (["scenario=pentium_crisis", "days=365"], ["scenario=support_fee_90d", "days=365"],
                      ["scenario=mail_blitz"], ["scenario=sku_cut", "days=181"]):
        assert cannot_show(load(overrides)) == {}, overrides


def test_an_event_after_the_horizon_is_said_before_the_runs_and_in_the_headline(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = relsim_command("scenario=sku_cut", "arms=[one_way]", "seeds=2", "days=120", "market.consumers=200",
                            "progress=false", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "relsim: warning: under one_way, sku_cut cannot show an effect: its assortment cut falls on day 180" \
        in result.stderr
    headline = next(x for x in result.stdout.splitlines() if x.startswith("Under one_way, sku_cut"))
    assert headline.startswith("Under one_way, sku_cut cannot show an effect") and "no clear" not in headline
    assert "What differs" not in result.stdout and "Scenarios: sku_cut:" in result.stdout  # what the scenario changes


@pytest.mark.parametrize("arm", ["best_reciprocal_b20", "best_one_way_b20", "budgeted"])
def test_switching_listening_off_works_on_a_budgeted_arm_and_keeps_its_other_spends(arm: str) -> None:
    from relsim import budget

    spec = spec_for(f"arms=[{arm}]", "scenario=off_listening")
    base, off = spec.cell(arm, "baseline")[0], spec.cell(arm, "off_listening")[0]
    assert base.budget > 0 and base.listening_share > 0
    channels = spec.market.channels
    before, after = budget.levers(base, channels), budget.levers(off, channels)
    assert before.listening > 0 and after.listening == 0 and after.public_listening == 0
    assert off.listening_share == 0 and off.budget == pytest.approx(base.budget * (1 - base.listening_share))
    for lever in ("mail_rate", "email_rate", "phone_rate", "inbound_capacity"):  # outbound contacts, staffed slots
        assert getattr(after, lever) == pytest.approx(getattr(before, lever), rel=1e-12), lever
    assert budget.spend(after, channels) < budget.spend(before, channels)


def test_switching_listening_off_on_a_budgeted_arm_changes_the_run() -> None:
    spec = spec_for("arms=[best_reciprocal_b20]", "scenario=off_listening", "days=120")
    rows = {name: runs for name, (runs, _) in run_variants(spec, "best_reciprocal_b20").items()}
    base, off = rows["baseline"], rows["off_listening"]
    assert base["complaints_answered"].sum() > 0 and off["complaints_answered"].sum() == 0
    assert off["spend"].sum() < base["spend"].sum()  # no listening paid for
    assert not base["mean_trust"].equals(off["mean_trust"])  # the effect on the run is not exactly zero


def test_a_share_that_buys_everything_switched_off_leaves_no_budget_and_no_levers() -> None:
    from relsim.params import Strategy

    s = Strategy(budget=20, outbound_share=0, access_share=0, listening_share=1)
    change = parse("x", {"set": {"listening": 0, "public_listening": 0}}).change
    off = scenarios.apply(s, [change], "scenario.x")
    assert off.budget == 0 and off.listening == 0 and off.public_listening == 0
    assert off.rates == (0, 0, 0) and off.inbound_capacity == 0


def test_a_scenario_whose_levers_a_budget_buys_again_is_said_to_change_nothing() -> None:
    from relsim.experiments.plumbing.inert import cannot_show

    found = cannot_show(spec_for("arms=[budgeted]", "scenario=web_listening"))
    assert found[("budgeted", "web_listening")].startswith("under budgeted, web_listening changes nothing"), found
    assert cannot_show(spec_for("arms=[budgeted]", "scenario=off_listening")) == {}
