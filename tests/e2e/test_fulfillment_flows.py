"""Fulfillment over the API: ship, pickup, curbside, rejection and re-sourcing, holds and partial cancels."""

from __future__ import annotations

from typing import Any

from ordermesh.bootstrap import Ordermesh
from tests.support.checks import assert_ledger_agrees, problem, row_counts
from tests.support.network import HAMBURG, Api

PARCEL = {"carrier": "DHL", "tracking_number": "JJD0001"}


def step(api: Api, fo_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.post(f"/fulfillment-orders/{fo_id}/{action}", body))
    return result


def order_of(api: Api, order_id: str) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.get(f"/orders/{order_id}"))
    return result


def test_a_parcel_goes_from_accept_to_delivered(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 1)]), 201)
    fo = order["fulfillment_orders"][0]
    assert fo["status"] == "open" and fo["allowed_actions"] == ["accept", "reject", "cancel"]
    assert step(admin, fo["id"], "accept")["status"] == "accepted"
    assert order_of(admin, order["id"])["status"] == "in_fulfillment"
    step(admin, fo["id"], "pick")
    packed = step(admin, fo["id"], "pack")
    assert packed["status"] == "packed" and "ship" in packed["allowed_actions"]
    assert admin.position("TEE", "WH-1") | {"sku": "-"} == {"sku": "-", "location": "WH-1", "on_hand": 5,
                                                             "reserved": 2, "safety_stock": 0, "available": 3}
    shipped = step(admin, fo["id"], "ship", PARCEL)
    assert shipped["status"] == "shipped"
    assert shipped["details"]["carrier"] == "DHL" and shipped["details"]["tracking_number"] == "JJD0001"
    assert admin.position("TEE", "WH-1")["on_hand"] == 3 and admin.position("TEE", "WH-1")["reserved"] == 0
    assert admin.position("CAP", "WH-1")["on_hand"] == 4
    after_ship = order_of(admin, order["id"])
    assert after_ship["status"] == "fulfilled"
    assert [(x["fulfilled_quantity"], x["open_quantity"]) for x in after_ship["lines"]] == [(2, 0), (1, 0)]
    assert step(admin, fo["id"], "deliver")["status"] == "delivered"
    done = order_of(admin, order["id"])
    assert done["status"] == "completed"
    assert [e["type"] for e in done["timeline"]].count("order.status_changed") == 3
    assert admin.position("TEE", "WH-1")["on_hand"] == 3  # delivery moves no stock
    assert_ledger_agrees(om)


def test_shipping_needs_a_carrier_and_a_tracking_number(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    fo = admin.ok(admin.place([("TEE", 1)]), 201)["fulfillment_orders"][0]
    for action in ("accept", "pick", "pack"):
        step(admin, fo["id"], action)
    before = row_counts(om)
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/ship", {"carrier": "DHL"}), 422, "validation-error",
            "tracking_number")
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/ship"), 422, "validation-error", "carrier")
    assert row_counts(om) == before
    assert admin.position("TEE", "WH-1")["on_hand"] == 5


def test_a_parcel_cannot_be_made_ready_for_pickup(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    fo = admin.ok(admin.place([("TEE", 1)]), 201)["fulfillment_orders"][0]
    for action in ("accept", "pick", "pack"):
        step(admin, fo["id"], action)
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/ready"), 409, "illegal-transition", "action")
    step(admin, fo["id"], "ship", PARCEL)
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/cancel"), 409, "illegal-transition")
    problem(admin.post(f"/orders/{fo['order_id']}/cancel", {}), 409, "conflict")


def _ready_pickup(admin: Api, method: str = "pickup") -> tuple[dict[str, Any], dict[str, Any]]:
    admin.stock("TEE", "STORE-BER", 3)
    order = admin.ok(admin.place([("TEE", 2)], method=method, pickup="STORE-BER"), 201)
    fo = order["fulfillment_orders"][0]
    for action in ("accept", "pick", "pack"):
        step(admin, fo["id"], action)
    ready = step(admin, fo["id"], "ready")
    assert ready["status"] == "ready_for_pickup"
    return order, ready


def test_pickup_hands_over_only_with_the_right_code(admin: Api, network: Any, om: Ordermesh) -> None:
    order, fo = _ready_pickup(admin)
    code = fo["pickup_code"]
    wrong = "000000" if code != "000000" else "111111"
    refused = problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": wrong}), 422,
                      "pickup-code-rejected", "code")
    assert refused["attempts_left"] == 4
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {}), 422, "pickup-code-rejected", "code")
    assert admin.position("TEE", "STORE-BER")["on_hand"] == 3
    picked = step(admin, fo["id"], "pickup", {"code": code})
    assert picked["status"] == "picked_up"
    assert admin.position("TEE", "STORE-BER") | {"sku": "-"} == {"sku": "-", "location": "STORE-BER", "on_hand": 1,
                                                                  "reserved": 0, "safety_stock": 0, "available": 1}
    assert order_of(admin, order["id"])["status"] == "completed"
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": code}), 409, "illegal-transition")
    assert_ledger_agrees(om)


