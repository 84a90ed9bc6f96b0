"""Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari & Gelman 2018): does a posterior mean what it says?

Draw a truth from the prior, simulate data from it, and ask the inference for L posterior draws given those
data; over N such held-out simulations, the truth's rank among its L draws is uniform on 0 ... L exactly
when the inference returns the true posterior (for any simulator, data set size or prior). A U-shaped rank
histogram says the posterior is too narrow (over-confident), a hump that it is too wide, a slope that it is
biased. The same runs give each parameter's coverage of central credible intervals (the 90% interval should
hold the truth in 90% of the simulations) and how much the data narrow the prior (the identification table).

The module is generic over the inference: `run` takes a prior sampler, a simulator and a posterior sampler,
each a plain callable (`Prior`, `Simulator`, `Posterior`), so ABC-SMC (abc_smc.py, one calibration per
simulation) or an amortized neural estimator plug in alike. It works on whatever scale the prior draws are
given in (for relsim's weights: log10, as the priors are log-uniform). Each simulation gets its own random
stream, spawned from one seed, so a result is the same whichever `map` runs the simulations (serially, a
process pool, Dask). The rank histograms are drawn by analysis/sbc.py.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from relsim.params import ConfigError

__all__ = ["LEVELS", "Posterior", "Prior", "SBCResult", "Simulator", "coverage", "identification",
           "identification_table", "rank_uniformity", "ranks", "run"]

#: A prior sampler: (rng, n) -> n draws, shape (n, d).
Prior = Callable[[np.random.Generator, int], np.ndarray]
#: A simulator: (parameters of shape (d,), rng) -> the statistics the inference sees (any array).
Simulator = Callable[[np.ndarray, np.random.Generator], Any]
#: A posterior sampler: (observed statistics, L, rng) -> L posterior draws, shape (L, d).
Posterior = Callable[[Any, int, np.random.Generator], np.ndarray]

#: The central credible intervals whose coverage is reported.
LEVELS = (0.5, 0.9)


def identification(width_ratio: float) -> str:
    """Read a posterior/prior interval-width ratio: identified (< 0.5), weakly (< 0.8), or not."""
    return "identified" if width_ratio < 0.5 else "weakly identified" if width_ratio < 0.8 else "not identified"


def ranks(truths: np.ndarray, draws: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each truth's rank among its posterior draws: the number of draws below it, ties (a resampled particle can
    equal the truth only by chance, a discrete posterior often) broken uniformly at random. `truths` (N, d),
    `draws` (N, L, d); ranks (N, d) in 0 ... L."""
    truths, draws = np.asarray(truths, dtype=float), np.asarray(draws, dtype=float)
    below = np.sum(draws < truths[:, None, :], axis=1)
    ties = np.sum(draws == truths[:, None, :], axis=1)
    return below + np.floor(rng.random(below.shape) * (ties + 1)).astype(np.int64)


def coverage(truths: np.ndarray, draws: np.ndarray, levels: Sequence[float] = LEVELS) -> dict[float, np.ndarray]:
    """For each level q, whether each truth lies in the central q interval of its draws (the (1-q)/2 and (1+q)/2
    quantiles): {q: bool array (N, d)}."""
    truths, draws = np.asarray(truths, dtype=float), np.asarray(draws, dtype=float)
    out = {}
    for q in levels:
        lo, hi = np.quantile(draws, [(1 - q) / 2, (1 + q) / 2], axis=1)
        out[float(q)] = (lo <= truths) & (truths <= hi)
    return out


