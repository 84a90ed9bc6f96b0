"""relsim's model: firms and consumers in a relationship-marketing market (see docs/ODD.md).

The model and its agents (which need Mesa and the compiled rules) are imported on first use, so a
command can check its input against `relsim.params` in a fraction of a second.
"""

import importlib

from ._cache import ensure_fresh

ensure_fresh()  # before any compiled rule is loaded from numba's cache

from .params import (Behaviour, ConfigError, Dist, Market, Network, Policy, Population, Segment,  # noqa: E402
                     Shock, Strategy, build)

#: Names imported from their module on first use (PEP 562).
_LAZY = {"Consumer": "agents", "Firm": "agents", "RelationshipModel": "model"}

__all__ = ["Behaviour", "ConfigError", "Consumer", "Dist", "Firm", "Market", "Network", "Policy", "Population",
           "RelationshipModel", "Segment", "Shock", "Strategy", "build"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'relsim' has no attribute {name!r}")
