"""relsim-bench: how fast is the model, against its reference engine and the memory floor, on this machine?

First, what users run, each figure beside a yardstick measured in the same run:

- the one_way, reciprocal and middle presets against the default market's rival, three years, at
  5,000 and 100,000 consumers (the compiled engine alone, best of the repeats), each as a ratio to the
  floor kernel on the same world in the same process, and to the fused prototype of
  ../shared/perfproto (style C, 100,000 consumers, when that folder is found: `--proto DIR`);
- the default `relsim` end to end (2 arms x 10 seeds x 5,000 consumers x 3 years), broken into its
  start-up (importing the command), its simulations (the same runs in a fresh process, in parallel as
  the command runs them) and the rest (composing, writing the tables and the report);
- `relsim arms=[one_way] seeds=1 market.consumers=100000` end to end, against the engine alone;
- a sweep's scaling: relsim-bench-sweep's 160-run grid under Hydra's joblib launcher against the basic
  launcher with one core;
- simulations a minute at calibration size (1,500 consumers): the pattern battery and a plain run, on a pool
  of all cores, beside the prototype (the issue 28 target scales with it) and the floor kernel over a
  battery's days, with where a simulation's time goes (experiments/bench/calibration.py).

Every run appends its figures, with date, machine and commit, to docs/benchmark_history.jsonl
(`--history`), and `--markdown` writes the latest figures and the whole history. Absolute figures
vary between machines (and on one machine from day to day) by 3x or more: compare ratios.

Then the engine's scaling, each simulation in a fresh process (so its peak memory is its own), one core:

- consumer-firm-days per second of the vectorized engine and of the per-agent reference engine
  (sim/reference.py) at the same sizes, and their ratio;
- the vectorized engine at 100k and 1M consumers;
- a "floor" kernel that only reads and writes every per-consumer and per-pair state array of the
  model once a day, and the engine's share of it;
- start-up (population, network, day-0 state), peak RSS and bytes per consumer;
- the cold compile of the compiled rules (an empty numba cache), and the default `relsim` end to end.

The engine is timed as the command's runs use it: without Mesa's DataCollector (`collect=False`; the
recorder keeps the same figures). Figures, never assertions: machines are noisy (each simulation
figure is the best of its repeats).

    relsim-bench                          # everything (about fifteen minutes)
    relsim-bench --quick                  # small sizes only, no command, no cold compile, no history (seconds)
    relsim-bench --calibration            # the prototype and the calibration-size figures only (a few minutes)
    relsim-bench --json out.json --markdown docs/BENCHMARK.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit

from relsim.population import TRAITS

from ..commands.cli import Parser
from ..plumbing.outputs import short_commit

#: The fused prototype that speed targets are stated against (issue 16), when the repository sits beside it.
DEFAULT_PROTO = Path(__file__).resolve().parents[2].parent / "shared" / "perfproto"
FULL = {"vectorized": [(1_000, 365), (10_000, 365), (100_000, 365), (1_000_000, 100)],
        "agents": [(1_000, 60), (10_000, 20)], "floor": [(1_000, 365), (10_000, 365), (100_000, 365), (1_000_000, 100)]}
QUICK = {"vectorized": [(1_000, 60), (10_000, 60)], "agents": [(1_000, 10)], "floor": [(1_000, 60), (10_000, 60)]}


def _peak_rss() -> int:
    """This process's peak resident memory in bytes. On Linux from /proc (VmHWM, which is the program's own:
    ru_maxrss keeps the high-water mark of the process that started it, across exec); elsewhere ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure(kind: str, consumers: int, days: int, repeats: int) -> dict:
    """One measurement in this process: `kind` is vectorized, agents or floor."""
    from relsim.model import RelationshipModel

    RelationshipModel(consumers=50, days=2, consumer_agents=False, rng=0).run()  # load the compiled rules first
    before = _peak_rss()
    best, startup = float("inf"), float("inf")
    for seed in range(repeats):
        started = time.perf_counter()
        model = RelationshipModel(consumers=consumers, days=days, consumer_agents=False, rng=seed,
                                  engine="agents" if kind == "agents" else "vectorized", collect=False)
        built = time.perf_counter()
        startup = min(startup, built - started)
        model.step()  # the first day also loads the compiled rules
        stepped = time.perf_counter()
        if kind == "floor":
            w = model.world
            arrays = [getattr(w.traits if k in TRAITS else w, k) for k in _FLOOR_FIELDS]
            s = w.kernel()[0]
            _floor_day(s, 0.0)
            stepped = time.perf_counter()
            for _ in range(days - 1):
                _floor_day(s, 0.0)
        else:
            model.run()
        best = min(best, time.perf_counter() - stepped)
    n_firms = model.world.n_firms
    pair_days = consumers * n_firms * (days - 1)
    peak = _peak_rss()
    row = {"kind": kind, "consumers": consumers, "days": days, "firms": n_firms, "startup_s": startup,
           "run_s": best, "cfd_per_s": pair_days / best, "ns_per_consumer_day": best / (consumers * (days - 1)) * 1e9,
           "peak_rss_bytes": peak, "bytes_per_consumer": (peak - before) / consumers}  # beyond the loaded program
    if kind == "floor":
        row["bytes_streamed_per_consumer"] = sum(a.nbytes for a in arrays) / consumers
    return row


