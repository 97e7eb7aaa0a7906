"""Fraud rules at order capture: each tripped rule puts the order on a fraud hold with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ordermesh.bootstrap import Ordermesh, bootstrap
from ordermesh.domain.fraud import RiskFacts
from ordermesh.settings import Settings
from tests.support.checks import problem
from tests.support.network import Api


@dataclass(frozen=True)
class BulkBuyer:
    """A rule a deployment plugs in (ORDERMESH_FRAUD_RULES='["tests.e2e.test_fraud:bulk_buyer"]')."""

    name: str = "bulk_buyer"

    def check(self, facts: RiskFacts) -> str | None:
        return f"{facts.units} units in one order" if facts.units >= 10 else None


def bulk_buyer() -> BulkBuyer:
    return BulkBuyer()


@pytest.fixture
def om(database_url: str) -> Iterator[Ordermesh]:
    running = bootstrap(Settings(database_url=database_url, sweep_interval_seconds=0, notify_interval_seconds=0,
                                 pool_size=5, fraud_max_order_value={"EUR": "500.00"}, fraud_max_orders_per_hour=2,
                                 fraud_rules=["tests.e2e.test_fraud:bulk_buyer"]))
    yield running
    running.close()


@pytest.fixture
def stocked(admin: Api, network: Any) -> Api:
    for sku in ("TEE", "CAP", "MUG"):
        admin.stock(sku, "WH-1", 100)
    return admin


def fraud_reasons(order: dict[str, Any]) -> list[str]:
    return [h["reason"] for h in order["holds"] if h["type"] == "fraud" and h["released_at"] is None]


def place(api: Api, lines: list[tuple[str, int]], email: str = "ana@example.com", **extra: Any) -> dict[str, Any]:
    body = {"customer": {"email": email}, **extra}
    response = api.place(lines, **body)
    order: dict[str, Any] = api.ok(response, 201)
    return order


def test_an_ordinary_order_trips_no_rule(stocked: Api) -> None:
    order = place(stocked, [("TEE", 1)], billing_address={"country": "DE"})
    assert order["status"] == "confirmed" and order["holds"] == []


def test_an_order_above_the_value_limit_waits_for_review(stocked: Api) -> None:
    order = place(stocked, [("TEE", 2)], price="250.01")
    assert order["status"] == "on_hold"
    assert fraud_reasons(order) == ["max_order_value: order value 500.02 EUR is above the review limit of "
                                    "500.00 EUR"]
    fo = order["fulfillment_orders"][0]["id"]
    problem(stocked.post(f"/fulfillment-orders/{fo}/accept"), 409, "order-on-hold")
    hold = order["holds"][0]["id"]
    released = stocked.ok(stocked.post(f"/orders/{order['id']}/holds/{hold}/release"))
    assert released["status"] == "confirmed"
    assert stocked.ok(stocked.post(f"/fulfillment-orders/{fo}/accept"))["status"] == "accepted"


def test_too_many_orders_from_one_customer_within_an_hour(stocked: Api) -> None:
    first = place(stocked, [("TEE", 1)], email="Rush@Example.com")
    second = place(stocked, [("TEE", 1)], email="rush@EXAMPLE.com")
    assert fraud_reasons(first) == fraud_reasons(second) == []
    third = place(stocked, [("TEE", 1)], email="RUSH@example.com")
    assert fraud_reasons(third) == ["orders_per_hour: customer rush@example.com placed 3 orders within an hour "
                                    "(limit 2)"]
    assert fraud_reasons(place(stocked, [("TEE", 1)], email="calm@example.com")) == []
    timeline = stocked.ok(stocked.get(f"/orders/{third['id']}"))["timeline"]
    placed = [e["data"] for e in timeline if e["type"] == "order.hold_placed"]
    assert [(e["type"], e["actor"]) for e in placed] == [("fraud", "system:fraud")]


def test_billing_in_another_country_than_the_delivery(stocked: Api) -> None:
    order = place(stocked, [("CAP", 1)], billing_address={"country": "FR", "city": "Paris"})
    assert fraud_reasons(order) == ["billing_country_mismatch: billing country FR differs from shipping country DE"]
    same = place(stocked, [("CAP", 1)], billing_address={"country": "DE"})
    assert fraud_reasons(same) == []


def test_a_plugged_in_rule_holds_the_order_too_and_every_tripped_rule_has_its_hold(stocked: Api) -> None:
    order = place(stocked, [("MUG", 10)], price="60.00", billing_address={"country": "AT"})
    assert sorted(r.split(":")[0] for r in fraud_reasons(order)) == [
        "billing_country_mismatch", "bulk_buyer", "max_order_value"]
    assert "bulk_buyer: 10 units in one order" in fraud_reasons(order)


def test_a_fraud_hold_and_a_declined_payment_are_two_holds(stocked: Api) -> None:
    order = place(stocked, [("TEE", 1)], price="900.00", payment={"provider": "test", "token": "tok_decline"})
    assert sorted(h["type"] for h in order["holds"]) == ["fraud", "payment"]


def test_a_change_is_screened_again(stocked: Api) -> None:
    order = place(stocked, [("TEE", 1)], billing_address={"country": "DE"})
    assert order["holds"] == []
    # A new address abroad, then lines that take the order over the value limit: each trips its rule once.
    abroad = {"line1": "Rue de Rivoli 1", "city": "Paris", "postal_code": "75001", "country": "FR"}
    moved = stocked.ok(stocked.post(f"/orders/{order['id']}/address", {"address": abroad}))
    assert [r.split(":")[0] for r in fraud_reasons(moved)] == ["billing_country_mismatch"]
    bigger = stocked.ok(stocked.post(f"/orders/{order['id']}/lines",
                                     {"lines": [{"sku": "MUG", "quantity": 2, "unit_price": "250.00"}]}))
    assert [r.split(":")[0] for r in fraud_reasons(bigger)] == ["billing_country_mismatch", "max_order_value"]
    assert bigger["status"] == "on_hold"
