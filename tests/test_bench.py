"""relsim-bench's reading of its own figures: the targets it reports as met or missed, the history line,
and the peak memory it attributes to a measurement (never a timed assertion: the figures are made up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from relsim.experiments.bench import model as bench


def _result(engine_over_proto: float, over_floor: float, command_100k_s: float, sweep: float) -> dict:
    proto = 20e6
    presets = [{"preset": p, "consumers": 100_000, "engine_s": 10.0, "engine_cfd_per_s": engine_over_proto * proto,
                "engine_over_floor": over_floor} for p in ("one_way", "reciprocal")]
    rows = [{"kind": "vectorized", "consumers": n, "ns_per_consumer_day": ns, "cfd_per_s": 2e9 / ns, "startup_s": 0.1,
             "peak_rss_bytes": 800 * 2**20} for n, ns in ((1_000, 80.0), (100_000, 90.0), (1_000_000, 100.0))]
    return {"date": "2026-12-02", "machine": "test", "rows": rows, "default_command_s": 12.0,
            "users": {"presets": presets, "prototype": {"cfd_per_s": proto}, "command_100k_s": command_100k_s,
                      "sweep": {"runs": 160, "basic_s": 80.0, "joblib_s": 80.0 / sweep, "ratio": sweep,
                                "machine_alone_s": 10.0, "machine_together_s": 10.5, "machine_ratio": 1.9}}}


def _verdicts(result: dict) -> dict[str, str]:
    """{label: 'met' or 'missed'} from lines '- label: value — verdict'."""
    return {line.rsplit(" — ", 1)[0].rsplit(": ", 1)[0]: line.rsplit(" — ", 1)[1] for line in bench.targets(result)}


def test_targets_say_met_or_missed_by_the_issue_thresholds():
    slow = _verdicts(_result(engine_over_proto=1.1, over_floor=0.16, command_100k_s=15.0, sweep=1.6))
    fast = _verdicts(_result(engine_over_proto=2.1, over_floor=0.55, command_100k_s=11.5, sweep=1.9))
    prototype = "- one_way, 100k consumers, three years: >= 2x the fused prototype"
    floor = "- reciprocal, 100k consumers, three years: >= 0.5 of the floor kernel"
    assert slow[prototype] == "missed" and fast[prototype] == "met"
    assert slow[floor] == "missed" and fast[floor] == "met"
    command = next(k for k in slow if "within 1.2x the engine alone" in k)
    assert slow[command] == "missed" and fast[command] == "met"  # 15 s / 10 s = 1.5x; 11.5 s / 10 s = 1.15x
    sweeps = "- sweeps scale >= 1.8x on 2 cores"
    assert slow[sweeps] == "missed" and fast[sweeps] == "met"
    assert slow["- default `relsim` < 15 s end to end (the aim: < 10 s)"] == "met"
    assert sum(v == "missed" for v in slow.values()) == 6  # 2 presets x 2 ratios, the command, the sweep


def test_history_line_keeps_the_ratios_that_travel_between_machines():
    line = bench.history_line(_result(engine_over_proto=1.1, over_floor=0.16, command_100k_s=15.0, sweep=1.6))
    assert line["one_way_100k_over_prototype"] == 1.1 and line["reciprocal_100k_over_floor"] == 0.16
    assert line["command_100k_over_engine"] == 1.5 and line["sweep_scaling"] == 1.6
    assert line["prototype_M"] == 20.0 and line["machine_scaling"] == 1.9


def test_the_sweep_target_names_what_the_machine_itself_gives_two_processes():
    line = next(x for x in bench.targets(_result(1.1, 0.16, 15.0, 1.6)) if x.startswith("- sweeps scale"))
    assert line == "- sweeps scale >= 1.8x on 2 cores: 1.60x (the machine itself gives two processes 1.90x) — missed"


def test_machine_scaling_times_the_same_simulations_alone_and_in_two_processes():
    m = bench.machine_scaling(consumers=100, runs=1)
    assert m["machine_alone_s"] > 0 and m["machine_together_s"] > 0
    assert m["machine_ratio"] == pytest.approx(2 * m["machine_alone_s"] / m["machine_together_s"])
    # no bound on the ratio itself: it is a timing, and the suite's other worker shares the machine


def test_peak_memory_grows_with_what_this_process_holds():
    before = bench._peak_rss()
    block = np.ones(64 * 2**20 // 8)  # 64 MB, touched
    assert bench._peak_rss() >= before + 48 * 2**20
    del block


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="the high-water mark from /proc is Linux's")
def test_a_child_reports_its_own_peak_memory_not_its_parents():
    """ru_maxrss survives exec: a child started by a large parent would report the parent's peak."""
    block = np.ones(300 * 2**20 // 8)  # the parent now holds 300 MB
    code = "from relsim.experiments.bench.model import _peak_rss; print(_peak_rss())"
    child = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert child < bench._peak_rss() - 200 * 2**20
    del block


# --------------------------------------------------------------------------- simulations a minute at calibration size

def _with_calibration(result: dict, batteries_per_minute: float) -> dict:
    result["users"]["calibration"] = {"throughput": {"battery_per_minute": batteries_per_minute, "prior_per_minute": 50.0,
                                                     "plain_per_minute": 700.0, "battery_cpu_s": 0.4}}
    return result


def test_the_calibration_target_scales_with_the_prototype_measured_in_the_same_run():
    from relsim.experiments.bench.calibration import target

    assert target(30e6) == pytest.approx(333.0) and target(15e6) == pytest.approx(166.5) and target(None) is None
    label = next(k for k in _verdicts(_with_calibration(_result(1.1, 0.16, 15.0, 1.6), 100.0)) if "battery" in k)
    # the prototype of _result runs at 20 M/s: the target is 222 a minute
    assert "(here 222; issue 28)" in label
    assert _verdicts(_with_calibration(_result(1.1, 0.16, 15.0, 1.6), 100.0))[label] == "missed"
    assert _verdicts(_with_calibration(_result(1.1, 0.16, 15.0, 1.6), 230.0))[label] == "met"


def test_history_line_keeps_the_calibration_figures_and_their_ratio_to_the_target():
    line = bench.history_line(_with_calibration(_result(1.1, 0.16, 15.0, 1.6), 111.0))
    assert line["calibration_batteries_per_min"] == 111.0 and line["calibration_plain_per_min"] == 700.0
    assert line["calibration_over_target"] == 0.5  # 111 / (333 x 20 / 30)
    assert line["calibration_battery_cpu_ms"] == 400.0


def test_the_breakdown_of_a_battery_adds_up_and_leaves_the_model_unwrapped():
    from relsim import vectorized
    from relsim.experiments.bench import calibration
    from relsim.model import RelationshipModel

    init, day = RelationshipModel.__init__, vectorized._day
    b = calibration.breakdown(consumers=100, seeds=(1,))
    assert RelationshipModel.__init__ is init and vectorized._day is day and "_advance_time" not in vars(RelationshipModel)
    for key, days in (("battery", 4745), ("plain", 1095)):
        ms = b[key]["ms"]
        assert b[key]["days"] == days
        assert ms["days: compiled"] > 0 and all(v >= 0 for v in ms.values())
        assert sum(v for k, v in ms.items() if k != "total") == pytest.approx(ms["total"], rel=0.02)
    assert b["battery"]["ms"]["battery: contagion tracker"] > 0 and b["plain"]["ms"]["battery: contagion tracker"] == 0


def test_the_phase_profile_times_the_phases_of_the_compiled_day_in_its_order():
    import inspect
    import re

    from relsim import vectorized
    from relsim.experiments.bench import calibration

    called = re.findall(r"^\s+(_\w+)\(", inspect.getsource(vectorized._day.py_func), flags=re.M)
    assert tuple(called) == calibration.PHASES
    timed = re.findall(r"^\s+(_\w+)\(s", inspect.getsource(calibration._timed_days.py_func), flags=re.M)
    assert tuple(timed) == calibration.PHASES
    p = calibration.day_phases(consumers=100, draws=(({}, 1),))
    assert set(p["phases_us"]) == {name[1:] for name in calibration.PHASES}
    assert sum(p["phases_us"].values()) == pytest.approx(p["us_per_day"], rel=0.2)  # the loop itself is the rest


@pytest.mark.parametrize("argv", [
    ["relsim-bench", "--qu"], ["relsim-bench", "--calib"], ["relsim-bench-sweep", "--se", "1"],
    ["-m", "relsim.experiments.bench.app", "--brow"], ["-m", "relsim.experiments.bench.fingerprint", "--qui"],
    ["-m", "relsim.experiments.bench.calibration", "--qui"],
])
def test_the_benchmarks_take_their_options_only_as_spelled(argv: list[str], tmp_path: Path) -> None:
    """An abbreviation (`--qu` for `--quick`) is refused in one line with exit code 2, before anything runs."""
    bindir = Path(sys.executable).parent
    command = [sys.executable, *argv] if argv[0] == "-m" else [str(bindir / argv[0]), *argv[1:]]
    out = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 2 and out.stdout == "", (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "unrecognized arguments" in lines[0] and argv[-1] in lines[0], lines
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "says"), [
    ([], "the following arguments are required: DIR"),
    (["shots", "--only", "sweeep"], "invalid choice: 'sweeep'"),
    (["shots", "--only"], "expected at least one argument"),
    (["shots", "--onl", "report"], "unrecognized arguments: --onl"),
    (["a_file"], "DIR a_file is a file, not a directory"),
])
def test_report_shots_refuse_bad_input_in_one_line(argv: list[str], says: str, tmp_path: Path) -> None:
    """`python -m relsim.experiments.bench.report_shots DIR [--only ...]` (the README's report pictures) refuses a
    bad command line in one line with exit code 2, before it runs anything or opens a browser."""
    (tmp_path / "a_file").write_text("")
    out = subprocess.run([sys.executable, "-m", "relsim.experiments.bench.report_shots", *argv], capture_output=True,
                         text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 2 and out.stdout == "", (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
