"""The pattern battery: the runs that measure every pattern of patterns.py for one parameter set and seed.

`measure` computes all of them from six runs of the calibration market on one seed: a day-stepped run
that observes episodes, word of mouth and defections; two runs at other contact rates (the inverted U);
and three runs with and without 2% dissatisfied customers and word of mouth (the NPV of bad news).
`simulate_curve` runs the same market for a retention curve alone.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from relsim._cache import ensure_fresh
from relsim.params import CHANNELS, Market, Strategy
from relsim.recorder import column
from relsim.trust import beta_mean, prior
from relsim.vectorized import _days
from relsim.world import E_DEFECTIONS, E_PRAISE, E_PUBLIC

from .observers import LEMON_SEVERITY, ContagionTracker, _contagion_day, _spoil, episode_outcomes, lemons, spoil_lemons
from .space import with_values

ensure_fresh(Path(__file__).resolve().parent / "__pycache__")  # the battery's compiled days hold copies of the rules

__all__ = ["BATTERY_DAYS", "Battery", "make_battery", "measure", "simulate_curve"]


BATTERY_DAYS = 1095
RATIO_CAP = 100.0
CONTACT_DAYS = 730
ASYMMETRY_DAY = 120  # the day on which the trust asymmetry is read
SURVEY_WINDOW = 91  # days: the churn-by-trust pattern surveys trust every quarter and counts churn in the quarter after
SURVEY_DAYS = tuple(range(0, BATTERY_DAYS - SURVEY_WINDOW + 1, SURVEY_WINDOW))  # days 0, 91, ..., 1001
CONTACT_RATES = (0.0, 90.0)  # contacts a year, in the focal strategy's channel mix, against its own rates


@dataclasses.dataclass(frozen=True)
class Battery:
    """The calibration market: a monopoly whose one firm plays `middle`, at a given size."""

    market: Market
    focal: Strategy
    consumers: int
    days: int = BATTERY_DAYS
    curve_days: tuple[int, ...] = ()  # days at which to report the day-0 cohort's survival (a retention curve)
    facts: bool = True  # measure the fact patterns; False: the retention curve alone, from one plain run


def make_battery(consumers: int = 1500, *, market: str = "monopoly", overrides: Sequence[str] = (),
                 curve_days: Sequence[int] = (), facts: bool = True) -> Battery:
    """Compose the calibration market like `relsim market=<market> market.rivals=[] market.consumers=<n>
    <overrides>`: the market's consumers, with the focal firm (`middle`) alone. With `facts=False` the battery
    measures only the retention curve at `curve_days` (one run as long as the curve)."""
    from ..plumbing.config import load

    if not facts and not curve_days:
        raise ValueError("a battery without the fact patterns needs curve_days")
    spec = load([f"market={market}", "market.rivals=[]", f"market.consumers={consumers}", *overrides])
    days = max(BATTERY_DAYS if facts else 0, max(curve_days, default=0))
    return Battery(spec.market, spec.strategies["middle"], consumers, days, tuple(int(d) for d in curve_days), facts)


def _model(battery: Battery, market: Market, seed: int, days: int, focal: Strategy | None = None,
           record_episodes: bool = False, day0=None):
    from relsim.model import RelationshipModel

    return RelationshipModel(focal or battery.focal, market, rivals=[], days=days, rng=seed, consumer_agents=False,
                             record_episodes=record_episodes, collect=False, day0=day0)


def _npv(model, day: int) -> float:
    return float(model.recorder.values[day - 1, 0, column("npv")])


def _survival(model, days: Sequence[int]) -> dict[str, float]:
    """The day-0 cohort's surviving share on each of `days` (the retention curve's statistics)."""
    surviving = model.recorder.surviving[:, 0]
    return {f"survival_{day}": float(surviving[day] / surviving[0]) for day in days}


def _lemon_npv(battery: Battery, market: Market, seed: int, share: float, day0=None) -> float:
    return _lemon_run(battery, market, seed, share, day0)[0]


def _lemon_run(battery: Battery, market: Market, seed: int, share: float, day0=None):
    """The focal firm's NPV after CONTACT_DAYS with a share of lemons, and the run's day-0 world (for the next run on
    the same market and seed: `day0`, RelationshipModel's)."""
    model = _model(battery, market, seed, CONTACT_DAYS, day0=day0)
    start = day0 if day0 is not None else model.world.copy()
    lemon = lemons(model.world, share, seed)
    spoil_lemons(model.world, lemon)
    model.advance(CONTACT_DAYS, _lemon_days, (lemon, LEMON_SEVERITY))  # spoiling them again after each day
    return _npv(model, CONTACT_DAYS), start


@njit(cache=True)
def _lemon_days(s, b, fa, values, evidence, surviving, cohort_size, episodes, departures, logged, n, lemon, severity):
    """Days of the model (sim/vectorized.py:_days), the lemons spoiled after each (`RelationshipModel.advance`)."""
    provider, open_severity, open_days, calls, seeking = s.provider, s.open_severity, s.open_days, s.calls, s.seeking
    for k in range(n):
        if not _days(s, b, fa, values, evidence, surviving, cohort_size, episodes, departures, logged, 1):
            return k
        _spoil(provider, open_severity, open_days, calls, seeking, lemon, severity)
    return n


@njit(cache=True)
def _observed_days(s, b, fa, values, evidence, surviving, cohort_size, episodes, departures, logged, n,
                   before, last, events, totals, adj_ptr, adj_idx, bins, period, left,
                   first, final, negative, positive, satisfaction, stayed):
    """Days of the battery's day-stepped run (sim/vectorized.py:_days), each observed: the contagion tracker's day
    (observers.py:_contagion_day), and on days `first` < day <= `final` each consumer's negative and positive public
    posts, its trust in its provider (0.5 without one) and whether it stayed a customer of the focal firm throughout."""
    provider, a0 = s.provider, prior(b)
    for k in range(n):
        before[:] = provider
        if not _days(s, b, fa, values, evidence, surviving, cohort_size, episodes, departures, logged, 1):
            return k
        day, n_events = s.clock[0], s.n_events
        gone = n_events[E_DEFECTIONS]
        _contagion_day(before, last, events, totals, adj_ptr, adj_idx, bins, period, left, s.defect_buf[:gone],
                       s.defect_firm[:gone], day)
        if first < day <= final:
            pos, neg, public, praise = s.pos, s.neg, s.public_buf, s.praise_buf
            for i in range(n_events[E_PUBLIC]):
                negative[public[i]] += 1
            for i in range(n_events[E_PRAISE]):
                positive[praise[i]] += 1
            for m in range(len(provider)):
                f = provider[m]
                stayed[m] = stayed[m] and f == 0
                satisfaction[m] += beta_mean(a0, pos[m, f], neg[m, f]) if f >= 0 else 0.5
    return n


def measure(battery: Battery, values: Mapping[str, float], seed: int) -> dict[str, float]:
    """Every pattern's statistic (and the retention curve, `survival_<day>`) for one seed; only the curve when
    the battery has no facts."""
    market = with_values(battery.market, values)
    if not battery.facts:
        return _survival(_model(battery, market, seed, battery.days).run(), battery.curve_days)
    run = _observe(battery, market, seed)  # 1. the day-stepped run
    out = {**run.asymmetry, **_tenure_and_voice(run.model, battery), **_complaint_outcomes(run.model, battery.days),
           **_word_of_mouth(run), **_contagion(run.tracker), **_churn_by_trust(run)}
    # the contact and NPV runs on this market start from the day-stepped run's day 0, not drawn again
    out.update(_contact_arms(battery, market, seed, run.model, run.day0))  # 2. the contact volume's inverted U
    out["bad_news_excess"] = _bad_news(battery, market, seed, run.model, run.day0)  # 3. the NPV of bad news
    return out


@dataclasses.dataclass
class _Observed:
    """The day-stepped run and what was observed along the way."""

    model: Any
    tracker: ContagionTracker  # churn by time since a neighbour left
    asymmetry: dict[str, float]  # trust asymmetry on day 120
    neg: np.ndarray  # in year 2, per consumer: negative public posts,
    pos: np.ndarray  # positive ones,
    satisfaction: np.ndarray  # trust in the provider summed over the days,
    stayed: np.ndarray  # and whether a customer of the focal firm all year
    day0: Any = None  # the run's day-0 world (World.copy()), for the other runs on the same market and seed
    trust_before: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)  # by survey day (SURVEY_DAYS):
    # each consumer's trust in the focal firm (NaN: not its customer)


