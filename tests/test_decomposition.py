"""The decomposition of a gap by lever (relsim-decompose; analysis/decomposition.py, experiments/optimize/decompose.py).

- With additive lever effects the contributions are the effects, the shares add up to 1 and the
  interaction is 0; with an interaction, the interaction row holds exactly what the levers leave.
- On the model: swapping every differing lever turns one arm into the other, so a run of the command
  has a gap, one row per lever and an interaction row per metric; bad input is one line, exit 2, no files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsim.analysis.decomposition import decomposition, swap_arm
from relsim.experiments.commands import decompose as command
from relsim.experiments.optimize.decompose import differing_levers
from relsim.params import Strategy


def _per(effects: dict[str, float], interaction: float = 0.0, seeds: int = 6) -> pd.DataFrame:
    """A per-seed table of A, B and the swap arms where m = base + sum of the levers that are at B's value."""
    rng = np.random.default_rng(0)
    base = rng.normal(100, 5, seeds)
    rows = []

    def add(arm: str, at_b: set[str]) -> None:
        value = base + sum(effects[k] for k in at_b) + (interaction if at_b == set(effects) else 0.0)
        rows.extend({"arm": arm, "seed": s, "npv": v} for s, v in enumerate(value))

    add("A", set())
    add("B", set(effects))
    for lever in effects:
        add(swap_arm("A", lever), {lever})
        add(swap_arm("B", lever), set(effects) - {lever})
    return pd.DataFrame(rows)


def test_additive_effects_are_recovered_and_shares_add_up() -> None:
    effects = {"x": 30.0, "y": -10.0, "z": 5.0}
    table = decomposition(_per(effects), "A", "B", list(effects), ["npv"], {k: (0, 1) for k in effects})
    rows = table.set_index("lever")
    for lever, effect in effects.items():
        assert rows.loc[lever, "contribution"] == pytest.approx(effect)
    assert rows.loc["gap (B - A)", "contribution"] == pytest.approx(25.0)
    assert rows.loc[list(effects), "share"].sum() == pytest.approx(1.0)
    assert rows.loc["interaction (gap - sum)", "contribution"] == pytest.approx(0.0, abs=1e-9)


def test_an_interaction_is_what_the_levers_leave() -> None:
    effects = {"x": 30.0, "y": -10.0}
    table = decomposition(_per(effects, interaction=8.0), "A", "B", list(effects), ["npv"],
                          {k: (0, 1) for k in effects}).set_index("lever")
    # each swap from B's end sees the interaction once, from A's end never: it splits half-half
    assert table.loc["x", "contribution"] == pytest.approx(34.0)
    assert table.loc["gap (B - A)", "contribution"] == pytest.approx(28.0)
    total = table.loc[["x", "y"], "contribution"].sum() + table.loc["interaction (gap - sum)", "contribution"]
    assert total == pytest.approx(28.0)


def test_the_command_splits_the_model_gap_by_lever(tmp_path: Path, capsys) -> None:
    out = tmp_path / "dec"
    args = ["--out", str(out), "--metrics", "npv", "--levers", "mail_rate,inbound_capacity", "seeds=2",
            "days=120", "market.consumers=300"]
    assert command.main(args) == 0
    table = pd.read_csv(out / "decomposition.csv")
    assert list(table["lever"]) == ["gap (B - A)", "mail_rate", "inbound_capacity", "interaction (gap - sum)"]
    assert table["n_seeds"].eq(2).all()
    assert "share of the gap" in capsys.readouterr().out


def test_differing_levers_names_what_differs() -> None:
    a, b = Strategy(), Strategy(support_fee=5.0, listening=0.9)
    assert differing_levers(a, b) == ["support_fee", "listening"]  # in the order of Strategy's fields


@pytest.mark.parametrize(("args", "message"), [
    (["--arms", "one_way"], "expected two different strategy names"),
    (["--arms", "one_way,nobody"], "nobody"),
    (["--metrics", "bogus"], "--metrics='bogus'"),
    (["--levers", "price"], "do not differ in price"),
    (["arms=[middle]"], "relsim-decompose sets the arms itself"),
    (["--doc", "."], "--doc='.': is a folder"),  # not a traceback after the runs
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, capsys, args, message) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        command.main(["--out", str(out), "seeds=2", "days=30", "market.consumers=100", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()
