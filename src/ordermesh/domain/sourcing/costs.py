"""What a plan costs to ship: one parcel per location, priced by the location type's rate card.

All amounts are estimates in minor units of the channel's currency (floats: per-kg and per-km rates make
fractions), used to compare plans, never to charge anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ordermesh.domain.catalogue import LocationType
from ordermesh.domain.sourcing.distance import distance_km
from ordermesh.domain.sourcing.model import Allocation, Candidate, OrderContext
from ordermesh.domain.sourcing.plans import units_by_location


@dataclass(frozen=True, slots=True)
class RateCard:
    per_parcel_minor: float
    per_kg_minor: float
    per_km_minor: float
    handling_minor: float  # picking and packing one shipment


DEFAULT_CARDS: Mapping[str, RateCard] = {
    LocationType.WAREHOUSE.value: RateCard(per_parcel_minor=450, per_kg_minor=80, per_km_minor=0.4, handling_minor=150),
    LocationType.STORE.value: RateCard(per_parcel_minor=550, per_kg_minor=100, per_km_minor=0.5, handling_minor=350),
    LocationType.DARK_STORE.value: RateCard(per_parcel_minor=400, per_kg_minor=90, per_km_minor=0.6,
                                            handling_minor=200),
    LocationType.SUPPLIER.value: RateCard(per_parcel_minor=600, per_kg_minor=120, per_km_minor=0.4,
                                          handling_minor=100),
}


@dataclass(frozen=True)
class RateCards:
    """A rate card per location type, and the penalty for every shipment after the first."""

    by_type: Mapping[str, RateCard] = field(default_factory=lambda: dict(DEFAULT_CARDS))
    split_penalty_minor: float = 300

    def __post_init__(self) -> None:
        # One canonical form: a card for every location type, the defaults where none was given.
        object.__setattr__(self, "by_type", {**DEFAULT_CARDS, **self.by_type})

    def for_type(self, location_type: str) -> RateCard:
        return self.by_type.get(location_type) or self.by_type[LocationType.WAREHOUSE.value]


DEFAULT_RATES = RateCards()


@dataclass(frozen=True, slots=True)
class ShipmentCost:
    location_id: int
    parcel: float
    weight_kg: float
    per_kg: float
    distance_km: float | None
    per_km: float
    handling: float

    @property
    def total(self) -> float:
        return self.parcel + self.per_kg + self.per_km + self.handling


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    shipments: tuple[ShipmentCost, ...]
    split_penalty: float

    @property
    def total(self) -> float:
        return sum(s.total for s in self.shipments) + self.split_penalty

    def as_dict(self, location_codes: Mapping[int, str]) -> dict[str, Any]:
        def money(x: float) -> float:
            return round(x, 2)

        return {
            "shipping_per_parcel": money(sum(s.parcel for s in self.shipments)),
            "shipping_per_kg": money(sum(s.per_kg for s in self.shipments)),
            "shipping_per_km": money(sum(s.per_km for s in self.shipments)),
            "handling": money(sum(s.handling for s in self.shipments)),
            "split_penalty": money(self.split_penalty),
            "total": money(self.total),
            "shipments": [
                {"location": location_codes.get(s.location_id, str(s.location_id)), "weight_kg": round(s.weight_kg, 3),
                 "distance_km": s.distance_km, "parcel": money(s.parcel), "per_kg": money(s.per_kg),
                 "per_km": money(s.per_km), "handling": money(s.handling), "total": money(s.total)}
                for s in self.shipments
            ],
        }


def fixed_cost(c: Candidate, km: float | None, rates: RateCards) -> float:
    """What shipping anything at all from ``c``, ``km`` from the customer, costs: parcel, handling, distance
    and the split penalty."""
    card = rates.for_type(c.type)
    return card.per_parcel_minor + card.handling_minor + rates.split_penalty_minor + card.per_km_minor * (km or 0.0)


def unit_cost(c: Candidate, sku_id: int, ctx: OrderContext, rates: RateCards) -> float:
    """What one more unit of ``sku_id`` adds to a shipment from ``c`` (its weight)."""
    return rates.for_type(c.type).per_kg_minor * ctx.weight_kg(sku_id)


def shipment_cost(c: Candidate, units: Mapping[int, int], ctx: OrderContext, rates: RateCards) -> ShipmentCost:
    card = rates.for_type(c.type)
    km = distance_km(ctx.destination, c.latitude, c.longitude)
    kg = sum(ctx.weight_kg(sku) * qty for sku, qty in units.items())
    return ShipmentCost(c.location_id, card.per_parcel_minor, kg, card.per_kg_minor * kg, km,
                        card.per_km_minor * km if km is not None else 0.0, card.handling_minor)


def plan_cost(plan: Iterable[Allocation], ctx: OrderContext, candidates: Iterable[Candidate] | Mapping[int, Candidate],
              rates: RateCards) -> CostBreakdown:
    """The cost of shipping ``plan``: one parcel per location, plus a penalty per shipment after the first."""
    by_id = candidates if isinstance(candidates, Mapping) else {c.location_id: c for c in candidates}
    shipments = tuple(shipment_cost(by_id[location_id], units, ctx, rates)
                      for location_id, units in units_by_location(plan).items())
    return CostBreakdown(shipments, rates.split_penalty_minor * max(0, len(shipments) - 1))
