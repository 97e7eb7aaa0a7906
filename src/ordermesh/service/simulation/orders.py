"""A seeded stream of orders for a simulated network: realistic baskets, customers and delivery choices.

Everything an order placement needs is in a ``SimOrder``; the same network and seed always give the
same stream, so two sourcing profiles can be compared on identical demand.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Generic, TypeVar

from ordermesh.domain.catalogue import ChannelType, DeliveryMethod
from ordermesh.domain.errors import InvalidInput
from ordermesh.service.simulation.assortment import SimSku
from ordermesh.service.simulation.network import Network, SimCustomer, SimLocation, draw_customer

DEFAULT_DELIVERY_MIX: Mapping[str, float] = {"ship": 0.7, "pickup": 0.2, "curbside": 0.1}
# Store tills (pos) are left out: an in-store sale is not an order to source.
DEFAULT_CHANNEL_MIX: Mapping[str, float] = {"web": 0.6, "app": 0.4}
# The channels the stream uses, code → ChannelType value, for the runner to create.
SIM_CHANNELS: Mapping[str, str] = {"web": ChannelType.WEB.value, "app": ChannelType.MOBILE.value}
# Most baskets hold one line, some two or three, a few up to eight (mean ≈ 1.73).
LINES_PER_ORDER: Mapping[int, float] = {1: 0.62, 2: 0.20, 3: 0.10, 4: 0.035, 5: 0.02, 6: 0.012, 7: 0.008, 8: 0.005}
QUANTITY_PER_LINE: Mapping[int, float] = {1: 0.86, 2: 0.10, 3: 0.04}
# Someone who collects in store lives near one: a pickup customer is redrawn until a store is this close.
PICKUP_REACH_KM = 80.0
PICKUP_REDRAWS = 25
POSTAL_CODE_PLACEHOLDER = "00000"
T = TypeVar("T")
STREETS = ("Main Street", "Oak Avenue", "Maple Drive", "Park Road", "Market Street", "Elm Street", "Lake View")


@dataclass(frozen=True, slots=True)
class SimLine:
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class SimAddress:
    line1: str
    city: str
    region: str
    postal_code: str
    country: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class SimOrder:
    external_id: str
    channel: str
    currency: str
    customer_email: str
    lines: tuple[SimLine, ...]
    method: str  # a DeliveryMethod value
    pickup_location: str | None  # the chosen store's code, for pickup and curbside
    address: SimAddress

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


class _Weighted(Generic[T]):
    """Draws one of the keys by weight in O(log n)."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise InvalidInput("a mix needs at least one positive weight and no negative ones", field="mix")
        self.values = list(weights)
        self.cumulative = list(accumulate(weights.values()))

    def draw(self, rng: random.Random) -> T:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


class _Stream:
    """The state of one generation run: the network, the random source and the prepared mixes."""

    def __init__(self, network: Network, seed: int, delivery_mix: Mapping[str, float],
                 channel_mix: Mapping[str, float]) -> None:
        unknown = sorted(set(delivery_mix) - {m.value for m in DeliveryMethod})
        if unknown:
            raise InvalidInput(f"unknown delivery methods in the mix: {', '.join(unknown)}", field="delivery_mix")
        self.network, self.seed = network, seed
        self.rng = random.Random(f"orders:{seed}")
        self.methods, self.channels = _Weighted(delivery_mix), _Weighted(channel_mix)
        self.line_counts, self.quantities = _Weighted(LINES_PER_ORDER), _Weighted(QUANTITY_PER_LINE)
        self.skus = network.skus
        self.sku_cumulative = list(accumulate(sku.popularity for sku in network.skus))

    def order(self, number: int) -> SimOrder:
        method = self.methods.draw(self.rng)
        customer, store = self._customer(method)
        return SimOrder(
            external_id=f"SIM-{self.seed}-{number:06d}",
            channel=self.channels.draw(self.rng),
            currency=self.network.currency,
            customer_email=f"customer-{self.seed}-{number:06d}@example.com",
            lines=self._lines(),
            method=method,
            pickup_location=store.code if store else None,
            address=self._address(customer),
        )

    def _customer(self, method: str) -> tuple[SimCustomer, SimLocation | None]:
        customer = draw_customer(self.rng, self.network.country)
        delivery = DeliveryMethod(method)
        if not delivery.at_chosen_store:
            return customer, None
        capability = delivery.capability.value
        store, km = self.network.nearest_store(customer.latitude, customer.longitude, capability)
        for _ in range(PICKUP_REDRAWS):
            if km <= PICKUP_REACH_KM:
                break
            customer = draw_customer(self.rng, self.network.country)
            store, km = self.network.nearest_store(customer.latitude, customer.longitude, capability)
        return customer, store

    def _lines(self) -> tuple[SimLine, ...]:
        wanted = min(self.line_counts.draw(self.rng), len(self.skus))
        chosen: list[SimSku] = []
        while len(chosen) < wanted:  # distinct SKUs, each drawn by popularity
            sku = self.rng.choices(self.skus, cum_weights=self.sku_cumulative)[0]
            if sku not in chosen:
                chosen.append(sku)
        return tuple(SimLine(sku.code, 1 if sku.bulky else self.quantities.draw(self.rng), sku.unit_price_minor)
                     for sku in chosen)

    def _address(self, customer: SimCustomer) -> SimAddress:
        line1 = f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        return SimAddress(line1, customer.city, customer.region, POSTAL_CODE_PLACEHOLDER, customer.country,
                          customer.latitude, customer.longitude)


def generate_orders(network: Network, n: int, seed: int, *,
                    delivery_mix: Mapping[str, float] = DEFAULT_DELIVERY_MIX,
                    channel_mix: Mapping[str, float] = DEFAULT_CHANNEL_MIX) -> list[SimOrder]:
    """``n`` orders, identical for the same network and seed."""
    if n < 0:
        raise InvalidInput(f"the number of orders must not be negative, not {n}", field="n")
    stream = _Stream(network, seed, delivery_mix, channel_mix)
    return [stream.order(number) for number in range(1, n + 1)]

