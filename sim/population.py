"""The consumer population (heterogeneous traits) and their social network.

Traits are drawn once, at day 0, from the distributions in `Population`; the network stands for
discussion groups and word of mouth (DESIGN.md §3: small-world by default, Watts & Strogatz 1998).
Both draw only from their own random streams, so a firm's strategy never changes them: runs that
differ only in strategy see the same consumers and the same network (common random numbers).
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.params import Dist, Network, Population


def draw(dist: Dist, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Draw a trait with the distribution's mean and standard deviation."""
    m, sd = dist.mean, dist.sd
    if dist.kind == "constant" or sd == 0:
        return np.full(size, m, dtype=float)
    if dist.kind == "gamma":
        return rng.gamma((m / sd) ** 2, sd**2 / m, size)
    if dist.kind == "beta":
        common = m * (1 - m) / sd**2 - 1
        return rng.beta(m * common, (1 - m) * common, size)
    if dist.kind == "lognormal":
        s2 = np.log1p((sd / m) ** 2)
        return rng.lognormal(np.log(m) - s2 / 2, np.sqrt(s2), size)
    if dist.kind == "uniform":
        half = np.sqrt(3.0) * sd
        return rng.uniform(m - half, m + half, size)
    raise ValueError(f"unknown distribution {dist.kind!r}")


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


def draw_traits(pop: Population, n: int, n_firms: int, rng: np.random.Generator) -> Traits:
    """Draw every consumer's traits; bounded traits are clipped to their range."""
    unit = lambda a: np.clip(a, 0.0, 1.0)  # noqa: E731
    return Traits(
        churn_propensity=draw(pop.churn_propensity, n, rng),
        contact_capacity=np.maximum(draw(pop.contact_capacity, n, rng), 0.0),
        contact_tolerance=unit(draw(pop.contact_tolerance, n, rng)),
        price_sensitivity=np.maximum(draw(pop.price_sensitivity, n, rng), 0.0),
        support_seeking=unit(draw(pop.support_seeking, n, rng)),
        voice_propensity=np.maximum(draw(pop.voice_propensity, n, rng), 0.0),
        public_voice=unit(draw(pop.public_voice, n, rng)),
        problem_proneness=np.maximum(draw(pop.problem_proneness, n, rng), 0.0),
        patience=np.maximum(draw(pop.patience, n, rng), 1.0),
        spin_detection=unit(draw(pop.spin_detection, n, rng)),
        fit=unit(draw(pop.fit, (n, n_firms), rng)),
        initial_trust=np.clip(draw(pop.initial_trust, n, rng), 0.01, 0.99),
        assortment_rank=rng.random(n),
        spin_seen=rng.random(n),
    )


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
    """Ring lattice with k//2 neighbours on each side; each edge's far end rewired with probability p."""
    half = max(1, k // 2)
    src = np.repeat(np.arange(n), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(src)) < p
    dst = dst.copy()
    dst[rewire] = rng.integers(0, n, int(rewire.sum()))
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
