"""kill -9 the server while orders stream in: every acknowledged order survives, and nothing half-written does."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.concurrency.live import (
    REQUEST_TIMEOUT_SECONDS,
    LiveServer,
    connect,
    every_page,
    feed,
    ledger_disagreements,
    order_body,
)
from tests.support.network import Api

pytestmark = pytest.mark.slow
CLIENTS = 4
ACKNOWLEDGED_BEFORE_THE_CRASH = 40


def _place_until_the_server_dies(server: LiveServer, key: str, acknowledged: list[dict[str, str]],
                                 attempted: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=REQUEST_TIMEOUT_SECONDS,
                      headers={"Authorization": f"Bearer {key}"}) as client:
        while not stop.is_set():
            external_id = f"CRASH-{uuid.uuid4().hex[:12]}"
            attempted.append(external_id)
            try:
                response = client.post("/orders", json=order_body([("TEE", 1)], external_id=external_id),
                                       headers={"Idempotency-Key": external_id})
            except httpx.TransportError:
                return  # the server is gone; this order's fate is unknown to the client
            assert response.status_code == 201, response.text
            acknowledged.append({"id": response.json()["id"], "external_id": external_id})


def test_every_acknowledged_order_survives_a_kill_9_of_the_server(server: LiveServer, shop: Api) -> None:
    shop.stock("TEE", "WH-1", 100_000)
    acknowledged: list[dict[str, str]] = []
    attempted: list[str] = []
    stop = threading.Event()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        clients = [pool.submit(_place_until_the_server_dies, server, shop.key, acknowledged, attempted, stop)
                   for _ in range(CLIENTS)]
        deadline = time.monotonic() + 60
        while len(acknowledged) < ACKNOWLEDGED_BEFORE_THE_CRASH and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()  # SIGKILL, requests in flight
        stop.set()
        for client in clients:
            client.result()
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_THE_CRASH
    assert len(attempted) > len(acknowledged), "the crash cut requests off mid-stream"

    server.start()
    after = connect(server, shop.key)
    for placed in acknowledged:
        order = after.ok(after.get(f"/orders/{placed['id']}"))
        assert (order["external_id"], order["status"]) == (placed["external_id"], "confirmed")
        assert [x["quantity"] for x in order["lines"]] == [1]

    stored = every_page(after.client, after.key, "/orders")
    assert {o["external_id"] for o in stored} <= set(attempted)  # nothing invented, nothing twice
    assert len(stored) == len({o["external_id"] for o in stored})
    # An order and its reservation commit together or not at all: one reserved unit per stored order.
    assert after.position("TEE", "WH-1")["reserved"] == len(stored)
    created = feed(after.client, after.key, "order.created", at_least=len(stored))
    assert sorted(e["data"]["order_id"] for e in created) == sorted(o["id"] for o in stored)
    assert ledger_disagreements(server.database_url) == {}

    again = after.ok(after.post("/orders", order_body([("TEE", 1)])), 201)
    assert after.position("TEE", "WH-1")["reserved"] == len(stored) + 1 and again["status"] == "confirmed"
    after.client.close()
