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


# --------------------------------------------------------------------------- loyalty activates voice

def test_voice_loyalty_pairs_voice_with_loyalty_and_keeps_every_trait_s_values() -> None:
    """Hirschman's loyalty-voice pairing (behaviour.voice_loyalty): support seeking and voice propensity are dealt out
    again towards the loyal (low churn propensity); their values, and every other trait, stay as drawn; at 0 the
    draws are exactly those without the mechanism."""
    from scipy import stats

    from relsim.params import Population
    from relsim.population import draw_traits

    pop = Population()
    plain = draw_traits(pop, 4000, 2, np.random.default_rng(3))
    assert all(np.array_equal(getattr(plain, k), getattr(draw_traits(pop, 4000, 2, np.random.default_rng(3), 0.0), k))
               for k in vars(plain))
    rho = {}
    for r in (0.3, 0.8):
        paired = draw_traits(pop, 4000, 2, np.random.default_rng(3), r)
        for k in ("support_seeking", "voice_propensity"):
            np.testing.assert_array_equal(np.sort(getattr(paired, k)), np.sort(getattr(plain, k)))
            rho[r, k] = stats.spearmanr(getattr(paired, k), -paired.churn_propensity)[0]
        for k in ("churn_propensity", "patience", "public_voice", "fit", "initial_trust"):
            np.testing.assert_array_equal(getattr(paired, k), getattr(plain, k))
    assert abs(stats.spearmanr(plain.support_seeking, -plain.churn_propensity)[0]) < 0.05
    for k in ("support_seeking", "voice_propensity"):
        assert abs(rho[0.3, k] - 0.3) < 0.06 and abs(rho[0.8, k] - 0.8) < 0.06


@pytest.mark.slow
def test_loyal_voice_lifts_the_unresolved_callers_above_the_silent() -> None:
    """TARP compares groups that chose to complain: when the loyal are the ones who call (voice_loyalty 0.6), the
    callers whose problem stayed unresolved keep more of their customers than those who never called, where at 0
    (independent traits) they keep fewer at the default support capacity (docs/VALIDATION.md fact 4)."""
    from relsim.experiments.inference.battery import make_battery, measure

    gap = {}
    for rho in (0.0, 0.6):
        battery = make_battery(1500, overrides=[f"market.behaviour.voice_loyalty={rho}"])
        gap[rho] = np.mean([measure(battery, {}, seed)["tarp_unresolved_silent"] for seed in (100, 101, 102)])
    assert gap[0.0] < 0 < gap[0.6] and gap[0.6] - gap[0.0] > 0.04
