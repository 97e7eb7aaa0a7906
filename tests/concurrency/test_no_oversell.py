"""Many buyers at once over HTTP, against one server process (SQLite) or two (PostgreSQL): never an oversell."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from tests.concurrency.live import LiveServer, burst, every_page, ledger_disagreements, order_body
from tests.support.network import Api

pytestmark = pytest.mark.slow


def _orders(n: int, lines: list[tuple[str, int]], **delivery: str) -> list[tuple[str, str, object, dict[str, str]]]:
    return [("POST", "/orders", order_body(lines, external_id=f"BUYER-{uuid.uuid4().hex}", **delivery),
             {"Idempotency-Key": uuid.uuid4().hex}) for _ in range(n)]


def test_64_buyers_of_the_last_unit_make_one_order_and_63_clear_refusals(server: LiveServer, shop: Api) -> None:
    shop.stock("TEE", "STORE-HAM", 1)

    responses = burst(server.url, shop.key, _orders(64, [("TEE", 1)]))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 63}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
    refusals = [r.json() for r in responses if r.status_code == 409]
    assert all(p["type"].endswith("insufficient-stock") and p["skus"] == ["TEE"] for p in refusals)
    (winner,) = [r.json() for r in responses if r.status_code == 201]
    assert [fo["location"] for fo in winner["fulfillment_orders"]] == ["STORE-HAM"]

    items = shop.ok(shop.get("/inventory", sku="TEE"))["items"]
    assert [(i["location"], i["on_hand"], i["reserved"], i["available"]) for i in items] == [("STORE-HAM", 1, 1, 0)]
    assert [o["id"] for o in every_page(shop.client, shop.key, "/orders")] == [winner["id"]]
    assert ledger_disagreements(server.database_url) == {}


def test_400_buyers_of_a_hot_sku_take_exactly_the_200_units_in_stock(server: LiveServer, shop: Api) -> None:
    stock = {"WH-1": 80, "STORE-BER": 50, "STORE-HAM": 40, "STORE-MUC": 30}  # MUC only does pickup
    for location, units in stock.items():
        shop.stock("TEE", location, units)
    shippers = _orders(300, [("TEE", 1)])
    collectors = _orders(100, [("TEE", 1)], method="pickup", pickup="STORE-MUC")
    calls = [call for i in range(100) for call in (*shippers[3 * i:3 * i + 3], collectors[i])]

    responses = burst(server.url, shop.key, calls)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 200, 409: 200}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
    assert all(r.json()["type"].endswith("insufficient-stock") for r in responses if r.status_code == 409)
    placed = [r.json() for r in responses if r.status_code == 201]
    pickups = [o for o in placed if o["fulfillment_orders"][0]["method"] == "pickup"]
    assert len(pickups) == 30 and {o["fulfillment_orders"][0]["location"] for o in pickups} == {"STORE-MUC"}

    positions = {i["location"]: i for i in shop.ok(shop.get("/inventory", sku="TEE"))["items"]}
    assert {loc: (p["on_hand"], p["reserved"]) for loc, p in positions.items()} == {
        loc: (units, units) for loc, units in stock.items()}  # sold out everywhere, never past on hand
    units_per_location = Counter(fo["location"] for o in placed for fo in o["fulfillment_orders"])
    assert units_per_location == stock
    assert len(every_page(shop.client, shop.key, "/orders")) == 200
    assert ledger_disagreements(server.database_url) == {}
