"""A best-response study: Optuna proposes levers, relsim scores them, the best is re-run on fresh seeds.

The study runs in batches of `batch` trials: the sampler proposes a whole batch (TPE with a constant
liar, so the batch's proposals spread out), relsim evaluates its trials in parallel on the same seeds
(evaluate.py), and the results are told in trial order. The sampler of each batch is seeded from the
study's seed and the number of finished trials, so a study is a function of its settings and seed,
whatever the number of worker processes, and a study resumed after an interruption continues as if it
had not been interrupted: the trials of an unfinished batch are proposed again, with the same levers,
before anything new (TPE, NSGA-II and random search; CMA-ES resumes from its stored state but may
propose differently). Studies live in SQLite (one file in the output directory) or in any database
SQLAlchemy reaches, which is how several machines share one study (`--storage`).

Samplers: `tpe` (the default; Watanabe 2023, Optuna's TPESampler), `cmaes` (Hansen's CMA-ES, continuous
levers), `nsga2` (two or more objectives: the Pareto front), `random`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence

import numpy as np

from relsim.params import ConfigError

from ..plumbing.config import RunSpec
from .evaluate import Objective, evaluate, score
from .space import Space

__all__ = ["SAMPLERS", "Settings", "optimise", "fresh_seeds"]

SAMPLERS = ("tpe", "cmaes", "nsga2", "random")


@dataclasses.dataclass(frozen=True)
class Settings:
    """What defines a study (kept with it: a resumed study must have the same)."""

    space: Space
    objectives: tuple[Objective, ...]
    sampler: str = "tpe"
    seed: int = 0
    batch: int = 4
    robust: float | None = None

    def describe(self, spec: RunSpec) -> dict:
        """The settings and the run specification's seeds, days and market, as plain data."""
        return {"space": self.space.describe(), "objectives": [o.name for o in self.objectives],
                "sampler": self.sampler, "seed": self.seed, "batch": self.batch, "robust": self.robust,
                "seeds": list(spec.seeds), "days": spec.days, "draws": len(spec.draws),
                "market": dataclasses.asdict(spec.market),
                "rivals": [dataclasses.asdict(s) for s in spec.rivals()]}


def _sampler(settings: Settings, finished: int, startup: int):
    import optuna

    seed = int(np.random.SeedSequence([settings.seed, finished]).generate_state(1)[0])
    if settings.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True,
                                          constant_liar=True)
    if settings.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=startup,
                                            independent_sampler=optuna.samplers.RandomSampler(seed=seed))
    if settings.sampler == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(8, 2 * settings.batch))
    return optuna.samplers.RandomSampler(seed=seed)


def _open(settings: Settings, spec: RunSpec, storage: str, name: str):
    """Create the study, or load it and check that it was made with the same settings."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions = ["minimize" if o.minimise else "maximize" for o in settings.objectives]
    try:
        study = optuna.create_study(storage=storage, study_name=name, directions=directions, load_if_exists=True,
                                    sampler=_sampler(settings, 0, 0))
    except Exception as exc:  # an unreachable or unusable database: one line, not a traceback
        raise ConfigError(f"--storage={storage!r}: cannot open the study ({str(exc).splitlines()[0][:200]})") from None
    described = json.loads(json.dumps(settings.describe(spec)))
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", described)
    elif stored != described:
        changed = sorted(k for k in described if described[k] != stored.get(k))
        raise ConfigError(f"--study={name!r}: the study in {storage} was made with other settings ({', '.join(changed)}); "
                          "choose another --out or --study, or the same settings to resume it")
    return study


def _requeue_unfinished(study) -> int:
    """Propose the trials of an interrupted batch again (same levers) and mark the interrupted ones failed."""
    from optuna.trial import TrialState

    unfinished = study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))
    for t in unfinished:
        if t.state == TrialState.RUNNING:
            study.enqueue_trial(t.params, skip_if_exists=False)
            study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
    return len(unfinished)


def optimise(spec: RunSpec, settings: Settings, trials: int, *, storage: str, name: str = "relsim",
             workers: int = 0, on_batch: Callable[[int, float], None] | None = None):
    """Run (or resume) the study until it has `trials` finished trials; returns it."""
    import optuna
    from optuna.trial import TrialState

    study = _open(settings, spec, storage, name)
    _requeue_unfinished(study)
    replicates = list(spec.replicates)
    startup = min(10, max(trials // 4, settings.batch))
    while True:
        finished = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
        waiting = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
        if finished >= trials and not waiting:
            return study
        study.sampler = _sampler(settings, finished, startup)
        size = max(waiting, min(settings.batch - finished % settings.batch, trials - finished))
        asked = [study.ask() for _ in range(size)]
        strategies = [settings.space.strategy(settings.space.suggest(t)) for t in asked]
        values = evaluate(spec, strategies, settings.objectives, replicates, workers)
        for trial, per_run in zip(asked, values, strict=True):
            scores = score(per_run, replicates, settings.robust)
            if all(math.isfinite(v) for v in scores):
                study.tell(trial, [float(v) for v in scores])
            else:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
        if on_batch:
            best = _best_value(study)
            on_batch(len(asked), best)


def _best_value(study) -> float:
    """The first objective's best value so far (NaN before any finished trial)."""
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        return math.nan
    first = [t.values[0] for t in done]
    minimise = study.directions[0].name == "MINIMIZE"
    return float(min(first) if minimise else max(first))


def fresh_seeds(spec: RunSpec, count: int) -> tuple[int, ...]:
    """`count` seeds that the study never saw: the next ones after its largest."""
    start = max(spec.seeds) + 1
    return tuple(range(start, start + count))


def completed(study) -> list:
    """The finished trials, in the order they were proposed."""
    from optuna.trial import TrialState

    return sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number)


def best_trials(study, objectives: Sequence[Objective]) -> list:
    """The best trial (one objective; ties: the earliest) or the Pareto front (several), earliest first."""
    done = completed(study)
    if not done:
        return []
    if len(objectives) == 1:
        sign = -1.0 if objectives[0].minimise else 1.0
        return [max(done, key=lambda t: (sign * t.values[0], -t.number))]
    return sorted(study.best_trials, key=lambda t: t.number)
