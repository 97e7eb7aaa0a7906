"""Running a simulated order stream through the real service layer under one sourcing profile.

Each run gets a database of its own (SQLite in a temporary directory by default), seeded with the
reference network, with the profile under test assigned to every channel; then the orders are placed
one by one exactly as the API would place them — the same validation, sourcing, capacity booking and
reservations — and each outcome is read back from what was stored. Two runs over the same seeds differ
only by the profile, which is what a side-by-side comparison needs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ordermesh.adapters.db import capacity, migrate
from ordermesh.adapters.db import catalogue as db_catalogue
from ordermesh.adapters.db.engine import make_engine
from ordermesh.domain.errors import DomainError, InsufficientStock
from ordermesh.domain.money import format_amount
from ordermesh.domain.sourcing import haversine_km
from ordermesh.service import catalogue, inventory, ordering, profiles
from ordermesh.service.access import Principal, Role
from ordermesh.service.candidates import today
from ordermesh.service.commands import (
    Address,
    Customer,
    Delivery,
    Movement,
    OrderLineInput,
    PlaceOrder,
    RecordMovements,
    UpsertChannel,
    UpsertLocation,
    UpsertSku,
)
from ordermesh.service.simulation.network import Network, SimLocation
from ordermesh.service.simulation.orders import SIM_CHANNELS, SimOrder
from ordermesh.service.simulation.report import Outcome, Shipment
from ordermesh.service.unit_of_work import UnitOfWork

SIMULATOR = Principal("simulator", Role.ADMIN)
PROFILE_CODE = "under-test"


@contextmanager
def simulation_database() -> Iterator[UnitOfWork]:
    """A fresh, migrated SQLite database that disappears afterwards."""
    with tempfile.TemporaryDirectory(prefix="ordermesh-sim-") as root:
        url = f"sqlite:///{Path(root) / 'simulation.db'}"
        migrate.upgrade(url)
        engine = make_engine(url, pool_size=2)
        try:
            yield UnitOfWork(engine)
        finally:
            engine.dispose()


def run(network: Network, orders: Sequence[SimOrder], profile: Mapping[str, Any] | None,
        advance: Callable[[int], None] | None = None) -> list[Outcome]:
    """Place ``orders`` under ``profile`` (None: the built-in one) on a fresh copy of ``network``."""
    with simulation_database() as uow:
        seed_network(uow, network, profile)
        sites = {x.code: x for x in network.locations}
        outcomes = []
        for order in orders:
            outcomes.append(place(uow, order, sites))
            if advance:
                advance(1)
        return outcomes


def seed_network(uow: UnitOfWork, network: Network, profile: Mapping[str, Any] | None) -> None:
    for x in network.locations:
        catalogue.upsert_location(uow, SIMULATOR, UpsertLocation(
            x.code, x.name, x.type, x.latitude, x.longitude, list(x.capabilities), None, x.country,
            dict(x.daily_capacity), region=x.region))
    for sku in network.skus:
        catalogue.upsert_sku(uow, SIMULATOR, UpsertSku(sku.code, sku.name, sku.weight_grams, list(sku.tags)))
    if profile is not None:
        profiles.save(uow, SIMULATOR, PROFILE_CODE, profile)
    for code, kind in SIM_CHANNELS.items():
        catalogue.upsert_channel(uow, SIMULATOR, UpsertChannel(
            code, code.title(), kind, network.currency, sourcing_profile=PROFILE_CODE if profile is not None else None))
    movements = [Movement(sku, x.code, "count", units, "simulation")
                 for x in network.locations for sku, units in x.stock.items() if units > 0]
    for start in range(0, len(movements), 500):
        with uow.writing() as conn:
            inventory.record_movements(conn, SIMULATOR, RecordMovements(movements[start:start + 500], "simulation"))


def place(uow: UnitOfWork, order: SimOrder, sites: Mapping[str, SimLocation]) -> Outcome:
    units = sum(x.quantity for x in order.lines)
    try:
        outcome = ordering.place(uow, SIMULATOR, _command(order), None, "")
    except DomainError as exc:
        return Outcome(order.external_id, False, _reason(exc), (), 0, None, False, units, 0)
    body = outcome.body
    to = order.address
    shipments = tuple(Shipment(fo["location"], round(haversine_km(
        to.latitude, to.longitude, sites[fo["location"]].latitude, sites[fo["location"]].longitude), 3))
        for fo in body["fulfillment_orders"])
    cost = (body.get("sourcing") or {}).get("cost") or {}
    allocated = sum(x["quantity"] for fo in body["fulfillment_orders"] for x in fo["lines"])
    return Outcome(order.external_id, True, None, shipments, len(shipments), cost.get("total"),
                   _over_capacity(uow, body["fulfillment_orders"], sites), units, allocated)


def _over_capacity(uow: UnitOfWork, fos: Sequence[Mapping[str, Any]], sites: Mapping[str, SimLocation]) -> bool:
    """Whether a location this order went to now counts more fulfillment orders today than its daily
    capacity: read back from what was booked, so a booking that slipped past its limit shows up."""
    with uow.reading() as conn:
        ids = db_catalogue.ids_by_code(conn, "location", [fo["location"] for fo in fos], active_only=False)
        for fo in fos:
            method = "ship" if fo["method"] == "transfer" else fo["method"]  # a transfer uses ship capacity
            limit = sites[fo["location"]].daily_capacity.get(method)
            used, _ = capacity.day_at(conn, ids[fo["location"]], today()).get(method, (0, False))
            if limit is not None and used > limit:
                return True
    return False


def _reason(exc: DomainError) -> str:
    if isinstance(exc, InsufficientStock):
        reasons = sorted(set((exc.extra.get("reasons") or {}).values()))
        return reasons[0] if len(reasons) == 1 else (", ".join(reasons) or exc.slug)
    return exc.slug


def _command(order: SimOrder) -> PlaceOrder:
    a = order.address
    return PlaceOrder(
        channel=order.channel, external_id=order.external_id, currency=order.currency,
        customer=Customer(order.customer_email),
        lines=[OrderLineInput(x.sku, x.quantity, format_amount(x.unit_price_minor, order.currency))
               for x in order.lines],
        delivery=Delivery(order.method, Address(a.line1, a.city, a.postal_code, a.country, a.latitude, a.longitude,
                                                a.region), order.pickup_location))
