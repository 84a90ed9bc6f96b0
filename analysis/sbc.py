"""Simulation-based calibration's figures: rank histograms (Talts et al. 2018).

experiments/inference/sbc.py runs the held-out simulations and computes the ranks, coverage and identification;
this draws them. Nothing here imports the model or the inference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .figures import COLORS, rgba, style

__all__ = ["expected_band", "rank_counts", "rank_histograms"]


def expected_band(n_sims: int, bins: int, mass: float = 0.99) -> tuple[float, float]:
    """The central `mass` range of one bin's count when the ranks are uniform (Binomial(n_sims, 1 / bins)): the
    grey band of Talts et al.'s histograms (exact only when L + 1 is divisible by `bins`)."""
    from scipy import stats

    lo, hi = stats.binom.interval(mass, n_sims, 1 / bins)
    return float(lo), float(hi)


def rank_counts(rank: np.ndarray, n_draws: int, bins: int) -> np.ndarray:
    """Counts of ranks (N, d) in 0 ... n_draws over `bins` bins of (nearly) equal numbers of rank values: (bins, d)."""
    rank = np.asarray(rank)
    return np.stack([np.bincount(rank[:, j] * bins // (n_draws + 1), minlength=bins) for j in range(rank.shape[1])],
                    axis=1)


def rank_histograms(rank: np.ndarray, n_draws: int, names: Sequence[str], bins: int = 20,
                    title: str = "Simulation-based calibration: rank of each truth among its posterior draws"
                    ) -> go.Figure:
    """One histogram per parameter of the truths' ranks (N, d) among `n_draws` posterior draws, with the 99% band of
    a uniform histogram: a U says the posterior is too narrow, a hump too wide, a slope biased."""
    from plotly.subplots import make_subplots

    counts = rank_counts(rank, n_draws, bins)
    n_sims, d = np.asarray(rank).shape
    cols = min(d, 3)
    rows = -(-d // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(names), horizontal_spacing=0.06,
                        vertical_spacing=0.12 if rows > 1 else 0.0)
    lo, hi = expected_band(n_sims, bins)
    x = (np.arange(bins) + 0.5) / bins  # the bin's centre as a share of the L + 1 ranks
    for j in range(d):
        r, c = j // cols + 1, j % cols + 1
        fig.add_trace(go.Scatter(x=[0, 1, 1, 0], y=[lo, lo, hi, hi], fill="toself", mode="lines",
                                 line={"width": 0}, fillcolor=rgba(COLORS["grey"], 0.25), hoverinfo="skip",
                                 name="99% band of uniform ranks", showlegend=j == 0, legendgroup="band"),
                      row=r, col=c)
        fig.add_trace(go.Bar(x=x, y=counts[:, j], width=1 / bins, marker_color=COLORS["blue"], name="simulations",
                             showlegend=j == 0, legendgroup="bars",
                             hovertemplate="rank share %{x:.2f}: %{y} simulations<extra></extra>"), row=r, col=c)
        fig.update_xaxes(range=[0, 1], row=r, col=c)
    fig.update_xaxes(title_text="rank / (L + 1)", row=rows)
    return style(fig, f"{title} (N = {n_sims}, L = {n_draws})", height=260 * rows + 120)
