"""Helpers for the store-fulfillment tests: walking a fulfillment order through its steps over the API, and
reading what the database recorded (ledger rows, capacity rows) to check each inventory effect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from ordermesh.adapters.db.tables import (
    FulfillmentOrder,
    InventoryMovement,
    Location,
    LocationCapacity,
    Sku,
    table_of,
)
from ordermesh.bootstrap import Ordermesh
from tests.support.network import Api

PARCEL = {"carrier": "DHL", "tracking_number": "JJD0001"}


def step(api: Api, fo_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.post(f"/fulfillment-orders/{fo_id}/{action}", body))
    return result


def walk(api: Api, fo_id: str, *actions: str) -> dict[str, Any]:
    """Take the steps that need no body; returns the fulfillment order after the last."""
    fo: dict[str, Any] = {}
    for action in actions:
        fo = step(api, fo_id, action, PARCEL if action == "ship" else None)
    return fo


def order_of(api: Api, order_id: str) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(api.get(f"/orders/{order_id}"))
    return result


def fos_at(order: dict[str, Any], location: str) -> list[dict[str, Any]]:
    return [fo for fo in order["fulfillment_orders"] if fo["location"] == location]


def ledger(om: Ordermesh, sku: str, location: str) -> list[tuple[str, int, int, str | None]]:
    """The movement ledger of one position, oldest first: (type, on-hand delta, reserved delta, reason)."""
    m, skus, locations = table_of(InventoryMovement), table_of(Sku), table_of(Location)
    stmt = (select(m.c.type, m.c.on_hand_delta, m.c.reserved_delta, m.c.reason)
            .where(m.c.sku_id == select(skus.c.id).where(skus.c.code == sku).scalar_subquery(),
                   m.c.location_id == select(locations.c.id).where(locations.c.code == location).scalar_subquery())
            .order_by(m.c.id))
    with om.engine.connect() as conn:
        return [(t, h, r, why) for t, h, r, why in conn.execute(stmt)]


def capacity_today(om: Ordermesh, location: str, method: str) -> tuple[int, bool] | None:
    """(used, closed) of today's capacity row for the location and method, None if there is none."""
    c, locations = table_of(LocationCapacity), table_of(Location)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    stmt = select(c.c.used, c.c.closed).where(
        c.c.location_id == select(locations.c.id).where(locations.c.code == location).scalar_subquery(),
        c.c.method == method, c.c.day == day)
    with om.engine.connect() as conn:
        row = conn.execute(stmt).first()
    return (row[0], bool(row[1])) if row else None


def set_accept_by(om: Ordermesh, fo_id: str, moment: datetime) -> None:
    """Move an acceptance deadline, as if the fulfillment order had been created long ago."""
    fos = table_of(FulfillmentOrder)
    with om.engine.begin() as conn:
        assert conn.execute(update(fos).where(fos.c.id == fo_id).values(accept_by=moment)).rowcount == 1


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)
