"""Who is asking: API key roles and scopes.

admin: everything. channel:CODE: its channel's orders, reservations and availability. location:CODE: its
location's fulfillment orders and inventory. analyst: read-only. An object outside a key's scope is
reported as not found (its existence is not revealed); an action outside the role is forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ordermesh.domain.errors import Forbidden, NotFound


class Role(StrEnum):
    ADMIN = "admin"
    CHANNEL = "channel"
    LOCATION = "location"
    ANALYST = "analyst"


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: Role
    scope: str | None = None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"

    def require(self, *roles: Role, action: str) -> None:
        if self.role not in roles and self.role is not Role.ADMIN:
            raise Forbidden(f"a {self.role.value} key may not {action}")

    def require_write(self, action: str) -> None:
        if self.role is Role.ANALYST:
            raise Forbidden(f"an analyst key is read-only and may not {action}")

    def check_channel(self, channel_code: str, *, what: str = "channel") -> None:
        """A channel key may touch only its own channel; a location key no channel at all."""
        if self.role is Role.CHANNEL and channel_code != self.scope:
            raise NotFound(f"{what} {channel_code!r} not found", field="channel")
        if self.role is Role.LOCATION:
            raise Forbidden("a location key may not act for a channel")

    def check_location(self, location_code: str, *, field: str = "location") -> None:
        if self.role is Role.LOCATION and location_code != self.scope:
            raise NotFound(f"location {location_code!r} not found", field=field)

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.ADMIN, Role.ANALYST)
