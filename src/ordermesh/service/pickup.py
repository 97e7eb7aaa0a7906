"""Pickup and curbside: the pickup code, the stores that could serve instead, and ship-to-store.

Ship-to-store: when the customer's store lacks stock, a warehouse sends the units there. The order then
has a fulfillment order at the warehouse with method ``transfer``; when the store receives it, the units
are on hand there and reserved for the order, and the store's pickup fulfillment order is ready at once.

Placement calls ``stores_that_can_serve`` for the 409 of a BOPIS order its store cannot fill, and
``plan_ship_to_store`` (with ``build_fulfillment_orders(..., transfer_to=store code)``) for an order that
asks for ship-to-store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import capacity, catalogue, outbox
from ordermesh.adapters.db import fulfillment as work
from ordermesh.adapters.db import orders as db
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.stock_moves import receive_reserved
from ordermesh.domain.catalogue import DeliveryMethod, LocationType
from ordermesh.domain.errors import PickupCodeRejected
from ordermesh.domain.fulfillment import (
    MAX_PICKUP_ATTEMPTS,
    FulfillmentMethod,
    FulfillmentPolicy,
    FulfillmentStatus,
    pickup_code_matches,
)
from ordermesh.domain.sourcing import haversine_km
from ordermesh.service import sourcing
from ordermesh.service.allocation import build_fulfillment_orders
from ordermesh.service.withdrawal import lines_of_fulfillment

Row = Mapping[Any, Any]
NEAREST_STORES = 3


def check_code(conn: Connection, fo: Row, code: str | None) -> PickupCodeRejected | None:
    """None when ``code`` is right; otherwise the refusal, with the wrong attempt already counted.

    The caller raises the refusal after committing, so that a wrong attempt stays counted; after
    MAX_PICKUP_ATTEMPTS wrong ones even the right code is refused until staff step in.
    """
    if fo["pickup_attempts"] >= MAX_PICKUP_ATTEMPTS:
        return PickupCodeRejected("code: too many wrong pickup codes; this pickup is locked, ask the customer "
                                  "for ID and contact support", field="code", locked=True, attempts_left=0)
    if pickup_code_matches(fo["pickup_code"], code):
        return None
    attempts = fo["pickup_attempts"] + 1
    db.update_fulfillment_order(conn, fo["id"], pickup_attempts=attempts)
    left = MAX_PICKUP_ATTEMPTS - attempts
    return PickupCodeRejected(f"code: wrong pickup code ({left} attempts left)", field="code", attempts_left=left,
                              locked=left == 0)


def stores_that_can_serve(conn: Connection, channel: Row, demand: Mapping[int, int], store: Row,
                          limit: int = NEAREST_STORES, *,
                          method: DeliveryMethod = DeliveryMethod.PICKUP) -> list[dict[str, Any]]:
    """The nearest other locations that could serve the whole of ``demand`` by ``method`` for ``channel``:
    ``[{location, distance_km}]`` from ``store``, nearest first (for the 409 of a BOPIS order)."""
    stock: dict[int, dict[int, int]] = defaultdict(dict)
    sites: dict[int, RowMapping] = {}
    for r in work.serving_stock(conn, channel, list(demand)):
        stock[r["location_id"]][r["sku_id"]] = r["sellable"]
        sites[r["location_id"]] = r
    found = []
    for location_id, units in stock.items():
        site = sites[location_id]
        if location_id == store["id"] or method.capability.value not in site["capabilities"]:
            continue
        if all(units.get(sku, 0) >= q for sku, q in demand.items()):
            km = haversine_km(store["latitude"], store["longitude"], site["latitude"], site["longitude"])
            found.append({"location": site["code"], "distance_km": round(km, 1)})
    found.sort(key=lambda x: (x["distance_km"], x["location"]))
    return found[:limit]


def transfer_exclusions(conn: Connection) -> dict[int, str]:
    """Ship-to-store transfers come from warehouses: every other location is excluded, saying why."""
    return {i: "ship-to-store transfers come from warehouses" for i, kind in work.location_types(conn).items()
            if kind != LocationType.WAREHOUSE}


def plan_ship_to_store(conn: Connection, channel: Row, demand: Mapping[int, int], store: Row, *,
                       sku_codes: Mapping[int, str], excluded: Mapping[int, str] | None = None,
                       facts: sourcing.OrderFacts | None = None) -> sourcing.Sourced:
    """The warehouses that send ``demand`` to ``store`` (decided on a snapshot; nothing reserved yet).

    Sourced under the channel's profile as shipments to the store's address. Raises InsufficientStock
    when no warehouse feeding the channel can.
    """
    return sourcing.decide(conn, channel, demand, method=DeliveryMethod.SHIP,
                           destination=(store["latitude"], store["longitude"]), sku_codes=sku_codes,
                           excluded={**transfer_exclusions(conn), **(excluded or {})}, facts=facts)


def receive_transfer(conn: Connection, order: Row, transfer: Row, policy: FulfillmentPolicy) -> str:
    """The transfer arrived: its units are on hand at the store, reserved for the order, and the store's
    pickup (or curbside) fulfillment order is ready for the customer. Returns that fulfillment order's id."""
    store = catalogue.get(conn, "location", transfer["details"]["transfer_to"])
    if store is None:
        raise RuntimeError(f"transfer {transfer['id']} names no known store")
    items = lines_of_fulfillment(conn, transfer["id"])
    receive_reserved(conn, [StockChange(x["sku_id"], store["id"], x["quantity"]) for x in items],
                     source=f"fulfillment:{transfer['id']}", reason="ship-to-store transfer received")
    method = FulfillmentMethod(order["delivery"]["method"])
    per_location = {store["id"]: [(x["order_line_id"], x["sku_id"], x["quantity"]) for x in items]}
    sku_codes = {x["sku_id"]: x["sku"] for x in items}
    fos, fo_lines, events = build_fulfillment_orders(order, method, per_location, {store["id"]: store["code"]},
                                                     sku_codes, policy=policy)
    now = utcnow()
    ready = fos[0] | {"status": FulfillmentStatus.READY_FOR_PICKUP.value, "accept_by": None,
                      "pickup_expires_at": policy.collect_by(now), "details": {"transfer": transfer["id"]}}
    db.insert_fulfillment(conn, [ready], fo_lines)
    # The store hands the units over; the day's load counts it, though it cannot refuse what arrived.
    capacity.take(conn, store["id"], method.value, capacity.day_of(now), None)
    base = {"order_id": order["id"], "channel_id": order["channel_id"], "location_id": store["id"]}
    outbox.append(conn, [*events, {"type": "fulfillment_order.ready_for_pickup", **base, "data": {
        "fulfillment_order_id": ready["id"], "order_id": order["id"], "from": "open",
        "to": FulfillmentStatus.READY_FOR_PICKUP.value, "reason": "transfer received"}},
        {"type": "inventory.transferred", **base, "data": {
            "fulfillment_order_id": transfer["id"], "to": store["code"],
            "items": [{"sku": x["sku"], "quantity": x["quantity"]} for x in items]}}])
    return str(ready["id"])
