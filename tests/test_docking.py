"""Docking: the vectorized engine against the per-agent reference engine (Axtell et al. 1996; Rand & Rust 2011).

Both engines start from the same day-0 world for a seed (population, network, providers, trust), and
compute every amount of evidence, probability and hazard with the same rule functions of the mechanism
modules (docs/ODD.md §8.4; tests/test_properties.py checks that their compiled and plain-Python forms
agree). What differs, and what these tests dock, is the sampling and scheduling of events: each engine
draws its own random numbers, the reference engine every pair every day, as docs/ODD.md §7 reads, the
vectorized engine only the events that happen (sim/rand.py). So they can agree only in distribution,
except where nothing is random.

1. Identity. In markets where every probability is 0 or 1 (contact sales off: their chance is
   never 0 or 1 otherwise; contacts in every channel and data requests every day,
   one defect shock, every caller reached, voice certain, listening all or nothing, no churn; or
   everyone churning and switching every day), both engines must produce the same tables, number
   for number.
2. Distribution. Over 30 seeds, 300 consumers and 365 days, per arm (the one_way and reciprocal
   presets, configs/strategy/, composed as the `relsim` command composes them), on six outcomes of
   the focal firm (customers on day 365, mean trust on day 365, churned in the year, public
   complaints in the year, profit in the year, contact sales in the year) and, for each channel the
   arm uses, its contacts to customers and its sales in the year (one_way: mail and phone;
   reciprocal: mail): a two-sample Kolmogorov–Smirnov test of the two engines' samples, and a
   Wilcoxon signed-rank test of their differences paired by seed (the seed fixes the day-0 world both
   engines start from). (10 + 8 outcomes) x 2 tests = 36 p-values,
   Holm–Bonferroni at family-wise alpha = 0.01: no test may reject.
3. Power. The same 36 tests, the same reference sample, against the vectorized engine with
   `negativity_bias` (the weight of negative evidence, §7.9) raised by 5%, must reject at least once.
   It is the behaviour parameter whose 5% change moves an outcome most at this size: with the seed's
   day-0 world held fixed, mean trust moves by about two standard deviations of the paired
   difference, whereas a 5% change in base_churn or contact_value moves no outcome by more than
   one, too little to be caught reliably by 30 seeds after the correction for 36 tests.
"""

from __future__ import annotations

import dataclasses
import json

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import channel_table, make_market, relsim_command, strategy
from scipy import stats

from relsim.experiments.plumbing.config import load
from relsim.model import RelationshipModel
from relsim.params import Market, Segment, Shock

SEEDS = tuple(range(30))
CONSUMERS, DAYS = 300, 365
ALPHA = 0.01  # family-wise, Holm–Bonferroni over all tests of one comparison
OUTCOMES = ("customers", "mean_trust", "churned", "complaints_public", "profit", "contact_sales")
ARMS = ("one_way", "reciprocal")
#: The channels each arm uses (its presets' positive rates): their contacts and sales are docked too.
ARM_CHANNELS = {"one_way": ("mail", "phone"), "reciprocal": ("mail",)}


def _outcome_names(arm: str) -> tuple[str, ...]:
    return (*OUTCOMES, *(f"{kind}_{c}" for c in ARM_CHANNELS[arm] for kind in ("contacts", "sales")))


# --------------------------------------------------------------------------- 1. identity

def _tables(model: RelationshipModel) -> dict[str, pd.DataFrame]:
    rec = model.recorder
    return {"runs": rec.runs(), "evidence": rec.evidence_table(), "retention": rec.retention()}


def _assert_same_tables(a: RelationshipModel, b: RelationshipModel) -> None:
    ta, tb = _tables(a), _tables(b)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=False, rtol=1e-9, atol=1e-9, obj=name)
    for attr in ("pos", "neg", "intimacy", "stress", "load", "provider", "tenure", "fit"):
        np.testing.assert_allclose(getattr(a.world, attr), getattr(b.world, attr), rtol=1e-9, atol=1e-12,
                                   err_msg=attr)


def _certain_market(behaviour: dict, population: dict, shocked: int = 0) -> Market:
    """Two firms, a network, and behaviour under which every event has probability 0 or 1."""
    market = make_market(
        400, 2, network="watts_strogatz", degree=6, penetration=0.7,
        behaviour={"clutter_rate": 30.0, "severity_mean": 0.0, "voice_scale": 1e6, "praise_scale": 1e6,
                   "retell_scale": 0.0, "advocacy_rate": 0.0, **behaviour},
        population={"support_seeking": 1.0, "patience": 3.0, "contact_tolerance": 0.5, "voice_propensity": 1.0,
                    "public_voice": 0.5, **population},
        # a contact sale has a chance strictly between 0 and 1 (fit x trust x room < 1), so it is off here; its
        # sampling is docked in distribution (profit and sales by channel, below)
        channels=channel_table(every={"response": 0.0}))
    return dataclasses.replace(market, shock=Shock(day=20, share=1.0, severity=3.0, firm=shocked))


