"""Money in integer minor units with each currency's ISO 4217 exponent.

Amounts cross the API as decimal strings ("12.34"). Parsing refuses more decimals than the currency has,
so that no rounding ever happens silently.
"""

from __future__ import annotations

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
