"""Ceilings measured in the same run: the place-order transaction as raw SQL, without Python in the way.

Every statement the service issues for a 3-line ship order, in its two transactions. Planning's reads:
the stored-response check, the channel (with the external-id check), the SKUs, the customer's keys, the
stock of the three SKUs (aggregated and ordered in SQL here, so the ceiling does less than the service)
and the day's capacity. Then the write transaction: the key's claim (PostgreSQL: its advisory lock), the
customer profile and its key, the order, its lines, the fulfillment order and its lines, the sourcing
decision, three events, the capacity booking, three conditional reservations, their ledger rows and the
stored response. The JSON written (explanation, events, stored response) is what the service wrote for
a real order of the same run, byte for byte, so both write the same amount.

PostgreSQL: a pgbench script, one statement per round trip. SQLite: a plain ``sqlite3`` loop.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Payloads:
    """The JSON the service wrote for a real order of this run: the raw transaction writes the same bytes."""

    customer: str
    delivery: str
    explanation: str
    response: str
    events: dict[str, str]  # event type → its data

    @classmethod
    def read(cls, conn: Any) -> Payloads:
        """From the benchmark's database after the service's run (any DB-API connection)."""
        cur = conn.cursor()
        cur.execute("SELECT customer, delivery FROM orders ORDER BY created_at DESC LIMIT 1")
        customer, delivery = cur.fetchone()
        cur.execute("SELECT explanation FROM sourcing_decisions ORDER BY id DESC LIMIT 1")
        explanation = cur.fetchone()[0]
        cur.execute("SELECT response FROM idempotency_keys WHERE status_code = 201 ORDER BY created_at DESC LIMIT 1")
        response = cur.fetchone()[0]
        events: dict[str, str] = {}
        for kind in EVENT_TYPES:
            cur.execute(f"SELECT data FROM events WHERE type = '{kind}' ORDER BY id DESC LIMIT 1")
            events[kind] = _text(cur.fetchone()[0])
        return cls(_text(customer), _text(delivery), _text(explanation), response, events)


EVENT_TYPES = ("order.created", "inventory.reserved", "fulfillment_order.created")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)  # psycopg hands jsonb back decoded


def _payload(kind: str, cast: str = "jsonb") -> str:
    # pgbench reads ":name" inside any text as a variable, and JSON is full of colons: the payloads wait
    # in a table of their own (see ``pgbench``), one primary-key lookup each.
    return f"(SELECT body::{cast} FROM bench_payloads WHERE kind = '{kind}')"


PGBENCH_SCRIPT = rf"""
\set s1 random(1, 16)
\set s2 random(17, 33)
\set s3 random(34, 50)
\set lat random(475, 540)
\set lon random(60, 145)
\set n random(1, 999999999999999)
\startpipeline
SELECT request_hash, status_code, response FROM idempotency_keys WHERE principal = 'bench' AND key = 'o' || :n;
SELECT c.id, c.currency, c.all_locations, c.buffer, c.active,
  (SELECT o.id FROM orders o WHERE o.channel_id = c.id AND o.external_id = 'o' || :n) AS existing_order_id,
  (SELECT p.id FROM sourcing_profiles p WHERE p.code = c.sourcing_profile AND p.status = 'active') AS profile_id
  FROM channels c WHERE c.code = 'web';
SELECT code, id, weight_grams, tags FROM skus WHERE id IN (:s1, :s2, :s3) AND active;
SELECT k.kind, k.customer_id, c.merged_into, t.merged_into FROM customer_keys k
  JOIN customers c ON c.id = k.customer_id LEFT JOIN customers t ON t.id = c.merged_into
  WHERE k.kind = 'email' AND k.value = 'o' || :n || '@example.com';
