"""Ship-to-store and the stores that could serve a BOPIS order instead, on SQLite and PostgreSQL.

An order with ``delivery: {method: pickup, pickup_location, ship_to_store: true}`` is sourced from the
warehouses as a transfer to the store; a BOPIS order the store cannot serve is refused with the nearest
stores that could. Everything goes through the HTTP API.
"""

from __future__ import annotations

import uuid
from typing import Any

from ordermesh.adapters.db import catalogue
from ordermesh.bootstrap import Ordermesh
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.service.pickup import stores_that_can_serve
from tests.support.checks import assert_ledger_agrees, problem, set_safety_stock
from tests.support.network import Api
from tests.support.store import PARCEL, capacity_today, fos_at, ledger, order_of, step, walk

WAREHOUSE_NORTH = {"name": "North", "type": "warehouse", "latitude": 53.55, "longitude": 10.0,
                   "capabilities": ["ship"]}


def place_ship_to_store(api: Api, lines: list[tuple[str, int]], store_code: str, method: str = "pickup") -> str:
    """``delivery: {method, pickup_location, ship_to_store: true}`` through the API."""
    body = {"channel": "web", "external_id": f"STS-{uuid.uuid4().hex[:12]}", "currency": "EUR",
            "customer": {"email": "ana@example.com", "name": "Ana"},
            "lines": [{"sku": sku, "quantity": q, "unit_price": "10.00"} for sku, q in lines],
            "delivery": {"method": method, "pickup_location": store_code, "ship_to_store": True}}
    placed = api.ok(api.post("/orders", body), 201)
    assert placed["delivery"]["ship_to_store"] is True and placed["sourcing"]["ship_to_store"] == store_code
    return str(placed["id"])


def _position(api: Api, sku: str, location: str) -> tuple[int, int]:
    p = api.position(sku, location)
    return p["on_hand"], p["reserved"]


def test_ship_to_store_sends_a_transfer_that_makes_the_pickup_ready_on_arrival(
        admin: Api, network: Any, om: Ordermesh, key_for: Any) -> None:
    admin.ok(admin.put("/locations/WH-NORTH", WAREHOUSE_NORTH))
    admin.stock("TEE", "WH-1", 5)
    admin.stock("TEE", "WH-NORTH", 5)
    admin.stock("TEE", "STORE-BER", 9)  # a store never supplies a transfer
    order_id = place_ship_to_store(admin, [("TEE", 2)], "STORE-MUC")
    placed = order_of(admin, order_id)
    transfer = placed["fulfillment_orders"][0]
    assert (transfer["location"], transfer["method"], transfer["details"]) == ("WH-1", "transfer",
                                                                               {"transfer_to": "STORE-MUC"})
    assert "pickup_code" not in transfer and transfer["accept_by"] is not None
    assert _position(admin, "TEE", "WH-1") == (5, 2) and _position(admin, "TEE", "STORE-BER") == (9, 0)
    assert capacity_today(om, "WH-1", "ship") == (1, False)  # a transfer is shipping work for the warehouse
    why = {c["location"]: c for c in placed["sourcing"]["candidates"]}
    assert "warehouses" in why["STORE-BER"]["excluded"]

    step(admin, transfer["id"], "reject", {"reason": "no_capacity"})  # Kassel is full today: the North sends it
    moved = fos_at(order_of(admin, order_id), "WH-NORTH")[0]
    assert (moved["method"], moved["details"]["transfer_to"], moved["status"]) == ("transfer", "STORE-MUC", "open")
    assert _position(admin, "TEE", "WH-1") == (5, 0) and _position(admin, "TEE", "WH-NORTH") == (5, 2)
    assert capacity_today(om, "WH-1", "ship") == (0, True) and capacity_today(om, "WH-NORTH", "ship") == (1, False)

    walk(admin, moved["id"], "accept", "pick")
    step(admin, moved["id"], "pack", {"parcels": [{"weight_grams": 400}]})
    step(admin, moved["id"], "ship", PARCEL)
    assert _position(admin, "TEE", "WH-NORTH") == (3, 0)
    assert ledger(om, "TEE", "WH-NORTH")[-1] == ("transfer", -2, -2, "transfer to STORE-MUC")
    in_transit = order_of(admin, order_id)
    assert in_transit["status"] == "in_fulfillment" and in_transit["lines"][0]["fulfilled_quantity"] == 0

    munich = key_for("location", "STORE-MUC")
    assert munich.ok(munich.get(f"/fulfillment-orders/{moved['id']}"))["status"] == "shipped"
    problem(munich.post(f"/fulfillment-orders/{moved['id']}/cancel"), 403, "forbidden")
    received = step(munich, moved["id"], "deliver")
    assert received["status"] == "delivered"
    assert _position(admin, "TEE", "STORE-MUC") == (2, 2)  # on hand there, and held for this customer
    assert ledger(om, "TEE", "STORE-MUC")[-2:] == [("transfer", 2, 0, "ship-to-store transfer received"),
                                                   ("reserve", 0, 2, "ship-to-store transfer received")]
    ready = fos_at(order_of(admin, order_id), "STORE-MUC")[0]
    assert ready["id"] == received["details"]["pickup_fulfillment_order"]
    assert (ready["method"], ready["status"]) == ("pickup", "ready_for_pickup")
    assert ready["pickup_expires_at"] is not None and len(ready["pickup_code"]) == 6
    assert [x["quantity"] for x in ready["lines"]] == [2]
    step(munich, ready["id"], "pickup", {"code": ready["pickup_code"]})
    done = order_of(admin, order_id)
    assert done["status"] == "completed" and done["lines"][0]["fulfilled_quantity"] == 2
    assert _position(admin, "TEE", "STORE-MUC") == (0, 0)
    assert_ledger_agrees(om)


