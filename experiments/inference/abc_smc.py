"""Bayesian calibration by ABC-SMC (pyabc): the posterior of the behavioural weights given the patterns.

Approximate Bayesian computation with sequential Monte Carlo (Beaumont et al. 2009; Klinger,
Rickert & Hasenauer 2018, pyabc) draws parameters from the prior, runs the pattern battery
(battery.py) and keeps the draws whose statistics lie close to the targets; each
generation tightens the tolerance (the median of the last generation's distances) and proposes from
the accepted particles. The distance is the Euclidean norm of the patterns' misses (each the gap to
its target interval in tolerances), so a particle on every target has distance 0. Parameters are
sampled on the log10 scale from log-uniform priors (`space.PARAMS`).

Determinism: every task of a generation gets a seed drawn from the driver's generator, and the
battery's model seed is drawn from that task's generator, so a calibration is a function of its seed,
whichever order-preserving map runs the tasks: the builtin map, a process pool, or a Dask cluster
(`SeededMapSampler`). pyabc's own parallel samplers hand out work dynamically and are not
reproducible; they are not used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import logging
import math
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyabc
from pyabc.parameters import Parameter
from pyabc.sampler import MappingSampler
from pyabc.transition import MultivariateNormalTransition

from .battery import Battery, measure
from .patterns import LOGGED, PATTERNS, SCALE_CONSUMERS, Pattern, at_size, interval_miss, misses, summarize
from .sbc import identification  # one reading of a width ratio, shared with simulation-based calibration
from .space import PARAMS

__all__ = ["ABCPosterior", "Calibration", "LogUniformPrior", "PatternDistance", "SeededMapSampler", "SeededSimulator",
           "best_point", "calibrate", "coverage", "measure_task", "posterior_summary", "sbc_parts", "weighted_quantile"]

SEED_SPACE = 2**31 - 1


# --------------------------------------------------------------------------- pieces handed to pyabc

class SeededMapSampler(MappingSampler):
    """pyabc's MappingSampler with a seed per task drawn from the driver: reproducible under any
    order-preserving map (pyabc's own MappingSampler reseeds each task from the operating system)."""

    def map_function(self, simulate_one, seed):
        """Sample until one particle is accepted, from this task's seed."""
        simulate_one = _unpickled(self.unpickle, simulate_one)
        saved = np.random.get_state(), random.getstate()  # the builtin map runs tasks in the driver
        np.random.seed(seed)
        random.seed(seed)
        try:
            sample, n = self._create_empty_sample(), 0
            while True:
                new = simulate_one()
                n += 1
                sample.append(new)
                if new.accepted:
                    return sample, n
        finally:
            np.random.set_state(saved[0])
            random.setstate(saved[1])

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        """n tasks, each with its own seed, mapped in order."""
        seeds = np.random.randint(0, SEED_SPACE, size=n).tolist()
        task = functools.partial(self.map_function, self.pickle(simulate_one))
        results = list(self.map_(task, seeds))
        self.nr_evaluations_ = sum(k for _, k in results)
        sample = self._create_empty_sample()
        for part, _ in results:
            sample += part
        return sample


@functools.lru_cache(maxsize=2)
def _unpickled(unpickle: Callable, blob: bytes):
    """A generation's sampling function, unpickled once per process, not once per task: it holds the priors, the
    proposal (the last population) and the distance, and took 10-40 ms to unpickle, a tenth of a battery. It keeps no
    state between calls (each task seeds NumPy's global generator), so reusing it changes nothing."""
    return unpickle(blob)


class DefensiveTransition(MultivariateNormalTransition):
    """pyabc's Gaussian kernel proposal mixed with the prior: with probability `share` a particle is
    proposed from the prior's box instead (defensive importance sampling, Hesterberg 1995).

    With a dozen parameters of which several stay as wide as their prior, a Gaussian proposal gives
    particles in its tails importance weights thousands of times the others', and the effective
    sample size collapses within two generations (measured: 100 particles, ESS 6.7 after one
    generation and 1.2 after three). The mixture bounds every weight by 1 / share.
    """

    def __init__(self, bounds: Mapping[str, tuple[float, float]], share: float = 0.2):
        super().__init__()
        self.bounds = dict(bounds)
        self.share = share
        self.volume = float(np.prod([hi - lo for lo, hi in self.bounds.values()]))

    def rvs_single(self) -> Parameter:
        """One proposal: from the prior's box with probability `share`, else from the kernel."""
        if np.random.uniform() < self.share:
            return Parameter({k: float(np.random.uniform(lo, hi)) for k, (lo, hi) in self.bounds.items()})
        return super().rvs_single()

    def rvs(self, size: int | None = None):
        """`size` proposals (one when size is None)."""
        import pandas as pd

        if size is None:
            return self.rvs_single()
        return pd.DataFrame([dict(self.rvs_single()) for _ in range(size)])[list(self.X.columns)]

    def _inside(self, x: np.ndarray) -> bool:
        return all(lo <= v <= hi for v, (lo, hi) in zip(x, (self.bounds[k] for k in self.X.columns), strict=True))

    def _pdf_single(self, x: np.ndarray):
        box = (1.0 / self.volume) if self._inside(x) else 0.0
        return self.share * box + (1 - self.share) * super()._pdf_single(x)


@dataclasses.dataclass(frozen=True)
class BatteryModel:
    """The simulator pyabc calls: log10 parameters in, the battery's statistics out (picklable)."""

    battery: Battery
    keys: tuple[str, ...]

    def __call__(self, pars: Mapping[str, float]) -> dict[str, float]:
        values = {k: 10.0 ** float(pars[k]) for k in self.keys}
        seed = int(np.random.randint(0, SEED_SPACE))
        return measure(self.battery, values, seed)


@dataclasses.dataclass(frozen=True)
class PatternDistance:
    """Euclidean norm of the misses: each statistic's gap to its target interval [lo, hi] (from the
    observed data, `x0[key] = (lo, hi)`) in units of its tolerance."""

    scales: Mapping[str, float]

    def __call__(self, x: Mapping[str, float], x0: Mapping[str, Any], t: int | None = None,
                 par: Any = None) -> float:
        total = 0.0
        for key, scale in self.scales.items():
            lo, hi = (float(v) for v in x0[key])
            total += interval_miss(float(x.get(key, math.nan)), lo, hi, scale, key in LOGGED) ** 2
        return math.sqrt(total)


def targets_of(patterns: Mapping[str, Pattern]) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Observed data and tolerances in the form pyabc and `PatternDistance` take."""
    return ({k: np.array([p.lo, p.hi]) for k, p in patterns.items()}, {k: p.scale for k, p in patterns.items()})


def log_bounds(keys: Sequence[str], params: Mapping[str, Any] = PARAMS) -> dict[str, tuple[float, float]]:
    """Each parameter's prior range on the log10 scale, where the inference moves."""
    return {k: (math.log10(params[k].lo), math.log10(params[k].hi)) for k in keys}


def prior(keys: Sequence[str], params: Mapping[str, Any] = PARAMS):
    """Log-uniform priors, as uniform priors on log10 of each parameter."""
    bounds = log_bounds(keys, params)
    return pyabc.Distribution(**{k: pyabc.RV("uniform", lo, hi - lo) for k, (lo, hi) in bounds.items()})


#: How long relsim-calibrate waits for a Dask scheduler at an address before it says it cannot reach it.
DASK_CONNECT_S = 15


def check_dask(address: str) -> str:
    """A Dask scheduler address (`local`, `HOST:PORT` or `tcp://HOST:PORT`) that answers, checked before any work;
    raises ConfigError with one line. Returns the address."""
    from relsim.params import ConfigError

    if address == "local":
        return address
    match = re.fullmatch(r"(?:(tcp|tls)://)?([A-Za-z0-9_.\-]{1,253}|\[[0-9A-Fa-f:.]+\]):(\d{1,5})", address)
    if not match or not 1 <= int(match.group(3)) <= 65535:
        raise ConfigError(f"--dask={address!r}: expected local, HOST:PORT or tcp://HOST:PORT (a Dask scheduler)")
    from distributed import Client

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            Client(address, timeout=DASK_CONNECT_S).close()
    except (OSError, TimeoutError, ValueError) as exc:
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(f"--dask={address}: no Dask scheduler answered there ({why[:160]})") from None
    return address


@contextlib.contextmanager
def mapper(workers: int = 1, dask: str | None = None) -> Iterator[Callable]:
    """An order-preserving map: builtin (1 worker), a process pool, or a Dask cluster ("local" starts
    one on this machine, whose scheduler, dashboards and workers listen on loopback only; otherwise the
    scheduler's address)."""
    if dask:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0", worker_dashboard_address="127.0.0.1:0") \
            if dask == "local" else None
        client = Client(cluster if cluster is not None else dask, timeout=DASK_CONNECT_S)
        try:
            yield lambda f, xs: client.gather(client.map(f, list(xs), pure=False))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield functools.partial(pool.map, chunksize=1)
    else:
        yield map


# --------------------------------------------------------------------------- running it

@dataclasses.dataclass
class Calibration:
    """An ABC-SMC posterior: the final particles (log10 values) and weights, and how it was reached."""

    keys: tuple[str, ...]
    particles: np.ndarray  # (n, len(keys)), log10 values
    weights: np.ndarray
    epsilons: list[float]
    simulations: int
    generations: int
    stats: list[dict[str, float]]  # the final particles' statistics, in particle order

    @property
    def ess(self) -> float:
        """The final population's effective sample size, 1 / sum of squared normalised weights."""
        w = self.weights / self.weights.sum()
        return float(1.0 / np.sum(w * w))

    def values(self, q: float = 0.5) -> dict[str, float]:
        """Each parameter's weighted posterior quantile q (0.5: the median), on the natural scale."""
        return {k: 10.0 ** weighted_quantile(self.particles[:, i], self.weights, q) for i, k in enumerate(self.keys)}

    def draws(self, n: int, seed: int = 0) -> list[dict[str, float]]:
        """n parameter sets resampled from the posterior (natural scale)."""
        idx = np.random.default_rng([seed, 13]).choice(len(self.weights), size=n, p=self.weights / self.weights.sum())
        return [{k: 10.0 ** self.particles[j, i] for i, k in enumerate(self.keys)} for j in idx]


def calibrate(simulator: Callable[[Mapping[str, float]], dict[str, float]], keys: Sequence[str],
              observed: Mapping[str, Any], scales: Mapping[str, float], *, population: int = 100,
              generations: int = 8, budget: int = 1500, seed: int = 0, workers: int = 1, dask: str | None = None,
              params: Mapping[str, Any] = PARAMS, verbose: bool = False,
              ) -> Calibration:
    """Run ABC-SMC on `simulator` (log10 parameters in, statistics out) against `observed`.

    Stops after `generations` generations or once `budget` simulations have been spent. `verbose`
    lets pyabc log each generation (tolerance, acceptance) on stderr.
    """
    log = logging.getLogger("ABC")
    saved_level = log.level
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    np.random.seed(seed)
    random.seed(seed)
    try:
        with mapper(workers, dask) as map_:
            smc = pyabc.ABCSMC(simulator, prior(keys, params), PatternDistance(dict(scales)),
                               population_size=population, sampler=SeededMapSampler(map_),
                               transitions=DefensiveTransition(log_bounds(keys, params)),
                               eps=pyabc.QuantileEpsilon(alpha=0.5))
            smc.new("sqlite://", dict(observed))
            history = smc.run(max_nr_populations=generations, max_total_nr_simulations=budget)
    finally:
        log.setLevel(saved_level)
    everything = history.get_all_populations()  # t = -1: the prior sample that sets the first tolerance
    pops = everything.loc[everything["t"] >= 0]
    final = history.get_population(t=history.max_t)
    particles = np.array([[float(p.parameter[k]) for k in keys] for p in final.particles])
    weights = np.array([float(p.weight) for p in final.particles])
    stats = [{k: float(v) for k, v in p.sum_stat.items()} for p in final.particles]
    cal = Calibration(keys=tuple(keys), particles=particles, weights=weights / weights.sum(),
                      epsilons=[float(e) for e in pops["epsilon"]], simulations=int(everything["samples"].sum()),
                      generations=int(history.max_t) + 1, stats=stats)
    return cal


# --------------------------------------------------------------------------- reading a posterior

def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The q-quantile of x under weights w (linear interpolation of the weighted CDF at midpoints)."""
    order = np.argsort(x)
    x, w = np.asarray(x, dtype=float)[order], np.asarray(w, dtype=float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, x))


def posterior_summary(cal: Calibration, params: Mapping[str, Any] = PARAMS, level: float = 0.9
                      ) -> dict[str, dict[str, Any]]:
    """Per parameter: the posterior median and `level` interval, the prior's, and how much the data
    narrowed it (the posterior interval's width over the prior's, on the log scale)."""
    tail = (1 - level) / 2
    out = {}
    bounds = log_bounds(cal.keys, params)
    for i, key in enumerate(cal.keys):
        col = cal.particles[:, i]
        lo_p, hi_p = bounds[key]
        prior_lo, prior_hi = lo_p + tail * (hi_p - lo_p), hi_p - tail * (hi_p - lo_p)
        lo, mid, hi = (weighted_quantile(col, cal.weights, q) for q in (tail, 0.5, 1 - tail))
        width = (hi - lo) / (prior_hi - prior_lo)
        out[key] = {"median": 10 ** mid, "interval": [10 ** lo, 10 ** hi],
                    "prior_interval": [10 ** prior_lo, 10 ** prior_hi],
                    "width_ratio": width, "identified": identification(width), "meaning": params[key].doc,
                    "prior": f"log-uniform on [{params[key].lo:g}, {params[key].hi:g}]: {params[key].prior_note}"}
    return out


def coverage(simulator: Callable[[Mapping[str, float]], dict[str, float]], keys: Sequence[str],
             scales: Mapping[str, float], n: int, *, params: Mapping[str, Any] = PARAMS, level: float = 0.9,
             seed: int = 0, progress: Callable[[int, dict[str, bool]], None] | None = None,
             **kwargs: Any) -> dict[str, Any]:
    """Expected coverage on synthetic data: n times, draw a truth from the prior, simulate its
    statistics, calibrate to them (point targets) and check whether each parameter's `level`
    interval holds the truth. Returns the share of hits per parameter and the hits themselves."""
    rng = np.random.default_rng([seed, 90])
    bounds = log_bounds(keys, params)
    hits: list[dict[str, bool]] = []
    for i in range(n):
        truth = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in bounds.items()}
        saved = np.random.get_state()
        np.random.seed(int(rng.integers(SEED_SPACE)))
        stats = simulator(truth)
        np.random.set_state(saved)
        observed = {k: np.array([stats[k], stats[k]]) for k in scales}
        cal = calibrate(simulator, keys, observed, scales, params=params, seed=seed * 100_003 + i, **kwargs)
        summary = posterior_summary(cal, params, level)
        hits.append({k: bool(summary[k]["interval"][0] <= 10 ** truth[k] <= summary[k]["interval"][1]) for k in keys})
        if progress:
            progress(i + 1, hits[-1])
    return {"level": level, "n": n, "coverage": {k: float(np.mean([h[k] for h in hits])) for k in keys},
            "hits": hits}


# --------------------------------------------------------------------------- ABC-SMC in simulation-based calibration

@dataclasses.dataclass(frozen=True)
class LogUniformPrior:
    """The calibration's prior as an SBC prior sampler (sbc.Prior): uniform on each parameter's log10 range."""

    bounds: tuple[tuple[float, float], ...]

    def __call__(self, rng: np.random.Generator, n: int) -> np.ndarray:
        lo, hi = np.array(self.bounds).T
        return rng.uniform(lo, hi, size=(n, len(self.bounds)))


@dataclasses.dataclass(frozen=True)
class SeededSimulator:
    """A calibration simulator (log10 parameters in, statistics out, drawing from numpy's global stream, as pyabc's
    are) as an SBC simulator: its global stream seeded from the SBC stream, and restored afterwards."""

    simulator: Callable[[Mapping[str, float]], dict[str, float]]
    keys: tuple[str, ...]

    def __call__(self, theta: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
        saved = np.random.get_state()
        np.random.seed(int(rng.integers(SEED_SPACE)))
        try:
            return self.simulator({k: float(v) for k, v in zip(self.keys, theta, strict=True)})
        finally:
            np.random.set_state(saved)


@dataclasses.dataclass(frozen=True)
class ABCPosterior:
    """ABC-SMC as an SBC posterior sampler (sbc.Posterior): calibrate to the statistics as point targets, then
    resample L particles by weight (log10 values, shape (L, d))."""

    simulator: Callable[[Mapping[str, float]], dict[str, float]]
    keys: tuple[str, ...]
    scales: tuple[tuple[str, float], ...]
    params: Mapping[str, Any]
    options: tuple[tuple[str, Any], ...] = ()  # calibrate's keyword arguments (population, generations, budget ...)

    def __call__(self, stats: Mapping[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
        observed = {k: np.array([stats[k], stats[k]]) for k, _ in self.scales}
        cal = calibrate(self.simulator, self.keys, observed, dict(self.scales), params=self.params,
                        seed=int(rng.integers(SEED_SPACE)), **dict(self.options))
        return cal.particles[rng.choice(len(cal.weights), size=n, p=cal.weights / cal.weights.sum())]


def sbc_parts(simulator: Callable[[Mapping[str, float]], dict[str, float]], keys: Sequence[str],
              scales: Mapping[str, float], *, params: Mapping[str, Any] = PARAMS, **options: Any
              ) -> tuple[LogUniformPrior, SeededSimulator, ABCPosterior]:
    """The prior, simulator and posterior sampler with which sbc.run checks ABC-SMC on `simulator` (log10 scale;
    `options` go to calibrate)."""
    keys = tuple(keys)
    bounds = tuple(log_bounds(keys, params).values())
    return (LogUniformPrior(bounds), SeededSimulator(simulator, keys),
            ABCPosterior(simulator, keys, tuple(scales.items()), params, tuple(options.items())))


# --------------------------------------------------------------------------- one point of the posterior

def best_point(simulate: Callable[[tuple[Mapping[str, float], int]], Mapping[str, float]], cal: Calibration,
               targets: Mapping[str, Pattern], *, seeds: int = 8, shortlist: int = 10, seed: int = 0,
               map_: Callable = map, statistics: bool = False) -> dict[str, Any]:
    """The posterior particle that fits the targets best, chosen on seeds the calibration never saw.

    With parameters the targets do not identify, the marginal medians are not a point of the
    posterior (each is a median over different particles) and can fit worse than any particle. A
    particle's accepted distance is one seed's luck, so the choice is made on fresh seeds in three
    stages: every particle on `seeds` // 2 screening seeds; the `shortlist` best on `seeds` selection
    seeds; the chosen particle and the market's own values (no parameter changed) on `seeds` further
    seeds, which no choice has looked at, so their distances compare without a winner's curse. A
    stage's distance is the Euclidean norm of the misses of the seed-mean statistics (tolerances as
    in the calibration). `simulate` maps (values, seed) to statistics; `map_` is an order-preserving map. With
    `statistics`, the confirmation's batteries are returned too (each stage's "statistics").
    """
    n_screen = max(1, seeds // 2)
    drawn = np.random.default_rng([seed, 29]).choice(SEED_SPACE, size=n_screen + 2 * seeds, replace=False)
    stages = {"screen": drawn[:n_screen], "select": drawn[n_screen:n_screen + seeds],
              "confirm": drawn[n_screen + seeds:]}
    points = [{k: 10.0 ** float(cal.particles[j, i]) for i, k in enumerate(cal.keys)} for j in range(len(cal.weights))]

    def run(candidates: Sequence[Mapping[str, float]], stage: str) -> list[list[Mapping[str, float]]]:
        tasks = [(dict(values), int(s)) for values in candidates for s in stages[stage]]
        out = list(map_(simulate, tasks))
        k = len(stages[stage])
        return [out[i * k:(i + 1) * k] for i in range(len(candidates))]

    def distance(draws: Sequence[Mapping[str, float]]) -> float:
        mean = {key: float(np.mean([d.get(key, math.nan) for d in draws])) for key in targets}
        return math.sqrt(sum(v * v for v in misses(mean, targets).values()))

    screen = [distance(d) for d in run(points, "screen")]
    short = [int(j) for j in np.argsort(screen, kind="stable")[:shortlist]]
    select = [distance(d) for d in run([points[j] for j in short], "select")]
    chosen = short[int(np.argmin(select))]
    point, own = run([points[chosen], {}], "confirm")
    return {"values": points[chosen], "particle": chosen, "weight": float(cal.weights[chosen]),
            "seeds": {k: [int(s) for s in v] for k, v in stages.items()},
            "shortlist": [{"particle": j, "screen": screen[j], "select": d}
                          for j, d in zip(short, select, strict=True)],
            "confirm": {name: {"distance": distance(draws), "patterns": summarize(draws, targets),
                               **({"statistics": [dict(d) for d in draws]} if statistics else {})}
                        for name, draws in (("point", point), ("market", own))}}


def measure_task(battery: Battery, task: tuple[Mapping[str, float], int]) -> dict[str, float]:
    """The battery's statistics for one (values, seed) task (picklable with functools.partial)."""
    values, seed = task
    return measure(battery, values, seed)


def pattern_model(battery: Battery, keys: Sequence[str]) -> BatteryModel:
    """The battery as pyabc's simulator for the parameters `keys`."""
    unknown = [k for k in keys if k not in PARAMS]
    if unknown:
        raise KeyError(unknown)
    return BatteryModel(battery, tuple(keys))


def pattern_fit(cal: Calibration, targets: Mapping[str, Pattern]) -> dict[str, dict[str, Any]]:
    """Per target, over the final particles (weighted): the statistic's mean and sd, and the share of
    the posterior on target."""
    return summarize(cal.stats, targets, cal.weights)


def default_targets(extra: Mapping[str, Pattern] | None = None, consumers: int = SCALE_CONSUMERS) -> dict[str, Pattern]:
    """The stylized-fact patterns with tolerances for a battery of `consumers` (patterns.at_size), plus any extra
    (a retention curve's points, whose tolerances already count the battery's size)."""
    return {**at_size(PATTERNS, consumers), **(extra or {})}
