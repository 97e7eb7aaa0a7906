"""The schema, as typed SQLAlchemy 2 models.

The models describe the tables (and feed Alembic); hot paths use SQLAlchemy Core statements against
``Model.__table__`` so a reservation is one conditional UPDATE, never load-modify-save.
Invariants that protect against oversell are also CHECK constraints, so a bug cannot commit them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Timestamp = DateTime(timezone=True)
Json = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER PRIMARY KEY


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: Json, list[Any]: Json, datetime: Timestamp}


class Location(Base):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    latitude: Mapped[float]
    longitude: Mapped[float]
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    capabilities: Mapped[list[Any]]
    daily_capacity: Mapped[dict[str, Any]]
    region: Mapped[str | None] = mapped_column(String(20))  # state/province code, for profile conditions
    tags: Mapped[list[Any]] = mapped_column(server_default="[]")
    priority: Mapped[int] = mapped_column(default=100, server_default="100")  # lower is preferred
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on every change, so processes may cache a location's attributes and notice when they go stale.
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]


class Channel(Base):
    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    all_locations: Mapped[bool] = mapped_column(default=True)
    buffer: Mapped[int] = mapped_column(default=0)
    sourcing_profile: Mapped[str | None] = mapped_column(String(64))  # a profile code; None: the built-in one
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]


class ChannelLocation(Base):
    """The locations that feed a channel when it is not fed by all of them."""

    __tablename__ = "channel_locations"
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)


class Sku(Base):
    __tablename__ = "skus"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    weight_grams: Mapped[int | None]
    tags: Mapped[list[Any]] = mapped_column(server_default="[]")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]


class InventoryPosition(Base):
    __tablename__ = "inventory_positions"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="no_oversell"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
        Index("ix_inventory_positions_location", "location_id", "sku_id"),
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    safety_stock: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class InventoryMovement(Base):
    """The append-only ledger: every change of on hand or reserved is one row."""

    __tablename__ = "inventory_movements"
    __table_args__ = (Index("ix_inventory_movements_position", "sku_id", "location_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    type: Mapped[str] = mapped_column(String(10))
    on_hand_delta: Mapped[int]
    reserved_delta: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class Reservation(Base):
    """A cart hold (soft, expires by itself) until an order converts it or it is released."""

    __tablename__ = "reservations"
    __table_args__ = (Index("ix_reservations_active_expiry", "status", "expires_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    status: Mapped[str] = mapped_column(String(12))
    expires_at: Mapped[datetime]
    order_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class ReservationLine(Base):
    __tablename__ = "reservation_lines"
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    quantity: Mapped[int]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id", name="uq_orders_channel_external_id"),
        Index("ix_orders_channel_status", "channel_id", "status", "id"),
        Index("ix_orders_status", "status", "id"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    customer: Mapped[dict[str, Any]]
    delivery: Mapped[dict[str, Any]]
    # Order-level money the channel sent, allocated across the lines (each line keeps its share).
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shipping_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)  # the profile matched at capture
    # How the customer pays: {provider, token | authorization, billing_country}. Never a card number.
    payment: Mapped[dict[str, Any] | None]
    billing: Mapped[dict[str, Any] | None]  # billing address, for the fraud rules
    tracking_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # the tracking page's link
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("cancelled + fulfilled <= quantity", name="quantities_add_up"),
        CheckConstraint("returned <= fulfilled", name="returned_at_most_fulfilled"),
        Index("ix_order_lines_order", "order_id"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    line_no: Mapped[int]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    cancelled: Mapped[int] = mapped_column(default=0)
    fulfilled: Mapped[int] = mapped_column(default=0)
    # The line's share of the order's discount, shipping and tax (largest remainder, see domain/money.py).
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shipping_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    returned: Mapped[int] = mapped_column(default=0, server_default="0")  # units received back on returns


class OrderHold(Base):
    __tablename__ = "order_holds"
    __table_args__ = (Index("ix_order_holds_order", "order_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    type: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(100))


class FulfillmentOrder(Base):
    __tablename__ = "fulfillment_orders"
    __table_args__ = (
        Index("ix_fulfillment_orders_order", "order_id"),
        Index("ix_fulfillment_orders_location_status", "location_id", "status", "id"),
        # The sweepers' scans: unaccepted past their deadline, and pickups nobody collected.
        Index("ix_fulfillment_orders_status_accept_by", "status", "accept_by"),
        Index("ix_fulfillment_orders_status_pickup_expires_at", "status", "pickup_expires_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    method: Mapped[str] = mapped_column(String(16))  # a delivery method, or "transfer" (ship-to-store)
    status: Mapped[str] = mapped_column(String(20))
    pickup_code: Mapped[str | None] = mapped_column(String(6))
    pickup_attempts: Mapped[int] = mapped_column(default=0)
    details: Mapped[dict[str, Any]]  # carrier, tracking number, parcels, curbside spot, reject reason
    due_at: Mapped[datetime]  # hand over by then: the pick list's order
    accept_by: Mapped[datetime | None]  # not accepted by then: re-sourced elsewhere (None: never)
    pickup_expires_at: Mapped[datetime | None]  # ready for pickup and not collected by then: expired
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FulfillmentOrderLine(Base):
    __tablename__ = "fulfillment_order_lines"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)
    fulfillment_order_id: Mapped[str] = mapped_column(ForeignKey("fulfillment_orders.id"), primary_key=True)
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]


class SourcingDecision(Base):
    __tablename__ = "sourcing_decisions"
    __table_args__ = (Index("ix_sourcing_decisions_order", "order_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    trigger: Mapped[str] = mapped_column(String(40))
    strategy: Mapped[str] = mapped_column(String(40))
    profile: Mapped[str | None] = mapped_column(String(64))
    profile_version: Mapped[int | None]
    explanation: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class SourcingProfile(Base):
    """One version of a channel's sourcing profile; exactly one version of a code is active at a time."""

    __tablename__ = "sourcing_profiles"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_sourcing_profiles_code_version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))  # draft, active, retired
    document: Mapped[dict[str, Any]]
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class LocationCapacity(Base):
    """Fulfillment orders a location took today per method; taken with the reservation, given back on
    cancel or reject. ``closed`` switches the location off for that method and day."""

    __tablename__ = "location_capacity"
    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # UTC date, YYYY-MM-DD
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    used: Mapped[int] = mapped_column(default=0)
    closed: Mapped[bool] = mapped_column(default=False)


