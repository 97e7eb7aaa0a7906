"""An order's status is derived from its lines and fulfillment orders, never set by hand."""

from __future__ import annotations

import pytest

from ordermesh.domain.fulfillment import FulfillmentStatus
from ordermesh.domain.orders import LineQuantities, OrderStatus, derive_status, line_total

F = FulfillmentStatus
O = OrderStatus  # noqa: E741 — reads as the status column of the table below


def line(ordered: int, cancelled: int = 0, fulfilled: int = 0) -> LineQuantities:
    return LineQuantities(ordered, cancelled, fulfilled)


# (what the order looks like, its lines, its fulfillment orders, on hold?, expected status)
CASES = [
    ("reserved and waiting at one location", [line(2)], [F.OPEN], False, O.CONFIRMED),
    ("split over two locations, neither started", [line(1), line(3)], [F.OPEN, F.OPEN], False, O.CONFIRMED),
    ("one location accepted the work", [line(2)], [F.ACCEPTED], False, O.IN_FULFILLMENT),
    ("one of two locations is picking", [line(1), line(1)], [F.OPEN, F.PICKING], False, O.IN_FULFILLMENT),
    ("packed and waiting for the carrier", [line(1)], [F.PACKED], False, O.IN_FULFILLMENT),
    ("waiting at the store for the customer", [line(1)], [F.READY_FOR_PICKUP], False, O.IN_FULFILLMENT),
    ("customer waiting at the curb", [line(1)], [F.CUSTOMER_ARRIVED], False, O.IN_FULFILLMENT),
    ("one parcel of two shipped", [line(1), line(2, fulfilled=2)], [F.OPEN, F.SHIPPED], False,
     O.PARTIALLY_FULFILLED),
    ("some units of one line shipped", [line(3, fulfilled=1)], [F.SHIPPED, F.ACCEPTED], False,
     O.PARTIALLY_FULFILLED),
    ("everything shipped, not yet delivered", [line(2, fulfilled=2)], [F.SHIPPED], False, O.FULFILLED),
    ("one parcel delivered, one on its way", [line(1, fulfilled=1), line(1, fulfilled=1)],
     [F.DELIVERED, F.SHIPPED], False, O.FULFILLED),
    ("everything delivered", [line(2, fulfilled=2)], [F.DELIVERED], False, O.COMPLETED),
    ("everything collected", [line(1, fulfilled=1)], [F.PICKED_UP], False, O.COMPLETED),
    ("the rest cancelled after delivery", [line(3, cancelled=1, fulfilled=2)], [F.DELIVERED], False, O.COMPLETED),
    ("a rejected location beside the one that delivered", [line(1, fulfilled=1)], [F.REJECTED, F.DELIVERED],
     False, O.COMPLETED),
    ("one line cancelled, the other waiting", [line(1, cancelled=1), line(2)], [F.CANCELLED, F.OPEN], False,
     O.CONFIRMED),
    ("rejected and re-sourced elsewhere", [line(1)], [F.REJECTED, F.OPEN], False, O.CONFIRMED),
    ("every line cancelled", [line(2, cancelled=2), line(1, cancelled=1)], [F.CANCELLED], False, O.CANCELLED),
    ("every line cancelled while on hold", [line(2, cancelled=2)], [F.CANCELLED], True, O.CANCELLED),
    ("held before any work", [line(2)], [F.OPEN], True, O.ON_HOLD),
    ("held while picking", [line(2)], [F.PICKING], True, O.ON_HOLD),
    ("held after part shipped", [line(2, fulfilled=1)], [F.SHIPPED, F.OPEN], True, O.ON_HOLD),
    ("a ship-to-store transfer on its way to the store", [line(2)], [F.SHIPPED], False, O.IN_FULFILLMENT),
    ("transfer received, waiting at the store", [line(2)], [F.DELIVERED, F.READY_FOR_PICKUP], False,
     O.IN_FULFILLMENT),
    ("transfer received and collected", [line(2, fulfilled=2)], [F.DELIVERED, F.PICKED_UP], False, O.COMPLETED),
    ("received, no stock allocated yet", [line(2)], [], False, O.PENDING),
    ("every location rejected, nothing re-sourced yet", [line(2)], [F.REJECTED], False, O.PENDING),
]


@pytest.mark.parametrize(("lines", "fos", "on_hold", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_status_is_derived_from_lines_and_fulfillment_orders(
    lines: list[LineQuantities], fos: list[FulfillmentStatus], on_hold: bool, expected: OrderStatus
) -> None:
    assert derive_status(lines, fos, on_hold=on_hold) is expected


def test_derivation_accepts_one_shot_iterables() -> None:
    lines = (x for x in [line(1, fulfilled=1)])
    fos = (x for x in [F.DELIVERED])
    assert derive_status(lines, fos, on_hold=False) is O.COMPLETED


def test_open_units_are_what_is_neither_cancelled_nor_fulfilled() -> None:
    assert line(5, cancelled=1, fulfilled=3).open == 1
    assert line(5).open == 5


def test_line_total_is_exact_in_minor_units() -> None:
    assert line_total(3, 1999) == 5997
    assert line_total(100_000, 10**9) == 10**14  # no float anywhere
