"""The decomposition experiment: each lever that differs between two arms swapped, in both directions, on
common random numbers (analysis/decomposition.py has the maths and the table).

For arms A and B it runs A, B, and for every lever i that differs between them A with B's value of i and B
with A's, each on the same seeds, through the `relsim` command's own runner, then reads each run's summary
metrics (analysis/summary.py) and decomposes each metric's gap B - A by lever. An arm stated as a budget is
decomposed by the levers its budget buys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from relsim.params import ConfigError, Strategy

from ..plumbing.config import RunSpec

__all__ = ["differing_levers", "decompose"]


def differing_levers(a: Strategy, b: Strategy) -> list[str]:
    """The Strategy fields whose values differ between a and b, in the class's order."""
    return [f.name for f in dataclasses.fields(Strategy) if getattr(a, f.name) != getattr(b, f.name)]


def decompose(spec: RunSpec, a: str, b: str, metrics: Sequence[str], levers: Sequence[str] = (),
              on_done=None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Run the swaps of arms a and b on spec's seeds; return (the decomposition table, the runs' tables)."""
    from relsim.analysis.decomposition import decomposition, swap_arm
    from relsim.analysis.load import RunData
    from relsim.analysis.summary import per_seed_metrics

    from ..plumbing.runner import run_all

    from relsim import budget

    # A budgeted arm is decomposed by the levers its budget buys (sim/budget.py): its split is not a lever a
    # customer meets, and a share swapped alone would leave a split that does not add up.
    unbudgeted = {k: getattr(Strategy(), k) for k in ("budget", "outbound_share", "access_share", "listening_share")}
    sa, sb = (dataclasses.replace(budget.levers(spec.strategies[x], spec.market.channels), **unbudgeted)
              for x in (a, b))
    levers = list(levers) or differing_levers(sa, sb)
    same = [name for name in levers if getattr(sa, name) == getattr(sb, name)]
    if not levers or same:
        raise ConfigError(f"--levers: {a} and {b} do not differ in {same[0] if same else 'any lever'}; "
                          f"they differ in: {', '.join(differing_levers(sa, sb)) or 'nothing'}")
    strategies = {**spec.strategies, a: sa, b: sb}
    for name in levers:
        strategies[swap_arm(a, name)] = dataclasses.replace(sa, **{name: getattr(sb, name)})
        strategies[swap_arm(b, name)] = dataclasses.replace(sb, **{name: getattr(sa, name)})
    arms = (a, b, *(swap_arm(x, name) for name in levers for x in (a, b)))
    run = dataclasses.replace(spec, strategies=strategies, arms=arms, cells={})
    tables = run_all(run, on_done)
    per = per_seed_metrics(RunData(tables["runs"], tables["retention"], tables["evidence"], {"arms": list(arms)}))
    missing = [m for m in metrics if m not in per]
    if missing:
        raise ConfigError(f"--metrics: {missing[0]} is not measured in these runs (e.g. a retention horizon beyond "
                          f"days={spec.days})")
    values = {name: (getattr(sa, name), getattr(sb, name)) for name in levers}
    return decomposition(per, a, b, levers, metrics, values), tables
