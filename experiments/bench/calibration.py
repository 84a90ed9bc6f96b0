"""Simulations a minute at calibration size: where a pattern battery's time goes, and how many a minute.

The calibration (relsim-calibrate, experiments/inference/abc_smc.py) and the searches built on it are made of many
small simulations: the pattern battery (experiments/inference/battery.py:measure, six runs of the calibration
market on one seed: a day-stepped run that observes episodes and defections, two at other contact
rates, three for the NPV of bad news) and the plain curve run (one run, the retention curve alone), at
1,500 consumers. Their cost is not the engine's large-market rate: building the model, Python between
the compiled days, the battery's own observations and the hand-off between processes all count.

    python -m relsim.experiments.bench.calibration             # breakdown and throughput (about a minute)
    python -m relsim.experiments.bench.calibration --quick     # fewer seeds

`breakdown` times the parts of a battery and of a plain run by wrapping the functions that do them
(each wrapper costs about 0.3 µs a call, a few milliseconds a battery); `throughput` counts
simulations a minute in one process and on a pool of all cores (the calibration's own
`experiments/inference/abc_smc.py:mapper`), and the hand-off (starting the pool, a fresh worker's first simulation,
pickling); `floor` runs relsim-bench's floor kernel over a battery's days at the same size. relsim-bench
reports them beside the fused prototype measured in the same run, and the issue 28 target (333 battery
simulations a minute on 2 cores where the prototype runs at 30 M consumer-firm-days a second, scaled
by the prototype measured here). Figures, never assertions.
"""

from __future__ import annotations

import functools
import json
import pickle
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from relsim._cache import ensure_fresh
from relsim.assortment import _cut_assortment
from relsim.churn import _acquire, _churn
from relsim.contacts import _contact, _request_data
from relsim.economics import _account
from relsim.fees import _charge_nuisance_fees
from relsim.intimacy import _update_intimacy
from relsim.listening import _listen
from relsim.recorder import _record
from relsim.stress import _update_stress
from relsim.support import _experience_problems, _progress_problems, _seek_support, _use
from relsim.trust import _update_trust
from relsim.vectorized import _day
from relsim.voice import _voice
from relsim.word_of_mouth import _word_of_mouth
from relsim.world import _assign_cells, _begin_day

from ..commands.cli import Parser

ensure_fresh(Path(__file__).resolve().parent / "__pycache__")  # its compiled loops hold copies of the rules

#: The calibration's default size (relsim-calibrate --consumers; inference/patterns.py:SCALE_CONSUMERS).
CONSUMERS = 1500
#: The issue 28 target: battery simulations a minute on 2 cores where the prototype runs at PROTOTYPE_AT.
TARGET_PER_MINUTE, PROTOTYPE_AT = 333.0, 30e6
#: The retention curve's points of a plain run (three years, as the curve calibrations use).
CURVE_DAYS = (365, 730, 1095)


def target(prototype_cfd_per_s: float | None) -> float | None:
    """The battery target on this machine: 333 a minute scaled by the prototype's speed measured here / 30 M."""
    return TARGET_PER_MINUTE * prototype_cfd_per_s / PROTOTYPE_AT if prototype_cfd_per_s else None


def batteries(consumers: int = CONSUMERS):
    """The calibration's battery (facts) and a plain curve run's battery (the retention curve alone)."""
    from ..inference.battery import make_battery

    return make_battery(consumers), make_battery(consumers, curve_days=CURVE_DAYS, facts=False)


def battery_days(battery) -> int:
    """Simulated days in one battery: the day-stepped run, two contact runs and three NPV runs (or the curve)."""
    from ..inference.battery import CONTACT_DAYS

    return battery.days + 5 * CONTACT_DAYS if battery.facts else battery.days


# --------------------------------------------------------------------------- timing wrapped functions

