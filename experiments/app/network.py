"""A stable sample of the consumer network for the educator's page: which consumers, where.

The network view shows at most a few hundred consumers; `network_sample` picks them once per model
(a seeded snowball, so neighbours stay together) and lays them out once, so that each day only their
colours and sizes change.
"""

from __future__ import annotations

import weakref

import networkx as nx
import numpy as np

from relsim.experiments.app.lesson import LessonModel

NETWORK_NODES = 300  # at most this many consumers in the network view

_NETWORKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def network_sample(model: LessonModel, size: int = NETWORK_NODES) -> dict:
    """A stable sample of at most `size` consumers and fixed positions, chosen once per model.

    A snowball from a seeded start, so neighbours (and word of mouth between them) stay visible; the
    choice uses its own generator seeded by the run's seed and never draws from the model's streams.
    The positions (Kamada-Kawai, or a seeded spring layout if the sample is not connected) are
    computed here, once; each day only colours and sizes change.
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
    graph = nx.Graph()
    graph.add_nodes_from(range(len(nodes)))
    graph.add_edges_from((int(i), int(j)) for i, j in zip(sub.row, sub.col, strict=True) if i < j)
    if len(nodes) > 1 and nx.is_connected(graph):
        pos = nx.kamada_kawai_layout(graph)  # spreads a snowball evenly; about a second, once per model
    else:
        pos = nx.spring_layout(graph, seed=int(model.seed % 2**32), iterations=60)
    xy = np.array([pos[k] for k in range(len(nodes))])
    ends = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    gaps = np.full((len(ends), 1), np.nan)  # NaN separates the edges of one line trace
    edges = tuple(np.hstack([xy[ends[:, 0], k: k + 1], xy[ends[:, 1], k: k + 1], gaps]).ravel() for k in (0, 1))
    _NETWORKS[model] = sample = {"nodes": nodes, "xy": xy, "edges": edges}
    return sample
