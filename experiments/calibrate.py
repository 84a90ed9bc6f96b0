"""relsim-calibrate: fit the consumers' churn behaviour to an observed cohort retention curve.

    relsim-calibrate DATA.csv --period-days 365 --fit-periods K --horizon H --out DIR
    relsim-calibrate DATA.csv --period-days 30 --fit-periods 12 --horizon 36 --out DIR --write-preset telco
    relsim-calibrate DATA.csv ... market.behaviour.memory_days=90      # any market.* override
    relsim-calibrate DATA.csv --period-days 365 --targets curve --out DIR  # the curve alone, no facts
    relsim-calibrate --out DIR --write-preset calibrated                 # the stylized facts alone

DATA.csv has columns `period` (0, 1, 2, ... consecutive) and `surviving`: the survivors of one
cohort at the start of each period, as counts or as shares of period 0 (in [0, 1]). The model is
fitted on periods 0 ... K and projects to period H; periods after K that the file has are the
hold-out.

The model (docs/ODD.md) runs in a calibration market (default: `market=monopoly`, the focal firm
playing `middle`); its "observed" curve is the share of the focal firm's day-0 cohort still there
after t x period-days days (retention.parquet).

`--method abc` (the default; experiments/abc.py, docs/VALIDATION.md §2) is Bayesian: ABC-SMC
(pyabc) over log-uniform priors of the twelve weights of experiments/patterns.PARAMS, fitted jointly
to the stylized-fact patterns and the curve's periods 1 ... K (`--targets all`), or to the curve
alone (`--targets curve`, by default on the three churn parameters, one run per simulation). It
writes the posterior (posterior.csv) and projects the curve with a 90% posterior predictive band.
The preset's point (`--point best`) is the posterior particle that fits the targets best on seeds the
calibration never saw, compared there with the market's own values (abc.best_point); `--point median`
takes each parameter's posterior median instead.

`--method lsq` fits the three churn parameters

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

Either way, the shifted-beta-geometric model (Fader & Hardie 2007, analysis/sbg.py) is fitted by
maximum likelihood on the same periods as the baseline.

Writes DIR/projection.csv (period, observed, abm, sbg), DIR/calibration.json and DIR/calibration.html.
This module runs the model and the search; the curve, error and uncertainty maths and the page are
in analysis/calibration.py.
`--write-preset NAME` also writes configs/market/NAME.yaml, so that `relsim market=NAME ...` runs any
experiment on the calibrated consumers. Bad input gets one line naming the key, the value and what
is allowed, exit code 2, and no output.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import json
import math
import re
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.calibration import (
    Curve, calibration_page, fmt_num, target_text, format_table, jacobian, log_uncertainty, projection_frame,
    propensity_quantiles, rmse,
)
from relsim.analysis.io import json_safe, write_text_atomic
from relsim.analysis.sbg import SBGFit, fit_sbg
from relsim.experiments.cli import Parser, fail, summary
from relsim.experiments.config import CONFIG_DIR
from relsim.experiments.patterns import CHURN_PARAMS, PARAMS, Param  # noqa: F401 (Param: re-exported)
from relsim.params import ConfigError, Dist, Market, Strategy  # noqa: F401 (Dist: re-exported)
from relsim.trust import initial_range

PROG = "relsim-calibrate"
MAX_DAYS = 36500
#: abc's default simulation budget per --targets: a curve-only simulation is one plain run, about a sixth of
#: the battery's cost, and at the facts' budget its tolerance is still falling by a third a generation
BUDGET = {"all": 1300, "curve": 4000}
PRESET_MARK = "# calibrated by relsim-calibrate"


# --------------------------------------------------------------------------- the observed curve

def read_curve(path: str | Path) -> Curve:
    """Read and check DATA.csv; raises ConfigError with one line naming what is wrong."""
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise ConfigError(f"data={str(path)!r}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, IsADirectoryError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"data={str(path)!r}: not a readable CSV ({why})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("period", "surviving"):
        if column not in frame.columns:
            raise ConfigError(f"data: missing column {column!r}; expected columns period, surviving "
                              f"(found: {', '.join(frame.columns) or 'none'})")
    if len(frame) < 3:
        raise ConfigError(f"data: {len(frame)} period(s); expected at least 3 (periods 0, 1, 2)")
    period = pd.to_numeric(frame["period"], errors="coerce")
    surviving = pd.to_numeric(frame["surviving"], errors="coerce")
    for column, values in (("period", period), ("surviving", surviving)):
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise ConfigError(f"data: {column}={frame[column].iloc[k]!r} in row {k + 2}: expected a number")
    period, surviving = period.to_numpy(dtype=float), surviving.to_numpy(dtype=float)
    order = np.argsort(period, kind="stable")
    period, surviving = period[order], surviving[order]
    expected = np.arange(len(period))
    if not np.array_equal(period, expected):
        k = int(np.flatnonzero(period != expected)[0])
        raise ConfigError(f"data: period={period[k]:g}: expected consecutive whole periods 0, 1, 2, ... "
                          f"(period {k} is missing or repeated)")
    counts = bool(surviving.max() > 1)
    if counts:
        if np.any(surviving < 0) or np.any(surviving != np.round(surviving)):
            k = int(np.flatnonzero((surviving < 0) | (surviving != np.round(surviving)))[0])
            raise ConfigError(f"data: surviving={surviving[k]:g} at period {k}: expected shares in [0, 1] "
                              f"or whole-number counts >= 0")
    elif np.any((surviving < 0) | (surviving > 1)):
        k = int(np.flatnonzero((surviving < 0) | (surviving > 1))[0])
        raise ConfigError(f"data: surviving={surviving[k]:g} at period {k}: expected a share in [0, 1]")
    if surviving[0] <= 0:
        raise ConfigError(f"data: surviving={surviving[0]:g} at period 0: expected the cohort (> 0)")
    rises = np.flatnonzero(np.diff(surviving) > 0)
    if len(rises):
        k = int(rises[0]) + 1
        raise ConfigError(f"data: surviving={surviving[k]:g} at period {k} is above {surviving[k - 1]:g} at "
                          f"period {k - 1}: survival must not rise")
    return Curve(shares=surviving / surviving[0], cohort_size=float(surviving[0]) if counts else None,
                 source=str(path))


# --------------------------------------------------------------------------- parameters

# Param and PARAMS (every parameter relsim-calibrate can fit, with its prior) live in experiments/patterns.py;
# the least-squares method fits the three churn parameters a retention curve identifies.
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
        market = self.market
        for key, value in values.items():
            market = PARAMS[key].set(market, value)
        return market


def check_overrides(overrides: Sequence[str]) -> None:
    """Only market.* overrides may change the calibration market."""
    for o in overrides:
        if not o.lstrip("+~").startswith("market.") or "=" not in o:
            raise ConfigError(f"override {o!r}: expected market.<key>=<value>")


def make_setup(*, market: str = "monopoly", strategy: str = "middle", consumers: int = 2000, seeds: int = 2,
               period_days: int = 365, params: Sequence[str] = DEFAULT_PARAMS,
               overrides: Sequence[str] = ()) -> Setup:
    """Compose the calibration market like `relsim market=<market> market.consumers=<n> <overrides>`."""
    from relsim.experiments.config import load

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
    from scipy import optimize

    coords = _Coordinates(setup)
    keys, dim = coords.keys, len(coords.keys)
    target = curve.shares[1: fit_periods + 1]
    cache: dict[tuple, np.ndarray] = {}

    def clipped(values: dict[str, float]) -> dict[str, float]:
        return {k: float(np.clip(v, PARAMS[k].lo, PARAMS[k].hi)) for k, v in values.items()}

    def shares(values: dict[str, float]) -> np.ndarray:
        key = tuple(round(values[k], 9) for k in keys)
        if key not in cache:
            cache[key] = simulate(setup, values, fit_periods)[1:]
            if progress:
                progress(len(cache), float(np.sum((cache[key] - target) ** 2)))
        return cache[key]

    def objective(z: np.ndarray) -> float:
        values = coords.values(z)
        excess = coords.excess(values)
        return float(np.sum((shares(clipped(values)) - target) ** 2)) + excess**2 + 0.01 * excess

    def local(z0: np.ndarray, free: list[int], budget: int, step: float = 0.3) -> tuple[np.ndarray, float]:
        """Nelder-Mead over the coordinates `free`, the others held at z0."""
        if budget < len(free) + 2:
            return z0, objective(z0)

        def sub(y: np.ndarray) -> float:
            z = z0.copy()
            z[free] = y
            return objective(z)

        y0 = z0[free]
        simplex = np.vstack([y0] + [y0 + step * np.eye(len(free))[j] for j in range(len(free))])
        res = optimize.minimize(sub, y0, method="Nelder-Mead",
                                options={"initial_simplex": simplex, "maxfev": budget, "xatol": 0.01, "fatol": 1e-8})
        z = z0.copy()
        z[free] = res.x
        return z, float(res.fun)

    z = coords.point(data_start(curve, setup, fit_periods))
    jac_budget = 2 * dim + 1
    budget = max(max_evals - jac_budget, 4 * dim)
    profile: list[dict[str, float]] = []
    ts_key = "behaviour.trust_sensitivity"
    if ts_key in keys and dim > 1:
        t = keys.index(ts_key)
        others = [j for j in range(dim) if j != t]
        grid = np.exp(np.linspace(math.log(1.0), math.log(16.0), 5))
        per_point = max(budget * 2 // (3 * len(grid)), len(others) + 3)
        fits = []
        for g in grid:
            z[t] = math.log(g)
            z, value = local(z, others, per_point)
            fits.append((z.copy(), value))
            profile.append({"trust_sensitivity": float(g), "rmse": math.sqrt(max(value, 0) / len(target))})
        k = int(np.argmin([v for _, v in fits]))
        z = fits[k][0].copy()
        if 0 < k < len(grid) - 1:  # parabola through the profile at the best grid point and its neighbours
            lx = np.log(grid[k - 1: k + 2])
            a, b, _ = np.polyfit(lx, [v for _, v in fits[k - 1: k + 2]], 2)
            if a > 0:
                z[t] = float(np.clip(-b / (2 * a), lx[0], lx[-1]))
        spent = len(cache)
        z, _ = local(z, list(range(dim)), max(max_evals - jac_budget - spent, 0), step=0.15)
    else:
        z, _ = local(z, list(range(dim)), budget)
    values = clipped(coords.values(z))
    x = np.log([values[k] for k in keys])
    lo_x = np.log([PARAMS[k].lo for k in keys])
    hi_x = np.log([PARAMS[k].hi for k in keys])

    def residuals(xx: np.ndarray) -> np.ndarray:
        return shares({k: float(np.exp(v)) for k, v in zip(keys, xx, strict=True)}) - target

    fitted = residuals(x) + target
    resid = float(np.sum((fitted - target) ** 2))
    jac = jacobian(residuals, x, lo_x, hi_x, step=0.1)
    # error variance of one share: the fit's residual variance, but at least the noise of the simulated
    # mean (spread over seeds) plus, for counts, the binomial noise of the observed shares
    runs = simulate_seeds(setup, values, fit_periods)[:, 1:]
    noise = runs.var(axis=0, ddof=1) / len(runs) if len(runs) > 1 else np.zeros(len(target))
    if curve.cohort_size:
        noise = noise + target * (1 - target) / curve.cohort_size
    se_log, corr = log_uncertainty(jac, resid, noise)
    se = {k: float(values[k] * s) for k, s in zip(keys, se_log, strict=True)}
    ci = {k: (max(float(np.exp(v - 1.96 * s)), PARAMS[k].lo), min(float(np.exp(v + 1.96 * s)), PARAMS[k].hi))
          if np.isfinite(s) else (math.nan, math.nan) for k, v, s in zip(keys, x, se_log, strict=True)}
    return ABMFit(values=values, se=se, ci=ci, correlation=np.round(corr, 4).tolist(), sse=resid,
                  evaluations=len(cache), fitted=np.r_[1.0, fitted], profile=profile,
                  message="profile over trust_sensitivity, then Nelder-Mead" if profile else "Nelder-Mead")


# --------------------------------------------------------------------------- outputs

def preset_text(name: str, values: dict[str, float], market: Market, overrides: Sequence[str], curve: Curve | None,
                fit_periods: int, market_name: str, *, period_days: int = 365, strategy: str = "middle",
                method: str = "lsq", facts: bool = True, point: str = "median") -> str:
    """configs/market/<name>.yaml: market/default plus the calibrated consumer parameters."""
    pop = market.population.churn_propensity
    if method == "abc":
        fitted = [*(["the stylized-fact patterns of experiments/patterns.py"] if facts else []),
                  *([f"the cohort retention curve in {curve.source} (periods 0-{fit_periods} of {period_days} days)"]
                    if curve else [])]
        what = ("the posterior particle that fits best on held-out seeds (calibration.json: point)" if point == "best"
                else "the posterior medians") + " of an ABC-SMC calibration to " + " and ".join(fitted)
    else:
        what = (f"a least-squares fit to the cohort retention curve in {curve.source} (periods 0-{fit_periods} of "
                f"{period_days} days)")
    lines = [
        f"{PRESET_MARK} on {dt.date.today().isoformat()} (docs/VALIDATION.md).",
        f"# {name}: the default market (market/default, so its rivals too) with consumer behaviour from",
        *textwrap.wrap(what, 100, initial_indent="# ", subsequent_indent="# "),
        f"# simulated in market={market_name} with the focal firm playing {strategy}.",
        "# calibration.json has the uncertainty and the fit. Use: relsim market=" + name + " scenario=...",
        *(["# Values of parameters the targets do not identify (calibration.json: identified) say little;",
           "# relsim market=" + name + " posterior=N runs on N posterior draws instead."] if method == "abc" else []),
        "defaults:", "  - default", "  - _self_", "",
    ]
    nested: dict[str, Any] = {}
    for o in overrides:
        key, _, value = o.lstrip("+").partition("=")
        parts = key.split(".")[1:]
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    if "population.churn_propensity.sd" in values:
        kind = "gamma" if pop.kind == "constant" else pop.kind
        sd = values["population.churn_propensity.sd"]
        nested.setdefault("population", {})["churn_propensity"] = f"{{kind: {kind}, mean: {pop.mean:g}, sd: {sd:.6g}}}"
    for key, value in values.items():
        if key.startswith("behaviour."):
            nested.setdefault("behaviour", {})[key.split(".", 1)[1]] = f"{value:.6g}"

    def emit(node: dict[str, Any], indent: int) -> None:
        for k, v in node.items():
            if isinstance(v, dict):
                lines.append(" " * indent + f"{k}:")
                emit(v, indent + 2)
            else:
                lines.append(" " * indent + f"{k}: {v}")

    emit(nested, 0)
    return "\n".join(lines) + "\n"


def check_preset_name(name: str, directory: Path) -> Path:
    """The preset's path; refuses bad names and presets that relsim-calibrate did not write."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
        raise ConfigError(f"--write-preset={name!r}: expected a name of letters, digits, _ or - starting with a letter")
    path = directory / f"{name}.yaml"
    if path.exists() and not path.read_text(encoding="utf-8").startswith(PRESET_MARK):
        raise ConfigError(f"--write-preset={name!r}: market/{name}.yaml exists and was not written by {PROG}; "
                          f"choose another name")
    return path


