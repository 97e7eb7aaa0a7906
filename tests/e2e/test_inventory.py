"""Inventory over the API: receipts, adjustments and counts; what each channel may sell; the ledger."""

from __future__ import annotations

from typing import Any

from ordermesh.bootstrap import Ordermesh
from tests.support.checks import assert_ledger_agrees, problem, row_counts, set_safety_stock
from tests.support.network import Api


def move(api: Api, sku: str, location: str, kind: str, quantity: int) -> dict[str, Any]:
    body = {"movements": [{"sku": sku, "location": location, "type": kind, "quantity": quantity}]}
    result: dict[str, Any] = api.ok(api.post("/inventory/movements", body), 201)["movements"][0]
    return result


def available(api: Api, channel: str, *skus: str) -> dict[str, dict[str, Any]]:
    items = api.ok(api.get("/availability", channel=channel, sku=list(skus)))["items"]
    return {x["sku"]: {"total": x["available"], **{loc["location"]: loc["available"] for loc in x["locations"]}}
            for x in items}


def test_receive_adds_adjust_adds_a_signed_delta_and_count_sets(admin: Api, network: Any, om: Ordermesh) -> None:
    received = move(admin, "TEE", "WH-1", "receive", 10)
    assert (received["delta"], received["on_hand"]) == (10, 10)
    assert move(admin, "TEE", "WH-1", "receive", 5)["on_hand"] == 15
    shrink = move(admin, "TEE", "WH-1", "adjust", -4)
    assert (shrink["delta"], shrink["on_hand"]) == (-4, 11)
    assert move(admin, "TEE", "WH-1", "adjust", 2)["on_hand"] == 13
    counted = move(admin, "TEE", "WH-1", "count", 7)
    assert (counted["delta"], counted["on_hand"]) == (-6, 7)
    assert move(admin, "TEE", "WH-1", "count", 7)["delta"] == 0
    assert admin.position("TEE", "WH-1") == {"sku": "TEE", "location": "WH-1", "on_hand": 7, "reserved": 0,
                                             "safety_stock": 0, "available": 7}
    assert_ledger_agrees(om)


def test_several_movements_in_one_request_apply_in_order(admin: Api, network: Any) -> None:
    body = {"movements": [{"sku": "TEE", "location": "WH-1", "type": "count", "quantity": 10},
                          {"sku": "TEE", "location": "WH-1", "type": "adjust", "quantity": -3},
                          {"sku": "CAP", "location": "STORE-BER", "type": "receive", "quantity": 2}]}
    result = admin.ok(admin.post("/inventory/movements", body), 201)["movements"]
    assert [m["on_hand"] for m in result] == [10, 7, 2]
    assert admin.position("TEE", "WH-1")["on_hand"] == 7