def _observe(battery: Battery, market: Market, seed: int) -> _Observed:
    """Run the battery day by day, observing episodes, word of mouth in year 2, defections, and the trust
    asymmetry on day 120."""
    model = _model(battery, market, seed, battery.days, record_episodes=True)
    w = model.world
    seen = _Observed(model, ContagionTracker(w, battery.days), {}, np.zeros(w.n), np.zeros(w.n), np.zeros(w.n),
                     np.ones(w.n, dtype=bool), w.copy())
    # each day observed in compiled code (_observed_days): the tracker's day, and year 2's posts, satisfaction, stayers
    observed = (*seen.tracker.arrays(), 365, 730, seen.neg, seen.pos, seen.satisfaction, seen.stayed)
    for day in sorted({ASYMMETRY_DAY, *SURVEY_DAYS}):
        model.advance(day - w.day, _observed_days, observed)
        if day == ASYMMETRY_DAY:
            seen.asymmetry["asymmetry"] = _asymmetry(w, market.behaviour)
        if day in SURVEY_DAYS:  # a survey of trust, followed by SURVEY_WINDOW days
            seen.trust_before[day] = _focal_trust(w, market.behaviour)
    model.advance(battery.days - w.day, _observed_days, observed)
    return seen


def _focal_trust(w, b) -> np.ndarray:
    """Each consumer's trust in the focal firm today if it is the firm's customer, NaN otherwise."""
    return np.where(w.provider == 0, beta_mean.py_func(prior.py_func(b), w.pos[:, 0], w.neg[:, 0]), np.nan)


