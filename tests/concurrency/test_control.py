"""The control experiment: without the conditional UPDATE, the same race oversells on PostgreSQL.

Sixteen buyers want the last unit. Each reads what is available, then (after a barrier, so every read
happens before any write — the window a busy server opens by itself) writes its reservation:
- the naive read-then-write on a copy of the positions table without its CHECK constraint sells the one
  unit sixteen times;
- the same naive code on the real table is stopped only by the `reserved <= on_hand` CHECK, as errors;
- our `reserve()` — one UPDATE whose WHERE clause carries the rule — gives the unit to exactly one buyer
  and tells the other fifteen no, with no constraint ever touched.
So the tests in this folder pass because of the guard, not because the race never happens.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy import select

from ordermesh.adapters.db import inventory
from ordermesh.adapters.db.engine import make_engine
from ordermesh.adapters.db.inventory import StockChange
from ordermesh.adapters.db.tables import Location, Sku, table_of
from tests.support.network import Api

pytestmark = [pytest.mark.slow, pytest.mark.postgres,
              pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]
BUYERS = 16
WAIT_SECONDS = 30


def _ids(database_url: str, sku: str, location: str) -> tuple[int, int]:
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as conn:
        sku_id = conn.execute(select(table_of(Sku).c.id).where(table_of(Sku).c.code == sku)).scalar_one()
        location_id = conn.execute(select(table_of(Location).c.id)
                                   .where(table_of(Location).c.code == location)).scalar_one()
    engine.dispose()
    return sku_id, location_id


def _naive_buyer(database_url: str, table: str, key: tuple[int, int], barrier: threading.Barrier) -> str:
    where = "sku_id = %s AND location_id = %s"
    with psycopg.connect(database_url) as conn:
        try:
            row = conn.execute(f"SELECT on_hand - reserved FROM {table} WHERE {where}", key).fetchone()
            available = row[0] if row else 0
            barrier.wait(WAIT_SECONDS)
            if available < 1:
                return "refused"
            conn.execute(f"UPDATE {table} SET reserved = reserved + 1 WHERE {where}", key)
            conn.commit()
            return "reserved"
        except pg_errors.CheckViolation:
            conn.rollback()
            return "check violated"


def _guarded_buyer(database_url: str, key: tuple[int, int], barrier: threading.Barrier) -> str:
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.begin() as conn:
            barrier.wait(WAIT_SECONDS)
            refused: list[StockChange] = []
            inventory.reserve(conn, [StockChange(*key, 1)], buffer=0, source="control", refuse=refused.extend)
        return "refused" if refused else "reserved"
    finally:
        engine.dispose()


def _race(buyer: Any, *args: Any) -> Counter[str]:
    barrier = threading.Barrier(BUYERS)
    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        return Counter(pool.map(lambda _: buyer(*args, barrier), range(BUYERS)))


def _position(database_url: str, table: str, key: tuple[int, int]) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(f"SELECT on_hand, reserved FROM {table} WHERE sku_id = %s AND location_id = %s",
                           key).fetchone()
    assert row is not None
    return row[0], row[1]


def test_without_the_guarded_update_the_last_unit_is_sold_to_every_buyer(
        database_url: str, admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 1)
    admin.stock("CAP", "WH-1", 1)
    tee, cap = _ids(database_url, "TEE", "WH-1"), _ids(database_url, "CAP", "WH-1")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE unguarded_positions AS SELECT * FROM inventory_positions")  # no CHECKs

    assert _race(_naive_buyer, database_url, "unguarded_positions", tee) == {"reserved": BUYERS}
    assert _position(database_url, "unguarded_positions", tee) == (1, BUYERS)  # oversold 16 times

    assert _race(_naive_buyer, database_url, "inventory_positions", tee) == {"reserved": 1,
                                                                            "check violated": BUYERS - 1}
    assert _position(database_url, "inventory_positions", tee) == (1, 1)

    assert _race(_guarded_buyer, database_url, cap) == {"reserved": 1, "refused": BUYERS - 1}
    assert _position(database_url, "inventory_positions", cap) == (1, 1)