SELECT location_id, used, closed FROM location_capacity WHERE day = current_date::text AND method = 'ship';
\endpipeline
SELECT p.location_id AS loc FROM inventory_positions p JOIN locations l ON l.id = p.location_id
  WHERE p.sku_id IN (:s1, :s2, :s3) AND l.active AND p.on_hand - p.reserved - p.safety_stock >= 2
  GROUP BY p.location_id, l.latitude, l.longitude HAVING count(*) = 3
  ORDER BY (l.latitude - :lat / 10.0) ^ 2 + (l.longitude - :lon / 10.0) ^ 2 LIMIT 1 \gset
\startpipeline
BEGIN;
SELECT pg_try_advisory_xact_lock(hashtext('o' || :n));
SELECT request_hash, status_code, response FROM idempotency_keys WHERE principal = 'bench' AND key = 'o' || :n;
\endpipeline
\startpipeline
INSERT INTO customers (id, email, created_at, updated_at)
  VALUES ('c' || :n, 'o' || :n || '@example.com', now(), now());
INSERT INTO customer_keys (kind, value, customer_id) VALUES ('email', 'o' || :n || '@example.com', 'c' || :n);
INSERT INTO orders (id, channel_id, external_id, status, currency, subtotal_minor, total_minor, customer, delivery,
  customer_id, tracking_token, created_at, updated_at)
  VALUES ('o' || :n, 1, 'o' || :n, 'confirmed', 'EUR', 7249, 7249, {_payload('customer')}, {_payload('delivery')},
          'c' || :n, 't' || :n, now(), now());
INSERT INTO order_lines (id, order_id, line_no, sku_id, quantity, unit_price_minor, cancelled, fulfilled)
  VALUES ('o' || :n || 'a', 'o' || :n, 1, :s1, 1, 1999, 0, 0), ('o' || :n || 'b', 'o' || :n, 2, :s2, 2, 500, 0, 0),
         ('o' || :n || 'c', 'o' || :n, 3, :s3, 1, 4250, 0, 0);
INSERT INTO fulfillment_orders (id, order_id, location_id, method, status, pickup_attempts, details, created_at,
  updated_at) VALUES ('o' || :n || 'f', 'o' || :n, :loc, 'ship', 'open', 0, '{{}}', now(), now());
INSERT INTO fulfillment_order_lines (fulfillment_order_id, order_line_id, sku_id, quantity)
  VALUES ('o' || :n || 'f', 'o' || :n || 'a', :s1, 1), ('o' || :n || 'f', 'o' || :n || 'b', :s2, 2),
         ('o' || :n || 'f', 'o' || :n || 'c', :s3, 1);
INSERT INTO sourcing_decisions (order_id, trigger, strategy, explanation, created_at)
  VALUES ('o' || :n, 'placed', 'nearest', {_payload('explanation')}, now());
INSERT INTO events (tx_id, type, occurred_at, order_id, channel_id, data)
  VALUES (pg_current_xact_id()::text::bigint, 'order.created', now(), 'o' || :n, 1, {_payload('order.created')}),
         (pg_current_xact_id()::text::bigint, 'inventory.reserved', now(), 'o' || :n, 1,
          {_payload('inventory.reserved')}),
         (pg_current_xact_id()::text::bigint, 'fulfillment_order.created', now(), 'o' || :n, 1,
          {_payload('fulfillment_order.created')});
INSERT INTO location_capacity (location_id, day, method, used, closed)
  VALUES (:loc, current_date::text, 'ship', 1, false)
  ON CONFLICT (location_id, day, method) DO UPDATE SET used = location_capacity.used + 1
  WHERE location_capacity.used < 2147483647 AND NOT location_capacity.closed RETURNING used;
UPDATE inventory_positions SET reserved = reserved + 1, updated_at = now()
  WHERE sku_id = :s1 AND location_id = :loc AND on_hand - reserved - safety_stock >= 1;
UPDATE inventory_positions SET reserved = reserved + 2, updated_at = now()
  WHERE sku_id = :s2 AND location_id = :loc AND on_hand - reserved - safety_stock >= 2;
UPDATE inventory_positions SET reserved = reserved + 1, updated_at = now()
  WHERE sku_id = :s3 AND location_id = :loc AND on_hand - reserved - safety_stock >= 1;
