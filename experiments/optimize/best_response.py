"""A best response, end to end: the study, the best levers re-run on fresh seeds, and the files.

Writes into the output directory:
- `study.db`: the Optuna study (SQLite), unless `--storage` names another database;
- `trials.csv`: every finished trial's levers and objective values, in the order they were proposed;
- `best.json`: the settings, the best levers (one objective) or the Pareto front (several), each with
  its value on the study's seeds and on fresh seeds the study never saw (mean and 95% bootstrap CI), so
  the reported value carries no winner's curse; the spend per customer-year of each;
- `report.html`: the optimisation history, the levers' importances, the best levers and, with two
  objectives, the Pareto front (analysis/optimize.py);
- with `--write-preset NAME`, configs/strategy/NAME.yaml: the best levers as a strategy preset.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from relsim.params import CHANNELS, Channels, Strategy

from ..plumbing.config import RunSpec
from .evaluate import evaluate, score
from .space import BOUGHT
from .study import Settings, best_trials, completed, fresh_seeds, optimise

__all__ = ["Result", "run", "changed_levers"]

#: The most Pareto points re-run on fresh seeds.
MAX_FRONT = 20


@dataclasses.dataclass
class Result:
    """What a study found: its best trials with their values on the study's and on fresh seeds."""

    settings: dict
    best: list[dict]
    trials: int
    seconds: float
    out_dir: Path


def changed_levers(strategy: Strategy, base: Strategy, channels: Channels) -> dict[str, float]:
    """The fields of `strategy` that differ from `base` (with a budget, also the levers it buys at the market's
    contact prices `channels`)."""
    from relsim import budget

    out = {f.name: getattr(strategy, f.name) for f in dataclasses.fields(Strategy)
           if getattr(strategy, f.name) != getattr(base, f.name)}
    if strategy.budget > 0:
        bought = budget.levers(strategy, channels)
        out.update({f"bought.{name}": getattr(bought, name) for name in (*BOUGHT, *(f"{c}_rate" for c in CHANNELS))})
    return out


def _trials_table(study, settings: Settings, channels: Channels):
    """Every finished trial: its number, objective values and the levers it set (as trials.csv)."""
    import pandas as pd

    rows = []
    for t in completed(study):
        row = {"trial": t.number, **{o.name: v for o, v in zip(settings.objectives, t.values, strict=True)}}
        row.update(changed_levers(strategy_of(settings, t.params), settings.space.base, channels))
        rows.append(row)
    return pd.DataFrame(rows)


def _split(settings: Settings, params: dict) -> dict:
    if settings.space.budget <= 0:
        return {}
    return settings.space.split(params["access_u"], params["listening_u"])


def strategy_of(settings: Settings, params: dict) -> Strategy:
    """The strategy a trial's parameters stand for."""
    plain = {k: v for k, v in params.items() if k not in ("access_u", "listening_u")}
    return settings.space.strategy(plain | _split(settings, params))


def run(spec: RunSpec, settings: Settings, trials: int, out_dir: Path, *, storage: str | None = None,
        name: str = "relsim", workers: int = 0, fresh: int = 10, preset: Path | None = None,
        on_batch: Callable[[int, float], None] | None = None) -> Result:
    """Run or resume the study, re-run its best on `fresh` new seeds, and write the files (and, with `preset`,
    the best strategy as that preset file)."""
    from relsim import budget
    from relsim.analysis.io import write_text_atomic
    from relsim.analysis.stats import mean_ci

    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    default = _default(out_dir)
    storage = storage or default
    study = optimise(spec, settings, trials, storage=storage, name=name, workers=workers, on_batch=on_batch)
    chosen = best_trials(study, settings.objectives)[:MAX_FRONT]
    strategies = [strategy_of(settings, t.params) for t in chosen]
    new = dataclasses.replace(spec, seeds=fresh_seeds(spec, fresh))
    values = evaluate(new, strategies, settings.objectives, list(new.replicates), workers) if chosen else []
    best = []
    for t, strategy, per_run in zip(chosen, strategies, values, strict=True):
        channels = spec.market.channels
        entry = {"trial": t.number, "levers": changed_levers(strategy, settings.space.base, channels),
                 "spend_rate_planned": budget.spend(budget.levers(strategy, channels), channels),
                 "study": {}, "fresh": {}}
        per_seed = _per_seed(per_run, list(new.replicates))
        for k, o in enumerate(settings.objectives):
            ci = mean_ci(per_seed[:, k])
            entry["study"][o.name] = float(t.values[k])
            entry["fresh"][o.name] = {"score": float(score(per_run, list(new.replicates), settings.robust)[k]),
                                      "mean": ci.mean, "ci_low": ci.low, "ci_high": ci.high, "n": ci.n}
        best.append(entry)
    seconds = time.perf_counter() - started
    described = settings.describe(spec)
    result = Result(described, best, len(completed(study)), seconds, out_dir)
    table = _trials_table(study, settings, spec.market.channels)
    write_text_atomic(out_dir / "trials.csv", table.to_csv(index=False))
    payload = {"settings": described, "storage": storage if storage != default else "study.db",
               "study": name, "trials": result.trials, "seconds": round(seconds, 1),
               "fresh_seeds": list(new.seeds), "best": best}
    write_text_atomic(out_dir / "best.json", json.dumps(payload, indent=1, default=float) + "\n")
    from relsim.analysis.optimize import write_report

    write_report(out_dir / "report.html", study, table, settings, best)
    if preset is not None and best:
        from .preset import preset_text

        write_text_atomic(preset, preset_text(preset.stem, strategies[0], described, best[0]["fresh"], out_dir))
    return result


def _default(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / 'study.db').resolve()}"


def _per_seed(per_run: np.ndarray, replicates: list) -> np.ndarray:
    """One row per seed (the mean over posterior draws of that seed's runs, or the run itself)."""
    seeds = sorted({s for _, s in replicates})
    return np.array([per_run[[i for i, (_, s) in enumerate(replicates) if s == seed]].mean(axis=0)
                     for seed in seeds])
