"""Phone numbers in E.164, read with Google's numbering plans (the ``phonenumbers`` library).

A number written nationally (``030 1234567``) means something only in a country: the caller names the
region the order is in (its delivery, billing or pickup store's country). A number that cannot be read
as a valid number of that plan is None: it is kept out of matching, never guessed at.
"""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str | None, region: str | None) -> str | None:
    """``("030 1234567", "DE")`` → ``"+49301234567"``; unreadable or invalid → None."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
