"""Pattern-oriented targets: what the calibration fits, and the battery of runs that measures it.

Grimm et al. (2005, Science 310) ask a model to reproduce several patterns at once, each at the
magnitude its source reports; a parameter set that reproduces one pattern by a wrong mechanism
rarely reproduces the others. The eight stylized facts of docs/VALIDATION.md become fourteen
statistics (`PATTERNS`), each with the interval its source supports and a tolerance, and one
simulation battery (`measure`) computes all of them from six runs of the calibration market on one
seed: a day-stepped run that observes episodes, word of mouth and defections; two runs at other
contact rates (the inverted U); and three runs with and without 2% dissatisfied customers and word
of mouth (the NPV of bad news). experiments/abc.py fits the calibrated parameters (`PARAMS`) to
these targets by ABC-SMC.

The observers here (`episode_outcomes`, `ContagionTracker`, `spoil_lemons`) are also what
experiments/validation.py's facts 4, 7 and 8 use: one definition of each measurement.
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
from relsim.params import Dist, Market, Strategy
from relsim.recorder import column
from relsim.trust import beta_mean, prior
from relsim.vectorized import _days
from relsim.world import E_DEFECTIONS, E_PRAISE, E_PUBLIC

ensure_fresh(Path(__file__).resolve().parent / "__pycache__")  # the battery's compiled days hold copies of the rules

__all__ = ["BATTERY_DAYS", "PARAMS", "PATTERNS", "Battery", "ContagionTracker", "Param", "Pattern", "episode_outcomes",
           "make_battery", "measure", "spoil_lemons"]


# --------------------------------------------------------------------------- calibrated parameters

@dataclasses.dataclass(frozen=True)
class Param:
    """A calibrated parameter: its config key, its prior (log-uniform on [lo, hi]) and where both come from."""

    key: str
    lo: float
    hi: float
    doc: str
    prior_note: str = "log-uniform over a factor of 4 either side of the hand-set value (docs/PARAMETERS.md)"

    def get(self, market: Market) -> float:
        """The parameter's value in `market`."""
        if self.key == "population.churn_propensity.sd":
            return market.population.churn_propensity.sd
        return float(getattr(market.behaviour, self.key.split(".", 1)[1]))

    def set(self, market: Market, value: float) -> Market:
        """`market` with the parameter set to `value` (a constant propensity becomes a gamma)."""
        if self.key == "population.churn_propensity.sd":
            dist = market.population.churn_propensity
            kind = "gamma" if dist.kind == "constant" else dist.kind
            dist = Dist(kind, dist.mean, float(value))
            return dataclasses.replace(market, population=dataclasses.replace(market.population, churn_propensity=dist))
        name = self.key.split(".", 1)[1]
        return dataclasses.replace(market, behaviour=dataclasses.replace(market.behaviour, **{name: float(value)}))


#: Every parameter relsim-calibrate can fit. The first three are the churn parameters a retention
#: curve identifies (the least-squares method fits only these); the others are the behavioural
#: weights the stylized facts speak to. Priors are log-uniform; the ranges are the search ranges of
#: the least-squares method for the first three, a factor of 4 either side of the hand-set value
#: otherwise (negativity_bias: its allowed range from 1, i.e. no bias, to 3 times the hand-set 2).
PARAMS: dict[str, Param] = {p.key: p for p in (
    Param("behaviour.base_churn", 1e-3, 50.0, "baseline churn hazard per year at neutral trust",
          "log-uniform over the least-squares search range (a retention curve pins it down)"),
    Param("population.churn_propensity.sd", 0.05, 5.0, "sd of the gamma churn propensity (mean 1): heterogeneity",
          "log-uniform over the least-squares search range"),
    Param("behaviour.trust_sensitivity", 0.05, 30.0, "log-hazard per unit of trust below 0.5",
          "log-uniform over the least-squares search range"),
    Param("behaviour.negativity_bias", 1.0, 6.0, "weight of negative evidence relative to equal positive evidence",
          "log-uniform from 1 (no bias, the parameter's lower bound) to 3 times the hand-set 2"),
    Param("behaviour.contact_value", 0.0125, 0.2, "positive evidence of a welcome, non-intrusive contact"),
    Param("behaviour.burden_weight", 0.0375, 0.6, "negative evidence of a contact beyond the consumer's capacity"),
    Param("behaviour.unreached_weight", 0.075, 1.2, "negative evidence of a support call that does not get through"),
    Param("behaviour.self_fix_days", 2.5, 40.0, "mean days until a problem nobody calls about goes away"),
    Param("behaviour.voice_scale", 0.0375, 0.6, "complaints per unit of voice propensity x negative evidence"),
    Param("behaviour.advocacy_rate", 0.175, 2.8, "positive posts per year at neutral trust (advocacy)"),
    Param("behaviour.wom_negative_weight", 0.0625, 1.0, "negative evidence a neighbour's negative post carries"),
    Param("behaviour.exit_talk_weight", 0.05, 0.8, "negative evidence a neighbour's defection carries"),
)}
CHURN_PARAMS = ("behaviour.base_churn", "population.churn_propensity.sd", "behaviour.trust_sensitivity")


