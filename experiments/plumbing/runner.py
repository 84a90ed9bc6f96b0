"""Run every arm on every seed (in parallel processes) and gather the tidy tables.

Each simulation depends only on its (arm, variant, posterior draw, seed) and the spec, so results are identical whatever
the number of workers or the order in which they finish.

What makes a run fast beyond the engine is here too: what the caller needs next is imported while the
runs simulate (`run_all(..., meanwhile=...)`), each process keeps its imports out of the garbage
collector's walks (`_freeze_imports`), and a command that has written everything can skip the
interpreter's last collections (`skip_final_collections`).
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import threading
from collections.abc import Callable, Sequence

import joblib
import pandas as pd

from .config import RunSpec


def simulate(spec: RunSpec, arm: str, variant: str, seed: int, draw: int | None = None) -> dict[str, pd.DataFrame]:
    """Run the focal firm playing `arm` under `variant` on `seed` (with posterior draw `draw`); return its
    tidy tables, whose `seed` column is the replicate's id (spec.replicate_id)."""
    from relsim.model import RelationshipModel  # here: a process that only hands runs to workers never loads Mesa

    _freeze_imports()
    focal, market = spec.cell(arm, variant, draw)
    segments = {0: list(spec.segments[arm])} if spec.segments.get(arm) else None
    model = RelationshipModel(focal, market, rivals=spec.rivals(market), days=spec.days,
                              names=[arm, *market.rivals], consumer_agents=False, rng=seed, engine=spec.engine,
                              policy=spec.policy, learners=spec.learners(arm, market), collect=False,
                              segments=segments)
    model.run()
    rec = model.recorder
    tables = {"runs": rec.runs(), "retention": rec.retention(), "evidence": rec.evidence_table()}
    if spec.policy.rule == "test_and_learn":  # the firms' tests and decisions (docs/SCHEMA.md, tests.parquet)
        tables["tests"] = model.tests()
    if spec.policy.rule == "test_and_learn" or any(spec.segments.values()):  # customers and departures per cell
        tables["segments"] = rec.segments()
    for frame in tables.values():
        frame.insert(0, "seed", spec.replicate_id(draw, seed))
        frame.insert(0, "scenario", variant)
        frame.insert(0, "arm", arm)
    return tables


@functools.cache
def _freeze_imports() -> None:
    """Once per process, before its first model: keep what the imports created (modules, numba's types, some
    10^6 objects that live as long as the process) out of the garbage collector's walks. Every full collection
    walked them again, and so did the last one as a worker process ended, which the command waited for (0.7 s).
    Models and tables made afterwards are collected as usual."""
    gc.freeze()


def compile_rules() -> float:
    """Compile the model's rules (numba, cached on disk) by running a tiny market for a few days, so that the
    workers load them instead of each compiling them; returns the seconds it took."""
    import time

    from relsim.model import RelationshipModel
    from relsim.params import Market

    started = time.perf_counter()
    RelationshipModel(market=Market(consumers=50), days=3, consumer_agents=False, rng=0).run()
    return time.perf_counter() - started


def compile_once(prog: str) -> None:
    """On the first run after an install or an edit of sim/, compile the rules once, saying so and how long it
    took (a progress bar would otherwise sit at 0 with no reason given)."""
    import sys

    from relsim._cache import compiled

    if compiled():
        return
    print(f"{prog}: first run with these sources: compiling the model's rules (once, usually under a minute; "
          "cached for later runs; the runs start after it) ...", file=sys.stderr, flush=True)
    print(f"{prog}: compiled in {compile_rules():.0f} s", file=sys.stderr, flush=True)


def workers_for(spec: RunSpec, jobs: int) -> int:
    """How many processes to use: the spec's `workers`, or one per core (0), never more than jobs."""
    wanted = spec.workers or os.cpu_count() or 1
    return max(1, min(wanted, jobs))


def run_all(spec: RunSpec, on_done: Callable[[], None] | None = None, meanwhile: Sequence[str] = ()
            ) -> dict[str, pd.DataFrame]:
    """Run all arm x variant x seed simulations; `on_done` is called once per finished simulation.

    `meanwhile` names modules to import in a thread while the runs simulate (what the caller needs next);
    they are imported when this returns.
    """
    jobs = [(arm, v.name, seed, draw) for arm in spec.arms for v in spec.variants for draw, seed in spec.replicates]
    n_workers = workers_for(spec, len(jobs))
    importing = import_meanwhile(meanwhile, in_process=n_workers == 1)
    if n_workers == 1:
        results = (simulate(spec, *job) for job in jobs)
    else:
        results = joblib.Parallel(n_jobs=n_workers, return_as="generator")(
            joblib.delayed(simulate)(spec, *job) for job in jobs)
    collected = []
    for tables in results:
        collected.append(tables)
        if on_done:
            on_done()
    importing.join()
    return {name: pd.concat([t[name] for t in collected], ignore_index=True) for name in collected[0]}


def import_meanwhile(modules: Sequence[str], in_process: bool) -> threading.Thread:
    """Import `modules` in a thread while the simulations run (in worker processes, or in this one, whose compiled
    day releases the GIL); imported once, the names are then at hand. With the runs `in_process`, the model is
    imported first, before the thread starts: the two would otherwise take turns with the interpreter lock. An
    error is left for the import that needs the module."""
    if modules and in_process:
        importlib.import_module("relsim.model")

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 (raised again, with its traceback, where the module is used)
                return

    thread = threading.Thread(target=load, name="relsim-imports", daemon=True)
    thread.start()
    return thread


def skip_final_collections() -> None:
    """Called as a command ends, everything written: the interpreter's last garbage collections would walk every
    object the run left (pandas, plotly, numba's types: 0.6 s at exit); nothing needs them, so they are skipped."""
    gc.disable()
    gc.freeze()
