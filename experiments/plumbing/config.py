"""The one config path: overrides -> composed Hydra config -> validated run specification.

`load(overrides)` is what the command line, the page, the fact experiments and the calibration all
use; `run_spec` is the one place where user input is checked, and everything downstream trusts the
spec. Presets in configs/ state only what differs from the typed defaults of sim/params.py, which
are registered with Hydra here (`_typed_defaults` in the strategy and market groups).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from relsim.analysis.load import DRAW_STRIDE
from relsim.analysis.units import DEFAULT_CURRENCY, MAX_CURRENCY
from relsim.params import (ENGINES, MAX_DAYS, ConfigError, Market, Policy, Segment, Strategy, allowed_names, build,
                           check_keys, memo, number, segment_list, show)

from ..inference.space import posterior_draws, with_values
from . import scenarios
from .scenarios import BASELINE, Variant, variants

#: The Hydra configs (the repository's configs/, or relsim/configs once installed).
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
#: The top-level settings of a run (configs/config.yaml).
SETTINGS = ("arms", "seeds", "days", "strategies", "market", "scenario", "compose_scenarios", "workers", "progress",
            "engine", "firm_policy", "currency", "posterior", "posterior_file", "segments")
#: The posterior that `posterior=N` draws from unless `posterior_file` names another: relsim-calibrate's
#: posterior.csv of the calibrated market (configs/market/calibrated.yaml).
DEFAULT_POSTERIOR = CONFIG_DIR / "market" / "calibrated.posterior.csv"
MAX_DRAWS = 10_000
#: The most seeds one run may have.
MAX_SEEDS = 100_000


def register_typed_defaults() -> None:
    """Register every Strategy, Market and Policy field at its dataclass default as `_typed_defaults` in its group.

    A preset lists `_typed_defaults` first in its defaults list and then states only what differs, so
    a new field of sim/params.py reaches every preset, and every key can be overridden, with no edit here.
    """
    store = ConfigStore.instance()
    store.store(group="strategy", name="_typed_defaults", node=dataclasses.asdict(Strategy()))
    store.store(group="market", name="_typed_defaults", node=dataclasses.asdict(Market()))
    store.store(group="firm_policy", name="_typed_defaults", node=dataclasses.asdict(Policy()))


register_typed_defaults()


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
    policy: Policy = dataclasses.field(default_factory=Policy)
    currency: str = DEFAULT_CURRENCY
    draws: tuple[Mapping[str, float], ...] = ()  # posterior draws of the calibrated parameters (posterior=N)
    segments: Mapping[str, tuple[Segment, ...]] = dataclasses.field(default_factory=dict)  # per arm (ODD §7.22)

    def rivals(self, market: Market | None = None) -> list[Strategy]:
        """The rivals' strategies, in the order of `market.rivals`."""
        return [self.strategies[name] for name in (market or self.market).rivals]

    def cell(self, arm: str, variant: str, draw: int | None = None) -> tuple[Strategy, Market]:
        """The focal strategy and the market of one arm under one variant (and posterior draw)."""
        strategy, market = self.cells.get((arm, variant), (self.strategies[arm], self.market))
        if draw is not None:
            market = with_values(market, self.draws[draw])
        return strategy, market

    @property
    def replicates(self) -> tuple[tuple[int | None, int], ...]:
        """(posterior draw or None, model seed) of every replicate, in order."""
        if not self.draws:
            return tuple((None, seed) for seed in self.seeds)
        return tuple((d, seed) for d in range(len(self.draws)) for seed in self.seeds)

    def replicate_id(self, draw: int | None, seed: int) -> int:
        """The `seed` column of a replicate: the seed itself, or draw x DRAW_STRIDE + seed."""
        return seed if draw is None else draw * DRAW_STRIDE + seed

    def learners(self, arm: str, market: Market | None = None) -> list[int]:
        """The firms that learn when the focal firm plays `arm` (under a learning rule): it (if the policy
        names it, or names no arm), and the rivals when the policy says so."""
        focal = [0] if not self.policy.arms or arm in self.policy.arms else []
        rivals = list(range(1, 1 + len((market or self.market).rivals))) if self.policy.rivals else []
        return focal + rivals

    @property
    def whatif(self) -> bool:
        """True when the runs compare what-if scenarios against a baseline."""
        return len(self.variants) > 1


