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
    from relsim.analysis.facts import logistic_hazard_ratios
    from relsim.trust import prior
    from relsim.world import EPISODE_OUTCOMES

    market = with_values(battery.market, values)
    if not battery.facts:
        return _survival(_model(battery, market, seed, battery.days).run(), battery.curve_days)
    b = market.behaviour
    out: dict[str, float] = {}

    # 1. the day-stepped run: episodes, word of mouth in year 2, defections, trust asymmetry on day 120
    model = _model(battery, market, seed, battery.days, record_episodes=True)
    w = model.world
    tracker = ContagionTracker(w, battery.days)
    neg, pos, satisfaction = np.zeros(w.n), np.zeros(w.n), np.zeros(w.n)
    stayed = np.ones(w.n, dtype=bool)
    while model.running:
        tracker.before(w)
        model.step()
        tracker.after(w)
        if w.day == 120:
            rows = np.flatnonzero(w.provider == 0)
            a0, n0 = prior.py_func(b) + w.pos[rows, 0], prior.py_func(b) + w.neg[rows, 0]
            trust = a0 / (a0 + n0)
            gain = np.mean((a0 + 1) / (a0 + 1 + n0) - trust)
            drop = np.mean(trust - a0 / (a0 + n0 + b.negativity_bias))
            out["asymmetry"] = float(drop / gain)
        if 365 < w.day <= 730:
            stayed &= w.provider == 0
            np.add.at(neg, np.asarray(w.public_posts), 1)
            np.add.at(pos, np.asarray(w.praise_posts), 1)
            satisfaction += w.provider_trust()
    surviving = model.recorder.surviving[:, 0]
    yearly = surviving[[0, 365, 730, 1095]]
    out["retention_rise"] = float(yearly[3] / yearly[2] - yearly[1] / yearly[0]) if yearly[2] > 0 else math.nan
    out.update(_survival(model, battery.curve_days))
    runs = model.recorder.values[: model.recorder.day, 0]
    col = column
    out["complaints_per_problem"] = float(runs[:, col("complaints_private")].sum()
                                          / max(runs[:, col("problems")].sum(), 1))

    ep = episode_outcomes(model, 365, battery.days)
    ep = ep.loc[ep["firm"] == 0]
    kept = ep["stayed"].to_numpy()
    by = {o: kept[(ep["outcome"] == o).to_numpy()] for o in EPISODE_OUTCOMES}
    share = [float(by[o].mean()) if len(by[o]) >= 10 else math.nan for o in EPISODE_OUTCOMES]
    out["tarp_quick_resolved"], out["tarp_resolved_unresolved"], out["tarp_unresolved_silent"] = (
        share[0] - share[1], share[1] - share[2], share[2] - share[3])

    total = (neg + pos)[stayed]
    if stayed.sum() >= 100:
        decile = np.minimum((np.argsort(np.argsort(satisfaction[stayed])) * 10) // len(total), 9)
        talk = np.bincount(decile, total, 10) / np.bincount(decile, minlength=10)
        middle, most = float(talk[3:7].min()), float(talk[-1])
        # ratios capped at RATIO_CAP: a decile that never talks would make them infinite
        out["wom_least_over_middle"] = min(talk[0] / max(middle, 1e-12), RATIO_CAP)
        out["wom_most_over_middle"] = min(most / max(middle, 1e-12), RATIO_CAP)
        out["wom_least_over_most"] = min(talk[0] / max(most, 1e-12), RATIO_CAP)
    out["wom_negative_per_positive"] = float(neg[stayed].sum() / max(pos[stayed].sum(), 1))

    with np.errstate(all="ignore"):
        hr, _ = logistic_hazard_ratios(tracker.events, tracker.totals)
    out["contagion_first_month"] = float(hr[0])
    out["contagion_decay"] = float(hr[0] - hr[3])

    # 2. the contact volume's inverted U: the same seed at no contact and at heavy contact
    base = surviving[CONTACT_DAYS] / surviving[0]
    for rate, key in zip(CONTACT_RATES, ("contact_rising_arm", "contact_falling_arm"), strict=True):
        focal = dataclasses.replace(battery.focal, contact_rate=rate)
        m = _model(battery, market, seed, CONTACT_DAYS, focal=focal).run()
        s = m.recorder.surviving[:, 0]
        out[key] = float(base - s[CONTACT_DAYS] / s[0])

    # 3. the NPV of bad news: 2% dissatisfied, with word of mouth (against run 1) and without
    quiet = dataclasses.replace(market, network=dataclasses.replace(market.network, degree=0))
    npv_base = _npv(model, CONTACT_DAYS)
    loss_wom = (npv_base - _lemon_npv(battery, market, seed, 0.02)) / abs(npv_base)
    npv_quiet = _lemon_npv(battery, quiet, seed, 0.0)
    loss_direct = (npv_quiet - _lemon_npv(battery, quiet, seed, 0.02)) / abs(npv_quiet)
    out["bad_news_excess"] = float(loss_wom - 2 * loss_direct)
    return out


def simulate_curve(battery: Battery, period_days: int, periods: int, draw: tuple[Mapping[str, float], int]
                   ) -> np.ndarray:
    """The day-0 cohort's surviving share at periods 0 ... `periods` for one (values, seed) draw."""
    values, seed = draw
    days = periods * period_days
    model = _model(battery, with_values(battery.market, values), seed, days).run()
    s = model.recorder.surviving[:, 0]
    return s[:: period_days][: periods + 1] / s[0]
