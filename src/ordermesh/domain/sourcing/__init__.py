"""Sourcing: which locations fulfil which lines, and why.

``run_profile`` sources an order under a sourcing profile (strategies tried in turn, then a fallback);
``source_order`` / ``source_at_store`` are the profile-less v0 entry points. Everything here is pure:
the min-cost strategy takes a ``Solver`` from outside (the HiGHS adapter) and works without one.
"""

from ordermesh.domain.sourcing.costs import (
    DEFAULT_CARDS,
    DEFAULT_RATES,
    CostBreakdown,
    RateCard,
    RateCards,
    ShipmentCost,
    plan_cost,
)
from ordermesh.domain.sourcing.decision import Decision
from ordermesh.domain.sourcing.distance import EARTH_RADIUS_KM, haversine_km
from ordermesh.domain.sourcing.engine import run_profile
from ordermesh.domain.sourcing.min_cost import (
    Arc,
    MinCostProblem,
    MinCostSolution,
    Solver,
    build_problem,
    greedy_baselines,
)
from ordermesh.domain.sourcing.model import Allocation, Candidate, Demand, Infeasible, OrderContext, Plan
from ordermesh.domain.sourcing.optimise import SolveLimits, min_cost_plan
from ordermesh.domain.sourcing.profile_doc import parse_profile, profile_to_doc
from ordermesh.domain.sourcing.profiles import (
    DEFAULT_PROFILE,
    Conditions,
    Criteria,
    Profile,
    Strategy,
    StrategyType,
    Weights,
    default_strategy,
)
from ordermesh.domain.sourcing.source import source_at_store, source_order
from ordermesh.domain.sourcing.strategies import PAIR_SEARCH_LIMIT

__all__ = [
    "DEFAULT_CARDS",
    "DEFAULT_PROFILE",
    "DEFAULT_RATES",
    "EARTH_RADIUS_KM",
    "PAIR_SEARCH_LIMIT",
    "Allocation",
    "Arc",
    "Candidate",
    "Conditions",
    "CostBreakdown",
    "Criteria",
    "Decision",
    "Demand",
    "Infeasible",
    "MinCostProblem",
    "MinCostSolution",
    "OrderContext",
    "Plan",
    "Profile",
    "RateCard",
    "RateCards",
    "ShipmentCost",
    "SolveLimits",
    "Solver",
    "Strategy",
    "StrategyType",
    "Weights",
    "build_problem",
    "default_strategy",
    "greedy_baselines",
    "haversine_km",
    "min_cost_plan",
    "parse_profile",
    "plan_cost",
    "profile_to_doc",
    "run_profile",
    "source_at_store",
    "source_order",
]
