"""Responsiveness: writers who adapt the story (article idea 8; docs/ODD.md §7.13).

"Soap opera writers regularly monitor viewers' reactions to evolving story lines." What the firm
hears, H_f (answered complaints plus listening_f x calls reached, sim/listening.py and
sim/support.py), lowers its root-cause problem rate towards a floor (problem_floor x the day-0 rate):

    rate_f <- floor_f + (rate_f - floor_f) exp(-learning_rate x responsiveness_f x H_f / customers_f)

The rate never rises again: learning is not forgotten.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .world import N_ANSWERED, N_REACHED, World


@njit(cache=True, inline="always")
def heard(answered: float, listening: float, reached: float) -> float:
    """H_f: the complaints a firm answered today plus the share `listening` of its calls reached."""
    return answered + listening * reached


@njit(cache=True, inline="always")
def learned(b, rate: float, initial_rate: float, responsiveness: float, heard_today: float,
            customers: int) -> float:
    """r <- floor + (r - floor) exp(-learning_rate responsiveness H / max(C, 1)), floor = problem_floor r_0."""
    floor = b.problem_floor * initial_rate
    per_customer = heard_today / max(customers, 1)
    return floor + (rate - floor) * math.exp(-b.learning_rate * responsiveness * per_customer)


def learn(w: World, heard_today: np.ndarray) -> None:
    """Responsiveness: what each firm heard today lowers its root-cause problem rate towards a floor."""
    _learn(*w.kernel(), np.asarray(heard_today, dtype=float))


@njit(cache=True)
def _heard(s, fa) -> np.ndarray:
    """H_f of every firm today."""
    out = np.empty(len(fa.listening))
    for f in range(len(out)):
        out[f] = heard(s.today_arr[N_ANSWERED, f], fa.listening[f], s.today_arr[N_REACHED, f])
    return out


@njit(cache=True)
def _learn(s, b, fa, heard_today) -> None:
    for f in range(len(heard_today)):
        s.problem_rate[f] = learned(b, s.problem_rate[f], fa.problem_rate[f], fa.responsiveness[f], heard_today[f],
                                    s.firm_customers[f])