def with_values(market: Market, values: Mapping[str, float]) -> Market:
    """`market` with the given calibrated parameters set."""
    for key, value in values.items():
        market = PARAMS[key].set(market, value)
    return market


# --------------------------------------------------------------------------- targets

@dataclasses.dataclass(frozen=True)
class Pattern:
    """One target: a statistic of the battery, the interval its source supports, and a tolerance.

    A value inside [lo, hi] is on target; outside, its distance is the gap to the interval in units
    of `scale` (the tolerance: the statistic's seed-to-seed sd at the hand-set defaults and the
    calibration size, 1,500 consumers, rounded up; `relsim-calibrate --patterns 8` measures it; for the
    contagion ratio, the 0.2 that Nitzan & Libai's ~1.8 is quoted to).
    """

    key: str
    fact: int
    lo: float
    hi: float
    scale: float
    meaning: str
    source: str

    def miss(self, value: float) -> float:
        """How far `value` is outside the interval, in tolerances (interval_miss)."""
        return interval_miss(value, self.lo, self.hi, self.scale)


#: The battery size at which the patterns' tolerances (`Pattern.scale`) were measured.
SCALE_CONSUMERS = 1500


def at_size(patterns: Mapping[str, Pattern], consumers: int) -> dict[str, Pattern]:
    """`patterns` with tolerances for a battery of `consumers`: seed noise in a statistic over consumers shrinks
    as 1 / sqrt(consumers), so a battery smaller than SCALE_CONSUMERS is noisier by sqrt(SCALE_CONSUMERS /
    consumers) (and a larger one no less noisy than at SCALE_CONSUMERS: the tolerances also hold the sources'
    own precision)."""
    factor = max(1.0, math.sqrt(SCALE_CONSUMERS / consumers))
    return {k: dataclasses.replace(p, scale=p.scale * factor) for k, p in patterns.items()}


def interval_miss(value: float, lo: float, hi: float, scale: float) -> float:
    """How far `value` is outside [lo, hi], in units of `scale` (0 inside; NaN counts as 10, far off)."""
    if not math.isfinite(value):
        return 10.0
    return max(lo - value, value - hi, 0.0) / scale