def _asymmetry(w, b) -> float:
    """Trust lost to one negative event over trust gained from an equal positive one, on the focal firm's
    customers' evidence today."""
    rows = np.flatnonzero(w.provider == 0)
    if not rows.size:  # the focal firm has no customers left (a prior draw of fierce churn): no statistic
        return math.nan
    a0, n0 = prior.py_func(b) + w.pos[rows, 0], prior.py_func(b) + w.neg[rows, 0]
    trust = a0 / (a0 + n0)
    gain = np.mean((a0 + 1) / (a0 + 1 + n0) - trust)
    drop = np.mean(trust - a0 / (a0 + n0 + b.negativity_bias))
    return float(drop / gain)


def _tenure_and_voice(model, battery: Battery) -> dict[str, float]:
    """Retention rising with tenure, the retention curve's points, and private complaints per problem."""
    surviving = model.recorder.surviving[:, 0]
    yearly = surviving[[0, 365, 730, 1095]]
    out = {"retention_rise": float(yearly[3] / yearly[2] - yearly[1] / yearly[0]) if yearly[2] > 0 else math.nan,
           **_survival(model, battery.curve_days)}
    runs = model.recorder.values[: model.recorder.day, 0]
    out["complaints_per_problem"] = float(runs[:, column("complaints_private")].sum()
                                          / max(runs[:, column("problems")].sum(), 1))
    return out


def _complaint_outcomes(model, days: int) -> dict[str, float]:
    """TARP's order: one-year retention after a problem by how it ended (quick, resolved, unresolved, silent)."""
    from relsim.world import EPISODE_OUTCOMES

    ep = episode_outcomes(model, 365, days)
    ep = ep.loc[ep["firm"] == 0]
    kept = ep["stayed"].to_numpy()
    by = {o: kept[(ep["outcome"] == o).to_numpy()] for o in EPISODE_OUTCOMES}
    share = [float(by[o].mean()) if len(by[o]) >= 10 else math.nan for o in EPISODE_OUTCOMES]
    return {"tarp_quick_resolved": share[0] - share[1], "tarp_resolved_unresolved": share[1] - share[2],
            "tarp_unresolved_silent": share[2] - share[3]}


