"""The figure kit of every relsim figure: one set of colours and one plotly layout.

The run report, the sweep report, the stylized-fact page, the calibration page and the educator's
live charts take their colours from here, so a colour means the same thing everywhere, and the
static reports share `style` (template, title, legend below the plot).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, qualitative
from scipy import stats

__all__ = ["ARM_PALETTE", "CAUSE_PALETTE", "COLORS", "TEMPLATE", "WEEKLY_ABOVE_DAYS", "add_line", "arm_colors",
           "empty", "mean_band", "rgba", "style", "weekly", "write_image"]

TEMPLATE = "plotly_white"

#: Named colours (plotly's D3 palette, and ColorBrewer's diverging ends for good and bad on the page).
COLORS = {
    "blue": "#1f77b4", "orange": "#ff7f0e", "green": "#2ca02c", "red": "#d62728", "purple": "#9467bd",
    "brown": "#8c564b", "grey": "#7f7f7f", "black": "black",
    "good": "#1a9850", "cool": "#4575b4", "bad": "#d73027", "edge": "#bbbbbb", "outline": "#555",
    "rule": "#888", "cyan": "#17becf", "pink": "#e377c2", "olive": "#bcbd22",
}
#: Colours of arms (in order) and of evidence causes.
ARM_PALETTE = qualitative.D3
#: Fifteen evidence causes, each a clearly different hue or shade (D3's ten, then navy, lime, gold, black, lavender).
CAUSE_PALETTE = [*qualitative.D3, "#393b79", "#b5cf6b", "#e7ba52", "#000000", "#9c9ede"]
#: Daily series of longer runs are drawn as weekly means.
WEEKLY_ABOVE_DAYS = 400


def arm_colors(arms: Sequence[str]) -> dict[str, str]:
    """A fixed colour per arm (or scenario variant), the same in every figure."""
    return {arm: ARM_PALETTE[i % len(ARM_PALETTE)] for i, arm in enumerate(arms)}


def rgba(color: str, alpha: float) -> str:
    """A hex colour as an rgba() string with the given opacity."""
    r, g, b = hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha})"


def style(fig: go.Figure, title: str, height: int = 420, **layout) -> go.Figure:
    """The common layout: clean template, title, horizontal legend below; `layout` adds or overrides."""
    fig.update_layout(
        template=TEMPLATE, title={"text": title, "x": 0.01}, height=height,
        margin={"l": 60, "r": 20, "t": 70, "b": 50}, hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
    )
    if layout:
        fig.update_layout(**layout)
    return fig


def empty(fig: go.Figure, message: str) -> go.Figure:
    """Mark a figure that has no data."""
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 14})
    return fig


def weekly(df: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Weekly means of daily ``values`` when the run is longer than WEEKLY_ABOVE_DAYS."""
    if df.empty or df["day"].max() <= WEEKLY_ABOVE_DAYS:
        return df
    week = (df["day"] - 1) // 7
    out = df.assign(_week=week).groupby([*keys, "_week"], sort=False)
    agg = out[values].mean()
    agg["day"] = out["day"].max()
    return agg.reset_index().drop(columns="_week")


def mean_band(df: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Mean of ``y`` over seeds per ``x`` with a 95% t-interval of the mean (columns mean, low, high)."""
    g = df.groupby(x, sort=True)[y]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(), "n": g.count()})
    dof = (out["n"] - 1).where(out["n"] > 1)
    half = stats.t.ppf(0.975, dof) * out["sd"] / np.sqrt(out["n"])
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out.reset_index()


def add_line(fig: go.Figure, band: pd.DataFrame, x: str, *, name: str, color: str, group: str, showlegend: bool,
             dash: str = "solid", row: int | None = None, col: int | None = None, hover: str = "%{y:.3f}",
             floor: float | None = None) -> None:
    """A mean line and its shaded band (one closed polygon) on ``fig``; `floor` clips the band where the
    quantity cannot go (0 for counts and shares: a t-interval knows nothing of that)."""
    pos = {"row": row, "col": col} if row is not None else {}
    ok = band.dropna(subset=["low", "high"])
    if len(ok):
        low, high = ok["low"], ok["high"]
        if floor is not None:
            low, high = low.clip(lower=floor), high.clip(lower=floor)
        fig.add_trace(go.Scatter(
            x=np.concatenate([ok[x], ok[x][::-1]]),
            y=np.concatenate([high, low[::-1]]),
            fill="toself", fillcolor=rgba(color, 0.15), line={"width": 0},
            hoverinfo="skip", showlegend=False, legendgroup=group, name=name,
        ), **pos)
    fig.add_trace(go.Scatter(
        x=band[x], y=band["mean"], mode="lines", name=name, legendgroup=group,
        showlegend=showlegend, line={"color": color, "dash": dash, "width": 2},
        hovertemplate=f"{name}<br>%{{x}}: {hover}<extra></extra>",
    ), **pos)


def write_image(fig: go.Figure, path: str | Path, width: int = 1100) -> bool:
    """Write a static image of `fig` (png, svg or pdf by the suffix) with kaleido, which drives a Chrome binary
    (Chromium from the system if there is one). Returns False, writing nothing, when kaleido or a Chrome is
    missing; True once the image is written."""
    import os
    import shutil

    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        if "BROWSER_PATH" not in os.environ and shutil.which(candidate):
            os.environ["BROWSER_PATH"] = shutil.which(candidate)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.write_image(path, width=width, height=fig.layout.height or 450)
    except (RuntimeError, ValueError, OSError):
        return False
    return True
