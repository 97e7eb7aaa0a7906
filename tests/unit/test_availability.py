"""Inventory arithmetic: what is promised, what a channel may still sell, and how movements change stock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.domain.inventory import MANUAL_MOVEMENTS, MovementType, Position, on_hand_delta

units = st.integers(min_value=0, max_value=10**9)


def test_available_to_promise_is_on_hand_minus_reserved() -> None:
    assert Position(on_hand=10, reserved=3).available_to_promise == 7


def test_safety_stock_and_the_channel_buffer_are_both_held_back() -> None:
    position = Position(on_hand=10, reserved=3, safety_stock=2)
    assert position.sellable() == 5
    assert position.sellable(buffer=1) == 4
    assert Position(on_hand=10, reserved=0).sellable(buffer=4) == 6


@pytest.mark.parametrize(("position", "buffer"), [
    (Position(on_hand=5, reserved=5, safety_stock=0), 0),
    (Position(on_hand=5, reserved=4, safety_stock=2), 0),
    (Position(on_hand=5, reserved=0, safety_stock=3), 3),
    (Position(on_hand=0, reserved=0, safety_stock=10), 10),
])
def test_a_channel_never_sees_negative_stock(position: Position, buffer: int) -> None:
    assert position.sellable(buffer) == 0


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(on_hand=units, reserved=units, safety=units, buffer=units)
def test_sellable_is_never_negative_nor_more_than_is_free(on_hand: int, reserved: int, safety: int,
                                                          buffer: int) -> None:
    reserved = min(reserved, on_hand)  # the database enforces reserved <= on hand
    position = Position(on_hand, reserved, safety)
    sellable = position.sellable(buffer)
    assert 0 <= sellable <= position.available_to_promise
    assert sellable == max(0, on_hand - reserved - safety - buffer)
    assert position.sellable(buffer + 1) <= sellable  # a bigger buffer never shows more


@pytest.mark.parametrize(("movement", "quantity", "on_hand", "delta"), [
    (MovementType.RECEIVE, 5, 10, 5),
    (MovementType.ADJUST, -3, 10, -3),
    (MovementType.ADJUST, 4, 0, 4),
    (MovementType.COUNT, 7, 10, -3),
    (MovementType.COUNT, 12, 10, 2),
    (MovementType.COUNT, 10, 10, 0),
    (MovementType.COUNT, 0, 10, -10),
])
def test_a_manual_movement_changes_on_hand_by_its_delta(movement: MovementType, quantity: int, on_hand: int,
                                                        delta: int) -> None:
    assert on_hand_delta(movement, quantity, on_hand) == delta


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(on_hand=units, counted=units)
def test_a_count_always_lands_on_the_counted_figure(on_hand: int, counted: int) -> None:
    assert on_hand + on_hand_delta(MovementType.COUNT, counted, on_hand) == counted


@pytest.mark.parametrize("movement", sorted(set(MovementType) - MANUAL_MOVEMENTS))
def test_reservations_and_issues_are_not_manual_movements(movement: MovementType) -> None:
    with pytest.raises(ValueError, match="not a manual movement"):
        on_hand_delta(movement, 1, 10)