def test_five_wrong_codes_lock_the_pickup(admin: Api, network: Any) -> None:
    order, fo = _ready_pickup(admin)
    code = fo["pickup_code"]
    wrong = "000000" if code != "000000" else "111111"
    left = [problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": wrong}), 422,
                    "pickup-code-rejected")["attempts_left"] for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    locked = problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": code}), 422,
                     "pickup-code-rejected", "code")
    assert locked["locked"] is True
    assert order_of(admin, order["id"])["fulfillment_orders"][0]["status"] == "ready_for_pickup"
    assert admin.position("TEE", "STORE-BER")["on_hand"] == 3


def test_a_malformed_pickup_code_is_refused_without_counting(admin: Api, network: Any) -> None:
    _, fo = _ready_pickup(admin)
    for code in ("12345", "abcdef", "1234567"):
        problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": code}), 422, "validation-error",
                "code")
    wrong = "000000" if fo["pickup_code"] != "000000" else "111111"
    first_counted = problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": wrong}), 422,
                            "pickup-code-rejected")
    assert first_counted["attempts_left"] == 4


def test_curbside_records_the_arrival_spot_then_hands_over(admin: Api, network: Any) -> None:
    order, fo = _ready_pickup(admin, method="curbside")
    assert "arrive" in fo["allowed_actions"]
    arrived = step(admin, fo["id"], "arrive", {"spot": "P3"})
    assert arrived["status"] == "customer_arrived" and arrived["details"]["spot"] == "P3"
    assert order_of(admin, order["id"])["status"] == "in_fulfillment"
    picked = step(admin, fo["id"], "pickup", {"code": fo["pickup_code"]})
    assert picked["status"] == "picked_up"
    assert order_of(admin, order["id"])["status"] == "completed"
    assert admin.position("TEE", "STORE-BER")["on_hand"] == 1


def test_plain_pickup_has_no_curbside_arrival(admin: Api, network: Any) -> None:
    _, fo = _ready_pickup(admin)
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/arrive", {"spot": "P1"}), 409, "illegal-transition",
            "action")


def test_a_rejected_parcel_is_re_sourced_elsewhere_never_back_to_the_rejecting_store(
        admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("TEE", "STORE-HAM", 5)
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    berlin = order["fulfillment_orders"][0]
    assert berlin["location"] == "STORE-BER"
    step(admin, berlin["id"], "accept")
    rejected = step(admin, berlin["id"], "reject", {"reason": "not_found"})
    assert rejected["status"] == "rejected" and rejected["details"]["reject_reason"] == "not_found"
    after = order_of(admin, order["id"])
    assert after["status"] == "confirmed"
    new = [fo for fo in after["fulfillment_orders"] if fo["status"] == "open"]
    assert [(fo["location"], fo["lines"][0]["quantity"]) for fo in new] == [("STORE-HAM", 2)]
    history = after["sourcing"]["history"]
    assert [h["chosen"] for h in history] == [["STORE-BER"], ["STORE-HAM"]]
    assert history[1]["trigger"] == "rejected:not_found"
    assert after["sourcing"]["replaces"] == berlin["id"]
    why = {c["location"]: c for c in after["sourcing"]["candidates"]}
    assert "rejected" in why["STORE-BER"]["excluded"]
    assert admin.position("TEE", "STORE-BER")["reserved"] == 0
    assert admin.position("TEE", "STORE-HAM")["reserved"] == 2
    # "Not found" means the store's count was wrong: what it claimed to have is no longer offered.
    assert admin.position("TEE", "STORE-BER")["available"] == 0
    second = step(admin, new[0]["id"], "reject", {"reason": "damaged"})
    assert second["status"] == "rejected"
    final = order_of(admin, order["id"])
    assert final["status"] == "cancelled"
    assert final["lines"][0]["cancelled_quantity"] == 2
    assert admin.position("TEE", "STORE-HAM")["reserved"] == 0
    assert_ledger_agrees(om)


def test_not_found_also_moves_the_other_orders_waiting_at_that_store(admin: Api, network: Any,
                                                                    om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 6)
    admin.stock("TEE", "WH-1", 9)
    first = admin.ok(admin.place([("TEE", 2)]), 201)
    second = admin.ok(admin.place([("TEE", 1)]), 201)
    assert {fo["location"] for o in (first, second) for fo in o["fulfillment_orders"]} == {"STORE-BER"}
    step(admin, first["fulfillment_orders"][0]["id"], "reject", {"reason": "not_found"})
    assert admin.position("TEE", "STORE-BER") | {"sku": "-"} == {"sku": "-", "location": "STORE-BER", "on_hand": 0,
                                                                  "reserved": 0, "safety_stock": 0, "available": 0}
    for o in (first, second):
        moved = order_of(admin, o["id"])["fulfillment_orders"]
        assert [(fo["location"], fo["status"]) for fo in moved] == [("STORE-BER", "rejected"), ("WH-1", "open")]
    assert admin.position("TEE", "WH-1")["reserved"] == 3
    assert_ledger_agrees(om)


def test_other_rejection_reasons_leave_the_count_alone(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 6)
    admin.stock("TEE", "WH-1", 9)
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    step(admin, order["fulfillment_orders"][0]["id"], "reject", {"reason": "no_capacity"})
    assert admin.position("TEE", "STORE-BER")["available"] == 6


def test_a_rejection_with_no_stock_elsewhere_cancels_the_lines(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 3)
    admin.stock("CAP", "WH-1", 1)
    admin.stock("CAP", "STORE-HAM", 1)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 1)]), 201)
    fo = order["fulfillment_orders"][0]
    step(admin, fo["id"], "reject", {"reason": "no_capacity"})
    after = order_of(admin, order["id"])
    assert after["status"] == "cancelled"
    assert [x["cancelled_quantity"] for x in after["lines"]] == [2, 1]
    assert "order.lines_cancelled" in [e["type"] for e in after["timeline"]]
    assert admin.position("TEE", "WH-1")["reserved"] == 0 and admin.position("TEE", "WH-1")["on_hand"] == 3
    assert admin.position("CAP", "STORE-HAM")["reserved"] == 0
    assert_ledger_agrees(om)