def test_cancelling_a_ship_to_store_order_before_it_leaves_puts_the_units_back_at_the_warehouse(
        admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    order_id = place_ship_to_store(admin, [("TEE", 3)], "STORE-MUC", method="curbside")
    walk(admin, order_of(admin, order_id)["fulfillment_orders"][0]["id"], "accept", "pick")
    cancelled = admin.ok(admin.post(f"/orders/{order_id}/cancel", {"reason": "changed mind"}))
    assert cancelled["status"] == "cancelled" and cancelled["fulfillment_orders"][0]["status"] == "cancelled"
    assert _position(admin, "TEE", "WH-1") == (5, 0)
    assert_ledger_agrees(om)


def test_stores_that_can_serve_are_the_nearest_with_the_whole_order(admin: Api, network: Any,
                                                                    om: Ordermesh) -> None:
    for sku, location, units in [("TEE", "STORE-HAM", 5), ("CAP", "STORE-HAM", 5), ("TEE", "STORE-BER", 5),
                                 ("CAP", "STORE-BER", 1), ("TEE", "WH-1", 50), ("CAP", "WH-1", 50),
                                 ("TEE", "STORE-MUC", 1)]:
        admin.stock(sku, location, units)

    def nearest(demand: dict[str, int], channel: str = "web", **options: Any) -> list[dict[str, Any]]:
        with om.uow.reading() as conn:
            ids = catalogue.ids_by_code(conn, "sku", list(demand))
            return stores_that_can_serve(conn, catalogue.get(conn, "channel", channel) or {},
                                         {ids[s]: q for s, q in demand.items()},
                                         catalogue.get(conn, "location", "STORE-MUC") or {}, **options)

    # Berlin lacks a second CAP; Kassel's warehouse does no pickups; Munich itself is the store that lacks it.
    assert nearest({"TEE": 2, "CAP": 2}) == [{"location": "STORE-HAM", "distance_km": 612.1}]
    assert nearest({"TEE": 2}) == [{"location": "STORE-BER", "distance_km": 504.3},
                                   {"location": "STORE-HAM", "distance_km": 612.1}]
    assert nearest({"TEE": 2}, limit=1) == [{"location": "STORE-BER", "distance_km": 504.3}]
    assert nearest({"TEE": 2}, method=DeliveryMethod.CURBSIDE) == nearest({"TEE": 2})
    set_safety_stock(om, "TEE", "STORE-BER", 4)  # what the channel may sell there is what counts
    assert [x["location"] for x in nearest({"TEE": 2})] == ["STORE-HAM"]
    admin.ok(admin.put("/channels/pos", {"name": "Tills", "type": "pos", "currency": "EUR", "buffer": 4,
                                         "location_codes": ["STORE-BER", "STORE-HAM", "STORE-MUC"]}))
    assert nearest({"TEE": 2}, channel="pos") == []  # its buffer holds back 4 of Hamburg's 5


def test_a_pickup_the_chosen_store_cannot_serve_is_refused_with_the_nearest_stores_that_can(
        admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-MUC", 1)
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("TEE", "STORE-HAM", 5)
    refused = admin.place([("TEE", 2)], method="pickup", pickup="STORE-MUC")
    body = problem(refused, 409, "insufficient-stock")
    assert body["nearest_stores"] == [{"location": "STORE-BER", "distance_km": 504.3},
                                      {"location": "STORE-HAM", "distance_km": 612.1}]
    assert admin.position("TEE", "STORE-MUC")["reserved"] == 0