# --------------------------------------------------------------------------- command line

def _parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=summary(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="?", default=None,
                   help="CSV with columns period (0, 1, ...) and surviving (counts or shares); optional with "
                        "--method abc (then only the stylized-fact patterns are fitted)")
    p.add_argument("--period-days", type=int, default=None, help="days in one period, e.g. 365 or 30 (with data)")
    p.add_argument("--fit-periods", type=int, default=None, help="K: fit on periods 0..K (default: all)")
    p.add_argument("--horizon", type=int, default=None,
                   help="H: project to period H (default: the data's last, at least K)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--method", choices=("abc", "lsq"), default="abc",
                   help="abc: Bayesian, ABC-SMC on the stylized-fact patterns (+ the curve); lsq: simulated least "
                        "squares on the curve alone (default abc)")
    p.add_argument("--targets", choices=("all", "curve"), default="all",
                   help="abc: all = the stylized-fact patterns and, with DATA.csv, the curve's fitted periods; "
                        "curve = the curve alone, from one run per simulation (needs DATA.csv; default all)")
    p.add_argument("--market", default="monopoly", help="market preset to calibrate in (default monopoly)")
    p.add_argument("--strategy", default="middle", help="lsq: strategy the focal firm plays (default middle)")
    p.add_argument("--consumers", type=int, default=None,
                   help="consumers per simulation (default 1500 with abc, 2000 with lsq)")
    p.add_argument("--seeds", type=int, default=2, help="lsq: seeds per evaluation, 0..n-1 (default 2)")
    p.add_argument("--params", default=None,
                   help="comma-separated parameters to fit (default: abc all " f"{len(PARAMS)}, lsq the three churn "
                        "parameters); allowed: " + ", ".join(PARAMS))
    p.add_argument("--max-evals", type=int, default=100, help="lsq: simulation budget of the fit (default 100)")
    p.add_argument("--population", type=int, default=100, help="abc: particles per generation (default 100)")
    p.add_argument("--generations", type=int, default=10, help="abc: at most this many generations (default 10)")
    p.add_argument("--budget", type=int, default=None,
                   help="abc: stop after the generation in which this many simulations were spent (default "
                        f"{BUDGET['all']}; {BUDGET['curve']} with --targets curve, one plain run a simulation)")
    p.add_argument("--draws", type=int, default=20,
                   help="abc: posterior draws for the projection's predictive band (default 20)")
    p.add_argument("--seed", type=int, default=0, help="abc: the calibration's seed (default 0)")
    p.add_argument("--workers", type=int, default=None, help="abc: processes (default: all cores)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="abc: run the simulations on a Dask cluster (a scheduler address, or 'local')")
    p.add_argument("--patterns", type=int, default=None, metavar="N",
                   help="fit nothing: measure the patterns on seeds 0..N-1 at the market's values "
                        "(seed-to-seed spread and targets)")
    p.add_argument("--coverage", type=int, default=None, metavar="N",
                   help="check the inference instead: N synthetic calibrations whose truth is drawn from the prior; "
                        "writes coverage.json (how often each 90%% interval holds the truth)")
    p.add_argument("--point", choices=("best", "median"), default="best",
                   help="abc: the preset's values: best = the posterior particle that fits the targets best on seeds "
                        "the calibration never saw (calibration.json: point); median = each parameter's posterior "
                        "median (default best)")
    p.add_argument("--point-seeds", type=int, default=8, metavar="N",
                   help="abc, --point best: seeds per stage of the choice (every particle on N/2, the ten best on N, "
                        "the chosen one and the market's own values on N more; default 8)")
    p.add_argument("--write-preset", metavar="NAME", default=None, help="also write configs/market/NAME.yaml")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("overrides", nargs="*",
                   help="market.* overrides of the calibration market, e.g. market.behaviour.memory_days=90")
    return p


def _int_in(value: int, key: str, lo: int, hi: int, why: str = "") -> int:
    if not lo <= value <= hi:
        raise ConfigError(f"{key}={value}: expected an integer in [{lo}, {hi}]{why}")
    return value


def _params(args: argparse.Namespace) -> tuple[str, ...]:
    if args.params is None:
        return tuple(PARAMS) if args.method == "abc" and args.targets == "all" else DEFAULT_PARAMS
    params = tuple(p.strip() for p in args.params.split(",") if p.strip())
    for p in params:
        if p not in PARAMS:
            raise ConfigError(f"--params: unknown parameter {p!r}; allowed: {', '.join(PARAMS)}")
    if not params or len(set(params)) != len(params):
        raise ConfigError(f"--params={args.params!r}: expected distinct names from {', '.join(PARAMS)}")
    if args.method == "lsq" and set(params) - set(CHURN_PARAMS):
        raise ConfigError(f"--params={args.params!r}: --method lsq fits only {', '.join(CHURN_PARAMS)}")
    return params


def _horizon(args: argparse.Namespace, curve: Curve, period_days: int, n_params: int) -> tuple[int, int]:
    """K and H, checked against the data."""
    last = curve.last_period
    k = args.fit_periods if args.fit_periods is not None else last
    k_lo = max(2, n_params)
    if k_lo > last:
        raise ConfigError(f"--params: fitting {n_params} parameters needs periods 0-{k_lo} at least; the data "
                          f"have 0-{last} (fit fewer --params)")
    _int_in(k, "--fit-periods", k_lo, last, f" (periods in the data: 0-{last}; fitting {n_params} "
            f"parameter(s) needs at least {k_lo})")
    h = args.horizon if args.horizon is not None else max(last, k)
    _int_in(h, "--horizon", k, MAX_DAYS // period_days, f" (from --fit-periods to {MAX_DAYS} days)")
    return k, h


def run(args: argparse.Namespace, preset_dir: Path | None = None) -> dict[str, Any]:
    """Check everything, calibrate, write the outputs; returns the calibration report."""
    started = time.perf_counter()
    if args.data is None and args.method == "lsq":
        raise ConfigError("data: --method lsq needs a retention curve (DATA.csv)")
    if args.data is None and args.targets == "curve" and args.patterns is None and args.coverage is None:
        raise ConfigError("data: --targets curve needs a retention curve (DATA.csv)")
    curve = read_curve(args.data) if args.data is not None else None
    if curve is not None and args.period_days is None:
        raise ConfigError("--period-days: required with a retention curve (e.g. 365 or 30)")
    period_days = _int_in(args.period_days, "--period-days", 1, MAX_DAYS) if curve is not None else 365
    params = _params(args)
    if args.consumers is None:
        args.consumers = 1500 if args.method == "abc" else 2000
    _int_in(args.consumers, "--consumers", 50, 1_000_000)
    if args.budget is None:
        args.budget = BUDGET[args.targets]
    directory = preset_dir or CONFIG_DIR / "market"
    preset_path = check_preset_name(args.write_preset, directory) if args.write_preset else None
    check_overrides(args.overrides)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out={args.out!r}: exists and is not a directory")
    if args.patterns is not None:
        return _run_patterns(args, out, started)
    if args.coverage is not None:
        return _run_coverage(args, params, out, started)
    if args.method == "lsq":
        return _run_lsq(args, curve, period_days, params, out, preset_path, started)
    return _run_abc(args, curve, period_days, params, out, preset_path, started)


# --------------------------------------------------------------------------- Bayesian: ABC-SMC on the patterns

def _workers(args: argparse.Namespace) -> int:
    """--workers, by default one per core."""
    import os

    return _int_in(args.workers if args.workers is not None else (os.cpu_count() or 1), "--workers", 1, 1024)


def _battery(args: argparse.Namespace, curve_days: Sequence[int] = (), facts: bool = True):
    from relsim.experiments.patterns import make_battery

    return make_battery(args.consumers, market=args.market, overrides=args.overrides, curve_days=curve_days,
                        facts=facts)


def _run_patterns(args: argparse.Namespace, out: Path, started: float) -> dict[str, Any]:
    """Measure the patterns on seeds 0..N-1 at the market's own values: their spread and whether on target."""
    from relsim.experiments.patterns import PATTERNS, measure, summarize

    _int_in(args.patterns, "--patterns", 2, 1000)
    battery = _battery(args)
    draws = []
    for seed in range(args.patterns):
        draws.append(measure(battery, {}, seed))
        if not args.quiet:
            print(f"{PROG}: battery {seed + 1}/{args.patterns}", file=sys.stderr, flush=True)
    table = summarize(draws)
    report = json_safe({"market": args.market, "overrides": list(args.overrides), "consumers": args.consumers,
                        "seeds": args.patterns, "patterns": table,
                        "values": {k: PARAMS[k].get(battery.market) for k in PARAMS}})
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "patterns.json", json.dumps(report, indent=2) + "\n")
    print(format_patterns(table, PATTERNS))
    print(f"wrote {out / 'patterns.json'} in {time.perf_counter() - started:.1f} s")
    return report


def _run_coverage(args: argparse.Namespace, params: tuple[str, ...], out: Path, started: float) -> dict[str, Any]:
    """Expected coverage of the 90% intervals on synthetic pattern data (abc.coverage)."""
    from relsim.experiments import abc

    _int_in(args.coverage, "--coverage", 1, 10_000)
    workers = _workers(args)

    def say(i: int, hits: dict[str, bool]) -> None:
        if not args.quiet:
            _say(f"synthetic calibration {i}/{args.coverage}: truth inside for {sum(hits.values())}/{len(hits)}")

    _, scales = abc.targets_of(abc.default_targets(consumers=args.consumers))
    result = abc.coverage(abc.pattern_model(_battery(args), params), params, scales, args.coverage, seed=args.seed,
                          population=args.population, generations=args.generations, budget=args.budget,
                          workers=workers, dask=args.dask, progress=say)
    result["setup"] = {"consumers": args.consumers, "population": args.population, "generations": args.generations,
                       "budget": args.budget, "seed": args.seed, "params": list(params)}
    result["wall_seconds"] = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "coverage.json", json.dumps(json_safe(result), indent=2) + "\n")
    for key, share in result["coverage"].items():
        print(f"{key:34s} 90% interval held the truth in {share:.0%} of {args.coverage}")
    pooled = float(np.mean([v for h in result["hits"] for v in h.values()]))
    print(f"{'all parameters':34s} {pooled:.0%}; wrote {out / 'coverage.json'} in {result['wall_seconds']:.0f} s")
    return result


