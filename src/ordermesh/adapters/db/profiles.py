"""Sourcing profiles in the database: every saved version is kept; one version of a code is active."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db.sql import utcnow
from ordermesh.adapters.db.tables import Channel, SourcingProfile, table_of

profiles = table_of(SourcingProfile)
channels = table_of(Channel)

ACTIVE, DRAFT, RETIRED = "active", "draft", "retired"


def add_version(conn: Connection, code: str, document: dict[str, Any], *, note: str | None,
                created_by: str) -> int:
    """Store the next version of ``code`` as a draft; returns its number.

    Two saves of one code at once both compute the same number: the unique (code, version) constraint
    refuses the second, which the caller reports as a conflict to retry.
    """
    latest = conn.execute(select(func.max(profiles.c.version)).where(profiles.c.code == code)).scalar()
    version = (latest or 0) + 1
    conn.execute(profiles.insert().values(code=code, version=version, status=DRAFT, document=document, note=note,
                                          created_by=created_by, created_at=utcnow()))
    return version


def activate(conn: Connection, code: str, version: int) -> bool:
    """Make ``version`` the active one (the one before is retired); False if there is no such version."""
    found = conn.execute(select(profiles.c.id).where(profiles.c.code == code, profiles.c.version == version)
                         .with_for_update()).first()
    if found is None:
        return False
    conn.execute(update(profiles).where(profiles.c.code == code, profiles.c.status == ACTIVE,
                                        profiles.c.version != version).values(status=RETIRED))
    conn.execute(update(profiles).where(profiles.c.id == found.id).values(status=ACTIVE))
    return True


def version_of(conn: Connection, code: str, version: int | None = None) -> RowMapping | None:
    """A version of ``code``: the given one, or the active one."""
    stmt = select(profiles).where(profiles.c.code == code)
    stmt = stmt.where(profiles.c.version == version) if version is not None else stmt.where(
        profiles.c.status == ACTIVE)
    return conn.execute(stmt).mappings().first()


def by_id(conn: Connection, profile_id: int) -> RowMapping | None:
    return conn.execute(select(profiles).where(profiles.c.id == profile_id)).mappings().first()


def history(conn: Connection, code: str) -> list[RowMapping]:
    stmt = (select(profiles.c.version, profiles.c.status, profiles.c.note, profiles.c.created_by,
                   profiles.c.created_at).where(profiles.c.code == code).order_by(profiles.c.version.desc()))
    return list(conn.execute(stmt).mappings())


def summaries(conn: Connection) -> list[RowMapping]:
    """Per code: the number of versions, the active version, and the channels that use it."""
    active = func.max(profiles.c.version).filter(profiles.c.status == ACTIVE)
    stmt = (select(profiles.c.code, func.count().label("versions"), active.label("active_version"))
            .group_by(profiles.c.code).order_by(profiles.c.code))
    return list(conn.execute(stmt).mappings())


def channels_using(conn: Connection, code: str) -> list[str]:
    stmt = select(channels.c.code).where(channels.c.sourcing_profile == code).order_by(channels.c.code)
    return list(conn.execute(stmt).scalars())
