"""A Hydra sweeper whose jobs are the rows of a sampling design: Sobol, Morris or Latin hypercube (SALib),
or a simplex lattice (shares that add up to 1).

    relsim +experiment=sensitivity        # uses it via `override /hydra/sweeper: design`
    relsim +experiment=allocation         # a {3, 10} simplex lattice over a budget's three shares
    relsim -m hydra/sweeper=design +hydra.sweeper.bounds.market.behaviour.negativity_bias=[1,4] ...

Each row becomes one job with the row's values as overrides (plus the command line's own), launched
by whichever launcher is configured (joblib by default, Ray, SLURM, ...), so a design runs exactly like
any other sweep and is collected into the same sweep.parquet. The design is saved to design.json in
the sweep directory; analysis.sensitivity and analysis.discovery read it back.
"""

# (No `from __future__ import annotations`: Hydra loads plugin modules outside sys.modules, where
# dataclasses cannot resolve string annotations.)

import itertools
import json
import logging
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


def problem_of(bounds: dict[str, Any]) -> dict[str, Any]:
    """SALib's problem dict from {key: [low, high]}."""
    names = list(bounds)
    if not names:
        raise ValueError("hydra.sweeper.bounds: expected at least one key with [low, high]")
    pairs = [list(bounds[k]) for k in names]
    for key, pair in zip(names, pairs, strict=True):
        if len(pair) != 2 or not pair[0] < pair[1]:
            raise ValueError(f"hydra.sweeper.bounds.{key}={pair}: expected [low, high] with low < high")
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
    raise ValueError(f"hydra.sweeper.method={method!r}: expected one of sobol, morris, lhs")


def simplex_lattice(keys: list[str], divisions: int) -> tuple[dict[str, Any], np.ndarray]:
    """The {q, m} simplex lattice (Scheffe 1958): every split of 1 over the q `keys` in steps of 1/m.

    Returns SALib's problem dict (each key on [0, 1]) and the rows, e.g. 66 rows for 3 keys and m = 10.
    """
    if len(keys) < 2 or len(set(keys)) != len(keys):
        raise ValueError(f"hydra.sweeper.simplex={keys}: expected at least two distinct keys")
    if not isinstance(divisions, int) or not 1 <= divisions <= 100:
        raise ValueError(f"hydra.sweeper.divisions={divisions!r}: expected an integer in [1, 100]")
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
        level = levels[name][int(value)]
        if isinstance(level, (list, tuple)):
            return f"{name}=[{','.join(str(v) for v in level)}]"
        return f"{name}={level}"
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
        if self.method == "simplex":
            problem, design = simplex_lattice(self.simplex, self.divisions)
            return self._launch(arguments, problem, design)
        bounds = _flatten(self.bounds)
        for key, values in self.discrete.items():
            if not isinstance(values, list) or len(values) < 2:
                raise ValueError(f"hydra.sweeper.levels.{key}={values}: expected a list of at least two values")
            bounds[key] = [0, len(values)]
        unknown = sorted(set(self.integers) - set(bounds))
        if unknown:
            raise ValueError(f"hydra.sweeper.integers: {unknown} are not keys of hydra.sweeper.bounds")
        problem = problem_of(bounds)
        design = discretise(problem, sample(self.method, problem, self.samples, self.seed, self.levels),
                            self.integers, self.discrete)
        return self._launch(arguments, problem, design)

    def _launch(self, arguments: list[str], problem: dict[str, Any], design: np.ndarray) -> Any:
        """Save the design (design.json) and launch one job per row, in batches."""
        fixed = [o.input_line for o in OverridesParser.create().parse_overrides(arguments)
                 if not o.is_sweep_override()]
        rows = [[override(name, value, self.integers, self.discrete)
                 for name, value in zip(problem["names"], row, strict=True)] + fixed for row in design.tolist()]
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        (sweep_dir / "design.json").write_text(json.dumps({
            "method": self.method, "samples": self.samples, "seed": self.seed, "morris_levels": self.levels,
            "divisions": self.divisions if self.method == "simplex" else None,
            "problem": problem, "integers": self.integers, "levels": self.discrete, "rows": design.tolist()},
            indent=1))
        log.info(f"design sweeper: {self.method}, {len(rows)} rows over {', '.join(problem['names'])}")
        size = self.max_batch_size or len(rows)
        returns = []
        for start in range(0, len(rows), size):
            batch = rows[start:start + size]
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
