"""Matching at order capture when something changes between an order's plan and its commit, on SQLite and
PostgreSQL: the two races customer matching must survive, played out one step at a time."""

from __future__ import annotations

from typing import Any

import pytest

from ordermesh.adapters.db.batch import ConstraintViolated, batch
from ordermesh.bootstrap import Ordermesh
from ordermesh.entrypoints.api.schemas import OrderCreate
from ordermesh.service import customer_matching, ordering
from ordermesh.service.access import Principal
from ordermesh.service.commands import PlaceOrder
from tests.support.network import BERLIN, Api


def command(email: str, external_id: str) -> PlaceOrder:
    return OrderCreate.model_validate({
        "channel": "web", "external_id": external_id, "currency": "EUR", "customer": {"email": email},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "10.00"}],
        "delivery": {"method": "ship", "address": BERLIN}}).to_command()


def planned(om: Ordermesh, who: Principal, cmd: PlaceOrder) -> ordering.OrderPlan:
    with om.uow.reading(snapshot=False) as conn, batch(conn):
        return ordering.plan(conn, who, cmd)


def committed(om: Ordermesh, cmd: PlaceOrder, plan: ordering.OrderPlan) -> dict[str, Any]:
    with om.uow.writing() as conn, batch(conn):
        return ordering.commit(conn, cmd, plan)


@pytest.fixture
def who(om: Ordermesh, admin: Api, network: Any) -> Principal:
    admin.stock("TEE", "WH-1", 10)
    found = om.keys.principal(admin.key)
    assert found is not None
    return found


def test_the_second_of_two_first_orders_is_refused_by_the_key_and_then_matches_the_first(
        om: Ordermesh, who: Principal) -> None:
    one, two = command("twice@example.com", "A-1"), command("twice@example.com", "A-2")
    plan_one, plan_two = planned(om, who, one), planned(om, who, two)  # both see nobody: two new profiles
    assert plan_one.identity and plan_two.identity and plan_one.identity.profile and plan_two.identity.profile

    first = committed(om, one, plan_one)
    with pytest.raises(ConstraintViolated) as refused:
        committed(om, two, plan_two)

    assert refused.value.constraint == customer_matching.KEY_CONSTRAINT  # what ordering re-plans on
    again = ordering.place(om.uow, who, two, None, "h")
    assert again.body["customer_id"] == first["customer_id"]


def test_an_order_matched_to_a_profile_erased_before_it_commits_is_matched_again(
        om: Ordermesh, who: Principal, admin: Api) -> None:
    first = ordering.place(om.uow, who, command("late@example.com", "B-1"), None, "h").body
    cmd = command("late@example.com", "B-2")
    plan = planned(om, who, cmd)
    assert plan.identity is not None and plan.identity.customer_id == first["customer_id"]
    admin.ok(admin.post(f"/customers/{first['customer_id']}/erase"))

    with pytest.raises(customer_matching.Rematch):
        committed(om, cmd, plan)

    placed = ordering.place(om.uow, who, cmd, None, "h").body
    assert placed["customer_id"] not in (None, first["customer_id"])  # a new profile; nothing joins the erased one
    assert admin.ok(admin.get(f"/customers/{first['customer_id']}"))["orders"][0]["id"] == first["id"]
