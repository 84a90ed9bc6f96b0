"""Results that cannot show an effect, found before anything runs: a what-if whose only change is an event
after the horizon, a scenario that changes nothing for an arm (also when the arm's budget buys again the
levers it sets), a fee window that no customer reaches.

`cannot_show(spec)` returns one sentence per such (scenario, arm) cell; `relsim` prints them before the
simulations and the what-if verdict repeats them in place of "no clear difference" (the verdict is then about
an experiment that could not have shown one, not about the model).
"""

from __future__ import annotations

import dataclasses

from relsim import budget

from .config import RunSpec
from .scenarios import BASELINE

#: Strategy fields of the dated assortment cut; a cut after the horizon changes nothing in the run.
CUT_FIELDS = {"assortment_cut", "cut_day", "cut_framing"}
#: Strategy fields of the support fee, which applies only after `support_free_days` of tenure (tenure starts at 0).
FEE_FIELDS = {"support_fee", "support_free_days"}


def _differences(a, b) -> set[str]:
    """The top-level fields whose values differ between two parameter dataclasses."""
    return {f.name for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)}


def _reason(spec: RunSpec, arm: str, variant: str) -> str:
    """Why `variant` cannot change anything for `arm` within the horizon ('' when it can)."""
    s0, m0 = spec.cell(arm, BASELINE)
    s1, m1 = spec.cell(arm, variant)
    # what the firm does: a budget buys its rates, capacity and listening (a lever set on it directly is bought again)
    strategy, market = _differences(budget.levers(s0, m0.channels), budget.levers(s1, m1.channels)), _differences(m0, m1)
    days = spec.days
    if not strategy and not market:
        return f"under {arm}, {variant} changes nothing: its levers and market are already the baseline's"
    late = []
    if market == {"shock"} and m1.shock.day > days:
        late.append(f"its defect shock falls on day {m1.shock.day}")
    elif market:
        return ""
    if strategy and strategy <= CUT_FIELDS and s1.assortment_cut > 0 and s1.cut_day > days:
        late.append(f"its assortment cut falls on day {s1.cut_day}")
    elif strategy and strategy <= FEE_FIELDS and s1.support_free_days >= days:
        return (f"under {arm}, {variant} cannot show an effect: its support fee applies after {s1.support_free_days} "
                f"days of tenure, and no customer has that within the horizon of {days} days (days={days})")
    elif strategy:
        return ""
    if late:
        return (f"under {arm}, {variant} cannot show an effect: {' and '.join(late)}, after the horizon of {days} days "
                f"(set days above {max(m1.shock.day, s1.cut_day if s1.assortment_cut > 0 else 0)})")
    return ""


def cannot_show(spec: RunSpec) -> dict[tuple[str, str], str]:
    """(arm, scenario) -> why that cell cannot differ from its baseline within the run, for each such cell."""
    out = {}
    for variant in spec.variants[1:]:
        for arm in spec.arms:
            reason = _reason(spec, arm, variant.name)
            if reason:
                out[arm, variant.name] = reason
    return out


__all__ = ["cannot_show"]