def format_patterns(table: dict[str, dict[str, Any]], patterns) -> str:
    """Each pattern's mean and spread against its target, as terminal text."""
    lines = [f"{'fact':>4}  {'pattern':28s} {'target':>16} {'mean':>9} {'sd':>8} {'on target':>9}"]
    for key, row in table.items():
        target = target_text(*row["target"])
        lines.append(f"{patterns[key].fact:>4}  {key:28s} {target:>16} {fmt_num(row['mean'], '.4f'):>9} "
                     f"{fmt_num(row['sd'], '.4f'):>8} {row['on_target']:>9.0%}")
    return "\n".join(lines)


def curve_patterns(curve: Curve, period_days: int, fit_periods: int, consumers: int) -> dict[str, Any]:
    """The retention curve's fitted points as point targets. The tolerance of each is the binomial
    standard error of the observed share (a cohort of 1000 when the data are shares) combined with
    the simulated share's own (about 70% of the consumers are day-0 customers)."""
    from relsim.experiments.patterns import Pattern

    out = {}
    n_obs, n_sim = curve.cohort_size or 1000.0, 0.7 * consumers
    for k in range(1, fit_periods + 1):
        share = float(curve.shares[k])
        se = math.sqrt(max(share * (1 - share), 0.01 * 0.99) * (1 / n_obs + 1 / n_sim))
        out[f"survival_{k * period_days}"] = Pattern(f"survival_{k * period_days}", 0, share, share, se,
                                                     f"share of the cohort surviving after period {k}", curve.source)
    return out


