"""Simulation-based calibration (experiments/inference/sbc.py, analysis/sbc.py) on a simulator whose posterior is known.

The toy: two independent means with normal priors, observed through the mean of 10 normal observations each
(conjugate normal-normal), so the exact posterior is normal with known mean and sd. SBC must pass the exact
posterior (uniform ranks, coverage at its nominal level within a binomial bound) and must catch one that is too
narrow (over-confident) and one that is too wide (over-dispersed). Seeds are fixed: every number is deterministic.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from relsim.analysis.sbc import expected_band, rank_counts, rank_histograms
from relsim.experiments.inference import sbc
from relsim.params import ConfigError

MU0, TAU0, SIGMA, N_OBS = np.array([0.0, 2.0]), np.array([1.0, 3.0]), np.array([1.0, 2.0]), 10
NAMES = ("a", "b")
N_SIMS, N_DRAWS, BINS = 400, 99, 20  # L + 1 = 100 ranks, divisible by the 20 bins


def prior(rng: np.random.Generator, n: int) -> np.ndarray:
    return MU0 + TAU0 * rng.standard_normal((n, 2))


def simulate(theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (theta + SIGMA * rng.standard_normal((N_OBS, 2))).mean(axis=0)


def exact_moments(ybar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The conjugate posterior's mean and sd given the observed means."""
    precision = 1 / TAU0**2 + N_OBS / SIGMA**2
    return (MU0 / TAU0**2 + N_OBS * ybar / SIGMA**2) / precision, 1 / np.sqrt(precision)