#: The per-consumer and per-pair arrays of sim/world.py that a day of the model reads or writes.
_FLOOR_FIELDS = ('pos', 'neg', 'intimacy', 'fit', 'pos_today', 'neg_today', 'provider', 'tenure', 'stress', 'load',
                 'open_severity', 'open_days', 'calls', 'cohort', 'shock_draw', 'wom_heard', 'direct_neg',
                 'direct_pos', 'stress_in', 'relief_in', 'exchanges', 'next_problem', 'fade_day', 'private_clock',
                 'public_clock', 'praise_clock', 'churn_clock', 'join_clock', 'left_day', 'churn_propensity',
                 'contact_capacity', 'contact_tolerance', 'price_sensitivity', 'support_seeking', 'voice_propensity',
                 'public_voice', 'problem_proneness', 'patience', 'spin_detection', 'assortment_rank', 'spin_seen')


@njit(cache=True)
def _touch(a, zero) -> None:
    flat = a.reshape(-1)
    for i in range(flat.shape[0]):
        flat[i] = flat[i] + zero


@njit(cache=True)
def _floor_day(s, zero) -> None:
    """The floor: read and write every element of every state array once (a day's memory traffic)."""
    _touch(s.pos, zero)
    _touch(s.neg, zero)
    _touch(s.intimacy, zero)
    _touch(s.fit, zero)
    _touch(s.pos_today, zero)
    _touch(s.neg_today, zero)
    _touch(s.provider, zero)
    _touch(s.tenure, zero)
    _touch(s.stress, zero)
    _touch(s.load, zero)
    _touch(s.open_severity, zero)
    _touch(s.open_days, zero)
    _touch(s.calls, zero)
    _touch(s.cohort, zero)
    _touch(s.shock_draw, zero)
    _touch(s.wom_heard, zero)
    _touch(s.direct_neg, zero)
    _touch(s.direct_pos, zero)
    _touch(s.stress_in, zero)
    _touch(s.relief_in, zero)
    _touch(s.exchanges, zero)
    _touch(s.next_problem, zero)
    _touch(s.fade_day, zero)
    _touch(s.private_clock, zero)
    _touch(s.public_clock, zero)
    _touch(s.praise_clock, zero)
    _touch(s.churn_clock, zero)
    _touch(s.join_clock, zero)
    _touch(s.left_day, zero)
    _touch(s.churn_propensity, zero)
    _touch(s.contact_capacity, zero)
    _touch(s.contact_tolerance, zero)
    _touch(s.price_sensitivity, zero)
    _touch(s.support_seeking, zero)
    _touch(s.voice_propensity, zero)
    _touch(s.public_voice, zero)
    _touch(s.problem_proneness, zero)
    _touch(s.patience, zero)
    _touch(s.spin_detection, zero)
    _touch(s.assortment_rank, zero)
    _touch(s.spin_seen, zero)


PRESETS = ("one_way", "reciprocal", "middle")


def measure_preset(preset: str, consumers: int, days: int, repeats: int) -> dict:
    """A preset against the default market's rival, as `relsim` runs it (the compiled engine alone, best of
    `repeats` seeds), and the floor kernel on the same world in the same process."""
    from ..plumbing.config import load
    from relsim.model import RelationshipModel

    spec = load([f"market.consumers={consumers}", f"days={days}", "progress=false"])
    strategy, market = spec.strategies[preset], spec.market
    RelationshipModel(consumers=50, days=2, consumer_agents=False, rng=0).run()  # load the compiled rules first
    engine, floor = float("inf"), float("inf")
    for seed in range(repeats):
        model = RelationshipModel(strategy, market, rivals=spec.rivals(market), days=days, consumer_agents=False,
                                  rng=seed, collect=False)  # as the command's runs
        started = time.perf_counter()
        model.run()
        engine = min(engine, time.perf_counter() - started)
        s = model.world.kernel()[0]
        _floor_day(s, 0.0)
        started = time.perf_counter()
        for _ in range(days):
            _floor_day(s, 0.0)
        floor = min(floor, time.perf_counter() - started)
    pair_days = consumers * model.world.n_firms * days
    return {"preset": preset, "consumers": consumers, "days": days, "firms": model.world.n_firms, "engine_s": engine,
            "engine_cfd_per_s": pair_days / engine, "floor_s": floor, "floor_cfd_per_s": pair_days / floor,
            "engine_over_floor": floor / engine}


