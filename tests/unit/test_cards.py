"""Finding card numbers in what clients send: the Luhn check, separators, free text, and what is exempt."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.domain.cards import contains_card_number, find_card_number, is_gtin, is_phone_number, luhn_valid

digits_st = st.text(alphabet="0123456789", min_size=12, max_size=18)


def check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn check."""
    return next(d for d in "0123456789" if luhn_valid(payload + d))


@pytest.mark.parametrize("number", ["4111111111111111", "5555555555554444", "378282246310005",
                                    "6011111111111117", "3530111333300000", "4222222222222"])
def test_well_known_test_card_numbers_pass_the_luhn_check(number: str) -> None:
    assert luhn_valid(number) and contains_card_number(number)


@given(digits_st, st.data())
def test_changing_any_one_digit_breaks_the_check(payload: str, data: st.DataObject) -> None:
    number = payload + check_digit(payload)
    assert luhn_valid(number)
    i = data.draw(st.integers(0, len(number) - 1))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != number[i]]))
    assert not luhn_valid(number[:i] + other + number[i + 1:])


@given(digits_st, st.sampled_from([" ", "-", " - ", "  "]), st.integers(3, 6))  # at most 7 pieces
def test_a_card_number_is_found_however_it_is_grouped_and_wherever_it_sits(payload: str, sep: str,
                                                                          size: int) -> None:
    number = payload + check_digit(payload)
    grouped = sep.join(number[i:i + size] for i in range(0, len(number), size))
    assert contains_card_number(f"Please charge {grouped} (exp 12/27), thanks")
    assert contains_card_number(f"{grouped} 7")  # followed by another number: still the same groups


def test_numbers_that_are_not_card_numbers() -> None:
    assert not contains_card_number("4111111111111112")  # 16 digits, wrong check digit
    assert not contains_card_number("411111111111")  # 12 digits: too short to be a card
    assert not contains_card_number("41111111111111111111")  # 20 digits in one piece: too long
    assert not contains_card_number("order 2024-0042, 3 items at 12.50")
    assert not contains_card_number("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")  # more than eight pieces


def test_phone_numbers_with_a_plus_are_exempt_even_when_they_pass_the_check() -> None:
    phone = "+49 1512 3456787"
    assert luhn_valid("4915123456787") and is_phone_number(phone)
    assert not contains_card_number(phone)
    assert not contains_card_number(f"call me on {phone} after six")
    assert contains_card_number("49 1512 3456787")  # without the plus it is just a number
    assert contains_card_number("+4111 1111 1111 1111")  # 16 digits: no phone number is that long


def test_barcodes_on_their_own_are_exempt() -> None:
    assert is_gtin("4006381333924") and luhn_valid("4006381333924")
    assert not contains_card_number("4006381333924")
    assert contains_card_number("ean 4006381333924")
    assert not is_gtin("4111111111111111")  # 16 digits is no GTIN


def test_the_path_of_the_first_field_holding_one_is_named() -> None:
    doc = {"customer": {"name": "Ana", "phone": "+49 30 1234567"},
           "lines": [{"sku": "TEE"}, {"sku": "CAP", "note": "card 4111-1111-1111-1111"}]}
    assert find_card_number(doc) == "lines[1].note"
    assert find_card_number({"meta": {"4111111111111111": "x"}}) == "meta.4111111111111111"
    assert find_card_number({"amount": 4111111111111111}) == "amount"
    assert find_card_number({"amount": 4111111111111112, "flag": True, "x": None, "y": 1.5}) is None
    assert find_card_number("4111111111111111") == "body"
    assert find_card_number([["ok"], ["4111 1111 1111 1111"]]) == "[1][0]"


def test_a_hostile_body_is_scanned_without_blowing_up() -> None:
    # Long runs of tiny groups and of digits: each start looks at a bounded number of ends (no timing here,
    # see bench/ for that; a quadratic scan would take minutes on these and fail the run by its timeout).
    for text in ("1 " * 50_000, "12 " * 40_000, "1234567890123" * 10_000):
        contains_card_number(text)


def test_digits_glued_to_letters_are_part_of_a_code_not_a_card() -> None:
    assert not contains_card_number("BUYER-3f2a4111111111111111bc")
    assert not contains_card_number("ref4111111111111111")
    assert contains_card_number("card: 4111111111111111.")


@pytest.mark.parametrize("external_id", ["113-1234567-1234564", "9012345678904", "7012345678901234-0"])
def test_identifier_fields_refuse_only_what_is_shaped_like_a_real_card(external_id: str) -> None:
    # A marketplace order number in 3-7-7 groups, a 13-digit shop id with no card network's prefix, a long id
    # with a suffix: each passes the Luhn check, and each is an id, not a card.
    assert luhn_valid(external_id.replace("-", ""))
    assert contains_card_number(f"note: {external_id}")  # the same digits in free text are refused
    assert find_card_number({"external_id": external_id, "lines": [{"sku": external_id}]}) is None
    assert find_card_number({"external_id": "4111 1111 1111 1111"}) == "external_id"
    assert find_card_number({"lines": [{"sku": "5555555555554444"}]}) == "lines[0].sku"
    assert find_card_number({"reservation_id": "378282246310005"}) == "reservation_id"


def test_the_payment_token_gets_the_full_scan() -> None:
    assert find_card_number({"payment": {"provider": "test", "token": "pan 6011111111111117"}}) == "payment.token"