def options(group: str) -> list[str]:
    """The names of the presets in a config group, e.g. options("market")."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def plain_config(cfg: DictConfig) -> dict:
    """The composed config as plain containers, without Hydra's own keys and the output path."""
    return {k: OmegaConf.to_container(cfg[k], resolve=True) if OmegaConf.is_config(cfg[k]) else cfg[k]
            for k in cfg if k not in ("hydra", "output_dir")}


def compose(overrides: list[str], hydra: bool = False) -> DictConfig:
    """Compose the config as the command would (for tests and notebooks); Hydra errors become ConfigError.

    With `hydra`, the result also holds Hydra's own node (`cfg.hydra`), as the command composes it.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException, MissingConfigException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="relsim"):
            return hydra_compose("config", overrides=overrides, return_hydra_config=hydra)
    except MissingConfigException as exc:
        raise ConfigError(_missing_option(exc, overrides)) from None
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(first_line(exc, overrides)) from None


def _missing_option(exc: Exception, overrides: list[str]) -> str:
    for o in overrides:
        group, _, value = o.partition("=")
        group = group.lstrip("+~")
        if (CONFIG_DIR / group).is_dir() and value and not (CONFIG_DIR / group / f"{value}.yaml").exists():
            return f"{group}={value}: unknown option{allowed_names(value, options(group))}"
    return first_line(exc, overrides)


def first_line(exc: Exception, overrides: list[str]) -> str:
    """The first line of a Hydra or OmegaConf error, as relsim's one-line message where it can say more."""
    text = str(exc).strip()
    if "not in struct" in text or "Could not override" in text:
        for o in overrides:
            key = o.split("=", 1)[0].lstrip("+~")
            if f"'{key}'" in text:
                parent, _, leaf = key.rpartition(".")
                inside = _unknown_inside(key, o)
                if inside:
                    return inside
                if key.startswith("hydra."):
                    return f"{key}: unknown key (not a setting of the chosen launcher or sweeper)"
                return f"{key}: unknown key{_known_keys(parent, leaf)}"
    return text.splitlines()[0] if text else type(exc).__name__


