"""Money in integer minor units: each currency's ISO 4217 exponent, never a silent rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.money import MAX_MINOR, exponent, format_amount, is_currency_code, parse_amount

# One currency of every exponent the table knows, and one it does not list (exponent 2 by default).
BY_EXPONENT = {"JPY": 0, "KRW": 0, "EUR": 2, "USD": 2, "CHF": 2, "KWD": 3, "BHD": 3, "CLF": 4}


@pytest.mark.parametrize(("currency", "places"), sorted(BY_EXPONENT.items()))
def test_each_currency_has_its_iso_exponent(currency: str, places: int) -> None:
    assert exponent(currency) == places
    assert exponent(currency.lower()) == places


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("12.34", "EUR", 1234),
    ("12.3", "EUR", 1230),
    ("12", "EUR", 1200),
    ("0.01", "EUR", 1),
    ("0", "EUR", 0),
    ("12.30", "EUR", 1230),
    ("1500", "JPY", 1500),
    ("1500.0", "JPY", 1500),  # a zero decimal loses nothing
    ("1.234", "KWD", 1234),
    ("1.2", "KWD", 1200),
    ("0.001", "BHD", 1),
    ("1.2345", "CLF", 12345),
])
def test_decimal_strings_become_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency, field="unit_price") == minor


@pytest.mark.parametrize(("text", "currency"), [
    ("1.234", "EUR"),
    ("0.001", "USD"),
    ("12.5", "JPY"),
    ("0.1", "KRW"),
    ("1.2345", "KWD"),
    ("1.23456", "CLF"),
])
def test_more_decimals_than_the_currency_has_are_refused(text: str, currency: str) -> None:
    with pytest.raises(InvalidInput, match=f"more than {exponent(currency)} decimals") as refused:
        parse_amount(text, currency, field="lines[3].unit_price")
    assert refused.value.field == "lines[3].unit_price"


@pytest.mark.parametrize("text", ["-1.00", "-0.01", "-5"])
def test_negative_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="must not be negative") as refused:
        parse_amount(text, "EUR", field="amount")
    assert refused.value.field == "amount"


@pytest.mark.parametrize("text", ["1e3", "1E3", "1.5e2", "12e-2", "NaN", "Infinity", "-Infinity", "sNaN"])
def test_exponent_notation_and_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="plain decimal") as refused:
        parse_amount(text, "EUR", field="amount")
    assert refused.value.slug == "validation-error"


@pytest.mark.parametrize("text", ["", "twelve", "12,34", "1.2.3", "€12", "0x10"])
def test_text_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a decimal amount"):
        parse_amount(text, "EUR", field="amount")


def test_absurdly_large_amounts_are_refused_before_they_can_overflow() -> None:
    assert parse_amount(format_amount(MAX_MINOR, "EUR"), "EUR", field="amount") == MAX_MINOR
    with pytest.raises(InvalidInput, match="absurdly large"):
        parse_amount("10000000000000.01", "EUR", field="amount")
    with pytest.raises(InvalidInput, match="absurdly large"):
        parse_amount(str(MAX_MINOR + 1), "JPY", field="amount")


@pytest.mark.parametrize(("minor", "currency", "text"), [
    (1234, "EUR", "12.34"),
    (5, "EUR", "0.05"),
    (0, "EUR", "0.00"),
    (-5, "EUR", "-0.05"),
    (-1234, "USD", "-12.34"),
    (1500, "JPY", "1500"),
    (1234, "KWD", "1.234"),
    (1, "BHD", "0.001"),
    (12345, "CLF", "1.2345"),
])
def test_minor_units_format_with_exactly_the_currency_decimals(minor: int, currency: str, text: str) -> None:
    assert format_amount(minor, currency) == text


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(minor=st.integers(min_value=0, max_value=MAX_MINOR), currency=st.sampled_from(sorted(BY_EXPONENT)))
def test_formatting_then_parsing_gives_the_same_minor_units(minor: int, currency: str) -> None:
    assert parse_amount(format_amount(minor, currency), currency, field="amount") == minor


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(amount=st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False),
       currency=st.sampled_from(sorted(BY_EXPONENT)))
def test_an_amount_parses_exactly_when_the_currency_can_hold_it(amount: Decimal, currency: str) -> None:
    text = f"{amount:f}"
    places = exponent(currency)
    if amount == amount.quantize(Decimal(1).scaleb(-places)):
        minor = parse_amount(text, currency, field="amount")
        assert Decimal(minor).scaleb(-places) == amount
        assert Decimal(format_amount(minor, currency)) == amount
    else:
        with pytest.raises(InvalidInput):
            parse_amount(text, currency, field="amount")


@pytest.mark.parametrize(("code", "ok"), [("EUR", True), ("JPY", True), ("eur", False), ("EU", False),
                                          ("EURO", False), ("E1R", False), ("ÉUR", False)])
def test_currency_codes_are_three_upper_case_letters(code: str, ok: bool) -> None:
    assert is_currency_code(code) is ok