def _word_of_mouth(run: _Observed) -> dict[str, float]:
    """Anderson's U: posts per customer-year by decile of satisfaction, and negative posts per positive one."""
    out = {}
    stayed, neg, pos = run.stayed, run.neg, run.pos
    total = (neg + pos)[stayed]
    if stayed.sum() >= 100:
        decile = np.minimum((np.argsort(np.argsort(run.satisfaction[stayed])) * 10) // len(total), 9)
        talk = np.bincount(decile, total, 10) / np.bincount(decile, minlength=10)
        middle, most = float(talk[3:7].min()), float(talk[-1])
        # ratios capped at RATIO_CAP: a decile that never talks would make them infinite
        out["wom_least_over_middle"] = min(talk[0] / max(middle, 1e-12), RATIO_CAP)
        out["wom_most_over_middle"] = min(most / max(middle, 1e-12), RATIO_CAP)
        out["wom_least_over_most"] = min(talk[0] / max(most, 1e-12), RATIO_CAP)
    out["wom_negative_per_positive"] = float(neg[stayed].sum() / max(pos[stayed].sum(), 1))
    return out


def _churn_by_trust(run: _Observed) -> dict[str, float]:
    """Churn by satisfaction, surveyed before it: the focal firm's customers on each survey day (every quarter),
    ranked by their trust in it that day, and whether each left it within the quarter after. Churn is fitted
    log-linear in the rank (`rank_churn_ratio`); the statistic is the fitted churn of the least trusting fifth's
    middle (rank 0.1) over the most trusting fifth's (rank 0.9)."""
    left = run.model.recorder.departure_rows()
    left = left[left[:, 1] == 0]
    ranks, gone = [], []
    for day, trust in run.trust_before.items():
        rows = np.flatnonzero(np.isfinite(trust))
        if rows.size < 100:
            continue
        order = np.argsort(np.argsort(trust[rows], kind="stable"), kind="stable")
        ranks.append((order + 0.5) / rows.size)
        out = left[(left[:, 2] > day) & (left[:, 2] <= day + SURVEY_WINDOW), 0]
        gone.append(np.isin(rows, out))
    if not ranks:
        return {"churn_least_over_most": math.nan}
    return {"churn_least_over_most": rank_churn_ratio(np.concatenate(ranks), np.concatenate(gone))}


def rank_churn_ratio(rank: np.ndarray, gone: np.ndarray, iterations: int = 25) -> float:
    """exp(0.8 b) of the Poisson fit churn = exp(a + b x) to `gone` (0/1) at rank `x` in [0, 1] (Newton's method on
    the log-likelihood, from b = 0): the churn at rank 0.1 over the churn at rank 0.9, less noisy than the two
    fifths' raw shares because every customer informs the slope. Capped at [1 / RATIO_CAP, RATIO_CAP] (a fit that
    diverges, every leaver at one end, gives the cap); NaN without a leaver."""
    y = gone.astype(float)
    if y.sum() == 0:
        return math.nan
    x = 0.9 - np.asarray(rank, dtype=float)  # rises towards the least trusting
    a, bb = math.log(y.mean()), 0.0
    limit = math.log(RATIO_CAP) / 0.8  # a slope beyond it gives a capped ratio (all leavers at one end: no finite fit)
    for _ in range(iterations):
        mu = np.exp(np.clip(a + bb * x, -50, 50))
        grad = np.array([np.sum(y - mu), np.sum((y - mu) * x)])
        hess = np.array([[mu.sum(), (mu * x).sum()], [(mu * x).sum(), (mu * x * x).sum()]])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        a, bb = a + step[0], bb + step[1]
        if not math.isfinite(bb) or abs(step[1]) < 1e-10:
            break
    if not math.isfinite(bb):
        return math.nan
    return float(math.exp(0.8 * min(max(bb, -limit), limit)))


def _contagion(tracker: ContagionTracker) -> dict[str, float]:
    """Churn contagion: the hazard ratio in the first month after a neighbour left, and how it fades."""
    from relsim.analysis.facts import logistic_hazard_ratios

    with np.errstate(all="ignore"):  # no exposure in a window: an infinite or undefined ratio, NaN below
        hr, _ = logistic_hazard_ratios(tracker.events, tracker.totals)
        decay = hr[0] - hr[3]
    return {"contagion_first_month": float(hr[0]), "contagion_decay": float(decay)}


def _contact_arms(battery: Battery, market: Market, seed: int, model, day0=None) -> dict[str, float]:
    """The contact volume's inverted U: two-year retention at the focal strategy's own contact rate (`model`)
    against the same seed at no contact and at heavy contact (from `model`'s day 0, `day0`, when given)."""
    surviving = model.recorder.surviving[:, 0]
    base = surviving[CONTACT_DAYS] / surviving[0]
    out = {}
    for rate, key in zip(CONTACT_RATES, ("contact_rising_arm", "contact_falling_arm"), strict=True):
        scale = rate / battery.focal.contacts_per_year if battery.focal.contacts_per_year else 0.0
        focal = dataclasses.replace(battery.focal, **{f"{c}_rate": r * scale for c, r in
                                                      zip(CHANNELS, battery.focal.rates, strict=True)})
        m = _model(battery, market, seed, CONTACT_DAYS, focal=focal, day0=day0).run()
        s = m.recorder.surviving[:, 0]
        out[key] = float(base - s[CONTACT_DAYS] / s[0])
    return out


def _bad_news(battery: Battery, market: Market, seed: int, model, day0=None) -> float:
    """The NPV of bad news: the NPV lost to 2% dissatisfied customers with word of mouth (against `model`, whose day 0
    is `day0` when given) minus twice the loss without it (the two quiet runs share one day 0)."""
    quiet = dataclasses.replace(market, network=dataclasses.replace(market.network, degree=0))
    npv_base = _npv(model, CONTACT_DAYS)
    loss_wom = (npv_base - _lemon_npv(battery, market, seed, 0.02, day0)) / abs(npv_base)
    npv_quiet, quiet0 = _lemon_run(battery, quiet, seed, 0.0)
    loss_direct = (npv_quiet - _lemon_npv(battery, quiet, seed, 0.02, quiet0)) / abs(npv_quiet)
    return float(loss_wom - 2 * loss_direct)


def simulate_curve(battery: Battery, period_days: int, periods: int, draw: tuple[Mapping[str, float], int]
                   ) -> np.ndarray:
    """The day-0 cohort's surviving share at periods 0 ... `periods` for one (values, seed) draw."""
    values, seed = draw
    days = periods * period_days
    model = _model(battery, with_values(battery.market, values), seed, days).run()
    s = model.recorder.surviving[:, 0]
    return s[:: period_days][: periods + 1] / s[0]
