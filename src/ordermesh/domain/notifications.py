"""Customer notifications: which event tells the customer what, and the message that results.

Pure rules only. Reading the event feed, rendering the templates and talking to a mail server live in
the service and adapter layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ordermesh.domain.fulfillment import AWAITING_COLLECTION, FulfillmentMethod, FulfillmentStatus
from ordermesh.domain.orders import OrderStatus


class Template(StrEnum):
    ORDER_CONFIRMED = "order_confirmed"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED = "shipped"
    REFUND_ISSUED = "refund_issued"


class MessageStatus(StrEnum):
    """``pending``: logged, not yet handed to the sender (or the mail server could not be reached yet);
    ``sent``: the sender accepted it; ``failed``: refused for good (the error says why)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# The events that notify the customer, and the template each one uses.
TEMPLATE_FOR_EVENT: Mapping[str, Template] = {
    "order.created": Template.ORDER_CONFIRMED,
    "fulfillment_order.ready_for_pickup": Template.READY_FOR_PICKUP,
    "fulfillment_order.shipped": Template.SHIPPED,
    "payment.refunded": Template.REFUND_ISSUED,
}
NOTIFYING_EVENTS = tuple(TEMPLATE_FOR_EVENT)


def template_for(event_type: str, *, method: str | None = None) -> Template | None:
    """The template an event calls for, or None when the customer is not told.

    A shipped **transfer** is stock moving from a warehouse to the customer's store, not a parcel on its way
    to the customer: they hear from us when the store has it ready instead.
    """
    template = TEMPLATE_FOR_EVENT.get(event_type)
    if template is Template.SHIPPED and method == FulfillmentMethod.TRANSFER:
        return None
    return template


def still_worth_sending(template: Template, fulfillment_status: str | None) -> bool:
    """A pickup notice that goes out late (the notifier was stopped) must not arrive after the customer has
    collected the order or the pickup has expired: the code in it would be useless."""
    if template is Template.READY_FOR_PICKUP:
        return fulfillment_status is not None and FulfillmentStatus(fulfillment_status) in AWAITING_COLLECTION
    return True


def is_stale(occurred_at: datetime, now: datetime, max_age: timedelta) -> bool:
    """Events older than ``max_age`` are not worth a message: a notifier switched on for an existing
    database, or restarted after a long outage, must not greet every past customer."""
    return now - occurred_at > max_age


def first_name(name: str | None) -> str | None:
    """All the tracking page and the messages say about the person: the first word of their name."""
    words = (name or "").split()
    return words[0] if words else None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered customer message, as logged and as handed to a sender."""

    template: Template
    recipient: str
    subject: str
    body: str
    order_id: str | None = None
    customer_id: str | None = None
    event_id: int | None = None


class DeliveryFailed(Exception):
    """A sender could not deliver. ``permanent``: the server refused this message (a bad address); it will
    not be tried again. Otherwise (server unreachable, busy, a 4xx reply) it stays pending for the next run."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


# What the tracking page calls each order status. A hold (payment, fraud, address) is the retailer's
# business: the customer sees that the order is being processed.
CUSTOMER_STATUS: Mapping[OrderStatus, tuple[str, str]] = {
    OrderStatus.PENDING: ("received", "Order received"),
    OrderStatus.CONFIRMED: ("confirmed", "Order confirmed"),
    OrderStatus.ON_HOLD: ("processing", "Being processed"),
    OrderStatus.IN_FULFILLMENT: ("in_progress", "Being prepared"),
    OrderStatus.PARTIALLY_FULFILLED: ("partially_sent", "Partly on its way"),
    OrderStatus.FULFILLED: ("sent", "On its way or collected"),
    OrderStatus.COMPLETED: ("completed", "Completed"),
    OrderStatus.CANCELLED: ("cancelled", "Cancelled"),
}

PICKUP_INSTRUCTIONS: Mapping[FulfillmentMethod, str] = {
    FulfillmentMethod.PICKUP: "Bring your pickup code to the store's service desk; the staff will hand your "
                              "order over once they have checked it.",
    FulfillmentMethod.CURBSIDE: "Drive to the store and tell the staff which parking spot you are in; they "
                                "bring your order out to you. Have your pickup code ready.",
}


def customer_status(status: str) -> tuple[str, str]:
    """(code, label) of an order status as the customer sees it."""
    return CUSTOMER_STATUS[OrderStatus(status)]


def shows_pickup_code(method: str, status: str) -> bool:
    """The code is shown once the order waits at the store, and only until it is collected or expires."""
    return (FulfillmentMethod(method).collected
            and FulfillmentStatus(status) in AWAITING_COLLECTION)


_PREPARING = "Being prepared"
FULFILLMENT_LABELS: Mapping[FulfillmentStatus, str] = {
    FulfillmentStatus.OPEN: _PREPARING, FulfillmentStatus.ACCEPTED: _PREPARING,
    FulfillmentStatus.PICKING: _PREPARING, FulfillmentStatus.PACKED: "Packed",
    FulfillmentStatus.SHIPPED: "Shipped", FulfillmentStatus.DELIVERED: "Delivered",
    FulfillmentStatus.READY_FOR_PICKUP: "Ready for pickup", FulfillmentStatus.CUSTOMER_ARRIVED: "Coming out to you",
    FulfillmentStatus.PICKED_UP: "Collected", FulfillmentStatus.CANCELLED: "Cancelled",
    FulfillmentStatus.EXPIRED: "Not collected in time", FulfillmentStatus.REJECTED: "Moved elsewhere",
}
# A transfer brings a ship-to-store order's units from a warehouse to the customer's store.
TRANSFER_LABELS: Mapping[FulfillmentStatus, str] = {
    FulfillmentStatus.SHIPPED: "On its way to your store", FulfillmentStatus.DELIVERED: "Arrived at your store",
}

RETURN_LABELS: Mapping[str, str] = {
    "requested": "Return requested", "authorized": "Return accepted: please send or bring the items back",
    "received": "Items received, being checked", "refunded": "Refunded", "exchanged": "Exchanged",
    "closed": "Closed", "rejected": "Return declined",
}


def fulfillment_label(method: str, status: str) -> str:
    fulfillment_status = FulfillmentStatus(status)
    if method == FulfillmentMethod.TRANSFER and fulfillment_status in TRANSFER_LABELS:
        return TRANSFER_LABELS[fulfillment_status]
    return FULFILLMENT_LABELS[fulfillment_status]


def shown_to_customer(status: str) -> bool:
    """A rejected fulfillment order's units were sourced again elsewhere: an internal detail."""
    return FulfillmentStatus(status) is not FulfillmentStatus.REJECTED


def return_label(status: str) -> str:
    return RETURN_LABELS.get(status, status.replace("_", " ").capitalize())
