"""Request and response schemas of the customer endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ordermesh.entrypoints.api.schemas import Strict, Totals

CustomerId = Annotated[str, Field(min_length=1, max_length=32, examples=["cus_0190a1b2c3d4e5f6a7b8c9"])]


class CustomerMerge(Strict):
    into: CustomerId = Field(description="The profile that survives: the same person, not merged or erased itself")


class CustomerPublic(BaseModel):
    id: str
    email: str | None
    phone: str | None = Field(description="E.164")
    name: str | None
    merged_into: str | None = Field(description="The profile this one was merged into; its identifiers lead there")
    erased: bool
    erased_at: str | None
    created_at: str
    updated_at: str = Field(description="Last change, or last order")


class CustomerPage(BaseModel):
    items: list[CustomerPublic]
    next_cursor: str | None


class CustomerOrder(BaseModel):
    id: str
    channel: str
    external_id: str
    status: str
    currency: str
    totals: Totals
    customer_id: str | None = Field(description="The profile the order was matched to (one merged into this one)")
    created_at: str


class CustomerReturn(BaseModel):
    id: str
    order_id: str
    channel: str
    status: str
    refunded: str
    restocking_fee: str
    currency: str
    created_at: str


class CustomerRefund(BaseModel):
    id: str
    order_id: str
    return_id: str | None
    status: str
    amount: str
    currency: str
    created_at: str


class CustomerHistory(CustomerPublic):
    emails: list[str] | None = Field(default=None, description="Every e-mail address that leads here (not shown "
                                                               "to channel keys)")
    phones: list[str] | None = Field(default=None, description="Every phone number that leads here (E.164)")
    merged: list[str] | None = Field(default=None, description="Profiles merged into this one, directly or not")
    channels: list[str]
    orders: list[CustomerOrder] = Field(description="Newest first, from every channel (a channel key: its own)")
    more_orders: bool = Field(description="More orders exist than are shown")
    returns: list[CustomerReturn]
    refunds: list[CustomerRefund]


class ErasurePublic(BaseModel):
    id: str = Field(description="The person's surviving profile")
    erased_at: str
    profiles: list[str] = Field(description="Every profile erased: the surviving one and those merged into it")
    orders: list[str] = Field(description="Orders anonymised: totals, lines, tax and country are kept")
