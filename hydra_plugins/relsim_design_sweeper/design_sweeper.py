"""A Hydra sweeper whose jobs are the rows of a sampling design: Sobol, Morris or Latin hypercube (SALib),
or a simplex lattice (shares that add up to 1).

    relsim +experiment=sensitivity        # uses it via `override /hydra/sweeper: design`
    relsim +experiment=allocation         # a {3, 10} simplex lattice over a budget's three shares
    relsim -m hydra/sweeper=design +hydra.sweeper.bounds.market.behaviour.negativity_bias=[1,4] ...

Each row becomes one job with the row's values as overrides (plus the command line's own), launched
by whichever launcher is configured (joblib by default, Ray, SLURM, ...), so a design runs exactly like
any other sweep and is collected into the same sweep.parquet. The design is saved to design.json in
the sweep directory; analysis.sensitivity and analysis.discovery read it back.

Its settings are checked here (`check_settings`), and its rows are made by one function (`rows`), which
relsim's gate (experiments/plumbing/checks.py) calls before anything runs: every row's overrides are
checked there as any command line's are, so a design cannot reach what the command line may not
(environment variables, a working directory, files outside the run, values out of range).
"""

# (No `from __future__ import annotations`: Hydra loads plugin modules outside sys.modules, where
# dataclasses cannot resolve string annotations.)

import itertools
import json
import logging
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


@dataclass
class DesignSweeperConf:
    """Config of the design sweeper (group hydra/sweeper, option `design`)."""

    _target_: str = "hydra_plugins.relsim_design_sweeper.design_sweeper.DesignSweeper"
    method: str = "sobol"  # sobol (Saltelli), morris (elementary effects), lhs (Latin hypercube) or simplex
    samples: int = 16  # SALib's N: sobol gives N (D + 2) rows, morris N (D + 1), lhs N
    seed: int = 0
    morris_levels: int = 4
    bounds: Dict[str, Any] = field(default_factory=dict)  # key -> [low, high]
    integers: List[str] = field(default_factory=list)  # keys of `bounds` rounded to whole numbers
    levels: Dict[str, Any] = field(default_factory=dict)  # key -> [value 0, value 1, ...]: a discrete factor
    simplex: List[str] = field(default_factory=list)  # method simplex: keys whose values add up to 1
    divisions: int = 10  # method simplex: each share in steps of 1 / divisions
    max_batch_size: Optional[int] = None


ConfigStore.instance().store(group="hydra/sweeper", name="design", node=DesignSweeperConf, provider="relsim")

METHODS = ("sobol", "morris", "lhs", "simplex")
#: The most rows a design may have (a sweep of more jobs is split into several).
MAX_ROWS = 100_000
#: A level that is text: a name or a plain value (no commas, brackets, quotes, spaces or interpolations).
LEVEL_TEXT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@/-]{0,199}")


class DesignError(ValueError):
    """A design setting is wrong: one line naming the setting, its value and what is allowed."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def _whole(value: Any, key: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise DesignError(f"hydra.sweeper.{key}={_show(value)}: expected an integer in [{lo}, {hi}]")
    return value


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (
        isinstance(value, int) and abs(value) < 10**300 or isinstance(value, float) and math.isfinite(value))


def level_text(value: Any, key: str) -> str:
    """A level as override text: a finite number, true/false, a plain name, or a list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _finite(value):
        return repr(value)
    if isinstance(value, str) and LEVEL_TEXT.fullmatch(value):
        return value
    if isinstance(value, list):
        return "[" + ",".join(level_text(v, key) for v in value if not isinstance(v, list)) + "]" \
            if not any(isinstance(v, list) for v in value) else _bad_level(value, key)
    return _bad_level(value, key)


def _bad_level(value: Any, key: str) -> str:
    raise DesignError(f"hydra.sweeper.levels.{key}: {_show(value)} is not a level; expected a finite number, true, "
                      "false, a plain name (letters, digits, _ . @ / -) or a list of those")


