"""The consumers' network (sim/population.py): each generator's graph is symmetric, without self-loops,
with the mean degree asked for.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest

from relsim.params import Network
from relsim.population import build_network, neighbour_counts


@pytest.mark.parametrize("degree", [4, 10])
def test_watts_strogatz_is_symmetric_without_self_loops_with_the_mean_degree(degree: int) -> None:
    adj = build_network(Network("watts_strogatz", degree, 0.1), 1000, np.random.default_rng(4))
    assert (adj != adj.T).nnz == 0
    assert adj.diagonal().sum() == 0
    assert set(np.unique(adj.data)) == {1.0}
    assert abs(adj.sum(axis=1).mean() - degree) < 0.5


def test_watts_strogatz_mean_degree_for_odd_degree() -> None:
    adj = build_network(Network("watts_strogatz", 7, 0.1), 1000, np.random.default_rng(4))
    assert abs(adj.sum(axis=1).mean() - 7) < 0.5


def test_watts_strogatz_without_rewiring_is_a_ring_lattice() -> None:
    adj = build_network(Network("watts_strogatz", 6, 0.0), 50, np.random.default_rng(0))
    np.testing.assert_array_equal(np.asarray(adj.sum(axis=1)).ravel(), 6)
    assert adj[0, 1] == adj[0, 3] == adj[0, 49] == adj[0, 47] == 1 and adj[0, 4] == 0


@pytest.mark.parametrize("generator", ["erdos_renyi", "barabasi_albert"])
def test_other_generators_are_symmetric_without_self_loops(generator: str) -> None:
    adj = build_network(Network(generator, 8, 0.1), 800, np.random.default_rng(5))
    assert (adj != adj.T).nnz == 0
    assert adj.diagonal().sum() == 0
    assert 6 < adj.sum(axis=1).mean() < 9


def test_no_network_has_no_edges() -> None:
    assert build_network(Network("none", 10, 0.1), 100, np.random.default_rng(0)).nnz == 0


def test_neighbour_counts_equals_the_adjacency_product() -> None:
    rng = np.random.default_rng(6)
    adj = build_network(Network("watts_strogatz", 8, 0.3), 400, rng)
    dense = adj.toarray()
    sources = rng.choice(400, 40, replace=False)
    indicator = np.bincount(sources, minlength=400).astype(float)
    np.testing.assert_allclose(neighbour_counts(adj, sources), dense @ indicator)
    weights = rng.random(40)
    np.testing.assert_allclose(neighbour_counts(adj, sources, weights),
                               dense @ np.bincount(sources, weights=weights, minlength=400))
    repeated = np.r_[sources, sources[:5]]
    np.testing.assert_allclose(neighbour_counts(adj, repeated), dense @ np.bincount(repeated, minlength=400))
    assert (neighbour_counts(adj, np.array([], dtype=np.int64)) == 0).all()


@pytest.mark.parametrize(("dist", "lo", "hi"), [
    (("gamma", 2.0, 2.0), 1.0, np.inf), (("beta", 0.95, 0.1), 0.01, 0.99), (("lognormal", 3.0, 4.0), 1.0, np.inf),
    (("beta", 0.65, 0.1), 0.01, 0.99),
])
def test_the_share_of_draws_set_to_a_bound_is_the_share_drawn_beyond_it(dist, lo, hi) -> None:
    from relsim.params import Dist
    from relsim.population import draw

    d = Dist(*dist)
    x = draw(d, 200_000, np.random.default_rng(3))
    assert d.share_outside(lo, hi) == pytest.approx(np.mean((x < lo) | (x > hi)), abs=0.004)


def test_a_trait_whose_draws_are_mostly_clipped_is_announced_and_the_defaults_are_not() -> None:
    import warnings

    import dataclasses

    from relsim.params import CLIPPED_SHARE, ConfigWarning, Dist, Population, trait_range

    shares = {f.name: getattr(Population(), f.name).share_outside(*trait_range(f.name))
              for f in dataclasses.fields(Population)}  # the defaults are not recomputed on every import: here
    assert max(shares.values()) < CLIPPED_SHARE and shares["patience"] == pytest.approx(0.0012, abs=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        Population()
    with pytest.warns(ConfigWarning, match=r"population.patience: 39.3% of its gamma draws \(mean 2, sd 2\) fall "
                                           r"below 1 and are set to 1"):
        Population(patience=Dist("gamma", 2.0, 2.0))
    with pytest.warns(ConfigWarning, match=r"initial_trust: .* fall outside \[0.01, 0.99\]"):
        Population(initial_trust=Dist("beta", 0.95, 0.1))


@pytest.mark.parametrize("sd", [1e-200, 5e-324])
def test_a_uniform_trait_too_narrow_for_floats_is_its_mean_and_nothing_is_announced(sd: float) -> None:
    import warnings

    from relsim.params import ConfigWarning, Dist, Population
    from relsim.population import draw

    d = Dist("uniform", 5.0, sd)  # a legal edge: its bounds m -/+ sqrt(3) sd are m itself in floating point
    assert d.share_outside(1.0) == 0.0 and d.share_outside(6.0) == 1.0
    assert np.all(draw(d, 10, np.random.default_rng(0)) == 5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        Population(patience=d)
