"""Request bodies of the fulfillment actions, and the pick list's response."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ordermesh.domain.fulfillment import RejectReason
from ordermesh.domain.orders import MAX_LINE_QUANTITY, MAX_LINES_PER_ORDER
from ordermesh.domain.picking import MAX_PARCEL_GRAMS, MAX_PARCELS, LineFound, Parcel, ParcelItem
from ordermesh.entrypoints.api.schemas import Code, Strict
from ordermesh.service import commands as c

LineId = Annotated[str, Field(min_length=1, max_length=32)]


class LineFoundIn(Strict):
    line_id: LineId = Field(description="An order line on this fulfillment order")
    quantity_found: Annotated[int, Field(ge=0, le=MAX_LINE_QUANTITY)]


class ParcelItemIn(Strict):
    line_id: LineId
    quantity: Annotated[int, Field(ge=1, le=MAX_LINE_QUANTITY)]


class ParcelIn(Strict):
    weight_grams: Annotated[int, Field(ge=1, le=MAX_PARCEL_GRAMS)]
    items: list[ParcelItemIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES_PER_ORDER,
                                             description="What went in; when every parcel says, they must "
                                                         "hold every unit of the fulfillment order")


class FulfillmentActionIn(Strict):
    reason: RejectReason | None = Field(default=None, description="reject: why (each has an inventory effect)")
    skus: list[Code] | None = Field(default=None, min_length=1, max_length=MAX_LINES_PER_ORDER,
                                    description="reject: the SKUs not found or damaged (default: all of them)")
    lines: list[LineFoundIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES_PER_ORDER,
                                            description="pick: units found per line; the missing ones are "
                                                        "re-sourced (lines not listed were found in full)")
    parcels: list[ParcelIn] | None = Field(default=None, min_length=1, max_length=MAX_PARCELS,
                                           description="pack: the parcels, with their weight")
    carrier: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    spot: Annotated[str, Field(min_length=1, max_length=50)] | None = Field(
        default=None, description="arrive: where the curbside customer waits")
    code: Annotated[str, Field(pattern=r"^\d{6}$")] | None = Field(default=None, description="pickup: the code")

    def to_command(self, fo_id: str, action: str) -> c.FulfillmentStep:
        return c.FulfillmentStep(
            fo_id, action, self.reason.value if self.reason else None, self.carrier, self.tracking_number,
            self.spot, self.code,
            found=tuple(LineFound(x.line_id, x.quantity_found) for x in self.lines) if self.lines else None,
            parcels=tuple(Parcel(p.weight_grams, tuple(ParcelItem(i.line_id, i.quantity) for i in p.items)
                                 if p.items else None) for p in self.parcels) if self.parcels else None,
            skus=tuple(self.skus) if self.skus else None)


class PickListItem(BaseModel):
    sku: str
    quantity: int
    order_id: str
    fulfillment_order_id: str
    order_line_id: str
    due_at: str
    method: str
    status: str


class PickListPublic(BaseModel):
    location: str
    items: list[PickListItem]
    next_cursor: str | None
