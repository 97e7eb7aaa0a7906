"""Daily capacity under concurrency: a store that ships 5 orders a day never gets a sixth, however many
buyers arrive at once; the rest go elsewhere."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from tests.concurrency.live import LiveServer, burst, order_body
from tests.support.network import Api

pytestmark = pytest.mark.slow


def test_40_buyers_at_once_never_book_a_store_past_its_daily_capacity(server: LiveServer, shop: Api) -> None:
    shop.ok(shop.put("/locations/STORE-BER", {"name": "Berlin", "type": "store", "latitude": 52.52,
                                              "longitude": 13.405, "capabilities": ["ship", "pickup"],
                                              "country": "DE", "daily_capacity": {"ship": 5}}))
    shop.stock("TEE", "STORE-BER", 100)  # the nearest, with stock for everyone: only capacity limits it
    shop.stock("TEE", "WH-1", 100)
    calls = [("POST", "/orders", order_body([("TEE", 1)], external_id=f"CAP-{uuid.uuid4().hex}"),
              {"Idempotency-Key": uuid.uuid4().hex}) for _ in range(40)]

    responses = burst(server.url, shop.key, calls)

    assert Counter(r.status_code for r in responses) == {201: 40}, [r.text for r in responses][:3]
    shipped_from = Counter(r.json()["fulfillment_orders"][0]["location"] for r in responses)
    assert shipped_from["STORE-BER"] == 5
    assert sum(shipped_from.values()) == 40
    berlin = shop.ok(shop.get("/inventory", sku="TEE", location="STORE-BER"))["items"][0]
    assert berlin["reserved"] == 5
