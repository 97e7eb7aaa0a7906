"""Payment card numbers must never enter Ordermesh: finding one in what a client sends.

A card number (PAN) is 13 to 19 digits whose last digit is the Luhn check digit. People write them in
groups separated by spaces or dashes, and paste them into any free text ("notes: card 4111 1111 1111
1111, exp 12/27"). So every string is cut into groups of digits joined by at most three spaces or
dashes, and every run of up to eight consecutive whole groups holding 13 to 19 digits is Luhn-checked.

What is deliberately *not* refused: an E.164 phone number — a ``+`` followed by at most 15 digits with
the usual spacing characters, whether it is the whole string (a phone field) or written inside a text
("call +49 151 2345678"). Phone numbers are long enough that some pass the Luhn check by chance, and
customers legitimately send them. Without the ``+`` a phone number gets no such benefit of the doubt.

Nor is a GS1 product code (GTIN-13/EAN-13 or GTIN-14) that is a whole value on its own, such as a SKU
code: barcodes have a check digit of their own, and one in ten would pass the Luhn check too, making
those SKUs unorderable. (13- and 14-digit card numbers are rare, and one of those also passing the GS1
check rarer still.)

Nor are digits glued to letters (``BUYER-3f2a0412345678901234bc``): part of an alphanumeric code such as
a UUID, never how anybody writes down a card.

Identifier fields (``external_id``, ``sku``, ``*_id``, …) get a narrower test: other systems assign those,
and marketplaces and shops hand out long numeric order ids (a 13-digit shop id or Amazon's
``113-1234567-1234567`` would be refused one time in ten). There only a whole value that is shaped like a
real card — 13–19 digits, ungrouped or in fours, Luhn-valid, with a card network's prefix and length — is
refused. Everything else (names, addresses, notes, reasons, the payment token) gets the full scan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

MIN_DIGITS, MAX_DIGITS = 13, 19
MAX_PHONE_DIGITS = 15  # E.164
MAX_GROUPS = 8  # "4111 1111 1111 1111" is 4; nobody writes a card number in more than 8 pieces

_GROUPS = re.compile(r"[0-9]+(?:[ -]{1,3}[0-9]+)*")  # digit groups joined by up to three spaces or dashes
_GROUP = re.compile(r"[0-9]+")
_PHONE = re.compile(r"\+[0-9 ()./-]+")
_CARD_SHAPED = re.compile(r"[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,3})?")
# Fields whose values other systems assign: refused only when the whole value is shaped like a card.
IDENTIFIER_FIELDS = frozenset({"external_id", "sku", "code", "into", "authorization", "reservation_id"})
# Card networks' number prefixes (IIN ranges) and lengths: (low, high, lengths), prefixes compared as numbers
# of the same width as ``low``.
_NETWORKS: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})), (2221, 2720, frozenset({16})),  # Mastercard
    (34, 34, frozenset({15})), (37, 37, frozenset({15})),  # American Express
    (6011, 6011, frozenset(range(16, 20))), (644, 649, frozenset(range(16, 20))), (65, 65, frozenset(range(16, 20))),
    (3528, 3589, frozenset(range(16, 20))),  # JCB
    (300, 305, frozenset(range(14, 20))), (36, 36, frozenset(range(14, 20))), (38, 39, frozenset(range(16, 20))),
    (62, 62, frozenset(range(16, 20))),  # UnionPay
    (2200, 2204, frozenset(range(16, 20))),  # Mir
    (5018, 5018, frozenset(range(12, 20))), (5020, 5020, frozenset(range(12, 20))),  # Maestro
    (5038, 5038, frozenset(range(12, 20))), (5893, 5893, frozenset(range(12, 20))),
    (6304, 6304, frozenset(range(12, 20))), (6759, 6763, frozenset(range(12, 20))),
)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of digits."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_phone_number(text: str) -> bool:
    """``+49 30 1234567``: an E.164 number as people write it (at most 15 digits)."""
    stripped = text.strip()
    return _PHONE.fullmatch(stripped) is not None and sum("0" <= c <= "9" for c in stripped) <= MAX_PHONE_DIGITS


def is_gtin(text: str) -> bool:
    """A GTIN-13 (EAN-13) or GTIN-14 product code: its last digit is the GS1 check digit (weights 3, 1…)."""
    code = text.strip()
    if len(code) not in (13, 14) or not (code.isascii() and code.isdigit()):
        return False
    body = [ord(c) - 48 for c in reversed(code[:-1])]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    return (10 - total % 10) % 10 == ord(code[-1]) - 48


def is_card_shaped(text: str) -> bool:
    """The whole of ``text`` is a card number as a card is printed: a network's prefix and length, Luhn-valid."""
    value = text.strip()
    if _CARD_SHAPED.fullmatch(value) is None or is_gtin(value):
        return False
    digits = value.replace(" ", "").replace("-", "")
    return luhn_valid(digits) and any(
        low <= int(digits[:len(str(low))]) <= high and len(digits) in lengths for low, high, lengths in _NETWORKS)


