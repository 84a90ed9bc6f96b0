"""Bayesian calibration (experiments/inference/abc_smc.py, patterns.py, battery.py): the battery measures what the
patterns say, the inference is reproducible whichever map runs it, and its intervals cover the truth."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from relsim.experiments.inference import abc_smc as abc
from relsim.experiments.inference.battery import make_battery, measure, rank_churn_ratio
from relsim.experiments.inference.patterns import HELD_OUT, PATTERNS, Pattern, fitted, misses
from relsim.experiments.inference.space import PARAMS, Param

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def battery():
    return make_battery(300)


# --------------------------------------------------------------------------- the patterns held out

def test_the_held_out_patterns_are_patterns_and_every_fact_keeps_a_fitted_one() -> None:
    """Named before the fit (docs/VALIDATION.md §2.2): the held-out statistics exist; no fact loses all its own."""
    assert set(HELD_OUT) < set(PATTERNS) and len(set(HELD_OUT)) == len(HELD_OUT)
    kept = fitted()
    assert set(kept) == set(PATTERNS) - set(HELD_OUT)
    assert {p.fact for p in kept.values()} == {p.fact for p in PATTERNS.values()}


# --------------------------------------------------------------------------- the battery

def test_the_battery_measures_every_pattern(battery) -> None:
    stats = measure(battery, {}, seed=1)
    assert set(PATTERNS) <= set(stats)
    assert all(math.isfinite(v) for k, v in stats.items() if k in PATTERNS), stats
    assert stats == measure(battery, {}, seed=1)  # a seed determines the statistics
    assert stats != measure(battery, {}, seed=2)


def test_battery_statistics_move_with_their_parameters(battery) -> None:
    """Each mechanism's statistic moves the way its weight says (common random numbers)."""
    quiet = measure(battery, {"behaviour.voice_scale": 0.05}, seed=3)
    vocal = measure(battery, {"behaviour.voice_scale": 0.5}, seed=3)
    assert vocal["complaints_per_problem"] > 2 * quiet["complaints_per_problem"]
    few = measure(battery, {"behaviour.advocacy_rate": 0.2}, seed=3)
    many = measure(battery, {"behaviour.advocacy_rate": 2.8}, seed=3)
    assert many["wom_negative_per_positive"] < few["wom_negative_per_positive"] / 2  # more advocacy: more praise
    assert many["wom_most_over_middle"] > few["wom_most_over_middle"]  # ... from the most satisfied


def test_churn_by_trust_follows_trust_sensitivity(battery) -> None:
    """The micro-level pattern speaks to the trust -> churn link: the least trusting customers leave more often than
    the most trusting, the more so the steeper the link (the same consumers, seeds and evidence)."""
    ratio = {k: np.mean([measure(battery, {"behaviour.trust_sensitivity": k}, seed=s)["churn_least_over_most"]
                         for s in (5, 6)]) for k in (0.1, 6.0, 24.0)}
    assert ratio[0.1] < ratio[6.0] < ratio[24.0]
    assert 0.5 < ratio[0.1] < 1.6 and ratio[24.0] > 3  # near 1 without the link; steep with a steep one


def test_the_rank_churn_ratio_recovers_a_known_log_linear_churn() -> None:
    """rank_churn_ratio fits churn = exp(a + b (0.9 - rank)): on 0/1 draws from a known b it returns exp(0.8 b)."""
    rng = np.random.default_rng(7)
    rank = rng.random(200_000)
    for b in (0.0, 0.5, 1.5):
        gone = rng.random(rank.size) < 0.1 * np.exp(b * (0.9 - rank))
        assert rank_churn_ratio(rank, gone) == pytest.approx(math.exp(0.8 * b), rel=0.05)
    assert math.isnan(rank_churn_ratio(rank, np.zeros(rank.size, dtype=bool)))  # nobody left: no statistic
    assert rank_churn_ratio(rank, rank < 0.01) == pytest.approx(100.0)  # every leaver least trusting: no finite
    assert rank_churn_ratio(rank, rank > 0.99) == pytest.approx(0.01)  # fit, the cap (a prior draw in the store met it)
    flipped = rng.random(rank.size) < 0.1 * np.exp(-1.0 * (0.9 - rank))  # the most trusting leave more
    assert rank_churn_ratio(rank, flipped) < 0.5