def check_settings(settings: dict[str, Any]) -> None:
    """The design's own settings: the method, sizes, bounds, levels, integers and simplex keys; raises DesignError."""
    method = settings.get("method")
    if method not in METHODS:
        raise DesignError(f"hydra.sweeper.method={_show(method)}: expected one of {', '.join(METHODS)}")
    _whole(settings.get("samples"), "samples", 1, MAX_ROWS)
    _whole(settings.get("seed"), "seed", 0, 2**32 - 1)
    _whole(settings.get("morris_levels"), "morris_levels", 2, 100)
    _whole(settings.get("divisions"), "divisions", 1, 100)
    if settings.get("max_batch_size") is not None:
        _whole(settings.get("max_batch_size"), "max_batch_size", 1, MAX_ROWS)
    bounds, levels = settings.get("bounds") or {}, settings.get("levels") or {}
    integers, simplex = settings.get("integers") or [], settings.get("simplex") or []
    for name, value in (("bounds", bounds), ("levels", levels)):
        if not isinstance(value, dict):
            raise DesignError(f"hydra.sweeper.{name}={_show(value)}: expected a mapping of keys")
    for name, value in (("integers", integers), ("simplex", simplex)):
        if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
            raise DesignError(f"hydra.sweeper.{name}={_show(value)}: expected a list of keys")
    bounds, levels = _flatten(bounds), _flatten(levels)
    if method == "simplex":
        if bounds or levels or integers:
            raise DesignError("hydra.sweeper.method=simplex: takes only hydra.sweeper.simplex and divisions "
                              "(bounds, levels and integers would be ignored)")
        if len(simplex) < 2 or len(set(simplex)) != len(simplex):
            raise DesignError(f"hydra.sweeper.simplex={_show(simplex)}: expected at least two distinct keys")
        return
    if simplex:
        raise DesignError(f"hydra.sweeper.simplex={_show(simplex)}: only with hydra.sweeper.method=simplex")
    if not bounds and not levels:
        raise DesignError("hydra.sweeper.bounds: expected at least one key with [low, high] (or hydra.sweeper.levels)")
    for key, pair in bounds.items():
        if not isinstance(pair, list) or len(pair) != 2 or not all(_finite(v) for v in pair) \
                or not pair[0] < pair[1]:
            raise DesignError(f"hydra.sweeper.bounds.{key}={_show(pair)}: expected [low, high], finite numbers with "
                              "low < high")
    for key, values in levels.items():
        if key in bounds:
            raise DesignError(f"hydra.sweeper.levels.{key}: also in hydra.sweeper.bounds; give a key one or the other")
        if not isinstance(values, list) or len(values) < 2:
            raise DesignError(f"hydra.sweeper.levels.{key}={_show(values)}: expected a list of at least two values")
        texts = [level_text(v, key) for v in values]
        if len(set(texts)) != len(texts):
            raise DesignError(f"hydra.sweeper.levels.{key}={_show(values)}: each level may appear once")
    unknown = sorted(set(integers) - set(bounds))
    if unknown:
        raise DesignError(f"hydra.sweeper.integers: {unknown[0]} is not a key of hydra.sweeper.bounds")


def settings_of(node: Any) -> dict[str, Any]:
    """The sweeper's settings (hydra.sweeper) as plain containers, without its target."""
    plain = _plain(node) or {}
    return {k: v for k, v in plain.items() if k != "_target_"}


