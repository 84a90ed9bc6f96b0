"""Voice, word of mouth, listening and responsiveness (article ideas 6, 7 and 8).

Voice. A customer's direct experience with its provider today (negative evidence D-, positive event
evidence D+, from sim/contacts.py, sim/support.py and sim/offer.py) may become voice. With voice
propensity v_n, public share q_n and x = voice_scale v_n D-:

    private complaint  with probability 1 - exp(-x (1 - q_n) open_f deter_n)
    negative public post with probability 1 - exp(-x (q_n + (1 - q_n) (1 - open_f) redirect_public)
                                                  - retell_scale v_n q_n W-)
    positive public post with probability 1 - exp(-praise_scale v_n q_n D+)

where W- is the negative word-of-mouth evidence about its provider the consumer heard yesterday:
discussion groups fuel crises because those who read complaints add their own ("me too"), so a burst
of posts can cascade through the network (retelling).

where open_f is 1 if the firm can be reached at all (inbound_capacity > 0) and deter_n is the fee
deterrent of sim/support.py: private voice goes through the firm's inbound channel, so fees and a
missing channel silence it (Hirschman 1970; TARP). When there is no channel at all, the share
redirect_public of the private voice goes public instead; voice deterred by a fee is lost.

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
"""

from __future__ import annotations

import numpy as np

from sim.population import neighbour_counts
from sim.support import fee_deterrence
from sim.world import World


def _chance(intensity: np.ndarray) -> np.ndarray:
    return -np.expm1(-intensity)


def voice(w: World) -> None:
    """Customers turn today's direct experience into private complaints, public posts or silence."""
    b, t = w.market.behaviour, w.traits
    u = w.rng["voice"].random((3, w.n))
    rows = np.flatnonzero((w.provider >= 0) & ((w.direct_neg > 0) | (w.direct_pos > 0) | (w.wom_heard > 0)))
    firms = w.provider[rows]
    q = t.public_voice[rows]
    reachable = (w.firms.inbound_capacity[firms] > 0).astype(float)
    x = b.voice_scale * t.voice_propensity[rows] * w.direct_neg[rows]
    private = u[0, rows] < _chance(x * (1 - q) * reachable * fee_deterrence(w, rows))
    social = b.retell_scale * t.voice_propensity[rows] * q * w.wom_heard[rows]
    public = u[1, rows] < _chance(x * (q + (1 - q) * (1 - reachable) * b.redirect_public) + social)
    praise = u[2, rows] < _chance(b.praise_scale * t.voice_propensity[rows] * q * w.direct_pos[rows])
    w.private_complaints, w.public_posts, w.praise_posts = rows[private], rows[public], rows[praise]
    w.count("complaints_private", firms[private])
    w.count("complaints_public", firms[public])
    w.count("posts_positive", firms[praise])


def _spread(w: World, sign: str, cause: str, sources: np.ndarray, firms: np.ndarray, weight: float) -> np.ndarray:
    """Give every neighbour of each source `weight` of evidence about the source's firm.

    Returns the evidence each consumer received about its own provider.
    """
    about_provider = np.zeros(w.n)
    for f in np.unique(firms):
        heard = neighbour_counts(w.adj, sources[firms == f])
        rows = np.flatnonzero(heard)
        w.add(sign, cause, rows, np.full(len(rows), f), weight * heard[rows])
        own = rows[w.provider[rows] == f]
        about_provider[own] = weight * heard[own]
    return about_provider


def word_of_mouth(w: World) -> None:
    """Public posts and yesterday's defections reach the network neighbours."""
    b = w.market.behaviour
    w.wom_heard = _spread(w, "negative", "word_of_mouth", w.public_posts, w.provider[w.public_posts],
                          b.wom_negative_weight)
    _spread(w, "positive", "word_of_mouth", w.praise_posts, w.provider[w.praise_posts], b.wom_positive_weight)
    left, firms = w.defections
    _spread(w, "negative", "exit_talk", left, firms, b.exit_talk_weight)


def listen(w: World) -> None:
    """Firms detect and answer complaints, and learn from what they hear."""
    b, fa = w.market.behaviour, w.firms
    u = w.rng["listening"].random((2, w.n))
    private, public = w.private_complaints, w.public_posts
    answered_private = private[u[0, private] < fa.listening[w.provider[private]]]
    answered_public = public[u[1, public] < fa.public_listening[w.provider[public]]]
    answered = np.r_[answered_private, answered_public]
    firms = w.provider[answered]
    w.count("complaints_answered", firms)
    # a consumer may have complained privately and publicly: one answer each
    w.add("positive", "answered", answered_private, w.provider[answered_private], b.answer_weight)
    w.add("positive", "answered", answered_public, w.provider[answered_public], b.answer_weight)
    np.add.at(w.exchanges, answered, 1)
    np.add.at(w.relief_in, answered, b.answer_relief)
    _spread(w, "positive", "word_of_mouth", answered_public, w.provider[answered_public], b.public_answer_weight)
    learn(w, w.today["complaints_answered"] + fa.listening * w.today["tickets_reached"])


def learn(w: World, heard: np.ndarray) -> None:
    """Responsiveness: what the firm hears lowers its root-cause problem rate towards a floor."""
    b, fa = w.market.behaviour, w.firms
    floor = b.problem_floor * fa.problem_rate
    per_customer = heard / np.maximum(w.customers, 1)
    w.problem_rate = floor + (w.problem_rate - floor) * np.exp(-b.learning_rate * fa.responsiveness * per_customer)
