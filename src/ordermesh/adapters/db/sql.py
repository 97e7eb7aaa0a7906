"""Small SQL building blocks shared by the repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Integer, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement


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


class InList(ColumnElement[bool]):
    """``column IN <the JSON array bound as :name>``: one fixed statement text for any number of values.

    SQLAlchemy's expanding IN renders a new statement per list length, which the hot paths' statements
    compiled once (fast.py) cannot do. The list is bound as one JSON text parameter instead, unpacked by
    ``json_each`` on SQLite and ``jsonb_array_elements_text`` on PostgreSQL.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate already: SQLite needs no "= 1" after it

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


@compiles(InList, "sqlite")
def _in_list_sqlite(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(bindparam(element.name), **kw)}))"


@compiles(InList, "postgresql")
def _in_list_postgresql(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    cast = "::bigint" if isinstance(element.column.type, Integer) else ""
    values = f"jsonb_array_elements_text(CAST({compiler.process(bindparam(element.name), **kw)} AS jsonb))"
    # = ANY(ARRAY(…)), not IN (SELECT …): the array is computed once, and the planner can then use an
    # index scan where a semi-join over an unknown set function would scan the whole table.
    return f"{column} = ANY(ARRAY(SELECT {values}{cast}))"