class Timers:
    """Wall time and calls of wrapped functions by label (patched in place, restored by `restore`). Functions that
    share a label count once when one calls another: only the outermost call of a label is timed."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth: dict[str, int] = defaultdict(int)
        self._patches: list[tuple[object, str, object | None]] = []

    def wrap(self, owner: object, name: str, label: str) -> None:
        """Time every call of `owner.name` under `label` (a module's function or a class's method; a name that
        `owner` lacks, as in an older build, is skipped)."""
        original = getattr(owner, name, None)
        if original is None:
            return
        own = name in vars(owner)
        seconds, calls, depth, clock = self.seconds, self.calls, self._depth, time.perf_counter

        @functools.wraps(original)
        def timed(*args, **kwargs):
            depth[label] += 1
            started = clock()
            try:
                return original(*args, **kwargs)
            finally:
                depth[label] -= 1
                if not depth[label]:
                    seconds[label] += clock() - started
                    calls[label] += 1

        setattr(owner, name, timed)
        self._patches.append((owner, name, original if own else None))

    def restore(self) -> None:
        for owner, name, original in reversed(self._patches):
            if original is None:  # it was inherited
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._patches.clear()


def _wrap_all(t: Timers) -> None:
    """Wrap what a battery or a plain run spends its time in (see `parts` for how they nest)."""
    from relsim import model as model_module
    from relsim import vectorized, world
    from relsim.agents import Firm
    from relsim.analysis import facts
    from relsim.calendar import Calendar
    from relsim.model import RelationshipModel
    from relsim.recorder import Recorder

    from ..inference import battery, observers

    for owner, name, label in (
            (RelationshipModel, "__init__", "build"), (model_module, "create_world", "build.world"),
            (world, "draw_traits", "build.world.population"), (world, "build_network", "build.world.network"),
            (Recorder, "__init__", "build.recorder"), (Firm, "__init__", "build.firms"),
            (Calendar, "__init__", "build.calendar"),
            # the days: however they run (Mesa's step one at a time, or stretches of `advance`)
            (RelationshipModel, "advance", "days"), (RelationshipModel, "_advance_time", "days"),
            (RelationshipModel, "_advance_time", "days.mesa"), (RelationshipModel, "step", "days.mesa.step"),
            (vectorized, "_day", "days.compiled"), (vectorized, "_days", "days.compiled"),
            (battery, "_observed_days", "days.compiled"), (battery, "_lemon_days", "days.compiled"),
            (Recorder, "finish_day", "days.recorder"), (Recorder, "finish_days", "days.recorder"),
            (Recorder, "reserve", "days.recorder"),
            (Calendar, "defect_shock", "days.calendar"), (Firm, "announce_cut", "days.calendar"),
            # the battery's observations in Python (battery.py calls the observers by the names it imported)
            (observers.ContagionTracker, "__init__", "observe.contagion"),
            (observers.ContagionTracker, "before", "observe.contagion"),
            (observers.ContagionTracker, "after", "observe.contagion"),
            (battery, "spoil_lemons", "observe.lemons"), (battery, "lemons", "observe.lemons"),
            (world.World, "provider_trust", "observe.satisfaction"),
            (battery, "episode_outcomes", "statistics.episodes"),
            (facts, "logistic_hazard_ratios", "statistics.contagion")):
        t.wrap(owner, name, label)


@njit(cache=True)
def _compiled_days(s, b, fa, values, evidence, surviving, cohort_size, days):
    for _ in range(days):
        _day(s, b, fa, values, evidence, surviving, cohort_size)


def dispatch_us(battery, days: int = 365, repeats: int = 5) -> float:
    """Microseconds a call of the compiled days costs from Python beyond its work: the same days of identical models
    (one seed), one compiled call a day from Python or all in one compiled call; the best of `repeats` of each (the
    least disturbed by whatever else the machine runs)."""
    from relsim import vectorized

    from ..inference.battery import _model

    python = compiled = float("inf")
    for k in range(repeats + 1):
        a, c = (_model(battery, battery.market, 1, days) for _ in range(2))
        ka, kc = a.world.kernel(), c.world.kernel()
        ra, rc = a.recorder, c.recorder
        if hasattr(vectorized, "_days"):  # days in one call (issue 28)
            started = time.perf_counter()
            for _ in range(days):
                vectorized._days(*ka, ra.values, ra.evidence, ra.surviving, ra.cohort_size, *ra.log, 1)
            took = time.perf_counter() - started
            started = time.perf_counter()
            vectorized._days(*kc, rc.values, rc.evidence, rc.surviving, rc.cohort_size, *rc.log, days)
        else:  # an older build: one compiled day a call
            started = time.perf_counter()
            for _ in range(days):
                vectorized._day(*ka, ra.values, ra.evidence, ra.surviving, ra.cohort_size)
            took = time.perf_counter() - started
            started = time.perf_counter()
            _compiled_days(*kc, rc.values, rc.evidence, rc.surviving, rc.cohort_size, days)
        if k:  # the first loads (or compiles) the loop
            python, compiled = min(python, took), min(compiled, time.perf_counter() - started)
    return max(python - compiled, 0.0) / days * 1e6


# --------------------------------------------------------------------------- where a compiled day goes

#: The phases of sim/vectorized.py:_day, in its order (tests/test_bench.py checks the two agree).
PHASES = ("_begin_day", "_assign_cells", "_contact", "_request_data", "_use", "_experience_problems",
          "_seek_support", "_progress_problems", "_charge_nuisance_fees", "_cut_assortment", "_voice", "_word_of_mouth", "_listen",
          "_update_trust", "_update_intimacy", "_update_stress", "_churn", "_acquire", "_account", "_record")


@intrinsic
def _cycles(typingctx):
    """The processor's cycle counter (LLVM's readcyclecounter): timing a phase costs a few cycles, not a call."""
    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.readcyclecounter", fnty=ir.FunctionType(ir.IntType(64), []))
        return builder.call(fn, [])

    return types.uint64(), codegen


@njit(cache=True)
def _timed_days(s, b, fa, values, evidence, surviving, cohort_size, days, acc):
    """`days` days of sim/vectorized.py:_day, the cycles of phase k on day d in acc[d, k]."""
    for d in range(days):
        last = _cycles()
        _begin_day(s)
        now = _cycles()
        acc[d, 0] = now - last
        last = now
        _assign_cells(s, fa)
        now = _cycles()
        acc[d, 1] = now - last
        last = now
        _contact(s, b, fa)
        now = _cycles()
        acc[d, 2] = now - last
        last = now
        _request_data(s, b, fa)
        now = _cycles()
        acc[d, 3] = now - last
        last = now
        _use(s, b, fa)
        now = _cycles()
        acc[d, 4] = now - last
        last = now
        _experience_problems(s, b, fa)
        now = _cycles()
        acc[d, 5] = now - last
        last = now
        _seek_support(s, b, fa)
        now = _cycles()
        acc[d, 6] = now - last
        last = now
        _progress_problems(s, b, fa)
        now = _cycles()
        acc[d, 7] = now - last
        last = now
        _charge_nuisance_fees(s, b, fa)
        now = _cycles()
        acc[d, 8] = now - last
        last = now
        _cut_assortment(s, b, fa)
        now = _cycles()
        acc[d, 9] = now - last
        last = now
        _voice(s, b, fa)
        now = _cycles()
        acc[d, 10] = now - last
        last = now
        _word_of_mouth(s, b, fa)
        now = _cycles()
        acc[d, 11] = now - last
        last = now
        _listen(s, b, fa)
        now = _cycles()
        acc[d, 12] = now - last
        last = now
        _update_trust(s, b, fa)
        now = _cycles()
        acc[d, 13] = now - last
        last = now
        _update_intimacy(s, b, fa)
        now = _cycles()
        acc[d, 14] = now - last
        last = now
        _update_stress(s, b, fa)
        now = _cycles()
        acc[d, 15] = now - last
        last = now
        _churn(s, b, fa)
        now = _cycles()
        acc[d, 16] = now - last
        last = now
        _acquire(s, b, fa)
        now = _cycles()
        acc[d, 17] = now - last
        last = now
        _account(s, b, fa)
        now = _cycles()
        acc[d, 18] = now - last
        last = now
        _record(s, b, fa, values, evidence, surviving, cohort_size)
        now = _cycles()
        acc[d, 19] = now - last


def day_phases(consumers: int = CONSUMERS, draws: Sequence[tuple[dict, int]] = (({}, 1), ({}, 2)),
               repeats: int = 5) -> dict:
    """Microseconds a compiled day spends in each phase at calibration size: plain runs of the battery's market over
    its three years, one for each (values, seed) in `draws`, each run `repeats` times from the same seed (the
    same days); each phase of each day counts its least time over the repeats (the one least disturbed by other
    work on the machine), and the cycles are converted at the rate measured over the same runs."""
    import numpy as np

    from ..inference.battery import _model
    from ..inference.space import with_values

    battery, _ = batteries(consumers)
    total = np.zeros(len(PHASES))
    seconds = cycles = 0.0
    days = 0
    for k, (values, seed) in enumerate([({}, 0), *draws]):
        market = with_values(battery.market, values)
        best = None
        for _ in range(1 if k == 0 else repeats):  # the first loads (or compiles) the harness
            acc = np.zeros((battery.days, len(PHASES)), dtype=np.uint64)
            model = _model(battery, market, seed, battery.days)
            rec = model.recorder
            started = time.perf_counter()
            _timed_days(*model.world.kernel(), rec.values, rec.evidence, rec.surviving, rec.cohort_size, battery.days,
                        acc)
            if k:
                seconds += time.perf_counter() - started
                cycles += float(acc.sum())
            best = acc if best is None else np.minimum(best, acc)
        if k:
            total += best.sum(axis=0)
            days += battery.days
    per_second = cycles / seconds
    phases = {name[1:]: float(c / per_second / days * 1e6) for name, c in zip(PHASES, total, strict=True)}
    return {"days": days, "us_per_day": sum(phases.values()), "phases_us": phases}


def breakdown(consumers: int = CONSUMERS, seeds: Sequence[int] = (1, 2, 3)) -> dict:
    """Where a battery's and a plain run's time goes, in milliseconds a simulation (median over `seeds`)."""
    from ..inference.battery import measure

    battery, plain = batteries(consumers)
    measure(battery, {}, 0)  # load the compiled rules
    dispatch = dispatch_us(battery)
    out = {"consumers": consumers, "dispatch_us_per_call": dispatch}
    for key, bat in (("battery", battery), ("plain", plain)):
        rows = []
        for seed in seeds:
            t = Timers()
            _wrap_all(t)
            try:
                started = time.perf_counter()
                measure(bat, {}, seed)
                total = time.perf_counter() - started
            finally:
                t.restore()
            rows.append(parts(total, t.seconds, t.calls, dispatch * 1e-6))
        keys = rows[0]
        out[key] = {"days": battery_days(bat),
                    "ms": {k: statistics.median(r[k] for r in rows) * 1e3 for k in keys}}
    return out


def parts(total: float, seconds: dict[str, float], calls: dict[str, int], dispatch_s: float) -> dict[str, float]:
    """Exclusive seconds of each part from the wrappers' times (a part's own time is its time less that of the
    wrapped parts it called)."""
    s = defaultdict(float, seconds)
    dispatch = min(calls.get("days.compiled", 0) * dispatch_s, s["days.compiled"])
    world = s["build.world"] - s["build.world.population"] - s["build.world.network"]
    observe = s["observe.contagion"] + s["observe.lemons"] + s["observe.satisfaction"]
    statistics_ = s["statistics.episodes"] + s["statistics.contagion"]
    mesa = s["days.mesa"] - s["days.mesa.step"]
    out = {
        "build: population (traits)": s["build.world.population"],
        "build: network": s["build.world.network"],
        "build: day-0 state (world)": world,
        "build: recorder": s["build.recorder"],
        "build: Mesa agents (firms)": s["build.firms"],
        "build: calendar": s["build.calendar"],
        "build: the rest (Mesa model, checks)": s["build"] - s["build.world"] - s["build.recorder"]
        - s["build.firms"] - s["build.calendar"],
        "days: compiled": s["days.compiled"] - dispatch,
        "days: dispatch of the compiled calls": dispatch,
        "days: recorder (episode log, levers)": s["days.recorder"],
        "days: calendar events": s["days.calendar"],
        "days: Mesa's step (events, clock)": mesa,
        "days: Python around the compiled calls (model step, stretches, learners)": s["days"] - s["days.compiled"]
        - s["days.recorder"] - s["days.calendar"] - mesa,
        "battery: contagion tracker": s["observe.contagion"],
        "battery: lemons (NPV runs)": s["observe.lemons"],
        "battery: satisfaction (year 2)": s["observe.satisfaction"],
        "battery: episode outcomes": s["statistics.episodes"],
        "battery: contagion hazard ratios": s["statistics.contagion"],
        "battery: measure's own Python (per-day statistics of run 1, the rest)": total - s["build"] - s["days"]
        - observe - statistics_,
    }
    out = {k: max(v, 0.0) for k, v in out.items()}
    out["total"] = total
    return out


# --------------------------------------------------------------------------- simulations a minute

def prior_draws(n: int, seed: int = 28) -> list[tuple[dict[str, float], int]]:
    """`n` (values, seed) tasks with every calibrated parameter drawn from its prior (log-uniform), the same
    draws in every run: what a calibration's first generation simulates. A battery's cost depends on its
    values (more posts, more word of mouth; more customers, more days of work), from about 0.6 to 3 times
    the market's own."""
    import numpy as np

    from ..inference.abc_smc import log_bounds
    from ..inference.space import PARAMS

    rng = np.random.default_rng([seed, 28])
    bounds = log_bounds(list(PARAMS))
    return [({k: float(10.0 ** rng.uniform(lo, hi)) for k, (lo, hi) in bounds.items()}, 1000 + i) for i in range(n)]


