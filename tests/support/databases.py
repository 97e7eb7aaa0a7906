"""Real databases for the tests: a migrated SQLite file or a throwaway PostgreSQL database per test.

PostgreSQL: one migrated template database per test process, then ``CREATE DATABASE … TEMPLATE`` per
test (about 0.1 s), dropped afterwards. Where PostgreSQL cannot be reached, its half of the suite is
skipped on a developer's machine and fails in CI (CI=true): never a silent pass.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from ordermesh.adapters.db import migrate

PG_ADMIN_URL = os.environ.get("ORDERMESH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc.__class__.__name__}: {str(exc)[:120]})"
    return None


def _pg_url(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@cache
def _pg_template() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"om_tmpl_{worker}_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    migrate.upgrade(_pg_url(name))
    return name


@cache
def _sqlite_template(root: str) -> Path:
    path = Path(root) / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def fresh_database(backend: str, tmp_root: Path) -> Iterator[str]:
    """A migrated, empty database for one test; yields its URL."""
    if backend == "sqlite":
        path = tmp_root / f"om-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(_sqlite_template(str(tmp_root.parent)), path)
        yield f"sqlite:///{path}"
        return
    template = _pg_template()
    name = f"om_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def empty_database(backend: str, tmp_root: Path) -> Iterator[str]:
    """A database with nothing in it at all, not even migrations (for tests of the migrations); yields its URL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_root / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"om_empty_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_templates() -> None:
    if postgres_problem() is None and _pg_template.cache_info().currsize:
        _admin(f'DROP DATABASE IF EXISTS "{_pg_template()}" WITH (FORCE)')
