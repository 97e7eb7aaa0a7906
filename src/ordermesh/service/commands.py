"""Commands: what a caller asks the service layer to do, already parsed and typed."""

from __future__ import annotations

from dataclasses import dataclass, field

from ordermesh.domain.picking import LineFound, Parcel


@dataclass(frozen=True, slots=True)
class UpsertLocation:
    code: str
    name: str
    type: str
    latitude: float
    longitude: float
    capabilities: list[str]
    postal_code: str | None = None
    country: str | None = None
    daily_capacity: dict[str, int] = field(default_factory=dict)
    region: str | None = None
    tags: list[str] = field(default_factory=list)
    priority: int = 100


@dataclass(frozen=True, slots=True)
class UpsertChannel:
    code: str
    name: str
    type: str
    currency: str
    location_codes: list[str] | None = None
    buffer: int = 0
    sourcing_profile: str | None = None


@dataclass(frozen=True, slots=True)
class UpsertSku:
    code: str
    name: str
    weight_grams: int | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Movement:
    sku: str
    location: str
    type: str
    quantity: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RecordMovements:
    movements: list[Movement]
    source: str = "api"


@dataclass(frozen=True, slots=True)
class SkuQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class HoldStock:
    channel: str
    lines: list[SkuQuantity]
    ttl_seconds: int
    location: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLineInput:
    sku: str
    quantity: int
    unit_price: str


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str
    latitude: float | None = None
    longitude: float | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    method: str
    address: Address | None = None
    pickup_location: str | None = None
    ship_to_store: bool = False


@dataclass(frozen=True, slots=True)
class Customer:
    email: str
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentInput:
    provider: str
    token: str | None = None
    authorization: str | None = None  # the channel authorized the payment itself


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    channel: str
    external_id: str
    currency: str
    customer: Customer
    lines: list[OrderLineInput]
    delivery: Delivery
    discount: str = "0"
    shipping: str = "0"
    tax: str = "0"
    payment: PaymentInput | None = None
    billing: dict[str, str] | None = None
    reservation_id: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class LineCancellation:
    line_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    lines: list[LineCancellation] | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentStep:
    fulfillment_order_id: str
    action: str
    reason: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    spot: str | None = None
    code: str | None = None
    found: tuple[LineFound, ...] | None = None  # pick: units found per line (a short pick)
    parcels: tuple[Parcel, ...] | None = None  # pack
    skus: tuple[str, ...] | None = None  # reject: the SKUs at fault (default: all on the fulfillment order)


@dataclass(frozen=True, slots=True)
class ChangeAddress:
    order_id: str
    address: Address


@dataclass(frozen=True, slots=True)
class AddedLine:
    sku: str
    quantity: int
    unit_price: str
    tax: str = "0"


@dataclass(frozen=True, slots=True)
class AddLines:
    order_id: str
    lines: list[AddedLine]
    authorization: str | None = None  # the channel's own authorization of the extra amount
