"""Units as people read them: the one place that labels a unit (and the money label's default).

Kept free of heavy imports, so the command's checks can read DEFAULT_CURRENCY at once.
"""

from __future__ import annotations

#: How money is labelled when a run does not say (the `currency` setting of configs/config.yaml).
DEFAULT_CURRENCY = "$"
#: The longest money label.
MAX_CURRENCY = 12
#: Units that are counts of what the label already names ("Public complaints", in posts).
COUNTS = {"complaints", "posts", "calls", "customers"}


def unit_label(unit: str, currency: str = DEFAULT_CURRENCY, scale: float = 1.0) -> str:
    """A unit as tables, charts and the terminal show it: '%' for shares, the money label for currency,
    nothing for a count (its label names it), and 'thousand ...' / 'thousands' when shown in thousands."""
    if unit in COUNTS:
        return "thousands" if scale == 1000 else ""
    shown = "%" if unit == "share" else currency if unit == "currency" else unit
    return f"thousand {shown}" if scale == 1000 else shown


def labelled(label: str, unit: str, currency: str = DEFAULT_CURRENCY, scale: float = 1.0) -> str:
    """'Label (unit)', or the label alone when the unit goes without saying."""
    shown = unit_label(unit, currency, scale)
    return f"{label} ({shown})" if shown else label
