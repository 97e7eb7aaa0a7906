"""Money in integer minor units with each currency's ISO 4217 exponent.

Amounts cross the API as decimal strings ("12.34"). Parsing refuses more decimals than the currency has,
so that no rounding ever happens silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ordermesh.domain.errors import InvalidInput

# Currencies whose minor unit is not 1/100 (ISO 4217). Everything else has exponent 2.
_EXPONENTS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}

MAX_MINOR = 10**15  # far above any real order, far below 64-bit overflow after multiplication


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def is_currency_code(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def parse_amount(text: str, currency: str, *, field: str) -> int:
    """``"12.34"`` in EUR → 1234. Refuses negatives, exponents, and more decimals than the currency has."""
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(f"{field}: {text!r} is not a decimal amount", field=field) from None
    if not value.is_finite() or "e" in text.lower():
        raise InvalidInput(f"{field}: {text!r} is not a plain decimal amount", field=field)
    if value < 0:
        raise InvalidInput(f"{field}: amount must not be negative", field=field)
    places = exponent(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise InvalidInput(
            f"{field}: {text!r} has more than {places} decimals, the precision of {currency}", field=field
        )
    if minor > MAX_MINOR:
        raise InvalidInput(f"{field}: amount {text!r} is absurdly large", field=field)
    return int(minor)


def format_amount(minor: int, currency: str) -> str:
    places = exponent(currency)
    if places == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` so that the parts sum to it exactly (largest remainder).

    Every part first gets the floor of its exact share; the units left over go one each to the parts
    with the largest fractional remainders (the earlier part on a tie), so no part is ever more than one
    minor unit from its exact share. Weights that are all zero share equally.
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate an amount over nothing")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if sum(weights) == 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    left = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def units_share(amount: int, quantity: int, first: int, count: int) -> int:
    """The share of ``amount`` belonging to units ``first`` … ``first + count - 1`` of ``quantity`` units.

    The amount is spread over the units as evenly as minor units allow, the odd units going to the
    earliest: taking the units in any number of steps, in order, adds up to exactly ``amount``.
    """
    if not (first >= 0 and count >= 0 and first + count <= quantity):
        raise ValueError(f"units {first}..{first + count} are not within {quantity}")
    base, odd = divmod(amount, quantity) if quantity else (0, 0)
    return count * base + max(0, min(first + count, odd) - first)


@dataclass(frozen=True, slots=True)
class LineMoney:
    """One order line's money: its own subtotal and its shares of the order's discount, shipping and tax."""

    quantity: int
    subtotal: int
    discount: int = 0
    shipping: int = 0
    tax: int = 0

    @property
    def merchandise(self) -> int:
        """What the goods cost after discount, with their tax: what a return refunds."""
        return self.subtotal - self.discount + self.tax

    @property
    def total(self) -> int:
        return self.merchandise + self.shipping

    def units(self, first: int, count: int) -> int:
        """All-in amount of units ``first`` … (what capturing them charges)."""
        return (units_share(self.merchandise, self.quantity, first, count)
                + units_share(self.shipping, self.quantity, first, count))

    def refund_units(self, first: int, count: int) -> int:
        """Merchandise amount of units ``first`` … (what returning them refunds; shipping stays)."""
        return units_share(self.merchandise, self.quantity, first, count)


def price_lines(lines: Sequence[tuple[int, int]], *, discount: int = 0, shipping: int = 0,
                tax: int = 0) -> list[LineMoney]:
    """Allocate order-level discount, shipping and tax over ``(quantity, unit_price)`` lines.

    The discount and shipping follow each line's subtotal, the tax each line's subtotal after discount.
    Raises ``ValueError`` when the discount is larger than the goods.
    """
    subtotals = [q * p for q, p in lines]
    if discount > sum(subtotals):
        raise ValueError("the discount is larger than the order's subtotal")
    discounts = allocate(discount, subtotals)
    nets = [s - d for s, d in zip(subtotals, discounts, strict=True)]
    shippings = allocate(shipping, subtotals)
    taxes = allocate(tax, nets)
    return [LineMoney(q, s, d, sh, t) for (q, _), s, d, sh, t in
            zip(lines, subtotals, discounts, shippings, taxes, strict=True)]
