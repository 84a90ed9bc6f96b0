"""The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007).

Each customer of a cohort renews at the end of every period with a constant probability 1 - theta,
and theta varies over the cohort as Beta(alpha, beta). The cohort's survival after t periods and its
period-on-period retention rate are closed forms:

    S(t) = B(alpha, beta + t) / B(alpha, beta)
    r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

so r(t) rises with tenure: the most churn-prone customers leave first. The two parameters are fitted
by maximum likelihood to the survivors of periods 0 ... K (counts, or shares with a nominal cohort
size: the estimates do not depend on it, only their standard errors do).

Pure NumPy/SciPy: nothing here imports the model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize, special

__all__ = ["SBGFit", "fit_sbg", "retention_rates", "sbg_survival"]


def sbg_survival(alpha: float, beta: float, periods: int | np.ndarray) -> np.ndarray:
    """S(t) for t = 0 ... periods (an int) or for the given array of periods."""
    t = np.arange(periods + 1) if np.isscalar(periods) else np.asarray(periods, dtype=float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def retention_rates(survival: np.ndarray) -> np.ndarray:
    """Period-on-period retention rates r(t) = S(t) / S(t - 1), t = 1 ... len(survival) - 1."""
    s = np.asarray(survival, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return s[1:] / s[:-1]


@dataclasses.dataclass(frozen=True)
class SBGFit:
    """A fitted sBG model: parameters, their standard errors (from the observed information), fit data."""

    alpha: float
    beta: float
    alpha_se: float
    beta_se: float
    log_likelihood: float
    cohort_size: float
    periods: int  # K: fitted on periods 0 ... K

    def survival(self, horizon: int) -> np.ndarray:
        """Projected survival S(0) ... S(horizon)."""
        return sbg_survival(self.alpha, self.beta, horizon)

    @property
    def mean_churn(self) -> float:
        """Mean churn probability per period in the cohort at period 0, alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)


def _neg_log_likelihood(log_ab: np.ndarray, lost: np.ndarray, alive: float) -> float:
    """Minus the log-likelihood: `lost[t-1]` customers left in period t = 1..K; `alive` remain after K."""
    a, b = np.exp(log_ab)
    k = len(lost)
    s = sbg_survival(a, b, k)
    p = np.maximum(s[:-1] - s[1:], 1e-300)
    return -(lost @ np.log(p) + alive * np.log(max(s[-1], 1e-300)))


def fit_sbg(surviving: np.ndarray, cohort_size: float | None = None) -> SBGFit:
    """Maximum-likelihood sBG fit to survivors of periods 0 ... K (K >= 2).

    `surviving` holds counts, or shares of the period-0 cohort; with shares, `cohort_size` (default
    1000) only scales the standard errors. Survival must not rise.
    """
    s = np.asarray(surviving, dtype=float)
    if s.ndim != 1 or len(s) < 3:
        raise ValueError("fit_sbg needs survivors of at least 3 periods (0, 1, 2)")
    if np.any(np.diff(s) > 1e-12) or s[0] <= 0 or np.any(s < 0):
        raise ValueError("fit_sbg needs a positive, non-increasing survival")
    n = float(cohort_size if cohort_size is not None else (s[0] if s[0] > 1 else 1000.0))
    shares = s / s[0]
    lost, alive = n * -np.diff(shares), n * shares[-1]
    best = None
    for start in ((0.0, 0.0), (np.log(0.5), np.log(3.0)), (np.log(5.0), np.log(20.0)), (np.log(0.1), np.log(0.5))):
        res = optimize.minimize(_neg_log_likelihood, np.array(start), args=(lost, alive), method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000, "maxfev": 8000})
        if best is None or res.fun < best.fun:
            best = res
    res = optimize.minimize(_neg_log_likelihood, best.x, args=(lost, alive), method="L-BFGS-B",
                            bounds=[(-12, 12), (-12, 12)])
    x = res.x if res.fun <= best.fun else best.x
    a, b = np.exp(x)
    se_a, se_b = _standard_errors(x, lost, alive)
    return SBGFit(alpha=float(a), beta=float(b), alpha_se=se_a, beta_se=se_b,
                  log_likelihood=float(-_neg_log_likelihood(x, lost, alive)), cohort_size=n, periods=len(s) - 1)


def _standard_errors(x: np.ndarray, lost: np.ndarray, alive: float) -> tuple[float, float]:
    """Standard errors of alpha and beta from the numerical Hessian in log space (delta method)."""
    h = 1e-4
    hess = np.zeros((2, 2))
    f = lambda z: _neg_log_likelihood(z, lost, alive)  # noqa: E731
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hess[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return float("nan"), float("nan")
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
        return float("nan"), float("nan")
    se_log = np.sqrt(np.diag(cov))
    return float(np.exp(x[0]) * se_log[0]), float(np.exp(x[1]) * se_log[1])
