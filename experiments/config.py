"""From a composed Hydra config (a plain mapping) to a validated run specification.

This is the one place where user input is checked; everything downstream trusts the spec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from relsim.experiments import scenarios
from relsim.experiments.scenarios import BASELINE, Variant, variants
from relsim.model import ENGINES
from relsim.params import ConfigError, Market, Strategy, build, check_market

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """What to run: each arm (a focal strategy) under each variant (baseline or what-if) on each seed."""

    arms: tuple[str, ...]
    seeds: tuple[int, ...]
    days: int
    strategies: Mapping[str, Strategy]
    market: Market
    variants: tuple[Variant, ...] = (Variant(BASELINE),)
    cells: Mapping[tuple[str, str], tuple[Strategy, Market]] = dataclasses.field(default_factory=dict)
    composed: bool = True
    workers: int = 0
    progress: bool = True
    engine: str = "vectorized"

    def rivals(self, market: Market | None = None) -> list[Strategy]:
        """The rivals' strategies, in the order of `market.rivals`."""
        return [self.strategies[name] for name in (market or self.market).rivals]

    def cell(self, arm: str, variant: str) -> tuple[Strategy, Market]:
        """The focal strategy and the market of one arm under one variant."""
        return self.cells.get((arm, variant), (self.strategies[arm], self.market))

    @property
    def whatif(self) -> bool:
        """True when the runs compare what-if scenarios against a baseline."""
        return len(self.variants) > 1


def options(group: str) -> list[str]:
    """The names of the presets in a config group, e.g. options("market")."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def run_spec(cfg: Mapping[str, Any]) -> RunSpec:
    """Validate a composed config (plain containers) and build the RunSpec; raises ConfigError."""
    strategies = cfg.get("strategies") or {}
    if not isinstance(strategies, Mapping):
        raise ConfigError(f"strategies={strategies!r}: expected a mapping of strategy presets")
    strategies = {name: build(Strategy, s, f"strategies.{name}") for name, s in strategies.items()}
    market = build(Market, cfg.get("market"), "market")
    arms = _names(cfg.get("arms"), "arms", strategies, allow_empty=False)
    _names(market.rivals, "market.rivals", strategies, allow_empty=True)
    check_market(market)
    chosen = cfg.get("scenario") or {}
    if not isinstance(chosen, Mapping):
        raise ConfigError(f"scenario={chosen!r}: expected scenario names from {', '.join(options('scenario'))}")
    composed = _bool(cfg.get("compose_scenarios", True), "compose_scenarios")
    found = variants([scenarios.parse(name, data) for name, data in chosen.items()], compose=composed)
    cells = {}
    for variant in found[1:]:
        path = f"scenario.{variant.name}"
        varied = scenarios.apply_market(cfg.get("market") or {}, variant.changes, f"{path}.market")
        _names(varied.rivals, "market.rivals", strategies, allow_empty=True)
        check_market(varied)
        for arm in arms:
            cells[arm, variant.name] = (scenarios.apply(strategies[arm], variant.changes, path), varied)
    return RunSpec(arms=tuple(arms), seeds=_seeds(cfg.get("seeds")), days=_int(cfg.get("days"), "days", 1, 36500),
                   strategies=strategies, market=market, variants=tuple(found), cells=cells, composed=composed,
                   workers=_int(cfg.get("workers", 0), "workers", 0, 4096),
                   progress=_bool(cfg.get("progress", True), "progress"),
                   engine=_engine(cfg.get("engine", "vectorized")))


def _names(value: Any, key: str, strategies: Mapping[str, Strategy], allow_empty: bool) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or (not value and not allow_empty):
        raise ConfigError(f"{key}={value!r}: expected a list of strategy names from {', '.join(strategies)}")
    for name in value:
        if name not in strategies:
            raise ConfigError(f"{key}: unknown strategy {name!r}; allowed: {', '.join(strategies)}")
    if len(set(value)) != len(value):
        raise ConfigError(f"{key}={list(value)!r}: each strategy may appear once")
    return list(value)


def _seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, bool):
        raise ConfigError(f"seeds={value!r}: expected a count >= 1 or a list of non-negative integers")
    if isinstance(value, int):
        if value < 1:
            raise ConfigError(f"seeds={value!r}: expected a count >= 1 or a list of non-negative integers")
        return tuple(range(value))
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
        if len(set(value)) != len(value):
            raise ConfigError(f"seeds={list(value)!r}: seeds must be distinct")
        return tuple(value)
    raise ConfigError(f"seeds={value!r}: expected a count >= 1 or a list of non-negative integers")


def _engine(value: Any) -> str:
    if value not in ENGINES:
        raise ConfigError(f"engine={value!r}: expected one of {', '.join(ENGINES)}")
    return value


def _int(value: Any, key: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{key}={value!r}: expected an integer in [{lo}, {hi}]")
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}={value!r}: expected true or false")
    return value