def throughput(consumers: int = CONSUMERS, per_worker: int = 3, workers: int | None = None) -> dict:
    """Battery and plain-run simulations a minute in one process and on a pool of `workers` processes
    (default: one per core; the calibration's own seeded pool), each warm (compiled rules loaded), at the
    market's own values; and batteries a minute on the pool over draws from the prior (`prior_draws`)."""
    import os

    from ..inference.abc_smc import mapper, measure_task
    from ..inference.battery import measure

    battery, plain = batteries(consumers)
    workers = workers or os.cpu_count() or 1
    out = {"consumers": consumers, "workers": workers}
    for key, bat, n in (("battery", battery, per_worker), ("plain", plain, 6 * per_worker)):
        measure(bat, {}, 0)
        times, cpu = [], []
        for seed in range(1, 1 + n):
            started, used = time.perf_counter(), time.process_time()
            measure(bat, {}, seed)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        out[f"{key}_per_minute_1_process"] = 60.0 / statistics.median(times)
        out[f"{key}_cpu_s"] = statistics.median(cpu)  # the processor's time: what other work on the machine moves least
        with mapper(workers) as map_:
            list(map_(functools.partial(measure, bat, {}), range(workers)))  # warm the workers
            started = time.perf_counter()
            list(map_(functools.partial(measure, bat, {}), range(100, 100 + n * workers)))
            out[f"{key}_per_minute"] = n * workers / (time.perf_counter() - started) * 60
    draws = prior_draws(2 * workers * per_worker)
    with mapper(workers) as map_:
        list(map_(functools.partial(measure_task, battery), [({}, s) for s in range(workers)]))  # warm
        started = time.perf_counter()
        list(map_(functools.partial(measure_task, battery), draws))
        out["prior_per_minute"] = len(draws) / (time.perf_counter() - started) * 60
    out["prior_draws"] = len(draws)
    task = functools.partial(measure, battery, {})
    started = time.perf_counter()
    blob = pickle.dumps(task)
    pickle.loads(blob)
    out["task_pickle_bytes"], out["task_pickle_ms"] = len(blob), (time.perf_counter() - started) * 1e3
    return out