def test_a_battery_without_the_facts_measures_the_curve_alone_and_it_falls_with_churn() -> None:
    curve = make_battery(300, curve_days=(365, 730), facts=False)
    assert curve.days == 730
    low = measure(curve, {"behaviour.base_churn": 0.1}, seed=4)
    high = measure(curve, {"behaviour.base_churn": 0.6}, seed=4)
    assert set(low) == {"survival_365", "survival_730"}
    assert 1 > low["survival_365"] > low["survival_730"] > 0
    assert high["survival_365"] < low["survival_365"] - 0.1 and high["survival_730"] < low["survival_730"] - 0.1
    # the same statistic as the full battery's, from the same first run
    full = measure(make_battery(300, curve_days=(365, 730)), {"behaviour.base_churn": 0.1}, seed=4)
    assert full["survival_365"] == low["survival_365"] and full["survival_730"] == low["survival_730"]
    with pytest.raises(ValueError, match="curve_days"):
        make_battery(300, facts=False)


def test_a_pattern_miss_is_zero_inside_its_interval_and_grows_outside() -> None:
    p = PATTERNS["complaints_per_problem"]
    assert p.miss((p.lo + p.hi) / 2) == 0
    assert p.miss(p.hi + p.scale) == pytest.approx(1.0)
    assert p.miss(p.lo - 2 * p.scale) == pytest.approx(2.0)
    assert p.miss(math.nan) > 3
    assert misses({"complaints_per_problem": p.hi})["complaints_per_problem"] == 0
    ratio = PATTERNS["churn_least_over_most"]  # read on the log scale: a factor off, not a difference
    assert ratio.log and ratio.miss(2.0) == 0
    assert ratio.miss(ratio.hi * math.exp(ratio.scale)) == pytest.approx(1.0)
    assert ratio.miss(ratio.lo * math.exp(-2 * ratio.scale)) == pytest.approx(2.0)
    assert ratio.miss(0.0) > 3 and ratio.miss(math.nan) > 3
    assert abc.PatternDistance({"churn_least_over_most": ratio.scale})(
        {"churn_least_over_most": ratio.hi * math.exp(ratio.scale)}, {"churn_least_over_most": (ratio.lo, ratio.hi)}
    ) == pytest.approx(1.0)


def test_every_calibrated_parameter_has_a_prior_around_its_hand_set_value() -> None:
    from relsim.params import Market

    market = Market()
    for key, param in PARAMS.items():
        assert 0 < param.lo < param.get(market) < param.hi, key
        assert param.doc and param.prior_note


def test_tolerances_widen_for_a_smaller_battery_as_its_seed_noise_does() -> None:
    """A statistic's seed noise shrinks as 1/sqrt(consumers): a battery of 300 gets tolerances sqrt(5) wider than
    the 1,500 they were measured at; a larger battery keeps them (the sources' own precision stays)."""
    from relsim.experiments.inference.patterns import SCALE_CONSUMERS

    small, same, large = (abc.default_targets(consumers=n) for n in (SCALE_CONSUMERS // 5, SCALE_CONSUMERS, 6000))
    for key, pattern in PATTERNS.items():
        assert small[key].scale == pytest.approx(pattern.scale * 5 ** 0.5)
        assert same[key].scale == large[key].scale == pattern.scale
        assert (small[key].lo, small[key].hi) == (pattern.lo, pattern.hi)
    extra = {"survival_365": PATTERNS["asymmetry"]}
    assert abc.default_targets(extra, 300)["survival_365"] is extra["survival_365"]  # its own tolerance already


# --------------------------------------------------------------------------- the inference

def test_a_calibration_is_the_same_serial_in_a_pool_and_on_dask() -> None:
    """Seeded tasks: the same seed gives the same posterior whichever order-preserving map runs it,
    including a Dask cluster on loopback (processes)."""
    keys = ["behaviour.voice_scale", "behaviour.exit_talk_weight"]
    observed, scales = abc.targets_of(PATTERNS)
    model = abc.pattern_model(make_battery(60), keys)  # small: the maps, not the model, are under test
    runs = [abc.calibrate(model, keys, observed, scales, population=3, generations=2, budget=1000, seed=5, workers=w,
                          dask=d) for w, d in ((1, None), (2, None), (2, "local"))]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].particles, other.particles)
        np.testing.assert_array_equal(runs[0].weights, other.weights)
        assert runs[0].epsilons == other.epsilons
    assert runs[0].generations == 2 and runs[0].epsilons[1] <= runs[0].epsilons[0]
    other_seed = abc.calibrate(model, keys, observed, scales, population=5, generations=1, budget=10, seed=6)
    assert not np.array_equal(other_seed.particles, runs[0].particles[: len(other_seed.particles)])


