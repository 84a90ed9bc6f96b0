"""Simulated least squares: the three churn parameters fitted to an observed cohort retention curve.

`relsim-calibrate --method lsq` fits

    behaviour.base_churn               baseline churn hazard per year at neutral trust
    population.churn_propensity.sd     heterogeneity of churn propensity (gamma, mean 1)
    behaviour.trust_sensitivity        log-hazard per unit of trust below 0.5

(`--params` fits a subset; the others keep the market's values; 2,000 consumers, seeds 0 and 1) by
simulated least squares with common random numbers: the same seeds in every evaluation, and each
consumer's churn propensity the quantile of a fixed uniform, so the objective is a deterministic,
nearly smooth function of the parameters. The search starts from values read off the data, profiles
the weakly identified trust sensitivity on a grid (Nelder-Mead over the others at each point) and
ends with Nelder-Mead over all (scipy.optimize). Uncertainty comes from the curvature of the
objective at the optimum (Gauss-Newton covariance of the log-parameters, delta method), with an
error variance of at least the simulation's own noise.

The model runs in a calibration market (default: `market=monopoly`, the focal firm playing `middle`);
its "observed" curve is the share of the focal firm's day-0 cohort still there after t x period-days
days (retention.parquet). The curve, error and uncertainty maths are in analysis/calibration.py.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

from relsim.analysis.calibration import Curve, jacobian, log_uncertainty, propensity_quantiles
from relsim.analysis.sbg import fit_sbg
from relsim.params import ConfigError, Market, Strategy
from relsim.trust import initial_range

from .space import CHURN_PARAMS, PARAMS, with_values

__all__ = ["DEFAULT_PARAMS", "ABMFit", "Setup", "check_overrides", "data_start", "fit_abm", "make_setup", "simulate",
           "simulate_seeds"]

# --------------------------------------------------------------------------- parameters

#: The parameters the least-squares method fits by default: the three churn parameters a retention curve
#: identifies (every parameter relsim-calibrate can fit, with its prior, is in space.py).
DEFAULT_PARAMS = CHURN_PARAMS


@dataclasses.dataclass(frozen=True)
class Setup:
    """Where the model is calibrated: the market, the focal strategy, size, seeds and period length."""

    market: Market
    focal: Strategy
    rivals: tuple[Strategy, ...]
    seeds: tuple[int, ...]
    period_days: int
    params: tuple[str, ...] = DEFAULT_PARAMS
    label: str = ""

    def with_values(self, values: dict[str, float]) -> Market:
        """The market with the given parameter values."""
        return with_values(self.market, values)


def check_overrides(overrides: Sequence[str]) -> None:
    """Only market.* overrides may change the calibration market, each as the `relsim` command checks it."""
    from ..plumbing.checks import check_override

    for o in overrides:
        if not o.lstrip("+~").startswith("market.") or "=" not in o:
            raise ConfigError(f"override {o!r}: expected market.<key>=<value>")
        if check_override(o).is_sweep_override():
            raise ConfigError(f"override {o!r}: one value per key (a calibration is not a sweep)")


def make_setup(*, market: str = "monopoly", strategy: str = "middle", consumers: int = 2000, seeds: int = 2,
               period_days: int = 365, params: Sequence[str] = DEFAULT_PARAMS,
               overrides: Sequence[str] = ()) -> Setup:
    """Compose the calibration market like `relsim market=<market> market.consumers=<n> <overrides>`."""
    from ..plumbing.config import load

    check_overrides(overrides)
    spec = load([f"market={market}", f"market.consumers={consumers}", *overrides])
    if strategy not in spec.strategies:
        raise ConfigError(f"--strategy={strategy!r}: unknown strategy; allowed: {', '.join(spec.strategies)}")
    label = f"market={market}, focal strategy {strategy}, {consumers} consumers, seeds 0-{seeds - 1}"
    return Setup(market=spec.market, focal=spec.strategies[strategy], rivals=tuple(spec.rivals()),
                 seeds=tuple(range(seeds)), period_days=period_days, params=tuple(params), label=label)


def simulate(setup: Setup, values: dict[str, float], periods: int, seeds: Sequence[int] | None = None,
             coupled: bool = True) -> np.ndarray:
    """The model's cohort survival at periods 0 ... `periods`, averaged over the setup's seeds."""
    return simulate_seeds(setup, values, periods, seeds, coupled).mean(axis=0)


def simulate_seeds(setup: Setup, values: dict[str, float], periods: int, seeds: Sequence[int] | None = None,
                   coupled: bool = True) -> np.ndarray:
    """The model's cohort survival at periods 0 ... `periods`, one row per seed.

    With `coupled` (the default), each consumer's churn propensity is the quantile of a fixed uniform
    (per seed and consumer) of the market's propensity distribution, instead of the model's own gamma
    draw. The distribution is the same, but a change of its sd moves every consumer's propensity a
    little instead of redrawing the population (a gamma sampler uses a varying number of random
    numbers per draw), so the objective is smooth in the heterogeneity.
    """
    from relsim.model import RelationshipModel

    market = setup.with_values(values)
    days = periods * setup.period_days
    curves = []
    for seed in seeds if seeds is not None else setup.seeds:
        model = RelationshipModel(setup.focal, market, rivals=list(setup.rivals), days=days, rng=seed,
                                  consumer_agents=False, collect=False)
        if coupled:
            traits = model.world.traits
            u = np.random.default_rng([seed, 2007]).random(len(traits.churn_propensity))
            traits.churn_propensity[:] = propensity_quantiles(market.population.churn_propensity, u)
        model.run()
        ret = model.recorder.retention()
        surviving = ret.loc[ret["firm"] == 0].sort_values("tenure_days")["surviving"].to_numpy()
        curves.append(surviving[:: setup.period_days])
    return np.array(curves)


# --------------------------------------------------------------------------- fitting

@dataclasses.dataclass
class ABMFit:
    """Fitted values, their standard errors and 95% intervals, and the fit's diagnostics."""

    values: dict[str, float]
    se: dict[str, float]
    ci: dict[str, tuple[float, float]]
    correlation: list[list[float]]
    sse: float
    evaluations: int
    fitted: np.ndarray  # model survival at periods 0 ... K (calibration seeds)
    profile: list[dict[str, float]]  # in-sample RMSE on the trust-sensitivity grid (other parameters fitted)
    message: str