INSERT INTO inventory_movements (sku_id, location_id, type, on_hand_delta, reserved_delta, source, created_at)
  VALUES (:s1, :loc, 'reserve', 0, 1, 'order', now()), (:s2, :loc, 'reserve', 0, 2, 'order', now()),
         (:s3, :loc, 'reserve', 0, 1, 'order', now());
INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response, created_at)
  VALUES ('bench', 'o' || :n, 'h', 201, {_payload('response', 'text')}, now());
COMMIT;
\endpipeline
"""


def psycopg_dsn(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) as psycopg's own connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pgbench(url: str, *, clients: int, seconds: int) -> float:
    """Transactions per second of the raw place-order transaction (run after the service's run)."""
    parsed = make_url(url)
    with psycopg.connect(psycopg_dsn(url)) as conn:
        payloads = Payloads.read(conn)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_payloads (kind text PRIMARY KEY, body text NOT NULL)")
        conn.execute("DELETE FROM bench_payloads")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_payloads VALUES (%s, %s)", [
                ("customer", payloads.customer), ("delivery", payloads.delivery),
                ("explanation", payloads.explanation), ("response", payloads.response), *payloads.events.items()])
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
    payloads = Payloads.read(conn)
    sku_ids = [r[0] for r in conn.execute("SELECT id FROM skus ORDER BY id").fetchall()][:skus]
    done, deadline = 0, time.perf_counter() + seconds
    third = len(sku_ids) // 3
    rng = random.Random(3)
    while time.perf_counter() < deadline:
        s = (rng.choice(sku_ids[:third]), rng.choice(sku_ids[third:2 * third]), rng.choice(sku_ids[2 * third:]))
        lat, lon = 47.5 + rng.random() * 6.5, 6 + rng.random() * 8.5
        _sqlite_transaction(conn, s, lat, lon, payloads)
        done += 1
    conn.close()
    return done / seconds