INF = math.inf
PATTERNS: dict[str, Pattern] = {p.key: p for p in (
    Pattern("asymmetry", 1, 2.0, 5.0, 0.15,
            "trust lost to one negative event / trust gained from an equal positive one",
            "Slovic (1993); Baumeister et al. (2001, Rev. Gen. Psych. 5(4)): bad is 2 to 5 times stronger than good"),
    Pattern("retention_rise", 2, 0.01, 0.19, 0.025,
            "yearly retention of the day-0 cohort, year 3 minus year 1",
            "Fader & Hardie (2007): +0.18 (regular cohort) and +0.01 (high-end) over the same years"),
    Pattern("contact_rising_arm", 3, 0.0, INF, 0.01,
            "two-year retention at the default contact rate (26 a year) minus at no contact",
            "Godfrey, Seiders & Voss (2011): an inverted U; only the direction transfers"),
    Pattern("contact_falling_arm", 3, 0.0, INF, 0.015,
            "two-year retention at 26 contacts a year minus at 90",
            "Godfrey, Seiders & Voss (2011)"),
    Pattern("tarp_quick_resolved", 4, 0.0, INF, 0.02,
            "one-year retention after a problem resolved at the first call minus at a later call",
            "TARP (1979; 1986): 95/70/46/37% (minor), 82/54/19/9% (major) repurchase intentions; "
            "intentions are not retention, so only the order transfers"),
    Pattern("tarp_resolved_unresolved", 4, 0.0, INF, 0.02,
            "... resolved minus unresolved (called, never resolved)", "TARP (1979; 1986)"),
    Pattern("tarp_unresolved_silent", 4, 0.0, INF, 0.02,
            "... unresolved minus did not complain", "TARP (1979; 1986)"),
    Pattern("complaints_per_problem", 5, 0.04, 0.25, 0.01,
            "private complaints to the firm per problem",
            "TARP (1979; 1986): 1 in 26 to 1 in 4 dissatisfied customers complain"),
    Pattern("wom_negative_per_positive", 6, 1.0, 3.0, 0.6,
            "negative public posts per positive one",
            "Anderson (1998); the 1-3 range of docs/VALIDATION.md fact 6"),
    Pattern("wom_least_over_middle", 6, 1.0, INF, 1.4,
            "posts per customer-year, least satisfied decile / quietest middle decile", "Anderson (1998): a U"),
    Pattern("wom_most_over_middle", 6, 1.0, INF, 0.4,
            "posts per customer-year, most satisfied decile / quietest middle decile", "Anderson (1998): a U"),
    Pattern("wom_least_over_most", 6, 1.0, INF, 0.8,
            "posts per customer-year, least / most satisfied decile", "Anderson (1998): the U is asymmetric"),
    Pattern("contagion_first_month", 7, 1.6, 2.0, 0.2,
            "churn hazard ratio in the 30 days after a neighbour left the same firm",
            "Nitzan & Libai (2011, J. Marketing 75(6)): about 1.8"),
    Pattern("contagion_decay", 7, 0.0, INF, 0.13,
            "hazard ratio in the first month minus after 180 days", "Nitzan & Libai (2011): the effect fades"),
    Pattern("bad_news_excess", 8, 0.0, INF, 0.01,
            "NPV lost to 2% dissatisfied customers with word of mouth minus twice the loss without it",
            "Goldenberg, Libai, Moldovan & Muller (2007, IJRM 24(3)): word of mouth multiplies the loss"),
)}


# --------------------------------------------------------------------------- observers