def prototype(proto: Path, consumers: int = 100_000, days: int = 365) -> dict | None:
    """The fused prototype (style C) of ../shared/perfproto in a fresh process; None when it cannot run."""
    script = proto / "run_one.py"
    if not script.is_file():
        return None
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        best = None
        for _ in range(2):  # the first run compiles (timed apart by the prototype itself)
            out = subprocess.run([sys.executable, str(script), "C", str(consumers), str(days), "1"], cwd=proto,
                                 capture_output=True, text=True, env=env)
            line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
            if out.returncode or line is None:
                return None
            rate = json.loads(line[len("RESULT "):])["pair_days_per_s"]
            best = rate if best is None else max(best, rate)
    return {"consumers": consumers, "days": days, "cfd_per_s": best}


def command_breakdown() -> dict[str, float]:
    """The default `relsim` end to end, its start-up (importing the command) and its simulations alone."""
    total = command_time()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import relsim.experiments.commands.compare"], check=True,
                   capture_output=True)
    startup = time.perf_counter() - started
    code = ("import time; from relsim.experiments.plumbing.config import load; "
            "from relsim.experiments.plumbing.runner import run_all; "
            "spec = load(['progress=false']); t = time.perf_counter(); run_all(spec); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    simulate = float(out.stdout.strip().splitlines()[-1])
    return {"total_s": total, "startup_s": startup, "simulate_s": simulate,
            "rest_s": max(total - startup - simulate, 0.0)}


def users(proto: Path | None, sizes: tuple[int, ...], repeats: int, command: bool, calibration: bool = True) -> dict:
    """What users run: the presets (engine and floor), the prototype, simulations a minute at calibration size,
    and the default command."""
    out = {"presets": []}
    for consumers in sizes:
        for preset in PRESETS:
            row = child("preset", consumers, 1095, repeats, preset)
            out["presets"].append(row)
            print(f"  {preset:>10} {consumers:>8,} consumers x 1,095 days: {row['engine_cfd_per_s'] / 1e6:6.2f} M/s, "
                  f"floor {row['floor_cfd_per_s'] / 1e6:6.1f} M/s, engine / floor {row['engine_over_floor']:.3f}",
                  flush=True)
    if proto is not None:
        out["prototype"] = prototype(proto)
        if out["prototype"]:
            print(f"  fused prototype (style C) 100,000 consumers: {out['prototype']['cfd_per_s'] / 1e6:.2f} M/s",
                  flush=True)
    if calibration:
        out["calibration"] = calibration_child()
        c = out["calibration"]["throughput"]
        print(f"  calibration size: {c['battery_per_minute']:.0f} battery simulations a minute, "
              f"{c['plain_per_minute']:.0f} plain runs ({c['workers']} processes; "
              f"{c['prior_per_minute']:.0f} batteries over prior draws)", flush=True)
    if command:
        out["command"] = command_breakdown()
        print(f"  default relsim: {out['command']['total_s']:.1f} s (start-up {out['command']['startup_s']:.1f} s, "
              f"simulations {out['command']['simulate_s']:.1f} s, the rest {out['command']['rest_s']:.1f} s)",
              flush=True)
        if 100_000 in sizes:
            out["command_100k_s"] = command_time(LARGE_COMMAND)
            print(f"  relsim {' '.join(LARGE_COMMAND)}: {out['command_100k_s']:.1f} s", flush=True)
        out["sweep"] = sweep_scaling()
        print(f"  sweep: {out['sweep']['ratio']:.2f}x the runs a minute with Hydra's joblib launcher as one job at a "
              f"time on one core (the machine itself: {out['sweep']['machine_ratio']:.2f}x for two processes)",
              flush=True)
    return out


#: The command users run at the engine's benchmark size (issue 16: within 1.2x of the engine alone).
LARGE_COMMAND = ("arms=[one_way]", "seeds=1", "market.consumers=100000")


def sweep_scaling() -> dict:
    """Runs a minute of relsim-bench-sweep's grid under Hydra's joblib launcher (jobs in parallel, one core each)
    against the basic launcher with one core (jobs one after the other), measured now."""
    from .sweep import LAUNCHERS, default_grid, sweep_time

    grid, runs, seeds = default_grid(seeds=20)  # the flagship grid's corners, 160 runs (README, Sweeps)
    basic = sweep_time(LAUNCHERS["basic"], grid, seeds, 1095, 5000)
    joblib = sweep_time(LAUNCHERS["joblib"], grid, seeds, 1095, 5000)
    return {"runs": runs, "basic_s": basic, "joblib_s": joblib, "ratio": basic / joblib, **machine_scaling()}


def machine_scaling(consumers: int = 5000, runs: int = 6) -> dict:
    """The sweep's yardstick: what this machine gives two processes. The same `runs` simulations (the default
    market, three years) in one process alone, then in two processes at once; the ratio is 2 x alone / together
    (2.0 on two idle, independent cores; less when the two share caches, memory bandwidth or a physical core)."""
    code = ("import time; from relsim.model import RelationshipModel; "
            "RelationshipModel(consumers=50, days=2, consumer_agents=False, rng=0).run(); t = time.perf_counter(); "
            f"[RelationshipModel(consumers={consumers}, consumer_agents=False, rng=s, collect=False).run() "
            f"for s in range({runs})]; print(time.perf_counter() - t)")

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)

    alone = float(start().communicate()[0].strip().splitlines()[-1])
    pair = [start(), start()]
    together = max(float(p.communicate()[0].strip().splitlines()[-1]) for p in pair)
    return {"machine_alone_s": alone, "machine_together_s": together, "machine_ratio": 2 * alone / together}