@dataclasses.dataclass(frozen=True)
class Gaussian:
    """A simulator whose posterior is known: y ~ Normal(10**x, 0.1)."""

    def __call__(self, pars):
        return {"y": float(np.random.normal(10.0 ** pars["x"], 0.1))}


TOY = {"x": Param("x", 0.1, 10.0, "a toy parameter")}


def test_the_posterior_concentrates_where_the_data_are() -> None:
    cal = abc.calibrate(Gaussian(), ["x"], {"y": np.array([2.0, 2.0])}, {"y": 0.1}, population=100, generations=5,
                        budget=5000, seed=1, params=TOY)
    s = abc.posterior_summary(cal, TOY)["x"]
    assert s["interval"][0] < 2.0 < s["interval"][1]
    assert s["width_ratio"] < 0.3 and s["identified"] == "identified"
    assert cal.epsilons == sorted(cal.epsilons, reverse=True)


def test_ninety_percent_intervals_cover_the_truth_about_ninety_percent_of_the_time() -> None:
    """Expected coverage on synthetic data where the truth is known (a simulator with a known answer:
    the ABM's own coverage is `relsim-calibrate --coverage`, docs/VALIDATION.md)."""
    result = abc.coverage(Gaussian(), ["x"], {"y": 0.3}, n=40, params=TOY, population=60, generations=3,
                          budget=4000, seed=0)
    assert 0.8 <= result["coverage"]["x"] <= 1.0, result


def _noisy(task):
    """A toy (values, seed) simulator: y = x + Normal(0, 0.2) noise from the seed; no x means the 'market' value 5."""
    values, seed = task
    return {"y": values.get("x", 5.0) + float(np.random.default_rng(seed).normal(0, 0.2))}


def test_the_best_point_is_the_particle_nearest_the_targets_on_fresh_seeds() -> None:
    """Of particles at x = 1, 1.8, 3, 9 (the heaviest far off), the one nearest the target y in [1.9, 2.1] is
    chosen, and the held-out comparison finds it closer than the market's own value; the choice is a
    function of the seed, and its three seed sets are disjoint."""
    xs = np.array([1.0, 1.8, 3.0, 9.0])
    cal = abc.Calibration(keys=("x",), particles=np.log10(xs)[:, None], weights=np.array([0.1, 0.1, 0.1, 0.7]),
                          epsilons=[1.0], simulations=4, generations=1, stats=[])
    targets = {"y": Pattern("y", 0, 1.9, 2.1, 0.1, "toy", "toy")}
    point = abc.best_point(_noisy, cal, targets, seeds=6, shortlist=3, seed=4)
    assert point["particle"] == 1 and point["values"]["x"] == pytest.approx(1.8)
    assert [row["particle"] for row in point["shortlist"]] == [1, 2, 0]  # the screen ranks by distance
    assert point["confirm"]["point"]["distance"] < point["confirm"]["market"]["distance"]
    assert point["confirm"]["market"]["patterns"]["y"]["mean"] == pytest.approx(5.0, abs=0.3)
    seeds = [set(v) for v in point["seeds"].values()]
    assert [len(v) for v in seeds] == [3, 6, 6] and len(seeds[0] | seeds[1] | seeds[2]) == 15
    assert abc.best_point(_noisy, cal, targets, seeds=6, shortlist=3, seed=4) == point
    assert abc.best_point(_noisy, cal, targets, seeds=6, shortlist=3, seed=5)["seeds"] != point["seeds"]


