"""E2E tests on PostgreSQL reuse one migrated database per test process, emptied after every test.

Creating a database from the template and dropping it costs 0.5–1 s per test on a busy two-core machine;
deleting the few rows an API test writes costs about 15 ms. Each test still starts from empty tables
(ids simply keep counting). SQLite keeps its own copy of the template per test: a file copy is cheap.
Other tiers (integration, concurrency) keep a throwaway database per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ordermesh.adapters.db.tables import Base
from tests.support.databases import _admin, _pg_template, _pg_url, fresh_database

# Children before parents, so that foreign keys never object.
_EMPTY_ALL = "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables))


class ReusedDatabase:
    def __init__(self) -> None:
        self.name = ""
        self.create()

    def create(self) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.name = f"om_e2e_{worker}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        _admin(f'CREATE DATABASE "{self.name}" TEMPLATE "{_pg_template()}"')

    @property
    def url(self) -> str:
        return _pg_url(self.name)

    def empty(self) -> None:
        try:
            with psycopg.connect(self.url) as conn:
                conn.execute("SET lock_timeout = '5s'")
                conn.execute(_EMPTY_ALL)  # type: ignore[arg-type]
        except psycopg.Error:
            # Something still holds a lock (a connection a test leaked): start over from the template.
            self.drop()
            self.create()

    def drop(self) -> None:
        _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def reused_pg_database() -> Iterator[ReusedDatabase]:
    database = ReusedDatabase()
    yield database
    database.drop()


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        with fresh_database(backend, tmp_path) as url:
            yield url
        return
    database: ReusedDatabase = request.getfixturevalue("reused_pg_database")
    try:
        yield database.url
    finally:
        database.empty()
