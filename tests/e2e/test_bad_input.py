"""Bad input gets a clear 4xx problem naming what is wrong — never a 500, never a partial write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.bootstrap import Ordermesh
from tests.support.checks import assert_ledger_agrees, problem, row_counts
from tests.support.network import BERLIN, Api


def order_body(lines: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "web", "external_id": "BAD-1", "currency": "EUR",
        "customer": {"email": "ana@example.com", "name": "Ana"},
        "lines": lines or [{"sku": "TEE", "quantity": 1, "unit_price": "10.00"}],
        "delivery": {"method": "ship", "address": BERLIN},
    }
    return body | changes


@pytest.fixture
def stocked(admin: Api, network: Any, om: Ordermesh) -> Iterator[Api]:
    """TEE and CAP in stock at WH-1 with one TEE already reserved by an order; afterwards, assert no write."""
    admin.stock("TEE", "WH-1", 10)
    admin.stock("CAP", "WH-1", 10)
    admin.ok(admin.place([("TEE", 1)]), 201)
    admin.ok(admin.put("/channels/jp", {"name": "Japan", "type": "web", "currency": "JPY"}))
    before = row_counts(om)
    reserved_before = admin.position("TEE", "WH-1")
    yield admin
    assert row_counts(om) == before, "a refused request wrote something"
    assert admin.position("TEE", "WH-1") == reserved_before
    assert_ledger_agrees(om)


def test_an_unknown_sku_is_named_by_its_line(stocked: Api) -> None:
    lines = [{"sku": "TEE", "quantity": 1, "unit_price": "10.00"}, {"sku": "NOPE", "quantity": 1, "unit_price": "1"}]
    body = problem(stocked.post("/orders", order_body(lines)), 422, "validation-error", "lines[1].sku")
    assert "NOPE" in body["detail"] and body["sku"] == "NOPE"


def test_an_unknown_channel_is_named(stocked: Api) -> None:
    body = problem(stocked.post("/orders", order_body(channel="kiosk")), 422, "validation-error", "channel")
    assert "kiosk" in body["detail"]


def test_an_unknown_pickup_location_is_named(stocked: Api) -> None:
    delivery = {"method": "pickup", "pickup_location": "STORE-XYZ"}
    problem(stocked.post("/orders", order_body(delivery=delivery)), 422, "validation-error", "delivery.pickup_location")


def test_pickup_at_a_location_that_does_not_offer_it_is_refused(stocked: Api) -> None:
    delivery = {"method": "curbside", "pickup_location": "STORE-MUC"}  # Munich offers pickup only
    body = problem(stocked.post("/orders", order_body(delivery=delivery)), 422, "validation-error",
                   "delivery.pickup_location")
    assert "curbside" in body["detail"]


def test_an_unknown_location_in_a_movement_is_named_and_no_earlier_movement_applies(stocked: Api) -> None:
    movements = [{"sku": "TEE", "location": "WH-1", "type": "receive", "quantity": 5},
                 {"sku": "TEE", "location": "WH-9", "type": "receive", "quantity": 5}]
    problem(stocked.post("/inventory/movements", {"movements": movements}), 422, "validation-error",
            "movements[1].location")


def test_absurd_line_quantities_are_refused(stocked: Api, subtests: pytest.Subtests) -> None:
    for quantity in (0, -1, 100_001, 10**12, 1.5, "many", None):
        with subtests.test(quantity=quantity):
            lines = [{"sku": "TEE", "quantity": quantity, "unit_price": "10.00"}]
            problem(stocked.post("/orders", order_body(lines)), 422, "validation-error", "lines[0].quantity")


def test_impossible_movements_are_refused(stocked: Api, subtests: pytest.Subtests) -> None:
    for movement, field in (
        ({"type": "receive", "quantity": 0}, "movements[0].quantity"),
        ({"type": "receive", "quantity": -5}, "movements[0].quantity"),
        ({"type": "adjust", "quantity": 0}, "movements[0].quantity"),
        ({"type": "count", "quantity": -1}, "movements[0].quantity"),
        ({"type": "count", "quantity": 10**10}, "movements[0].quantity"),
        ({"type": "reserve", "quantity": 1}, "movements[0].type"),
        ({"type": "issue", "quantity": 1}, "movements[0].type"),
    ):
        with subtests.test(**movement):
            body = {"movements": [{"sku": "TEE", "location": "WH-1", **movement}]}
            problem(stocked.post("/inventory/movements", body), 422, "validation-error", field)


def test_stock_cannot_grow_past_what_the_database_can_hold(admin: Api, network: Any, om: Ordermesh) -> None:
    receipt = {"movements": [{"sku": "CAP", "location": "WH-1", "type": "receive", "quantity": 600_000_000}]}
    admin.ok(admin.post("/inventory/movements", receipt), 201)
    before = row_counts(om)
    # A position holds at most a billion units; unchecked, receipts overflow PostgreSQL's integer at 2³¹ (a 500).
    for _ in range(4):
        problem(admin.post("/inventory/movements", receipt), 422, "validation-error", "movements[0].quantity")
    assert row_counts(om) == before
    assert admin.position("CAP", "WH-1")["on_hand"] == 600_000_000
    assert_ledger_agrees(om)


def test_a_currency_other_than_the_channels_is_refused(stocked: Api) -> None:
    body = problem(stocked.post("/orders", order_body(currency="USD")), 422, "validation-error", "currency")
    assert "EUR" in body["detail"]


def test_a_malformed_currency_code_is_refused(stocked: Api) -> None:
    problem(stocked.post("/orders", order_body(currency="eur")), 422, "validation-error", "currency")


def test_pickup_without_a_pickup_location_is_refused(stocked: Api) -> None:
    problem(stocked.post("/orders", order_body(delivery={"method": "pickup"})), 422, "validation-error",
            "delivery.pickup_location")


def test_shipping_without_an_address_is_refused(stocked: Api) -> None:
    for method in ("ship", "local_delivery"):
        problem(stocked.post("/orders", order_body(delivery={"method": method})), 422, "validation-error",
                "delivery.address")


def test_an_impossible_address_names_the_part_that_is_wrong(stocked: Api, subtests: pytest.Subtests) -> None:
    for address, field in (
        ({**BERLIN, "latitude": 91}, "delivery.address.latitude"),
        ({**BERLIN, "longitude": "east"}, "delivery.address.longitude"),
        ({**BERLIN, "country": "Germany"}, "delivery.address.country"),
        ({k: v for k, v in BERLIN.items() if k != "city"}, "delivery.address.city"),
    ):
        with subtests.test(field=field):
            body = order_body(delivery={"method": "ship", "address": address})
            problem(stocked.post("/orders", body), 422, "validation-error", field)


def test_an_unknown_delivery_method_is_refused(stocked: Api) -> None:
    body = order_body(delivery={"method": "teleport", "address": BERLIN})
    problem(stocked.post("/orders", body), 422, "validation-error", "delivery.method")


def test_a_malformed_email_is_refused(stocked: Api) -> None:
    problem(stocked.post("/orders", order_body(customer={"email": "not-an-email"})), 422, "validation-error",
            "customer.email")


def test_malformed_json_is_a_400_problem(stocked: Api, client: TestClient) -> None:
    response = client.post("/api/v1/orders", content=b'{"channel": "web", "lines": [',
                           headers={"Authorization": f"Bearer {stocked.key}", "Content-Type": "application/json"})
    problem(response, 400, "malformed-json")


def test_a_body_that_is_not_an_object_is_refused(stocked: Api, client: TestClient, subtests: pytest.Subtests) -> None:
    for payload in ([], "order", 42, None):
        with subtests.test(payload=payload):
            response = client.post("/api/v1/orders", content=json.dumps(payload), headers={
                "Authorization": f"Bearer {stocked.key}", "Content-Type": "application/json"})
            problem(response, 422, "validation-error")


def test_a_price_the_currency_cannot_hold_exactly_is_refused(stocked: Api, subtests: pytest.Subtests) -> None:
    for price, channel, currency in (
        ("1.234", "web", "EUR"), ("0.001", "web", "EUR"), ("12.5", "jp", "JPY"), ("-1.00", "web", "EUR"),
        ("1e3", "web", "EUR"), ("12,50", "web", "EUR"), ("NaN", "web", "EUR"), ("Infinity", "web", "EUR"),
        ("10000000000000000", "web", "EUR"), (12.5, "web", "EUR"), ("", "web", "EUR"),
    ):
        with subtests.test(price=price, currency=currency):
            lines = [{"sku": "CAP", "quantity": 1, "unit_price": "5"},
                     {"sku": "TEE", "quantity": 1, "unit_price": price}]
            response = stocked.post("/orders", order_body(lines, channel=channel, currency=currency))
            problem(response, 422, "validation-error", "lines[1].unit_price")


def test_the_sum_of_an_order_cannot_overflow(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("CAP", "WH-1", 100_000)
    before = row_counts(om)
    lines = [{"sku": "CAP", "quantity": 100_000, "unit_price": "9999999999999.99"}]
    problem(admin.post("/orders", order_body(lines)), 422, "validation-error")
    assert row_counts(om) == before
    assert admin.position("CAP", "WH-1")["reserved"] == 0


def test_unknown_fields_are_refused_so_clients_cannot_set_server_truth(stocked: Api,
                                                                       subtests: pytest.Subtests) -> None:
    for extra, field in (({"totals": {"total": "0.01"}}, "totals"), ({"status": "completed"}, "status"),
                         ({"subtotal": "5.00"}, "subtotal")):
        with subtests.test(field=field):
            body = problem(stocked.post("/orders", order_body(**extra)), 422, "validation-error", field)
            assert body["errors"][0]["field"] == field


def test_an_unknown_field_deep_in_a_line_is_named(stocked: Api) -> None:
    lines = [{"sku": "TEE", "quantity": 1, "unit_price": "10.00", "line_total": "0.00"}]
    problem(stocked.post("/orders", order_body(lines)), 422, "validation-error", "lines[0].line_total")


def test_more_than_250_lines_are_refused(stocked: Api) -> None:
    lines = [{"sku": "TEE", "quantity": 1, "unit_price": "1.00"}] * 251
    problem(stocked.post("/orders", order_body(lines)), 422, "validation-error", "lines")


def test_an_order_without_lines_is_refused(stocked: Api) -> None:
    problem(stocked.post("/orders", {**order_body(), "lines": []}), 422, "validation-error", "lines")


def test_a_body_over_the_size_limit_is_refused_with_413(stocked: Api) -> None:
    body = order_body(notes="x" * 1_100_000)
    problem(stocked.post("/orders", body), 413, "payload-too-large")


def test_a_streamed_body_over_the_limit_without_a_length_is_refused_with_413(stocked: Api,
                                                                             client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"channel": "web", "notes": "'
        for _ in range(120):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post("/api/v1/orders", content=chunks(),
                           headers={"Authorization": f"Bearer {stocked.key}", "Content-Type": "application/json"})
    problem(response, 413, "payload-too-large")


def test_a_page_larger_than_500_is_refused(stocked: Api, subtests: pytest.Subtests) -> None:
    for path in ("/orders", "/events", "/inventory", "/fulfillment-orders", "/skus"):
        with subtests.test(path=path):
            problem(stocked.get(path, limit=501), 422, "validation-error", "limit")
            assert stocked.get(path, limit=500).status_code == 200


def test_a_page_of_nothing_is_refused(stocked: Api) -> None:
    problem(stocked.get("/orders", limit=0), 422, "validation-error", "limit")


def test_an_unknown_order_status_filter_is_refused(stocked: Api) -> None:
    problem(stocked.get("/orders", status="shipped-ish"), 422, "validation-error", "status")


def test_a_cursor_that_is_not_from_the_feed_is_refused(stocked: Api) -> None:
    problem(stocked.get("/events", after="yesterday"), 422, "validation-error", "after")


def test_a_request_without_a_valid_key_is_refused_with_401(stocked: Api, client: TestClient,
                                                           subtests: pytest.Subtests) -> None:
    for authorization in (None, "Bearer ", "Bearer om_not-a-real-key", "Basic dXNlcjpwYXNz", stocked.key):
        headers = {"Authorization": authorization} if authorization else {}
        with subtests.test(authorization=authorization):
            for response in (client.get("/api/v1/orders", headers=headers),
                             client.post("/api/v1/orders", json=order_body(external_id="NOKEY"), headers=headers)):
                body = problem(response, 401, "unauthorized")
                assert response.headers["www-authenticate"] == "Bearer"
                assert "Bearer" in body["detail"]


def test_an_action_the_fulfillment_order_state_does_not_allow_is_409(stocked: Api) -> None:
    order = stocked.ok(stocked.get("/orders"))["items"][0]
    fo = stocked.ok(stocked.get(f"/orders/{order['id']}"))["fulfillment_orders"][0]
    for action, body in (("ship", {"carrier": "DHL", "tracking_number": "1"}), ("pack", None), ("deliver", None),
                         ("ready", None), ("pickup", {"code": "123456"})):
        refused = problem(stocked.post(f"/fulfillment-orders/{fo['id']}/{action}", body), 409,
                          "illegal-transition", "action")
        assert refused["current_status"] == "open" and refused["action"] == action
    assert stocked.ok(stocked.get(f"/fulfillment-orders/{fo['id']}"))["status"] == "open"


def test_an_unknown_fulfillment_action_is_refused(stocked: Api) -> None:
    order = stocked.ok(stocked.get("/orders"))["items"][0]
    fo = stocked.ok(stocked.get(f"/orders/{order['id']}"))["fulfillment_orders"][0]
    problem(stocked.post(f"/fulfillment-orders/{fo['id']}/teleport"), 422, "validation-error", "action")
    problem(stocked.post(f"/fulfillment-orders/{fo['id']}/reject", {"reason": "bored"}), 422, "validation-error",
            "reason")


def test_unknown_objects_are_404_problems(stocked: Api) -> None:
    problem(stocked.get("/orders/ord_nope"), 404, "not-found")
    problem(stocked.get("/fulfillment-orders/fo_nope"), 404, "not-found")
    problem(stocked.post("/fulfillment-orders/fo_nope/accept"), 404, "not-found")
    problem(stocked.post("/orders/ord_nope/cancel", {}), 404, "not-found")
    problem(stocked.get("/reservations/res_nope"), 404, "not-found")
    problem(stocked.delete("/reservations/res_nope"), 404, "not-found")
    problem(stocked.get("/locations/NOWHERE"), 404, "not-found")


def test_cancelling_a_line_that_is_not_on_the_order_names_it(stocked: Api) -> None:
    order = stocked.ok(stocked.get("/orders"))["items"][0]
    lines = [{"line_id": "oln_elsewhere", "quantity": 1}]
    problem(stocked.post(f"/orders/{order['id']}/cancel", {"lines": lines}), 422, "validation-error",
            "lines[0].line_id")


def test_cancelling_more_than_is_open_names_the_line(stocked: Api) -> None:
    order = stocked.ok(stocked.get(f"/orders/{stocked.ok(stocked.get('/orders'))['items'][0]['id']}"))
    lines = [{"line_id": order["lines"][0]["id"], "quantity": 2}]
    body = problem(stocked.post(f"/orders/{order['id']}/cancel", {"lines": lines}), 409, "conflict",
                   "lines[0].quantity")
    assert body["sku"] == "TEE"


def test_an_unknown_reservation_on_an_order_is_named(stocked: Api) -> None:
    problem(stocked.post("/orders", order_body(reservation_id="res_nope")), 422, "validation-error",
            "reservation_id")


def test_a_bad_cart_hold_is_refused_naming_the_field(stocked: Api, subtests: pytest.Subtests) -> None:
    tee = [{"sku": "TEE", "quantity": 1}]
    for body, field in (
        ({"channel": "web", "lines": tee, "ttl_seconds": 0}, "ttl_seconds"),
        ({"channel": "web", "lines": tee, "ttl_seconds": 8 * 24 * 3600}, "ttl_seconds"),
        ({"channel": "web", "lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku"),
        ({"channel": "web", "lines": [{"sku": "TEE", "quantity": 0}]}, "lines[0].quantity"),
        ({"channel": "web", "lines": tee, "location": "WH-9"}, "location"),
        ({"channel": "nope", "lines": tee}, "channel"),
        ({"channel": "web", "lines": []}, "lines"),
    ):
        with subtests.test(field=field):
            problem(stocked.post("/reservations", body), 422, "validation-error", field)


def test_problem_types_are_documented(client: TestClient) -> None:
    for slug in ("validation-error", "insufficient-stock", "illegal-transition", "payload-too-large"):
        response = client.get(f"/problems/{slug}")
        assert response.status_code == 200 and response.json()["description"]