CERTAIN_FIRMS = (
    # focal: calls never resolve (callers give up), a nuisance fee, hears and answers everything
    {"mail_rate": 365.0, "email_rate": 0.0, "phone_rate": 365.0, "prospect_rate": 365.0, "data_requests": 365.0,
     "inbound_capacity": 1000.0, "resolution_quality": 0.0, "nuisance_fee": 5.0, "listening": 1.0,
     "public_listening": 1.0, "responsiveness": 0.5, "problem_rate": 0.0},
    # rival: resolves at the first call, cuts its assortment, hears nothing
    {"mail_rate": 0.0, "email_rate": 365.0, "phone_rate": 0.0, "prospect_rate": 365.0, "inbound_capacity": 1000.0,
     "resolution_quality": 1.0, "assortment_cut": 0.4, "cut_day": 30, "listening": 0.0, "public_listening": 0.0,
     "problem_rate": 0.0},
)


#: Segments of the focal firm's customers (docs/ODD.md §7.22) with certain levers: a random half (the same draw in
#: both engines) that cannot reach support and is not called, then, of the others, a tenure band that pays a fee
#: from its first call, is always helped, gets no mail and pays no nuisance fee.
CERTAIN_SEGMENTS = [
    Segment(share=0.5, salt=3, levers={"phone_rate": 0.0, "inbound_capacity": 0.0, "data_requests": 0.0}),
    Segment(tenure_from=10, tenure_to=30, levers={"mail_rate": 0.0, "support_fee": 5.0, "support_free_days": 0,
                                                  "nuisance_fee": 0.0, "resolution_quality": 1.0}),
]


@pytest.mark.parametrize("case", ["frozen_focal_shocked", "frozen_rival_shocked", "everyone_switches_daily",
                                  "segmented"])
def test_engines_give_identical_tables_when_nothing_is_random(case: str) -> None:
    if case.startswith("frozen") or case == "segmented":  # segmented: fees must not deter (a chance, not 0 or 1)
        market = _certain_market({"base_churn": 0.0, "acquisition_rate": 0.0},
                                 {"price_sensitivity": 0.0} if case == "segmented" else {},
                                 shocked=int("rival" in case))
    else:  # a hazard far above any Exp(1) threshold: every customer leaves and switches every day
        market = _certain_market({"base_churn": 365.0, "switch_share": 1.0, "acquisition_rate": 0.0},
                                 {"churn_propensity": 1e9})
    focal, rival = (strategy(f) for f in CERTAIN_FIRMS)
    segments = {0: CERTAIN_SEGMENTS} if case == "segmented" else None
    runs = {engine: RelationshipModel(focal, market, rivals=[rival], days=60, rng=5, engine=engine,
                                      consumer_agents=False, segments=segments).run()
            for engine in ("vectorized", "agents")}
    _assert_same_tables(runs["vectorized"], runs["agents"])
    table = runs["agents"].recorder.runs()
    # the case exercises what it claims to: shock problems, calls, fees, voice, answers, the cut
    assert table.problems.sum() > 0 and table.tickets_reached.sum() > 0
    assert table.complaints_private.sum() > 0 and table.complaints_public.sum() > 0
    assert table.complaints_answered.sum() > 0
    focal, rival = table[table.firm == 0], table[table.firm == 1]  # every channel in use gets through every day
    assert focal.contacts_mail.sum() > 0 and focal.contacts_phone.sum() > 0 and focal.contacts_email.sum() == 0
    if case != "segmented":  # (a segment gets no mail, another no calls)
        assert focal.contacts_mail.sum() == focal.contacts_phone.sum()
    assert rival.contacts_email.sum() > 0 and rival.contacts_mail.sum() == rival.contacts_phone.sum() == 0
    assert table.prospect_contacts.sum() > 0
    evidence = runs["agents"].recorder.evidence_table().groupby("cause").amount.sum()
    if case == "frozen_focal_shocked":  # its callers are heard but never helped: they give up; a nuisance fee
        assert table.fees.sum() > 0 and evidence["assortment"] > 0 and evidence["spin"] > 0
        assert table.churned.sum() == 0 and table.tickets_resolved.sum() == 0 and evidence["unresolved"] > 0
    elif case == "frozen_rival_shocked":  # the rival resolves every call at once
        assert table.tickets_resolved.sum() == table.tickets_reached.sum() > 0 and evidence["unresolved"] == 0
    elif case == "segmented":  # the cells' levers act: unreachable customers, fees from the first call
        assert table[table.firm == 0].tickets.sum() > table[table.firm == 0].tickets_reached.sum() > 0
        assert table.fees.sum() > 0 and table.tickets_resolved.sum() > 0
    else:  # the whole market changes hands every day, and tells the neighbours
        day = table[table.firm == 0]
        assert (day.churned > 0).all() and (day.acquired > 0).all() and evidence["exit_talk"] > 0


# --------------------------------------------------------------------------- 2 and 3. distribution and power

