"""Order-level discount, shipping and tax spread over lines and units: the parts always sum exactly."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.domain.money import allocate, exponent, price_lines, units_share

CURRENCIES = st.sampled_from(["JPY", "EUR", "KWD"])  # exponents 0, 2 and 3
lines_st = st.lists(st.tuples(st.integers(1, 50), st.integers(0, 10**6)), min_size=1, max_size=12)


def test_largest_remainder_gives_the_odd_units_to_the_largest_fractions() -> None:
    # 100 over 1:1:1 is 33.33 each: one unit is left and goes to the first (ties go to the earlier part).
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    # 10 over 1:2:3 is 1.67, 3.33, 5: the 0.67 remainder wins the single leftover unit.
    assert allocate(10, [1, 2, 3]) == [2, 3, 5]
    assert allocate(7, [0, 0]) == [4, 3]  # nothing to weigh by: equal shares
    assert allocate(0, [5, 5]) == [0, 0]


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**7), min_size=1, max_size=30))
def test_an_allocation_sums_exactly_and_each_part_is_within_one_unit_of_its_share(
        total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    whole = sum(weights) or len(weights)
    for part, w in zip(parts, weights if sum(weights) else [1] * len(weights), strict=True):
        exact = Fraction(total * w, whole)
        assert exact - 1 < part <= exact + 1


@given(lines_st, st.data(), CURRENCIES)
def test_discount_shipping_and_tax_allocations_sum_to_the_order_total(
        lines: list[tuple[int, int]], data: st.DataObject, currency: str) -> None:
    scale = 10 ** exponent(currency)  # amounts of the currency's own precision, in its minor units
    subtotal = sum(q * p for q, p in lines)
    discount = data.draw(st.integers(0, subtotal))
    shipping = data.draw(st.integers(0, 500 * scale))
    tax = data.draw(st.integers(0, max(0, subtotal - discount)))
    priced = price_lines(lines, discount=discount, shipping=shipping, tax=tax)
    assert sum(x.discount for x in priced) == discount
    assert sum(x.shipping for x in priced) == shipping
    assert sum(x.tax for x in priced) == tax
    assert sum(x.total for x in priced) == subtotal - discount + shipping + tax
    for x in priced:
        assert 0 <= x.discount <= x.subtotal  # a line is never discounted below zero


@given(lines_st, st.data())
def test_capturing_unit_by_unit_and_refunding_unit_by_unit_add_up_and_never_exceed(
        lines: list[tuple[int, int]], data: st.DataObject) -> None:
    subtotal = sum(q * p for q, p in lines)
    discount = data.draw(st.integers(0, subtotal))
    priced = price_lines(lines, discount=discount, shipping=data.draw(st.integers(0, 10**5)),
                         tax=data.draw(st.integers(0, 10**6)))
    for line in priced:
        # Shipped in random-sized instalments: the captures add up to the line's total.
        captured, shipped = 0, 0
        while shipped < line.quantity:
            step = data.draw(st.integers(1, line.quantity - shipped))
            captured += line.units(shipped, step)
            shipped += step
        assert captured == line.total
        # Every unit returned one at a time refunds the merchandise (shipping stays), never more.
        refunded = 0
        for unit in range(line.quantity):
            refunded += line.refund_units(unit, 1)
            assert refunded <= captured
        assert refunded == line.merchandise


def test_units_share_refuses_units_beyond_the_line() -> None:
    with pytest.raises(ValueError, match="not within"):
        units_share(100, 3, 2, 2)


def test_a_discount_larger_than_the_goods_is_refused() -> None:
    with pytest.raises(ValueError, match="discount"):
        price_lines([(1, 100)], discount=101)
