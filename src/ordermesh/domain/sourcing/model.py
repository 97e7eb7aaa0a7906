"""What sourcing reasons about: candidate locations, the order's context, and the allocations it makes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ordermesh.domain.catalogue import DeliveryMethod

Demand = Mapping[int, int]  # sku id → units wanted


# Not frozen, though nothing changes a candidate once built: every order builds one per location that
# holds its SKUs, and a frozen dataclass's __init__ (object.__setattr__ per field) costs ~7 times as much.
@dataclass(slots=True)
class Candidate:
    """A location that might fulfil (part of) an order, with the stock this channel may take there."""

    location_id: int
    code: str
    latitude: float
    longitude: float
    capabilities: frozenset[str]
    stock: Mapping[int, int]  # sku id → units this channel may take here
    type: str = "warehouse"
    tags: frozenset[str] = frozenset()
    priority: int = 100  # lower is preferred
    capacity_left: int | None = None  # fulfillment orders it can still take today for the method; None: no limit
    country: str | None = None

    @property
    def at_capacity(self) -> bool:
        return self.capacity_left is not None and self.capacity_left <= 0

    def with_stock(self, stock: Mapping[int, int]) -> Candidate:
        """This location with only ``stock`` to give. Runs per candidate per order: the plain constructor,
        about twice as fast as ``dataclasses.replace`` (which looks up the fields each time)."""
        return Candidate(self.location_id, self.code, self.latitude, self.longitude, self.capabilities, stock,
                         self.type, self.tags, self.priority, self.capacity_left, self.country)


@dataclass(frozen=True, slots=True)
class Allocation:
    location_id: int
    sku_id: int
    quantity: int


Plan = list[Allocation]


@dataclass(frozen=True)
class OrderContext:
    """What a profile's conditions and costs need to know about the order being sourced."""

    method: DeliveryMethod | None = None  # None: a cart hold, before the delivery method is known
    channel: str | None = None  # channel code
    order_value_minor: int = 0
    destination: tuple[float, float] | None = None  # (latitude, longitude) of the customer
    country: str | None = None  # ISO 3166-1 alpha-2 of the destination
    region: str | None = None  # state / province / region code of the destination
    sku_tags: Mapping[int, frozenset[str]] = field(default_factory=dict)
    sku_weight_grams: Mapping[int, int] = field(default_factory=dict)
    unit_value_minor: Mapping[int, int] = field(default_factory=dict)  # sku id → value of one unit on this order

    def weight_kg(self, sku_id: int) -> float:
        return self.sku_weight_grams.get(sku_id, 0) / 1000

    def shipment_value(self, units: Mapping[int, int]) -> int:
        """Value in minor units of the given units (sku id → quantity) of this order."""
        return sum(self.unit_value_minor.get(sku, 0) * qty for sku, qty in units.items())


@dataclass(frozen=True)
class Infeasible:
    """Why a strategy found no plan: a short summary and a reason per SKU id it could not place."""

    summary: str
    reasons: Mapping[int, str] = field(default_factory=dict)