def _mean_initial_trust(market: Market) -> float:
    """The cohort's mean day-0 trust (the initial_trust distribution's mean, clipped as the model clips it)."""
    return float(np.clip(market.population.initial_trust.mean, *initial_range(market.behaviour)))


class _Coordinates:
    """Internal coordinates of the search: logs of the parameters, with base_churn replaced by the day-0
    hazard h0 = base_churn exp(trust_sensitivity (0.5 - mean initial trust)).

    The first period's churn pins h0 down whatever the trust sensitivity, so searching over h0 instead
    of base_churn takes the long ridge between base_churn and trust_sensitivity out of the search.
    """

    def __init__(self, setup: Setup):
        self.keys = list(setup.params)
        self.market = setup.market
        self.gap = 0.5 - _mean_initial_trust(setup.market)

    def _ts(self, values: dict[str, float]) -> float:
        return values.get("behaviour.trust_sensitivity", self.market.behaviour.trust_sensitivity)

    def values(self, z: np.ndarray) -> dict[str, float]:
        """The parameter values at search point `z`."""
        values = {k: float(np.exp(v)) for k, v in zip(self.keys, z, strict=True)}
        if "behaviour.base_churn" in values:
            values["behaviour.base_churn"] *= math.exp(-self._ts(values) * self.gap)
        return values

    def point(self, values: dict[str, float]) -> np.ndarray:
        """The search point of the parameter values (the inverse of `values`)."""
        z = {k: math.log(values[k]) for k in self.keys}
        if "behaviour.base_churn" in z:
            z["behaviour.base_churn"] += self._ts(values) * self.gap
        return np.array([z[k] for k in self.keys])

    def excess(self, values: dict[str, float]) -> float:
        """How far (in log units) values lie outside the parameters' bounds (0 inside)."""
        out = 0.0
        for k, v in values.items():
            p = PARAMS[k]
            out += max(math.log(p.lo) - math.log(v), 0.0) + max(math.log(v) - math.log(p.hi), 0.0)
        return out