def _unknown_inside(key: str, override: str) -> str | None:
    """For `key={a: 1, b: 2}` whose mapping holds a key the config lacks under `key`: that key, said in full."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        (parsed,) = OverridesParser.create().parse_overrides([override])
        value = parsed.value()
        node = OmegaConf.select(compose([]), key)
    except Exception:  # noqa: BLE001 - no better line than Hydra's own
        return None
    return _first_unknown(key, value, node)


def _first_unknown(path: str, value: Any, node: Any) -> str | None:
    if not isinstance(value, dict) or not OmegaConf.is_dict(node):
        return None
    known = [str(k) for k in node.keys()]
    for sub in sorted(map(str, value)):
        if sub not in known:
            return f"{path}.{sub}: unknown key{allowed_names(sub, known)}"
        deeper = _first_unknown(f"{path}.{sub}", value[sub], node[sub])
        if deeper:
            return deeper
    return None


def _known_keys(parent: str, leaf: str = "") -> str:
    """'; did you mean ...? allowed: ...' for the keys under `parent` in the default config, or '' if there are
    none."""
    try:
        cfg = compose([])
        node = OmegaConf.select(cfg, parent) if parent else cfg
    except ConfigError:
        return ""
    if not OmegaConf.is_dict(node):
        return f"; {parent} is a value, not a group of keys" if parent else ""
    return allowed_names(leaf, [str(k) for k in node.keys() if k != "hydra"])


def load(overrides: list[str] | tuple[str, ...] = ()) -> RunSpec:
    """The validated run specification for `relsim` with these command-line overrides; raises ConfigError."""
    return run_spec(plain_config(compose(list(overrides))))


def run_spec(cfg: Mapping[str, Any]) -> RunSpec:
    """Validate a composed config (plain containers) and build the RunSpec; raises ConfigError."""
    check_keys(cfg, SETTINGS)
    for key in ("strategies", "market", "firm_policy"):  # null never stands for the defaults
        if key in cfg and cfg[key] is None:
            raise ConfigError(f"{key}=None: expected a mapping (null is not allowed)")
    strategies = cfg.get("strategies") or {}
    if not isinstance(strategies, Mapping):
        raise ConfigError(f"strategies={show(strategies)}: expected a mapping of strategy presets")
    for name, s in strategies.items():
        if s is None:
            raise ConfigError(f"strategies.{name}=None: expected a mapping of Strategy fields (null is not allowed)")
    strategies = {name: build(Strategy, s, f"strategies.{name}") for name, s in strategies.items()}
    market = build(Market, cfg.get("market"), "market")
    policy = build(Policy, cfg.get("firm_policy"), "firm_policy")
    arms = _names(cfg.get("arms"), "arms", strategies, allow_empty=False)
    for name in policy.arms:
        if name not in arms:
            raise ConfigError(f"firm_policy.arms: {name!r} is not one of the arms{allowed_names(name, arms)}")
    _names(market.rivals, "market.rivals", strategies, allow_empty=True)
    chosen = cfg.get("scenario") or {}
    if not isinstance(chosen, Mapping):
        raise ConfigError(f"scenario={show(chosen)}: expected scenario names from {', '.join(options('scenario'))}")
    composed = _bool(cfg.get("compose_scenarios", True), "compose_scenarios")
    found = variants([scenarios.parse(name, data) for name, data in chosen.items()], compose=composed)
    cells = {}
    for variant in found[1:]:
        path = f"scenario.{variant.name}"
        varied = scenarios.apply_market(cfg.get("market") or {}, variant.changes, f"{path}.market")
        _names(varied.rivals, "market.rivals", strategies, allow_empty=True)
        for arm in arms:
            cells[arm, variant.name] = (scenarios.apply(strategies[arm], variant.changes, path), varied)
    seeds = _seeds(cfg.get("seeds"))
    segments = _segments(cfg.get("segments"), strategies, arms, policy)
    return RunSpec(arms=tuple(arms), seeds=seeds, days=_int(cfg.get("days"), "days", 1, MAX_DAYS),
                   strategies=strategies, market=market, variants=tuple(found), cells=cells, composed=composed,
                   workers=_int(cfg.get("workers", 0), "workers", 0, 4096),
                   progress=_bool(cfg.get("progress", True), "progress"),
                   engine=_engine(cfg.get("engine", "vectorized")), policy=policy,
                   currency=_currency(cfg.get("currency", DEFAULT_CURRENCY)),
                   draws=_posterior(cfg.get("posterior", 0), cfg.get("posterior_file"), seeds), segments=segments)


def _segments(value: Any, strategies: Mapping[str, Strategy], arms: list[str],
              policy: Policy) -> dict[str, tuple[Segment, ...]]:
    """`segments`: {arm: [segment, ...]}, the focal firm's segments when it plays that arm (docs/ODD.md §7.22)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"segments={show(value)}: expected a mapping of strategy names to lists of segments")
    out = {}
    for name, segs in value.items():
        if name not in strategies:
            raise ConfigError(f"segments.{name}: unknown strategy{allowed_names(name, strategies)}")
        out[name] = tuple(segment_list(segs, f"segments.{name}"))
        if out[name] and policy.rule == "test_and_learn" and name in arms and (not policy.arms or name in policy.arms):
            raise ConfigError(f"segments.{name}: a test-and-learn firm draws its own cells; give segments to an arm "
                              "that does not test")
    return out


