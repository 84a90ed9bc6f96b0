"""Random numbers for the vectorized engine: one small xoshiro256** generator per stochastic process.

The vectorized engine samples only the events that happen, inside compiled loops, so it needs a
generator it can call from those loops and whose state belongs to one World (two models stepped in
turn never share a stream). xoshiro256** (Blackman & Vigna 2021) is four 64-bit words of state per
stream; each stream is seeded from its own child of the run's `numpy.random.SeedSequence`, so a
seed fully determines every draw, on any machine.

Besides uniforms, the samplers used by the event-sparse rules are:

- `exponential`: an Exp(1) "residual hazard". An event whose daily probability is 1 - exp(-h_t)
  happens on the first day the accumulated hazard reaches an Exp(1) threshold; keeping only the
  residual (threshold minus hazard so far) gives exactly the daily probabilities, with one draw per
  event instead of one per day (memorylessness).
- `geometric`: the number of days (or consumers) to the next success of independent trials with
  probability p, so a Bernoulli(p) process is walked from one event to the next ("skip sampling").
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: A day that never comes (no event scheduled).
NEVER = np.int64(2**62)

_U53 = 1.0 / 9007199254740992.0  # 2**-53


def seed_streams(seeds: list[np.random.SeedSequence]) -> np.ndarray:
    """State array (one row of four uint64 words per stream) from SeedSequences."""
    state = np.stack([s.generate_state(4, np.uint64) for s in seeds])
    state[(state == 0).all(axis=1), 0] = np.uint64(1)  # the all-zero state is the one forbidden state
    return state


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True)
def next_u64(st):
    """The next 64 random bits of stream `st` (a uint64[4] row), advancing it."""
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    st[0], st[1], st[2], st[3] = s0, s1, s2, s3
    return result


@njit(cache=True)
def uniform(st) -> float:
    """U[0, 1) with 53 random bits."""
    return float(next_u64(st) >> np.uint64(11)) * _U53


@njit(cache=True, inline="always")
def _mix(z):
    """splitmix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64 bits that scatters them."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def keyed_uniform(st, a: int, b: int, c: int) -> float:
    """U[0, 1) that depends only on stream `st`'s words and the integers (a, b, c), not on draw order.

    A counter-based draw (the stream is read, never advanced): the same key gives the same number in
    every arm of a comparison, however many other events happened, so an event keyed by
    (consumer, firm, day) stays paired across arms whenever it can happen in both.
    """
    z = _mix(st[0] ^ (np.uint64(a) * np.uint64(0x9E3779B97F4A7C15)))
    z = _mix(z ^ st[1] ^ (np.uint64(b) * np.uint64(0xC2B2AE3D27D4EB4F)))
    z = _mix(z ^ st[2] ^ (np.uint64(c) * np.uint64(0x165667B19E3779F9)))
    return float(z >> np.uint64(11)) * _U53


@njit(cache=True)
def open_uniform(st) -> float:
    """U(0, 1): never exactly 0 or 1."""
    return (float(next_u64(st) >> np.uint64(11)) + 0.5) * _U53


@njit(cache=True)
def exponential(st) -> float:
    """Exp(1), strictly positive."""
    return -np.log(open_uniform(st))


@njit(cache=True)
def geometric(st, p: float) -> int:
    """Trials up to and including the first success, each a success with probability p (>= 1)."""
    return skip(st, np.log1p(-min(p, 1.0)))


@njit(cache=True, inline="always")
def skip(st, log_q: float) -> int:
    """`geometric` for a precomputed log_q = log(1 - p): the next success of a Bernoulli(p) walk."""
    if log_q == -np.inf:
        return 1
    if log_q >= 0.0:
        return NEVER
    k = np.floor(np.log(open_uniform(st)) / log_q)
    return NEVER if k >= 4e18 else 1 + np.int64(k)


@njit(cache=True)
def choose(weights, u: float) -> int:
    """Index k with probability proportional to weights[k], using the uniform u."""
    total = 0.0
    for w in weights:
        total += w
    target = max(u, 1e-300) * total
    acc = 0.0
    for k in range(len(weights)):
        acc += weights[k]
        if acc >= target:
            return k
    return len(weights) - 1