def cold_start(consumers: int = CONSUMERS, workers: int = 2) -> dict:
    """A calibration's hand-off in a fresh interpreter: importing what relsim-calibrate imports, starting its
    process pool, and the workers' first batteries (which load the compiled rules) against their next ones."""
    code = f"""
import json, time, functools
t0 = time.perf_counter()
from relsim.experiments.inference.abc_smc import mapper
from relsim.experiments.inference.battery import make_battery, measure
battery = make_battery({consumers})
t1 = time.perf_counter()
with mapper({workers}) as map_:
    t2 = time.perf_counter()
    list(map_(functools.partial(measure, battery, {{}}), range({workers})))
    t3 = time.perf_counter()
    list(map_(functools.partial(measure, battery, {{}}), range(10, 10 + {workers})))
    t4 = time.perf_counter()
t5 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "pool_start_s": t2 - t1, "first_s": t3 - t2, "next_s": t4 - t3,
                  "pool_close_s": t5 - t4}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def floor(consumers: int = CONSUMERS, repeats: int = 3) -> dict:
    """relsim-bench's floor kernel (every state array read and written once a day) over one battery's days, on
    the calibration market's world at the same size: the memory traffic a battery cannot avoid."""
    from ..inference.battery import _model
    from .model import _floor_day

    battery, _ = batteries(consumers)
    days = battery_days(battery)
    model = _model(battery, battery.market, 0, battery.days)
    s = model.world.kernel()[0]
    _floor_day(s, 0.0)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(days):
            _floor_day(s, 0.0)
        best = min(best, time.perf_counter() - started)
    pair_days = consumers * model.world.n_firms * days
    return {"consumers": consumers, "days": days, "battery_s": best, "cfd_per_s": pair_days / best}


