"""The calibration's parameter space: what relsim-calibrate can fit, with its priors, and a posterior's draws.

`PARAMS` lists every parameter the calibration can fit, by its config key, with its prior (log-uniform on
[lo, hi]) and where both come from; `with_values` sets some of them in a market. `posterior_draws` reads a
posterior.csv that relsim-calibrate wrote and resamples it by weight: `relsim posterior=N` runs on those
draws (experiments/plumbing/config.py reads the setting and calls it).

This module imports only the model's parameter classes, so the run config can use it: it is the one part
of experiments/inference/ below experiments/plumbing/config.py; everything else here uses the config.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path

from relsim.params import ConfigError, Dist, Market

__all__ = ["CHURN_PARAMS", "PARAMS", "Param", "posterior_draws", "with_values"]


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


def posterior_draws(path: Path, n: int, key: str) -> tuple[dict[str, float], ...]:
    """n draws, resampled by weight with a fixed stream, from the posterior.csv at `path` (written by
    relsim-calibrate: a weight column and calibrated parameters); raises ConfigError naming `key`."""
    import numpy as np
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key}: {str(path)!r} is not a readable CSV ({str(exc).splitlines()[0]})") from None
    columns = [c for c in frame.columns if c != "weight"]
    bad = [c for c in columns if c not in PARAMS]
    if bad or not columns or "weight" not in frame.columns or not len(frame):
        raise ConfigError(f"{key}: {str(path)!r}: expected columns weight and calibrated parameters "
                          f"({', '.join(PARAMS)})" + (f"; unknown: {bad[0]}" if bad else ""))
    frame = frame.apply(pd.to_numeric, errors="coerce")
    values = frame.to_numpy(dtype=float, na_value=math.nan)
    weights = frame["weight"].to_numpy(dtype=float)
    for c in columns:
        col = frame[c].to_numpy(dtype=float)
        if not np.all(np.isfinite(col)) or np.any(col < PARAMS[c].lo) or np.any(col > PARAMS[c].hi):
            raise ConfigError(f"{key}: {str(path)!r}: {c} must lie in [{PARAMS[c].lo:g}, {PARAMS[c].hi:g}]")
    if not np.all(np.isfinite(values)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ConfigError(f"{key}: {str(path)!r}: weights must be >= 0 with a positive sum")
    rows = np.random.default_rng([n, 2026]).choice(len(frame), size=n, p=weights / weights.sum())
    return tuple({c: float(frame[c].iloc[r]) for c in columns} for r in rows)
