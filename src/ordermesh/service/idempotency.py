"""Idempotency-Key semantics for every creating POST.

Same key and same body → the stored response, replayed. Same key, other body → refused (422). A second
request with the key while the first is still running → 409 at once (PostgreSQL: a transaction-scoped
advisory lock on the key; SQLite: write transactions are serialised, so the second simply sees the
first's stored response). The stored response is written in the same transaction as the change itself,
so either both exist or neither does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from sqlalchemy.engine import Connection

from ordermesh.adapters.db import idempotency as db
from ordermesh.adapters.db.batch import batch
from ordermesh.domain.errors import DomainError, IdempotencyInProgress, IdempotencyKeyReused, InvalidInput
from ordermesh.service.access import Principal
from ordermesh.service.unit_of_work import UnitOfWork

MAX_KEY_LENGTH = 255
P = TypeVar("P")
Work = Callable[[Connection], tuple[int, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


def run(uow: UnitOfWork, who: Principal, key: str | None, request_hash: str, work: Work) -> Outcome:
    _check_key(key)
    with uow.writing() as conn:
        if key is not None:
            stored = _claim(conn, who, key, request_hash)
            if stored is not None:
                return stored
        status_code, body = work(conn)
        if key is not None:
            db.save(conn, who.key_id, key, request_hash, status_code, orjson.dumps(body).decode())
    return Outcome(status_code, body)


def run_planned(uow: UnitOfWork, who: Principal, key: str | None, request_hash: str,
                prepare: Callable[[Connection], P], apply: Callable[[Connection, P], tuple[int, dict[str, Any]]],
                confirm: Callable[[P], None] | None = None) -> Outcome:
    """Like ``run``, but the work is planned on a read snapshot first and only applied under the write lock.

    A stored response found while planning is replayed without taking any lock; the key is claimed
    again inside the write transaction, which is what decides. ``confirm`` runs between the two, on no
    connection, and only for a request that is not a replay: e.g. asking a payment provider.
    """
    _check_key(key)
    try:
        with uow.reading(snapshot=False) as conn, batch(conn):
            # The stored response is asked for with planning's first reads (one round trip) and looked
            # at first: a replay answers from it whatever the plan would have said.
            stored_later = db.find_later(conn, who.key_id, key) if key is not None else None
            try:
                planned = prepare(conn)
            except DomainError:
                if stored_later is not None and (stored := _replay(stored_later(), request_hash)) is not None:
                    return stored
                raise
            if stored_later is not None and (stored := _replay(stored_later(), request_hash)) is not None:
                return stored
    except DomainError:
        # The refusal may be our own twin's doing: a request with this key committed between our check
        # and our plan (its order now "duplicates" ours, or took the last unit). Then its response is ours.
        if key is not None:
            with uow.reading(snapshot=False) as conn:
                if (stored := _stored(conn, who, key, request_hash)) is not None:
                    return stored
        raise
    if confirm is not None:
        confirm(planned)
    with uow.writing() as conn:
        if key is not None and (stored := _claim(conn, who, key, request_hash)) is not None:
            return stored
        with batch(conn):  # the writes go out together; their checks run before the commit
            status_code, body = apply(conn, planned)
            if key is not None:
                db.save(conn, who.key_id, key, request_hash, status_code, orjson.dumps(body).decode())
    return Outcome(status_code, body)


def replay(uow: UnitOfWork, who: Principal, key: str | None, request_hash: str) -> Outcome | None:
    """The stored response for ``key``, if this request was answered before (for work that must not even
    start again, such as asking a payment provider). ``run`` still decides under the write lock."""
    _check_key(key)
    if key is None:
        return None
    with uow.reading(snapshot=False) as conn:
        return _stored(conn, who, key, request_hash)


def _check_key(key: str | None) -> None:
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters", field="Idempotency-Key")


def _claim(conn: Connection, who: Principal, key: str, request_hash: str) -> Outcome | None:
    locked, record = db.claim(conn, who.key_id, key)
    if not locked:
        raise IdempotencyInProgress("a request with this Idempotency-Key is still in progress; retry shortly",
                                    field="Idempotency-Key")
    return _replay(record, request_hash)


def _stored(conn: Connection, who: Principal, key: str, request_hash: str) -> Outcome | None:
    return _replay(db.find(conn, who.key_id, key), request_hash)


def _replay(record: db.StoredResponse | None, request_hash: str) -> Outcome | None:
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body",
                                   field="Idempotency-Key")
    return Outcome(record.status_code, orjson.loads(record.response), replayed=True)
