"""Stored responses for Idempotency-Key replays."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.engine import Connection

from ordermesh.adapters.db.batch import batch
from ordermesh.adapters.db.fast import FastStatement
from ordermesh.adapters.db.sql import is_postgres, utcnow
from ordermesh.adapters.db.tables import IdempotencyRecord, table_of

records = table_of(IdempotencyRecord)


class StoredResponse(NamedTuple):
    request_hash: str
    status_code: int
    response: str


_FIND = FastStatement(select(records.c.request_hash, records.c.status_code, records.c.response)
                      .where(records.c.principal == bindparam("p"), records.c.key == bindparam("k")))
_SAVE = FastStatement(insert(records), unread=True)
_LOCK = FastStatement(text("SELECT pg_try_advisory_xact_lock(:k)"))


def _lock_id(principal: str, key: str) -> int:
    return zlib.crc32(f"{principal}\x00{key}".encode()) - 2**31


def claim(conn: Connection, principal: str, key: str) -> tuple[bool, StoredResponse | None]:
    """Claim the key for this write transaction, and read what is stored under it.

    On PostgreSQL an advisory lock held to the commit makes concurrent requests with one key take
    turns (a busy key answers False); on SQLite the write transaction already excludes everyone. The
    lookup runs after the lock, so it sees whatever a twin committed before we got it; both go out in
    one round trip with the transaction's BEGIN.
    """
    with batch(conn):
        lock = _LOCK.run(conn, {"k": _lock_id(principal, key)}) if is_postgres(conn) else None
        found = _FIND.run(conn, {"p": principal, "k": key})
    locked = bool(lock.fetchone()[0]) if lock is not None else True
    row = found.fetchone()
    return locked, StoredResponse(*row) if row is not None else None


def find(conn: Connection, principal: str, key: str) -> StoredResponse | None:
    return find_later(conn, principal, key)()


def find_later(conn: Connection, principal: str, key: str) -> Callable[[], StoredResponse | None]:
    """``find``, sent at once and read when the returned function is called (several reads, one trip)."""
    cursor = _FIND.run(conn, {"p": principal, "k": key})

    def read() -> StoredResponse | None:
        row = cursor.fetchone()
        return StoredResponse(*row) if row is not None else None

    return read


def save(conn: Connection, principal: str, key: str, request_hash: str, status_code: int, response: str) -> None:
    _SAVE.run(conn, {"principal": principal, "key": key, "request_hash": request_hash,
                     "status_code": status_code, "response": response, "created_at": utcnow()})