def calibration_child(quick: bool = False) -> dict:
    """Simulations a minute at calibration size, and where a simulation's time goes (experiments/bench/calibration.py),
    in a fresh interpreter, so that its process pool forks from a process that has run nothing else."""
    out = subprocess.run([sys.executable, "-m", "relsim.experiments.bench.calibration", "--json",
                          *(["--quick"] if quick else [])], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def users_table(result: dict) -> list[str]:
    """The 'what users run' figures as markdown lines."""
    u = result.get("users") or {}
    proto = (u.get("prototype") or {}).get("cfd_per_s")
    lines = ["| preset | consumers | engine M/s | floor M/s | engine / floor | engine / prototype |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in u.get("presets", []):
        vs = f"{r['engine_cfd_per_s'] / proto:.2f}" if proto and r["consumers"] == 100_000 else "—"
        lines.append(f"| {r['preset']} | {r['consumers']:,} | {r['engine_cfd_per_s'] / 1e6:.2f} | "
                     f"{r['floor_cfd_per_s'] / 1e6:.1f} | {r['engine_over_floor']:.3f} | {vs} |")
    if proto:
        lines.append(f"\nThe fused prototype (../shared/perfproto, style C, 100,000 consumers, 365 days) ran at "
                     f"{proto / 1e6:.2f} M/s in the same run.")
    if "calibration" in u:
        lines += calibration_lines(u["calibration"], proto)
    if "command" in u:
        c = u["command"]
        lines.append(f"\nThe default `relsim` end to end: {c['total_s']:.1f} s = start-up {c['startup_s']:.1f} s + "
                     f"simulations {c['simulate_s']:.1f} s (2 processes) + the rest {c['rest_s']:.1f} s (composing, "
                     "writing the tables and the report).")
    engine = _engine_s(u, "one_way", 100_000)
    if "command_100k_s" in u and engine:
        lines.append(f"\n`relsim {' '.join(LARGE_COMMAND)}` end to end: {u['command_100k_s']:.1f} s, "
                     f"{u['command_100k_s'] / engine:.2f}x the engine alone on the same run ({engine:.1f} s).")
    if "sweep" in u:
        w = u["sweep"]
        lines.append(f"\nA sweep ({w['runs']} runs of relsim-bench-sweep's grid): {w['basic_s']:.1f} s one job at a "
                     f"time on one core, {w['joblib_s']:.1f} s under Hydra's joblib launcher: {w['ratio']:.2f}x.")
        if "machine_ratio" in w:
            lines.append(f"The machine itself gave two processes {w['machine_ratio']:.2f}x in the same run (the same "
                         f"simulations in two processes at once, {w['machine_together_s']:.1f} s, against one alone, "
                         f"{w['machine_alone_s']:.1f} s): the most a sweep could scale here.")
    return lines


def calibration_lines(c: dict, proto: float | None) -> list[str]:
    """Simulations a minute at calibration size, beside the prototype and the floor, and the breakdown."""
    from .calibration import format_breakdown, format_phases, target

    t, f = c["throughput"], c["floor"]
    goal = target(proto)
    lines = [f"\nSimulations a minute at calibration size ({t['consumers']:,} consumers, {t['workers']} processes, "
             f"warm): the pattern battery {t['battery_per_minute']:.0f} ({t['battery_per_minute_1_process']:.0f} on one "
             f"process), the battery over {t['prior_draws']} draws from the prior {t['prior_per_minute']:.0f}, a plain "
             f"run (the retention curve, {c['breakdown']['plain']['days']:,} days) {t['plain_per_minute']:.0f} "
             f"({t['plain_per_minute_1_process']:.0f} on one). In processor time (which other work on the machine "
             f"moves least): {t['battery_cpu_s'] * 1e3:.0f} ms a battery, {t['plain_cpu_s'] * 1e3:.0f} ms a plain "
             "run."]
    if goal:
        lines.append(f"The target scaled by the prototype measured in the same run (333 x {proto / 1e6:.2f} / 30): "
                     f"{goal:.0f} batteries a minute; measured {t['battery_per_minute'] / goal:.2f} of it.")
    battery_s = 60.0 / t["battery_per_minute_1_process"]
    lines.append(f"The floor kernel over a battery's {f['days']:,} days at the same size: {f['battery_s'] * 1e3:.0f} ms "
                 f"({f['cfd_per_s'] / 1e6:.0f} M consumer-firm-days/s), {f['battery_s'] / battery_s:.3f} of a battery "
                 "in one process.")
    if "cold_start" in c:
        s = c["cold_start"]
        lines.append(f"Hand-off: importing the calibration {s['import_s']:.1f} s, starting its pool "
                     f"{s['pool_start_s']:.2f} s, a fresh worker's first battery {s['first_s']:.2f} s against "
                     f"{s['next_s']:.2f} s for its next (loading the compiled rules); a task pickles to "
                     f"{t['task_pickle_bytes']:,} bytes ({t['task_pickle_ms']:.2f} ms there and back).")
    lines += ["", "Where a calibration-size simulation's time goes (one process, the market's own values; median of "
              "seeds; ms a simulation):", "", *format_breakdown(c["breakdown"])]
    if "phases" in c:
        lines += ["", f"Where a compiled day goes at {t['consumers']:,} consumers (the battery's market over three years, "
                  "each phase timed by the processor's cycle counter inside one compiled loop):", "",
                  *format_phases(c["phases"], c.get("phases_prior"))]
    return lines


def _engine_s(users_: dict, preset: str, consumers: int) -> float | None:
    """Seconds of the engine alone for `preset` at `consumers` (three years), if measured."""
    row = next((r for r in users_.get("presets", []) if r["preset"] == preset and r["consumers"] == consumers), None)
    return row["engine_s"] if row else None


def history_line(result: dict) -> dict:
    """One line of the history: date, machine, commit and the ratios that travel between machines."""
    u = result.get("users") or {}
    proto = (u.get("prototype") or {}).get("cfd_per_s")
    line = {"date": result["date"], "machine": result["machine"], "commit": short_commit()}
    for r in u.get("presets", []):
        key = f"{r['preset']}_{r['consumers'] // 1000}k"
        line[f"{key}_M"] = round(r["engine_cfd_per_s"] / 1e6, 2)
        line[f"{key}_over_floor"] = round(r["engine_over_floor"], 3)
        if proto and r["consumers"] == 100_000:
            line[f"{key}_over_prototype"] = round(r["engine_cfd_per_s"] / proto, 2)
    if proto:
        line["prototype_M"] = round(proto / 1e6, 2)
    if "calibration" in u:
        from .calibration import target

        c = u["calibration"]["throughput"]
        line["calibration_batteries_per_min"] = round(c["battery_per_minute"], 1)
        line["calibration_prior_batteries_per_min"] = round(c["prior_per_minute"], 1)
        line["calibration_plain_per_min"] = round(c["plain_per_minute"], 1)
        if "battery_cpu_s" in c:
            line["calibration_battery_cpu_ms"] = round(c["battery_cpu_s"] * 1e3, 1)
        if proto:
            line["calibration_over_target"] = round(c["battery_per_minute"] / target(proto), 2)
    if "command" in u:
        line.update({f"command_{k}": round(v, 2) for k, v in u["command"].items()})
    engine = _engine_s(u, "one_way", 100_000)
    if "command_100k_s" in u and engine:
        line["command_100k_over_engine"] = round(u["command_100k_s"] / engine, 2)
    if "sweep" in u:
        line["sweep_scaling"] = round(u["sweep"]["ratio"], 2)
        if "machine_ratio" in u["sweep"]:
            line["machine_scaling"] = round(u["sweep"]["machine_ratio"], 2)
    return line


def history_table(path: Path) -> list[str]:
    """The history file as a markdown table (newest last)."""
    if not path.is_file():
        return []
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    cols = ["one_way_100k_over_floor", "reciprocal_100k_over_floor", "one_way_100k_over_prototype",
            "reciprocal_100k_over_prototype", "one_way_100k_M", "prototype_M", "command_total_s",
            "command_100k_over_engine", "sweep_scaling", "calibration_batteries_per_min", "calibration_plain_per_min",
            "calibration_over_target"]
    lines = ["| date | commit | machine | " + " | ".join(cols) + " |", "|---|---|---|" + "---:|" * len(cols)]
    for r in rows:
        lines.append(f"| {r['date']} | {r.get('commit', '')} | {r['machine']} | "
                     + " | ".join(str(r.get(c, "—")) for c in cols) + " |")
    return lines


BEGIN, END = "<!-- relsim-bench: begin (generated) -->", "<!-- relsim-bench: end -->"


def write_section(path: Path, section: str) -> None:
    """Put `section` between the BEGIN and END markers of `path` (at its top if it has none), keeping the rest."""
    text = path.read_text() if path.is_file() else ""
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = block + ("\n\n" + text if text else "\n")
    path.write_text(text)


def phase_profile(consumers: int, days: int) -> dict[str, float]:
    """Median microseconds a day per phase of the schedule, each phase called on its own (plus ~10 µs of call)."""
    from relsim import (assortment, churn, contacts, economics, fees, intimacy, listening, stress, support, trust,
                        voice, word_of_mouth)
    from relsim.model import RelationshipModel
    from relsim.world import begin_day

    model = RelationshipModel(consumers=consumers, days=days + 10, consumer_agents=False, rng=0)
    for _ in range(10):
        model.step()
    w = model.world
    phases = {"1 begin_day": begin_day, "2 contact": contacts.contact, "3 request_data": contacts.request_data,
              "4 use": support.use, "5 experience_problems": support.experience_problems,
              "6 seek_support": support.seek_support, "7 progress_problems": support.progress_problems,
              "8 nuisance_fees": fees.charge_nuisance_fees, "9 cut_assortment": assortment.cut_assortment,
              "10 voice": voice.voice, "11 word_of_mouth": word_of_mouth.word_of_mouth, "12 listen": listening.listen,
              "13 trust update": trust.update, "13 intimacy update": intimacy.update, "13 stress update": stress.update,
              "14 churn": churn.churn, "15 acquire": churn.acquire, "16 account": economics.account,
              "17 record": model.recorder.record}
    times: dict[str, list[float]] = {name: [] for name in phases}
    for _ in range(days):
        for name, phase in phases.items():
            started = time.perf_counter()
            phase(w)
            times[name].append(time.perf_counter() - started)
    return {name: float(np.median(t)) * 1e6 for name, t in times.items()}


def child(kind: str, consumers: int, days: int, repeats: int, preset: str = "") -> dict:
    """Run `measure` (or `measure_preset`) in a fresh interpreter and return its row."""
    out = subprocess.run([sys.executable, "-m", "relsim.experiments.bench.model", "--child", kind, str(consumers),
                          str(days), str(repeats), preset], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_compile() -> float:
    """Seconds for a first simulation day with an empty numba cache (compiling every rule)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        code = ("import time; t = time.perf_counter(); from relsim.model import RelationshipModel; "
                "RelationshipModel(consumers=200, days=2, consumer_agents=False, rng=0).run(); "
                "print(time.perf_counter() - t)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        return float(out.stdout.strip().splitlines()[-1])


def command_time(overrides: tuple[str, ...] = ()) -> float:
    """Wall time of `relsim` with `overrides` (none: the default, 2 arms x 10 seeds x 5,000 consumers x 1,095 days)."""
    script = Path(sys.executable).with_name("relsim")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run([str(script), *overrides, f"hydra.run.dir={tmp}/out", "progress=false"], check=True,
                       capture_output=True, cwd=tmp)
        return time.perf_counter() - started


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpu = model or platform.processor()
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(result: dict) -> list[str]:
    """The benchmark as markdown lines."""
    rows = result["rows"]
    by = {(r["kind"], r["consumers"]): r for r in rows}
    lines = ["| engine | consumers | days | start-up s | M consumer-firm-days/s | ns per consumer-day | peak RSS MB "
             "| bytes per consumer |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['consumers']:,} | {r['days']} | {r['startup_s']:.3f} | "
                     f"{r['cfd_per_s'] / 1e6:,.2f} | {r['ns_per_consumer_day']:,.1f} | "
                     f"{r['peak_rss_bytes'] / 2**20:,.0f} | {r['bytes_per_consumer']:,.0f} |")
    lines.append("")
    for n in sorted({r["consumers"] for r in rows}):
        vec, ref, floor = by.get(("vectorized", n)), by.get(("agents", n)), by.get(("floor", n))
        parts = []
        if vec and ref:
            parts.append(f"vectorized / reference = {vec['cfd_per_s'] / ref['cfd_per_s']:,.0f}x")
        if vec and floor:
            parts.append(f"engine / floor = {vec['cfd_per_s'] / floor['cfd_per_s']:.3f} "
                         f"(floor streams {floor['bytes_streamed_per_consumer']:,.0f} bytes per consumer a day)")
        if parts:
            lines.append(f"- {n:,} consumers: " + "; ".join(parts))
    for key, label in (("cold_compile_s", "cold compile of the rules (empty numba cache)"),
                       ("default_command_s", "default `relsim` (2 arms x 10 seeds x 5,000 consumers x 1,095 days)")):
        if key in result:
            lines.append(f"- {label}: {result[key]:.1f} s")
    lines += ["", "Targets (issue #16; the first of issue #5 is replaced by the ratios):", ""] + (
        targets(result) or ["- not measured in --quick mode"])
    if "profile_100k_us_per_day" in result:
        profile = result["profile_100k_us_per_day"]
        total = sum(profile.values())
        lines += ["", "Where a day goes at 100,000 consumers (each phase called on its own; median µs a day):", "",
                  "| phase | µs a day | share |", "|---|---:|---:|"]
        lines += [f"| {name} | {us:,.0f} | {us / total:.0%} |" for name, us in profile.items()]
    return lines


def targets(result: dict) -> list[str]:
    """Each speed target (issue #16, and issue #5's that still stand) with the measured figure, met or missed."""
    by = {(r["kind"], r["consumers"]): r for r in result["rows"]}
    u = result.get("users") or {}
    proto = (u.get("prototype") or {}).get("cfd_per_s")
    out = []

    def check(label: str, value, ok: bool, unit: str = "") -> None:
        out.append(f"- {label}: {value}{unit} — {'met' if ok else 'missed'}")

    for r in u.get("presets", []):
        if r["consumers"] == 100_000 and r["preset"] in ("one_way", "reciprocal"):
            if proto:
                ratio = r["engine_cfd_per_s"] / proto
                check(f"{r['preset']}, 100k consumers, three years: >= 2x the fused prototype", f"{ratio:.2f}x",
                      ratio >= 2)
            check(f"{r['preset']}, 100k consumers, three years: >= 0.5 of the floor kernel",
                  f"{r['engine_over_floor']:.3f}", r["engine_over_floor"] >= 0.5)
    if "calibration" in u and proto:
        from .calibration import target

        rate, goal = u["calibration"]["throughput"]["battery_per_minute"], target(proto)
        check(f"battery simulations a minute at 1,500 consumers on 2 cores >= 333 x prototype / 30 M "
              f"(here {goal:.0f}; issue 28)", f"{rate:.0f}", rate >= goal)
    engine = _engine_s(u, "one_way", 100_000)
    if "command_100k_s" in u and engine:
        ratio = u["command_100k_s"] / engine
        check(f"`relsim {' '.join(LARGE_COMMAND)}` within 1.2x the engine alone", f"{ratio:.2f}x", ratio <= 1.2)
    if "default_command_s" in result:
        took = result["default_command_s"]
        check("default `relsim` < 15 s end to end (the aim: < 10 s)", f"{took:.1f} s", took < 15)
    if "sweep" in u:
        w = u["sweep"]
        yardstick = (f" (the machine itself gives two processes {w['machine_ratio']:.2f}x)" if "machine_ratio" in w
                     else "")
        check("sweeps scale >= 1.8x on 2 cores", f"{w['ratio']:.2f}x{yardstick}", w["ratio"] >= 1.8)
    costs = [r["ns_per_consumer_day"] for r in result["rows"] if r["kind"] == "vectorized"]
    if len(costs) > 2:
        spread = max(costs) / min(costs)
        check("cost per consumer-day flat within 1.5x from 1k to 1M (max / min)", f"{spread:.2f}x", spread <= 1.5)
    if ("vectorized", 1_000_000) in by:
        rss = by["vectorized", 1_000_000]["peak_rss_bytes"]
        check("1M consumers, 2 firms, degree-10 network in < 1 GB RSS", f"{rss / 2**20:,.0f} MB", rss < 1e9)
    if ("vectorized", 100_000) in by:
        start = by["vectorized", 100_000]["startup_s"]
        check("start-up < 2 s at 100k (issue #5)", f"{start:.2f} s", start < 2)
    if ("vectorized", 10_000) in by and ("agents", 10_000) in by:
        ratio = by["vectorized", 10_000]["cfd_per_s"] / by["agents", 10_000]["cfd_per_s"]
        check(">= 200x the per-agent reference at 10k (issue #5)", f"{ratio:,.0f}x", ratio >= 200)
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    parser = Parser(prog="relsim-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only; no command, no cold compile")
    parser.add_argument("--skip-command", action="store_true", help="do not time the default relsim command")
    parser.add_argument("--calibration", action="store_true",
                        help="only the prototype and the calibration-size figures (simulations a minute and their "
                             "breakdown); appends to the history, writes no markdown")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--markdown", type=Path, help="also write the table as a markdown section to this file")
    parser.add_argument("--proto", type=Path, default=DEFAULT_PROTO,
                        help="the fused prototype's folder (default ../shared/perfproto next to the repository)")
    parser.add_argument("--history", type=Path, default=Path("docs") / "benchmark_history.jsonl",
                        help="append this run's figures to this file (JSON lines); '' for none")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)  # kind consumers days repeats preset
    args = parser.parse_args(argv)
    if str(args.history) in ("", "."):  # --history '': no history
        args.history = None
    if args.child:
        kind, consumers, days, repeats, preset = args.child
        row = (phase_profile(int(consumers), int(days)) if kind == "profile" else
               measure_preset(preset, int(consumers), int(days), int(repeats)) if kind == "preset" else
               measure(kind, int(consumers), int(days), int(repeats)))
        print(json.dumps(row))
        return

    plan = QUICK if args.quick else FULL
    result = {"date": time.strftime("%Y-%m-%d"), "machine": _machine(), "quick": args.quick, "rows": []}
    print(f"relsim-bench on {result['machine']}, {result['date']}", flush=True)
    if args.calibration:
        result["users"] = users(args.proto, (), 1, command=False, calibration=True)
        proto = (result["users"].get("prototype") or {}).get("cfd_per_s")
        lines = ["### Calibration size", "", *calibration_lines(result["users"]["calibration"], proto), "",
                 *targets(result)]
        print("\n".join(lines))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        if args.history and str(args.history):
            with args.history.open("a") as fh:
                fh.write(json.dumps(history_line(result)) + "\n")
        return
    print("What users run:", flush=True)
    result["users"] = users(None if args.quick else args.proto, (1_000,) if args.quick else (5_000, 100_000),
                            1 if args.quick else 2, command=not (args.quick or args.skip_command),
                            calibration=not args.quick)
    print("The engine's scaling:", flush=True)
    for kind in ("vectorized", "agents", "floor"):
        for consumers, days in plan[kind]:
            row = child(kind, consumers, days, repeats=1 if consumers >= 1_000_000 or kind == "agents" else 3)
            result["rows"].append(row)
            print(f"  {kind:>10} {consumers:>10,} consumers x {days:>4} days: {row['cfd_per_s'] / 1e6:10.2f} M "
                  f"consumer-firm-days/s, start-up {row['startup_s']:.3f} s, peak RSS "
                  f"{row['peak_rss_bytes'] / 2**20:,.0f} MB", flush=True)
    if not args.quick:
        result["profile_100k_us_per_day"] = child("profile", 100_000, 60, 1)
        result["cold_compile_s"] = cold_compile()
        if not args.skip_command:
            result["default_command_s"] = command_time()
    lines = ["### What users run", "", *users_table(result), "", "### The engine's scaling", "", *table(result)]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.history and str(args.history) and not args.quick:
        with args.history.open("a") as fh:
            fh.write(json.dumps(history_line(result)) + "\n")
    if args.markdown:
        history = history_table(args.history) if args.history and str(args.history) else []
        section = (f"## Benchmark ({result['date']}, {result['machine']})\n\n" + "\n".join(lines)
                   + ("\n\n## History (docs/benchmark_history.jsonl)\n\n" + "\n".join(history) if history else ""))
        write_section(args.markdown, section)


if __name__ == "__main__":
    main()
