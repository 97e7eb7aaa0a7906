"""Request and response schemas of the HTTP API (kept apart from tables and commands)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.domain.catalogue import Capability, ChannelType, DeliveryMethod, LocationType
from ordermesh.domain.fulfillment import FulfillmentMethod
from ordermesh.domain.inventory import MAX_UNITS
from ordermesh.domain.orders import MAX_LINE_QUANTITY, MAX_LINES_PER_ORDER
from ordermesh.service import commands as c

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, examples=["STORE-BER-01"])]
Amount = Annotated[str, Field(pattern=r"^\d{1,15}(\.\d{1,4})?$", examples=["12.34"],
                              description="A decimal string in the currency's minor-unit precision")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Units = Annotated[int, Field(ge=1, le=MAX_LINE_QUANTITY)]
Tag = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", examples=["bulky"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationUpsert(Strict):
    name: Text
    type: LocationType
    latitude: Latitude
    longitude: Longitude
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    capabilities: list[Capability] = Field(max_length=5)
    daily_capacity: dict[DeliveryMethod, Annotated[int, Field(ge=0, le=MAX_UNITS)]] | None = Field(
        default=None, description="Fulfillment orders the location takes per day and method; absent: no limit")
    region: Annotated[str, Field(max_length=20)] | None = Field(default=None, description="State or province code")
    tags: list[Tag] = Field(default_factory=list, max_length=20, description="For sourcing profile filters")
    priority: Annotated[int, Field(ge=0, le=10_000)] = Field(
        default=100, description="For the priority strategy: lower is preferred")

    def to_command(self, code: str) -> c.UpsertLocation:
        return c.UpsertLocation(code=code, name=self.name, type=self.type.value, latitude=self.latitude,
                                longitude=self.longitude, postal_code=self.postal_code, country=self.country,
                                capabilities=[x.value for x in self.capabilities],
                                daily_capacity={k.value: v for k, v in (self.daily_capacity or {}).items()},
                                region=self.region, tags=sorted(set(self.tags)), priority=self.priority)


class ChannelUpsert(Strict):
    name: Text
    type: ChannelType
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
    location_codes: list[Code] | None = Field(default=None, max_length=10_000,
                                              description="Locations that feed this channel; absent: all")
    buffer: Annotated[int, Field(ge=0, le=MAX_UNITS)] = Field(
        default=0, description="Units held back per location from this channel")
    sourcing_profile: Code | None = Field(
        default=None, description="The sourcing profile its orders are routed by; absent: the built-in one")

    def to_command(self, code: str) -> c.UpsertChannel:
        return c.UpsertChannel(code=code, name=self.name, type=self.type.value, currency=self.currency,
                               location_codes=self.location_codes, buffer=self.buffer,
                               sourcing_profile=self.sourcing_profile)


class SkuUpsert(Strict):
    name: Text
    weight_grams: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20, description="For sourcing profile conditions")

    def to_command(self, code: str) -> c.UpsertSku:
        return c.UpsertSku(code=code, name=self.name, weight_grams=self.weight_grams, tags=sorted(set(self.tags)))


class MovementIn(Strict):
    sku: Code
    location: Code
    type: Literal["receive", "adjust", "count"]
    quantity: Annotated[int, Field(ge=-MAX_UNITS, le=MAX_UNITS)]
    reason: Annotated[str, Field(max_length=200)] | None = None


class MovementsCreate(Strict):
    movements: list[MovementIn] = Field(min_length=1, max_length=1000)

    def to_command(self, source: str) -> c.RecordMovements:
        return c.RecordMovements([c.Movement(m.sku, m.location, m.type, m.quantity, m.reason)
                                  for m in self.movements], source=source)


class SafetyStockIn(Strict):
    safety_stock: Annotated[int, Field(ge=0, le=MAX_UNITS)]


class SkuQuantityIn(Strict):
    sku: Code
    quantity: Units


class ReservationCreate(Strict):
    channel: Code
    lines: list[SkuQuantityIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    ttl_seconds: Annotated[int, Field(ge=1, le=7 * 24 * 3600)] = 900
    location: Code | None = None

    def to_command(self) -> c.HoldStock:
        return c.HoldStock(self.channel, [c.SkuQuantity(x.sku, x.quantity) for x in self.lines],
                           self.ttl_seconds, self.location)


class AddressIn(Strict):
    line1: Text
    city: Text
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    region: Annotated[str, Field(max_length=20)] | None = Field(default=None, description="State or province code")
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class DeliveryIn(Strict):
    method: DeliveryMethod
    address: AddressIn | None = None
    pickup_location: Code | None = None
    ship_to_store: bool = Field(default=False, description="Pickup/curbside: send the units from a warehouse to "
                                                           "the chosen store (a transfer), then ready for pickup")


class CustomerIn(Strict):
    email: Annotated[str, Field(pattern=r"^\s*[^@\s]{1,64}@[^@\s]{1,255}\s*$", max_length=320,
                                description="Matched to the customer's profile trimmed and in lower case")]
    name: Text | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()./-]{3,30}$")] | None = None


class OrderLineIn(Strict):
    sku: Code
    quantity: Units
    unit_price: Amount


class PaymentIn(Strict):
    provider: Code = Field(examples=["test"], description="A configured payment provider")
    token: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="The provider's payment token: Ordermesh authorizes the order's total with it")
    authorization: Annotated[str, Field(min_length=1, max_length=120)] | None = Field(
        default=None, description="Or: an authorization the channel already obtained from the provider")


class BillingAddressIn(Strict):
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    line1: Text | None = None
    city: Text | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)] | None = None


class OrderCreate(Strict):
    channel: Code
    external_id: Annotated[str, Field(min_length=1, max_length=100)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    customer: CustomerIn
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    delivery: DeliveryIn
    discount: Amount | None = Field(default=None, description="Order-level discount, spread over the lines")
    shipping: Amount | None = Field(default=None, description="Shipping charged, spread over the lines")
    tax: Amount | None = Field(default=None, description="Tax on the order, spread over the lines after discount")
    payment: PaymentIn | None = None
    billing_address: BillingAddressIn | None = None
    reservation_id: Annotated[str, Field(max_length=32)] | None = None
    notes: Annotated[str, Field(max_length=2000)] | None = None

    def to_command(self) -> c.PlaceOrder:
        d, a = self.delivery, self.delivery.address
        address = c.Address(a.line1, a.city, a.postal_code, a.country, a.latitude, a.longitude,
                            a.region) if a else None
        return c.PlaceOrder(
            channel=self.channel, external_id=self.external_id, currency=self.currency,
            customer=c.Customer(self.customer.email, self.customer.name, self.customer.phone),
            lines=[c.OrderLineInput(x.sku, x.quantity, x.unit_price) for x in self.lines],
            delivery=c.Delivery(d.method.value, address, d.pickup_location, d.ship_to_store),
            discount=self.discount or "0", shipping=self.shipping or "0", tax=self.tax or "0",
            payment=c.PaymentInput(self.payment.provider, self.payment.token, self.payment.authorization)
            if self.payment else None,
            billing=self.billing_address.model_dump(exclude_none=True) if self.billing_address else None,
            reservation_id=self.reservation_id, notes=self.notes)


class AddressChange(Strict):
    address: AddressIn

    def to_command(self, order_id: str) -> c.ChangeAddress:
        a = self.address
        return c.ChangeAddress(order_id, c.Address(a.line1, a.city, a.postal_code, a.country, a.latitude,
                                                   a.longitude, a.region))


class AddedLineIn(Strict):
    sku: Code
    quantity: Units
    unit_price: Amount
    tax: Amount = Field(default="0", description="Tax on this line")


class LinesAdd(Strict):
    lines: list[AddedLineIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    authorization: Annotated[str, Field(min_length=1, max_length=120)] | None = Field(
        default=None, description="The channel's own authorization of the extra amount (orders it authorized)")

    def to_command(self, order_id: str) -> c.AddLines:
        return c.AddLines(order_id, [c.AddedLine(x.sku, x.quantity, x.unit_price, x.tax) for x in self.lines],
                          self.authorization)


class LineCancelIn(Strict):
    line_id: Annotated[str, Field(max_length=32)]
    quantity: Units


class OrderCancel(Strict):
    lines: list[LineCancelIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES_PER_ORDER)
    reason: Annotated[str, Field(max_length=500)] | None = None


class HoldCreate(Strict):
    type: Literal["manual", "fraud", "address", "payment"] = "manual"
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class Page(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None


class Totals(BaseModel):
    subtotal: str
    discount: str
    shipping: str
    tax: str
    total: str
    currency: str


class FulfillmentLinePublic(BaseModel):
    order_line_id: str
    sku: str
    quantity: int


class FulfillmentOrderPublic(BaseModel):
    id: str
    order_id: str
    location: str
    method: FulfillmentMethod
    status: str
    lines: list[FulfillmentLinePublic]
    allowed_actions: list[str]
    pickup_code: str | None = None
    details: dict[str, Any] = Field(description="carrier, tracking_number, parcels, spot, reject_reason, "
                                                "short_picked, transfer_to, and who did each step")
    due_at: str | None = Field(default=None, description="Hand over by then; the pick list's order")
    accept_by: str | None = Field(default=None, description="Re-sourced elsewhere if not accepted by then")
    pickup_expires_at: str | None = Field(default=None, description="Expires if not collected by then")


class OrderLinePublic(BaseModel):
    id: str
    sku: str
    quantity: int
    unit_price: str
    line_total: str
    cancelled_quantity: int
    fulfilled_quantity: int
    open_quantity: int
    returned_quantity: int
    discount: str = Field(description="The line's share of the order discount")
    shipping: str = Field(description="The line's share of the shipping")
    tax: str = Field(description="The line's share of the tax")
    total: str = Field(description="line_total - discount + shipping + tax")


class OrderPublic(BaseModel):
    id: str
    status: str
    channel: str
    external_id: str
    currency: str
    totals: Totals
    customer: dict[str, Any]
    delivery: dict[str, Any]
    lines: list[OrderLinePublic]
    fulfillment_orders: list[FulfillmentOrderPublic]
    holds: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    payment_summary: dict[str, Any] | None = Field(
        default=None, description="authorized, captured, refunded and refundable so far (decimal strings), voided")
    changes: list[dict[str, Any]] = Field(description="Numbered changes: address, cancel_lines, add_lines")
    returns: list[dict[str, Any]] = Field(description="Returns of this order's lines, from any channel")
    customer_id: str | None
    tracking_url: str | None = Field(description="The customer's tracking page: an unguessable link, no key needed")
    sourcing: dict[str, Any] | None
    timeline: list[dict[str, Any]] | None = None


class AvailabilityLocation(BaseModel):
    location: str
    available: int


class AvailabilityItem(BaseModel):
    sku: str
    available: int
    locations: list[AvailabilityLocation]


class AvailabilityPublic(BaseModel):
    channel: str
    items: list[AvailabilityItem]


class ReservationPublic(BaseModel):
    id: str
    channel: str
    status: str
    expires_at: str
    lines: list[dict[str, Any]]
