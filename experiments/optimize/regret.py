"""Judge learning firms as their field judges learners: regret against the best fixed point, and the frozen policy
(the library behind `relsim-regret`, experiments/commands/regret.py).

For every job of a sweep with learning firms (e.g. `+experiment=test_and_learn`) and each of its seeds, on the same
seed (common random numbers) and the job's own market and horizon:

- `learner`: what the learning firm earned while it learned (its NPV and customer equity at the horizon);
- `frozen`: the levers it ended with, played as a fixed strategy from day 0 (its final policy, judged apart from
  the reward it gave up while exploring);
- `best`: the best fixed strategy `relsim-optimize` found in the learner's space (its best.json: the levers it
  changed over its base), and each preset named by `--presets`.

Regret = best - learner (Lattimore & Szepesvari 2020, ch. 4: what learning cost against the best fixed choice in
hindsight); the frozen gap = best - frozen. Writes `regret.csv` into the sweep folder (one row per job, seed and
metric) and prints the mean of each cell with a 95% confidence interval over seeds.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from relsim.params import LEVERS, ConfigError, Policy, Strategy, build

from ..plumbing.config import run_spec
from .evaluate import evaluate, parse_objective

#: What the learners are judged on: NPV and customer equity at the horizon.
METRICS = ("npv", "customer_equity")


def best_strategy(best_json: Path, base: Strategy) -> Strategy:
    """The optimiser's best strategy: its changed levers (best.json's first entry) over `base`."""
    try:
        best = json.loads(Path(best_json).read_text(encoding="utf-8"))["best"][0]
        levers = dict(best["levers"])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ConfigError(f"--best={best_json}: not a relsim-optimize best.json with a best strategy ({exc})") from None
    return build(Strategy, {**dataclasses.asdict(base), **levers}, "best")


def last_rows(runs: pd.DataFrame, firm: int = 0) -> pd.DataFrame:
    """Each seed's row of `firm` on the last recorded day (indexed by seed): its outcomes and its levers."""
    return runs[runs["firm"] == firm].sort_values("day").groupby("seed").tail(1).set_index("seed")


def _learning_arm(spec, job: Path) -> str:
    """The arm whose focal firm learns (rivals that learn play their starting strategy fixed in the evaluations)."""
    arms = [a for a in spec.arms if 0 in spec.learners(a)] if spec.policy.rule != "fixed" else []
    if not arms:
        raise ConfigError(f"SWEEP_DIR: {job.name} has no arm whose focal firm learns (firm_policy.rule is "
                          f"{spec.policy.rule!r})")
    return arms[0]


def job_regret(job: Path, best: Strategy | None, presets: Sequence[str], workers: int = 0) -> pd.DataFrame:
    """The rows of regret.csv for one job (see the module docstring)."""
    manifest = json.loads((job / "manifest.json").read_text(encoding="utf-8"))
    spec = run_spec(manifest["config"])
    arm = _learning_arm(spec, job)
    runs = pd.read_parquet(job / "runs.parquet")
    runs = runs[runs["arm"] == arm]
    last = last_rows(runs)
    fixed = dataclasses.replace(spec, policy=Policy(), progress=False)
    objectives = [parse_objective(m, spec.days) for m in METRICS]
    base = spec.strategies[arm]
    out = []
    for seed, levers in last[[c for c in LEVERS if c in last.columns]].iterrows():
        frozen = build(Strategy, {**dataclasses.asdict(base), **levers.to_dict()}, "frozen")
        contenders = {"frozen": frozen, **({"best": best} if best is not None else {}),
                      **{p: spec.strategies[p] for p in presets}}
        values = evaluate(fixed, list(contenders.values()), objectives, [(None, int(seed))], workers)[:, 0, :]
        for k, metric in enumerate(METRICS):
            row = {"job": job.name, "seed": int(seed), "metric": metric,
                   "learner": float(last.loc[seed, metric])}
            row.update({name: float(values[i, k]) for i, name in enumerate(contenders)})
            out.append(row)
    return pd.DataFrame(out)


def check(sweep: Path, best: Path | None, presets: Sequence[str] = ()) -> tuple[list[Path], Strategy | None]:
    """The sweep's finished jobs and the optimiser's best strategy; ConfigError (one line) before any run."""
    if not Path(sweep).is_dir():
        raise ConfigError(f"SWEEP_DIR={sweep}: not a directory")
    jobs = sorted((p for p in Path(sweep).glob("job=*") if (p / "manifest.json").is_file()),
                  key=lambda p: int(p.name.split("=", 1)[1]))
    if not jobs:
        raise ConfigError(f"SWEEP_DIR={sweep}: no finished jobs (job=N folders with a manifest.json)")
    first = run_spec(json.loads((jobs[0] / "manifest.json").read_text(encoding="utf-8"))["config"])
    unknown = [p for p in presets if p not in first.strategies]
    if unknown:
        raise ConfigError(f"--presets: {unknown[0]!r} is not a strategy of the sweep's config; allowed: "
                          f"{', '.join(first.strategies)}")
    chosen = best_strategy(best, first.strategies[_learning_arm(first, jobs[0])]) if best else None
    return jobs, chosen


def regret(sweep: Path, best: Path | None, presets: Sequence[str] = (), workers: int = 0,
           checked: tuple[list[Path], Strategy | None] | None = None) -> pd.DataFrame:
    """regret.csv's table for every job of `sweep` (written there, atomically), with regret and the frozen gap;
    `checked` is what `check` returned for the same arguments (else it is called here)."""
    from relsim.analysis.io import write_text_atomic

    jobs, chosen = checked if checked is not None else check(sweep, best, presets)
    table = pd.concat([job_regret(job, chosen, presets, workers) for job in jobs], ignore_index=True)
    if chosen is not None:
        table["regret"] = table["best"] - table["learner"]
        table["frozen_gap"] = table["best"] - table["frozen"]
    write_text_atomic(Path(sweep) / "regret.csv", table.to_csv(index=False))
    return table