def test_weighted_quantiles() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert abc.weighted_quantile(x, np.ones(4), 0.5) == pytest.approx(1.5)
    assert abc.weighted_quantile(x, np.array([0, 0, 0, 1.0]), 0.5) == pytest.approx(3.0)


# --------------------------------------------------------------------------- running relsim on posterior draws

def _posterior_csv(path, rows=None):
    import pandas as pd

    rows = rows or [{"behaviour.exit_talk_weight": 0.1, "behaviour.voice_scale": 0.1, "weight": 0.5},
                    {"behaviour.exit_talk_weight": 0.6, "behaviour.voice_scale": 0.4, "weight": 0.5}]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_posterior_draws_set_the_calibrated_parameters_in_every_cell(tmp_path) -> None:
    from relsim.experiments.plumbing.config import load

    path = _posterior_csv(tmp_path / "posterior.csv")
    spec = load(["posterior=4", f"posterior_file={path}", "seeds=3"])
    assert len(spec.draws) == 4 and len(spec.replicates) == 12
    assert {d["behaviour.exit_talk_weight"] for d in spec.draws} <= {0.1, 0.6}
    for k, draw in enumerate(spec.draws):
        _, market = spec.cell("one_way", "baseline", k)
        assert market.behaviour.exit_talk_weight == draw["behaviour.exit_talk_weight"]
        assert market.behaviour.voice_scale == draw["behaviour.voice_scale"]
        assert market.behaviour.memory_days == spec.market.behaviour.memory_days  # the rest: the market's own
    assert spec.replicate_id(2, 1) == 2_000_001 and spec.replicate_id(None, 1) == 1
    assert load(["posterior=4", f"posterior_file={path}"]).draws == spec.draws  # a fixed stream of draws


