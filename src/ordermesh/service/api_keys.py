"""Issuing and checking API keys."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from ordermesh.adapters.db import api_keys as db
from ordermesh.adapters.db import catalogue
from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.domain.ids import new_id
from ordermesh.service.access import Principal, Role
from ordermesh.service.unit_of_work import UnitOfWork

SCOPED = {Role.CHANNEL: "channel", Role.LOCATION: "location"}


def create_key(uow: UnitOfWork, role: str, scope: str | None = None, label: str | None = None) -> tuple[str, str]:
    """Returns (key id, secret). The secret is shown once; only its hash is stored."""
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}", field="role") from None
    kind = SCOPED.get(parsed)
    if kind and not scope:
        raise InvalidInput(f"a {role} key needs --scope naming its {kind}", field="scope")
    if not kind and scope:
        raise InvalidInput(f"a {role} key takes no scope", field="scope")
    key_id, secret = new_id("key"), "om_" + secrets.token_urlsafe(32)
    with uow.writing() as conn:
        if kind and scope and not catalogue.get(conn, kind, scope):
            raise InvalidInput(f"scope: no {kind} with code {scope!r}", field="scope")
        db.insert_key(conn, key_id, secret, parsed.value, scope, label)
    return key_id, secret


def list_keys(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow.reading() as conn:
        return [{k: row[k] for k in ("id", "role", "scope", "label", "created_at", "revoked_at")}
                for row in db.all_keys(conn)]


def revoke_key(uow: UnitOfWork, key_id: str) -> None:
    with uow.writing() as conn:
        if not db.revoke(conn, key_id):
            raise NotFound(f"no active API key {key_id!r}", field="key_id")


class KeyRing:
    """Resolves bearer secrets to principals, remembering them briefly to spare a query per request.

    A revoked key stops working within ``ttl`` seconds in every worker.
    """

    def __init__(self, uow: UnitOfWork, ttl: float = 30.0) -> None:
        self._uow, self._ttl = uow, ttl
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def cached(self, secret: str) -> Principal | None:
        """The principal for a key seen lately, without touching the database (None: not known)."""
        hit = self._cache.get(secret)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def principal(self, secret: str) -> Principal | None:
        now = time.monotonic()
        hit = self._cache.get(secret)
        if hit and hit[0] > now:
            return hit[1]
        with self._uow.reading() as conn:
            row = db.find_by_secret(conn, secret)
        found = Principal(row["id"], Role(row["role"]), row["scope"]) if row else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[secret] = (now + self._ttl, found)
        return found