def test_a_rejected_pickup_is_not_moved_to_another_store(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 2)
    admin.stock("TEE", "STORE-HAM", 9)
    order = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    step(admin, order["fulfillment_orders"][0]["id"], "reject", {"reason": "damaged"})
    after = order_of(admin, order["id"])
    assert after["status"] == "cancelled" and len(after["fulfillment_orders"]) == 1
    assert admin.position("TEE", "STORE-HAM")["reserved"] == 0


def test_a_manual_hold_stops_the_work_until_it_is_released(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    fo = order["fulfillment_orders"][0]
    held = admin.ok(admin.post(f"/orders/{order['id']}/holds", {"type": "manual", "reason": "address check"}), 201)
    assert held["status"] == "on_hold"
    hold = held["holds"][0]
    assert (hold["type"], hold["reason"], hold["released_at"]) == ("manual", "address check", None)
    before = row_counts(om)
    body = problem(admin.post(f"/fulfillment-orders/{fo['id']}/accept"), 409, "order-on-hold", "order_id")
    assert order["id"] in body["detail"]
    assert row_counts(om) == before
    released = admin.ok(admin.post(f"/orders/{order['id']}/holds/{hold['id']}/release"))
    assert released["status"] == "confirmed" and released["holds"][0]["released_at"] is not None
    problem(admin.post(f"/orders/{order['id']}/holds/{hold['id']}/release"), 409, "conflict", "hold_id")
    assert step(admin, fo["id"], "accept")["status"] == "accepted"


def test_several_holds_must_all_be_released(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    fo_id = order["fulfillment_orders"][0]["id"]
    admin.ok(admin.post(f"/orders/{order['id']}/holds", {"type": "fraud", "reason": "velocity"}), 201)
    both = admin.ok(admin.post(f"/orders/{order['id']}/holds", {"type": "manual", "reason": "call customer"}), 201)
    first, second = (h["id"] for h in both["holds"])
    assert admin.ok(admin.post(f"/orders/{order['id']}/holds/{first}/release"))["status"] == "on_hold"
    problem(admin.post(f"/fulfillment-orders/{fo_id}/accept"), 409, "order-on-hold")
    assert admin.ok(admin.post(f"/orders/{order['id']}/holds/{second}/release"))["status"] == "confirmed"


def test_a_held_order_can_still_be_cancelled_or_rejected(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    admin.ok(admin.post(f"/orders/{order['id']}/holds", {"type": "manual", "reason": "suspicious"}), 201)
    cancelled = step(admin, order["fulfillment_orders"][0]["id"], "cancel")
    assert cancelled["status"] == "cancelled"
    assert order_of(admin, order["id"])["status"] == "cancelled"
    assert admin.position("TEE", "WH-1")["reserved"] == 0


def test_cancelling_part_of_a_line_ships_only_the_rest(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 3), ("CAP", 2)]), 201)
    tee, cap = order["lines"]
    partly = admin.ok(admin.post(f"/orders/{order['id']}/cancel", {
        "lines": [{"line_id": tee["id"], "quantity": 1}, {"line_id": cap["id"], "quantity": 2}],
        "reason": "customer changed mind"}))
    assert partly["status"] == "confirmed"
    assert [(x["cancelled_quantity"], x["open_quantity"]) for x in partly["lines"]] == [(1, 2), (2, 0)]
    fo = partly["fulfillment_orders"][0]
    assert [(x["sku"], x["quantity"]) for x in fo["lines"]] == [("TEE", 2)]
    assert admin.position("TEE", "WH-1")["reserved"] == 2 and admin.position("CAP", "WH-1")["reserved"] == 0
    for action, body in (("accept", None), ("pick", None), ("pack", None), ("ship", PARCEL)):
        step(admin, fo["id"], action, body)
    shipped = order_of(admin, order["id"])
    assert shipped["status"] == "fulfilled"
    assert admin.position("TEE", "WH-1")["on_hand"] == 3 and admin.position("CAP", "WH-1")["on_hand"] == 5
    problem(admin.post(f"/orders/{order['id']}/cancel", {"lines": [{"line_id": tee["id"], "quantity": 1}]}), 409,
            "conflict")
    assert_ledger_agrees(om)


