"""Store fulfillment over the API on SQLite and PostgreSQL: ship from store with parcels, BOPIS codes and
no-show expiry, curbside arrival, the pick list, and bad input that must write nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ordermesh.bootstrap import Ordermesh
from ordermesh.service.fulfillment_sweep import SweepReport, sweep
from tests.support.checks import assert_ledger_agrees, problem, row_counts
from tests.support.network import Api
from tests.support.store import ledger, order_of, parse, step, walk


def test_a_store_ships_an_order_with_parcels_from_accept_to_delivered(admin: Api, network: Any, om: Ordermesh,
                                                                      key_for: Any) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("CAP", "STORE-BER", 2)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 1)]), 201)
    fo = order["fulfillment_orders"][0]
    assert (fo["location"], fo["method"], fo["status"]) == ("STORE-BER", "ship", "open")
    assert parse(fo["due_at"]) - parse(fo["created_at"]) == timedelta(hours=24)
    assert parse(fo["accept_by"]) - parse(fo["created_at"]) == timedelta(minutes=120)
    tee, cap = (x["id"] for x in order["lines"])
    store = key_for("location", "STORE-BER")
    walk(store, fo["id"], "accept", "pick")
    parcels = [{"weight_grams": 450, "items": [{"line_id": tee, "quantity": 2}]},
               {"weight_grams": 210, "items": [{"line_id": cap, "quantity": 1}]}]
    packed = step(store, fo["id"], "pack", {"parcels": parcels})
    assert packed["status"] == "packed" and packed["allowed_actions"] == ["ship", "cancel"]
    assert packed["details"]["parcels"] == [
        {"weight_grams": 450, "items": [{"order_line_id": tee, "quantity": 2}]},
        {"weight_grams": 210, "items": [{"order_line_id": cap, "quantity": 1}]}]
    assert admin.position("TEE", "STORE-BER")["reserved"] == 2  # packing moves no stock
    shipped = step(store, fo["id"], "ship", {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert (shipped["details"]["carrier"], shipped["details"]["tracking_number"]) == ("UPS", "1Z999AA10123456784")
    assert shipped["details"]["parcels"] == packed["details"]["parcels"]  # later steps keep what packing said
    assert admin.position("TEE", "STORE-BER") | {"sku": "-"} == {"sku": "-", "location": "STORE-BER", "on_hand": 3,
                                                                  "reserved": 0, "safety_stock": 0, "available": 3}
    assert admin.position("CAP", "STORE-BER")["on_hand"] == 1
    assert ledger(om, "TEE", "STORE-BER")[-1] == ("issue", -2, -2, None)
    assert order_of(admin, order["id"])["status"] == "fulfilled"
    assert step(store, fo["id"], "deliver")["status"] == "delivered"
    assert order_of(admin, order["id"])["status"] == "completed"
    assert_ledger_agrees(om)


def test_packing_refuses_impossible_parcels_and_writes_nothing(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 1)]), 201)
    fo_id, (tee, _) = order["fulfillment_orders"][0]["id"], (x["id"] for x in order["lines"])
    walk(admin, fo_id, "accept", "pick")
    before = row_counts(om)
    for parcels, field in [
        ([{"weight_grams": -5}], "parcels[0].weight_grams"),
        ([{"weight_grams": 0}], "parcels[0].weight_grams"),
        ([{"weight_grams": 100}, {"weight_grams": "heavy"}], "parcels[1].weight_grams"),
        ([], "parcels"),
        ([{"weight_grams": 100, "items": [{"line_id": "oln_nope", "quantity": 1}]}], "parcels[0].items[0].line_id"),
        ([{"weight_grams": 100, "items": [{"line_id": tee, "quantity": 3}]}], "parcels[0].items[0].quantity"),
        ([{"weight_grams": 100, "items": [{"line_id": tee, "quantity": 2}]}], "parcels"),  # the CAP is in none
    ]:
        problem(admin.post(f"/fulfillment-orders/{fo_id}/pack", {"parcels": parcels}), 422, "validation-error", field)
    assert row_counts(om) == before
    still = admin.ok(admin.get(f"/fulfillment-orders/{fo_id}"))
    assert still["status"] == "picking" and "parcels" not in still["details"]


def test_bad_input_on_fulfillment_actions_names_the_field_and_writes_nothing(admin: Api, network: Any,
                                                                            om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 2), ("CAP", 1)]), 201)
    fo_id, tee = order["fulfillment_orders"][0]["id"], order["lines"][0]["id"]
    before = row_counts(om)
    post = lambda action, body=None: admin.post(f"/fulfillment-orders/{fo_id}/{action}", body)  # noqa: E731
    problem(post("pack"), 409, "illegal-transition", "action")
    problem(post("ship", {"carrier": "DHL", "tracking_number": "1"}), 409, "illegal-transition", "action")
    problem(post("teleport"), 422, "validation-error", "action")
    problem(post("reject"), 422, "validation-error", "reason")
    problem(post("reject", {"reason": "lost_interest"}), 422, "validation-error", "reason")
    problem(post("reject", {"reason": "damaged", "skus": ["MUG"]}), 422, "validation-error", "skus[0]")
    assert row_counts(om) == before
    step(admin, fo_id, "accept")
    before = row_counts(om)
    for lines, field in [
        ([{"line_id": "oln_nope", "quantity_found": 1}], "lines[0].line_id"),
        ([{"line_id": tee, "quantity_found": 3}], "lines[0].quantity_found"),
        ([{"line_id": tee, "quantity_found": -1}], "lines[0].quantity_found"),
        ([{"line_id": tee, "quantity_found": 1}, {"line_id": tee, "quantity_found": 1}], "lines[1].line_id"),
        ([{"line_id": tee, "quantity_found": 0}, {"line_id": order["lines"][1]["id"], "quantity_found": 0}],
         "lines"),  # nothing at all was found: that is a rejection, not a pick
        ([{"line": tee, "quantity_found": 1}], "lines[0].line_id"),
    ]:
        problem(post("pick", {"lines": lines}), 422, "validation-error", field)
    assert row_counts(om) == before
    assert admin.ok(admin.get(f"/fulfillment-orders/{fo_id}"))["status"] == "accepted"
    assert admin.position("TEE", "WH-1") | {"sku": "-"} == {"sku": "-", "location": "WH-1", "on_hand": 5,
                                                             "reserved": 2, "safety_stock": 0, "available": 3}
    walk(admin, fo_id, "pick", "pack")
    problem(post("ship", {"carrier": "DHL"}), 422, "validation-error", "tracking_number")
    problem(post("ship", {"carrier": "DHL", "tracking_number": ""}), 422, "validation-error", "tracking_number")
    problem(post("arrive", {"spot": "P1"}), 409, "illegal-transition", "action")
    assert admin.position("TEE", "WH-1")["on_hand"] == 5


def _ready(admin: Api, method: str = "pickup", units: int = 2, on_hand: int = 3) -> tuple[dict[str, Any],
                                                                                         dict[str, Any]]:
    admin.stock("TEE", "STORE-BER", on_hand)
    order = admin.ok(admin.place([("TEE", units)], method=method, pickup="STORE-BER"), 201)
    fo = walk(admin, order["fulfillment_orders"][0]["id"], "accept", "pick", "pack", "ready")
    assert fo["status"] == "ready_for_pickup" and fo["accept_by"] is None
    return order, fo


def test_a_wrong_code_is_counted_too_many_lock_the_pickup_and_a_no_show_expires_and_restocks(
        admin: Api, network: Any, om: Ordermesh, key_for: Any) -> None:
    order, fo = _ready(admin)
    ready_at, expires = parse(fo["updated_at"]), parse(fo["pickup_expires_at"])
    assert abs(expires - ready_at - timedelta(days=3)) < timedelta(seconds=5)
    store = key_for("location", "STORE-BER")
    assert "pickup_code" not in store.ok(store.get(f"/fulfillment-orders/{fo['id']}"))  # the store never sees it
    wrong = "000000" if fo["pickup_code"] != "000000" else "111111"
    left = [problem(store.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": wrong}), 422,
                    "pickup-code-rejected", "code")["attempts_left"] for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    locked = problem(store.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": fo["pickup_code"]}), 422,
                     "pickup-code-rejected", "code")
    assert locked["locked"] is True
    assert admin.position("TEE", "STORE-BER")["reserved"] == 2 and admin.position("TEE", "STORE-BER")["on_hand"] == 3
    assert sweep(om.uow, om.fulfillment_policy, now=expires - timedelta(minutes=1)) == SweepReport(0, 0)
    assert sweep(om.uow, om.fulfillment_policy, now=expires + timedelta(minutes=1)) == SweepReport(0, 1)
    after = order_of(admin, order["id"])
    assert after["fulfillment_orders"][0]["status"] == "expired" and after["status"] == "cancelled"
    assert [(x["cancelled_quantity"], x["open_quantity"]) for x in after["lines"]] == [(2, 0)]
    assert admin.position("TEE", "STORE-BER") | {"sku": "-"} == {"sku": "-", "location": "STORE-BER", "on_hand": 3,
                                                                  "reserved": 0, "safety_stock": 0, "available": 3}
    assert ledger(om, "TEE", "STORE-BER")[-1] == ("release", 0, -2, "pickup_expired")
    cancelled = [e for e in after["timeline"] if e["type"] == "order.lines_cancelled"]
    assert [e["data"]["reason"] for e in cancelled] == ["pickup_expired"]
    assert sweep(om.uow, om.fulfillment_policy, now=expires + timedelta(days=1)) == SweepReport(0, 0)
    problem(admin.post(f"/fulfillment-orders/{fo['id']}/pickup", {"code": fo["pickup_code"]}), 409,
            "illegal-transition")
    assert_ledger_agrees(om)


def test_a_collected_pickup_never_expires(admin: Api, network: Any, om: Ordermesh) -> None:
    order, fo = _ready(admin)
    step(admin, fo["id"], "pickup", {"code": fo["pickup_code"]})
    assert sweep(om.uow, om.fulfillment_policy, now=parse(fo["pickup_expires_at"]) + timedelta(days=1)).expired == 0
    assert order_of(admin, order["id"])["status"] == "completed"
    assert admin.position("TEE", "STORE-BER") | {"sku": "-"} == {"sku": "-", "location": "STORE-BER", "on_hand": 1,
                                                                  "reserved": 0, "safety_stock": 0, "available": 1}


def test_curbside_arrival_needs_a_spot_which_the_store_then_sees(admin: Api, network: Any, key_for: Any,
                                                                  om: Ordermesh) -> None:
    order, fo = _ready(admin, method="curbside")
    store = key_for("location", "STORE-BER")
    before = row_counts(om)
    problem(store.post(f"/fulfillment-orders/{fo['id']}/arrive"), 422, "validation-error", "spot")
    problem(store.post(f"/fulfillment-orders/{fo['id']}/arrive", {"spot": ""}), 422, "validation-error", "spot")
    assert row_counts(om) == before
    arrived = step(store, fo["id"], "arrive", {"spot": "Bay 4"})
    assert arrived["status"] == "customer_arrived" and arrived["details"]["spot"] == "Bay 4"
    assert parse(arrived["details"]["arrived_at"]) >= parse(fo["updated_at"])
    waiting = store.ok(store.get("/fulfillment-orders", status="customer_arrived"))["items"]
    assert [(x["id"], x["details"]["spot"]) for x in waiting] == [(fo["id"], "Bay 4")]
    assert "pickup_code" not in waiting[0]
    seen_by_admin = order_of(admin, order["id"])["fulfillment_orders"][0]
    assert seen_by_admin["details"]["spot"] == "Bay 4" and seen_by_admin["pickup_code"] == fo["pickup_code"]
    assert step(store, fo["id"], "pickup", {"code": fo["pickup_code"]})["status"] == "picked_up"
    assert admin.position("TEE", "STORE-BER")["on_hand"] == 1


def test_the_pick_list_shows_the_most_urgent_work_first_and_only_to_its_own_store(admin: Api, network: Any,
                                                                                   key_for: Any) -> None:
    admin.stock("TEE", "STORE-BER", 20)
    admin.stock("CAP", "STORE-BER", 5)
    admin.stock("MUG", "STORE-HAM", 5)
    parcel = admin.ok(admin.place([("TEE", 1), ("CAP", 2)]), 201)  # ship: due in 24 h
    pickup = admin.ok(admin.place([("TEE", 2)], method="pickup", pickup="STORE-BER"), 201)  # due in 4 h
    curbside = admin.ok(admin.place([("TEE", 3)], method="curbside", pickup="STORE-BER"), 201)  # due in 2 h
    elsewhere = admin.ok(admin.place([("MUG", 1)]), 201)
    assert elsewhere["fulfillment_orders"][0]["location"] == "STORE-HAM"
    packed = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    walk(admin, packed["fulfillment_orders"][0]["id"], "accept", "pick", "pack")  # picked already: not listed
    walk(admin, parcel["fulfillment_orders"][0]["id"], "accept")
    walk(admin, pickup["fulfillment_orders"][0]["id"], "accept", "pick")
    store = key_for("location", "STORE-BER")
    items = store.ok(store.get("/locations/STORE-BER/pick-list"))["items"]
    assert [(x["order_id"], x["status"]) for x in items] == [
        (curbside["id"], "open"), (pickup["id"], "picking"), (parcel["id"], "accepted"), (parcel["id"], "accepted")]
    assert [(x["sku"], x["quantity"]) for x in items[:2]] == [("TEE", 3), ("TEE", 2)]
    assert sorted((x["sku"], x["quantity"]) for x in items[2:]) == [("CAP", 2), ("TEE", 1)]
    assert [parse(x["due_at"]) for x in items] == sorted(parse(x["due_at"]) for x in items)
    assert {x["fulfillment_order_id"] for x in items[2:]} == {parcel["fulfillment_orders"][0]["id"]}
    assert {x["order_line_id"] for x in items[2:]} == {x["id"] for x in parcel["lines"]}
    first = admin.ok(admin.get("/locations/STORE-BER/pick-list", limit=3))
    rest = admin.ok(admin.get("/locations/STORE-BER/pick-list", limit=3, cursor=first["next_cursor"]))
    assert first["items"] + rest["items"] == items and rest["next_cursor"] is None
    assert key_for("analyst").ok(key_for("analyst").get("/locations/STORE-BER/pick-list"))["items"] == items
    ham = key_for("location", "STORE-HAM")
    assert [x["order_id"] for x in ham.ok(ham.get("/locations/STORE-HAM/pick-list"))["items"]] == [elsewhere["id"]]
    problem(ham.get("/locations/STORE-BER/pick-list"), 404, "not-found")
    problem(key_for("channel", "web").get("/locations/STORE-BER/pick-list"), 403, "forbidden")
    problem(admin.get("/locations/NOWHERE/pick-list"), 404, "not-found")
    problem(admin.get("/locations/STORE-BER/pick-list", cursor="garbage"), 422, "validation-error", "cursor")
