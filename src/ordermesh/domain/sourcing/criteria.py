"""Criteria: which candidate locations a strategy may use (``filters``) and how good each one is (``scores``).

A filter returns the reason it excludes a location, or None. A score is normalised to 0..1, higher is
better; the weighted total ranks locations, and every part is kept so a decision can say why.
"""

from ordermesh.domain.sourcing.filters import (
    OrderFacts,
    Screened,
    below_minimum_stock,
    capacity_full,
    excluded_by_profile,
    lacks_capability,
    missing_tags,
    no_stock,
    order_facts,
    outside_radius,
    screen,
    wrong_type,
)
from ordermesh.domain.sourcing.scores import (
    Scores,
    Scoring,
    cost_score,
    distance_score,
    headroom_score,
    priority_score,
    rank,
    rank_by_total,
    score_candidates,
    stock_score,
)

__all__ = [
    "OrderFacts",
    "Scores",
    "Scoring",
    "Screened",
    "below_minimum_stock",
    "capacity_full",
    "cost_score",
    "distance_score",
    "excluded_by_profile",
    "headroom_score",
    "lacks_capability",
    "missing_tags",
    "no_stock",
    "order_facts",
    "outside_radius",
    "priority_score",
    "rank",
    "rank_by_total",
    "score_candidates",
    "screen",
    "stock_score",
    "wrong_type",
]
