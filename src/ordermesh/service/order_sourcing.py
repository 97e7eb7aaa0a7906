"""Where a new order's units come from: the store or address it goes to, what a cart hold already covers,
and the sourcing decision for the rest (with the stores that could serve a refused pickup)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue
from ordermesh.adapters.db import inventory as stock
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InsufficientStock, InvalidInput
from ordermesh.domain.sourcing import Allocation
from ordermesh.service import pickup, reservations, sourcing
from ordermesh.service.commands import PlaceOrder


def source(conn: Connection, cmd: PlaceOrder, channel: Mapping[str, Any], demand: Mapping[int, int],
            method: DeliveryMethod, destination: tuple[float, float] | None, store: RowMapping | None,
            sku_codes: dict[int, str], facts: sourcing.OrderFacts) -> sourcing.Sourced:
    if store is not None and cmd.delivery.ship_to_store:
        return pickup.plan_ship_to_store(conn, channel, demand, store, sku_codes=sku_codes, facts=facts)
    try:
        return sourcing.decide(conn, channel, demand, method=method, destination=destination, sku_codes=sku_codes,
                               store=store, facts=facts)
    except InsufficientStock as short:
        if store is not None:  # tell the channel where else the customer could collect it
            short.extra["nearest_stores"] = pickup.stores_that_can_serve(conn, channel, demand, store, method=method)
        raise


def delivery_target(conn: Connection, cmd: PlaceOrder, channel: Mapping[str, Any],
                     method: DeliveryMethod) -> tuple[RowMapping | None, tuple[float, float] | None]:
    if method.at_chosen_store:
        if not cmd.delivery.pickup_location:
            raise InvalidInput(f"delivery.pickup_location is required for {method.value}",
                               field="delivery.pickup_location")
        store = catalogue.get(conn, "location", cmd.delivery.pickup_location)
        feeding = stock.feeding_locations(conn, channel_id=channel["id"], all_locations=channel["all_locations"],
                                          location_ids=[store["id"]] if store else [])
        if store is None or not feeding:
            raise InvalidInput(f"delivery.pickup_location: {cmd.delivery.pickup_location!r} is not an active "
                               f"location of channel {cmd.channel}", field="delivery.pickup_location")
        return store, None
    address = cmd.delivery.address
    if address is None:
        raise InvalidInput(f"delivery.address is required for {method.value}", field="delivery.address")
    if address.latitude is None or address.longitude is None:
        return None, None
    return None, (address.latitude, address.longitude)


def hold_share(conn: Connection, cmd: PlaceOrder, channel: Mapping[str, Any], demand: Mapping[int, int],
                store: RowMapping | None) -> tuple[list[Allocation], list[StockChange]]:
    """What a cart hold covers for this order (stays reserved) and what it held beyond (goes back)."""
    if cmd.reservation_id is None:
        return [], []
    need = dict(demand)
    used, surplus = [], []
    for x in reservations.peek(conn, channel["id"], cmd.reservation_id):
        fits = store is None or x["location_id"] == store["id"]
        take = min(x["quantity"], need.get(x["sku_id"], 0)) if fits else 0
        if take:
            used.append(Allocation(x["location_id"], x["sku_id"], take))
            need[x["sku_id"]] -= take
        if x["quantity"] > take:
            surplus.append(StockChange(x["sku_id"], x["location_id"], x["quantity"] - take))
    return used, surplus