def _names(value: Any, key: str, strategies: Mapping[str, Strategy], allow_empty: bool) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or (not value and not allow_empty):
        raise ConfigError(f"{key}={show(value)}: expected a list of strategy names from {', '.join(strategies)}")
    for name in value:
        if not isinstance(name, str):
            raise ConfigError(f"{key}={show(list(value))}: {show(name)} is not a strategy name; allowed: "
                              f"{', '.join(strategies)}")
        if name not in strategies:
            raise ConfigError(f"{key}: unknown strategy {name!r}{allowed_names(name, strategies)}")
    if len(set(value)) != len(value):
        raise ConfigError(f"{key}={list(value)!r}: each strategy may appear once")
    return list(value)


def _seeds(value: Any) -> tuple[int, ...]:
    what = f"expected a count in [1, {MAX_SEEDS}] or a list of at most {MAX_SEEDS} integers in [0, 2**63 - 1]"
    if isinstance(value, bool):
        raise ConfigError(f"seeds={show(value)}: {what}")
    if isinstance(value, int):
        if not 1 <= value <= MAX_SEEDS:
            raise ConfigError(f"seeds={show(value)}: {what}")
        return range(value) if memo() is not None else tuple(range(value))  # checking thousands of jobs: no tuples
    if isinstance(value, (list, tuple)) and 0 < len(value) <= MAX_SEEDS and all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in value):
        if len(set(value)) != len(value):
            raise ConfigError(f"seeds={show(list(value))}: seeds must be distinct")
        return tuple(value)
    raise ConfigError(f"seeds={show(value)}: {what}")


def _posterior(n: Any, file: Any, seeds: tuple[int, ...]) -> tuple[dict[str, float], ...]:
    """n draws (resampled by weight, a fixed stream) from a posterior.csv of relsim-calibrate."""
    n = _int(n, "posterior", 0, MAX_DRAWS)
    if n == 0:
        if file is not None:
            raise ConfigError(f"posterior_file={file!r}: only with posterior=N (N posterior draws)")
        return ()
    if (seeds[-1] if isinstance(seeds, range) else max(seeds)) >= DRAW_STRIDE:
        raise ConfigError(f"seeds: with posterior=N every seed must be below {DRAW_STRIDE:,} "
                          "(a replicate's seed column is draw x 1,000,000 + seed)")
    if not isinstance(file, (str, type(None))) or file == "":
        raise ConfigError(f"posterior_file={file!r}: expected the path of a posterior.csv written by relsim-calibrate")
    path = Path(file) if file is not None else DEFAULT_POSTERIOR
    key = "posterior_file" if file is not None else f"posterior={n}"
    if not path.exists():
        raise ConfigError(f"{key}: {str(path)!r} is not a file; expected a posterior.csv written by relsim-calibrate"
                          + ("" if file is not None else " (run relsim-calibrate --write-preset calibrated first)"))
    from .checks import input_file

    input_file(path, key)
    cache, memo_key = memo(), ("posterior", str(path), n)
    if cache is not None and memo_key in cache:
        return cache[memo_key]
    draws = posterior_draws(path, n, key)
    if cache is not None:
        cache[memo_key] = draws
    return draws


def _currency(value: Any) -> str:
    """A money label: 1 to MAX_CURRENCY printable characters (a symbol or a code, e.g. $, €, EUR)."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CURRENCY or not value.isprintable() \
            or value != value.strip():
        raise ConfigError(f"currency={show(value)}: expected a label of 1 to {MAX_CURRENCY} printable characters, "
                          "e.g. $, €, EUR")
    return value


def _engine(value: Any) -> str:
    if not isinstance(value, str) or value not in ENGINES:
        raise ConfigError(f"engine={show(value)}: expected one of {', '.join(ENGINES)}")
    return value


def _int(value: Any, key: str, lo: int, hi: int) -> int:
    """An integer setting, by the model's one rule for integers (params.number: 2.0 is 2, 2.5 is refused)."""
    return number(value, key, lo, hi, integer=True)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}={show(value)}: expected true or false")
    return value
