"""A strategy preset from a best response: configs/strategy/NAME.yaml, the best levers as a diff on the defaults.

`relsim-optimize --write-preset NAME` writes it, so that `relsim +strategy@strategies.NAME=NAME arms=[NAME,...]`
compares the best firm with any other on fresh seeds (the presets configs/config.yaml lists need no `+...`); it
refuses to overwrite a preset it did not write (`PRESET_MARK`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from relsim.params import Strategy

from ..inference.preset import check_preset_name
from ..plumbing.config import CONFIG_DIR

__all__ = ["PRESET_MARK", "preset_path", "preset_text"]

PRESET_MARK = "# the best response found by relsim-optimize"


def preset_path(name: str) -> Path:
    """configs/strategy/NAME.yaml, once the name is checked (and the file, if any, is one relsim-optimize wrote)."""
    return check_preset_name(name, CONFIG_DIR / "strategy", PRESET_MARK, "relsim-optimize")


def preset_text(name: str, strategy: Strategy, described: dict, fresh: dict, out_dir: Path, command: str = "",
                trials: int = 0) -> str:
    """The preset: a header saying where it came from (and `command`, the one that found it), then every field
    that differs from the Strategy defaults."""
    default = Strategy()
    objectives = ", ".join(f"{k} {v['mean']:,.6g} [{v['ci_low']:,.6g}, {v['ci_high']:,.6g}]" for k, v in fresh.items())
    space = described["space"]
    lines = [f"{PRESET_MARK} on {dt.date.today().isoformat()}.",
             f"# {name}: class {space['kind']}"
             + (f", budget {space['budget']:g} a customer-year" if space["budget"] else "")
             + f"; objectives {', '.join(described['objectives'])}; {described['days']} days; study seeds "
             f"{described['seeds'][0]}-{described['seeds'][-1]}.",
             f"# On fresh seeds (mean [95% CI]): {objectives}.",
             f"# The study and its report: {out_dir.name}/ (best.json, trials.csv, report.html).",
             *([f"# Found by: {command}"] if command else []),
             *([f"# Trials: {trials}"] if trials else []),
             "# Only what differs from the Strategy defaults (sim/params.py; docs/PARAMETERS.md) is stated here.",
             "defaults:", "  - _typed_defaults  # every Strategy field at its default", "  - _self_", ""]
    for f in dataclasses.fields(Strategy):
        value = getattr(strategy, f.name)
        if value != getattr(default, f.name):
            lines.append(f"{f.name}: {value!r}")  # exactly the value the study chose (a budget's shares add to 1)
    return "\n".join(lines) + "\n"
