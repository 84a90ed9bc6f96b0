"""The consumer population (heterogeneous traits) and their social network.

Traits are drawn once, at day 0, from the distributions in `Population`; the network stands for
discussion groups and word of mouth (DESIGN.md §3: small-world by default, Watts & Strogatz 1998).
Both draw only from their own random streams, so a firm's strategy never changes them: runs that
differ only in strategy see the same consumers and the same network (common random numbers).
"""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .params import Dist, Network, Population, trait_range


def draw(dist: Dist, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Draw a trait with the distribution's mean and standard deviation (`Dist.parameters`: a point mass draws its
    mean)."""
    params = dist.parameters()
    if params is None:
        return np.full(size, dist.mean, dtype=float)
    sampler = {"gamma": rng.gamma, "beta": rng.beta, "lognormal": rng.lognormal, "uniform": rng.uniform}[dist.kind]
    return sampler(*params, size)


@dataclasses.dataclass
class Traits:
    """Per-consumer traits (arrays of length n), and `fit` per consumer x firm."""

    churn_propensity: np.ndarray
    contact_capacity: np.ndarray
    contact_tolerance: np.ndarray
    price_sensitivity: np.ndarray
    support_seeking: np.ndarray
    voice_propensity: np.ndarray
    public_voice: np.ndarray
    problem_proneness: np.ndarray
    patience: np.ndarray
    spin_detection: np.ndarray
    fit: np.ndarray
    initial_trust: np.ndarray
    assortment_rank: np.ndarray  # uniform in [0, 1): who relies on the items a cut removes first
    spin_seen: np.ndarray  # uniform in [0, 1): compared with spin_detection when a cut is framed


#: Every consumer's own traits, one value each, in `Traits` order: what a day's rules read (the world's state
#: holds them; the reference engine's consumers copy them). `fit` is consumer x firm and lives in the state
#: as an array of its own; `initial_trust` is used at day 0 only.
TRAITS = tuple(f.name for f in dataclasses.fields(Traits) if f.name not in ("fit", "initial_trust"))


def draw_traits(pop: Population, n: int, n_firms: int, rng: np.random.Generator, voice_loyalty: float = 0.0
                ) -> Traits:
    """Draw every consumer's traits, each kept in its range (sim/params.py: `trait_range`, e.g. [0, 1] for a
    probability, at least 1 day of patience, a day-0 trust in [0.01, 0.99]); with `voice_loyalty` > 0, support
    seeking and voice propensity are then paired with loyalty (`pair_with_loyalty`).

    Each trait draws from its own child stream, so changing one trait's distribution (even to a
    constant) leaves every other trait's values unchanged.
    """
    *streams, pairing = rng.spawn(15)  # the last: the pairing's (children 0-13 are the same for any count)
    streams = iter(streams)

    def trait(name: str, size: int | tuple[int, int] = n) -> np.ndarray:
        return np.clip(draw(getattr(pop, name), size, next(streams)), *trait_range(name))

    traits = Traits(
        churn_propensity=trait("churn_propensity"),
        contact_capacity=trait("contact_capacity"),
        contact_tolerance=trait("contact_tolerance"),
        price_sensitivity=trait("price_sensitivity"),
        support_seeking=trait("support_seeking"),
        voice_propensity=trait("voice_propensity"),
        public_voice=trait("public_voice"),
        problem_proneness=trait("problem_proneness"),
        patience=trait("patience"),
        spin_detection=trait("spin_detection"),
        fit=trait("fit", (n, n_firms)),
        initial_trust=trait("initial_trust"),
        assortment_rank=next(streams).random(n),
        spin_seen=next(streams).random(n),
    )
    if voice_loyalty > 0:
        pairing = np.random.default_rng(pairing)
        traits.support_seeking = pair_with_loyalty(traits.churn_propensity, traits.support_seeking, voice_loyalty,
                                                   pairing)
        traits.voice_propensity = pair_with_loyalty(traits.churn_propensity, traits.voice_propensity, voice_loyalty,
                                                    pairing)
    return traits


def pair_with_loyalty(churn_propensity: np.ndarray, values: np.ndarray, rho: float, rng: np.random.Generator
                      ) -> np.ndarray:
    """`values` dealt out again so that the most loyal consumers (lowest churn propensity) tend to get the largest.

    Loyalty activates voice (Hirschman 1970, ch. 7): a loyal customer complains rather than leaves. The consumers
    are ordered by a latent score rho z + sqrt(1 - rho^2) e, z the normal score of their loyalty rank and e an
    independent standard normal, and receive the sorted values in that order (Iman & Conover 1982): the values,
    and so the trait's distribution, are unchanged, and the rank correlation with loyalty is about rho.
    """
    from scipy import special, stats

    n = len(values)
    loyal = special.ndtri((stats.rankdata(-churn_propensity) - 0.5) / n)
    latent = rho * loyal + math.sqrt(max(1.0 - rho * rho, 0.0)) * rng.standard_normal(n)
    out = np.empty_like(values)
    out[np.argsort(latent, kind="stable")] = np.sort(values)
    return out


def build_network(net: Network, n: int, rng: np.random.Generator) -> sp.csr_matrix:
    """Build the undirected consumer network as a symmetric 0/1 CSR matrix without self-loops."""
    k = min(net.degree, n - 1)
    if net.generator == "none" or k == 0:
        return sp.csr_matrix((n, n), dtype=np.float64)
    if net.generator == "watts_strogatz":
        src, dst = _watts_strogatz(n, k, net.rewire, rng)
    elif net.generator == "erdos_renyi":
        m = rng.binomial(n * (n - 1) // 2, k / (n - 1))
        src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    elif net.generator == "barabasi_albert":
        g = nx.barabasi_albert_graph(n, max(1, k // 2), seed=int(rng.integers(2**31)))
        edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
        src, dst = edges[:, 0], edges[:, 1]
    else:
        raise ValueError(f"unknown network generator {net.generator!r}")
    keep = src != dst
    src, dst = src[keep], dst[keep]
    adj = sp.coo_matrix((np.ones(2 * len(src)), (np.r_[src, dst], np.r_[dst, src])), shape=(n, n)).tocsr()
    adj.data[:] = 1.0  # duplicate edges collapse to one
    return adj


def _watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ring lattice with k//2 neighbours on each side (for odd k, plus one random partner each);
    each edge's far end is rewired to a random consumer with probability p."""
    half = k // 2
    src = np.repeat(np.arange(n), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(src)) < p
    dst[rewire] = rng.integers(0, n, int(rewire.sum()))
    if k % 2:
        perm = rng.permutation(n)
        src, dst = np.r_[src, perm[: n // 2]], np.r_[dst, perm[n // 2: 2 * (n // 2)]]
    return src, dst


def neighbour_counts(adj: sp.csr_matrix, sources: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """For each consumer, the (weighted) number of `sources` among its neighbours.

    Sums only the sources' adjacency rows, so the cost is proportional to what the sources touch,
    not to the whole network (issue #5's note on word of mouth).
    """
    n = adj.shape[0]
    if len(sources) == 0:
        return np.zeros(n)
    starts, ends = adj.indptr[sources], adj.indptr[sources + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(n)
    offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    targets = adj.indices[np.arange(total) + offsets]
    w = None if weights is None else np.repeat(weights, lengths)
    return np.bincount(targets, weights=w, minlength=n).astype(float)
