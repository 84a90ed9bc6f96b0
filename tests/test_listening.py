"""Listening (sim/listening.py): more listening answers more complaints; public listening answers posts.

Like every mechanism test, on tiny hand-set populations with common random numbers (tests/conftest.py);
none asserts which strategy wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import evidence, make_world

from relsim import listening
from relsim.world import World


def _listening_world(**firm) -> World:
    w = make_world(firm, consumers=1000, provider=0, seed=11)
    w.private_complaints = np.arange(1000)
    w.public_posts = np.array([], dtype=np.int64)
    return w


def test_more_listening_answers_more_complaints() -> None:
    answered = {}
    for share in (0.0, 0.2, 0.8):
        w = _listening_world(listening=share)
        listening.listen(w)
        answered[share] = (w.today["complaints_answered"][0], evidence(w, "positive", "answered"),
                               w.exchanges.copy())
    assert answered[0.0][0] == 0 and answered[0.0][1] == 0
    assert 100 < answered[0.2][0] < answered[0.8][0]
    assert answered[0.8][1] == pytest.approx(answered[0.8][0] * 0.4)  # answer_weight each
    assert ((answered[0.8][2] > 0) | (answered[0.2][2] == 0)).all()


def test_public_listening_answers_public_posts() -> None:
    out = {}
    for public in (0.0, 0.5):
        w = make_world({"public_listening": public, "listening": 0.0}, consumers=500, provider=0,
                       network="watts_strogatz", degree=4)
        w.private_complaints = np.array([], dtype=np.int64)
        w.public_posts = np.arange(0, 500, 5)
        listening.listen(w)
        out[public] = w
    assert out[0.0].today["complaints_answered"][0] == 0
    assert out[0.5].today["complaints_answered"][0] > 20
    assert evidence(out[0.5], "positive", "answered") > 0
    # a public answer is also seen by the poster's neighbours
    assert evidence(out[0.5], "positive", "word_of_mouth") > 0
    assert evidence(out[0.0], "positive", "word_of_mouth") == 0
