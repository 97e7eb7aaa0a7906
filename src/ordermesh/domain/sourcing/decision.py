"""A sourcing decision: the allocations, and everything needed to answer "why this location"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ordermesh.domain.sourcing.costs import CostBreakdown
from ordermesh.domain.sourcing.model import Allocation


@dataclass(slots=True)
class Decision:
    strategy: str  # the name of the strategy that decided (or "chosen_store", "cart_hold", …)
    allocations: list[Allocation]
    candidates: list[dict[str, Any]] = field(default_factory=list)  # every location considered, chosen first
    location_codes: dict[int, str] = field(default_factory=dict)  # every allocated location id → code
    strategy_type: str | None = None  # nearest | fewest_splits | priority | highest_stock | min_cost
    tried: list[dict[str, Any]] = field(default_factory=list)  # the profile's strategies, in order, and outcomes
    cost: CostBreakdown | None = None  # the estimated cost of the chosen plan
    optimisation: dict[str, Any] | None = None  # min_cost: MILP or heuristic, solve time, the greedy it beat
    shortfall: dict[str, int] = field(default_factory=dict)  # sku code → units left unfilled (allow_partial)

    def explanation(self) -> dict[str, Any]:
        """What is stored with the order and shown under ``sourcing``."""
        out: dict[str, Any] = {"strategy": self.strategy, "candidates": self.candidates}
        if self.strategy_type is not None:
            out["strategy_type"] = self.strategy_type
        if self.tried:
            out["tried"] = self.tried
        if self.cost is not None:
            out["cost"] = self.cost.as_dict(self.location_codes)
        if self.optimisation is not None:
            out["optimisation"] = self.optimisation
        if self.shortfall:
            out["shortfall"] = self.shortfall
        return out