def _sqlite_transaction(conn: sqlite3.Connection, s: tuple[int, int, int], lat: float, lon: float,
                        payloads: Payloads) -> None:
    """The service's statements in its two transactions: planning reads, then the write transaction."""
    oid = uuid.uuid4().hex
    now, today = "2026-01-01 00:00:00", "2026-01-01"
    email = f"{oid}@example.com"
    conn.execute("BEGIN")
    conn.execute("SELECT request_hash, status_code, response FROM idempotency_keys WHERE principal = 'bench' "
                 "AND key = ?", (oid,)).fetchall()
    conn.execute("SELECT c.id, c.currency, c.all_locations, c.buffer, c.active, (SELECT o.id FROM orders o "
                 "WHERE o.channel_id = c.id AND o.external_id = ?), (SELECT p.id FROM sourcing_profiles p "
                 "WHERE p.code = c.sourcing_profile AND p.status = 'active') FROM channels c WHERE c.code = 'web'",
                 (oid,)).fetchall()
    conn.execute("SELECT code, id, weight_grams, tags FROM skus WHERE id IN (?, ?, ?) AND active", s).fetchall()
    conn.execute("SELECT k.kind, k.customer_id, c.merged_into, t.merged_into FROM customer_keys k JOIN customers c "
                 "ON c.id = k.customer_id LEFT JOIN customers t ON t.id = c.merged_into WHERE k.kind = 'email' "
                 "AND k.value = ?", (email,)).fetchall()
    rows = conn.execute(
        "SELECT p.location_id, l.latitude, l.longitude FROM inventory_positions p JOIN locations l "
        "ON l.id = p.location_id WHERE p.sku_id IN (?, ?, ?) AND l.active AND "
        "p.on_hand - p.reserved - p.safety_stock >= 2 GROUP BY p.location_id HAVING count(*) = 3", s).fetchall()
    loc = min(rows, key=lambda r: (r[1] - lat) ** 2 + (r[2] - lon) ** 2)[0]
    conn.execute("SELECT location_id, used, closed FROM location_capacity WHERE day = ? AND method = 'ship'",
                 (today,)).fetchall()
    conn.execute("COMMIT")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("SELECT request_hash, status_code, response FROM idempotency_keys WHERE principal = 'bench' "
                 "AND key = ?", (oid,)).fetchall()
    conn.execute("INSERT INTO customers (id, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
                 ("c" + oid, email, now, now))
    conn.execute("INSERT INTO customer_keys (kind, value, customer_id) VALUES ('email', ?, ?)", (email, "c" + oid))
    conn.execute("INSERT INTO orders (id, channel_id, external_id, status, currency, subtotal_minor, total_minor, "
                 "customer, delivery, customer_id, tracking_token, created_at, updated_at) VALUES (?, 1, ?, "
                 "'confirmed', 'EUR', 7249, 7249, ?, ?, ?, ?, ?, ?)",
                 (oid, oid, payloads.customer, payloads.delivery, "c" + oid, "t" + oid, now, now))
    conn.execute("INSERT INTO order_lines (id, order_id, line_no, sku_id, quantity, unit_price_minor, cancelled, "
                 "fulfilled) VALUES (?, ?, 1, ?, 1, 1999, 0, 0), (?, ?, 2, ?, 2, 500, 0, 0), "
                 "(?, ?, 3, ?, 1, 4250, 0, 0)",
                 (oid + "a", oid, s[0], oid + "b", oid, s[1], oid + "c", oid, s[2]))
    conn.execute("INSERT INTO fulfillment_orders (id, order_id, location_id, method, status, pickup_attempts, "
                 "details, created_at, updated_at) VALUES (?, ?, ?, 'ship', 'open', 0, '{}', ?, ?)",
                 (oid + "f", oid, loc, now, now))
    conn.execute("INSERT INTO fulfillment_order_lines (fulfillment_order_id, order_line_id, sku_id, quantity) "
                 "VALUES (?, ?, ?, 1), (?, ?, ?, 2), (?, ?, ?, 1)",
                 (oid + "f", oid + "a", s[0], oid + "f", oid + "b", s[1], oid + "f", oid + "c", s[2]))
    conn.execute("INSERT INTO sourcing_decisions (order_id, trigger, strategy, explanation, created_at) "
                 "VALUES (?, 'placed', 'nearest', ?, ?)", (oid, payloads.explanation, now))
    conn.execute("INSERT INTO events (tx_id, type, occurred_at, order_id, channel_id, data) "
                 "VALUES (0, ?, ?, ?, 1, ?), (0, ?, ?, ?, 1, ?), (0, ?, ?, ?, 1, ?)",
                 tuple(x for kind in EVENT_TYPES for x in (kind, now, oid, payloads.events[kind])))
    conn.execute("INSERT INTO location_capacity (location_id, day, method, used, closed) VALUES (?, ?, 'ship', 1, 0) "
                 "ON CONFLICT (location_id, day, method) DO UPDATE SET used = location_capacity.used + 1 "
                 "WHERE location_capacity.used < 2147483647 AND location_capacity.closed IS 0 RETURNING used",
                 (loc, today)).fetchall()
    for sku, q in zip(s, (1, 2, 1), strict=True):
        conn.execute("UPDATE inventory_positions SET reserved = reserved + ?, updated_at = ? WHERE sku_id = ? AND "
                     "location_id = ? AND on_hand - reserved - safety_stock >= ?", (q, now, sku, loc, q))
    conn.execute("INSERT INTO inventory_movements (sku_id, location_id, type, on_hand_delta, reserved_delta, "
                 "source, created_at) VALUES (?, ?, 'reserve', 0, 1, 'order', ?), (?, ?, 'reserve', 0, 2, 'order', ?), "
                 "(?, ?, 'reserve', 0, 1, 'order', ?)", (s[0], loc, now, s[1], loc, now, s[2], loc, now))
    conn.execute("INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response, created_at) "
                 "VALUES ('bench', ?, 'h', 201, ?, ?)", (oid, payloads.response, now))
    conn.execute("COMMIT")
