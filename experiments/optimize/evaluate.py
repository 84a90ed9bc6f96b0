"""What a candidate strategy earns: its summary metrics over seeds (and posterior draws), on common random numbers.

A candidate plays the focal firm in the run specification's market (its rivals, consumers and behaviour), on the
same seeds as every other candidate, so two candidates are compared on the same consumers, network and event
streams. Each run is the `relsim` command's own (experiments/plumbing/runner.py `simulate`), and each metric is
the `relsim` summary's own (analysis/summary.py `per_seed_metrics`), read at the end of the run or of a window.

A score is the mean of a metric over seeds, or over posterior draws of the mean over seeds; with `robust` = q
it is the q-quantile over draws instead of their mean (a choice that holds up where the behaviour is
unfavourable). The processes that run the simulations stay up from one batch of trials to the next (joblib's
reusable executor), so the model is imported and its rules loaded once per worker.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np

from relsim.params import ConfigError, Strategy

from ..plumbing.config import RunSpec
from ..plumbing.runner import simulate, workers_for

__all__ = ["CANDIDATE", "Objective", "evaluate", "parse_objective", "score"]

#: The arm name a candidate plays under.
CANDIDATE = "candidate"
#: Metrics a best response may maximise (or minimise, with a leading minus): the summary's money and
#: retention metrics.
OBJECTIVE_METRICS = ("npv", "customer_equity", "profit", "revenue", "retention_1y", "retention_2y", "retention_3y",
                     "trust")


@dataclasses.dataclass(frozen=True)
class Objective:
    """A metric to optimise, read at a window (a day; 0: the run's last day), maximised unless `minimise`."""

    metric: str
    window: int = 0
    minimise: bool = False

    @property
    def name(self) -> str:
        return ("-" if self.minimise else "") + self.metric + (f"@{self.window}" if self.window else "")


def parse_objective(text: str, days: int) -> Objective:
    """`npv`, `profit@90` (over days 1-90), `-spend_rate`: one objective; raises ConfigError."""
    match = re.fullmatch(r"(-?)([a-z0-9_]+)(?:@([0-9]{1,6}))?", text)
    allowed = f"a metric from {', '.join(OBJECTIVE_METRICS)}, optionally @DAYS (a window) or a leading -"
    if not match or match.group(2) not in OBJECTIVE_METRICS:
        raise ConfigError(f"--objective={text!r}: expected {allowed}")
    window = int(match.group(3) or 0)
    if match.group(3) is not None and not 1 <= window <= days:
        raise ConfigError(f"--objective={text!r}: the window must be a day in [1, {days}] (days={days})")
    if match.group(2).startswith("retention_"):
        tenure = {"retention_1y": 365, "retention_2y": 730, "retention_3y": 1095}[match.group(2)]
        if tenure > (window or days):
            raise ConfigError(f"--objective={text!r}: {match.group(2)} needs at least {tenure} days; the run has "
                              f"{window or days}")
    if match.group(2) == "customer_equity" and window and window % 30 and window != days:
        raise ConfigError(f"--objective={text!r}: customer equity is recorded every 30th day and on the last day; "
                          "expected a window that is a multiple of 30")
    return Objective(match.group(2), window, match.group(1) == "-")


def _metrics(tables, objectives: Sequence[Objective]) -> list[float]:
    """Each objective's value on one run's tables (the summary's per-seed metric, at the objective's window)."""
    from relsim.analysis.load import RunData
    from relsim.analysis.summary import per_seed_metrics

    out = []
    for window in sorted({o.window for o in objectives}):
        runs, retention = tables["runs"], tables["retention"]
        if window:
            runs, retention = runs[runs["day"] <= window], retention[retention["tenure_days"] <= window]
        per = per_seed_metrics(RunData(runs, retention, tables["evidence"], {"arms": [CANDIDATE]}))
        for o in objectives:
            if o.window == window:
                out.append((o, float(per[o.metric].iloc[0])))
    values = dict(out)
    return [values[o] for o in objectives]


def _run(spec: RunSpec, strategy: Strategy, seed: int, draw: int | None,
         objectives: Sequence[Objective]) -> list[float]:
    spec = dataclasses.replace(spec, strategies={**spec.strategies, CANDIDATE: strategy}, arms=(CANDIDATE,),
                               cells={})
    return _metrics(simulate(spec, CANDIDATE, "baseline", seed, draw), objectives)


def evaluate(spec: RunSpec, strategies: Sequence[Strategy], objectives: Sequence[Objective],
             replicates: Sequence[tuple[int | None, int]] | None = None, workers: int = 0) -> np.ndarray:
    """Every objective of every strategy on every replicate (posterior draw or None, seed): an array of shape
    (strategies, replicates, objectives), identical whatever the number of workers."""
    import joblib

    replicates = list(replicates if replicates is not None else spec.replicates)
    jobs = [(s, seed, draw) for s in strategies for draw, seed in replicates]
    n = workers_for(dataclasses.replace(spec, workers=workers), len(jobs))
    if n == 1:
        values = [_run(spec, s, seed, draw, objectives) for s, seed, draw in jobs]
    else:
        values = joblib.Parallel(n_jobs=n)(joblib.delayed(_run)(spec, s, seed, draw, objectives)
                                           for s, seed, draw in jobs)
    return np.asarray(values, dtype=float).reshape(len(strategies), len(replicates), len(objectives))


def score(values: np.ndarray, replicates: Sequence[tuple[int | None, int]], robust: float | None = None) -> np.ndarray:
    """The score of each objective from one strategy's (replicates, objectives) values: the mean over seeds, or
    over draws of the mean over seeds (the `robust` quantile over draws instead of their mean)."""
    draws = sorted({d for d, _ in replicates}, key=lambda d: -1 if d is None else d)
    per_draw = np.array([values[[i for i, (d, _) in enumerate(replicates) if d == draw]].mean(axis=0)
                         for draw in draws])
    if robust is None or len(draws) == 1:
        return per_draw.mean(axis=0)
    return np.quantile(per_draw, robust, axis=0, method="linear")


def check_robust(robust: float | None, draws: int) -> None:
    """A robust quantile needs posterior draws and a level in (0, 0.5]."""
    if robust is None:
        return
    if not 0 < robust <= 0.5:
        raise ConfigError(f"--robust={robust!r}: expected a quantile in (0, 0.5], e.g. 0.1")
    if draws < 2:
        raise ConfigError(f"--robust={robust!r}: a robust choice needs posterior draws (posterior=N with N >= 2)")