def data_start(curve: Curve, setup: Setup, fit_periods: int) -> dict[str, float]:
    """A starting point read off the data: the day-0 hazard from the first period's churn, the
    heterogeneity from the sBG fit's spread of churn probabilities, the trust sensitivity as the market's.

    With mean propensity 1, a period's churn is about 1 - exp(-h0 P / 365), so h0 = -ln S(1) 365 / P;
    under the sBG, churn probabilities are Beta(alpha, beta) with coefficient of variation
    sqrt(beta / (alpha (alpha + beta + 1))), the spread of propensity when churn is rare.
    """
    market = setup.market
    values = {k: max(PARAMS[k].get(market), PARAMS[k].lo) for k in setup.params}
    ts = values.get("behaviour.trust_sensitivity", market.behaviour.trust_sensitivity)
    gap = 0.5 - _mean_initial_trust(market)
    if "behaviour.base_churn" in values:
        h0 = -math.log(max(curve.shares[1], 1e-6)) * 365.0 / setup.period_days
        values["behaviour.base_churn"] = h0 * math.exp(-ts * gap)
    if "population.churn_propensity.sd" in values:
        sbg = fit_sbg(curve.shares[: fit_periods + 1])
        values["population.churn_propensity.sd"] = math.sqrt(sbg.beta / (sbg.alpha * (sbg.alpha + sbg.beta + 1)))
    return {k: float(np.clip(v, PARAMS[k].lo, PARAMS[k].hi)) for k, v in values.items()}


def fit_abm(curve: Curve, setup: Setup, fit_periods: int, *, max_evals: int = 100,
            progress: Callable[[int, float], None] | None = None) -> ABMFit:
    """Simulated least squares of the model's cohort survival against periods 1 ... K of `curve`.

    A survival curve pins down the day-0 hazard and the heterogeneity well, but the trust
    sensitivity only weakly: a population with little propensity heterogeneity and a strong trust
    effect can mimic one with much heterogeneity. The search starts from values read off the data
    (`data_start`), and the trust sensitivity is profiled: on a grid of
    its values the other parameters are fitted by Nelder-Mead (warm-started from the previous grid
    point), and the best grid point is refined by a parabola through the profile and a final
    Nelder-Mead over all parameters. Nelder-Mead tolerates the small steps that a finite population
    leaves in the objective. Standard errors come from the Gauss-Newton curvature at the optimum
    (central differences a tenth of a log unit wide), with an error variance of at least the noise of the
    simulated mean over seeds (and of the observed shares, when the data are counts).
    """
    objective = _Objective(curve, setup, fit_periods, progress)
    z, profile = _search(objective, objective.coords.point(data_start(curve, setup, fit_periods)), max_evals)
    return _uncertainty(objective, curve, _clipped(objective.coords.values(z)), profile)


def _clipped(values: dict[str, float]) -> dict[str, float]:
    """The values clipped to their parameters' bounds."""
    return {k: float(np.clip(v, PARAMS[k].lo, PARAMS[k].hi)) for k, v in values.items()}


class _Objective:
    """The sum of squared gaps between the simulated and the observed shares at a search point, plus a penalty
    for points outside the bounds. Each parameter set is simulated once (`cache`); `progress` hears of each."""

    def __init__(self, curve: Curve, setup: Setup, fit_periods: int,
                 progress: Callable[[int, float], None] | None = None):
        self.coords = _Coordinates(setup)
        self.setup, self.fit_periods, self.progress = setup, fit_periods, progress
        self.target = curve.shares[1: fit_periods + 1]
        self.cache: dict[tuple, np.ndarray] = {}

    def shares(self, values: dict[str, float]) -> np.ndarray:
        """The simulated shares at periods 1 ... K for these parameter values."""
        key = tuple(round(values[k], 9) for k in self.coords.keys)
        if key not in self.cache:
            self.cache[key] = simulate(self.setup, values, self.fit_periods)[1:]
            if self.progress:
                self.progress(len(self.cache), float(np.sum((self.cache[key] - self.target) ** 2)))
        return self.cache[key]

    def __call__(self, z: np.ndarray) -> float:
        values = self.coords.values(z)
        excess = self.coords.excess(values)
        return float(np.sum((self.shares(_clipped(values)) - self.target) ** 2)) + excess**2 + 0.01 * excess

    def local(self, z0: np.ndarray, free: list[int], budget: int, step: float = 0.3) -> tuple[np.ndarray, float]:
        """Nelder-Mead over the coordinates `free`, the others held at z0."""
        from scipy import optimize

        if budget < len(free) + 2:
            return z0, self(z0)

        def sub(y: np.ndarray) -> float:
            z = z0.copy()
            z[free] = y
            return self(z)

        y0 = z0[free]
        simplex = np.vstack([y0] + [y0 + step * np.eye(len(free))[j] for j in range(len(free))])
        res = optimize.minimize(sub, y0, method="Nelder-Mead",
                                options={"initial_simplex": simplex, "maxfev": budget, "xatol": 0.01, "fatol": 1e-8})
        z = z0.copy()
        z[free] = res.x
        return z, float(res.fun)


