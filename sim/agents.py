"""The Mesa agents: firms and consumers, as views on the model's population arrays.

The population's state lives in NumPy arrays that each day's rules update whole (sim/world.py);
a Firm or Consumer agent reads (and may write) its own slice of them, so Mesa's AgentSet,
DataCollector and visualisation work on the model as Mesa users expect.
"""

from __future__ import annotations

import mesa
import numpy as np

from .params import Strategy


class Firm(mesa.Agent):
    """A firm that plays a relationship strategy."""

    def __init__(self, model: mesa.Model, index: int, name: str, strategy: Strategy):
        super().__init__(model)
        self.index, self.name, self.strategy = index, name, strategy

    @property
    def customers(self) -> int:
        """Current number of customers."""
        return int(self.model.world.customers[self.index])

    @property
    def problem_rate(self) -> float:
        """Root-cause problems per customer per year today."""
        return float(self.model.world.problem_rate[self.index])

    def announce_cut(self) -> None:
        """Tomorrow this firm cuts its assortment (a calendar event, sim/calendar.py; sim/assortment.py acts)."""
        self.model.world.cut_today[self.index] = True
        self.model.calendar.cuts.pop(self.index, None)

    def set_problem_rate(self, rate: float) -> None:
        """Set today's root-cause problem rate (RelationshipModel.set_strategy does, for `problem_rate`)."""
        self.model.world.problem_rate[self.index] = rate

    @property
    def profit(self) -> float:
        """Yesterday's profit (the last recorded day)."""
        return self.model.recorder.latest("profit", self.index)

    @property
    def npv(self) -> float:
        """Discounted profit to date."""
        return float(self.model.world.npv[self.index])

    @property
    def mean_trust(self) -> float:
        """Mean trust of the firm's customers (last recorded day)."""
        return self.model.recorder.latest("mean_trust", self.index)


class Consumer(mesa.Agent):
    """A consumer; its state is row `index` of the population arrays."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def provider(self) -> int:
        """The firm this consumer is a customer of (-1: none)."""
        return int(self.model.world.provider[self.index])

    @property
    def trust(self) -> np.ndarray:
        """Trust in each firm."""
        return self.model.world.trust(self.index)

    @property
    def intimacy(self) -> np.ndarray:
        """Intimacy with each firm."""
        return self.model.world.intimacy[self.index].copy()

    @property
    def stress(self) -> float:
        """Stress in [0, 1]."""
        return float(self.model.world.stress[self.index])

    @property
    def tenure(self) -> int:
        """Days with the current provider."""
        return int(self.model.world.tenure[self.index])

    @property
    def neighbours(self) -> np.ndarray:
        """Indices of network neighbours."""
        adj = self.model.world.adj
        return adj.indices[adj.indptr[self.index]: adj.indptr[self.index + 1]].copy()
