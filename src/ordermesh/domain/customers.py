"""Customers: one profile per person across channels, merged and unmerged by hand.

A person is recognised by what identifies them, whichever channel they order through: their e-mail
address (trimmed, lower case) and their phone number (E.164, read by the adapters: parsing phone numbers
needs the numbering plans of every country, which is not the standard library's business). Each
identifier belongs to one profile at most; the first profile to use it owns it.

Merging says "these two profiles are one person": the source points at the target (``merged_into``) and
everything that identifies the source now leads to the target. Unmerging clears the pointer. The rules
below keep the pointers a forest of shallow trees, never a cycle: only a profile that is not merged
itself can be merged, and only into another such profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ordermesh.domain.errors import Conflict, InvalidInput


class KeyKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


def normalise_email(raw: str | None) -> str | None:
    """``"  Ana@Example.COM "`` → ``"ana@example.com"``; nothing left → None.

    The whole address is lower-cased: the local part is case-sensitive in theory only, and two profiles
    for ``Ana@`` and ``ana@`` would split one person in practice.
    """
    if raw is None:
        return None
    email = raw.strip().lower()
    return email or None


@dataclass(frozen=True, slots=True)
class ProfileState:
    """What the merge rules need to know of a profile."""

    id: str
    merged_into: str | None
    erased_at: datetime | None


def check_merge(source: ProfileState, target: ProfileState | None, target_id: str) -> None:
    """Refuse a merge that would not leave every person with exactly one surviving profile."""
    if target_id == source.id:
        raise InvalidInput(f"into: a profile cannot be merged into itself ({source.id})", field="into")
    if target is None:
        raise InvalidInput(f"into: unknown customer {target_id!r}", field="into")
    if source.erased_at is not None:
        raise Conflict(f"customer_id: {source.id} was erased and cannot be merged", field="customer_id")
    if source.merged_into is not None:
        raise Conflict(f"customer_id: {source.id} is already merged into {source.merged_into}; unmerge it first",
                       field="customer_id")
    if target.erased_at is not None:
        raise Conflict(f"into: {target.id} was erased; nothing can be merged into it", field="into")
    if target.merged_into is not None:
        raise Conflict(f"into: {target.id} is itself merged into {target.merged_into}; merge into that profile",
                       field="into", surviving=target.merged_into)


def check_unmerge(profile: ProfileState) -> str:
    """The profile ``profile`` was merged into; refuses a profile that is not merged or was erased."""
    if profile.erased_at is not None:
        raise Conflict(f"customer_id: {profile.id} was erased and cannot be unmerged", field="customer_id")
    if profile.merged_into is None:
        raise Conflict(f"customer_id: {profile.id} is not merged into another profile", field="customer_id")
    return profile.merged_into
