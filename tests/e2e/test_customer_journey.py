"""The issue's finish line, end to end over the API on SQLite and PostgreSQL: one person buys online, changes
the address, picks something up in a store from another channel, returns one item at a store that never
had the order, exchanges another — and their profile and tracking page show all of it, every amount exact.

The expected amounts are worked out by hand below (largest remainder), not by the code under test.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.support.network import BERLIN, HAMBURG, Api
from tests.support.store import order_of, step, walk

# The same person, typed differently by two channels (case and spaces; national and international phone).
WEB_CUSTOMER = {"email": "  Mia.Schmidt@Example.COM ", "name": "Mia Schmidt", "phone": "030 1234567"}
TILL_CUSTOMER = {"email": "mia.schmidt@example.com", "name": "Mia Schmidt", "phone": "+49 30 1234567"}
PAY = {"provider": "test", "token": "tok_ok"}

# Web order: TEE 2 x 19.99 and CAP 1 x 12.50 = 52.48, discount 5.00, shipping 4.90, tax 7.60 → 59.98.
# Discount by subtotal 3998:1250 → 380.91 / 119.09 → 381 / 119 (the odd cent to the larger remainder).
# Tax by net 3617:1131 → 578.97 / 181.03 → 579 / 181. Shipping by subtotal → 373.29 / 116.71 → 373 / 117.
# TEE line: 3998 - 381 + 579 = 4196 merchandise (+373 shipping = 45.69); one TEE refunds 4196 / 2 = 20.98.
# CAP line: 1250 - 119 + 181 = 1312 merchandise (+117 shipping = 14.29).
WEB_TOTAL, TEE_LINE_TOTAL, CAP_LINE_TOTAL, ONE_TEE_REFUND = "59.98", "45.69", "14.29", "20.98"


def _stock(admin: Api) -> None:
    for store in ("STORE-BER", "STORE-HAM"):
        admin.stock("TEE", store, 5)
        admin.stock("CAP", store, 5)
    admin.stock("MUG", "STORE-BER", 5)


def test_a_customer_journey_across_channels(admin: Api, network: Any, key_for: Any, client: TestClient) -> None:
    _stock(admin)
    web, till, berlin_desk = key_for("channel", "web"), key_for("channel", "pos"), key_for("location", "STORE-BER")

    # 1. Buy online, to Berlin: sourced from the Berlin store, authorized in full.
    order = web.ok(web.post("/orders", {
        "channel": "web", "external_id": "WEB-7001", "currency": "EUR", "customer": WEB_CUSTOMER,
        "lines": [{"sku": "TEE", "quantity": 2, "unit_price": "19.99"}, {"sku": "CAP", "quantity": 1,
                                                                          "unit_price": "12.50"}],
        "delivery": {"method": "ship", "address": BERLIN}, "payment": PAY,
        "discount": "5.00", "shipping": "4.90", "tax": "7.60"}), 201)
    assert order["totals"]["total"] == WEB_TOTAL
    assert [x["total"] for x in order["lines"]] == [TEE_LINE_TOTAL, CAP_LINE_TOTAL]
    assert [fo["location"] for fo in order["fulfillment_orders"]] == ["STORE-BER"]
    assert [(p["kind"], p["amount"], p["status"]) for p in order["payments"]] == [
        ("authorization", WEB_TOTAL, "succeeded")]

    # 2. Change the address to Hamburg before anyone started: sourced again, from Hamburg.
    moved = web.ok(web.post(f"/orders/{order['id']}/address", {"address": HAMBURG}))
    live = [fo for fo in moved["fulfillment_orders"] if fo["status"] == "open"]
    assert [fo["location"] for fo in live] == ["STORE-HAM"]
    assert [c["kind"] for c in moved["changes"]] == ["address"]

    # 3. The same person orders at a till for pickup in Berlin: one profile across both channels.
    pickup = till.ok(till.place([("MUG", 1)], channel="pos", method="pickup", pickup="STORE-BER",
                                customer=TILL_CUSTOMER, payment=PAY, price="8.00"), 201)
    assert pickup["customer_id"] == moved["customer_id"] is not None

    # 4. Hamburg ships the web order (captured: all of it); Berlin hands over the pickup (captured: 8.00).
    walk(admin, live[0]["id"], "accept", "pick", "pack")
    step(admin, live[0]["id"], "ship", {"carrier": "DHL", "tracking_number": "JJD0099887766"})
    fo = pickup["fulfillment_orders"][0]
    walk(admin, fo["id"], "accept", "pick", "pack", "ready")
    step(admin, fo["id"], "pickup", {"code": order_of(admin, pickup["id"])["fulfillment_orders"][0]["pickup_code"]})
    assert _captured(admin, order["id"]) == [WEB_TOTAL]
    assert _captured(admin, pickup["id"]) == ["8.00"]

    # 5. Return one TEE at the Berlin store, which never had this order: found by phone at the returns desk.
    found = berlin_desk.ok(berlin_desk.get("/returns/lookup", q="+49 30 1234567"))["items"]
    assert order["id"] in {x["order_id"] for x in found}
    tee, cap = moved["lines"][0]["id"], moved["lines"][1]["id"]
    ret = berlin_desk.ok(berlin_desk.post("/returns", {"order_id": order["id"], "lines": [
        {"line_id": tee, "quantity": 1, "reason": "too small"}]}), 201)
    berlin_desk.ok(berlin_desk.post(f"/returns/{ret['id']}/authorize"))
    before = admin.position("TEE", "STORE-BER")["on_hand"]
    berlin_desk.ok(berlin_desk.post(f"/returns/{ret['id']}/receive", {"location": "STORE-BER", "lines": [
        {"line_id": tee, "quantity": 1, "disposition": "restock"}]}))
    assert admin.position("TEE", "STORE-BER")["on_hand"] == before + 1  # sellable there at once
    refunded = admin.ok(admin.post(f"/returns/{ret['id']}/refund", {}))
    assert refunded["status"] == "refunded"
    assert _refunds(admin, order["id"]) == [ONE_TEE_REFUND]

    # 6. Exchange the CAP for a MUG: the replacement is reserved when the return is authorized.
    swap = web.ok(web.post("/returns", {"order_id": order["id"], "lines": [
        {"line_id": cap, "quantity": 1, "reason": "wrong colour"}], "exchange": {"lines": [
            {"sku": "MUG", "quantity": 1}]}}), 201)
    authorized = web.ok(web.post(f"/returns/{swap['id']}/authorize"))
    replacement = order_of(admin, authorized["exchange_order_id"])
    assert [(x["sku"], x["quantity"]) for x in replacement["lines"]] == [("MUG", 1)]
    assert replacement["customer_id"] == pickup["customer_id"]
    assert sum(admin.position("MUG", loc)["reserved"] for loc in ("STORE-BER", "STORE-HAM")) == 1

    on_order = order_of(admin, order["id"])["returns"]
    assert [(r["id"], r["status"], r["refunded"]) for r in on_order] == [(ret["id"], "refunded", ONE_TEE_REFUND),
                                                                         (swap["id"], "authorized", "0.00")]

    # 7. The profile has it all, from both channels; the amounts are exact.
    profile = admin.ok(admin.get(f"/customers/{pickup['customer_id']}"))
    assert profile["channels"] == ["pos", "web"]
    assert {o["id"] for o in profile["orders"]} == {order["id"], pickup["id"], replacement["id"]}
    assert {(r["id"], r["status"]) for r in profile["returns"]} == {(ret["id"], "refunded"),
                                                                      (swap["id"], "authorized")}
    assert [x["amount"] for x in profile["refunds"]] == [ONE_TEE_REFUND]

    # 8. So has the tracking page, with no key: the shipment's tracking and both returns.
    tracked = client.get(f"/api/v1/tracking/{moved['tracking_url'].rsplit('/', 1)[1]}").json()
    assert [s.get("tracking_number") for s in tracked["fulfillments"] if s.get("tracking_number")] == ["JJD0099887766"]
    assert {r["status"] for r in tracked["returns"]} == {"refunded", "authorized"}
    html = client.get(urlsplit(moved["tracking_url"]).path).text
    assert "JJD0099887766" in html and "Mia" in html and "Schmidt" not in html


def _captured(api: Api, order_id: str) -> list[str]:
    return [p["amount"] for p in order_of(api, order_id)["payments"] if p["kind"] == "capture"
            and p["status"] == "succeeded"]


def _refunds(api: Api, order_id: str) -> list[str]:
    return [p["amount"] for p in order_of(api, order_id)["payments"] if p["kind"] == "refund"
            and p["status"] == "succeeded"]
