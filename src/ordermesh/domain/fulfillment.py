"""The fulfillment order lifecycle: one transition table, checked for every action.

open → accepted → picking → packed → (shipped → delivered) | (ready_for_pickup → [customer_arrived]
→ picked_up); rejected (re-sourced elsewhere); cancelled; expired.

A fulfillment order goes out by one of the customer's delivery methods, or as a **transfer**: a
warehouse ships the units of a ship-to-store order to the store, whose pickup fulfillment order is
ready when the transfer is delivered there.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import IllegalTransition


class FulfillmentStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    CUSTOMER_ARRIVED = "customer_arrived"
    PICKED_UP = "picked_up"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class FulfillmentAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    PICK = "pick"
    PACK = "pack"
    SHIP = "ship"
    DELIVER = "deliver"
    READY = "ready"
    ARRIVE = "arrive"
    PICKUP = "pickup"
    CANCEL = "cancel"
    EXPIRE = "expire"


class FulfillmentMethod(StrEnum):
    """How a fulfillment order's units leave its location."""

    SHIP = "ship"
    PICKUP = "pickup"
    CURBSIDE = "curbside"
    LOCAL_DELIVERY = "local_delivery"
    TRANSFER = "transfer"  # to the store a ship-to-store customer collects from

    @property
    def collected(self) -> bool:
        """Pickup and curbside: the customer collects at the store they chose, so no other store will do."""
        return self in (FulfillmentMethod.PICKUP, FulfillmentMethod.CURBSIDE)

    @property
    def as_delivery(self) -> DeliveryMethod:
        """The delivery method whose capability a location needs (a transfer leaves as a shipment)."""
        return DeliveryMethod.SHIP if self is FulfillmentMethod.TRANSFER else DeliveryMethod(self.value)


class RejectReason(StrEnum):
    NOT_FOUND = "not_found"
    DAMAGED = "damaged"
    NO_CAPACITY = "no_capacity"
    OTHER = "other"


S = FulfillmentStatus
A = FulfillmentAction
M = FulfillmentMethod
_SHIPPING = frozenset({M.SHIP, M.LOCAL_DELIVERY, M.TRANSFER})
_COLLECTED = frozenset({M.PICKUP, M.CURBSIDE})
_CURBSIDE = frozenset({M.CURBSIDE})
_ALL = _SHIPPING | _COLLECTED

Step = tuple[FulfillmentStatus, frozenset[FulfillmentMethod]]
# (from status, action) → (to status, the methods for which the step exists)
TRANSITIONS: dict[tuple[FulfillmentStatus, FulfillmentAction], Step] = {
    (S.OPEN, A.ACCEPT): (S.ACCEPTED, _ALL),
    (S.OPEN, A.REJECT): (S.REJECTED, _ALL),
    (S.OPEN, A.CANCEL): (S.CANCELLED, _ALL),
    (S.ACCEPTED, A.PICK): (S.PICKING, _ALL),
    (S.ACCEPTED, A.REJECT): (S.REJECTED, _ALL),
    (S.ACCEPTED, A.CANCEL): (S.CANCELLED, _ALL),
    (S.PICKING, A.PACK): (S.PACKED, _ALL),
    (S.PICKING, A.REJECT): (S.REJECTED, _ALL),
    (S.PICKING, A.CANCEL): (S.CANCELLED, _ALL),
    (S.PACKED, A.SHIP): (S.SHIPPED, _SHIPPING),
    (S.PACKED, A.READY): (S.READY_FOR_PICKUP, _COLLECTED),
    (S.PACKED, A.CANCEL): (S.CANCELLED, _ALL),
    (S.SHIPPED, A.DELIVER): (S.DELIVERED, _SHIPPING),
    (S.READY_FOR_PICKUP, A.ARRIVE): (S.CUSTOMER_ARRIVED, _CURBSIDE),
    (S.READY_FOR_PICKUP, A.PICKUP): (S.PICKED_UP, _COLLECTED),
    (S.READY_FOR_PICKUP, A.CANCEL): (S.CANCELLED, _COLLECTED),
    (S.READY_FOR_PICKUP, A.EXPIRE): (S.EXPIRED, _COLLECTED),
    (S.CUSTOMER_ARRIVED, A.PICKUP): (S.PICKED_UP, _CURBSIDE),
    (S.CUSTOMER_ARRIVED, A.CANCEL): (S.CANCELLED, _CURBSIDE),
    (S.CUSTOMER_ARRIVED, A.EXPIRE): (S.EXPIRED, _CURBSIDE),
}