def contains_card_number(text: str) -> bool:
    """True if ``text`` holds a 13–19 digit Luhn-valid number, whole groups of digits at a time."""
    if len(text) < MIN_DIGITS or is_phone_number(text) or is_gtin(text):
        return False
    for run in _GROUPS.finditer(text):
        if _glued_to_letter(text, run.start(), run.end()):
            continue
        groups = _GROUP.findall(run.group())
        digits = "".join(groups)
        if len(digits) < MIN_DIGITS:
            continue
        if _after_plus(text, run.start()) and len(digits) <= MAX_PHONE_DIGITS:
            continue  # "call +49 30 1234567": a phone number inside the text
        if _holds_luhn_number(digits, [len(g) for g in groups]):
            return True
    return False


def _glued_to_letter(text: str, start: int, end: int) -> bool:
    return (start > 0 and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha())


def _after_plus(text: str, start: int) -> bool:
    """Whether the digits at ``start`` follow a ``+`` (spaces between allowed)."""
    i = start - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    return i >= 0 and text[i] == "+"


def _holds_luhn_number(digits: str, sizes: Sequence[int]) -> bool:
    """Whether some run of at most ``MAX_GROUPS`` consecutive groups (of these sizes) spells 13–19 digits that
    pass the Luhn check. Linear in the digits, whatever a hostile body holds: each start looks at a few ends,
    and each candidate's Luhn sum is a difference of two prefix sums."""
    bounds = [0]
    for size in sizes:
        bounds.append(bounds[-1] + size)
    # sums[p][i]: the Luhn terms of digits[:i] with the digits at positions ≡ p (mod 2) doubled. A candidate
    # digits[a:b] doubles every second digit from its right end: those at positions ≡ b (mod 2).
    sums: list[list[int]] = [[0], [0]]
    for k, ch in enumerate(digits):
        d = ord(ch) - 48
        doubled = d * 2 - 9 if d > 4 else d * 2
        sums[0].append(sums[0][-1] + (doubled if k % 2 == 0 else d))
        sums[1].append(sums[1][-1] + (doubled if k % 2 == 1 else d))
    end = 0
    for start in range(len(sizes)):
        end = max(end, start + 1)
        while end < len(sizes) and bounds[end] - bounds[start] < MIN_DIGITS:
            end += 1  # the shortest span from here with enough digits (never moves back)
        for e in range(end, min(start + MAX_GROUPS, len(sizes)) + 1):
            a, b = bounds[start], bounds[e]
            if b - a > MAX_DIGITS:
                break
            if b - a >= MIN_DIGITS and (sums[b % 2][b] - sums[b % 2][a]) % 10 == 0:
                return True
    return False


def find_card_number(value: Any, path: str = "") -> str | None:
    """The path (``notes``, ``customer.name``, ``lines[2].sku``) of the first value in a parsed JSON document
    that holds a card number, or None. Object keys and integers are looked at too."""
    if isinstance(value, str):
        field = path.rsplit(".", 1)[-1].split("[", 1)[0]
        identifier = field in IDENTIFIER_FIELDS or field.endswith("_id")
        card = is_card_shaped(value) if identifier else contains_card_number(value)
        return (path or "body") if card else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (path or "body") if MIN_DIGITS <= len(str(abs(value))) <= MAX_DIGITS and luhn_valid(
            str(abs(value))) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if contains_card_number(str(key)):
                return here
            if (found := find_card_number(item, here)) is not None:
                return found
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            if (found := find_card_number(item, f"{path}[{i}]")) is not None:
                return found
    return None
