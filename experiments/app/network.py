"""A stable sample of the consumer network for the educator's page: which consumers, where.

The network view shows at most a few hundred consumers; `network_sample` picks them once per model
(a seeded snowball, so neighbours stay together) and lays them out once, so that each day only their
colours and sizes change.
"""

from __future__ import annotations

import functools
import weakref

import networkx as nx
import numpy as np

from .lesson import LessonModel

NETWORK_NODES = 300  # at most this many consumers in the network view

_NETWORKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def network_sample(model: LessonModel, size: int = NETWORK_NODES) -> dict:
    """A stable sample of at most `size` consumers and fixed positions, chosen once per model.

    A snowball from a seeded start, so neighbours (and word of mouth between them) stay visible; the
    choice uses its own generator seeded by the run's seed and never draws from the model's streams.
    The positions (`_positions`) are computed once; each day only colours and sizes change.
    """
    if model in _NETWORKS:
        return _NETWORKS[model]
    adj, n = model.world.adj, model.world.n
    rng = np.random.default_rng([model.seed, 6])
    if n <= size:
        nodes = np.arange(n)
    else:
        chosen, seen = [], np.zeros(n, dtype=bool)
        frontier: list[int] = []
        while len(chosen) < size:
            if not frontier:  # start (or restart, on a sparse network) from a random consumer
                start = int(rng.choice(np.flatnonzero(~seen)))
                seen[start] = True
                chosen.append(start)
                frontier = [start]
                continue
            nxt = []
            for u in frontier:
                for v in rng.permutation(adj.indices[adj.indptr[u]: adj.indptr[u + 1]]):
                    if not seen[v] and len(chosen) < size:
                        seen[v] = True
                        chosen.append(int(v))
                        nxt.append(int(v))
            frontier = nxt
        nodes = np.sort(np.array(chosen))
    sub = adj[nodes][:, nodes].tocoo()
    keep = sub.row < sub.col
    ends = np.stack([sub.row[keep], sub.col[keep]], axis=1).astype(np.int64).reshape(-1, 2)
    xy = _positions(len(nodes), ends.tobytes(), int(model.seed % 2**32))
    gaps = np.full((len(ends), 1), np.nan)  # NaN separates the edges of one line trace
    edges = tuple(np.hstack([xy[ends[:, 0], k: k + 1], xy[ends[:, 1], k: k + 1], gaps]).ravel() for k in (0, 1))
    _NETWORKS[model] = sample = {"nodes": nodes, "xy": xy, "edges": edges}
    return sample


@functools.lru_cache(maxsize=32)
def _positions(n: int, ends: bytes, seed: int) -> np.ndarray:
    """Positions of a sample of `n` consumers joined by the edges `ends` (pairs of int64 indices).

    Kamada-Kawai spreads a connected snowball evenly (seconds on a busy machine); a sample that is not
    connected gets a seeded spring layout. Kept for the last few samples, so reloading the page, or
    Reset with the same consumers and seed, does not lay the network out again.
    """
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(map(tuple, np.frombuffer(ends, dtype=np.int64).reshape(-1, 2).tolist()))
    if n > 1 and nx.is_connected(graph):
        pos = nx.kamada_kawai_layout(graph)
    else:
        pos = nx.spring_layout(graph, seed=seed, iterations=60)
    xy = np.array([pos[k] for k in range(n)])
    xy.flags.writeable = False
    return xy
