"""Ceilings measured in the same run: the place-order transaction as raw SQL, without Python in the way.

PostgreSQL: a pgbench script issuing the transaction our service issues (the sourcing read, three
conditional reservations, the order, its lines, the fulfillment order and its lines, ledger rows, events
and the idempotency record). SQLite: the same statements in a plain ``sqlite3`` loop.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

PGBENCH_SCRIPT = r"""
\set s1 random(1, 16)
\set s2 random(17, 33)
\set s3 random(34, 50)
\set lat random(475, 540)
\set lon random(60, 145)
BEGIN;
SELECT substr(replace(gen_random_uuid()::text, '-', ''), 1, 24) AS oid \gset
SELECT p.location_id AS loc FROM inventory_positions p JOIN locations l ON l.id = p.location_id
  WHERE p.sku_id IN (:s1, :s2, :s3) AND l.active AND p.on_hand - p.reserved - p.safety_stock >= 2
  GROUP BY p.location_id, l.latitude, l.longitude HAVING count(*) = 3
  ORDER BY (l.latitude - :lat / 10.0) ^ 2 + (l.longitude - :lon / 10.0) ^ 2 LIMIT 1 \gset
UPDATE inventory_positions SET reserved = reserved + 1, updated_at = now()
  WHERE sku_id = :s1 AND location_id = :loc AND on_hand - reserved - safety_stock >= 1;
UPDATE inventory_positions SET reserved = reserved + 2, updated_at = now()
  WHERE sku_id = :s2 AND location_id = :loc AND on_hand - reserved - safety_stock >= 2;
UPDATE inventory_positions SET reserved = reserved + 1, updated_at = now()
  WHERE sku_id = :s3 AND location_id = :loc AND on_hand - reserved - safety_stock >= 1;
INSERT INTO inventory_movements (sku_id, location_id, type, on_hand_delta, reserved_delta, source, created_at)
  VALUES (:s1, :loc, 'reserve', 0, 1, 'order', now()), (:s2, :loc, 'reserve', 0, 2, 'order', now()),
         (:s3, :loc, 'reserve', 0, 1, 'order', now());
INSERT INTO orders (id, channel_id, external_id, status, currency, subtotal_minor, total_minor, customer, delivery,
  created_at, updated_at) VALUES (:oid, 1, :oid, 'confirmed', 'EUR', 7249, 7249,
  '{"email": "b@example.com"}', '{"method": "ship"}', now(), now());
INSERT INTO order_lines (id, order_id, line_no, sku_id, quantity, unit_price_minor, cancelled, fulfilled)
  VALUES (:oid || 'a', :oid, 1, :s1, 1, 1999, 0, 0), (:oid || 'b', :oid, 2, :s2, 2, 500, 0, 0),
         (:oid || 'c', :oid, 3, :s3, 1, 4250, 0, 0);
INSERT INTO fulfillment_orders (id, order_id, location_id, method, status, pickup_attempts, details, created_at,
  updated_at) VALUES (:oid || 'f', :oid, :loc, 'ship', 'open', 0, '{}', now(), now());
INSERT INTO fulfillment_order_lines (fulfillment_order_id, order_line_id, sku_id, quantity)
  VALUES (:oid || 'f', :oid || 'a', :s1, 1), (:oid || 'f', :oid || 'b', :s2, 2), (:oid || 'f', :oid || 'c', :s3, 1);
INSERT INTO sourcing_decisions (order_id, trigger, strategy, explanation, created_at)
  VALUES (:oid, 'placed', 'nearest', '{"strategy": "nearest", "candidates": []}', now());
INSERT INTO events (tx_id, type, occurred_at, order_id, channel_id, data)
  VALUES (pg_current_xact_id()::text::bigint, 'order.created', now(), :oid, 1, '{}'),
         (pg_current_xact_id()::text::bigint, 'inventory.reserved', now(), :oid, 1, '{}'),
         (pg_current_xact_id()::text::bigint, 'fulfillment_order.created', now(), :oid, 1, '{}');
INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response, created_at)
  VALUES ('bench', :oid, 'h', 201, '{}', now());
