"""Listening: detecting and answering complaints (article idea 6; docs/ODD.md §7.12).

"Customer-service hot lines are a source of great insight, but few companies use them for that
purpose." The firm detects each private complaint with probability listening_f and each public post
with probability public_listening_f (a web-monitoring service such as M-3) and answers it: the
complainer gets answer_weight of positive evidence, an intimacy-building exchange (sim/intimacy.py)
and answer_relief of stress relief (sim/stress.py); an answered public post also shows every
neighbour of the poster public_answer_weight of positive evidence (sim/word_of_mouth.py). What the
firm hears then lowers its problem rate (sim/responsiveness.py).

Sampling (docs/ODD.md §7.12). Answers are drawn per complaint on the listening stream.
"""

from __future__ import annotations

from numba import njit

from .rand import uniform
from .responsiveness import _heard, _learn
from .word_of_mouth import tell
from .world import ANSWERED, E_PRIVATE, E_PUBLIC, N_ANSWERED, R_LISTENING, WORD_OF_MOUTH, World, add


def listen(w: World) -> None:
    """Firms detect and answer complaints, and learn from what they hear."""
    _listen(*w.kernel())


@njit(cache=True)
def _listen(s, b, fa) -> None:
    st = s.streams[R_LISTENING]
    for k in range(s.n_events[E_PRIVATE]):
        n = s.private_buf[k]
        if _detects(fa.listening[s.provider[n]], st):
            _answer(s, b, fa, n)
    for k in range(s.n_events[E_PUBLIC]):
        n = s.public_buf[k]
        f = s.provider[n]
        if _detects(fa.public_listening[f], st):
            _answer(s, b, fa, n)
            tell(s, n, f, True, WORD_OF_MOUTH, b.public_answer_weight, False)  # the neighbours see the answer
    _learn(s, b, fa, _heard(s, fa))


@njit(cache=True, inline="always")
def _detects(share, st) -> bool:
    """True with probability `share` (no draw when it is 0 or 1)."""
    return share >= 1.0 or (share > 0.0 and uniform(st) < share)


@njit(cache=True)
def _answer(s, b, fa, n) -> None:
    """The firm answers consumer n: positive evidence, a two-way exchange, stress relief."""
    f = s.provider[n]
    s.today_arr[N_ANSWERED, f] += 1
    if s.observe[1]:  # accounts: the answer's cost (sim/economics.py)
        s.account[n, f] -= fa.cost_per_answer[f]
    add(s, True, ANSWERED, n, f, b.answer_weight, False)
    s.exchanges[n] += 1
    s.relief_in[n] += b.answer_relief
