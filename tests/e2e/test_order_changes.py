"""Changing an order before release: a new address is sourced again, added lines are reserved and paid for,
and every change is numbered with its actor."""

from __future__ import annotations

import json
from typing import Any

from ordermesh.bootstrap import Ordermesh
from tests.support.network import HAMBURG, Api
from tests.support.store import fos_at, order_of, step


def _stocked(admin: Api) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    admin.stock("TEE", "STORE-HAM", 5)
    admin.stock("MUG", "STORE-BER", 3)


def test_a_new_address_sources_the_order_again_from_the_location_nearest_to_it(admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 2)]), 201)  # to Berlin
    assert [fo["location"] for fo in order["fulfillment_orders"]] == ["STORE-BER"]

    changed = admin.ok(admin.post(f"/orders/{order['id']}/address", {"address": HAMBURG}))

    assert changed["delivery"]["address"]["city"] == "Hamburg"
    assert [fo["status"] for fo in fos_at(changed, "STORE-BER")] == ["cancelled"]
    assert [fo["status"] for fo in fos_at(changed, "STORE-HAM")] == ["open"]
    assert admin.position("TEE", "STORE-BER")["reserved"] == 0
    assert admin.position("TEE", "STORE-HAM")["reserved"] == 2
    assert changed["sourcing"]["trigger"] == "address_changed"
    assert [(c["number"], c["kind"]) for c in changed["changes"]] == [(1, "address")]
    assert changed["changes"][0]["data"]["from"]["city"] == "Berlin"
    assert changed["status"] == "confirmed"


def test_the_address_cannot_change_once_a_location_accepted_the_order(admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    step(admin, order["fulfillment_orders"][0]["id"], "accept")

    refused = admin.post(f"/orders/{order['id']}/address", {"address": HAMBURG})

    assert refused.status_code == 409, refused.text
    assert "released" in refused.json()["detail"]
    after = order_of(admin, order["id"])
    assert after["delivery"]["address"]["city"] == "Berlin" and after["changes"] == []
    assert admin.position("TEE", "STORE-BER")["reserved"] == 2


def test_a_pickup_order_has_no_address_to_change(admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 1)], method="pickup", pickup="STORE-BER"), 201)
    refused = admin.post(f"/orders/{order['id']}/address", {"address": HAMBURG})
    assert refused.status_code == 409 and refused.json()["field"] == "address"


def test_added_lines_are_reserved_priced_and_authorized_and_numbered_after_a_cancellation(
        admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 2)], payment={"provider": "test", "token": "tok_ok"}, tax="3.80"), 201)
    line = order["lines"][0]["id"]
    admin.ok(admin.post(f"/orders/{order['id']}/cancel", {"lines": [{"line_id": line, "quantity": 1}]}))

    changed = admin.ok(admin.post(f"/orders/{order['id']}/lines",
                                  {"lines": [{"sku": "MUG", "quantity": 2, "unit_price": "4.50", "tax": "1.71"}]}))

    mug = changed["lines"][1]
    assert (mug["sku"], mug["quantity"], mug["total"]) == ("MUG", 2, "10.71")
    assert changed["totals"]["subtotal"] == "29.00" and changed["totals"]["tax"] == "5.51"
    assert changed["totals"]["total"] == "34.51"
    assert admin.position("MUG", "STORE-BER")["reserved"] == 2
    auths = [(p["kind"], p["amount"], p["status"]) for p in changed["payments"]]
    assert auths == [("authorization", "23.80", "succeeded"), ("authorization", "10.71", "succeeded")]
    assert [(c["number"], c["kind"]) for c in changed["changes"]] == [(1, "cancel_lines"), (2, "add_lines")]
    assert changed["sourcing"]["trigger"] == "lines_added"


def test_lines_that_cannot_be_reserved_change_nothing(admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 1)]), 201)

    refused = admin.post(f"/orders/{order['id']}/lines", {"lines": [{"sku": "MUG", "quantity": 4,
                                                                      "unit_price": "4.50"}]})

    assert refused.status_code == 409 and refused.json()["type"].endswith("insufficient-stock"), refused.text
    after = order_of(admin, order["id"])
    assert len(after["lines"]) == 1 and after["totals"]["total"] == "10.00" and after["changes"] == []
    assert admin.position("MUG", "STORE-BER")["reserved"] == 0


def test_an_unknown_sku_in_added_lines_is_named(admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    refused = admin.post(f"/orders/{order['id']}/lines", {"lines": [{"sku": "NOPE", "quantity": 1,
                                                                      "unit_price": "1.00"}]})
    assert refused.status_code == 422 and refused.json()["field"] == "lines[0].sku"


def test_a_declined_extra_authorization_holds_the_order(admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 1)], payment={"provider": "test", "authorization": "chan-auth-1"}), 201)
    changed = admin.ok(admin.post(f"/orders/{order['id']}/lines",
                                  {"lines": [{"sku": "MUG", "quantity": 1, "unit_price": "4.50"}]}))
    assert changed["status"] == "on_hold"
    assert [h["type"] for h in changed["holds"]] == ["payment"]


def test_adding_lines_again_with_the_same_key_adds_them_once(admin: Api, network: Any) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 1)], payment={"provider": "test", "token": "tok_ok"}), 201)
    body = {"lines": [{"sku": "MUG", "quantity": 1, "unit_price": "4.50"}]}
    first = admin.post(f"/orders/{order['id']}/lines", body, headers={"Idempotency-Key": "add-mug"})
    again = admin.post(f"/orders/{order['id']}/lines", body, headers={"Idempotency-Key": "add-mug"})
    assert (first.status_code, again.status_code, again.headers.get("Idempotent-Replayed")) == (200, 200, "true")
    after = order_of(admin, order["id"])
    assert [x["sku"] for x in after["lines"]] == ["TEE", "MUG"]
    assert [p["amount"] for p in after["payments"]] == ["10.00", "4.50"]
    assert admin.position("MUG", "STORE-BER")["reserved"] == 1


def test_a_refused_amendment_leaves_no_authorization_behind(admin: Api, network: Any, om: Ordermesh) -> None:
    _stocked(admin)
    order = admin.ok(admin.place([("TEE", 1)], payment={"provider": "test", "token": "tok_ok"}), 201)
    refused = admin.post(f"/orders/{order['id']}/lines", {"lines": [{"sku": "MUG", "quantity": 9,
                                                                      "unit_price": "4.50"}]})
    assert refused.status_code == 409
    assert [p["amount"] for p in order_of(admin, order["id"])["payments"]] == ["10.00"]
    # The provider authorized the extra 40.50 before the stock said no; that authorization was voided.
    ledger = om.providers["test"]._db  # type: ignore[attr-defined]
    voided = [json.loads(state) for (state,) in ledger.execute("SELECT state FROM authorizations")]
    assert sorted((a["amount"], a["voided"]) for a in voided) == [(1000, False), (4050, True)]