END;
"""


def pgbench(url: str, *, clients: int, seconds: int) -> float:
    """Transactions per second of the raw place-order transaction."""
    parsed = make_url(url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    command = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds),
               "-f", script.name, "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
               "-U", parsed.username or "postgres", parsed.database or "postgres"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if not match:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(match.group(1))


def sqlite_loop(path: str, *, seconds: float, skus: int = 50) -> float:
    """Transactions per second of the same transaction in a plain sqlite3 loop (one writer)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    locations = conn.execute("SELECT id, latitude, longitude FROM locations").fetchall()
    sku_ids = [r[0] for r in conn.execute("SELECT id FROM skus ORDER BY id").fetchall()][:skus]
    done, deadline = 0, time.perf_counter() + seconds
    third = len(sku_ids) // 3
    rng = random.Random(3)
    while time.perf_counter() < deadline:
        s = (rng.choice(sku_ids[:third]), rng.choice(sku_ids[third:2 * third]), rng.choice(sku_ids[2 * third:]))
        lat, lon = 47.5 + rng.random() * 6.5, 6 + rng.random() * 8.5
        _sqlite_transaction(conn, s, lat, lon, locations)
        done += 1
    conn.close()
    return done / seconds


def _sqlite_transaction(conn: sqlite3.Connection, s: tuple[int, int, int], lat: float, lon: float,
                        locations: list[tuple[int, float, float]]) -> None:
    oid = uuid.uuid4().hex
    now = "2026-01-01 00:00:00"
    conn.execute("BEGIN IMMEDIATE")
    rows = conn.execute(
        "SELECT p.location_id, l.latitude, l.longitude FROM inventory_positions p JOIN locations l "
        "ON l.id = p.location_id WHERE p.sku_id IN (?, ?, ?) AND l.active AND "
        "p.on_hand - p.reserved - p.safety_stock >= 2 GROUP BY p.location_id HAVING count(*) = 3", s).fetchall()
    loc = min(rows, key=lambda r: (r[1] - lat) ** 2 + (r[2] - lon) ** 2)[0]
    for sku, q in zip(s, (1, 2, 1), strict=True):
        conn.execute("UPDATE inventory_positions SET reserved = reserved + ?, updated_at = ? WHERE sku_id = ? AND "
                     "location_id = ? AND on_hand - reserved - safety_stock >= ?", (q, now, sku, loc, q))
    conn.executemany("INSERT INTO inventory_movements (sku_id, location_id, type, on_hand_delta, reserved_delta, "
                     "source, created_at) VALUES (?, ?, 'reserve', 0, ?, 'order', ?)",
                     [(sku, loc, q, now) for sku, q in zip(s, (1, 2, 1), strict=True)])
    conn.execute("INSERT INTO orders (id, channel_id, external_id, status, currency, subtotal_minor, total_minor, "
                 "customer, delivery, created_at, updated_at) VALUES (?, 1, ?, 'confirmed', 'EUR', 7249, 7249, ?, ?, "
                 "?, ?)", (oid, oid, json.dumps({"email": "b@example.com"}), json.dumps({"method": "ship"}), now, now))
    conn.executemany("INSERT INTO order_lines (id, order_id, line_no, sku_id, quantity, unit_price_minor, cancelled, "
                     "fulfilled) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
                     [(oid + "abc"[i], oid, i + 1, sku, q, p) for i, (sku, q, p)
                      in enumerate(zip(s, (1, 2, 1), (1999, 500, 4250), strict=True))])
    conn.execute("INSERT INTO fulfillment_orders (id, order_id, location_id, method, status, pickup_attempts, "
                 "details, created_at, updated_at) VALUES (?, ?, ?, 'ship', 'open', 0, '{}', ?, ?)",
                 (oid + "f", oid, loc, now, now))
    conn.executemany("INSERT INTO fulfillment_order_lines (fulfillment_order_id, order_line_id, sku_id, quantity) "
                     "VALUES (?, ?, ?, ?)", [(oid + "f", oid + "abc"[i], sku, q)
                                             for i, (sku, q) in enumerate(zip(s, (1, 2, 1), strict=True))])
    conn.execute("INSERT INTO sourcing_decisions (order_id, trigger, strategy, explanation, created_at) "
                 "VALUES (?, 'placed', 'nearest', '{}', ?)", (oid, now))
    conn.executemany("INSERT INTO events (tx_id, type, occurred_at, order_id, channel_id, data) "
                     "VALUES (0, ?, ?, ?, 1, '{}')",
                     [(t, now, oid) for t in ("order.created", "inventory.reserved", "fulfillment_order.created")])
    conn.execute("INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response, created_at) "
                 "VALUES ('bench', ?, 'h', 201, '{}', ?)", (oid, now))
    conn.execute("COMMIT")
