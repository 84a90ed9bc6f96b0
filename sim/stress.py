"""Stress: loss of control, vulnerability, victimization (article idea 3; docs/ODD.md §7.15).

Stress is a consumer state in [0, 1], whatever firm causes it. Today's stressors s (burden contacts,
unreached calls, fees, giving up, seen-through spin, data requests: sim/contacts.py, sim/support.py,
sim/fees.py, sim/assortment.py) and reliefs r (answered complaints, sim/listening.py) move it:

    stress <- [stress + (1 - stress)(1 - exp(-s))] (1 - stress_relief - min(r, 1 - stress_relief))

Stress raises the churn hazard (sim/churn.py).
"""

from __future__ import annotations

import math

from numba import njit

from .world import World


@njit(cache=True, inline="always")
def stressed(b, stress: float, stressors: float, relief: float) -> float:
    """S <- S + (1 - S)(1 - exp(-s)), then S <- S (1 - stress_relief - min(r, 1 - stress_relief))."""
    if stressors > 0:
        stress += (1.0 - stress) * -math.expm1(-stressors)
    return stress * (1.0 - b.stress_relief - min(relief, 1.0 - b.stress_relief))


def update(w: World) -> None:
    """Today's stressors raise every consumer's stress; relief lowers it."""
    _update_stress(*w.kernel())


@njit(cache=True)
def _update_stress(s, b, fa) -> None:
    stress, stress_in, relief_in = s.stress, s.stress_in, s.relief_in
    for n in range(stress.shape[0]):
        stress[n] = stressed(b, stress[n], stress_in[n], relief_in[n])
