"""Returns (RMA): the lifecycle, the return policy, and the money a return gives back.

requested → authorized → received (each unit restocked, damaged or returned to the vendor) → refunded |
exchanged → closed; rejected. Receiving and refunding are separate steps: stock goes back on sale the
moment a unit is restocked, and the refund is issued (through the payment provider) when someone decides
so — with or without a restock, and a restock with or without a refund.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ordermesh.domain.errors import Conflict, IllegalTransition
from ordermesh.domain.money import LineMoney

# A SKU tagged so (skus.tags) is never taken back: hygiene items, gift cards, made-to-measure goods.
NON_RETURNABLE_TAG = "non_returnable"
DEFAULT_WINDOW_DAYS = 30


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORIZED = "authorized"
    RECEIVED = "received"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    CLOSED = "closed"
    REJECTED = "rejected"


class ReturnAction(StrEnum):
    AUTHORIZE = "authorize"
    REJECT = "reject"
    RECEIVE = "receive"
    REFUND = "refund"
    EXCHANGE = "exchange"
    CLOSE = "close"


class Disposition(StrEnum):
    """What becomes of one received unit."""

    RESTOCK = "restock"  # back on hand at the receiving location, sellable at once
    DAMAGED = "damaged"  # kept off sale (written off)
    RETURN_TO_VENDOR = "return_to_vendor"  # set aside for the supplier


class ReturnNotAllowed(Conflict):
    slug = "return-not-allowed"
    title = "The return policy does not allow this return"


S, A = ReturnStatus, ReturnAction
# (from status, action) → to status. Anything not listed is refused with 409.
TRANSITIONS: Mapping[tuple[ReturnStatus, ReturnAction], ReturnStatus] = {
    (S.REQUESTED, A.AUTHORIZE): S.AUTHORIZED,
    (S.REQUESTED, A.REJECT): S.REJECTED,
    (S.AUTHORIZED, A.RECEIVE): S.RECEIVED,
    # Refused at the desk (the goods are not what was authorized), or never sent back.
    (S.AUTHORIZED, A.REJECT): S.REJECTED,
    (S.AUTHORIZED, A.CLOSE): S.CLOSED,
    (S.RECEIVED, A.RECEIVE): S.RECEIVED,  # the rest of the units, in a later parcel
    (S.RECEIVED, A.REFUND): S.REFUNDED,
    (S.RECEIVED, A.EXCHANGE): S.EXCHANGED,
    (S.RECEIVED, A.CLOSE): S.CLOSED,  # settled without a refund (e.g. store credit, or restock only)
    (S.REFUNDED, A.CLOSE): S.CLOSED,
    (S.EXCHANGED, A.CLOSE): S.CLOSED,
}
FINISHED = frozenset({S.CLOSED, S.REJECTED})
# Not received anywhere yet: any store's returns desk may take the parcel in.
AWAITING_RECEIPT = frozenset({S.REQUESTED, S.AUTHORIZED})
# Units of the return that may still arrive are spoken for up to the requested quantity.
MAY_STILL_RECEIVE = frozenset({S.REQUESTED, S.AUTHORIZED, S.RECEIVED})


def next_status(status: ReturnStatus, action: ReturnAction) -> ReturnStatus:
    """The status ``action`` leads to, or IllegalTransition (409) saying why not."""
    to_status = TRANSITIONS.get((status, action))
    if to_status is None:
        raise IllegalTransition(f"cannot {action.value} a return that is {status.value}", field="action",
                                current_status=status.value, action=action.value)
    return to_status


def allowed_actions(status: ReturnStatus) -> list[ReturnAction]:
    return [a for (s, a) in TRANSITIONS if s is status]


def units_spoken_for(status: ReturnStatus, quantity: int, received: int) -> int:
    """Units of an order line one return holds: a line's units cannot be in two returns at once.

    A return that may still receive holds what it asked for; a settled one what actually came back;
    a rejected one nothing.
    """
    if status is S.REJECTED:
        return 0
    return quantity if status in MAY_STILL_RECEIVE else received


@dataclass(frozen=True, slots=True)
class ReturnPolicy:
    """How long after hand-over a channel's customers may return, by channel code (read from settings)."""

    default_window_days: int = DEFAULT_WINDOW_DAYS
    window_days: Mapping[str, int] = field(default_factory=dict)

    def window(self, channel: str) -> timedelta:
        return timedelta(days=self.window_days.get(channel, self.default_window_days))

    def closes_at(self, channel: str, handed_over_at: datetime) -> datetime:
        return handed_over_at + self.window(channel)

    def check_line(self, *, field: str, channel: str, sku: str, sku_tags: Iterable[str],
                   handed_over_at: datetime | None, now: datetime) -> None:
        """Refuse a line the policy does not take back, naming ``field``."""
        if NON_RETURNABLE_TAG in set(sku_tags):
            raise ReturnNotAllowed(f"{field}: {sku} is not returnable", field=field, sku=sku)
        if handed_over_at is None:
            raise ReturnNotAllowed(f"{field}: no unit of {sku} has reached the customer yet", field=field, sku=sku)
        closes = self.closes_at(channel, handed_over_at)
        if now > closes:
            days = self.window(channel).days
            raise ReturnNotAllowed(
                f"{field}: the {days}-day return window of channel {channel} for {sku} closed on "
                f"{closes.date().isoformat()}", field=field, sku=sku, window_closed_at=closes.isoformat())


@dataclass(frozen=True, slots=True)
class UnitsToRefund:
    """Units of one order line a refund pays back: ``count`` units after the ``first`` already refunded."""

    money: LineMoney
    first: int
    count: int


def refund_value(items: Iterable[UnitsToRefund]) -> int:
    """The merchandise value (after discount, with tax, shipping excluded) of the units, to the minor unit.

    Units are refunded in order, so refunding a line unit by unit over several returns adds up to exactly
    what the line cost (see ``LineMoney.refund_units``).
    """
    return sum(x.money.refund_units(x.first, x.count) for x in items if x.count)
