"""Placing orders over the HTTP API: stock moves, sourcing picks locations, bad input writes nothing."""

from __future__ import annotations

from typing import Any

from tests.support.network import HAMBURG, Api


def test_a_ship_order_reserves_at_the_nearest_location_that_has_everything(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("TEE", "STORE-HAM", 5)
    admin.stock("CAP", "STORE-HAM", 5)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 1)]), 201)

    assert order["status"] == "confirmed"
    assert [fo["location"] for fo in order["fulfillment_orders"]] == ["STORE-HAM"]  # one parcel beats nearer split
    assert admin.position("TEE", "STORE-HAM")["reserved"] == 2
    assert admin.position("TEE", "STORE-BER")["reserved"] == 0
    assert order["totals"] == {"subtotal": "30.00", "discount": "0.00", "shipping": "0.00", "tax": "0.00",
                               "total": "30.00", "currency": "EUR"}
    assert order["sourcing"]["strategy"] == "fewest_splits_then_nearest"
    assert (order["sourcing"]["profile"], order["sourcing"]["profile_version"]) == ("built-in", None)


def test_nearest_wins_between_locations_that_can_each_fill_the_order(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("TEE", "STORE-HAM", 5)
    near_hamburg = admin.ok(admin.place([("TEE", 1)], address=HAMBURG), 201)
    assert near_hamburg["fulfillment_orders"][0]["location"] == "STORE-HAM"


def test_an_order_is_split_only_when_no_single_location_can_fill_it(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 2)
    admin.stock("CAP", "WH-1", 3)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 3)]), 201)
    assert sorted(fo["location"] for fo in order["fulfillment_orders"]) == ["STORE-BER", "WH-1"]


def test_pickup_reserves_only_at_the_chosen_store_and_carries_a_code(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 50)
    admin.stock("TEE", "STORE-MUC", 1)
    order = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-MUC"), 201)
    fo = order["fulfillment_orders"][0]
    assert fo["location"] == "STORE-MUC" and len(fo["pickup_code"]) == 6
    refused = admin.place([("TEE", 1)], method="pickup", pickup="STORE-MUC")
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("insufficient-stock") and refused.json()["skus"] == ["TEE"]
    assert admin.position("TEE", "WH-1")["reserved"] == 0


def test_insufficient_stock_names_every_short_sku_and_writes_nothing(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 1)
    response = admin.place([("TEE", 2), ("CAP", 2), ("MUG", 1)])
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("insufficient-stock")
    assert problem["skus"] == ["CAP", "MUG"]
    assert admin.position("TEE", "WH-1")["reserved"] == 0
    assert admin.ok(admin.get("/orders"))["items"] == []


def test_order_status_follows_cancellation_of_every_line(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 3)]), 201)
    line = order["lines"][0]["id"]
    partly = admin.ok(admin.post(f"/orders/{order['id']}/cancel", {"lines": [{"line_id": line, "quantity": 1}]}))
    assert partly["status"] == "confirmed" and partly["lines"][0]["cancelled_quantity"] == 1
    assert admin.position("TEE", "WH-1")["reserved"] == 2
    cancelled = admin.ok(admin.post(f"/orders/{order['id']}/cancel", {"reason": "customer asked"}))
    assert cancelled["status"] == "cancelled"
    assert cancelled["fulfillment_orders"][0]["status"] == "cancelled"
    assert admin.position("TEE", "WH-1") | {"reserved": 0} == admin.position("TEE", "WH-1")
    again = admin.post(f"/orders/{order['id']}/cancel", {})
    assert again.status_code == 409


def test_the_order_shows_its_timeline(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    admin.ok(admin.post(f"/orders/{order['id']}/cancel", {}))
    shown = admin.ok(admin.get(f"/orders/{order['id']}"))
    types = [e["type"] for e in shown["timeline"]]
    assert types[:3] == ["order.created", "inventory.reserved", "fulfillment_order.created"]
    assert "order.cancelled" in types and types[-1] == "order.status_changed"
