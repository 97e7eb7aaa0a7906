"""Retries racing each other: one Idempotency-Key, or one external_id, is one order however many arrive at once.

On PostgreSQL (two worker processes) a retry that arrives while the first is running is told to retry
(409 idempotency-key-in-use); on SQLite writers are serialised, so it gets the replay. Either is correct;
a second order, a second reservation or a 500 is not.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from ordermesh.adapters.db.tables import Event, InventoryMovement, table_of
from tests.concurrency.live import LiveServer, burst, database, every_page, feed, ledger_disagreements, order_body
from tests.support.network import Api

pytestmark = pytest.mark.slow
ledger = table_of(InventoryMovement)
events = table_of(Event)


def test_twenty_identical_retries_at_once_place_one_order_and_replay_it(server: LiveServer, shop: Api) -> None:
    shop.stock("TEE", "WH-1", 10)
    body = order_body([("TEE", 2)], external_id="RETRY-STORM-1")

    responses = burst(server.url, shop.key, [("POST", "/orders", body, {"Idempotency-Key": "retry-storm"})] * 20)


    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
    busy = [r.json() for r in responses if r.status_code == 409]
    assert all(p["type"].endswith("idempotency-key-in-use") for p in busy), busy[:3]
    created = [r for r in responses if r.status_code == 201]
    originals = [r for r in created if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) == 1, "exactly one request did the work; every other 201 is a marked replay"
    assert {r.content for r in created} == {originals[0].content}, "replays are byte-for-byte the first answer"

    order = originals[0].json()
    assert [o["id"] for o in every_page(shop.client, shop.key, "/orders")] == [order["id"]]
    position = shop.position("TEE", "WH-1")
    assert (position["on_hand"], position["reserved"]) == (10, 2)
    with database(server.database_url) as conn, conn.begin():
        reserve_rows = conn.execute(select(func.count()).where(ledger.c.type == "reserve")).scalar_one()
        sources = set(conn.execute(select(ledger.c.source).where(ledger.c.type == "reserve")).scalars())
        created_rows = conn.execute(select(func.count()).where(events.c.type == "order.created")).scalar_one()
    assert (reserve_rows, sources) == (1, {f"order:{order['id']}"})
    assert created_rows == 1
    created_events = feed(shop.client, shop.key, "order.created", at_least=1)
    assert [e["data"]["order_id"] for e in created_events] == [order["id"]]
    assert ledger_disagreements(server.database_url) == {}


def test_one_external_id_sent_under_ten_different_keys_at_once_is_one_order(server: LiveServer, shop: Api) -> None:
    shop.stock("TEE", "WH-1", 10)
    calls = [("POST", "/orders", order_body([("TEE", 1)], external_id="POS-TILL-7"), {"Idempotency-Key": f"k-{n}"})
             for n in range(10)]

    responses = burst(server.url, shop.key, calls)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 9}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
    (order,) = [r.json() for r in responses if r.status_code == 201]
    duplicates = [r.json() for r in responses if r.status_code == 409]
    assert all(p["type"].endswith("duplicate-order") and p["order_id"] == order["id"] for p in duplicates)
    assert shop.position("TEE", "WH-1")["reserved"] == 1
    assert ledger_disagreements(server.database_url) == {}
