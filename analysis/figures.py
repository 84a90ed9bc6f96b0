"""The figure kit of every relsim figure: one set of colours and one plotly layout.

The run report, the sweep report, the stylized-fact page, the calibration page and the educator's
live charts take their colours from here, so a colour means the same thing everywhere, and the
static reports share `style` (template, title, legend below the plot).
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, qualitative

__all__ = ["ARM_PALETTE", "CAUSE_PALETTE", "COLORS", "TEMPLATE", "empty", "rgba", "style"]

TEMPLATE = "plotly_white"

#: Named colours (plotly's D3 palette, and ColorBrewer's diverging ends for good and bad on the page).
COLORS = {
    "blue": "#1f77b4", "orange": "#ff7f0e", "green": "#2ca02c", "red": "#d62728", "purple": "#9467bd",
    "brown": "#8c564b", "grey": "#7f7f7f", "black": "black",
    "good": "#1a9850", "cool": "#4575b4", "bad": "#d73027", "edge": "#bbbbbb", "outline": "#555",
}
#: Colours of arms (in order) and of evidence causes.
ARM_PALETTE = qualitative.D3
CAUSE_PALETTE = qualitative.Dark24


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
