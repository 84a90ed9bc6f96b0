"""Word of mouth (sim/word_of_mouth.py): posts and defections reach network neighbours, and only them.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import evidence, make_world

from relsim import word_of_mouth


def _hand_network(n: int, edges: list[tuple[int, int]]) -> sp.csr_matrix:
    src, dst = np.array(edges).T
    return sp.csr_matrix((np.ones(2 * len(edges)), (np.r_[src, dst], np.r_[dst, src])), shape=(n, n))


def test_negative_posts_reach_network_neighbours_only() -> None:
    w = make_world({}, {}, consumers=10, provider=np.array([0, 0, 1, 0, 1, -1, 0, 1, 0, 0]))
    # 0 - 1, 0 - 2, 2 - 5, 5 - 6, 7 - 8; 3, 4 and 9 are isolated
    w.adj = _hand_network(10, [(0, 1), (0, 2), (2, 5), (5, 6), (7, 8)])
    w.public_posts = np.array([0, 6])  # two customers of firm 0 post
    w.praise_posts = np.array([], dtype=np.int64)
    weight = w.market.behaviour.wom_negative_weight
    word_of_mouth.word_of_mouth(w)
    expected = np.zeros(10)
    expected[[1, 2, 5]] = weight
    np.testing.assert_allclose(w.neg_today[:, 0], expected)
    assert (w.neg_today[:, 1] == 0).all()  # about the posters' firm only
    assert (w.pos_today == 0).all()
    # neighbours of two posters hear twice
    w.neg_today[:] = 0
    w.public_posts = np.array([1, 2])  # firm 0's customer 1, firm 1's customer 2; both neighbour 0
    word_of_mouth.word_of_mouth(w)
    assert w.neg_today[0, 0] == pytest.approx(weight) and w.neg_today[0, 1] == pytest.approx(weight)
    assert w.neg_today[5, 1] == pytest.approx(weight) and w.neg_today[5, 0] == 0


def test_word_of_mouth_on_a_generated_network_follows_the_adjacency() -> None:
    w = make_world(consumers=600, provider=0, network="watts_strogatz", degree=6, seed=2)
    posters = np.random.default_rng(0).choice(600, 25, replace=False)
    w.public_posts, w.praise_posts = posters, np.array([], dtype=np.int64)
    word_of_mouth.word_of_mouth(w)
    indicator = np.zeros(600)
    indicator[posters] = 1
    expected = w.market.behaviour.wom_negative_weight * (w.adj.toarray() @ indicator)
    np.testing.assert_allclose(w.neg_today[:, 0], expected)
    assert (w.neg_today[expected == 0, 0] == 0).all() and (expected == 0).sum() > 300


def test_defections_reach_neighbours_as_exit_talk() -> None:
    w = make_world(consumers=6, provider=np.array([-1, 0, 0, 0, 0, 0]))
    w.adj = _hand_network(6, [(0, 1), (0, 2), (3, 4)])
    w.public_posts = w.praise_posts = np.array([], dtype=np.int64)
    w.defections = (np.array([0]), np.array([0]))
    word_of_mouth.word_of_mouth(w)
    expected = np.zeros(6)
    expected[[1, 2]] = w.market.behaviour.exit_talk_weight
    np.testing.assert_allclose(w.neg_today[:, 0], expected)
    assert evidence(w, "negative", "exit_talk") == pytest.approx(expected.sum())
