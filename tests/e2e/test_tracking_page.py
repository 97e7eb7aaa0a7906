"""The customer's tracking page on SQLite and PostgreSQL: reached by the order's link with no key, it follows
the order through fulfillment (pickup code while the order waits, carrier and tracking number once shipped)
and shows returns, and says nothing about the person beyond the first name."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Channel, Return, ReturnLine, table_of
from ordermesh.bootstrap import Ordermesh
from tests.support.checks import problem
from tests.support.network import BERLIN, Api
from tests.support.store import step, walk


def page(client: TestClient, order: dict[str, Any]) -> httpx.Response:
    """Open the order's tracking link as the customer's browser would: no key, no headers."""
    return client.get(urlsplit(order["tracking_url"]).path)


def as_json(client: TestClient, order: dict[str, Any]) -> dict[str, Any]:
    token = order["tracking_url"].rsplit("/", 1)[1]
    response = client.get(f"/api/v1/tracking/{token}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_pickup_order_shows_its_code_only_while_it_waits_at_the_store(admin: Api, network: Any,
                                                                       client: TestClient) -> None:
    admin.stock("TEE", "STORE-BER", 5)
    order = admin.ok(admin.place([("TEE", 2)], method="pickup", pickup="STORE-BER"), 201)
    fo = order["fulfillment_orders"][0]
    opened = page(client, order)
    assert opened.status_code == 200 and opened.headers["content-type"].startswith("text/html")
    assert f"Order {order['external_id']}" in opened.text and "Order confirmed" in opened.text
    assert "Hello Ana" in opened.text and "2 × Tee" in opened.text
    assert fo["pickup_code"] not in opened.text  # not before the order is ready

    ready = walk(admin, fo["id"], "accept", "pick", "pack", "ready")
    html = page(client, order).text
    assert f'<p class="code pickup-code">{ready["pickup_code"]}</p>' in html
    assert "Pickup at Store-Ber" in html and "Ready for pickup" in html
    assert "Bring your pickup code to the store" in html and "Collect by" in html
    pickup = as_json(client, order)["fulfillments"][0]["pickup"]
    assert pickup["code"] == ready["pickup_code"] and pickup["collect_by"] == ready["pickup_expires_at"]
    assert pickup["store"]["name"] == "Store-Ber" and pickup["store"]["map_url"].startswith("https://www.openstreetmap")

    step(admin, fo["id"], "pickup", {"code": ready["pickup_code"]})
    [collected] = as_json(client, order)["fulfillments"]
    assert collected["status_label"] == "Collected" and collected["pickup"] is None
    assert ready["pickup_code"] not in page(client, order).text


def test_a_shipped_order_shows_the_carrier_and_tracking_number(admin: Api, network: Any, client: TestClient) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    fo_id = order["fulfillment_orders"][0]["id"]
    walk(admin, fo_id, "accept", "pick", "pack")
    step(admin, fo_id, "ship", {"carrier": "DHL", "tracking_number": "JJD000390007"})
    html = page(client, order).text
    assert '<dd class="carrier">DHL</dd>' in html and '<dd class="tracking-number">JJD000390007</dd>' in html
    view = as_json(client, order)
    assert (view["status"], view["status_label"]) == ("sent", "On its way or collected")
    [shipment] = view["fulfillments"]
    assert (shipment["method"], shipment["status"], shipment["carrier"], shipment["tracking_number"]) == (
        "ship", "shipped", "DHL", "JJD000390007")
    assert shipment["items"] == [{"sku": "TEE", "name": "Tee", "quantity": 1}]
    assert shipment["location"] == {"name": "Wh-1", "postal_code": None, "country": "DE"}


def test_an_unknown_or_malformed_link_is_a_404_page_and_needs_no_key(admin: Api, network: Any,
                                                                     client: TestClient) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 1)]), 201)
    token = order["tracking_url"].rsplit("/", 1)[1]
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (f"/track/{wrong}", "/track/short", "/track/" + "x" * 200, "/track/%3Cscript%3E"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "We could not find this order" in response.text and "<script>" not in response.text
    problem(client.get(f"/api/v1/tracking/{wrong}"), 404, "not-found")
    assert client.get(f"/track/{token}").status_code == 200  # the right link, still without a key


def test_the_page_says_nothing_about_the_person_but_the_first_name(admin: Api, network: Any,
                                                                   client: TestClient) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.post("/orders", {
        "channel": "web", "external_id": "PRIV-1", "currency": "EUR",
        "customer": {"email": "ana.lopez@example.com", "name": "Ana Lopez-Garcia", "phone": "+49 30 1234567"},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "19.99"}],
        "delivery": {"method": "ship", "address": BERLIN}}), 201)
    view = as_json(client, order)
    assert view["customer"] == {"first_name": "Ana"}
    for text in (page(client, order).text, str(view)):
        assert "Ana" in text
        for secret in ("Lopez", "ana.lopez@example.com", "1234567", BERLIN["line1"], "10178", "19.99", order["id"]):
            assert secret not in text, secret
    headers = page(client, order).headers
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in headers["content-security-policy"]


def test_what_the_customer_typed_is_shown_as_text_never_as_markup(admin: Api, network: Any,
                                                                  client: TestClient) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.post("/orders", {
        "channel": "web", "external_id": "XSS-1", "currency": "EUR",
        "customer": {"email": "x@example.com", "name": "<script>alert(1)</script> Mallory"},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "1.00"}],
        "delivery": {"method": "ship", "address": BERLIN}}), 201)
    html = page(client, order).text
    assert "<script>" not in html and "Hello &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_returns_show_with_their_status(admin: Api, network: Any, client: TestClient, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    order = admin.ok(admin.place([("TEE", 2)]), 201)
    walk(admin, order["fulfillment_orders"][0]["id"], "accept", "pick", "pack", "ship")
    record_return(om, order, "ret_track_1", "refunded", quantity=1, refunded_minor=1000)
    [ret] = as_json(client, order)["returns"]
    assert (ret["id"], ret["status"], ret["status_label"], ret["refunded"]) == (
        "ret_track_1", "refunded", "Refunded", "10.00")
    assert ret["items"] == [{"sku": "TEE", "name": "Tee", "quantity": 1, "received_quantity": 1}]
    html = page(client, order).text
    assert "Returns" in html and "Refunded: 10.00 EUR" in html


def record_return(om: Ordermesh, order: dict[str, Any], return_id: str, status: str, *, quantity: int,
                  refunded_minor: int) -> None:
    """A return as the returns service records it (its API is another change's; the page only reads)."""
    now = utcnow()
    with om.engine.begin() as conn:
        channel_id = conn.execute(select(table_of(Channel).c.id).where(table_of(Channel).c.code == "web")).scalar()
        conn.execute(insert(table_of(Return)).values(
            id=return_id, order_id=order["id"], channel_id=channel_id, status=status, restocking_fee_minor=0,
            refunded_minor=refunded_minor, created_by="test", created_at=now, updated_at=now))
        conn.execute(insert(table_of(ReturnLine)).values(
            return_id=return_id, order_line_id=order["lines"][0]["id"], quantity=quantity, reason="too small",
            received=quantity, restocked=quantity, damaged=0, returned_to_vendor=0, refunded=quantity))
