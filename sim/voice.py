"""Voice, word of mouth, listening and responsiveness (article ideas 6, 7 and 8).

Voice. A customer's direct experience with its provider today (negative evidence D-, positive event
evidence D+, from sim/contacts.py, sim/support.py and sim/offer.py) may become voice. With voice
propensity v_n, public share q_n and x = voice_scale v_n D-:

    private complaint  with probability 1 - exp(-x (1 - q_n) open_f deter_n)
    negative public post with probability 1 - exp(-x (q_n + (1 - q_n) (1 - open_f) redirect_public)
                                                  - retell_scale v_n q_n W-)
    positive public post with probability 1 - exp(-praise_scale v_n q_n D+
                                                  - advocacy_rate/365 v_n q_n exp(advocacy_sensitivity (T_nf - 0.5)))

where W- is the negative word-of-mouth evidence about its provider the consumer heard yesterday:
discussion groups fuel crises because those who read complaints add their own ("me too"), so a burst
of posts can cascade through the network (retelling).

where open_f is 1 if the firm can be reached at all (inbound_capacity > 0) and deter_n is the fee
deterrent of sim/support.py: private voice goes through the firm's inbound channel, so fees and a
missing channel silence it (Hirschman 1970; TARP). When there is no channel at all, the share
redirect_public of the private voice goes public instead; voice deterred by a fee is lost.

The second term of the positive post is advocacy: satisfied customers recommend their provider
without any incident, at a rate that grows exponentially with trust T_nf (its value yesterday
evening), so word of mouth is an asymmetric U in satisfaction (Anderson 1998; East, Hammond &
Wright 2007): the dissatisfied complain, the delighted recommend, the middle stays quiet.

Word of mouth. A public post reaches the poster's network neighbours (discussion groups): each
negative post about firm f is wom_negative_weight of negative evidence about f to every neighbour,
each positive post wom_positive_weight of positive evidence. A consumer who left a firm yesterday
tells its neighbours: exit_talk_weight of negative evidence about that firm each. Only the posters'
adjacency rows are summed, so the cost follows the posts, not the network's size.

Listening. "Customer-service hot lines are a source of great insight, but few companies use them for
that purpose." The firm detects each private complaint with probability listening_f and each public
post with probability public_listening_f (a web-monitoring service such as M-3) and answers it: the
complainer gets answer_weight of positive evidence, an intimacy-building exchange and stress relief;
an answered public post also shows every neighbour of the poster public_answer_weight of positive
evidence.

Responsiveness. "Soap opera writers regularly monitor viewers' reactions to evolving story lines."
What the firm hears, H_f (answered complaints plus listening_f x calls reached), lowers its
root-cause problem rate towards a floor (problem_floor x the day-0 rate):

    rate_f <- floor_f + (rate_f - floor_f) exp(-learning_rate x responsiveness_f x H_f / customers_f)

Sampling (docs/ODD.md §7.10). Each of the three voices happens on a day with probability 1 - exp(-x_d)
for that day's intensity x_d. A consumer keeps one residual hazard per voice, an Exp(1) draw less the
intensity accumulated since its last use: the voice happens on the day the intensity reaches the
residual, and a new residual is drawn (exact, as the exponential is memoryless). So the voice stream
is drawn once per complaint or post, and each consumer's first complaint threshold is the same in
every arm. Advocacy applies to every customer every day, so each customer's advocacy hazard is added
to its praise residual daily (as churn does, sim/churn.py): the voice stream is still drawn only
when a post happens. Answers are drawn per complaint on the listening stream.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from relsim.rand import exponential, uniform
from relsim.support import deterrent
from relsim.trust import beta_mean
from relsim.world import (ANSWERED, E_DEFECTIONS, E_PRAISE, E_PRIVATE, E_PUBLIC, EXIT_TALK, N_ANSWERED, N_PRAISE,
                       N_PRIVATE, N_PUBLIC, N_REACHED, R_LISTENING, R_VOICE, WORD_OF_MOUTH, World, add)


def voice(w: World) -> None:
    """Customers turn today's direct experience into private complaints, public posts or silence."""
    _voice(*w.kernel())