# Statuses in which the units are still reserved at the location (not yet handed over or given back).
HOLDING_STOCK = frozenset({S.OPEN, S.ACCEPTED, S.PICKING, S.PACKED, S.READY_FOR_PICKUP, S.CUSTOMER_ARRIVED})
# Statuses in which the units have left the location: the customer has them or a carrier does.
HANDED_OVER = frozenset({S.SHIPPED, S.DELIVERED, S.PICKED_UP})
FINISHED = frozenset({S.DELIVERED, S.PICKED_UP, S.REJECTED, S.CANCELLED, S.EXPIRED})
# Not picked yet: the units may still be taken away from the location and sent elsewhere.
NOT_PICKED = frozenset({S.OPEN, S.ACCEPTED})
# Work a location still has to pick: what its pick list shows.
TO_PICK = frozenset({S.OPEN, S.ACCEPTED, S.PICKING})
# Waiting for the customer at the store: the no-show clock runs.
AWAITING_COLLECTION = frozenset({S.READY_FOR_PICKUP, S.CUSTOMER_ARRIVED})
# Actions a held order still allows: giving the work back is always possible.
ALLOWED_WHILE_ON_HOLD = frozenset({A.REJECT, A.CANCEL})
MAX_PICKUP_ATTEMPTS = 5


def next_status(
    status: FulfillmentStatus, action: FulfillmentAction, method: FulfillmentMethod
) -> FulfillmentStatus:
    """The status ``action`` leads to, or IllegalTransition naming why it is not allowed."""
    step = TRANSITIONS.get((status, action))
    if step is None:
        raise IllegalTransition(
            f"cannot {action.value} a fulfillment order that is {status.value}",
            field="action",
            current_status=status.value,
            action=action.value,
        )
    to_status, methods = step
    if method not in methods:
        raise IllegalTransition(
            f"cannot {action.value} a {method.value} fulfillment order",
            field="action",
            current_status=status.value,
            action=action.value,
        )
    return to_status


def allowed_actions(status: FulfillmentStatus, method: FulfillmentMethod) -> list[FulfillmentAction]:
    return [a for (s, a), (_, methods) in TRANSITIONS.items() if s is status and method in methods]


def new_pickup_code() -> str:
    """Six digits from a CSPRNG: the customer shows it at the store."""
    return f"{secrets.randbelow(10**6):06d}"


def pickup_code_matches(expected: str | None, given: str | None) -> bool:
    """Compared in constant time, so response timing does not leak how many digits were right."""
    return expected is not None and given is not None and secrets.compare_digest(expected, given)


# Hours from creation until a fulfillment order should be handed over, per method (its due time).
DEFAULT_DUE_HOURS: Mapping[str, float] = {M.SHIP: 24, M.LOCAL_DELIVERY: 4, M.PICKUP: 4, M.CURBSIDE: 2,
                                          M.TRANSFER: 48}


@dataclass(frozen=True, slots=True)
class FulfillmentPolicy:
    """Service levels of the store and warehouse work (read from settings once, at start-up)."""

    accept_within: timedelta = timedelta(minutes=120)
    pickup_hold: timedelta = timedelta(days=3)
    due_hours: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DUE_HOURS))

    def accept_by(self, method: FulfillmentMethod, created_at: datetime) -> datetime | None:
        """When an unaccepted fulfillment order is sent elsewhere; None for a collected one, which can
        only be fulfilled at the store the customer chose (re-sourcing it would only cancel it)."""
        return None if method.collected else created_at + self.accept_within

    def due_at(self, method: FulfillmentMethod, created_at: datetime) -> datetime:
        hours = self.due_hours.get(method.value, DEFAULT_DUE_HOURS[method])
        return created_at + timedelta(hours=hours)

    def collect_by(self, ready_at: datetime) -> datetime:
        """A pickup not collected by then expires: the order's lines are cancelled and the units restocked."""
        return ready_at + self.pickup_hold
