"""The README's commands, run as a new user would after its set-up (`bash setup.sh test` installs every part).

Each fenced block marked `<!-- runnable -->` in README.md is run here, one test a block, at a small size:
every `relsim` command gets `market.consumers=300 seeds=2 days=200` (and a designed or learning sweep the
toy sizes of `relsim-findings --quick`) appended, so the last value wins. Placeholders in the README
(`multirun/<date>/<time>`, `outputs/findings/<date-time>`) are the directories the block's earlier
commands made. A command passes when it exits 0 without a traceback. (relsim-findings' block is not marked: a toy run of its
eight experiments is tests/test_findings.py's.) `bash setup.sh PART` lines must name
a part of pyproject.toml (the set-up already installed it).

A second test hides an optional part (a module finder that refuses its modules) and checks that each
command needing it says so in one line, naming `bash setup.sh PART`, before doing anything.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from relsim.experiments.commands.write_findings import QUICK_RUN

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SMALL = ["market.consumers=200", "seeds=2", "days=100", "progress=false"]
#: Extra toy sizes for the sweeps that would otherwise run tens or hundreds of jobs (two to sixteen here).
SWEEP_SIZES = {"+experiment=allocation": QUICK_RUN["allocation"], "+experiment=discovery": QUICK_RUN["discovery"],
               "+experiment=emergence": ["firm_policy.period_days=5", "firm_policy.objective=profit",
                                         "strategies.learner.listening=0.8", "market.rivals=[middle]"],
               "+experiment=sensitivity": ["hydra.sweeper.samples=2"],
               "+experiment=flagship": ["strategies.one_way.mail_rate=40", "strategies.reciprocal.inbound_capacity=1,8"],
               "+experiment=contact_fatigue": ["strategies.hybrid.mail_rate=0,48"],
               "firm_policy=bandit": ["firm_policy.period_days=5"], "firm_policy=hill_climb": ["firm_policy.period_days=5"]}
#: Toy sizes of the other commands (appended).
OTHER_SIZES = {"relsim-audit": SMALL[:3], "relsim-findings": ["--quick", "--no-figures"]}


def runnable_blocks() -> dict[str, tuple[str, list[str]]]:
    """The README's runnable blocks: a name (the heading above it) -> (language, lines)."""
    text = (ROOT / "README.md").read_text()
    blocks, heading = {}, "top"
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("#"):
            heading = line.lstrip("# ").split(":")[0].strip("`").strip()
        if line.strip() == "<!-- runnable -->":
            fence = lines[k + 1]
            assert fence.startswith("```"), f"a runnable mark must sit right above a code block: {fence!r}"
            end = next(j for j in range(k + 2, len(lines)) if lines[j].startswith("```"))
            name = heading if heading not in blocks else f"{heading} ({k})"
            blocks[name] = (fence.strip("`").strip(), lines[k + 2:end])
    return blocks


BLOCKS = runnable_blocks()


def _command(line: str) -> list[str]:
    """A README line as arguments: without its comment, line continuations joined by the caller."""
    code = line.split("  #")[0].split(" # ")[0].strip()
    return shlex.split(code)


def _commands(lines: list[str]) -> list[list[str]]:
    joined, out = "", []
    for line in lines:
        joined += line.rstrip("\\").rstrip() + " " if line.rstrip().endswith("\\") else line
        if not line.rstrip().endswith("\\"):
            if joined.strip():
                out.append(_command(joined))
            joined = ""
    return out


def _sized(args: list[str], made: dict[str, Path]) -> list[str]:
    """A README command at a small size, its placeholders replaced by what earlier commands made."""
    program = Path(args[0]).name
    rest = []
    for arg in args[1:]:
        if arg.startswith("multirun/"):  # a sweep directory the README names by its date
            arg = str(made["sweep"])
        elif arg.startswith("outputs/findings/<"):
            arg = str(made["findings"])
        rest.append(arg)
    if program == "relsim" and not {"--help", "-h", "--version"} & set(rest):
        extra = [*SMALL, *(s for a in rest for s in SWEEP_SIZES.get(a, []))]
        return [str(BIN / program), *rest, *extra]
    if program == "relsim-findings" and "--from" not in rest:
        return [str(BIN / program), *rest, *OTHER_SIZES[program]]
    return [str(BIN / program), *rest, *OTHER_SIZES.get(program, [])]


def _newest(root: Path, pattern: str) -> Path | None:
    found = sorted(root.glob(pattern), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def test_the_readme_marks_its_runnable_blocks():
    assert {"relsim", "A tour", "The mechanism audit", "Research sweeps", "In Python (and Mesa)"} & set(BLOCKS)
    assert len(BLOCKS) >= 7, list(BLOCKS)  # the quick start, the tour, the audit, sweeps, Python, ... (README)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BLOCKS))
def test_every_runnable_readme_block_runs_after_the_set_up(name, tmp_path):
    language, lines = BLOCKS[name]
    if language == "python":
        result = subprocess.run([sys.executable, "-c", "\n".join(lines)], cwd=tmp_path, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        return
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    made: dict[str, Path] = {}
    for args in _commands(lines):
        if args[:2] == ["bash", "setup.sh"]:
            assert set(args[2:]) <= set(extras), args  # the set-up (bash setup.sh test) installed them all
            continue
        assert args[0].startswith(".venv/bin/"), args
        command = _sized(args, made)
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1800,
                                env={**os.environ, "RELSIM_NO_COLOR": "1"})
        shown = " ".join(args)
        assert result.returncode == 0, f"{shown}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, f"{shown}\n{result.stderr[-3000:]}"
        if "-m" in args or any(a.startswith("+experiment=") and a not in ("+experiment=whatif_all",
                                                                           "+experiment=audit") for a in args):
            made["sweep"] = _newest(tmp_path / "multirun", "*/*")
        if Path(args[0]).name == "relsim-findings" and "--from" not in args:
            made["findings"] = _newest(tmp_path / "outputs" / "findings", "*")


# --- a missing optional part: one line, naming what installs it ----------------------------------------------

BLOCKER = '''
import os, sys
class _Hidden:
    hidden = set(os.environ.get("RELSIM_TEST_HIDE", "").split(","))
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.hidden:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, _Hidden())
'''


@pytest.mark.parametrize(("hide", "command", "part"), [
    ("SALib", ["relsim", "+experiment=sensitivity"], "research"),
    ("ema_workbench", ["relsim", "+experiment=discovery"], "research"),
    ("pyabc", ["relsim-calibrate", "--out", "cal"], "calibrate"),
    ("solara", ["relsim-app", "--port", "1"], "app"),
    ("ema_workbench", ["relsim-findings", "--quick"], "research"),
])
def test_a_missing_optional_part_is_one_line_naming_its_set_up(hide, command, part, tmp_path):
    (tmp_path / "hide").mkdir()
    (tmp_path / "hide" / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "RELSIM_TEST_HIDE": hide, "PYTHONPATH": str(tmp_path / "hide")}
    result = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"bash setup.sh {part}" in result.stderr and hide in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hide"]  # nothing written, nothing run


def test_the_parts_named_by_the_commands_are_the_extras_of_pyproject():
    from relsim.experiments.commands.cli import EXTRAS, NEEDS

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras) and set(NEEDS.values()) <= set(EXTRAS)
    readme = (ROOT / "README.md").read_text()
    for part in EXTRAS:
        assert re.search(rf"`bash setup.sh {part}`", readme), part