@njit(cache=True)
def _voice(s, b, fa) -> None:
    st = s.streams[R_VOICE]
    n_private = n_public = n_praise = 0
    provider, direct_neg, direct_pos, wom_heard = s.provider, s.direct_neg, s.direct_pos, s.wom_heard
    pos, neg, praise_clock = s.pos, s.neg, s.praise_clock
    a0, advocate = b.prior_evidence / 2.0, b.advocacy_rate > 0
    for n in range(provider.shape[0]):
        f = provider[n]
        if f < 0:
            continue
        q, v = s.public_voice[n], s.voice_propensity[n]
        if direct_neg[n] <= 0 and direct_pos[n] <= 0 and wom_heard[n] <= 0:
            # no incident today: only advocacy, every customer's daily hazard on its praise clock
            if advocate and _speaks(praise_clock, n, _advocacy(b, v, q, beta_mean(a0, pos[n, f], neg[n, f])), st):
                s.praise_buf[n_praise] = n
                n_praise += 1
                s.today_arr[N_PRAISE, f] += 1
            continue
        reachable = 1.0 if fa.inbound_capacity[f] > 0 else 0.0
        x = b.voice_scale * v * s.direct_neg[n]
        if _speaks(s.private_clock, n, x * (1 - q) * reachable * deterrent(s, b, fa, n), st):
            s.private_buf[n_private] = n
            n_private += 1
            s.today_arr[N_PRIVATE, f] += 1
        retold = b.retell_scale * v * q * s.wom_heard[n]
        if _speaks(s.public_clock, n, x * (q + (1 - q) * (1 - reachable) * b.redirect_public) + retold, st):
            s.public_buf[n_public] = n
            n_public += 1
            s.today_arr[N_PUBLIC, f] += 1
        praised = b.praise_scale * v * q * s.direct_pos[n]
        if advocate:
            praised += _advocacy(b, v, q, beta_mean(a0, pos[n, f], neg[n, f]))
        if _speaks(praise_clock, n, praised, st):
            s.praise_buf[n_praise] = n
            n_praise += 1
            s.today_arr[N_PRAISE, f] += 1
    s.n_events[E_PRIVATE], s.n_events[E_PUBLIC], s.n_events[E_PRAISE] = n_private, n_public, n_praise


@njit(cache=True, inline="always")
def _advocacy(b, v: float, q: float, trust: float) -> float:
    """Today's advocacy hazard advocacy_rate/365 v q exp(advocacy_sensitivity (T - 0.5))."""
    return b.advocacy_rate / 365.0 * v * q * np.exp(b.advocacy_sensitivity * (trust - 0.5))


@njit(cache=True, inline="always")
def _speaks(residual, n, intensity, st) -> bool:
    """True with probability 1 - exp(-intensity), using and renewing consumer n's residual hazard."""
    if intensity >= residual[n]:
        residual[n] = exponential(st)
        return True
    residual[n] -= intensity
    return False


def word_of_mouth(w: World) -> None:
    """Public posts and yesterday's defections reach the network neighbours."""
    _word_of_mouth(*w.kernel())


@njit(cache=True)
def _word_of_mouth(s, b, fa) -> None:
    s.wom_heard[:] = 0.0
    for k in range(s.n_events[E_PUBLIC]):
        m = s.public_buf[k]
        _tell(s, m, s.provider[m], False, WORD_OF_MOUTH, b.wom_negative_weight, True)
    for k in range(s.n_events[E_PRAISE]):
        m = s.praise_buf[k]
        _tell(s, m, s.provider[m], True, WORD_OF_MOUTH, b.wom_positive_weight, False)
    for k in range(s.n_events[E_DEFECTIONS]):
        _tell(s, s.defect_buf[k], s.defect_firm[k], False, EXIT_TALK, b.exit_talk_weight, False)


@njit(cache=True)
def _tell(s, m, f, positive, cause, weight, heard) -> None:
    """Every neighbour of consumer m gets `weight` of evidence about firm f (only m's adjacency row is read).

    With `heard`, a neighbour who is a customer of f keeps it as W- for tomorrow's voice (retelling).
    """
    for j in range(s.adj_ptr[m], s.adj_ptr[m + 1]):
        k = s.adj_idx[j]
        add(s, positive, cause, k, f, weight, False)
        if heard and s.provider[k] == f:
            s.wom_heard[k] += weight


def listen(w: World) -> None:
    """Firms detect and answer complaints, and learn from what they hear."""
    _listen(*w.kernel())


@njit(cache=True)
def _listen(s, b, fa) -> None:
    st = s.streams[R_LISTENING]
    for k in range(s.n_events[E_PRIVATE]):
        n = s.private_buf[k]
        if _detects(fa.listening[s.provider[n]], st):
            _answer(s, b, n)
    for k in range(s.n_events[E_PUBLIC]):
        n = s.public_buf[k]
        f = s.provider[n]
        if _detects(fa.public_listening[f], st):
            _answer(s, b, n)
            _tell(s, n, f, True, WORD_OF_MOUTH, b.public_answer_weight, False)  # the neighbours see the answer
    _learn(s, b, fa, s.today_arr[N_ANSWERED] + fa.listening * s.today_arr[N_REACHED])


@njit(cache=True, inline="always")
def _detects(share, st) -> bool:
    return share >= 1.0 or (share > 0.0 and uniform(st) < share)


@njit(cache=True)
def _answer(s, b, n) -> None:
    """The firm answers consumer n: positive evidence, a two-way exchange, stress relief."""
    f = s.provider[n]
    s.today_arr[N_ANSWERED, f] += 1
    add(s, True, ANSWERED, n, f, b.answer_weight, False)
    s.exchanges[n] += 1
    s.relief_in[n] += b.answer_relief


def learn(w: World, heard: np.ndarray) -> None:
    """Responsiveness: what the firm hears lowers its root-cause problem rate towards a floor."""
    _learn(*w.kernel(), np.asarray(heard, dtype=float))


@njit(cache=True)
def _learn(s, b, fa, heard) -> None:
    for f in range(len(heard)):
        floor = b.problem_floor * fa.problem_rate[f]
        per_customer = heard[f] / max(s.firm_customers[f], 1)
        s.problem_rate[f] = floor + (s.problem_rate[f] - floor) * np.exp(
            -b.learning_rate * fa.responsiveness[f] * per_customer)