class ContagionTracker:
    """Customer-days and churn events by time since a network neighbour last left the customer's
    provider (level 0: never; levels 1-4: 1-30, 31-90, 91-180, 181+ days) and calendar period.

    Call `before(world)` before each step and `after(world)` after it; `events` and `totals`
    feed analysis.facts.logistic_hazard_ratios. Reads the world only.
    """

    BINS = (1, 31, 91, 181)

    def __init__(self, world, days: int, period: int = 90):
        self.adj = world.adj.tocsr()
        self.period = period
        self.last = np.full((world.n, world.n_firms), -1, dtype=np.int64)
        shape = (len(self.BINS) + 1, -(-days // period))
        self.events, self.totals = np.zeros(shape), np.zeros(shape)
        self._provider = np.full(world.n, -1, dtype=np.int64)
        self._left = np.zeros(world.n, dtype=np.bool_)

    def before(self, world) -> None:
        """Remember who was whose customer at the start of the day."""
        self._provider[:] = world.provider

    def after(self, world) -> None:
        """Count the day's exposure and churn; note today's defections for the neighbours."""
        who, firms = world.defections
        _contagion_day(*self.arrays(), who, firms, world.day)

    def arrays(self) -> tuple:
        """What `_contagion_day` reads and writes (the compiled battery passes them to it every day)."""
        return (self._provider, self.last, self.events, self.totals, self.adj.indptr, self.adj.indices,
                np.array(self.BINS, dtype=np.int64), self.period, self._left)


@njit(cache=True)
def _contagion_day(provider, last, events, totals, adj_ptr, adj_idx, bins, period, left, who, firms, day) -> None:
    """ContagionTracker.after: each customer at the start of `day` (`provider`) adds a customer-day at its exposure
    level (days since a neighbour last left its provider, in `bins`; 0: never) to `totals`, and an event to
    `events` if it left today (`who`, `firms`); then today's leavers' neighbours note the day."""
    p = (day - 1) // period
    for i in range(len(who)):
        left[who[i]] = True
    for n in range(len(provider)):
        f = provider[n]
        if f < 0:
            continue
        level = 0
        if last[n, f] >= 0:
            for edge in bins:
                level += day - last[n, f] >= edge
        totals[level, p] += 1
        if left[n]:
            events[level, p] += 1
    for i in range(len(who)):
        left[who[i]] = False
        for j in range(adj_ptr[who[i]], adj_ptr[who[i] + 1]):
            last[adj_idx[j], firms[i]] = day  # the neighbours hear of it tomorrow


def episode_outcomes(model, horizon: int, days: int):
    """One row per problem episode that began at least `horizon` days before the end: its outcome and
    whether the customer stayed with the firm from the onset through onset + `horizon` days.

    The episodes and departures are recorded by the model itself (`record_episodes=True`,
    sim/recorder.py); outcomes are `EPISODE_OUTCOMES` (quick, resolved, unresolved, silent).
    """
    from relsim.world import EPISODE_OUTCOMES

    ep, left = model.recorder.episode_rows(), model.recorder.departure_rows()  # the tables' integer rows
    ep = ep[ep[:, 2] + horizon <= days]
    order = np.lexsort((left[:, 2], left[:, 0]))
    who, when = left[order, 0], left[order, 2]
    consumer, start = ep[:, 0], ep[:, 2]
    # the first departure at or after the onset
    pos = np.searchsorted(who * (days + 2) + when, consumer * (days + 2) + start, side="left")
    if len(who):
        nxt = np.where(pos < len(who), pos, 0)
        left_by = (pos < len(who)) & (who[nxt] == consumer) & (when[nxt] <= start + horizon)
    else:  # nobody left
        left_by = np.zeros(len(consumer), dtype=bool)
    import pandas as pd

    return pd.DataFrame({"consumer": consumer, "firm": ep[:, 1], "start": start,
                         "outcome": np.array(EPISODE_OUTCOMES, dtype=object)[ep[:, 4]], "stayed": ~left_by})


LEMON_SEVERITY = 3.0  # how badly the product keeps failing for a dissatisfied customer (an average problem is 1)


def lemons(world, share: float, seed: int) -> np.ndarray:
    """Which consumers get a product that keeps failing: a fixed draw per seed (the same in every arm)."""
    return np.random.default_rng([seed, 2007]).random(world.n) < share


def spoil_lemons(world, lemon: np.ndarray, severity: float = LEMON_SEVERITY) -> None:
    """Give every "lemon" customer of the focal firm an open problem of `severity` that it does not call
    about (called between days, from outside sim/): its own experience stays bad."""
    _spoil(world.provider, world.open_severity, world.open_days, world.calls, world.seeking, lemon, severity)


@njit(cache=True)
def _spoil(provider, open_severity, open_days, calls, seeking, lemon, severity) -> None:
    """spoil_lemons on the state's arrays (the compiled battery calls it after each day)."""
    for n in range(len(provider)):
        if lemon[n] and provider[n] == 0 and open_severity[n] < severity:
            if open_severity[n] == 0:  # a fresh problem
                open_days[n] = 0
                calls[n] = 0
                seeking[n] = False
            open_severity[n] = severity


# --------------------------------------------------------------------------- the battery

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
    from relsim.experiments.config import load

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
    (`_contagion_day`), and on days `first` < day <= `final` each consumer's negative and positive public posts, its
    trust in its provider (0.5 without one) and whether it stayed a customer of the focal firm throughout."""
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
    from relsim.analysis.facts import logistic_hazard_ratios
    from relsim.world import EPISODE_OUTCOMES

    market = with_values(battery.market, values)
    if not battery.facts:
        return _survival(_model(battery, market, seed, battery.days).run(), battery.curve_days)
    b = market.behaviour
    out: dict[str, float] = {}

    # 1. the day-stepped run: episodes, word of mouth in year 2, defections, trust asymmetry on day 120
    model = _model(battery, market, seed, battery.days, record_episodes=True)
    w = model.world
    day0 = w.copy()  # the contact and NPV runs on this market start from the same day 0, not drawn again
    tracker = ContagionTracker(w, battery.days)
    neg, pos, satisfaction = np.zeros(w.n), np.zeros(w.n), np.zeros(w.n)
    stayed = np.ones(w.n, dtype=bool)
    observed = (*tracker.arrays(), 365, 730, neg, pos, satisfaction, stayed)  # each day, compiled (_observed_days)
    model.advance(120, _observed_days, observed)
    rows = np.flatnonzero(w.provider == 0)
    a0, n0 = prior.py_func(b) + w.pos[rows, 0], prior.py_func(b) + w.neg[rows, 0]
    trust = a0 / (a0 + n0)
    gain = np.mean((a0 + 1) / (a0 + 1 + n0) - trust)
    drop = np.mean(trust - a0 / (a0 + n0 + b.negativity_bias))
    out["asymmetry"] = float(drop / gain)
    model.advance(battery.days - w.day, _observed_days, observed)
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
        m = _model(battery, market, seed, CONTACT_DAYS, focal=focal, day0=day0).run()
        s = m.recorder.surviving[:, 0]
        out[key] = float(base - s[CONTACT_DAYS] / s[0])

    # 3. the NPV of bad news: 2% dissatisfied, with word of mouth (against run 1) and without
    quiet = dataclasses.replace(market, network=dataclasses.replace(market.network, degree=0))
    npv_base = _npv(model, CONTACT_DAYS)
    loss_wom = (npv_base - _lemon_npv(battery, market, seed, 0.02, day0)) / abs(npv_base)
    npv_quiet, quiet0 = _lemon_run(battery, quiet, seed, 0.0)
    loss_direct = (npv_quiet - _lemon_npv(battery, quiet, seed, 0.02, quiet0)) / abs(npv_quiet)
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


def misses(stats: Mapping[str, float], patterns: Mapping[str, Pattern] = PATTERNS) -> dict[str, float]:
    """Each pattern's miss (0 on target) for one battery's statistics."""
    return {k: p.miss(stats.get(k, math.nan)) for k, p in patterns.items()}


def summarize(draws: Sequence[Mapping[str, float]], patterns: Mapping[str, Pattern] = PATTERNS,
              weights: np.ndarray | None = None) -> dict[str, dict[str, Any]]:
    """Each pattern's mean, spread and on-target share over several batteries: seeds (unweighted; the
    sd is the sample sd) or a posterior's particles (`weights`; the weighted sd)."""
    w = np.ones(len(draws)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum() if len(w) else w
    out = {}
    for key, p in patterns.items():
        v = np.array([d.get(key, math.nan) for d in draws], dtype=float)
        ok = np.isfinite(v)
        mean = float(np.sum(w[ok] * v[ok]) / w[ok].sum()) if ok.any() else math.nan
        if weights is None:
            sd = float(v[ok].std(ddof=1)) if ok.sum() > 1 else math.nan
        else:
            sd = float(np.sqrt(np.sum(w[ok] * (v[ok] - mean) ** 2) / w[ok].sum())) if ok.any() else math.nan
        on = np.array([p.miss(x) == 0 for x in v], dtype=bool)
        out[key] = {"fact": p.fact, "mean": mean, "sd": sd, "target": [p.lo, p.hi],
                    "on_target": float(np.sum(w[on])) if len(v) else math.nan}
    return out