def test_stock_cannot_be_counted_or_adjusted_below_what_is_reserved(admin: Api, network: Any,
                                                                    om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.ok(admin.place([("TEE", 3)]), 201)
    before = row_counts(om)
    for kind, quantity in (("count", 2), ("adjust", -3), ("count", 0)):
        body = {"movements": [{"sku": "TEE", "location": "WH-1", "type": kind, "quantity": quantity}]}
        refused = problem(admin.post("/inventory/movements", body), 409, "conflict", "movements[0].quantity")
        assert refused["sku"] == "TEE" and refused["location"] == "WH-1" and "3 are reserved" in refused["detail"]
    assert row_counts(om) == before
    assert admin.position("TEE", "WH-1") | {"sku": "-"} == {"sku": "-", "location": "WH-1", "on_hand": 5,
                                                             "reserved": 3, "safety_stock": 0, "available": 2}
    assert move(admin, "TEE", "WH-1", "count", 3)["on_hand"] == 3  # down to exactly what is reserved is fine
    assert admin.position("TEE", "WH-1")["available"] == 0


def test_a_refused_movement_in_a_batch_undoes_the_ones_before_it(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.ok(admin.place([("TEE", 5)]), 201)
    before = row_counts(om)
    body = {"movements": [{"sku": "CAP", "location": "WH-1", "type": "receive", "quantity": 9},
                          {"sku": "TEE", "location": "WH-1", "type": "adjust", "quantity": -1}]}
    problem(admin.post("/inventory/movements", body), 409, "conflict", "movements[1].quantity")
    assert row_counts(om) == before
    assert admin.position("CAP", "WH-1")["on_hand"] == 0


def test_availability_is_stock_less_reservations_safety_stock_and_the_channel_buffer(admin: Api, network: Any,
                                                                                     om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 10)
    admin.stock("TEE", "STORE-BER", 6)
    admin.ok(admin.place([("TEE", 2)], address={"line1": "x", "city": "Kassel", "postal_code": "34117",
                                                "country": "DE", "latitude": 51.31, "longitude": 9.48}), 201)
    set_safety_stock(om, "TEE", "STORE-BER", 2)
    assert available(admin, "web", "TEE")["TEE"] == {"total": 12, "WH-1": 8, "STORE-BER": 4}
    admin.ok(admin.put("/channels/web", {"name": "Web", "type": "web", "currency": "EUR", "buffer": 3}))
    assert available(admin, "web", "TEE")["TEE"] == {"total": 6, "WH-1": 5, "STORE-BER": 1}
    admin.ok(admin.put("/channels/web", {"name": "Web", "type": "web", "currency": "EUR", "buffer": 5}))
    assert available(admin, "web", "TEE")["TEE"] == {"total": 3, "WH-1": 3, "STORE-BER": 0}  # never negative


def test_a_channel_cannot_take_what_its_buffer_holds_back(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    set_safety_stock(om, "TEE", "WH-1", 1)
    admin.ok(admin.put("/channels/web", {"name": "Web", "type": "web", "currency": "EUR", "buffer": 2}))
    problem(admin.place([("TEE", 3)]), 409, "insufficient-stock")
    admin.ok(admin.place([("TEE", 2)]), 201)
    assert admin.position("TEE", "WH-1")["reserved"] == 2


def test_a_channel_sees_only_the_locations_that_feed_it(admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 100)
    admin.stock("TEE", "STORE-HAM", 3)
    admin.stock("TEE", "STORE-MUC", 1)
    web = available(admin, "web", "TEE", "CAP")
    assert web["TEE"] == {"total": 104, "WH-1": 100, "STORE-HAM": 3, "STORE-MUC": 1}
    assert web["CAP"] == {"total": 0}
    pos = key_for("channel", "pos")
    assert available(pos, "pos", "TEE")["TEE"] == {"total": 4, "STORE-HAM": 3, "STORE-MUC": 1}
    problem(pos.place([("TEE", 5)], channel="pos", method="pickup", pickup="STORE-HAM"), 409, "insufficient-stock")


def test_a_channel_cannot_ship_from_a_location_that_does_not_feed_it(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 100)
    refused = problem(admin.place([("TEE", 1)], channel="pos"), 409, "insufficient-stock")
    assert refused["skus"] == ["TEE"]
    problem(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="WH-1"), 422, "validation-error",
            "delivery.pickup_location")


def test_a_deactivated_location_is_neither_counted_nor_sourced(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("TEE", "WH-1", 2)
    admin.ok(admin.post("/locations/STORE-BER/deactivate"))
    assert available(admin, "web", "TEE")["TEE"] == {"total": 2, "WH-1": 2}
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    assert [fo["location"] for fo in order["fulfillment_orders"]] == ["WH-1"]
    problem(admin.place([("TEE", 1)]), 409, "insufficient-stock")
    problem(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 422, "validation-error",
            "delivery.pickup_location")
    assert admin.position("TEE", "STORE-BER")["reserved"] == 0


def test_a_deactivated_sku_cannot_be_ordered(admin: Api, network: Any) -> None:
    admin.stock("MUG", "WH-1", 5)
    admin.ok(admin.post("/skus/MUG/deactivate"))
    problem(admin.place([("TEE", 1), ("MUG", 1)]), 422, "validation-error", "lines[1].sku")


def test_inventory_pages_through_every_position_once(admin: Api, network: Any) -> None:
    for sku in ("TEE", "CAP", "MUG"):
        for location in ("WH-1", "STORE-BER"):
            admin.stock(sku, location, 1)
    seen, cursor = [], None
    while True:
        page = admin.ok(admin.get("/inventory", limit=4, **({"cursor": cursor} if cursor else {})))
        seen += [(x["sku"], x["location"]) for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 6
    only_caps = admin.ok(admin.get("/inventory", sku="CAP"))["items"]
    assert {x["location"] for x in only_caps} == {"WH-1", "STORE-BER"} and {x["sku"] for x in only_caps} == {"CAP"}


def test_the_ledger_agrees_with_the_positions_after_a_busy_day(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 10)
    admin.stock("TEE", "STORE-BER", 4)
    admin.stock("CAP", "STORE-BER", 4)
    move(admin, "TEE", "WH-1", "receive", 5)
    move(admin, "TEE", "WH-1", "adjust", -2)
    shipped = admin.ok(admin.place([("TEE", 2), ("CAP", 1)]), 201)
    fo = shipped["fulfillment_orders"][0]
    for action, body in (("accept", None), ("pick", None), ("pack", None),
                         ("ship", {"carrier": "DHL", "tracking_number": "JJD1"})):
        admin.ok(admin.post(f"/fulfillment-orders/{fo['id']}/{action}", body))
    cancelled = admin.ok(admin.place([("TEE", 3)]), 201)
    admin.ok(admin.post(f"/orders/{cancelled['id']}/cancel", {}))
    hold = admin.ok(admin.post("/reservations", {"channel": "web", "lines": [{"sku": "TEE", "quantity": 2}]}), 201)
    admin.ok(admin.delete(f"/reservations/{hold['id']}"), 204)
    admin.ok(admin.post("/reservations", {"channel": "web", "lines": [{"sku": "CAP", "quantity": 1}]}), 201)
    move(admin, "TEE", "STORE-BER", "count", 1)
    assert admin.position("TEE", "STORE-BER") | {"available": 0} == {
        "sku": "TEE", "location": "STORE-BER", "on_hand": 1, "reserved": 0, "safety_stock": 0, "available": 0}
    assert admin.position("CAP", "STORE-BER")["on_hand"] == 3
    assert_ledger_agrees(om)
