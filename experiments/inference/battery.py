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
from typing import Any

import numpy as np

from relsim.params import Market, Strategy
from relsim.recorder import column

from .observers import ContagionTracker, episode_outcomes, lemons, spoil_lemons
from .space import with_values

__all__ = ["BATTERY_DAYS", "Battery", "make_battery", "measure", "simulate_curve"]


BATTERY_DAYS = 1095
RATIO_CAP = 100.0
CONTACT_DAYS = 730
CONTACT_RATES = (0.0, 90.0)  # against the focal strategy's own rate


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
           record_episodes: bool = False):
    from relsim.model import RelationshipModel

    return RelationshipModel(focal or battery.focal, market, rivals=[], days=days, rng=seed, consumer_agents=False,
                             record_episodes=record_episodes, collect=False)


def _npv(model, day: int) -> float:
    return float(model.recorder.values[day - 1, 0, column("npv")])


def _survival(model, days: Sequence[int]) -> dict[str, float]:
    """The day-0 cohort's surviving share on each of `days` (the retention curve's statistics)."""
    surviving = model.recorder.surviving[:, 0]
    return {f"survival_{day}": float(surviving[day] / surviving[0]) for day in days}


def _lemon_npv(battery: Battery, market: Market, seed: int, share: float) -> float:
    model = _model(battery, market, seed, CONTACT_DAYS)
    lemon = lemons(model.world, share, seed)
    spoil_lemons(model.world, lemon)
    while model.running:
        model.step()
        spoil_lemons(model.world, lemon)
    return _npv(model, CONTACT_DAYS)


def measure(battery: Battery, values: Mapping[str, float], seed: int) -> dict[str, float]:
    """Every pattern's statistic (and the retention curve, `survival_<day>`) for one seed; only the curve when
    the battery has no facts."""
    market = with_values(battery.market, values)
    if not battery.facts:
        return _survival(_model(battery, market, seed, battery.days).run(), battery.curve_days)
    run = _observe(battery, market, seed)  # 1. the day-stepped run
    out = {**run.asymmetry, **_tenure_and_voice(run.model, battery), **_complaint_outcomes(run.model, battery.days),
           **_word_of_mouth(run), **_contagion(run.tracker)}
    out.update(_contact_arms(battery, market, seed, run.model))  # 2. the contact volume's inverted U
    out["bad_news_excess"] = _bad_news(battery, market, seed, run.model)  # 3. the NPV of bad news
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


def _observe(battery: Battery, market: Market, seed: int) -> _Observed:
    """Run the battery day by day, observing episodes, word of mouth in year 2, defections, and the trust
    asymmetry on day 120."""
    model = _model(battery, market, seed, battery.days, record_episodes=True)
    w = model.world
    seen = _Observed(model, ContagionTracker(w, battery.days), {}, np.zeros(w.n), np.zeros(w.n), np.zeros(w.n),
                     np.ones(w.n, dtype=bool))
    while model.running:
        seen.tracker.before(w)
        model.step()
        seen.tracker.after(w)
        if w.day == 120:
            seen.asymmetry["asymmetry"] = _asymmetry(w, market.behaviour)
        if 365 < w.day <= 730:
            seen.stayed &= w.provider == 0
            np.add.at(seen.neg, np.asarray(w.public_posts), 1)
            np.add.at(seen.pos, np.asarray(w.praise_posts), 1)
            seen.satisfaction += w.provider_trust()
    return seen


def _asymmetry(w, b) -> float:
    """Trust lost to one negative event over trust gained from an equal positive one, on the focal firm's
    customers' evidence today."""
    from relsim.trust import prior

    rows = np.flatnonzero(w.provider == 0)
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


def _contagion(tracker: ContagionTracker) -> dict[str, float]:
    """Churn contagion: the hazard ratio in the first month after a neighbour left, and how it fades."""
    from relsim.analysis.facts import logistic_hazard_ratios

    with np.errstate(all="ignore"):
        hr, _ = logistic_hazard_ratios(tracker.events, tracker.totals)
    return {"contagion_first_month": float(hr[0]), "contagion_decay": float(hr[0] - hr[3])}


def _contact_arms(battery: Battery, market: Market, seed: int, model) -> dict[str, float]:
    """The contact volume's inverted U: two-year retention at the focal strategy's own contact rate (`model`)
    against the same seed at no contact and at heavy contact."""
    surviving = model.recorder.surviving[:, 0]
    base = surviving[CONTACT_DAYS] / surviving[0]
    out = {}
    for rate, key in zip(CONTACT_RATES, ("contact_rising_arm", "contact_falling_arm"), strict=True):
        focal = dataclasses.replace(battery.focal, contact_rate=rate)
        m = _model(battery, market, seed, CONTACT_DAYS, focal=focal).run()
        s = m.recorder.surviving[:, 0]
        out[key] = float(base - s[CONTACT_DAYS] / s[0])
    return out


def _bad_news(battery: Battery, market: Market, seed: int, model) -> float:
    """The NPV of bad news: the NPV lost to 2% dissatisfied customers with word of mouth (against `model`) minus
    twice the loss without it."""
    quiet = dataclasses.replace(market, network=dataclasses.replace(market.network, degree=0))
    npv_base = _npv(model, CONTACT_DAYS)
    loss_wom = (npv_base - _lemon_npv(battery, market, seed, 0.02)) / abs(npv_base)
    npv_quiet = _lemon_npv(battery, quiet, seed, 0.0)
    loss_direct = (npv_quiet - _lemon_npv(battery, quiet, seed, 0.02)) / abs(npv_quiet)
    return float(loss_wom - 2 * loss_direct)


def simulate_curve(battery: Battery, period_days: int, periods: int, draw: tuple[Mapping[str, float], int]
                   ) -> np.ndarray:
    """The day-0 cohort's surviving share at periods 0 ... `periods` for one (values, seed) draw."""
    values, seed = draw
    days = periods * period_days
    model = _model(battery, with_values(battery.market, values), seed, days).run()
    s = model.recorder.surviving[:, 0]
    return s[:: period_days][: periods + 1] / s[0]
