"""The observed cohort retention curve: read and check DATA.csv, and its points as calibration targets.

DATA.csv has columns `period` (0, 1, 2, ... consecutive) and `surviving`: the survivors of one
cohort at the start of each period, as counts or as shares of period 0 (in [0, 1]).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.calibration import Curve
from relsim.params import ConfigError

from .patterns import Pattern

__all__ = ["curve_patterns", "read_curve"]


def read_curve(path: str | Path) -> Curve:
    """Read and check DATA.csv; raises ConfigError with one line naming what is wrong."""
    from ..plumbing.checks import input_file

    path = input_file(path, "data")  # a regular file (a FIFO or a device would never end), not too large
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise ConfigError(f"data={str(path)!r}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, IsADirectoryError, ValueError,
            OverflowError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"data={str(path)!r}: not a readable CSV ({why})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("period", "surviving"):
        if column not in frame.columns:
            raise ConfigError(f"data: missing column {column!r}; expected columns period, surviving "
                              f"(found: {', '.join(frame.columns) or 'none'})")
    if len(frame) < 3:
        raise ConfigError(f"data: {len(frame)} period(s); expected at least 3 (periods 0, 1, 2)")
    period, surviving = _numbers(frame["period"]), _numbers(frame["surviving"])
    for column, values in (("period", period), ("surviving", surviving)):
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            value = repr(frame[column].iloc[k])
            value = value if len(value) <= 40 else f"{value[:20]}...<{len(value)} characters>"
            raise ConfigError(f"data: {column}={value} in row {k + 2}: expected a number")
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


def _numbers(values: pd.Series) -> pd.Series:
    """A column as floats, NaN where a cell is not a number or is beyond a float (a 400-digit integer)."""
    try:
        return pd.to_numeric(values, errors="coerce")
    except OverflowError:
        def one(x: Any) -> float:
            try:
                return float(x)
            except (OverflowError, TypeError, ValueError):
                return math.nan

        return values.map(one).astype(float)


def curve_patterns(curve: Curve, period_days: int, fit_periods: int, consumers: int) -> dict[str, Any]:
    """The retention curve's fitted points as point targets. The tolerance of each is the binomial
    standard error of the observed share (a cohort of 1000 when the data are shares) combined with
    the simulated share's own (about 70% of the consumers are day-0 customers)."""
    out = {}
    n_obs, n_sim = curve.cohort_size or 1000.0, 0.7 * consumers
    for k in range(1, fit_periods + 1):
        share = float(curve.shares[k])
        se = math.sqrt(max(share * (1 - share), 0.01 * 0.99) * (1 / n_obs + 1 / n_sim))
        out[f"survival_{k * period_days}"] = Pattern(f"survival_{k * period_days}", 0, share, share, se,
                                                     f"share of the cohort surviving after period {k}", curve.source)
    return out
