"""Money under concurrency, over HTTP against real server processes: refunds racing each other never give back
more than was captured, at our end or at the provider's (whose ledger the worker processes share)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import Counter
from contextlib import closing

import pytest

from tests.concurrency.live import LiveServer, burst
from tests.support.network import Api

pytestmark = pytest.mark.slow


def test_twenty_refunds_at_once_give_back_at_most_what_was_captured(server: LiveServer, shop: Api) -> None:
    shop.stock("TEE", "WH-1", 1)
    order = shop.ok(shop.place([("TEE", 1)], payment={"provider": "test", "token": "tok_ok"}), 201)  # 10.00
    fo = order["fulfillment_orders"][0]["id"]
    for step in ("accept", "pick", "pack"):
        shop.ok(shop.post(f"/fulfillment-orders/{fo}/{step}"))
    shop.ok(shop.post(f"/fulfillment-orders/{fo}/ship", {"carrier": "DHL", "tracking_number": "JJD1"}))

    responses = burst(server.url, shop.key, [
        ("POST", f"/orders/{order['id']}/refunds", {"amount": "4.00", "reason": "goodwill"},
         {"Idempotency-Key": uuid.uuid4().hex}) for _ in range(20)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 2, 422: 18}, [r.text for r in responses if r.status_code not in (201, 422)][:3]
    assert all(r.json()["field"] == "amount" for r in responses if r.status_code == 422)
    after = shop.ok(shop.get(f"/orders/{order['id']}"))
    assert after["payment_summary"]["refunded"] == "8.00" and after["payment_summary"]["refundable"] == "2.00"
    with closing(sqlite3.connect(server.workdir / "test-provider.db")) as ledger:
        states = [json.loads(s) for (s,) in ledger.execute("SELECT state FROM authorizations")]
    assert [(s["captured"], s["refunded"]) for s in states] == [(1000, 800)]
