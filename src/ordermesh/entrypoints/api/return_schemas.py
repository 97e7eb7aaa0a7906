"""Request and response schemas of the returns API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from ordermesh.domain.orders import MAX_LINES_PER_ORDER
from ordermesh.domain.returns import Disposition
from ordermesh.entrypoints.api.schemas import Amount, Code, Strict, Units
from ordermesh.service import return_commands as c

LineId = Annotated[str, Field(min_length=1, max_length=32, description="An order line's id")]
Reason = Annotated[str, Field(min_length=1, max_length=200)]
Lines = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)


class ReturnLineIn(Strict):
    line_id: LineId
    quantity: Units
    reason: Reason = Field(examples=["too small"])


class ExchangeLineIn(Strict):
    sku: Code
    quantity: Units
    unit_price: Amount | None = Field(default=None, description="What the replacement costs; absent: 0 (an even "
                                                                "exchange). No payment is taken for it.")


class ExchangeIn(Strict):
    lines: list[ExchangeLineIn] = Lines


class ReturnCreate(Strict):
    order_id: Annotated[str, Field(min_length=1, max_length=32)]
    lines: list[ReturnLineIn] = Lines
    exchange: ExchangeIn | None = Field(default=None, description="Replacement lines: a linked new order, "
                                                                  "placed and reserved when the return is authorized")
    restocking_fee: Amount | None = Field(default=None, description="Kept back from the refund")
    note: Annotated[str, Field(max_length=500)] | None = None

    def to_command(self) -> c.RequestReturn:
        exchange = [c.ExchangeLine(x.sku, x.quantity, x.unit_price) for x in self.exchange.lines] \
            if self.exchange else None
        return c.RequestReturn(self.order_id, [c.ReturnLineRequest(x.line_id, x.quantity, x.reason)
                                               for x in self.lines], exchange, self.restocking_fee, self.note)


class ReceivedLineIn(Strict):
    line_id: LineId
    quantity: Units
    disposition: Disposition


class ReturnReceive(Strict):
    location: Code = Field(description="Where the units arrived: a location with the returns capability")
    lines: list[ReceivedLineIn] = Lines

    def to_command(self, return_id: str) -> c.ReceiveReturn:
        return c.ReceiveReturn(return_id, self.location, [c.ReceivedUnits(x.line_id, x.quantity, x.disposition.value)
                                                          for x in self.lines])


class ReturnRefund(Strict):
    amount: Amount | None = Field(default=None, description="Absent: what the received units are worth less the "
                                                            "restocking fee, at most what is still captured")
    restocking_fee: Amount | None = Field(default=None, description="Absent: the fee the return was requested with")

    def to_command(self, return_id: str) -> c.RefundReturn:
        return c.RefundReturn(return_id, self.amount, self.restocking_fee)


class ReturnReject(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ReturnLinePublic(BaseModel):
    line_id: str
    sku: str
    quantity: int
    reason: str
    received: int
    restocked: int
    damaged: int
    returned_to_vendor: int
    refunded: int


class ReturnPublic(BaseModel):
    id: str
    order_id: str
    channel: str
    status: str
    location: str | None = Field(description="Where it was received")
    lines: list[ReturnLinePublic]
    exchange: dict[str, Any] | None
    exchange_order_id: str | None
    currency: str
    restocking_fee: str
    refunded: str
    payments: list[dict[str, Any]] = Field(description="The refunds of this return")
    allowed_actions: list[str]


class DeskResult(BaseModel):
    q: str
    items: list[dict[str, Any]] = Field(description="Orders found, each with its lines' returnable quantities")