def rank_uniformity(rank: np.ndarray, n_draws: int, bins: int) -> np.ndarray:
    """Per parameter, the chi-square test's p-value that ranks (N, d) in 0 ... n_draws are uniform, over `bins`
    bins of (nearly) equal numbers of rank values (Talts et al.: choose L + 1 divisible by the bins)."""
    from scipy import stats

    values = np.arange(n_draws + 1)
    which = values * bins // (n_draws + 1)
    expected_share = np.bincount(which, minlength=bins) / (n_draws + 1)
    rank = np.asarray(rank)
    p = []
    for j in range(rank.shape[1]):
        counts = np.bincount(rank[:, j] * bins // (n_draws + 1), minlength=bins)
        p.append(stats.chisquare(counts, expected_share * counts.sum()).pvalue)
    return np.array(p)


def identification_table(draws: np.ndarray, prior_draws: np.ndarray, names: Sequence[str], level: float = 0.9
                         ) -> dict[str, dict[str, Any]]:
    """How much the data narrow each parameter: the central `level` interval's width of each simulation's posterior
    over the prior's (its median over simulations, and the 10% and 90% points of it), the posterior width itself
    (median), and the reading of the median ratio (`identification`)."""
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    p_lo, p_hi = np.quantile(prior_draws, [lo_q, hi_q], axis=0)
    lo, hi = np.quantile(draws, [lo_q, hi_q], axis=1)  # (N, d)
    width = hi - lo
    ratio = width / (p_hi - p_lo)
    out = {}
    for j, name in enumerate(names):
        r = float(np.median(ratio[:, j]))
        out[name] = {"width_ratio": r, "width_ratio_10": float(np.quantile(ratio[:, j], 0.1)),
                     "width_ratio_90": float(np.quantile(ratio[:, j], 0.9)), "width": float(np.median(width[:, j])),
                     "prior_width": float(p_hi[j] - p_lo[j]), "identified": identification(r)}
    return out


@dataclasses.dataclass
class SBCResult:
    """N held-out simulations: each one's truth (N, d) and its L posterior draws (N, L, d), and what they say."""

    names: tuple[str, ...]
    truths: np.ndarray
    draws: np.ndarray
    rank: np.ndarray  # (N, d) in 0 ... L
    prior_draws: np.ndarray  # draws of the prior alone, for the identification table's widths
    seed: int

    @property
    def n_sims(self) -> int:
        """N: the held-out simulations."""
        return self.truths.shape[0]

    @property
    def n_draws(self) -> int:
        """L: the posterior draws per simulation."""
        return self.draws.shape[1]

    def coverage(self, levels: Sequence[float] = LEVELS) -> dict[str, dict[float, dict[str, float]]]:
        """Per parameter and level: the share of simulations whose central interval held the truth, the count, and
        the exact binomial test's p-value against the nominal level (a small p: the intervals do not mean what
        they say)."""
        from scipy import stats

        held = coverage(self.truths, self.draws, levels)
        out: dict[str, dict[float, dict[str, float]]] = {}
        for j, name in enumerate(self.names):
            out[name] = {}
            for q, hit in held.items():
                k = int(hit[:, j].sum())
                out[name][q] = {"coverage": k / self.n_sims, "held": k, "of": self.n_sims,
                                "p_value": float(stats.binomtest(k, self.n_sims, q).pvalue)}
        return out

    def uniformity(self, bins: int = 20) -> dict[str, float]:
        """Per parameter, the chi-square p-value that the ranks are uniform (rank_uniformity)."""
        return dict(zip(self.names, (float(p) for p in rank_uniformity(self.rank, self.n_draws, bins)), strict=True))

    def identification(self, level: float = 0.9) -> dict[str, dict[str, Any]]:
        """The identification table (identification_table)."""
        return identification_table(self.draws, self.prior_draws, self.names, level)

    def summary(self, bins: int = 20) -> dict[str, Any]:
        """Everything in one JSON-ready dict: sizes, seed, and per parameter the coverage, rank uniformity and
        identification."""
        cov, uni, ident = self.coverage(), self.uniformity(bins), self.identification()
        return {"n_sims": self.n_sims, "n_draws": self.n_draws, "seed": self.seed, "bins": bins,
                "parameters": {n: {"coverage": {f"{q:g}": v for q, v in cov[n].items()}, "rank_p_value": uni[n],
                                   **ident[n]} for n in self.names}}


def _one(prior: Prior, simulator: Simulator, posterior: Posterior, n_draws: int, d: int,
         seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """One held-out simulation: a truth from the prior, its data, and L posterior draws given them."""
    rng = np.random.default_rng(seed)
    truth = np.asarray(prior(rng, 1), dtype=float).reshape(-1)
    if truth.shape != (d,):
        raise ConfigError(f"sbc: the prior sampler returned {truth.size} values per draw, expected {d}")
    data = simulator(truth, rng)
    draws = np.asarray(posterior(data, n_draws, rng), dtype=float)
    if draws.shape != (n_draws, d) or not np.all(np.isfinite(draws)):
        raise ConfigError(f"sbc: the posterior sampler must return {n_draws} finite draws of {d} parameters, "
                          f"shape ({n_draws}, {d}); got shape {draws.shape}")
    return truth, draws


def run(prior: Prior, simulator: Simulator, posterior: Posterior, names: Sequence[str], *, n_sims: int,
        n_draws: int, seed: int = 0, prior_size: int = 10_000, map_: Callable[..., Iterable] = map) -> SBCResult:
    """Simulation-based calibration of `posterior` over `n_sims` held-out simulations with `n_draws` (L) posterior
    draws each. `map_` runs the simulations (the builtin map; a pool's or a Dask client's map); each gets its own
    stream from `seed`, so the result does not depend on it. Raises ConfigError on bad sizes or samplers."""
    if not isinstance(n_sims, int) or n_sims < 2:
        raise ConfigError(f"sbc: n_sims={n_sims!r}: need at least 2 held-out simulations")
    if not isinstance(n_draws, int) or n_draws < 1:
        raise ConfigError(f"sbc: n_draws={n_draws!r}: need at least 1 posterior draw per simulation")
    names = tuple(names)
    if not names or len(set(names)) != len(names):
        raise ConfigError(f"sbc: names={list(names)!r}: need distinct parameter names")
    d = len(names)
    root = np.random.SeedSequence([seed, 2018])
    prior_seed, rank_seed, *sim_seeds = root.spawn(n_sims + 2)
    job = functools.partial(_one, prior, simulator, posterior, n_draws, d)
    results = list(map_(job, sim_seeds))
    truths = np.stack([t for t, _ in results])
    draws = np.stack([dr for _, dr in results])
    prior_draws = np.asarray(prior(np.random.default_rng(prior_seed), prior_size), dtype=float).reshape(prior_size, d)
    rank = ranks(truths, draws, np.random.default_rng(rank_seed))
    return SBCResult(names, truths, draws, rank, prior_draws, seed)