@pytest.mark.parametrize(("rows", "args", "needle"), [
    (None, ["posterior=0"], "posterior_file"),
    ([{"behaviour.nope": 1.0, "weight": 1.0}], ["posterior=2"], "unknown: behaviour.nope"),
    ([{"behaviour.voice_scale": 99.0, "weight": 1.0}], ["posterior=2"], "behaviour.voice_scale must lie in"),
    ([{"behaviour.voice_scale": 0.1, "weight": -1.0}], ["posterior=2"], "weights must be >= 0"),
    (None, ["posterior=-1"], "posterior=-1: expected an integer in [0, "),
    (None, ["posterior=2", "seeds=[1000000]"], "below 1,000,000"),
])
def test_bad_posterior_input_is_one_clear_error(tmp_path, rows, args, needle) -> None:
    from relsim.experiments.plumbing.config import load
    from relsim.params import ConfigError

    path = _posterior_csv(tmp_path / "p.csv", rows)
    with pytest.raises(ConfigError, match=None) as exc:
        load([*args, f"posterior_file={path}"])
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_relsim_on_posterior_draws_separates_parameter_uncertainty_from_seed_noise(tmp_path) -> None:
    import pandas as pd

    from conftest import relsim_command

    path = _posterior_csv(tmp_path / "p.csv")
    out = tmp_path / "out"
    result = relsim_command("posterior=2", f"posterior_file={path}", "seeds=2", "days=60", "market.consumers=300",
                            "progress=false", "workers=1", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(runs["seed"].unique()) == [0, 1, 1_000_000, 1_000_001]
    assert "posterior draws" in result.stdout and "parameter uncertainty is" in result.stdout
    # which draw a replicate ran is in its seed: the draw with 4 times the voice scale complains more
    spec_draws = [0.1, 0.4]  # voice_scale of draws 0 and 1 as resampled: read them back from the config path
    from relsim.experiments.plumbing.config import load

    draws = load(["posterior=2", f"posterior_file={path}"]).draws
    voice = {k: d["behaviour.voice_scale"] for k, d in enumerate(draws)}
    complaints = runs.groupby(runs["seed"] // 1_000_000)["complaints_private"].sum()
    assert voice[0] != voice[1]  # the fixed stream of draws picks both rows here
    assert (complaints[0] > complaints[1]) == (voice[0] > voice[1]), (voice, complaints)
    assert set(voice.values()) <= set(spec_draws)


@pytest.mark.slow
def test_the_model_calibration_recovers_a_known_voice_scale(battery) -> None:
    """Synthetic data from the model itself at a known voice scale: the posterior's 90% interval holds
    the truth and is much narrower than the prior's (complaints per problem identify the scale)."""
    truth = 0.3
    keys = ["behaviour.voice_scale"]
    saved = np.random.get_state()
    np.random.seed(77)
    stats = abc.pattern_model(battery, keys)({"behaviour.voice_scale": math.log10(truth)})
    np.random.set_state(saved)
    scales = {"complaints_per_problem": PATTERNS["complaints_per_problem"].scale}
    observed = {k: np.array([stats[k], stats[k]]) for k in scales}
    # 12 particles, two generations (about 60 simulations): on observations from seeds 77-79 and calibration
    # seeds 2-3 the interval held the truth every time and its width ratio was 0.10-0.28 (30, 4, 400: 0.11)
    cal = abc.calibrate(abc.pattern_model(battery, keys), keys, observed, scales, population=12, generations=2,
                        budget=60, seed=2)
    s = abc.posterior_summary(cal)["behaviour.voice_scale"]
    assert s["interval"][0] <= truth <= s["interval"][1], s
    assert s["width_ratio"] < 0.5, s


def test_the_calibrated_market_is_the_npe_posteriors_chosen_draw() -> None:
    """market=calibrated and its posterior.csv are what docs/calibration/npe/point.json reports: the preset's values
    are the posterior draw the point names (one row of the NPE posterior), and `posterior=N` draws from that
    posterior."""
    import json
    from pathlib import Path

    import pandas as pd

    from relsim.experiments.plumbing.config import CONFIG_DIR, load

    npe = Path(__file__).resolve().parent.parent / "docs" / "calibration" / "npe"
    report = json.loads((npe / "point.json").read_text(encoding="utf-8"))
    market = load(["market=calibrated"]).market
    draws = pd.read_csv(CONFIG_DIR / "market" / "calibrated.posterior.csv")
    pd.testing.assert_frame_equal(draws, pd.read_csv(npe / "posterior.csv"))
    row = draws.iloc[report["row"]]
    for key, value in report["values"].items():
        assert PARAMS[key].get(market) == pytest.approx(value, rel=1e-5), key
        assert PARAMS[key].get(market) == pytest.approx(row[key], rel=1e-5), key
    assert market.rivals == ["middle"]  # otherwise the default market
    assert set(report["facts"]) == {"point", "market"} and len(report["seeds"]["confirm"]) >= 16


def test_with_posterior_draws_the_summary_replicates_over_draws() -> None:
    """Seeds within a draw share its parameters: the summary averages them, and its n counts draws."""
    import pandas as pd

    from relsim.analysis.summary import DRAW_STRIDE, by_draw

    per = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "seed": [0, 1, DRAW_STRIDE, DRAW_STRIDE + 1] * 2,
                        "npv": [1.0, 3.0, 10.0, 12.0, 2.0, 4.0, 20.0, 22.0]})
    out = by_draw(per)
    assert list(out["seed"]) == [0, 1, 0, 1] and list(out["npv"]) == [2.0, 11.0, 3.0, 21.0]
    plain = per.assign(seed=range(8))
    assert by_draw(plain).equals(plain)
