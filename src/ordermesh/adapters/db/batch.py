"""Write statements sent together: on PostgreSQL one pipeline, one round trip for the lot.

An order's write phase is a dozen statements whose results nobody needs until the end: the inserts
need none, and the conditional reservations only need their row counts checked before the commit.
Sent one at a time they cost a dozen round trips, each a wake-up of the server and of us, while the
hot stock rows stay locked. Inside ``batch(conn)`` the hot-path statements (``FastStatement``) go to
PostgreSQL back to back in psycopg's pipeline mode; checks registered with ``Batch.check`` run once the
results are in. Any other statement (SQLAlchemy's own execution, which reads results at once) first
sends what is queued and waits for it, so code inside a batch never sees a result that is not there.
SQLite is in-process: statements run at once and the checks run at the same point, so both databases
behave alike.

A failed check, or any statement's error, means the whole transaction must roll back: a batch is for
the tail of a transaction that either all happens or not at all.

Reading a result inside a batch ends the pipeline there (a Sync: one round trip for everything sent so
far) rather than asking for the results so far and keeping the pipeline open (a Flush), which costs one
more round trip at the end just to close it. The next statement opens a new pipeline.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from ordermesh.adapters.db.tables import Base

_ACTIVE = "ordermesh.batch"
_BEGIN_OWED = "ordermesh.begin_owed"


class ConstraintViolated(Exception):
    """A statement in the batch broke a unique or foreign-key constraint (named as in the schema)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


class Batch:
    def __init__(self, conn: Connection) -> None:
        self._driver: psycopg.Connection[Any] | None = (
            conn.connection.dbapi_connection if conn.dialect.name == "postgresql" else None)  # type: ignore[assignment]
        self._pipeline: contextlib.AbstractContextManager[Any] | None = None
        self._checks: list[Callable[[], None]] = []
        self._shared: psycopg.Cursor[Any] | None = None

    def shared_cursor(self) -> psycopg.Cursor[Any]:
        """One cursor for the batch's statements whose results nobody reads (it keeps only the last)."""
        if self._shared is None:
            assert self._driver is not None, "a shared cursor is for PostgreSQL's pipeline"
            self._shared = psycopg.RawCursor(self._driver)  # fast.py's statements use $n placeholders
        return self._shared

    def check(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the batch's results are in (it may raise to refuse the transaction)."""
        self._checks.append(fn)

    def queue(self) -> None:
        """The next statements may be sent without waiting for their results."""
        if self._driver is not None and self._pipeline is None:
            self._pipeline = self._driver.pipeline()
            self._pipeline.__enter__()

    def flush(self, error: BaseException | None = None) -> None:
        """Send what is queued and wait for every result."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.__exit__(type(error) if error else None, error, error.__traceback__ if error else None)

    def _finish(self) -> None:
        self.flush()
        for fn in self._checks:
            fn()


class Pending:
    """The cursor of a statement sent in a PostgreSQL batch: reading it first ends the pipeline."""

    __slots__ = ("_batch", "_cursor")

    def __init__(self, cursor: psycopg.Cursor[Any], active: Batch) -> None:
        self._cursor: psycopg.Cursor[Any] = cursor
        self._batch: Batch | None = active

    def _ready(self) -> psycopg.Cursor[Any]:
        if self._batch is not None:
            self._batch.flush()  # nothing to do when the pipeline has already ended
            self._batch = None
        return self._cursor

    def fetchone(self) -> Any:
        return self._ready().fetchone()

    def fetchall(self) -> list[Any]:
        return self._ready().fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._ready().fetchall())

    @property
    def rowcount(self) -> int:
        return self._ready().rowcount


def begin_with_first_statement(conn: Connection) -> None:
    """PostgreSQL: open ``conn``'s transaction in the same round trip as its first statement.

    psycopg opens a transaction by sending BEGIN before the first statement and, in a pipeline, waiting
    for its answer: a round trip of its own. With the driver in autocommit mode, the BEGIN is ours to
    send, in front of the first statement (``send_owed_begin``); commit and rollback still end the
    transaction, as the driver sends them whenever one is open.
    """
    conn.execution_options(isolation_level="AUTOCOMMIT")
    conn.info[_BEGIN_OWED] = True


def send_owed_begin(conn: Connection, active: Batch | None = None) -> None:
    """Send the BEGIN ``begin_with_first_statement`` deferred: in ``active``'s pipeline, or on its own."""
    if conn.info.pop(_BEGIN_OWED, False):
        if active is not None:
            active.shared_cursor().execute("BEGIN")
        else:
            driver: psycopg.Connection[Any] = conn.connection.dbapi_connection  # type: ignore[assignment]
            driver.execute("BEGIN")


def current(conn: Connection) -> Batch | None:
    active: Batch | None = conn.info.get(_ACTIVE)
    return active


@contextlib.contextmanager
def batch(conn: Connection) -> Iterator[Batch]:
    """Send the statements issued inside as one batch; an inner ``batch`` joins the outer one."""
    if (outer := current(conn)) is not None:
        yield outer
        return
    active = conn.info[_ACTIVE] = Batch(conn)
    try:
        yield active
        active._finish()
    except BaseException as exc:
        active.flush(exc)  # leave pipeline mode whatever happened, so the rollback can run
        if isinstance(exc, psycopg.IntegrityError | sqlite3.IntegrityError | sa_exc.IntegrityError):
            raise ConstraintViolated(_constraint_name(exc)) from exc
        raise
    finally:
        del conn.info[_ACTIVE]


def watch_statements(engine: Engine) -> None:
    """PostgreSQL engines: before SQLAlchemy's own statements (which read their results at once), send the
    batch's queued ones (see the module docstring) and any BEGIN still owed; forget a BEGIN never sent."""

    @event.listens_for(engine, "before_cursor_execute")
    def _flush(conn: Connection, *_: object) -> None:
        if (active := current(conn)) is not None:
            active.flush()
        send_owed_begin(conn)

    # A transaction that ends before its first statement never sent its BEGIN: the debt must not pass to
    # the pooled connection's next user (whose reads would then run inside a stray transaction).
    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _forget_owed_begin(conn: Connection) -> None:
        conn.info.pop(_BEGIN_OWED, None)


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


def _constraint_name(exc: Exception) -> str:
    if isinstance(exc, sa_exc.DBAPIError) and isinstance(exc.orig, Exception):
        exc = exc.orig
    if isinstance(exc, psycopg.Error):
        return exc.diag.constraint_name or ""
    # SQLite names the columns, not the constraint: find the unique constraint over exactly those.
    match = _SQLITE_UNIQUE.search(str(exc))
    if match is None:
        return ""
    columns = [c.strip().split(".") for c in match.group(1).split(",")]
    table = Base.metadata.tables.get(columns[0][0])
    wanted = {name for _, name in columns}
    for constraint in table.constraints if table is not None else ():
        if {c.name for c in constraint.columns} == wanted and constraint.name:  # type: ignore[attr-defined]
            return str(constraint.name)
    return ""