def _outcomes(arm: str, seed: int, engine: str, negativity_scale: float = 1.0) -> list[float]:
    spec = load()
    market = dataclasses.replace(spec.market, consumers=CONSUMERS)
    if negativity_scale != 1.0:
        market = dataclasses.replace(market, behaviour=dataclasses.replace(
            market.behaviour, negativity_bias=market.behaviour.negativity_bias * negativity_scale))
    model = RelationshipModel(spec.strategies[arm], market, rivals=spec.rivals(market), days=DAYS, rng=seed,
                              engine=engine, consumer_agents=False).run()
    focal = model.recorder.runs().query("firm == 0")
    last = focal.iloc[-1]
    channels = [focal[name].sum() for name in _outcome_names(arm)[len(OUTCOMES):]]
    return [last.customers, last.mean_trust, focal.churned.sum(), focal.complaints_public.sum(), focal.profit.sum(),
            focal.contact_sales.sum(), *channels]


def _sample(engine: str, negativity_scale: float = 1.0) -> dict[str, np.ndarray]:
    jobs = [(arm, seed) for arm in ARMS for seed in SEEDS]
    results = joblib.Parallel(n_jobs=2)(joblib.delayed(_outcomes)(arm, seed, engine, negativity_scale)
                                        for arm, seed in jobs)
    return {arm: np.array([r for (a, _), r in zip(jobs, results, strict=True) if a == arm]) for arm in ARMS}


@pytest.fixture(scope="module")
def reference_sample() -> dict[str, np.ndarray]:
    return _sample("agents")


def _p_values(ref: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> dict[str, float]:
    """KS (two-sample) and Wilcoxon signed-rank (paired by seed) p-values per arm and outcome."""
    out = {}
    for arm in ARMS:
        for k, outcome in enumerate(_outcome_names(arm)):
            a, b = ref[arm][:, k], other[arm][:, k]
            out[f"{arm}/{outcome}/ks"] = stats.ks_2samp(a, b).pvalue
            diff = b - a
            out[f"{arm}/{outcome}/signed-rank"] = 1.0 if not diff.any() else stats.wilcoxon(diff).pvalue
    return out


def _holm_rejections(p_values: dict[str, float], alpha: float = ALPHA) -> list[str]:
    """The hypotheses Holm–Bonferroni rejects at family-wise level alpha."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    rejected = []
    for rank, (name, p) in enumerate(ordered):
        if p > alpha / (len(ordered) - rank):
            break
        rejected.append(name)
    return rejected


def test_holm_rejects_in_order_and_stops_at_the_first_acceptance() -> None:
    p = {"a": 0.001, "b": 0.004, "c": 0.03, "d": 0.0001}
    assert _holm_rejections(p, alpha=0.01) == ["d", "a", "b"]  # 0.0001 <= 0.01/4, 0.001 <= 0.01/3, 0.004 <= 0.01/2
    assert _holm_rejections(p, alpha=0.05) == ["d", "a", "b", "c"]
    assert _holm_rejections({"a": 0.006, "b": 0.007}, alpha=0.01) == []  # 0.006 > 0.01/2: none, though 0.007 < 0.01


@pytest.mark.slow
def test_engines_agree_in_distribution(reference_sample: dict[str, np.ndarray]) -> None:
    vectorized = _sample("vectorized")
    p_values = _p_values(reference_sample, vectorized)
    assert len(p_values) == 36
    assert _holm_rejections(p_values) == [], {k: round(v, 5) for k, v in sorted(p_values.items())}
    # the samples are not degenerate
    for arm in ARMS:
        assert (reference_sample[arm].std(axis=0) > 0).all() and (vectorized[arm].std(axis=0) > 0).all()


@pytest.mark.slow
def test_the_same_tests_catch_a_five_percent_change_in_the_negativity_bias(
        reference_sample: dict[str, np.ndarray]) -> None:
    changed = _sample("vectorized", negativity_scale=1.05)
    p_values = _p_values(reference_sample, changed)
    rejected = _holm_rejections(p_values)
    assert any("mean_trust" in name for name in rejected), {k: round(v, 6) for k, v in sorted(p_values.items())}


# --------------------------------------------------------------------------- both engines through the command

def test_relsim_runs_either_engine_and_writes_the_same_files(tmp_path) -> None:
    small = ["arms=[one_way]", "seeds=[4]", "days=40", "market.consumers=200", "progress=false", "workers=1"]
    tables = {}
    for engine in ("vectorized", "agents"):
        out = tmp_path / engine
        done = relsim_command(*small, f"engine={engine}", f"hydra.run.dir={out}", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        tables[engine] = {p.name: p for p in out.iterdir() if not p.name.startswith(".")}
        assert json.loads((out / "manifest.json").read_text())["config"]["engine"] == engine
    assert set(tables["vectorized"]) == set(tables["agents"])
    for name in ("runs.parquet", "retention.parquet", "evidence.parquet"):
        a, b = (pd.read_parquet(tables[e][name]) for e in ("vectorized", "agents"))
        assert list(a.columns) == list(b.columns) and len(a) == len(b), name
    bad = relsim_command("engine=numpy", cwd=tmp_path)
    assert bad.returncode == 2 and "engine='numpy'" in bad.stderr and "vectorized, agents" in bad.stderr