def _run_abc(args: argparse.Namespace, curve: Curve | None, period_days: int, params: tuple[str, ...], out: Path,
             preset_path: Path | None, started: float) -> dict[str, Any]:
    """ABC-SMC on the stylized-fact patterns (and the curve's fitted periods), then the posterior's
    predictive projection of the curve beside the sBG's."""
    from relsim.analysis.calibration import abc_page, band_frame
    from relsim.experiments import abc
    from relsim.experiments.patterns import simulate_curve

    for key, value, lo, hi in (("--population", args.population, 10, 100_000), ("--generations", args.generations,
                               1, 100), ("--budget", args.budget, 10, 10_000_000), ("--draws", args.draws, 2, 10_000),
                           ("--point-seeds", args.point_seeds, 2, 1000)):
        _int_in(value, key, lo, hi)
    workers = _workers(args)
    k = h = 0
    extra = {}
    if curve is not None:
        k, h = _horizon(args, curve, period_days, 2)
        extra = curve_patterns(curve, period_days, k, args.consumers)
    facts = args.targets == "all"
    battery = _battery(args, [k_ * period_days for k_ in range(1, k + 1)], facts)
    targets = abc.default_targets(extra, args.consumers) if facts else extra
    observed, scales = abc.targets_of(targets)
    if not args.quiet:
        print(f"{PROG}: ABC-SMC, {len(params)} parameters, {len(targets)} targets, {args.population} particles, "
              f"budget {args.budget} simulations, {workers} worker(s)" + (f" on Dask {args.dask}" if args.dask else ""),
              file=sys.stderr, flush=True)
    cal = abc.calibrate(abc.pattern_model(battery, params), params, observed, scales, population=args.population,
                        generations=args.generations, budget=args.budget, seed=args.seed, workers=workers,
                        dask=args.dask, verbose=not args.quiet)
    summary_ = abc.posterior_summary(cal)
    fit_pattern = abc.pattern_fit(cal, targets)
    point = {"rule": "each parameter's posterior median", "values": cal.values()}
    curves = None
    if args.point == "best" and not args.quiet:
        _say(f"choosing the best-fitting particle on {args.point_seeds} held-out seeds a stage")
    if args.point == "best" or curve is not None:
        with abc.mapper(workers, args.dask) as map_:  # one pool (or cluster) for the point and the projection
            if args.point == "best":
                point = {"rule": "the particle that fits the targets best on held-out seeds "
                                 "(experiments/abc.best_point)",
                         **abc.best_point(functools.partial(abc.measure_task, battery), cal, targets,
                                          seeds=args.point_seeds, seed=args.seed, map_=map_)}
            if curve is not None:
                draws = cal.draws(args.draws, seed=args.seed)
                curves = list(map_(functools.partial(simulate_curve, battery, period_days, h),
                                   [(d, 10_000 + j) for j, d in enumerate(draws)]))
    report: dict[str, Any] = {
        "method": "ABC-SMC (pyabc): log-uniform priors, distance = Euclidean norm of the patterns' misses in "
                  "tolerances, tolerance schedule = median of the previous generation's distances, seeded tasks "
                  "(experiments/abc.py)",
        "setup": {"targets": args.targets, "market": args.market, "overrides": list(args.overrides),
                  "consumers": args.consumers,
                  "population": args.population, "generations": cal.generations, "budget": args.budget,
                  "simulations": cal.simulations, "seed": args.seed, "workers": workers, "dask": args.dask,
                  "effective_sample_size": cal.ess},
        "epsilons": cal.epsilons,
        "parameters": summary_,
        "patterns": fit_pattern,
        "point": point,
        "preset": str(preset_path) if preset_path else None,
    }
    frame = None
    if curve is not None:
        sbg: SBGFit = fit_sbg(curve.shares[: k + 1], cohort_size=curve.cohort_size)
        frame = band_frame(curve, np.array(curves), sbg.survival(h), h)
        last = curve.last_period
        fit_range, hold_range = range(1, k + 1), range(k + 1, last + 1)
        inside = [bool(r.abm_lo - 1e-12 <= r.observed <= r.abm_hi + 1e-12)
                  for r in frame.itertuples() if r.period in hold_range]
        report["data"] = {"file": curve.source, "periods": last + 1, "period_days": period_days,
                          "cohort_size": curve.cohort_size, "fit_periods": k, "horizon": h}
        report["abm"] = {"rmse": {"in_sample": rmse(frame["abm"].to_numpy(), curve.shares, fit_range),
                                  "hold_out": rmse(frame["abm"].to_numpy(), curve.shares, hold_range)},
                         "band": "5-95% of the posterior predictive (draws x seeds)",
                         "hold_out_inside_band": (sum(inside) / len(inside)) if inside else None}
        report["sbg"] = {"alpha": {"value": sbg.alpha, "se": sbg.alpha_se},
                         "beta": {"value": sbg.beta, "se": sbg.beta_se},
                         "rmse": {"in_sample": rmse(sbg.survival(h), curve.shares, fit_range),
                                  "hold_out": rmse(sbg.survival(h), curve.shares, hold_range)}}
    report["wall_seconds"] = time.perf_counter() - started
    report = json_safe(report)
    out.mkdir(parents=True, exist_ok=True)
    values = point["values"]
    write_text_atomic(out / "posterior.csv", pd.DataFrame(
        {**{key: 10.0 ** cal.particles[:, i] for i, key in enumerate(cal.keys)}, "weight": cal.weights}
    ).to_csv(index=False, float_format="%.6g"))
    if frame is not None:
        write_text_atomic(out / "projection.csv", frame.to_csv(index=False, float_format="%.6f", na_rep=""))
    write_text_atomic(out / "calibration.json", json.dumps(report, indent=2) + "\n")
    title = ("Calibration to the stylized facts" if curve is None else f"Calibration to {Path(curve.source).name}"
             + " and the stylized facts" * facts)
    write_text_atomic(out / "calibration.html", abc_page(report, frame, k, title))
    if preset_path:
        write_text_atomic(preset_path, preset_text(args.write_preset, values, battery.market, args.overrides, curve,
                                                   k, args.market, period_days=period_days, method="abc",
                                                   facts=facts, point=args.point))
        write_text_atomic(preset_path.with_name(f"{args.write_preset}.posterior.csv"),
                          (out / "posterior.csv").read_text(encoding="utf-8"))
    if frame is not None:
        print(format_table(frame, k))
        print()
    print(format_posterior(report["parameters"]))
    print()
    print(format_patterns(fit_pattern, targets))
    print(format_point(report["point"]))
    if frame is not None:
        for model in ("abm", "sbg"):
            r = report[model]["rmse"]
            print(f"RMSE {model:4s} in-sample {fmt_num(r['in_sample'], '.4f')}   "
                  f"hold-out {fmt_num(r['hold_out'], '.4f')}")
    if preset_path:
        print(f"wrote preset {preset_path} (use: relsim market={args.write_preset} ...)")
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s ({cal.simulations} simulations, "
          f"{cal.generations} generations, effective sample size {cal.ess:.0f} of {len(cal.weights)})")
    return report


