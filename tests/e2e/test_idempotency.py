"""Idempotency-Key on every creating POST: a retry replays the first answer and changes nothing."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.bootstrap import Ordermesh
from tests.support.checks import assert_ledger_agrees, problem, row_counts
from tests.support.network import BERLIN, Api


def test_a_retried_order_replays_the_first_answer_and_places_one_order(admin: Api, network: Any,
                                                                       om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    first = admin.place([("TEE", 2)], external_id="WEB-1", key="checkout-1")
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    after_first = row_counts(om)
    again = admin.place([("TEE", 2)], external_id="WEB-1", key="checkout-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert row_counts(om) == after_first
    assert [o["id"] for o in admin.ok(admin.get("/orders"))["items"]] == [first.json()["id"]]
    assert admin.position("TEE", "WH-1")["reserved"] == 2


def test_a_retry_that_serialises_the_body_differently_is_still_the_same_request(admin: Api, network: Any,
                                                                                client: TestClient) -> None:
    admin.stock("TEE", "WH-1", 5)
    body = {"channel": "web", "external_id": "WEB-3", "currency": "EUR", "customer": {"email": "ana@example.com"},
            "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "10.00"}],
            "delivery": {"method": "ship", "address": BERLIN}}
    headers = {"Authorization": f"Bearer {admin.key}", "Idempotency-Key": "retry-3",
               "Content-Type": "application/json"}
    first = client.post("/api/v1/orders", content=json.dumps(body), headers=headers)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = client.post("/api/v1/orders", content=reordered, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]


def test_the_same_key_with_a_different_body_is_refused(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.ok(admin.place([("TEE", 2)], external_id="WEB-1", key="checkout-1"), 201)
    before = row_counts(om)
    for changed in (admin.place([("TEE", 3)], external_id="WEB-1", key="checkout-1"),
                    admin.place([("TEE", 2)], external_id="WEB-2", key="checkout-1")):
        body = problem(changed, 422, "idempotency-key-reused", "Idempotency-Key")
        assert "different request" in body["detail"]
    assert row_counts(om) == before
    assert admin.position("TEE", "WH-1")["reserved"] == 2


def test_a_duplicate_external_id_under_another_key_names_the_existing_order(admin: Api, network: Any,
                                                                            om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    original = admin.ok(admin.place([("TEE", 1)], external_id="WEB-7", key="k-1"), 201)
    before = row_counts(om)
    for key in ("k-2", None):
        body = problem(admin.place([("TEE", 1)], external_id="WEB-7", key=key), 409, "duplicate-order",
                       "external_id")
        assert body["order_id"] == original["id"] and original["id"] in body["detail"]
    assert row_counts(om) == before
    assert admin.position("TEE", "WH-1")["reserved"] == 1


def test_the_same_external_id_on_another_channel_is_another_order(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    web = admin.ok(admin.place([("TEE", 1)], external_id="A-1"), 201)
    pos = admin.ok(admin.place([("TEE", 1)], external_id="A-1", channel="pos", method="pickup", pickup="STORE-BER"),
                   201)
    assert web["id"] != pos["id"]


def test_a_refused_request_does_not_use_up_its_key(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    refused = admin.place([("TEE", 2)], external_id="WEB-9", key="retry-me")
    problem(refused, 409, "insufficient-stock")
    admin.stock("TEE", "WH-1", 2)
    placed = admin.place([("TEE", 2)], external_id="WEB-9", key="retry-me")
    assert placed.status_code == 201 and "idempotent-replayed" not in placed.headers


def test_keys_belong_to_the_api_key_that_used_them(admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    web = key_for("channel", "web")
    admin.ok(admin.place([("TEE", 1)], external_id="WEB-1", key="shared"), 201)
    mine = web.place([("TEE", 1)], external_id="WEB-2", key="shared")
    assert mine.status_code == 201 and "idempotent-replayed" not in mine.headers
    assert admin.position("TEE", "WH-1")["reserved"] == 2


def test_a_replayed_movement_is_applied_once(admin: Api, network: Any, om: Ordermesh) -> None:
    receipt = {"movements": [{"sku": "TEE", "location": "WH-1", "type": "receive", "quantity": 5, "reason": "PO 1"}]}
    first = admin.post("/inventory/movements", receipt, headers={"Idempotency-Key": "po-1"})
    assert first.status_code == 201
    after_first = row_counts(om)
    again = admin.post("/inventory/movements", receipt, headers={"Idempotency-Key": "po-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert row_counts(om) == after_first
    assert admin.position("TEE", "WH-1")["on_hand"] == 5
    other = {"movements": [{**receipt["movements"][0], "quantity": 6}]}
    problem(admin.post("/inventory/movements", other, headers={"Idempotency-Key": "po-1"}), 422,
            "idempotency-key-reused")
    admin.ok(admin.post("/inventory/movements", receipt, headers={"Idempotency-Key": "po-2"}), 201)
    assert admin.position("TEE", "WH-1")["on_hand"] == 10
    assert_ledger_agrees(om)


def test_a_replayed_cart_hold_holds_once(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    hold = {"channel": "web", "lines": [{"sku": "TEE", "quantity": 2}], "ttl_seconds": 600}
    first = admin.post("/reservations", hold, headers={"Idempotency-Key": "cart-1"})
    assert first.status_code == 201
    again = admin.post("/reservations", hold, headers={"Idempotency-Key": "cart-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert admin.position("TEE", "WH-1")["reserved"] == 2
    problem(admin.post("/reservations", {**hold, "ttl_seconds": 60}, headers={"Idempotency-Key": "cart-1"}), 422,
            "idempotency-key-reused")
    assert admin.position("TEE", "WH-1")["reserved"] == 2
    assert_ledger_agrees(om)


def test_an_overlong_idempotency_key_is_refused(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    before = row_counts(om)
    response = admin.place([("TEE", 1)], key="k" * 256)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert row_counts(om) == before
