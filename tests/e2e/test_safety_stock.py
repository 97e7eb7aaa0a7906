"""Safety stock: units a location keeps back from every channel."""

from __future__ import annotations

from typing import Any

from tests.support.network import Api


def test_safety_stock_is_withheld_from_availability_and_from_orders(admin: Api, network: Any) -> None:
    admin.stock("MUG", "STORE-BER", 5)
    set_ = admin.ok(admin.put("/inventory/MUG/STORE-BER/safety-stock", {"safety_stock": 3}))
    assert set_ == {"sku": "MUG", "location": "STORE-BER", "on_hand": 5, "reserved": 0, "safety_stock": 3,
                    "available": 2}
    availability = admin.ok(admin.get("/availability", channel="pos", sku="MUG"))["items"][0]
    assert availability["available"] == 2
    assert admin.place([("MUG", 3)], channel="pos", method="pickup", pickup="STORE-BER").status_code == 409
    assert admin.place([("MUG", 2)], channel="pos", method="pickup", pickup="STORE-BER").status_code == 201


def test_a_store_key_sets_safety_stock_only_at_its_own_store(admin: Api, network: Any, key_for: Any) -> None:
    store = key_for("location", "STORE-BER")
    assert store.put("/inventory/MUG/STORE-BER/safety-stock", {"safety_stock": 1}).status_code == 200
    assert store.put("/inventory/MUG/STORE-HAM/safety-stock", {"safety_stock": 1}).status_code == 404
    analyst = key_for("analyst")
    assert analyst.put("/inventory/MUG/STORE-BER/safety-stock", {"safety_stock": 1}).status_code == 403
    negative = admin.put("/inventory/MUG/STORE-BER/safety-stock", {"safety_stock": -1})
    assert negative.status_code == 422 and negative.json()["field"] == "safety_stock"
