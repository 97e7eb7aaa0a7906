"""Sourcing profiles: save versions, activate one, read them, and find the one an order is sourced under.

A profile is validated by the domain on save (a bad one is refused naming the field) and stored as its
normalised document, so what is read back is exactly what runs. Saved versions never change, so a
process keeps parsed profiles by row id and never needs to invalidate them; a channel's ordering
lookup returns the id of its profile's active version with the channel itself (no extra round trip).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ordermesh.adapters.db import outbox
from ordermesh.adapters.db import profiles as db
from ordermesh.adapters.db.batch import ConstraintViolated
from ordermesh.domain.errors import Conflict, InvalidInput, NotFound
from ordermesh.domain.sourcing import Profile, StrategyType, default_strategy, parse_profile, profile_to_doc
from ordermesh.service.access import Principal, Role
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.service.views import iso

BUILT_IN = "built-in"


@dataclass(frozen=True, slots=True)
class ActiveProfile:
    code: str
    version: int | None  # None: the built-in profile
    profile: Profile


# Used when a channel names no profile: fewest locations, then the nearest (Shopify's default). Fast
# and predictable; a retailer opts into min-cost, priority or store-first routing with a profile.
BUILT_IN_PROFILE = ActiveProfile(BUILT_IN, None, Profile(
    strategies=(default_strategy(StrategyType.FEWEST_SPLITS),), fallback=None))

# Per database engine (tests run many databases in one process): profile row id → parsed profile.
_PARSED: WeakKeyDictionary[Engine, dict[int, ActiveProfile]] = WeakKeyDictionary()


def save(uow: UnitOfWork, who: Principal, code: str, document: Mapping[str, Any], *, activate: bool = True,
         note: str | None = None) -> dict[str, Any]:
    """Store a new version of profile ``code`` (active unless ``activate`` is False)."""
    who.require(Role.ADMIN, action="change sourcing profiles")
    normalised = profile_to_doc(parse_profile(document))
    try:
        with uow.writing() as conn:
            version = db.add_version(conn, code, normalised, note=note, created_by=who.actor)
            if activate:
                db.activate(conn, code, version)
            outbox.append(conn, [{"type": "sourcing_profile.saved",
                                  "data": {"code": code, "version": version, "active": activate}}])
            return _view(conn, code, version)
    except ConstraintViolated:
        raise Conflict(f"profile {code} was saved by someone else at the same moment; save again",
                       field="code") from None


def activate_version(uow: UnitOfWork, who: Principal, code: str, version: int) -> dict[str, Any]:
    who.require(Role.ADMIN, action="change sourcing profiles")
    with uow.writing() as conn:
        if not db.activate(conn, code, version):
            raise NotFound(f"sourcing profile {code!r} has no version {version}", field="version")
        outbox.append(conn, [{"type": "sourcing_profile.activated", "data": {"code": code, "version": version}}])
        return _view(conn, code, version)


def show(uow: UnitOfWork, who: Principal, code: str, version: int | None = None) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.ANALYST, action="read sourcing profiles")
    with uow.reading() as conn:
        return _view(conn, code, version)


def list_all(uow: UnitOfWork, who: Principal) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.ANALYST, action="read sourcing profiles")
    with uow.reading() as conn:
        items = [{"code": r["code"], "versions": r["versions"], "active_version": r["active_version"],
                  "channels": db.channels_using(conn, r["code"])} for r in db.summaries(conn)]
    return {"items": items, "built_in": {"code": BUILT_IN, "document": profile_to_doc(BUILT_IN_PROFILE.profile)}}


def require_active(conn: Connection, code: str) -> None:
    """A channel may only be pointed at a profile that has an active version."""
    if db.version_of(conn, code) is None:
        raise InvalidInput(f"sourcing_profile: no active sourcing profile {code!r}", field="sourcing_profile")


def for_channel(conn: Connection, channel: Mapping[Any, Any]) -> ActiveProfile:
    """The profile an order of ``channel`` is sourced under: its active version, else the built-in one."""
    if "profile_id" in channel:
        profile_id = channel["profile_id"]
    elif channel.get("sourcing_profile"):
        row = db.version_of(conn, channel["sourcing_profile"])
        profile_id = row["id"] if row is not None else None
    else:
        profile_id = None
    if profile_id is None:
        return BUILT_IN_PROFILE
    known = _PARSED.setdefault(conn.engine, {})
    hit = known.get(profile_id)
    if hit is None:
        row = db.by_id(conn, profile_id)
        if row is None:
            return BUILT_IN_PROFILE
        hit = known[profile_id] = ActiveProfile(row["code"], row["version"], parse_profile(row["document"]))
    return hit


def _view(conn: Connection, code: str, version: int | None) -> dict[str, Any]:
    row = db.version_of(conn, code, version)
    if row is None and version is None and (versions := db.history(conn, code)):
        row = db.version_of(conn, code, versions[0]["version"])  # only drafts so far: the latest
    if row is None:
        what = f"version {version} of sourcing profile {code!r}" if version else f"sourcing profile {code!r}"
        raise NotFound(f"no {what}", field="version" if version else "code")
    return {"code": code, "version": row["version"], "status": row["status"], "note": row["note"],
            "created_by": row["created_by"], "created_at": iso(row["created_at"]),
            "document": row["document"], "channels": db.channels_using(conn, code),
            "history": [{**h, "created_at": iso(h["created_at"])} for h in db.history(conn, code)]}
