"""The built-in test provider: deterministic outcomes by token, idempotent by key, like a real gateway.

Tokens: ``tok_ok`` approves; ``tok_decline`` is declined; ``tok_error`` errors on every call (the
outcome is unknown, as with a gateway timeout); ``tok_slow`` approves after ``slow_seconds``;
``tok_flaky`` approves, but the first capture or refund under each key errors *after* the money moved
— the lost-answer case that only a retry with the same key settles correctly.

The provider keeps its own ledger (authorizations, captures, refunds), as a gateway does, in memory or
in a SQLite file of its own when several Ordermesh processes share it. A call repeated with a key it has
seen returns the first answer and moves nothing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ordermesh.domain.payments import ProviderResult, ProviderUnavailable

APPROVE, DECLINE, ERROR, SLOW, FLAKY = "tok_ok", "tok_decline", "tok_error", "tok_slow", "tok_flaky"


@dataclass
class _Authorization:
    amount: int
    currency: str
    token: str
    captured: int = 0
    refunded: int = 0
    voided: bool = False
    flaky_keys: list[str] = field(default_factory=list)  # keys whose answer was "lost" once already


class TestProvider:
    """``name = "test"``. Thread-safe; a ``ledger_path`` makes it shared by processes and restarts."""

    __test__ = False  # not a pytest test class
    name = "test"

    def __init__(self, ledger_path: str | None = None, *, slow_seconds: float = 2.0) -> None:
        self.slow_seconds = slow_seconds
        self._lock = threading.Lock()
        self._path = ledger_path
        self._connection: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """The ledger, opened on first use: a server or CLI command that takes no payment never creates it."""
        if self._connection is None:
            with self._lock:
                if self._connection is None:
                    self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        if self._path:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path or ":memory:", check_same_thread=False, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, result TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS authorizations (ref TEXT PRIMARY KEY, state TEXT NOT NULL)")
        return db

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def authorize(self, *, key: str, token: str, amount_minor: int, currency: str) -> ProviderResult:
        if token == ERROR:
            raise ProviderUnavailable("test provider: tok_error always errors")
        if token == SLOW:
            time.sleep(self.slow_seconds)
        with self._transaction() as ledger:
            if (seen := ledger.answer(key)) is not None:
                return seen
            if token not in (APPROVE, SLOW, FLAKY):
                reason = "card declined" if token == DECLINE else f"unknown test token {token!r}"
                return ledger.remember(key, ProviderResult(False, None, reason))
            ref = "auth_" + hashlib.sha256(key.encode()).hexdigest()[:20]
            ledger.put(ref, _Authorization(amount_minor, currency, token))
            return ledger.remember(key, ProviderResult(True, ref, "approved"))

    def capture(self, *, key: str, authorization: str, amount_minor: int, currency: str) -> ProviderResult:
        return self._move(key, authorization, "capture", amount_minor)

    def refund(self, *, key: str, authorization: str, amount_minor: int, currency: str) -> ProviderResult:
        return self._move(key, authorization, "refund", amount_minor)

    def void(self, *, key: str, authorization: str) -> ProviderResult:
        with self._transaction() as ledger:
            if (seen := ledger.answer(key)) is not None:
                return seen
            auth = ledger.get(authorization)
            if auth is None:
                return ledger.remember(key, ProviderResult(False, None, "unknown authorization"))
            if auth.captured:
                return ledger.remember(key, ProviderResult(False, None, "already captured; refund instead"))
            auth.voided = True
            ledger.put(authorization, auth)
            return ledger.remember(key, ProviderResult(True, f"void_{authorization}", "voided"))

    def _move(self, key: str, ref: str, kind: str, amount: int) -> ProviderResult:
        with self._transaction() as ledger:
            answer = ledger.answer(key)
            if answer is None:
                answer = ledger.remember(key, self._decide(ledger, ref, kind, amount))
            auth = ledger.get(ref)
            lose_answer = auth is not None and auth.token == FLAKY and key not in auth.flaky_keys
            if auth is not None and lose_answer:
                auth.flaky_keys.append(key)
                ledger.put(ref, auth)
        if lose_answer:  # the money moved; the caller just never heard
            raise ProviderUnavailable(f"test provider: the answer to {kind} {key!r} was lost (tok_flaky)")
        return answer

    @staticmethod
    def _decide(ledger: _Ledger, ref: str, kind: str, amount: int) -> ProviderResult:
        auth = ledger.get(ref)
        if auth is None:
            return ProviderResult(False, None, "unknown authorization")
        if kind == "capture":
            if auth.voided:
                return ProviderResult(False, None, "authorization was voided")
            if auth.captured + amount > auth.amount:
                return ProviderResult(False, None, "capture exceeds the authorized amount")
            auth.captured += amount
        else:
            if auth.refunded + amount > auth.captured:
                return ProviderResult(False, None, "refund exceeds the captured amount")
            auth.refunded += amount
        ledger.put(ref, auth)
        serial = hashlib.sha256(f"{ref}:{kind}:{auth.captured}:{auth.refunded}".encode()).hexdigest()[:16]
        return ProviderResult(True, f"{kind}_{serial}", "approved")

    def _transaction(self) -> _Ledger:
        return _Ledger(self._db, self._lock)


class _Ledger:
    """One locked SQLite transaction over the provider's ledger."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db, self._lock = db, lock

    def __enter__(self) -> _Ledger:
        self._lock.acquire()
        self._db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            self._db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self._lock.release()

    def answer(self, key: str) -> ProviderResult | None:
        row = self._db.execute("SELECT result FROM answers WHERE key = ?", (key,)).fetchone()
        return ProviderResult(**json.loads(row[0])) if row else None

    def remember(self, key: str, result: ProviderResult) -> ProviderResult:
        self._db.execute("INSERT INTO answers (key, result) VALUES (?, ?)", (key, json.dumps(asdict(result))))
        return result

    def get(self, ref: str) -> _Authorization | None:
        row = self._db.execute("SELECT state FROM authorizations WHERE ref = ?", (ref,)).fetchone()
        return _Authorization(**json.loads(row[0])) if row else None

    def put(self, ref: str, auth: _Authorization) -> None:
        self._db.execute("INSERT INTO authorizations (ref, state) VALUES (?, ?) ON CONFLICT (ref) DO UPDATE "
                         "SET state = excluded.state", (ref, json.dumps(asdict(auth))))