def calibration_figures(consumers: int = CONSUMERS, quick: bool = False) -> dict:
    """Everything above, for relsim-bench (run in a fresh process: `python -m ... --json`)."""
    out = {"breakdown": breakdown(consumers, seeds=(1,) if quick else (1, 2, 3)),
           "throughput": throughput(consumers, per_worker=1 if quick else 3),
           "floor": floor(consumers),
           "phases": day_phases(consumers),
           "phases_prior": day_phases(consumers, prior_draws(2 if quick else 6))}
    if not quick:
        out["cold_start"] = cold_start(consumers)
    battery, _ = batteries(consumers)
    out["battery_cfd"] = consumers * battery_days(battery)  # consumer-firm-days in one battery (one firm)
    return out


def format_breakdown(b: dict) -> list[str]:
    """The breakdown as markdown lines: each part in ms a simulation and its share, battery and plain run."""
    bat, plain = b["battery"]["ms"], b["plain"]["ms"]
    lines = [f"| part | battery ms ({b['battery']['days']:,} days) | share | plain run ms ({b['plain']['days']:,} days) "
             "| share |", "|---|---:|---:|---:|---:|"]
    for key in bat:
        if key == "total":
            continue
        lines.append(f"| {key} | {bat[key]:,.1f} | {bat[key] / bat['total']:.1%} | {plain.get(key, 0.0):,.1f} | "
                     f"{plain.get(key, 0.0) / plain['total']:.1%} |")
    lines.append(f"| **total** | **{bat['total']:,.1f}** | | **{plain['total']:,.1f}** | |")
    lines.append(f"\nThe compiled day's dispatch from Python: {b['dispatch_us_per_call']:.1f} µs a call.")
    return lines


