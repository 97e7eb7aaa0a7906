"""Commands of the returns use cases: what a caller asks, already parsed and typed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReturnLineRequest:
    line_id: str
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class ExchangeLine:
    sku: str
    quantity: int
    unit_price: str | None = None  # absent: the replacement is free (an even exchange)


@dataclass(frozen=True, slots=True)
class RequestReturn:
    order_id: str
    lines: list[ReturnLineRequest]
    exchange: list[ExchangeLine] | None = None
    restocking_fee: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivedUnits:
    line_id: str
    quantity: int
    disposition: str


@dataclass(frozen=True, slots=True)
class ReceiveReturn:
    return_id: str
    location: str
    lines: list[ReceivedUnits]


@dataclass(frozen=True, slots=True)
class RefundReturn:
    return_id: str
    amount: str | None = None  # absent: what the received units are worth, less the fee, at most captured
    restocking_fee: str | None = None  # absent: the fee the return was requested with