def format_point(point: dict[str, Any]) -> str:
    """The preset's point as terminal text: which particle, and its fit beside the market's own values."""
    if "confirm" not in point:
        return "point: " + point["rule"]
    c = point["confirm"]
    n = len(point["seeds"]["confirm"])
    return (f"point: posterior particle {point['particle']} (weight {point['weight']:.3g}); distance on {n} held-out "
            f"seeds {c['point']['distance']:.2f}, the market's own values {c['market']['distance']:.2f}")


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def format_posterior(parameters: dict[str, dict[str, Any]]) -> str:
    """Each parameter's posterior median and 90% interval beside its prior's, as terminal text."""
    lines = [f"{'parameter':34s} {'median':>9}  {'90% interval':>21}  {'prior 90%':>21}  identified"]
    for key, v in parameters.items():
        lines.append(f"{key:34s} {fmt_num(v['median']):>9}  "
                     f"{'[' + fmt_num(v['interval'][0]) + ', ' + fmt_num(v['interval'][1]) + ']':>21}  "
                     f"{'[' + fmt_num(v['prior_interval'][0]) + ', ' + fmt_num(v['prior_interval'][1]) + ']':>21}  "
                     f"{v['identified']} ({v['width_ratio']:.2f})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- simulated least squares on the curve

def _run_lsq(args: argparse.Namespace, curve: Curve, period_days: int, params: tuple[str, ...], out: Path,
             preset_path: Path | None, started: float) -> dict[str, Any]:
    """Simulated least squares on the curve alone, with the sBG baseline."""
    k, h = _horizon(args, curve, period_days, len(params))
    last = curve.last_period
    _int_in(args.seeds, "--seeds", 1, 100)
    _int_in(args.max_evals, "--max-evals", 1, 100_000)
    setup = make_setup(market=args.market, strategy=args.strategy, consumers=args.consumers, seeds=args.seeds,
                       period_days=period_days, params=params, overrides=args.overrides)

    # sBG baseline
    sbg: SBGFit = fit_sbg(curve.shares[: k + 1], cohort_size=curve.cohort_size)
    sbg_curve = sbg.survival(h)

    # the agent-based model
    tty = sys.stderr.isatty()

    def progress(n: int, sse: float) -> None:
        if args.quiet:
            return
        line = f"{PROG}: simulation {n} (budget about {args.max_evals}), RMSE {math.sqrt(sse / k):.4f}"
        if tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif n % 10 == 0:
            print(line, file=sys.stderr, flush=True)

    abm = fit_abm(curve, setup, k, max_evals=args.max_evals, progress=progress)
    if not args.quiet and tty:
        print(file=sys.stderr)
    abm_curve = simulate(setup, abm.values, h)
    frame = projection_frame(curve, abm_curve, sbg_curve, h)
    fit_range, hold_range = range(1, k + 1), range(k + 1, last + 1)
    report = {
        "data": {"file": curve.source, "periods": last + 1, "period_days": period_days,
                 "cohort_size": curve.cohort_size, "fit_periods": k, "horizon": h},
        "setup": {"label": setup.label, "market": args.market, "strategy": args.strategy,
                  "consumers": args.consumers, "seeds": list(setup.seeds), "overrides": list(args.overrides)},
        "abm": {
            "parameters": {key: {"value": abm.values[key], "se": abm.se[key], "ci95": list(abm.ci[key]),
                                 "bounds": [PARAMS[key].lo, PARAMS[key].hi], "meaning": PARAMS[key].doc}
                           for key in params},
            "correlation": abm.correlation,
            "method": "simulated least squares with common random numbers (fixed seeds; churn propensities as "
                      "quantiles of fixed uniforms); trust_sensitivity profiled on a grid with Nelder-Mead for "
                      "the others, then Nelder-Mead over all; uncertainty from the Gauss-Newton curvature "
                      "at the optimum",
            "evaluations": abm.evaluations, "optimizer": abm.message, "profile": abm.profile,
            "rmse": {"in_sample": rmse(abm_curve, curve.shares, fit_range),
                     "hold_out": rmse(abm_curve, curve.shares, hold_range)},
        },
        "sbg": {
            "alpha": {"value": sbg.alpha, "se": sbg.alpha_se}, "beta": {"value": sbg.beta, "se": sbg.beta_se},
            "method": "maximum likelihood (Fader & Hardie 2007)" + (
                "" if curve.cohort_size else "; shares taken as a cohort of 1000 for the standard errors"),
            "rmse": {"in_sample": rmse(sbg_curve, curve.shares, fit_range),
                     "hold_out": rmse(sbg_curve, curve.shares, hold_range)},
        },
        "preset": str(preset_path) if preset_path else None,
    }
    report = json_safe(report)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "projection.csv", frame.to_csv(index=False, float_format="%.6f", na_rep=""))
    write_text_atomic(out / "calibration.json", json.dumps(report, indent=2) + "\n")
    title = f"Calibration to {Path(curve.source).name}"
    write_text_atomic(out / "calibration.html", calibration_page(frame, k, report, title))
    if preset_path:
        write_text_atomic(preset_path, preset_text(args.write_preset, abm.values, setup.market, args.overrides, curve,
                                                   k, args.market, period_days=period_days, strategy=args.strategy))
    print(format_table(frame, k))
    print()
    for key in params:
        v = report["abm"]["parameters"][key]
        print(f"{key:32s} {fmt_num(v['value']):>10}  ± {fmt_num(v['se'], '.3g')}  "
              f"(95% CI {fmt_num(v['ci95'][0])} – {fmt_num(v['ci95'][1])})")
    print(f"{'sBG alpha, beta':32s} {fmt_num(sbg.alpha):>10}  ± {fmt_num(sbg.alpha_se, '.3g')}   "
          f"{fmt_num(sbg.beta)} ± {fmt_num(sbg.beta_se, '.3g')}")
    for model in ("abm", "sbg"):
        r = report[model]["rmse"]
        print(f"RMSE {model:4s} in-sample {fmt_num(r['in_sample'], '.4f')}   hold-out {fmt_num(r['hold_out'], '.4f')}")
    if preset_path:
        print(f"wrote preset {preset_path} (use: relsim market={args.write_preset} ...)")
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return report



def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    args = _parser().parse_intermixed_args(argv)
    try:
        run(args)
    except ConfigError as exc:
        fail(PROG, str(exc))


if __name__ == "__main__":
    main()
