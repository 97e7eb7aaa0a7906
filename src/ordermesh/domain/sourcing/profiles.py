"""Sourcing profiles: an ordered list of strategies tried in turn, then a fallback.

A strategy has *conditions* (which orders it applies to; an empty condition matches every order) and
*criteria* (which locations it may use, and how it scores the ones it may). Every strategy type has
defaults, so ``{"type": "nearest"}`` is a complete strategy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing.costs import DEFAULT_RATES, RateCards
from ordermesh.domain.sourcing.model import Demand, OrderContext


class StrategyType(StrEnum):
    NEAREST = "nearest"  # one location that has everything, the nearest
    FEWEST_SPLITS = "fewest_splits"  # as few locations as possible, then the nearest
    PRIORITY = "priority"  # locations in priority order, filled greedily
    HIGHEST_STOCK = "highest_stock"  # the locations that can fill the most units first
    MIN_COST = "min_cost"  # the cheapest plan to ship (MILP, or a bounded heuristic for huge orders)

    @property
    def ranks_by_score(self) -> bool:
        """Whether the strategy orders locations by their weighted score (min_cost optimises cost instead)."""
        return self is not StrategyType.MIN_COST


def _listed(values: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"


@dataclass(frozen=True)
class Conditions:
    """Which orders a strategy applies to. Every empty condition matches every order."""

    delivery_methods: frozenset[DeliveryMethod] = frozenset()
    channels: frozenset[str] = frozenset()
    order_value_min_minor: int | None = None
    order_value_max_minor: int | None = None
    destination_countries: frozenset[str] = frozenset()
    destination_regions: frozenset[str] = frozenset()
    sku_tags_any: frozenset[str] = frozenset()

    def mismatch(self, ctx: OrderContext, demand: Demand) -> str | None:
        """Why the order does not meet these conditions, or None when it does."""
        return self._who_and_where(ctx) or self._what(ctx, demand)

    def _who_and_where(self, ctx: OrderContext) -> str | None:
        if self.delivery_methods and ctx.method not in self.delivery_methods:
            return f"delivery method {ctx.method or 'unknown'} not in {_listed(self.delivery_methods)}"
        if self.channels and ctx.channel not in self.channels:
            return f"channel {ctx.channel or 'unknown'} not in {_listed(self.channels)}"
        if self.destination_countries and (ctx.country or "").upper() not in self.destination_countries:
            return f"destination country {ctx.country or 'unknown'} not in {_listed(self.destination_countries)}"
        if self.destination_regions and (ctx.region or "").upper() not in self.destination_regions:
            return f"destination region {ctx.region or 'unknown'} not in {_listed(self.destination_regions)}"
        return None

    def _what(self, ctx: OrderContext, demand: Demand) -> str | None:
        low, high = self.order_value_min_minor, self.order_value_max_minor
        if low is not None and ctx.order_value_minor < low:
            return f"order value {ctx.order_value_minor} below the minimum {low}"
        if high is not None and ctx.order_value_minor > high:
            return f"order value {ctx.order_value_minor} above the maximum {high}"
        if self.sku_tags_any:
            tags = set().union(*(ctx.sku_tags.get(sku, frozenset()) for sku in demand))
            if not tags & self.sku_tags_any:
                return f"no SKU tagged any of {_listed(self.sku_tags_any)}"
        return None


@dataclass(frozen=True)
class Weights:
    """How much each score counts when ranking locations (non-negative; only their ratios matter)."""

    distance: float = 0.0
    stock: float = 0.0
    priority: float = 0.0
    capacity_headroom: float = 0.0
    cost: float = 0.0

    def items(self) -> list[tuple[str, float]]:
        return [(name, float(getattr(self, name))) for name in WEIGHT_NAMES]

    @property
    def all_zero(self) -> bool:
        return not any(w for _, w in self.items())


WEIGHT_NAMES = tuple(f.name for f in fields(Weights))  # the score parts, in the order they are summed and shown


@dataclass(frozen=True)
class Criteria:
    """Which locations a strategy may use, and how it scores them.

    The delivery method's capability and the location's remaining daily capacity are always required.
    ``None`` (or empty for ``exclude_locations``) means "no such filter".
    """

    weights: Weights = Weights()
    location_types: frozenset[str] | None = None
    location_tags_any: frozenset[str] | None = None
    max_distance_km: float | None = None
    min_stock_units: int = 0  # a location serves a line only if it holds at least this many units of its SKU
    exclude_locations: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Strategy:
    type: StrategyType
    name: str
    conditions: Conditions = Conditions()
    criteria: Criteria = Criteria()
    max_splits: int | None = None  # most locations an order may ship from; None: no limit
    min_shipment_value_minor: int = 0  # smaller shipments only when there is no other way
    allow_partial: bool = False  # fill what can be filled and report the rest instead of refusing
    rates: RateCards = DEFAULT_RATES


DEFAULT_WEIGHTS: Mapping[StrategyType, Weights] = {
    StrategyType.NEAREST: Weights(distance=1.0),
    StrategyType.FEWEST_SPLITS: Weights(distance=1.0),
    StrategyType.PRIORITY: Weights(priority=1.0),
    StrategyType.HIGHEST_STOCK: Weights(stock=1.0),
    StrategyType.MIN_COST: Weights(cost=1.0),
}
DEFAULT_MAX_SPLITS: Mapping[StrategyType, int | None] = {
    StrategyType.NEAREST: 1,
    StrategyType.FEWEST_SPLITS: None,
    StrategyType.PRIORITY: None,
    StrategyType.HIGHEST_STOCK: None,
    StrategyType.MIN_COST: 3,
}


def default_strategy(kind: StrategyType, *, name: str | None = None, conditions: Conditions = Conditions()) -> Strategy:
    """A strategy of ``kind`` with its defaults (nearest: one location; min_cost: up to 3; the others unlimited)."""
    return Strategy(kind, name or kind.value, conditions, Criteria(weights=DEFAULT_WEIGHTS[kind]),
                    max_splits=DEFAULT_MAX_SPLITS[kind])


@dataclass(frozen=True)
class Profile:
    strategies: tuple[Strategy, ...]
    fallback: Strategy | None = None

    def in_order(self) -> list[Strategy]:
        return [*self.strategies, *([self.fallback] if self.fallback else [])]


# Ship and local delivery: the cheapest plan over at most three locations; anything else (a cart hold
# without a delivery method, or a plan min_cost cannot find): fewest splits. Pickup and curbside never
# reach a profile: the service reserves at the store the customer chose.
DEFAULT_PROFILE = Profile(
    strategies=(default_strategy(
        StrategyType.MIN_COST,
        conditions=Conditions(delivery_methods=frozenset({DeliveryMethod.SHIP, DeliveryMethod.LOCAL_DELIVERY})),
    ),),
    fallback=default_strategy(StrategyType.FEWEST_SPLITS),
)
