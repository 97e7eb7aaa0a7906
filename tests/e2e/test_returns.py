"""Returns and exchanges over the API on SQLite and PostgreSQL: a web order brought back to a store, restocked
there and sold again at once; refund and restock as separate steps; exchanges reserved at authorization;
the returns desk lookup; and bad input that must write nothing and move no money."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import FulfillmentOrder, Payment, Return, ReturnLine, table_of
from ordermesh.bootstrap import Ordermesh
from tests.support.checks import assert_ledger_agrees, problem, row_counts
from tests.support.network import Api
from tests.support.store import ledger, order_of, walk

PAY = {"provider": "test", "token": "tok_ok"}
ANA = {"email": "Ana.Lopez@Example.com", "name": "Ana Lopez", "phone": "+49 30 1234567"}


def shipped_web_order(admin: Api, lines: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
    """A web order shipped from the warehouse to the customer (stock it first)."""
    order = admin.ok(admin.place(lines, **extra), 201)
    for fo in order["fulfillment_orders"]:
        walk(admin, fo["id"], "accept", "pick", "pack", "ship")
    return order_of(admin, order["id"])


def ask(api: Api, order: dict[str, Any], *units: tuple[int, int], key: str | None = None,
        **extra: Any) -> Any:
    """POST /returns for (line index, quantity) pairs of the order."""
    body = {"order_id": order["id"], "lines": [{"line_id": order["lines"][i]["id"], "quantity": q,
                                                "reason": "does not fit"} for i, q in units], **extra}
    return api.post("/returns", body, headers={"Idempotency-Key": key} if key else None)


def receive(api: Api, ret: dict[str, Any], location: str, *units: tuple[str, int, str]) -> Any:
    return api.post(f"/returns/{ret['id']}/receive", {"location": location, "lines": [
        {"line_id": line_id, "quantity": q, "disposition": d} for line_id, q, d in units]})


def money_rows(om: Ordermesh) -> dict[str, int]:
    with om.engine.connect() as conn:
        return {m.__tablename__: conn.execute(select(func.count()).select_from(table_of(m))).scalar_one()
                for m in (Return, ReturnLine, Payment)}


def refunds_of(admin: Api, order_id: str) -> list[tuple[str, str, str | None]]:
    return [(p["amount"], p["status"], p["return_id"]) for p in order_of(admin, order_id)["payments"]
            if p["kind"] == "refund"]


def test_a_web_order_returned_in_a_store_is_restocked_there_sold_again_at_once_and_refunded(
        admin: Api, network: Any, om: Ordermesh, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 2)
    order = shipped_web_order(admin, [("TEE", 2)], payment=PAY, discount="2.00", shipping="4.90", tax="3.40")
    assert order["fulfillment_orders"][0]["location"] == "WH-1"
    assert admin.position("TEE", "STORE-BER")["on_hand"] == 0
    web, store = key_for("channel", "web"), key_for("location", "STORE-BER")
    line_id = order["lines"][0]["id"]

    requested = web.ok(ask(web, order, (0, 1), key="rma-1", restocking_fee="1.00"), 201)
    assert (requested["status"], requested["channel"], requested["location"]) == ("requested", "web", None)
    assert requested["lines"] == [{"line_id": line_id, "sku": "TEE", "quantity": 1, "reason": "does not fit",
                                   "received": 0, "restocked": 0, "damaged": 0, "returned_to_vendor": 0,
                                   "refunded": 0}]
    assert requested["allowed_actions"] == ["authorize", "reject"]
    replay = ask(web, order, (0, 1), key="rma-1", restocking_fee="1.00")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == requested["id"]
    rid = requested["id"]
    assert web.ok(web.post(f"/returns/{rid}/authorize"))["status"] == "authorized"

    received = store.ok(receive(store, requested, "STORE-BER", (line_id, 1, "restock")))
    assert (received["status"], received["location"]) == ("received", "STORE-BER")
    assert received["lines"][0] | {"line_id": "-"} == {"line_id": "-", "sku": "TEE", "quantity": 1,
                                                       "reason": "does not fit", "received": 1, "restocked": 1,
                                                       "damaged": 0, "returned_to_vendor": 0, "refunded": 0}
    assert admin.position("TEE", "STORE-BER") | {"sku": "-"} == {
        "sku": "-", "location": "STORE-BER", "on_hand": 1, "reserved": 0, "safety_stock": 0, "available": 1}
    assert ledger(om, "TEE", "STORE-BER")[-1] == ("return", 1, 0, "restocked from a return")
    assert order_of(admin, order["id"])["lines"][0]["returned_quantity"] == 1

    # Sold again at once, by the store's own till.
    pos = key_for("channel", "pos")
    resold = pos.ok(pos.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER"), 201)
    assert [fo["location"] for fo in resold["fulfillment_orders"]] == ["STORE-BER"]
    assert admin.position("TEE", "STORE-BER")["reserved"] == 1

    # Refund: one unit of 2 × 10.00 less 2.00 discount plus 3.40 tax = 21.40 → 10.70; less the 1.00 fee.
    refunded = store.ok(store.post(f"/returns/{rid}/refund"))
    assert (refunded["status"], refunded["refunded"], refunded["restocking_fee"]) == ("refunded", "9.70", "1.00")
    assert refunded["lines"][0]["refunded"] == 1
    assert [(p["kind"], p["amount"], p["status"]) for p in refunded["payments"]] == [("refund", "9.70", "succeeded")]
    assert refunds_of(admin, order["id"]) == [("9.70", "succeeded", rid)]
    closed = web.ok(web.post(f"/returns/{rid}/close"))
    assert (closed["status"], closed["allowed_actions"]) == ("closed", [])
    timeline = [e["type"] for e in admin.ok(admin.get(f"/returns/{rid}"))["timeline"]]
    assert timeline == ["return.requested", "return.authorized", "return.received", "return.refunded",
                        "return.closed"]
    assert_ledger_agrees(om)


def test_a_refund_without_restock_and_a_restock_without_refund(admin: Api, network: Any, om: Ordermesh,
                                                               key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 3)
    order = shipped_web_order(admin, [("TEE", 3)], payment=PAY, price="9.99")
    line_id, store = order["lines"][0]["id"], key_for("location", "STORE-HAM")
    broken = admin.ok(ask(admin, order, (0, 1)), 201)
    unwanted = admin.ok(ask(admin, order, (0, 2)), 201)
    for ret in (broken, unwanted):
        admin.ok(admin.post(f"/returns/{ret['id']}/authorize"))
    before = ledger(om, "TEE", "STORE-HAM")

    store.ok(receive(store, broken, "STORE-HAM", (line_id, 1, "damaged")))
    assert ledger(om, "TEE", "STORE-HAM") == before and admin.position("TEE", "STORE-HAM")["on_hand"] == 0
    refunded = store.ok(store.post(f"/returns/{broken['id']}/refund", {}))
    assert (refunded["status"], refunded["refunded"]) == ("refunded", "9.99")
    assert refunded["lines"][0] | {"line_id": "-"} == {"line_id": "-", "sku": "TEE", "quantity": 1,
                                                       "reason": "does not fit", "received": 1, "restocked": 0,
                                                       "damaged": 1, "returned_to_vendor": 0, "refunded": 1}

    store.ok(receive(store, unwanted, "STORE-HAM", (line_id, 1, "restock"), (line_id, 1, "return_to_vendor")))
    assert admin.position("TEE", "STORE-HAM")["on_hand"] == 1  # the vendor's unit is not for sale
    closed = store.ok(store.post(f"/returns/{unwanted['id']}/close"))
    assert (closed["status"], closed["refunded"], closed["payments"]) == ("closed", "0.00", [])
    assert refunds_of(admin, order["id"]) == [("9.99", "succeeded", broken["id"])]
    assert order_of(admin, order["id"])["lines"][0]["returned_quantity"] == 3
    assert_ledger_agrees(om)


def test_units_refunded_one_return_at_a_time_add_up_to_the_line_exactly(admin: Api, network: Any,
                                                                        key_for: Any) -> None:
    admin.stock("MUG", "WH-1", 3)
    order = shipped_web_order(admin, [("MUG", 3)], payment=PAY, price="3.33", discount="1.00", tax="0.95")
    line = order["lines"][0]  # 9.99 - 1.00 + 0.95 = 9.94 over three units: 3.32 + 3.31 + 3.31
    paid = []
    for _ in range(3):
        ret = admin.ok(ask(admin, order, (0, 1)), 201)
        admin.ok(admin.post(f"/returns/{ret['id']}/authorize"))
        admin.ok(receive(admin, ret, "WH-1", (line["id"], 1, "restock")))
        paid.append(admin.ok(admin.post(f"/returns/{ret['id']}/refund"))["refunded"])
    assert paid == ["3.32", "3.31", "3.31"]
    assert line["total"] == "9.94"


def test_an_exchange_reserves_its_replacement_when_the_return_is_authorized(admin: Api, network: Any,
                                                                           om: Ordermesh, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    admin.stock("CAP", "WH-1", 1)
    order = shipped_web_order(admin, [("TEE", 1)], payment=PAY, customer=ANA, external_id="WEB-1001")
    web = key_for("channel", "web")
    swap = {"lines": [{"sku": "CAP", "quantity": 1}]}
    ret = web.ok(ask(web, order, (0, 1), exchange=swap), 201)
    assert ret["exchange"] == {"lines": [{"sku": "CAP", "quantity": 1, "unit_price": None}]}
    assert admin.position("CAP", "WH-1")["reserved"] == 0  # nothing is held for a mere request

    authorized = web.ok(web.post(f"/returns/{ret['id']}/authorize"))
    replacement = order_of(admin, authorized["exchange_order_id"])
    assert (replacement["channel"], replacement["external_id"], replacement["totals"]["total"]) == (
        "web", "WEB-1001-X1", "0.00")
    assert replacement["customer"]["email"] == "ana.lopez@example.com"
    assert [(x["sku"], x["quantity"]) for x in replacement["lines"]] == [("CAP", 1)]
    assert admin.position("CAP", "WH-1")["reserved"] == 1
    assert authorized["allowed_actions"] == ["receive", "reject", "close"]

    admin.ok(receive(admin, authorized, "WH-1", (order["lines"][0]["id"], 1, "restock")))
    problem(web.post(f"/returns/{ret['id']}/refund"), 409, "conflict", "action")
    assert web.ok(web.post(f"/returns/{ret['id']}/exchange"))["status"] == "exchanged"
    assert web.ok(web.post(f"/returns/{ret['id']}/close"))["status"] == "closed"
    assert refunds_of(admin, order["id"]) == []
    assert_ledger_agrees(om)


def test_an_exchange_without_stock_is_not_authorized_and_a_rejected_one_gives_its_stock_back(
        admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 2)
    order = shipped_web_order(admin, [("TEE", 2)])
    ret = admin.ok(ask(admin, order, (0, 1), exchange={"lines": [{"sku": "MUG", "quantity": 1,
                                                                  "unit_price": "4.50"}]}), 201)
    problem(admin.post(f"/returns/{ret['id']}/authorize"), 409, "insufficient-stock")
    assert admin.ok(admin.get(f"/returns/{ret['id']}"))["status"] == "requested"

    admin.stock("MUG", "STORE-BER", 1)
    authorized = admin.ok(admin.post(f"/returns/{ret['id']}/authorize"))
    assert order_of(admin, authorized["exchange_order_id"])["totals"]["subtotal"] == "4.50"
    assert admin.position("MUG", "STORE-BER")["reserved"] == 1
    rejected = admin.ok(admin.post(f"/returns/{ret['id']}/reject", {"reason": "never sent back"}))
    assert (rejected["status"], rejected["note"]) == ("rejected", "never sent back")
    assert admin.position("MUG", "STORE-BER")["reserved"] == 0
    assert order_of(admin, authorized["exchange_order_id"])["status"] == "cancelled"
    # The rejected return holds no units: the line may be returned again.
    assert admin.ok(ask(admin, order, (0, 2)), 201)["status"] == "requested"
    assert_ledger_agrees(om)


def test_the_returns_desk_finds_an_order_of_any_channel_by_number_email_or_phone(
        admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 3)
    order = shipped_web_order(admin, [("TEE", 2)], customer=ANA, external_id="WEB-2002")
    admin.ok(admin.place([("TEE", 1)], customer={"email": "bo@example.com"}), 201)  # someone else's
    desk = key_for("location", "STORE-BER")
    for q in (order["id"], "WEB-2002", " ana.lopez@EXAMPLE.com ", "+49 30 1234567", "+49-30-123 4567",
              "030 1234567"):
        found = desk.ok(desk.get("/returns/lookup", q=q))["items"]
        assert [x["order_id"] for x in found] == [order["id"]], q
    item = found[0]
    assert (item["channel"], item["external_id"]) == ("web", "WEB-2002")
    assert item["customer"] == {"name": "Ana Lopez", "email": "a********@example.com", "phone": "…567"}
    assert [(x["sku"], x["fulfilled_quantity"], x["returnable_quantity"]) for x in item["lines"]] == [("TEE", 2, 2)]
    assert admin.ok(admin.get("/returns/lookup", q="ana.lopez@example.com"))["items"][0]["customer"] == {
        "name": "Ana Lopez", "email": "ana.lopez@example.com", "phone": "+49 30 1234567"}

    # The store starts the return of the web order it found, and the lookup then shows it.
    started = desk.ok(ask(desk, order, (0, 1)), 201)
    again = desk.ok(desk.get("/returns/lookup", q="WEB-2002"))["items"][0]
    assert again["returns"] == [{"id": started["id"], "status": "requested", "created_at": started["created_at"]}]
    assert again["lines"][0]["returnable_quantity"] == 1

    pos = key_for("channel", "pos")
    assert pos.ok(pos.get("/returns/lookup", q="WEB-2002"))["items"] == []  # a channel finds its own orders only
    munich = key_for("location", "STORE-MUC")  # no returns capability: no returns desk
    problem(munich.get("/returns/lookup", q="WEB-2002"), 403, "forbidden")
    problem(admin.get("/returns/lookup", q=" "), 422, "validation-error", "q")


def test_who_may_see_and_do_what_with_a_return(admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 2)
    order = shipped_web_order(admin, [("TEE", 2)])
    line_id = order["lines"][0]["id"]
    web, pos = key_for("channel", "web"), key_for("channel", "pos")
    berlin, hamburg = key_for("location", "STORE-BER"), key_for("location", "STORE-HAM")
    analyst = key_for("analyst")
    problem(ask(pos, order, (0, 1)), 404, "not-found", "order_id")  # another channel's order
    problem(ask(analyst, order, (0, 1)), 403, "forbidden")
    ret = web.ok(ask(web, order, (0, 1)), 201)
    rid = ret["id"]
    problem(pos.get(f"/returns/{rid}"), 404, "not-found")
    assert hamburg.ok(hamburg.get(f"/returns/{rid}"))["status"] == "requested"  # any desk may take it in
    web.ok(web.post(f"/returns/{rid}/authorize"))
    problem(receive(web, ret, "STORE-BER", (line_id, 1, "restock")), 403, "forbidden")  # channels receive nothing
    problem(receive(berlin, ret, "STORE-HAM", (line_id, 1, "restock")), 404, "not-found", "location")
    problem(receive(admin, ret, "STORE-MUC", (line_id, 1, "restock")), 422, "validation-error", "location")
    berlin.ok(receive(berlin, ret, "STORE-BER", (line_id, 1, "restock")))
    problem(hamburg.get(f"/returns/{rid}"), 404, "not-found")  # received in Berlin: Berlin's now
    problem(hamburg.post(f"/returns/{rid}/close"), 404, "not-found")
    assert [x["id"] for x in berlin.ok(berlin.get("/returns"))["items"]] == [rid]
    assert hamburg.ok(hamburg.get("/returns"))["items"] == []
    assert [x["id"] for x in web.ok(web.get("/returns", order_id=order["id"], status="received"))["items"]] == [rid]
    assert pos.ok(pos.get("/returns"))["items"] == []
    assert analyst.ok(analyst.get(f"/returns/{rid}"))["status"] == "received"


def test_bad_returns_are_refused_naming_the_field_and_write_nothing(admin: Api, network: Any, om: Ordermesh,
                                                                   key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 3)
    admin.stock("CAP", "WH-1", 1)
    order = shipped_web_order(admin, [("TEE", 2), ("CAP", 1)], payment=PAY)
    unshipped = admin.ok(admin.place([("TEE", 1)]), 201)
    admin.ok(admin.put("/skus/CAP", {"name": "Cap", "tags": ["non_returnable"]}))
    before, money = row_counts(om), money_rows(om)

    body = problem(ask(admin, order, (0, 3)), 409, "conflict", "lines[0].quantity")
    assert body["returnable"] == 2 and "TEE" in body["detail"]
    problem(ask(admin, order, (1, 1)), 409, "return-not-allowed", "lines[0].line_id")  # CAP: non-returnable
    problem(ask(admin, unshipped, (0, 1)), 409, "return-not-allowed", "lines[0].line_id")  # not delivered yet
    problem(ask(admin, order, (0, 1), exchange={"lines": [{"sku": "NOPE", "quantity": 1}]}), 422,
            "validation-error", "exchange.lines[0].sku")
    problem(ask(admin, order, (0, 1), exchange={"lines": [{"sku": "TEE", "quantity": 1, "unit_price": "1.001"}]}),
            422, "validation-error", "exchange.lines[0].unit_price")
    problem(ask(admin, order, (0, 1), (0, 1)), 422, "validation-error", "lines[1].line_id")
    problem(admin.post("/returns", {"order_id": order["id"], "lines": [
        {"line_id": unshipped["lines"][0]["id"], "quantity": 1, "reason": "x"}]}), 422, "validation-error",
        "lines[0].line_id")
    problem(admin.post("/returns", {"order_id": order["id"], "lines": []}), 422, "validation-error", "lines")
    problem(admin.post("/returns", {"order_id": "ord_nope", "lines": [
        {"line_id": "x", "quantity": 1, "reason": "x"}]}), 404, "not-found", "order_id")
    assert (row_counts(om), money_rows(om)) == (before, money)

    # Outside the window: the parcel reached the customer 31 days ago (the default window is 30 days).
    fos = table_of(FulfillmentOrder)
    with om.engine.begin() as conn:
        conn.execute(update(fos).where(fos.c.order_id == order["id"]).values(updated_at=utcnow() - timedelta(days=31)))
    body = problem(ask(admin, order, (0, 1)), 409, "return-not-allowed", "lines[0].line_id")
    assert "30-day return window of channel web" in body["detail"]
    with om.engine.begin() as conn:
        conn.execute(update(fos).where(fos.c.order_id == order["id"]).values(updated_at=utcnow()))
    assert (row_counts(om), money_rows(om)) == (before, money)


def test_bad_receipts_and_refunds_are_refused_and_move_no_stock_or_money(admin: Api, network: Any, om: Ordermesh,
                                                                         key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 2)
    order = shipped_web_order(admin, [("TEE", 2)], payment=PAY)
    line_id = order["lines"][0]["id"]
    ret = admin.ok(ask(admin, order, (0, 1)), 201)
    problem(admin.post(f"/returns/{ret['id']}/refund"), 409, "illegal-transition", "action")
    problem(receive(admin, ret, "STORE-BER", (line_id, 1, "restock")), 409, "illegal-transition", "action")
    admin.ok(admin.post(f"/returns/{ret['id']}/authorize"))
    before, money = row_counts(om), money_rows(om)
    problem(receive(admin, ret, "STORE-BER", (line_id, 1, "restock"), (line_id, 1, "damaged")), 409, "conflict",
            "lines[1].quantity")
    problem(receive(admin, ret, "STORE-BER", ("oln_nope", 1, "restock")), 422, "validation-error",
            "lines[0].line_id")
    problem(receive(admin, ret, "STORE-BER", (line_id, 1, "lost")), 422, "validation-error",
            "lines[0].disposition")
    assert (row_counts(om), money_rows(om)) == (before, money)

    admin.ok(receive(admin, ret, "STORE-BER", (line_id, 1, "restock")))
    before, money = row_counts(om), money_rows(om)
    problem(admin.post(f"/returns/{ret['id']}/refund", {"amount": "10.01"}), 422, "validation-error", "amount")
    problem(admin.post(f"/returns/{ret['id']}/refund", {"restocking_fee": "10.01"}), 422, "validation-error",
            "restocking_fee")
    problem(admin.post(f"/returns/{ret['id']}/refund", {"amount": "0"}), 422, "validation-error", "amount")
    assert (row_counts(om), money_rows(om)) == (before, money)
    assert refunds_of(admin, order["id"]) == []
    assert admin.ok(admin.get(f"/returns/{ret['id']}"))["status"] == "received"

    # Above what is still refundable: the order's captured money went back another way meanwhile.
    admin.ok(admin.post(f"/orders/{order['id']}/refunds", {"amount": "15.00", "reason": "goodwill"}), 201)
    before, money = row_counts(om), money_rows(om)
    problem(admin.post(f"/returns/{ret['id']}/refund", {"amount": "10.00"}), 422, "validation-error", "amount")
    assert (row_counts(om), money_rows(om)) == (before, money)
    partial = admin.ok(admin.post(f"/returns/{ret['id']}/refund"))  # by default: no more than is left
    assert (partial["refunded"], partial["payments"][0]["amount"]) == ("5.00", "5.00")


def test_an_illegal_step_is_a_409_naming_the_current_state(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    order = shipped_web_order(admin, [("TEE", 1)])
    ret = admin.ok(ask(admin, order, (0, 1)), 201)
    admin.ok(admin.post(f"/returns/{ret['id']}/reject", {"reason": "worn"}))
    for action in ("authorize", "close", "exchange"):
        body = problem(admin.post(f"/returns/{ret['id']}/{action}"), 409, "illegal-transition", "action")
        assert body["current_status"] == "rejected"
    problem(admin.post(f"/returns/{ret['id']}/reject", {}), 422, "validation-error", "reason")


def test_a_refund_the_provider_declines_leaves_the_return_received_to_be_refunded_again(
        admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 1)
    order = shipped_web_order(admin, [("TEE", 1)], payment=PAY)
    ret = admin.ok(ask(admin, order, (0, 1)), 201)
    admin.ok(admin.post(f"/returns/{ret['id']}/authorize"))
    admin.ok(receive(admin, ret, "STORE-BER", (order["lines"][0]["id"], 1, "restock")))
    # Someone refunded the whole capture in the gateway's own dashboard: the provider declines ours.
    ledger = om.providers["test"]._db  # type: ignore[attr-defined]
    for ref, state in ledger.execute("SELECT ref, state FROM authorizations").fetchall():
        ledger.execute("UPDATE authorizations SET state = ? WHERE ref = ?",
                       (json.dumps({**json.loads(state), "refunded": json.loads(state)["captured"]}), ref))

    admin.ok(admin.post(f"/returns/{ret['id']}/refund", {}))  # accepted; the provider's answer comes after

    after = admin.ok(admin.get(f"/returns/{ret['id']}"))
    assert (after["status"], after["refunded"]) == ("received", "0.00")
    assert refunds_of(admin, order["id"]) == [("10.00", "failed", ret["id"])]


def test_a_return_whose_exchange_order_was_cancelled_is_refunded_instead(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    admin.stock("MUG", "WH-1", 1)
    order = shipped_web_order(admin, [("TEE", 1)], payment=PAY)
    ret = admin.ok(ask(admin, order, (0, 1), exchange={"lines": [{"sku": "MUG", "quantity": 1}]}), 201)
    swap = admin.ok(admin.post(f"/returns/{ret['id']}/authorize"))["exchange_order_id"]
    admin.ok(receive(admin, ret, "STORE-BER", (order["lines"][0]["id"], 1, "restock")))
    assert admin.post(f"/returns/{ret['id']}/refund", {}).status_code == 409  # the exchange settles it

    admin.ok(admin.post(f"/orders/{swap}/cancel", {"reason": "the customer wants the money after all"}))

    refunded = admin.ok(admin.post(f"/returns/{ret['id']}/refund", {}))
    assert (refunded["status"], refunded["refunded"]) == ("refunded", "10.00")
