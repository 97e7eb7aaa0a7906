"""GDPR erasure: finding what names a person in stored documents, and writing it out.

An order keeps its money, lines, tax and country (the retailer must keep those records); whatever names
the person goes: names, e-mail addresses, phone numbers, street addresses, coordinates. Personal data
travels: into events, stored API responses, notes, message logs. So erasure works in two passes:

1. **Collect** every value that names the person, from the documents known to hold it (the profile, its
   identifiers, each order's customer and addresses): a dict with an ``email`` key is a person, a dict
   with ``line1`` or ``postal_code`` is an address.
2. **Scrub** every related document: person and address dicts are anonymised field by field wherever they
   appear; any other string that *is* a collected value becomes ``[erased]``; in free text the
   distinctive values (e-mail, phone, name, street) are cut out wherever they occur as a word.

Cities and postal codes are replaced only where they are the whole value, never inside longer text: a
customer in Munich must not turn the store code ``STORE-MUNICH`` into ``STORE-[erased]``. Identifiers
(``id``, ``*_id``, ``sku``, ``location``, …) are never rewritten, for the same reason.
"""

from __future__ import annotations

import re
from typing import Any

ERASED = "[erased]"

# In a person dict: what names them. The values become None (an e-mail of None sends nothing).
PERSON_FIELDS = frozenset({"email", "name", "phone", "first_name", "last_name", "recipient"})
# In an address dict: what locates the person. Strings become ERASED, coordinates None; country and
# region stay (tax records need them).
ADDRESS_TEXT_FIELDS = frozenset({"line1", "line2", "city", "postal_code", "name", "company", "phone"})
ADDRESS_NUMBER_FIELDS = frozenset({"latitude", "longitude", "lat", "lon"})
# Searched for inside free text, not only as whole values.
INLINE_FIELDS = frozenset({"email", "phone", "name", "first_name", "last_name", "recipient", "line1", "line2"})
# Structural values: never rewritten.
PROTECTED_KEYS = frozenset({"id", "sku", "location", "channel", "type", "status", "method", "strategy",
                            "currency", "country", "region", "trigger", "kind", "provider"})
# Derived from the address: a few distances to known stores would locate it again.
DERIVED_FIELDS = frozenset({"distance_km"})
# Shorter values are matched as whole values only: "Li" must not be cut out of every word.
MIN_INLINE_LENGTH = 3


def is_person(doc: dict[str, Any]) -> bool:
    return "email" in doc


def is_address(doc: dict[str, Any]) -> bool:
    return "line1" in doc or "postal_code" in doc or "city" in doc  # a billing address may hold only a city


def _protected(key: str) -> bool:
    return key in PROTECTED_KEYS or key.endswith(("_id", "_ids", "_code"))


class PersonalData:
    """The values that name one person, gathered from the documents that hold them."""

    def __init__(self) -> None:
        self.exact: set[str] = set()  # case-folded whole values
        self.inline: set[str] = set()  # case-folded values also searched for inside text
        self.numbers: set[float] = set()

    def add(self, value: Any, *, inline: bool) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, float) and not value.is_integer():  # a coordinate; never a count or an amount
            self.numbers.add(value)
            return
        if not isinstance(value, str) or not (text := value.strip().casefold()) or text == ERASED:
            return
        self.exact.add(text)
        if inline and len(text) >= MIN_INLINE_LENGTH:
            self.inline.add(text)

    def collect(self, doc: Any) -> None:
        """Add what the person and address dicts anywhere in ``doc`` hold."""
        if isinstance(doc, list):
            for item in doc:
                self.collect(item)
            return
        if not isinstance(doc, dict):
            return
        person, address = is_person(doc), is_address(doc)
        for key, value in doc.items():
            if (person and key in PERSON_FIELDS) or (address and key in ADDRESS_TEXT_FIELDS):
                self.add(value, inline=key in INLINE_FIELDS)
            elif address and key in ADDRESS_NUMBER_FIELDS:
                self.add(value, inline=False)
            else:
                self.collect(value)

    def __bool__(self) -> bool:
        return bool(self.exact or self.numbers)


class Scrubber:
    """Writes the collected values out of documents and text (see the module docstring)."""

    def __init__(self, found: PersonalData) -> None:
        self.found = found
        alternatives = sorted(found.inline, key=len, reverse=True)  # the longest first: "ana smith" before "ana"
        self._inline = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in alternatives),
                                  re.IGNORECASE) if alternatives else None

    def text(self, value: str | None) -> str | None:
        if value is None or value == ERASED:
            return value
        if value.strip().casefold() in self.found.exact:
            return ERASED
        return self._inline.sub(ERASED, value) if self._inline is not None else value

    def doc(self, value: Any) -> Any:
        """A copy of the JSON document ``value`` with the person written out."""
        if isinstance(value, dict):
            return self._dict(value)
        if isinstance(value, list):
            return [self.doc(x) for x in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, float) and value in self.found.numbers:
            return None
        return value

    def _dict(self, value: dict[str, Any]) -> dict[str, Any]:
        person, address = is_person(value), is_address(value)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if person and key in PERSON_FIELDS:
                out[key] = None
            elif address and key in ADDRESS_TEXT_FIELDS:
                out[key] = ERASED if item is not None else None
            elif (address and key in ADDRESS_NUMBER_FIELDS) or key in DERIVED_FIELDS:
                out[key] = None
            elif _protected(key):
                out[key] = item
            else:
                out[key] = self.doc(item)
        return out


def anonymised_customer() -> dict[str, Any]:
    """What an erased order keeps of its customer: that there was one."""
    return {"email": None, "name": None, "phone": None, "erased": True}
