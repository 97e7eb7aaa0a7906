"""Cart holds: stock held for a while, converted into an order, released, or expired — each exactly once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ordermesh.bootstrap import Ordermesh
from ordermesh.service.reservations import sweep_expired
from tests.support.checks import assert_ledger_agrees, problem, row_counts
from tests.support.network import Api


def hold(api: Api, lines: list[tuple[str, int]], *, ttl: int = 600, **extra: Any) -> dict[str, Any]:
    body = {"channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in lines], "ttl_seconds": ttl, **extra}
    result: dict[str, Any] = api.ok(api.post("/reservations", body), 201)
    return result


def test_a_hold_reserves_stock_and_says_when_it_expires(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 5)
    before = datetime.now(UTC)
    held = hold(admin, [("TEE", 2), ("CAP", 1)], ttl=900)
    assert held["id"].startswith("res_") and held["status"] == "active" and held["channel"] == "web"
    expires = datetime.fromisoformat(held["expires_at"])
    assert before + timedelta(seconds=899) <= expires <= datetime.now(UTC) + timedelta(seconds=901)
    assert sorted((x["sku"], x["location"], x["quantity"]) for x in held["lines"]) == [
        ("CAP", "WH-1", 1), ("TEE", "WH-1", 2)]
    assert admin.position("TEE", "WH-1")["reserved"] == 2
    assert admin.ok(admin.get(f"/reservations/{held['id']}")) == held
    assert_ledger_agrees(om)


def test_a_hold_takes_what_a_later_order_cannot(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 3)
    hold(admin, [("TEE", 2)])
    problem(admin.place([("TEE", 2)]), 409, "insufficient-stock")
    problem(admin.post("/reservations", {"channel": "web", "lines": [{"sku": "TEE", "quantity": 2}]}), 409,
            "insufficient-stock")
    admin.ok(admin.place([("TEE", 1)]), 201)


def test_a_hold_at_a_named_store_reserves_only_there(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 50)
    admin.stock("TEE", "STORE-MUC", 1)
    held = hold(admin, [("TEE", 1)], location="STORE-MUC")
    assert [x["location"] for x in held["lines"]] == ["STORE-MUC"]
    problem(admin.post("/reservations", {"channel": "web", "lines": [{"sku": "TEE", "quantity": 1}],
                                         "location": "STORE-MUC"}), 409, "insufficient-stock")
    assert admin.position("TEE", "WH-1")["reserved"] == 0


def test_an_order_converts_the_hold_without_reserving_twice(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 3)
    held = hold(admin, [("TEE", 3)])
    order = admin.ok(admin.place([("TEE", 3)], reservation_id=held["id"]), 201)
    assert admin.position("TEE", "WH-1")["reserved"] == 3
    assert [(fo["location"], fo["lines"][0]["quantity"]) for fo in order["fulfillment_orders"]] == [("WH-1", 3)]
    assert order["sourcing"]["reservation_id"] == held["id"]
    assert admin.ok(admin.get(f"/reservations/{held['id']}"))["status"] == "converted"
    problem(admin.delete(f"/reservations/{held['id']}"), 409, "reservation-unavailable")
    assert admin.position("TEE", "WH-1")["reserved"] == 3
    problem(admin.place([("TEE", 3)], reservation_id=held["id"]), 409, "reservation-unavailable",
            "reservation_id")
    admin.ok(admin.post(f"/orders/{order['id']}/cancel", {}))
    assert admin.position("TEE", "WH-1")["reserved"] == 0
    assert_ledger_agrees(om)


def test_an_order_takes_what_it_needs_from_a_hold_and_gives_the_rest_back(admin: Api, network: Any,
                                                                          om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 5)
    held = hold(admin, [("TEE", 3), ("CAP", 1)])
    order = admin.ok(admin.place([("TEE", 4)], reservation_id=held["id"]), 201)
    assert sum(fo["lines"][0]["quantity"] for fo in order["fulfillment_orders"]) == 4
    assert admin.position("TEE", "WH-1")["reserved"] == 4  # three held, one more reserved by the order
    assert admin.position("CAP", "WH-1")["reserved"] == 0  # the cart's cap was not bought: released
    assert_ledger_agrees(om)


def test_another_channels_hold_cannot_be_converted(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "STORE-BER", 3)
    held = hold(admin, [("TEE", 1)])
    before = row_counts(om)
    problem(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER",
                        reservation_id=held["id"]), 422, "validation-error", "reservation_id")
    assert row_counts(om) == before


def test_releasing_a_hold_gives_the_stock_back_once(admin: Api, network: Any, om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 4)
    held = hold(admin, [("TEE", 4)])
    assert admin.delete(f"/reservations/{held['id']}").status_code == 204
    assert admin.position("TEE", "WH-1")["reserved"] == 0
    assert admin.ok(admin.get(f"/reservations/{held['id']}"))["status"] == "released"
    again = problem(admin.delete(f"/reservations/{held['id']}"), 409, "reservation-unavailable")
    assert "released" in again["detail"]
    assert admin.position("TEE", "WH-1")["reserved"] == 0
    problem(admin.place([("TEE", 1)], reservation_id=held["id"]), 409, "reservation-unavailable")
    assert_ledger_agrees(om)


def test_a_channel_key_holds_and_releases_only_its_own_holds(admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "STORE-BER", 4)
    web, pos = key_for("channel", "web"), key_for("channel", "pos")
    mine = hold(web, [("TEE", 1)])
    problem(pos.get(f"/reservations/{mine['id']}"), 404, "not-found")
    problem(pos.delete(f"/reservations/{mine['id']}"), 404, "not-found")
    problem(key_for("location", "STORE-BER").get(f"/reservations/{mine['id']}"), 404, "not-found")
    assert admin.position("TEE", "STORE-BER")["reserved"] == 1
    assert web.delete(f"/reservations/{mine['id']}").status_code == 204
    assert admin.position("TEE", "STORE-BER")["reserved"] == 0


def test_expired_holds_are_released_exactly_once_and_cannot_be_used(admin: Api, network: Any,
                                                                    om: Ordermesh) -> None:
    admin.stock("TEE", "WH-1", 5)
    admin.stock("CAP", "WH-1", 5)
    short = hold(admin, [("TEE", 2)], ttl=1)
    other = hold(admin, [("CAP", 1)], ttl=1)
    lasting = hold(admin, [("TEE", 1)], ttl=600)
    time.sleep(1.1)
    before = row_counts(om)
    # Expired but not yet swept: the hold is still counted against stock, yet no order may use it.
    refused = problem(admin.place([("TEE", 2)], reservation_id=short["id"]), 409, "reservation-unavailable",
                      "reservation_id")
    assert "expired" in refused["detail"]
    assert row_counts(om) == before
    assert admin.position("TEE", "WH-1")["reserved"] == 3
    assert sweep_expired(om.uow) == 2
    assert sweep_expired(om.uow) == 0
    assert admin.position("TEE", "WH-1")["reserved"] == 1
    assert admin.position("CAP", "WH-1")["reserved"] == 0
    assert admin.ok(admin.get(f"/reservations/{short['id']}"))["status"] == "expired"
    assert admin.ok(admin.get(f"/reservations/{other['id']}"))["status"] == "expired"
    assert admin.ok(admin.get(f"/reservations/{lasting['id']}"))["status"] == "active"
    problem(admin.delete(f"/reservations/{short['id']}"), 409, "reservation-unavailable")
    problem(admin.place([("TEE", 2)], reservation_id=short["id"]), 409, "reservation-unavailable")
    assert admin.position("TEE", "WH-1")["reserved"] == 1
    assert_ledger_agrees(om)
