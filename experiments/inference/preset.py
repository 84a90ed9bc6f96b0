"""A market preset from a calibration: configs/market/NAME.yaml, the default market with the fitted values.

`relsim-calibrate --write-preset NAME` writes it, so that `relsim market=NAME ...` runs any experiment
on the calibrated consumers; it refuses to overwrite a preset it did not write (`PRESET_MARK`).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relsim.analysis.calibration import Curve
from relsim.params import ConfigError, Market

__all__ = ["PRESET_MARK", "check_preset_name", "preset_text"]

PRESET_MARK = "# calibrated by relsim"  # relsim-calibrate's presets, and the NPE posterior's point (point.py)


def preset_text(name: str, values: dict[str, float], market: Market, overrides: Sequence[str], curve: Curve | None,
                fit_periods: int, market_name: str, *, period_days: int = 365, strategy: str = "middle",
                method: str = "lsq", facts: bool = True, point: str = "median", what: str | None = None) -> str:
    """configs/market/<name>.yaml: market/default plus the calibrated consumer parameters (`what`: where they
    come from, when not from relsim-calibrate's own fit)."""
    pop = market.population.churn_propensity
    if what is not None:
        pass
    elif method == "abc":
        fitted = [*(["the stylized-fact patterns of experiments/inference/patterns.py"] if facts else []),
                  *([f"the cohort retention curve in {curve.source} (periods 0-{fit_periods} of {period_days} days)"]
                    if curve else [])]
        what = ("the posterior particle that fits best on held-out seeds (calibration.json: point)" if point == "best"
                else "the posterior medians") + " of an ABC-SMC calibration to " + " and ".join(fitted)
    else:
        what = (f"a least-squares fit to the cohort retention curve in {curve.source} (periods 0-{fit_periods} of "
                f"{period_days} days)")
    record = "npe.json: identification" if method == "npe" else "calibration.json: identified"
    lines = [
        f"{PRESET_MARK}{' (experiments/inference/point.py)' if method == 'npe' else '-calibrate'} on "
        f"{dt.date.today().isoformat()} (docs/VALIDATION.md).",
        f"# {name}: the default market (market/default, so its rivals too) with consumer behaviour from",
        *textwrap.wrap(what, 100, initial_indent="# ", subsequent_indent="# "),
        f"# simulated in market={market_name} with the focal firm playing {strategy}.",
        ("# npe.json has the uncertainty, point.json the choice." if method == "npe" else
         "# calibration.json has the uncertainty and the fit.") + " Use: relsim market=" + name + " scenario=...",
        *([f"# Values of parameters the targets do not identify ({record}) say little;",
           "# relsim market=" + name + " posterior=N runs on N posterior draws instead."]
          if method in ("abc", "npe") else []),
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


def check_preset_name(name: str, directory: Path, mark: str = PRESET_MARK, writer: str = "relsim-calibrate") -> Path:
    """The preset's path; refuses bad names and presets that `writer` (whose files start with `mark`) did not write."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
        raise ConfigError(f"--write-preset={name!r}: expected a name of letters, digits, _ or - starting with a letter")
    path = directory / f"{name}.yaml"
    if path.exists() and not path.read_text(encoding="utf-8").startswith(mark):
        raise ConfigError(f"--write-preset={name!r}: {directory.name}/{name}.yaml exists and was not written by "
                          f"{writer}; choose another name")
    return path
