"""Stored responses for Idempotency-Key replays."""

from __future__ import annotations

import zlib

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import is_postgres, utcnow
from ordermesh.adapters.db.tables import IdempotencyRecord, table_of

records = table_of(IdempotencyRecord)


def try_lock(conn: Connection, principal: str, key: str) -> bool:
    """Claim the key for this transaction. On SQLite the write transaction already excludes everyone."""
    if not is_postgres(conn):
        return True
    lock_id = zlib.crc32(f"{principal}\x00{key}".encode()) - 2**31
    return bool(conn.execute(_LOCK, {"k": lock_id}).scalar())


_FIND = select(records).where(records.c.principal == bindparam("p"), records.c.key == bindparam("k"))
_SAVE = FastStatement(insert(records))
_LOCK = text("SELECT pg_try_advisory_xact_lock(:k)")


def find(conn: Connection, principal: str, key: str) -> RowMapping | None:
    return conn.execute(_FIND, {"p": principal, "k": key}).mappings().first()


def save(conn: Connection, principal: str, key: str, request_hash: str, status_code: int, response: str) -> None:
    _SAVE.run(conn, {"principal": principal, "key": key, "request_hash": request_hash,
                         "status_code": status_code, "response": response, "created_at": utcnow()})