def test_a_split_order_is_partially_fulfilled_until_the_last_parcel_ships(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-HAM", 2)
    admin.stock("CAP", "WH-1", 3)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 3)], address=HAMBURG), 201)
    by_location = {fo["location"]: fo for fo in order["fulfillment_orders"]}
    assert set(by_location) == {"STORE-HAM", "WH-1"}
    for action, body in (("accept", None), ("pick", None), ("pack", None), ("ship", PARCEL)):
        step(admin, by_location["STORE-HAM"]["id"], action, body)
    assert order_of(admin, order["id"])["status"] == "partially_fulfilled"
    for action, body in (("accept", None), ("pick", None), ("pack", None), ("ship", PARCEL), ("deliver", None)):
        step(admin, by_location["WH-1"]["id"], action, body)
    assert order_of(admin, order["id"])["status"] == "fulfilled"
    step(admin, by_location["STORE-HAM"]["id"], "deliver")
    assert order_of(admin, order["id"])["status"] == "completed"


def test_one_sku_on_two_lines_is_split_and_shipped_line_by_line(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 3)
    admin.stock("TEE", "WH-1", 1)
    order = admin.ok(admin.place([("TEE", 2), ("TEE", 2)]), 201)
    first, second = (x["id"] for x in order["lines"])
    units = {(fo["location"], x["order_line_id"]): x["quantity"] for fo in order["fulfillment_orders"]
             for x in fo["lines"]}
    assert sum(units.values()) == 4 and units[("STORE-BER", first)] == 2
    assert admin.position("TEE", "STORE-BER")["reserved"] == 3 and admin.position("TEE", "WH-1")["reserved"] == 1
    for fo in order["fulfillment_orders"]:
        for action, body in (("accept", None), ("pick", None), ("pack", None), ("ship", PARCEL)):
            step(admin, fo["id"], action, body)
    shipped = order_of(admin, order["id"])
    assert shipped["status"] == "fulfilled"
    assert {x["id"]: x["fulfilled_quantity"] for x in shipped["lines"]} == {first: 2, second: 2}
    assert admin.position("TEE", "STORE-BER")["on_hand"] == 0 and admin.position("TEE", "WH-1")["on_hand"] == 0
    assert_ledger_agrees(om)


def test_every_transition_is_recorded_with_its_actor(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    fo = order["fulfillment_orders"][0]
    for action, body in (("accept", None), ("pick", None), ("pack", None), ("ship", PARCEL)):
        step(admin, fo["id"], action, body)
    timeline = order_of(admin, order["id"])["timeline"]
    moves = [(e["data"]["from"], e["data"]["to"]) for e in timeline if e["type"].startswith("fulfillment_order.")
             and e["type"] != "fulfillment_order.created"]
    assert moves == [("open", "accepted"), ("accepted", "picking"), ("picking", "packed"), ("packed", "shipped")]
    shipped = admin.ok(admin.get(f"/fulfillment-orders/{fo['id']}"))
    assert shipped["details"]["shipped_by"].startswith("key:")
