"""Fees on the relationship: the support fee, its deterrent, and nuisance fees (article idea 4).

Support fee. Support is free for a period, then each call is charged (the article's software support
that costs a fee after ninety days; docs/ODD.md §7.6). A call by customer n of firm f costs

    fee_n = support_fee_f [tenure_n > support_free_days_f]      (free through the free period)

on every call that gets through (sim/support.py). Who expects to pay is deterred from calling and
from complaining privately, by the factor

    delta_n = exp(-fee_deterrence p_n fee_n / reference_price)

(p_n the consumer's price sensitivity; sim/support.py, sim/voice.py; TARP; Hirschman 1970).

Nuisance fees. "When customers pay more each month for the privilege of overriding the caller-ID
function, have we addressed the fundamental issue?" A firm with nuisance_fee > 0 charges every
customer that fee each 30 days of tenure, to keep a right the customer had. It is revenue and also
part of the monthly price in churn and joining (sim/churn.py).

Every fee charged, support or nuisance, is for the customer unfairness evidence, not only price:

    E- += fee_weight fee / reference_price,    stress += stress_fee
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .world import L_NUISANCE_FEE, L_SUPPORT_FEE, L_SUPPORT_FREE_DAYS, N_FEES, NUISANCE_FEES, World, add


@njit(cache=True, inline="always")
def call_fee(support_fee: float, free_days: float, tenure: int) -> float:
    """The fee a support call costs a customer of `tenure` days: none within the free period."""
    return support_fee if tenure > free_days else 0.0


@njit(cache=True, inline="always")
def deterrent(b, price_sensitivity: float, fee: float) -> float:
    """delta = exp(-fee_deterrence p fee / reference_price): how much an expected fee lowers calling or complaining."""
    return 1.0 if fee == 0 else math.exp(-b.fee_deterrence / b.reference_price * price_sensitivity * fee)


@njit(cache=True, inline="always")
def unfairness(b, fee: float) -> float:
    """Negative evidence of a fee charged: fee_weight fee / reference_price."""
    return b.fee_weight * fee / b.reference_price


@njit(cache=True, inline="always")
def nuisance_due(nuisance_fee: float, tenure: int) -> bool:
    """A nuisance fee is charged on each 30th day of tenure."""
    return nuisance_fee > 0 and tenure > 0 and tenure % 30 == 0


@njit(cache=True, inline="always")
def fee_of(s, fa, n: int) -> float:
    """The support fee a call by customer n would cost today."""
    f, k = s.provider[n], s.cell[n]
    return call_fee(fa.cell_lever[f, k, L_SUPPORT_FEE], fa.cell_lever[f, k, L_SUPPORT_FREE_DAYS], s.tenure[n])


@njit(cache=True, inline="always")
def deterrent_of(s, b, fa, n: int) -> float:
    """Customer n's fee deterrent today."""
    return deterrent(b, s.price_sensitivity[n], fee_of(s, fa, n))


def expected_fee(w: World, rows: np.ndarray) -> np.ndarray:
    """The support fee a call by consumer `rows` would cost today (0 within the free period)."""
    return _per_row(*w.kernel(), np.asarray(rows, dtype=np.int64), False)


def fee_deterrence(w: World, rows: np.ndarray) -> np.ndarray:
    """The factor by which an expected fee lowers calling or complaining."""
    return _per_row(*w.kernel(), np.asarray(rows, dtype=np.int64), True)


@njit(cache=True)
def _per_row(s, b, fa, rows, deter):
    out = np.empty(len(rows))
    for k in range(len(rows)):
        out[k] = deterrent_of(s, b, fa, rows[k]) if deter else fee_of(s, fa, rows[k])
    return out


def charge_nuisance_fees(w: World) -> None:
    """Charge the monthly fee for keeping a right, on each 30th day of tenure."""
    _charge_nuisance_fees(*w.kernel())


@njit(cache=True)
def _charge_nuisance_fees(s, b, fa) -> None:
    fees = fa.cell_lever[:, :, L_NUISANCE_FEE]
    if fees.max() <= 0:
        return
    for n in range(s.provider.shape[0]):
        f = s.provider[n]
        if f >= 0 and nuisance_due(fees[f, s.cell[n]], s.tenure[n]):
            fee = fees[f, s.cell[n]]
            s.today_arr[N_FEES, f] += fee
            if s.observe[1]:
                s.account[n, f] += fee
            add(s, False, NUISANCE_FEES, n, f, unfairness(b, fee), True)
            s.stress_in[n] += b.stress_fee
