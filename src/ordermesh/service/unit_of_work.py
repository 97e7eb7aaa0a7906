"""The unit of work: the only transaction boundary of the service layer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ordermesh.adapters.db.batch import begin_with_first_statement
from ordermesh.adapters.db.engine import WRITE_OPTION


class UnitOfWork:
    """Hands out connections inside a transaction: ``writing()`` for changes, ``reading()`` for queries."""

    def __init__(self, engine: Engine, *, public_url: str = "") -> None:
        self.engine = engine
        # Where customers reach this Ordermesh (tracking page links in order views and messages).
        self.public_url = public_url
        self.is_postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time. Waiting writers of this process queue on a lock here rather
        # than in SQLite's busy handler, which polls with growing sleeps (up to 100 ms) and turns a
        # queue of a few milliseconds into seconds of tail latency. Other processes still wait in SQLite.
        self._sqlite_writer = None if self.is_postgres else threading.Lock()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        with self._writer_turn(), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            if self.is_postgres:  # BEGIN goes out with the first statement, not in a round trip of its own
                begin_with_first_statement(conn)
            with conn.begin():
                yield conn

    @contextmanager
    def reading(self, *, snapshot: bool = True) -> Iterator[Connection]:
        """A read transaction. ``snapshot=False`` lets each statement see the latest commits instead of one
        snapshot, which on PostgreSQL saves the BEGIN and COMMIT round trips: for reads that a later
        write re-checks anyway, such as planning an order."""
        with self.engine.connect() as conn:
            if not snapshot and self.is_postgres:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn
                return
            with conn.begin():
                yield conn

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        if self._sqlite_writer is None:
            yield
            return
        with self._sqlite_writer:
            yield
