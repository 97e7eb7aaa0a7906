"""Card numbers never enter Ordermesh: any JSON body holding one is refused with 422, and nothing is written."""

from __future__ import annotations

from typing import Any

from ordermesh.bootstrap import Ordermesh
from ordermesh.domain.cards import luhn_valid
from tests.support.checks import problem, row_counts
from tests.support.network import Api

VISA = "4111 1111 1111 1111"  # a well-known test card number: Luhn-valid
NOT_LUHN = "4111111111111112"  # sixteen digits that fail the check
PHONE = "+49 1512 3456787"  # E.164, and its 13 digits happen to pass the Luhn check


def test_a_card_number_in_the_notes_is_refused_and_nothing_is_written(admin: Api, network: Any,
                                                                      om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    before = row_counts(om)
    refused = problem(admin.place([("TEE", 1)], notes=f"please charge my card {VISA}, exp 12/27", key="card-1"),
                      422, "card-number-refused", "notes")
    assert "4111" not in refused["detail"]  # the number is never echoed back
    assert row_counts(om) == before  # no order, no reservation, no event, no idempotency record
    assert admin.position("TEE", "WH-1")["reserved"] == 0


def test_the_field_is_named_at_any_depth_and_dashes_do_not_hide_it(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    problem(admin.place([("TEE", 1)], customer={"email": "ana@example.com", "name": "Ana 4111-1111-1111-1111"}),
            422, "card-number-refused", "customer.name")
    problem(admin.place([("TEE", 1)], delivery={"method": "ship", "address": {
        "line1": "378282246310005", "city": "Berlin", "postal_code": "10178", "country": "DE"}}),
        422, "card-number-refused", "delivery.address.line1")


def test_every_route_is_covered(admin: Api, network: Any) -> None:
    problem(admin.put("/locations/STORE-X", {"name": f"Store {VISA}", "type": "store", "latitude": 52.5,
                                             "longitude": 13.4, "capabilities": ["ship"]}),
            422, "card-number-refused", "name")
    assert admin.get("/locations/STORE-X").status_code == 404
    problem(admin.post("/inventory/movements", {"movements": [
        {"sku": "TEE", "location": "WH-1", "type": "receive", "quantity": 1, "reason": "6011111111111117"}]}),
        422, "card-number-refused", "movements[0].reason")


def test_a_card_number_hidden_in_json_escapes_is_still_found(admin: Api, network: Any) -> None:
    body = ('{"name": "Store \\u0034111111111111111", "type": "store", "latitude": 52.5, "longitude": 13.4, '
            '"capabilities": ["ship"]}')
    response = admin.client.put("/api/v1/locations/STORE-Y", content=body, headers={
        "Authorization": f"Bearer {admin.key}", "Content-Type": "application/json"})
    problem(response, 422, "card-number-refused", "name")


def test_numbers_that_are_not_card_numbers_pass(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    assert luhn_valid(PHONE.replace(" ", "").lstrip("+"))  # the exception is what lets it through
    order = admin.ok(admin.place([("TEE", 1)], notes=f"parcel ref {NOT_LUHN}, call {PHONE}",
                                 customer={"email": "ana@example.com", "phone": PHONE}), 201)
    assert order["customer"]["phone"] == PHONE
    admin.ok(admin.place([("TEE", 1)], notes="order 2024-000123, 3 items, 12.50 EUR"), 201)


def test_a_phone_field_without_the_plus_is_not_exempt(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 5)
    problem(admin.place([("TEE", 1)], customer={"email": "ana@example.com", "phone": "4111 1111 1111 1111"}),
            422, "card-number-refused", "customer.phone")


def test_a_sku_code_that_is_a_barcode_is_not_mistaken_for_a_card(admin: Api, network: Any) -> None:
    ean = "4006381333924"  # a valid EAN-13 that also happens to pass the Luhn check
    assert luhn_valid(ean)
    admin.ok(admin.put(f"/skus/{ean}", {"name": "Barcoded mug"}))
    admin.stock(ean, "WH-1", 2)
    order = admin.ok(admin.place([(ean, 1)]), 201)
    assert order["lines"][0]["sku"] == ean
    problem(admin.place([("TEE", 1)], notes=f"ean {ean}"), 422, "card-number-refused", "notes")  # not on its own


def test_a_card_number_in_the_path_is_refused_before_anything_is_stored(admin: Api, network: Any) -> None:
    problem(admin.put("/skus/4111111111111111", {"name": "Not a SKU"}), 422, "card-number-refused", "path")
    assert admin.get("/skus/4111111111111111").status_code == 422
    admin.ok(admin.put("/skus/9012345678904", {"name": "A long numeric SKU code"}))  # Luhn-valid, but no card


def test_a_card_number_as_the_idempotency_key_is_refused(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    refused = admin.place([("TEE", 1)], key="4111 1111 1111 1111")
    problem(refused, 422, "card-number-refused", "Idempotency-Key")
    assert admin.position("TEE", "WH-1")["reserved"] == 0
