"""The fulfillment order lifecycle: one transition table, checked for every action.

open → accepted → picking → packed → (shipped → delivered) | (ready_for_pickup → [customer_arrived]
→ picked_up); rejected (re-sourced elsewhere); cancelled; expired.
"""

from __future__ import annotations

import secrets
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


class RejectReason(StrEnum):
    NOT_FOUND = "not_found"
    DAMAGED = "damaged"
    NO_CAPACITY = "no_capacity"
    OTHER = "other"


S = FulfillmentStatus
A = FulfillmentAction
_SHIPPING = frozenset({DeliveryMethod.SHIP, DeliveryMethod.LOCAL_DELIVERY})
_COLLECTED = frozenset({DeliveryMethod.PICKUP, DeliveryMethod.CURBSIDE})
_ALL = _SHIPPING | _COLLECTED

# (from status, action) → (to status, the delivery methods for which the step exists)
TRANSITIONS: dict[tuple[FulfillmentStatus, FulfillmentAction], tuple[FulfillmentStatus, frozenset[DeliveryMethod]]] = {
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
    (S.READY_FOR_PICKUP, A.ARRIVE): (S.CUSTOMER_ARRIVED, frozenset({DeliveryMethod.CURBSIDE})),
    (S.READY_FOR_PICKUP, A.PICKUP): (S.PICKED_UP, _COLLECTED),
    (S.READY_FOR_PICKUP, A.CANCEL): (S.CANCELLED, _COLLECTED),
    (S.READY_FOR_PICKUP, A.EXPIRE): (S.EXPIRED, _COLLECTED),
    (S.CUSTOMER_ARRIVED, A.PICKUP): (S.PICKED_UP, frozenset({DeliveryMethod.CURBSIDE})),
    (S.CUSTOMER_ARRIVED, A.CANCEL): (S.CANCELLED, frozenset({DeliveryMethod.CURBSIDE})),
    (S.CUSTOMER_ARRIVED, A.EXPIRE): (S.EXPIRED, frozenset({DeliveryMethod.CURBSIDE})),
}

# Statuses in which the units are still reserved at the location (not yet handed over or given back).
HOLDING_STOCK = frozenset({S.OPEN, S.ACCEPTED, S.PICKING, S.PACKED, S.READY_FOR_PICKUP, S.CUSTOMER_ARRIVED})
# Statuses in which the units have left the location: the customer has them or a carrier does.
HANDED_OVER = frozenset({S.SHIPPED, S.DELIVERED, S.PICKED_UP})
FINISHED = frozenset({S.DELIVERED, S.PICKED_UP, S.REJECTED, S.CANCELLED, S.EXPIRED})
# Actions a held order still allows: giving the work back is always possible.
ALLOWED_WHILE_ON_HOLD = frozenset({A.REJECT, A.CANCEL})
MAX_PICKUP_ATTEMPTS = 5


def next_status(
    status: FulfillmentStatus, action: FulfillmentAction, method: DeliveryMethod
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


def allowed_actions(status: FulfillmentStatus, method: DeliveryMethod) -> list[FulfillmentAction]:
    return [a for (s, a), (_, methods) in TRANSITIONS.items() if s is status and method in methods]


def new_pickup_code() -> str:
    """Six digits from a CSPRNG: the customer shows it at the store."""
    return f"{secrets.randbelow(10**6):06d}"
