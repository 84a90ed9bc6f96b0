"""relsim's model: firms and consumers in a relationship-marketing market (see docs/ODD.md)."""

from relsim._cache import ensure_fresh

ensure_fresh()  # before any compiled rule is loaded from numba's cache

from relsim.agents import Consumer, Firm
from relsim.model import RelationshipModel
from relsim.params import Behaviour, ConfigError, Dist, Market, Network, Population, Shock, Strategy, build

__all__ = ["Behaviour", "ConfigError", "Consumer", "Dist", "Firm", "Market", "Network", "Population",
           "RelationshipModel", "Shock", "Strategy", "build"]