def make_design(settings: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray, dict[str, list]]:
    """(SALib's problem, the design matrix, the levels by key) of checked settings."""
    if settings["method"] == "simplex":
        problem, design = simplex_lattice(list(settings["simplex"]), settings["divisions"])
        return problem, design, {}
    bounds = _flatten(settings.get("bounds") or {})
    discrete = _flatten(settings.get("levels") or {})
    for key, values in discrete.items():
        bounds[key] = [0, len(values)]
    problem = problem_of(bounds)
    with warnings.catch_warnings():  # SALib's advice on sample sizes is not an error of the user's
        warnings.simplefilter("ignore")
        matrix = sample(settings["method"], problem, settings["samples"], settings["seed"], settings["morris_levels"])
    if len(matrix) > MAX_ROWS:
        raise DesignError(f"hydra.sweeper.samples={settings['samples']}: the design has {len(matrix):,} rows; at most "
                          f"{MAX_ROWS:,}")
    return problem, discretise(problem, matrix, list(settings.get("integers") or []), discrete), discrete


def rows(settings: dict[str, Any], problem: dict[str, Any], design: np.ndarray,
         discrete: dict[str, list]) -> list[list[str]]:
    """Each row's overrides (before the command line's fixed ones)."""
    integers = list(settings.get("integers") or [])
    return [[override(name, value, integers, discrete) for name, value in zip(problem["names"], row, strict=True)]
            for row in design.tolist()]


def typed_rows(settings: dict[str, Any], problem: dict[str, Any], design: np.ndarray,
               discrete: dict[str, list]) -> list[tuple]:
    """Each row's values as its overrides (`rows`) give them to a job: the level, the whole number or the float."""
    integers = set(settings.get("integers") or [])

    def cell(name: str, value: float) -> Any:
        if name in discrete:
            return discrete[name][int(value)]
        return int(value) if name in integers else value

    return [tuple(cell(name, value) for name, value in zip(problem["names"], row, strict=True))
            for row in design.tolist()]


def problem_of(bounds: dict[str, Any]) -> dict[str, Any]:
    """SALib's problem dict from {key: [low, high]}."""
    names = list(bounds)
    if not names:
        raise DesignError("hydra.sweeper.bounds: expected at least one key with [low, high]")
    pairs = [list(bounds[k]) for k in names]
    for key, pair in zip(names, pairs, strict=True):
        if len(pair) != 2 or not pair[0] < pair[1]:
            raise DesignError(f"hydra.sweeper.bounds.{key}={pair}: expected [low, high] with low < high")
    return {"num_vars": len(names), "names": names, "bounds": [[float(a), float(b)] for a, b in pairs]}


def sample(method: str, problem: dict[str, Any], samples: int, seed: int, levels: int = 4) -> np.ndarray:
    """The design matrix (rows x keys) of a SALib sampling method."""
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, samples, num_levels=levels, seed=seed)
    if method == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, samples, seed=seed)
    raise DesignError(f"hydra.sweeper.method={method!r}: expected one of sobol, morris, lhs")


def simplex_lattice(keys: list[str], divisions: int) -> tuple[dict[str, Any], np.ndarray]:
    """The {q, m} simplex lattice (Scheffe 1958): every split of 1 over the q `keys` in steps of 1/m.

    Returns SALib's problem dict (each key on [0, 1]) and the rows, e.g. 66 rows for 3 keys and m = 10.
    """
    if len(keys) < 2 or len(set(keys)) != len(keys):
        raise DesignError(f"hydra.sweeper.simplex={keys}: expected at least two distinct keys")
    if not isinstance(divisions, int) or not 1 <= divisions <= 100:
        raise DesignError(f"hydra.sweeper.divisions={divisions!r}: expected an integer in [1, 100]")
    rows = [split for split in itertools.product(range(divisions + 1), repeat=len(keys)) if sum(split) == divisions]
    design = np.array(sorted(rows, reverse=True), dtype=float) / divisions
    return {"num_vars": len(keys), "names": list(keys), "bounds": [[0.0, 1.0]] * len(keys)}, design