def format_phases(own: dict, prior: dict | None = None) -> list[str]:
    """Where a compiled day goes at calibration size, as markdown lines."""
    head = "| phase | µs a day (market's own values) | share |" + (" µs a day (prior draws) | share |" if prior else "")
    lines = [head, "|---|---:|---:|" + ("---:|---:|" if prior else "")]
    for name, us in own["phases_us"].items():
        row = f"| {name} | {us:,.1f} | {us / own['us_per_day']:.0%} |"
        if prior:
            v = prior["phases_us"][name]
            row += f" {v:,.1f} | {v / prior['us_per_day']:.0%} |"
        lines.append(row)
    lines.append(f"| **a day** | **{own['us_per_day']:,.1f}** | |" + (f" **{prior['us_per_day']:,.1f}** | |" if prior else ""))
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = Parser(prog="python -m relsim.experiments.bench.calibration",
                                     description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--consumers", type=int, default=CONSUMERS)
    parser.add_argument("--quick", action="store_true", help="one seed, one battery a worker, no cold start")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line (for relsim-bench)")
    parser.add_argument("--only", choices=("breakdown", "throughput", "phases"), help="one part only")
    args = parser.parse_args(argv)
    result: dict
    if args.only == "phases":
        result = {"phases": day_phases(args.consumers), "phases_prior": day_phases(args.consumers, prior_draws(6))}
    elif args.only == "breakdown":
        result = {"breakdown": breakdown(args.consumers, seeds=(1,) if args.quick else (1, 2, 3))}
    elif args.only == "throughput":
        result = {"throughput": throughput(args.consumers, per_worker=1 if args.quick else 3)}
    else:
        result = calibration_figures(args.consumers, args.quick)
    if args.json:
        print(json.dumps(result))
        return
    _print(result)


def _print(result: dict, say: Callable[[str], None] = print) -> None:
    if "breakdown" in result:
        say("\n".join(format_breakdown(result["breakdown"])))
    if "throughput" in result:
        t = result["throughput"]
        say(f"battery: {t['battery_per_minute']:.0f} a minute on {t['workers']} processes ({t['battery_cpu_s']:.3f} "
            f"CPU s each) "
            f"({t['battery_per_minute_1_process']:.0f} on one); plain run: {t['plain_per_minute']:.0f} "
            f"({t['plain_per_minute_1_process']:.0f} on one); battery over {t['prior_draws']} prior draws: "
            f"{t['prior_per_minute']:.0f} a minute; a task pickles to {t['task_pickle_bytes']:,} bytes")
    if "phases" in result:
        say("\n".join(format_phases(result["phases"], result.get("phases_prior"))))
    if "floor" in result:
        f = result["floor"]
        say(f"floor kernel over a battery's {f['days']:,} days: {f['battery_s'] * 1e3:.1f} ms "
            f"({f['cfd_per_s'] / 1e6:.0f} M consumer-firm-days/s)")
    if "cold_start" in result:
        say("cold start: " + ", ".join(f"{k} {v:.2f}" for k, v in result["cold_start"].items()))


if __name__ == "__main__":
    main()
