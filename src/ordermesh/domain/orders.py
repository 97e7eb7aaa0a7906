"""Orders: lines, totals in minor units, and the status derived from line quantities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ordermesh.domain.fulfillment import HANDED_OVER, HOLDING_STOCK, FulfillmentStatus

MAX_LINES_PER_ORDER = 250
MAX_LINE_QUANTITY = 100_000


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    IN_FULFILLMENT = "in_fulfillment"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


class HoldType(StrEnum):
    PAYMENT = "payment"
    FRAUD = "fraud"
    ADDRESS = "address"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class LineQuantities:
    ordered: int
    cancelled: int
    fulfilled: int

    @property
    def open(self) -> int:
        """Units still to be fulfilled."""
        return self.ordered - self.cancelled - self.fulfilled


def line_total(quantity: int, unit_price_minor: int) -> int:
    return quantity * unit_price_minor


def derive_status(
    lines: Iterable[LineQuantities],
    fulfillment_statuses: Iterable[FulfillmentStatus],
    *,
    on_hold: bool,
) -> OrderStatus:
    """The order's status follows from its lines and fulfillment orders; nobody sets it by hand."""
    lines = list(lines)
    statuses = list(fulfillment_statuses)
    live = sum(q.ordered - q.cancelled for q in lines)
    if live == 0:
        return OrderStatus.CANCELLED
    if on_hold:
        return OrderStatus.ON_HOLD
    fulfilled = sum(q.fulfilled for q in lines)
    if fulfilled >= live:
        done = all(s in (FulfillmentStatus.DELIVERED, FulfillmentStatus.PICKED_UP)
                   for s in statuses if s in HANDED_OVER)
        return OrderStatus.COMPLETED if done else OrderStatus.FULFILLED
    if fulfilled > 0:
        return OrderStatus.PARTIALLY_FULFILLED
    # Nothing reached the customer yet, so a shipped fulfillment order is a transfer on its way to the
    # store the customer collects from: work in progress, like one being picked.
    if any((s in HOLDING_STOCK and s is not FulfillmentStatus.OPEN) or s is FulfillmentStatus.SHIPPED
           for s in statuses):
        return OrderStatus.IN_FULFILLMENT
    if not any(s in HOLDING_STOCK for s in statuses):
        return OrderStatus.PENDING
    return OrderStatus.CONFIRMED