def discretise(problem: dict[str, Any], design: np.ndarray, integers: list[str],
                levels: dict[str, list]) -> np.ndarray:
    """Round the `integers` columns; map each `levels` column (sampled on [0, k)) to its level index 0..k-1."""
    design = np.array(design, dtype=float, copy=True)
    for j, name in enumerate(problem["names"]):
        if name in levels:
            design[:, j] = np.clip(np.floor(design[:, j]), 0, len(levels[name]) - 1)
        elif name in integers:
            design[:, j] = np.round(design[:, j])
    return design


def override(name: str, value: float, integers: list[str], levels: dict[str, list]) -> str:
    """The Hydra override of one design cell: the level's value, a whole number, or the float."""
    if name in levels:
        return f"{name}={level_text(levels[name][int(value)], name)}"
    return f"{name}={int(value)}" if name in integers else f"{name}={value!r}"


class DesignSweeper(Sweeper):
    """Launch one job per row of a sampling design."""

    def __init__(self, method: str, samples: int, seed: int, morris_levels: int, bounds: DictConfig,
                 max_batch_size: int | None = None, integers: Any = (), levels: Any = None, simplex: Any = (),
                 divisions: int = 10):
        self.method, self.samples, self.seed, self.levels = method, samples, seed, morris_levels
        self.simplex, self.divisions = list(_plain(simplex) or []), divisions
        self.bounds = _plain(bounds)
        self.integers = list(_plain(integers) or [])
        self.discrete = _flatten(_plain(levels) or {})
        self.max_batch_size = max_batch_size
        self.config: DictConfig | None = None
        self.launcher = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Instantiate the configured launcher."""
        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        """Sample the design, save it, and launch its rows (with the command line's overrides)."""
        settings = {"method": self.method, "samples": self.samples, "seed": self.seed, "morris_levels": self.levels,
                    "bounds": self.bounds or {}, "integers": self.integers, "levels": self.discrete,
                    "simplex": self.simplex, "divisions": self.divisions, "max_batch_size": self.max_batch_size}
        check_settings(settings)
        problem, design, discrete = make_design(settings)
        from relsim.experiments.plumbing.checks import design_key  # the gate's rule for a key (relsim checked all
                                                                   # rows before; a route around it meets this)

        for name in problem["names"]:
            design_key(name, "hydra.sweeper")
        return self._launch(arguments, problem, design, rows(settings, problem, design, discrete))

    def _launch(self, arguments: list[str], problem: dict[str, Any], design: np.ndarray,
                cells: list[list[str]]) -> Any:
        """Save the design (design.json) and launch one job per row, in batches."""
        parsed = OverridesParser.create().parse_overrides(arguments)
        swept = [o.input_line for o in parsed if o.is_sweep_override()]
        if swept:
            raise DesignError(f"{swept[0]}: a design sweeper's jobs are its rows; sweep a key with "
                              "hydra.sweeper.levels or bounds instead")
        fixed = [o.input_line for o in parsed]
        batch_rows = [cell + fixed for cell in cells]
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        (sweep_dir / "design.json").write_text(json.dumps({
            "method": self.method, "samples": self.samples, "seed": self.seed, "morris_levels": self.levels,
            "divisions": self.divisions if self.method == "simplex" else None,
            "problem": problem, "integers": self.integers, "levels": self.discrete, "rows": design.tolist()},
            indent=1))
        log.info(f"design sweeper: {self.method}, {len(batch_rows)} rows over {', '.join(problem['names'])}")
        size = self.max_batch_size or len(batch_rows)
        returns = []
        for start in range(0, len(batch_rows), size):
            batch = batch_rows[start:start + size]
            self.validate_batch_is_legal(batch)
            results = self.launcher.launch(batch, initial_job_idx=start)
            for r in results:
                _ = r.return_value  # raise if a job failed
            returns.append(results)
        return returns


def _plain(node: Any) -> Any:
    """A config node as plain Python containers."""
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def _flatten(bounds: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"market": {"behaviour": {"x": [a, b]}}} -> {"market.behaviour.x": [a, b]}."""
    flat = {}
    for key, value in bounds.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat
