"""Voice: private complaints, public posts and advocacy (article ideas 1, 4 and 7).

A customer's direct experience with its provider today (negative evidence D-, positive event
evidence D+, from sim/contacts.py, sim/support.py, sim/fees.py and sim/assortment.py) may become
voice. With voice propensity v_n, public share q_n and x = voice_scale v_n D-:

    private complaint  with probability 1 - exp(-x (1 - q_n) open_f deter_n)
    negative public post with probability 1 - exp(-x (q_n + (1 - q_n) (1 - open_f) redirect_public)
                                                  - retell_scale v_n q_n W-)
    positive public post with probability 1 - exp(-praise_scale v_n q_n D+
                                                  - advocacy_rate/365 v_n q_n exp(advocacy_sensitivity (T_nf - 0.5)))

where W- is the negative word-of-mouth evidence about its provider the consumer heard yesterday:
discussion groups fuel crises because those who read complaints add their own ("me too"), so a burst
of posts can cascade through the network (retelling, sim/word_of_mouth.py).

where open_f is 1 if the firm can be reached at all (inbound_capacity > 0) and deter_n is the fee
deterrent of sim/fees.py: private voice goes through the firm's inbound channel, so fees and a
missing channel silence it (Hirschman 1970; TARP). When there is no channel at all, the share
redirect_public of the private voice goes public instead; voice deterred by a fee is lost.

The second term of the positive post is advocacy: satisfied customers recommend their provider
without any incident, at a rate that grows exponentially with trust T_nf (its value yesterday
evening), so word of mouth is an asymmetric U in satisfaction (Anderson 1998; East, Hammond &
Wright 2007): the dissatisfied complain, the delighted recommend, the middle stays quiet.

Sampling (docs/ODD.md §7.10). Each of the three voices happens on a day with probability 1 - exp(-x_d)
for that day's intensity x_d. A consumer keeps one residual hazard per voice, an Exp(1) draw less the
intensity accumulated since its last use: the voice happens on the day the intensity reaches the
residual, and a new residual is drawn (exact, as the exponential is memoryless). So the voice stream
is drawn once per complaint or post, and each consumer's first complaint threshold is the same in
every arm. Advocacy applies to every customer every day, so each customer's advocacy hazard is added
to its praise residual daily (as churn does, sim/churn.py): the voice stream is still drawn only
when a post happens.
"""

from __future__ import annotations

from numba import njit

from .fees import call_fee, deterrent
from .numerics import exp
from .rand import exponential
from .trust import beta_mean, prior
from .world import (E_PRAISE, E_PRIVATE, E_PUBLIC, L_INBOUND_CAPACITY, L_SUPPORT_FEE, L_SUPPORT_FREE_DAYS, N_PRAISE,
                    N_PRIVATE, N_PUBLIC, R_VOICE, World)


@njit(cache=True, inline="always")
def reachable(inbound_capacity: float) -> float:
    """open_f: 1 if the firm can be reached at all (inbound_capacity > 0), else 0."""
    return 1.0 if inbound_capacity > 0 else 0.0


@njit(cache=True, inline="always")
def private_voice(b, v: float, q: float, negative: float, open_line: float, deter: float) -> float:
    """Today's intensity of a private complaint: x (1 - q) open_f deter, x = voice_scale v D-."""
    return b.voice_scale * v * negative * (1 - q) * open_line * deter


@njit(cache=True, inline="always")
def public_voice(b, v: float, q: float, negative: float, open_line: float, heard: float) -> float:
    """Intensity of a negative public post: x (q + (1 - q)(1 - open_f) redirect_public) + retell_scale v q W-."""
    return (b.voice_scale * v * negative * (q + (1 - q) * (1 - open_line) * b.redirect_public)
            + b.retell_scale * v * q * heard)


@njit(cache=True, inline="always")
def advocacy(b, v: float, q: float, trust: float) -> float:
    """Today's advocacy hazard advocacy_rate/365 v q exp(advocacy_sensitivity (T - 0.5))."""
    return b.advocacy_rate / 365.0 * v * q * exp(b.advocacy_sensitivity * (trust - 0.5))


@njit(cache=True, inline="always")
def praise(b, v: float, q: float, positive: float, advocating: float) -> float:
    """Today's intensity of a positive public post: praise_scale v q D+ plus the advocacy hazard."""
    return b.praise_scale * v * q * positive + advocating


def voice(w: World) -> None:
    """Customers turn today's direct experience into private complaints, public posts or silence."""
    _voice(*w.kernel())


@njit(cache=True)
def _voice(s, b, fa) -> None:
    st = s.streams[R_VOICE]
    n_private = n_public = n_praise = 0
    provider, direct_neg, direct_pos, wom_heard = s.provider, s.direct_neg, s.direct_pos, s.wom_heard
    pos, neg, praise_clock, private_clock, public_clock = s.pos, s.neg, s.praise_clock, s.private_clock, s.public_clock
    public, propensity, sensitivity, tenure = s.public_voice, s.voice_propensity, s.price_sensitivity, s.tenure
    private_buf, public_buf, praise_buf, today = s.private_buf, s.public_buf, s.praise_buf, s.today_arr
    lever, cell = fa.cell_lever, s.cell  # a customer's line and fees are its cell's (docs/ODD.md §7.22)
    a0, advocate = prior(b), b.advocacy_rate > 0
    for n in range(provider.shape[0]):
        f = provider[n]
        if f < 0:
            continue
        q, v = public[n], propensity[n]
        if direct_neg[n] <= 0 and direct_pos[n] <= 0 and wom_heard[n] <= 0:
            # no incident today: only advocacy, every customer's daily hazard on its praise clock
            if advocate and _speaks(praise_clock, n, advocacy(b, v, q, beta_mean(a0, pos[n, f], neg[n, f])), st):
                praise_buf[n_praise] = n
                n_praise += 1
                today[N_PRAISE, f] += 1
            continue
        k = cell[n]
        open_line = reachable(lever[f, k, L_INBOUND_CAPACITY])
        deter = deterrent(b, sensitivity[n], call_fee(lever[f, k, L_SUPPORT_FEE], lever[f, k, L_SUPPORT_FREE_DAYS],
                                                      tenure[n]))
        if _speaks(private_clock, n, private_voice(b, v, q, direct_neg[n], open_line, deter), st):
            private_buf[n_private] = n
            n_private += 1
            today[N_PRIVATE, f] += 1
        if _speaks(public_clock, n, public_voice(b, v, q, direct_neg[n], open_line, wom_heard[n]), st):
            public_buf[n_public] = n
            n_public += 1
            today[N_PUBLIC, f] += 1
        advocating = advocacy(b, v, q, beta_mean(a0, pos[n, f], neg[n, f])) if advocate else 0.0
        if _speaks(praise_clock, n, praise(b, v, q, direct_pos[n], advocating), st):
            praise_buf[n_praise] = n
            n_praise += 1
            today[N_PRAISE, f] += 1
    s.n_events[E_PRIVATE], s.n_events[E_PUBLIC], s.n_events[E_PRAISE] = n_private, n_public, n_praise


@njit(cache=True, inline="always")
def _speaks(residual, n, intensity, st) -> bool:
    """True with probability 1 - exp(-intensity), using and renewing consumer n's residual hazard."""
    if intensity >= residual[n]:
        residual[n] = exponential(st)
        return True
    residual[n] -= intensity
    return False
