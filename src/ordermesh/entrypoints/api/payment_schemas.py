"""Request and response bodies of the payment endpoints (refunds, retries)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ordermesh.entrypoints.api.schemas import Amount, Code, Strict


class RefundCreate(Strict):
    amount: Amount = Field(description="At most what was captured less what was refunded (payment_summary.refundable)")
    reason: Annotated[str, Field(max_length=500)] | None = None


class PaymentRetry(Strict):
    token: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="A new provider token to authorize with (default: the one the order was placed with)")
    provider: Code | None = Field(default=None, description="Default: the order's payment provider")


class PaymentPublic(BaseModel):
    id: str
    kind: str = Field(description="authorization, capture, void or refund")
    status: str = Field(description="pending (asked, not yet answered), succeeded or failed")
    amount: str
    currency: str
    provider: str
    provider_ref: str | None
    fulfillment_order_id: str | None
    return_id: str | None
    error: str | None
    payment_ids: list[str] | None = Field(default=None, description="A refund's parts (one per authorization)")
