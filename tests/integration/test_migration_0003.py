"""Revision 0003 on a database that already holds work: existing fulfillment orders get a due time and no
acceptance deadline, so upgrading never sends existing work elsewhere at once; downgrading drops the columns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from ordermesh.adapters.db import migrate
from ordermesh.adapters.db.engine import normalise_url
from tests.support.databases import empty_database

CREATED = "2025-06-01 08:30:00"


@pytest.fixture
def url(backend: str, tmp_path: Path) -> Iterator[str]:
    with empty_database(backend, tmp_path) as empty:
        yield empty


def _run(url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            rows: list[tuple[object, ...]] = []
            for sql in statements:
                result = conn.execute(text(sql))
                rows = [tuple(r) for r in result] if result.returns_rows else rows
            return rows
    finally:
        engine.dispose()


def test_existing_fulfillment_orders_are_due_when_created_and_never_swept_at_once(url: str) -> None:
    migrate.upgrade(url, "0002")
    _run(url,
         "INSERT INTO channels (code, name, type, currency, all_locations, buffer, active, updated_at) "
         f"VALUES ('web', 'Web', 'web', 'EUR', true, 0, true, '{CREATED}')",
         "INSERT INTO locations (code, name, type, latitude, longitude, capabilities, daily_capacity, active, "
         f"version, updated_at) VALUES ('L', 'L', 'store', 0, 0, '[]', '{{}}', true, 1, '{CREATED}')",
         "INSERT INTO orders (id, channel_id, external_id, status, currency, subtotal_minor, total_minor, customer, "
         f"delivery, created_at, updated_at) VALUES ('ord_1', 1, 'E1', 'confirmed', 'EUR', 0, 0, '{{}}', '{{}}', "
         f"'{CREATED}', '{CREATED}')",
         "INSERT INTO fulfillment_orders (id, order_id, location_id, method, status, pickup_attempts, details, "
         f"created_at, updated_at) VALUES ('fo_1', 'ord_1', 1, 'ship', 'open', 0, '{{}}', '{CREATED}', '{CREATED}')",
         f"INSERT INTO skus (code, name, active, tags, updated_at) VALUES ('S', 'S', true, '[]', '{CREATED}')",
         "INSERT INTO order_lines (id, order_id, line_no, sku_id, quantity, unit_price_minor, cancelled, fulfilled) "
         "VALUES ('oln_1', 'ord_1', 1, 1, 1, 100, 0, 0)",
         # A row referencing the rebuilt table: SQLite's table rebuild must not trip over it.
         "INSERT INTO fulfillment_order_lines (fulfillment_order_id, order_line_id, sku_id, quantity) "
         "VALUES ('fo_1', 'oln_1', 1, 1)")
    migrate.upgrade(url)
    due, accept_by, expires = _run(url, "SELECT due_at, accept_by, pickup_expires_at FROM fulfillment_orders")[0]
    assert str(due).startswith(CREATED) and accept_by is None and expires is None
    # 0004: the order placed before it gets its tracking link and keeps its money (no discount, shipping, tax).
    (token, discount, tax), = _run(url, "SELECT tracking_token, discount_minor, tax_minor FROM orders")
    assert isinstance(token, str) and len(token) >= 32 and (discount, tax) == (0, 0)
    migrate.check(url)
    command.downgrade(migrate.alembic_config(url), "0002")
    engine = create_engine(normalise_url(url))
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("fulfillment_orders")}
    finally:
        engine.dispose()
    assert not columns & {"due_at", "accept_by", "pickup_expires_at"}
    assert _run(url, "SELECT id FROM fulfillment_orders") == [("fo_1",)]
    assert _run(url, "SELECT fulfillment_order_id FROM fulfillment_order_lines") == [("fo_1",)]