def posterior_scaled(scale: float):
    """A posterior sampler with the exact mean and `scale` times the exact sd (1: exact)."""
    def sample(ybar: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        mean, sd = exact_moments(ybar)
        return mean + scale * sd * rng.standard_normal((n, 2))
    return sample


def run(scale: float, seed: int = 7, map_=map) -> sbc.SBCResult:
    return sbc.run(prior, simulate, posterior_scaled(scale), NAMES, n_sims=N_SIMS, n_draws=N_DRAWS, seed=seed,
                   map_=map_)


@pytest.fixture(scope="module")
def exact() -> sbc.SBCResult:
    return run(1.0)


def binomial_bound(q: float, n: int = N_SIMS) -> float:
    return 3 * math.sqrt(q * (1 - q) / n)  # three binomial standard errors


# --------------------------------------------------------------------------- the exact posterior passes

def test_the_exact_posterior_covers_at_its_nominal_level(exact) -> None:
    cov = exact.coverage()
    for name in NAMES:
        for q in sbc.LEVELS:
            assert abs(cov[name][q]["coverage"] - q) <= binomial_bound(q), (name, q, cov[name][q])
            assert cov[name][q]["p_value"] > 0.01


def test_the_exact_posterior_gives_uniform_ranks(exact) -> None:
    assert exact.rank.shape == (N_SIMS, 2) and exact.rank.min() >= 0 and exact.rank.max() <= N_DRAWS
    p = exact.uniformity(BINS)
    assert min(p.values()) > 0.01, p
    lo, hi = expected_band(N_SIMS, BINS, 0.999)
    counts = rank_counts(exact.rank, N_DRAWS, BINS)
    assert counts.sum(axis=0).tolist() == [N_SIMS, N_SIMS]
    assert counts.min() >= lo and counts.max() <= hi, counts.T


def test_the_identification_table_reads_the_known_narrowing(exact) -> None:
    """The exact posterior's 90% interval is its sd's 3.29 times; the prior's its own: the ratio is sd_post / tau0."""
    table = exact.identification()
    _, sd = exact_moments(np.zeros(2))
    for j, name in enumerate(NAMES):
        ratio = sd[j] / TAU0[j]
        assert table[name]["width_ratio"] == pytest.approx(ratio, rel=0.12), (name, table[name], ratio)
        assert table[name]["identified"] == "identified"  # the data narrow it to about a third
        assert table[name]["width_ratio_10"] <= table[name]["width_ratio"] <= table[name]["width_ratio_90"]
    # a posterior that is the prior is not identified
    same = sbc.run(prior, simulate, lambda y, n, rng: prior(rng, n), NAMES, n_sims=50, n_draws=199, seed=1)
    assert all(v["identified"] == "not identified" for v in same.identification().values())


# --------------------------------------------------------------------------- wrong posteriors are caught

def test_an_over_confident_posterior_fails_coverage_and_its_ranks_pile_at_the_ends() -> None:
    narrow = run(0.5)
    cov = narrow.coverage()
    for name in NAMES:
        assert cov[name][0.9]["coverage"] < 0.9 - 2 * binomial_bound(0.9), cov[name]  # about 0.59
        assert cov[name][0.5]["coverage"] < 0.5 - 2 * binomial_bound(0.5), cov[name]  # about 0.26
        assert cov[name][0.9]["p_value"] < 1e-6
    assert max(narrow.uniformity(BINS).values()) < 1e-6
    counts = rank_counts(narrow.rank, N_DRAWS, BINS)
    ends, middle = counts[[0, -1]].mean(axis=0), counts[BINS // 2 - 2: BINS // 2 + 2].mean(axis=0)
    assert np.all(ends > 3 * middle), counts.T  # a U


def test_an_over_dispersed_posterior_over_covers_and_its_ranks_hump() -> None:
    wide = run(2.0)
    cov = wide.coverage()
    for name in NAMES:
        assert cov[name][0.9]["coverage"] > 0.9 + binomial_bound(0.9), cov[name]  # about 0.999
        assert cov[name][0.5]["coverage"] > 0.5 + 2 * binomial_bound(0.5), cov[name]  # about 0.82
        assert cov[name][0.5]["p_value"] < 1e-6
    assert max(wide.uniformity(BINS).values()) < 1e-6
    counts = rank_counts(wide.rank, N_DRAWS, BINS)
    ends, middle = counts[[0, -1]].mean(axis=0), counts[BINS // 2 - 2: BINS // 2 + 2].mean(axis=0)
    assert np.all(middle > 3 * ends), counts.T  # a hump


def test_a_biased_posterior_is_caught_by_its_ranks() -> None:
    def shifted(ybar, n, rng):
        mean, sd = exact_moments(ybar)
        return mean + sd + sd * rng.standard_normal((n, 2))  # one sd too high
    result = sbc.run(prior, simulate, shifted, NAMES, n_sims=N_SIMS, n_draws=N_DRAWS, seed=7)
    assert max(result.uniformity(BINS).values()) < 1e-6
    assert np.all(np.mean(result.rank, axis=0) < 0.35 * N_DRAWS)  # the truth sits low among the draws


# --------------------------------------------------------------------------- reproducible, whichever map

def test_a_seed_determines_the_result_whichever_map_runs_it(exact) -> None:
    again = run(1.0, seed=7)
    assert np.array_equal(exact.rank, again.rank) and np.array_equal(exact.draws, again.draws)
    with ThreadPoolExecutor(2) as pool:
        pooled = run(1.0, seed=7, map_=pool.map)
    assert np.array_equal(exact.rank, pooled.rank) and np.array_equal(exact.truths, pooled.truths)
    other = run(1.0, seed=8)
    assert not np.array_equal(exact.truths, other.truths)


def test_ties_are_broken_at_random_so_a_discrete_posterior_is_not_biased() -> None:
    truths = np.zeros((2000, 1))
    draws = np.zeros((2000, 9, 1))  # every draw equals the truth
    r = sbc.ranks(truths, draws, np.random.default_rng(0))
    assert r.min() == 0 and r.max() == 9 and abs(r.mean() - 4.5) < 0.2


def test_the_summary_is_json_ready(exact) -> None:
    import json

    summary = exact.summary(BINS)
    assert set(summary["parameters"]) == set(NAMES)
    assert set(summary["parameters"]["a"]["coverage"]) == {"0.5", "0.9"}
    json.dumps(summary)


# --------------------------------------------------------------------------- the figure

def test_the_rank_histograms_have_one_panel_and_all_simulations_per_parameter(exact) -> None:
    fig = rank_histograms(exact.rank, exact.n_draws, exact.names, bins=BINS)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 2 and all(sum(b.y) == N_SIMS for b in bars)
    assert "N = 400, L = 99" in fig.layout.title.text


# --------------------------------------------------------------------------- bad input is one line

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_sims": 1}, "n_sims=1"), ({"n_draws": 0}, "n_draws=0"), ({"names": ("a", "a")}, "distinct"),
    ({"names": ("a", "b", "c")}, "expected 3"),
    ({"posterior": lambda y, n, rng: np.zeros((n, 3))}, r"shape \(5, 3\)"),
    ({"posterior": lambda y, n, rng: np.full((n, 2), np.nan)}, "finite"),
])
def test_bad_sizes_and_samplers_are_one_line(kwargs, message) -> None:
    args = {"names": NAMES, "n_sims": 4, "n_draws": 5, "posterior": posterior_scaled(1.0)} | kwargs
    posterior = args.pop("posterior")
    with pytest.raises(ConfigError, match=message) as err:
        sbc.run(prior, simulate, posterior, **args)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- ABC-SMC plugged in

def test_abc_smc_plugs_in_and_its_intervals_are_not_over_confident() -> None:
    """The calibration's own inference under SBC on a simulator with a known answer: y ~ Normal(10**x, 0.1), x on
    log10 [-1, 1]. ABC stops at a tolerance above zero, so its posterior is at least as wide as the exact one: its
    90% intervals hold the truth at least about 90% of the time (the scale mix-up this guards against, natural
    values against log10 ones, would hold it almost never)."""
    from relsim.experiments.inference import abc_smc
    from relsim.experiments.inference.space import Param

    toy = {"x": Param("x", 0.1, 10.0, "a toy parameter")}
    prior_, simulate_, posterior_ = abc_smc.sbc_parts(_Gaussian(), ["x"], {"y": 0.3}, params=toy, population=40,
                                                      generations=3, budget=2000)
    result = sbc.run(prior_, simulate_, posterior_, ["x"], n_sims=12, n_draws=19, seed=3)
    assert result.draws.shape == (12, 19, 1) and np.all((-1 <= result.draws) & (result.draws <= 1))
    assert result.coverage()["x"][0.9]["coverage"] >= 0.75, result.coverage()
    assert result.identification()["x"]["width_ratio"] < 0.5  # y pins x


class _Gaussian:
    """y ~ Normal(10**x, 0.1), drawn from numpy's global stream as pyabc's simulators do."""

    def __call__(self, pars):
        return {"y": float(np.random.normal(10.0 ** pars["x"], 0.1))}