def _search(objective: _Objective, z: np.ndarray, max_evals: int) -> tuple[np.ndarray, list[dict[str, float]]]:
    """The best search point from `z` within about `max_evals` simulations (less the Jacobian's), and the
    profile over the trust sensitivity when it is fitted with others."""
    keys = objective.coords.keys
    dim = len(keys)
    jac_budget = 2 * dim + 1
    budget = max(max_evals - jac_budget, 4 * dim)
    ts_key = "behaviour.trust_sensitivity"
    if ts_key not in keys or dim == 1:
        z, _ = objective.local(z, list(range(dim)), budget)
        return z, []
    z, profile = _profile(objective, z, keys.index(ts_key), budget)
    spent = len(objective.cache)
    z, _ = objective.local(z, list(range(dim)), max(max_evals - jac_budget - spent, 0), step=0.15)
    return z, profile


def _profile(objective: _Objective, z: np.ndarray, t: int, budget: int) -> tuple[np.ndarray, list[dict[str, float]]]:
    """The trust sensitivity (coordinate `t`) profiled on a grid from 1 to 16, the other parameters fitted by
    Nelder-Mead at each point (warm-started from the last); the best point, refined by a parabola through
    it and its neighbours, and the profile's in-sample RMSE at each grid point."""
    others = [j for j in range(len(z)) if j != t]
    grid = np.exp(np.linspace(math.log(1.0), math.log(16.0), 5))
    per_point = max(budget * 2 // (3 * len(grid)), len(others) + 3)
    fits, profile = [], []
    for g in grid:
        z[t] = math.log(g)
        z, value = objective.local(z, others, per_point)
        fits.append((z.copy(), value))
        profile.append({"trust_sensitivity": float(g), "rmse": math.sqrt(max(value, 0) / len(objective.target))})
    k = int(np.argmin([v for _, v in fits]))
    z = fits[k][0].copy()
    if 0 < k < len(grid) - 1:  # parabola through the profile at the best grid point and its neighbours
        lx = np.log(grid[k - 1: k + 2])
        a, b, _ = np.polyfit(lx, [v for _, v in fits[k - 1: k + 2]], 2)
        if a > 0:
            z[t] = float(np.clip(-b / (2 * a), lx[0], lx[-1]))
    return z, profile


def _uncertainty(objective: _Objective, curve: Curve, values: dict[str, float], profile: list[dict[str, float]]
                 ) -> ABMFit:
    """The fit at `values` with its standard errors and 95% intervals: the Gauss-Newton curvature (central
    differences a tenth of a log unit wide), with an error variance of one share that is the fit's residual
    variance, but at least the noise of the simulated mean (spread over seeds) plus, for counts, the binomial
    noise of the observed shares."""
    keys, target = objective.coords.keys, objective.target
    x = np.log([values[k] for k in keys])
    lo_x = np.log([PARAMS[k].lo for k in keys])
    hi_x = np.log([PARAMS[k].hi for k in keys])

    def residuals(xx: np.ndarray) -> np.ndarray:
        return objective.shares({k: float(np.exp(v)) for k, v in zip(keys, xx, strict=True)}) - target

    fitted = residuals(x) + target
    resid = float(np.sum((fitted - target) ** 2))
    jac = jacobian(residuals, x, lo_x, hi_x, step=0.1)
    runs = simulate_seeds(objective.setup, values, objective.fit_periods)[:, 1:]
    noise = runs.var(axis=0, ddof=1) / len(runs) if len(runs) > 1 else np.zeros(len(target))
    if curve.cohort_size:
        noise = noise + target * (1 - target) / curve.cohort_size
    se_log, corr = log_uncertainty(jac, resid, noise)
    se = {k: float(values[k] * s) for k, s in zip(keys, se_log, strict=True)}
    ci = {k: (max(float(np.exp(v - 1.96 * s)), PARAMS[k].lo), min(float(np.exp(v + 1.96 * s)), PARAMS[k].hi))
          if np.isfinite(s) else (math.nan, math.nan) for k, v, s in zip(keys, x, se_log, strict=True)}
    return ABMFit(values=values, se=se, ci=ci, correlation=np.round(corr, 4).tolist(), sse=resid,
                  evaluations=len(objective.cache), fitted=np.r_[1.0, fitted], profile=profile,
                  message="profile over trust_sensitivity, then Nelder-Mead" if profile else "Nelder-Mead")
