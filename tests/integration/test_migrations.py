"""Schema migrations: they build an empty database from nothing, on SQLite and PostgreSQL, and agree
with the models — so a model change without its migration fails here, not in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db import inventory, migrate
from ordermesh.adapters.db.engine import normalise_url
from ordermesh.adapters.db.tables import Base, InventoryPosition, table_of
from ordermesh.bootstrap import bootstrap
from ordermesh.service import catalogue
from ordermesh.service.commands import UpsertLocation, UpsertSku
from ordermesh.service.demo import SYSTEM
from ordermesh.settings import Settings
from tests.support.databases import empty_database

HEAD = "0004"


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it at all — not even the template the other tests start from."""
    with empty_database(backend, tmp_path) as url:
        yield url


def tables_of(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_migrations_build_an_empty_database_that_matches_the_models(empty_url: str) -> None:
    assert tables_of(empty_url) == set()
    migrate.upgrade(empty_url)
    assert tables_of(empty_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert revision_of(empty_url) is not None and revision_of(empty_url).startswith(HEAD)  # type: ignore[union-attr]
    migrate.check(empty_url)  # raises if models and migrations disagree


def test_upgrading_twice_changes_nothing(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    revision = revision_of(empty_url)
    migrate.upgrade(empty_url)
    assert revision_of(empty_url) == revision
    migrate.check(empty_url)


def test_migrations_downgrade_to_nothing_and_back(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    command.downgrade(migrate.alembic_config(empty_url), "base")
    assert tables_of(empty_url) <= {"alembic_version"}
    migrate.upgrade(empty_url)
    migrate.check(empty_url)


def test_the_oversell_guard_is_in_the_schema_itself(empty_url: str) -> None:
    """reserved <= on_hand is a CHECK constraint: a bug in the code cannot commit an oversell."""
    migrate.upgrade(empty_url)
    om = bootstrap(Settings(database_url=empty_url, sweep_interval_seconds=0, pool_size=1))
    try:
        catalogue.upsert_sku(om.uow, SYSTEM, UpsertSku("TEE", "Tee"))
        catalogue.upsert_location(om.uow, SYSTEM, UpsertLocation("L", "L", "store", 0.0, 0.0, ["ship"]))
        positions = table_of(InventoryPosition)
        with om.uow.writing() as conn:
            inventory.lock_position(conn, 1, 1)
            conn.execute(update(positions).values(on_hand=5, reserved=5))
        for values in ({"reserved": 6}, {"on_hand": 4}, {"reserved": -1}, {"on_hand": -1, "reserved": 0}):
            with pytest.raises(IntegrityError), om.uow.writing() as conn:
                conn.execute(update(positions).values(**values))
        with om.engine.connect() as conn:
            assert conn.execute(select(positions.c.on_hand, positions.c.reserved)).one() == (5, 5)
    finally:
        om.close()