class Customer(Base):
    """One person across channels. ``merged_into`` points at the profile this one was merged into (undone by
    clearing it); an erased profile keeps its id and loses everything that names the person."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)  # normalised: trimmed, lower case
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    name: Mapped[str | None] = mapped_column(String(200))
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CustomerKey(Base):
    """What identifies a person (kind ``email`` or ``phone``, normalised value) → their profile. The primary
    key makes two concurrent first orders of one person end in one profile, not two."""

    __tablename__ = "customer_keys"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(320), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)


class Payment(Base):
    """One money movement asked of a payment provider: authorization, capture, void or refund.

    Written ``pending`` in the transaction that decides it, then settled with the provider under
    ``provider_key``, which the provider de-duplicates: a retry after a crash moves money at most once."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_payments_order", "order_id", "created_at"),
        Index("ix_payments_status", "status", "id"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(16))  # authorization, capture, void, refund
    status: Mapped[str] = mapped_column(String(12))  # pending, succeeded, failed
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(32))
    provider_key: Mapped[str] = mapped_column(String(120), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    authorization_id: Mapped[str | None] = mapped_column(String(32))  # the authorization this acts on
    fulfillment_order_id: Mapped[str | None] = mapped_column(String(32))  # a capture's shipment
    return_id: Mapped[str | None] = mapped_column(String(32))  # a refund's return
    error: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderChange(Base):
    """A numbered change to an order before release: address, cancelled or added lines."""

    __tablename__ = "order_changes"
    __table_args__ = (UniqueConstraint("order_id", "number", name="uq_order_changes_order_number"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))  # address, cancel_lines, add_lines
    actor: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Return(Base):
    """A return (RMA) of lines of one order, requested from any channel and received at any location."""

    __tablename__ = "returns"
    __table_args__ = (Index("ix_returns_order", "order_id"), Index("ix_returns_status", "status", "id"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))  # where it was requested
    status: Mapped[str] = mapped_column(String(12))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))  # where it was received
    exchange: Mapped[dict[str, Any] | None]  # the replacement lines asked for: {lines: [{sku, quantity}]}
    exchange_order_id: Mapped[str | None] = mapped_column(String(32))
    restocking_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("restocked + damaged + returned_to_vendor = received", name="dispositions_add_up"),
        CheckConstraint("received <= quantity", name="received_at_most_requested"),
    )
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), primary_key=True)
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), primary_key=True)
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    received: Mapped[int] = mapped_column(default=0)
    restocked: Mapped[int] = mapped_column(default=0)
    damaged: Mapped[int] = mapped_column(default=0)
    returned_to_vendor: Mapped[int] = mapped_column(default=0)
    refunded: Mapped[int] = mapped_column(default=0)  # units whose money went back


class Message(Base):
    """The notification log: every customer message, as rendered and as sent (or why not)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("event_id", "template", name="uq_messages_event_id"),
        Index("ix_messages_order", "order_id", "id"),
        Index("ix_messages_customer", "customer_id", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # The event that caused it: one message per event and template.
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    order_id: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(String(20))  # log, smtp
    status: Mapped[str] = mapped_column(String(12))  # sent, failed
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class Cursor(Base):
    """How far a background consumer of the event feed has read (e.g. the notifier)."""

    __tablename__ = "cursors"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime]


class Event(Base):
    """The transactional outbox. ``tx_id`` orders the feed safely on PostgreSQL (see service/events.py)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_feed", "tx_id", "id"),
        Index("ix_events_order", "order_id", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tx_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime]
    order_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[int | None]
    location_id: Mapped[int | None]
    data: Mapped[dict[str, Any]]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(12))
    scope: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, typed as a Table for SQLAlchemy Core statements."""
    return cast(Table, model.__table__)
