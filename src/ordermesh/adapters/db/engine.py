"""Engines for SQLite (embedded default) and PostgreSQL (production).

SQLite: WAL, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions — with a
deferred BEGIN two writers that both read first deadlock on the upgrade to a write lock and one fails
with "database is locked" whatever the timeout. Reads use a plain BEGIN and see a WAL snapshot.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

from ordermesh.adapters.db import batch

WRITE_OPTION = "ordermesh_write"
SQLITE_POOL = 40


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# orjson for JSON columns: the sourcing explanation and event payloads are serialised on every order.
JSON_CODEC: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


def is_sqlite_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here, not psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 20, sqlite_synchronous: str = "NORMAL") -> Engine:
    url = normalise_url(url)
    if is_sqlite_url(url):
        return _sqlite_engine(url, pool_size, sqlite_synchronous)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        pool_pre_ping=False,
        pool_recycle=3600,
        **JSON_CODEC,
    )
    batch.watch_statements(engine)
    return engine


def _sqlite_engine(url: str, pool_size: int, synchronous: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # One connection per request thread (the server's thread pool has 40): an overflow connection is
    # closed on return and re-opened, with its PRAGMAs, on the next burst.
    engine = create_engine(
        url,
        connect_args={"timeout": 60, "check_same_thread": False},
        pool_size=max(pool_size, SQLITE_POOL),
        max_overflow=0,
        pool_timeout=60,
        **JSON_CODEC,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        # Straight on the driver: SQLAlchemy's execution layer would add ~0.1 ms to every transaction,
        # and an order has two (planning's read, then the write).
        driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def statistics_warning(engine: Engine) -> str | None:
    """Why PostgreSQL's query plans may go bad as the tables grow, if they may; None when all is well.

    The hot-path statements are prepared once per connection and PostgreSQL keeps the plan it made
    then. Statistics gathered by autovacuum replace a plan made while a table was small; with autovacuum
    off they never come, and lookups such as "does this channel already have this external id" scan every
    order (measured: PostgreSQL's own work per order doubled within 10,000 orders).
    """
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        autovacuum = conn.exec_driver_sql("SELECT current_setting('autovacuum')").scalar()
    if autovacuum == "on":
        return None
    return ("PostgreSQL runs with autovacuum off: no table statistics are gathered, and query plans made "
            "while tables were small stay in use as they grow. Turn autovacuum on, or run ANALYZE regularly.")
