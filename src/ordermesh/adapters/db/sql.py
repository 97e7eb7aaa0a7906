"""Small SQL building blocks shared by the repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def upsert(conn: Connection, table: Table, values: dict[str, Any], keys: Sequence[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE, on either database; a ``version`` column is bumped."""
    dialect_insert = postgresql.insert if is_postgres(conn) else sqlite.insert
    stmt = dialect_insert(table).values(**values)
    update: dict[str, Any] = {k: stmt.excluded[k] for k in values if k not in keys}
    if "version" in table.c:
        update["version"] = table.c.version + 1
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))
