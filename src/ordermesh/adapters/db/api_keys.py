"""API keys: only a SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import ApiKey, table_of

api_keys = table_of(ApiKey)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def insert_key(conn: Connection, key_id: str, secret: str, role: str, scope: str | None, label: str | None) -> None:
    conn.execute(insert(api_keys).values(id=key_id, key_hash=digest(secret), role=role, scope=scope, label=label,
                                         created_at=utcnow()))


def find_by_secret(conn: Connection, secret: str) -> RowMapping | None:
    stmt = select(api_keys).where(api_keys.c.key_hash == digest(secret), api_keys.c.revoked_at.is_(None))
    return conn.execute(stmt).mappings().first()


def revoke(conn: Connection, key_id: str) -> bool:
    stmt = update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
    return conn.execute(stmt.values(revoked_at=utcnow())).rowcount == 1


def all_keys(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(api_keys).order_by(api_keys.c.created_at)).mappings())
