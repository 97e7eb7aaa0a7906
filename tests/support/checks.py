"""Assertions the e2e tests share: problem responses, "nothing was written", and ledger consistency.

These read the real database the app under test writes to; they arrange nothing and mock nothing.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import func, select, update

from ordermesh.adapters.db.inventory import ledger_totals
from ordermesh.adapters.db.tables import (
    Channel,
    Event,
    FulfillmentOrder,
    IdempotencyRecord,
    InventoryMovement,
    InventoryPosition,
    Location,
    Order,
    OrderHold,
    OrderLine,
    Reservation,
    Sku,
    SourcingDecision,
    table_of,
)
from ordermesh.bootstrap import Ordermesh
from tests.support.network import Api

PROBLEM_JSON = "application/problem+json"
WRITTEN_TABLES = (Order, OrderLine, OrderHold, FulfillmentOrder, SourcingDecision, Reservation, Event,
                  InventoryMovement, IdempotencyRecord)


def problem(response: httpx.Response, status: int, slug: str, field: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem of this status and type (and field); return its body."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{slug}", body
    assert body["status"] == status and body["title"] and body["detail"], body
    if field is not None:
        assert body.get("field") == field, body
    return body


def row_counts(om: Ordermesh) -> dict[str, int]:
    """Rows in every table a request may write to: equal before and after means nothing was written."""
    with om.engine.connect() as conn:
        return {m.__tablename__: conn.execute(select(func.count()).select_from(table_of(m))).scalar_one()
                for m in WRITTEN_TABLES}


def positions(om: Ordermesh) -> dict[tuple[int, int], tuple[int, int]]:
    """(sku id, location id) → (on hand, reserved) for every position."""
    table = table_of(InventoryPosition)
    with om.engine.connect() as conn:
        rows = conn.execute(select(table.c.sku_id, table.c.location_id, table.c.on_hand, table.c.reserved))
        return {(s, loc): (h, r) for s, loc, h, r in rows}


def assert_ledger_agrees(om: Ordermesh) -> None:
    """Σ of the movement ledger per position equals the position itself, and nothing is oversold."""
    with om.engine.connect() as conn:
        ledger = ledger_totals(conn)
    stored = positions(om)
    for key, (on_hand, reserved) in stored.items():
        assert ledger.get(key, (0, 0)) == (on_hand, reserved), f"position {key}: ledger {ledger.get(key)}"
        assert 0 <= reserved <= on_hand
    assert set(ledger) <= set(stored)


def set_safety_stock(om: Ordermesh, sku: str, location: str, units: int) -> None:
    """There is no API for safety stock yet; set it where a planner's import would."""
    positions_table, skus, locations = table_of(InventoryPosition), table_of(Sku), table_of(Location)
    with om.engine.begin() as conn:
        sku_id = conn.execute(select(skus.c.id).where(skus.c.code == sku)).scalar_one()
        location_id = conn.execute(select(locations.c.id).where(locations.c.code == location)).scalar_one()
        changed = conn.execute(update(positions_table).where(positions_table.c.sku_id == sku_id,
                                                             positions_table.c.location_id == location_id)
                               .values(safety_stock=units))
        assert changed.rowcount == 1, f"no position for {sku} at {location}"


def event_count(om: Ordermesh, *, location: str | None = None, channel: str | None = None) -> int:
    """Events stored in the outbox, optionally only those tagged with one location or channel."""
    events = table_of(Event)
    stmt = select(func.count()).select_from(events)
    with om.engine.connect() as conn:
        for kind, code, column in (("locations", location, events.c.location_id),
                                   ("channels", channel, events.c.channel_id)):
            if code is not None:
                table = table_of(Location) if kind == "locations" else table_of(Channel)
                stmt = stmt.where(column == select(table.c.id).where(table.c.code == code).scalar_subquery())
        return int(conn.execute(stmt).scalar_one())


def read_feed(api: Api, *, expect: int, limit: int = 500, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Every event the key may see, paged by cursor, once ``expect`` of them show.

    On PostgreSQL the feed holds back events newer than the oldest transaction still running anywhere in
    the cluster (so a cursor never skips one that commits late); another test's transaction may delay them.
    """
    deadline = time.monotonic() + timeout
    while True:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = api.ok(api.get("/events", limit=limit, **({"after": cursor} if cursor else {})))
            items += page["items"]
            if not page["items"]:
                break
            cursor = page["next_cursor"]
        if len(items) >= expect or time.monotonic() > deadline:
            assert len(items) == expect, f"feed shows {len(items)} events, the outbox holds {expect}"
            return items
        time.sleep(0.05)
