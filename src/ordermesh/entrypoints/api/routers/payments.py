"""Payments after capture: refunds, and retrying a failed authorization or an unanswered settlement."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from ordermesh.entrypoints.api.deps import IdempotencyKey, Providers, UoW, Who, json, outcome_response
from ordermesh.entrypoints.api.payment_schemas import PaymentPublic, PaymentRetry, RefundCreate
from ordermesh.entrypoints.api.schemas import OrderPublic, Problem
from ordermesh.service import idempotency, payments

router = APIRouter(prefix="/api/v1", tags=["payments"])
PROBLEMS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 404: {"model": Problem},
                                             409: {"model": Problem}, 422: {"model": Problem}}


@router.post("/orders/{order_id}/refunds", status_code=201, summary="Refund captured money",
             description="At most what was captured less what was refunded or is being refunded; 422 names "
                         "`amount` when it is more, 409 when nothing was captured. Honours `Idempotency-Key`. "
                         "The answer shows the refund as the provider answered it (`pending` if it has not yet: "
                         "it is asked again later with the same key, so the money moves once).",
             responses={201: {"model": PaymentPublic}, **PROBLEMS})
def post_refund(order_id: str, body: RefundCreate, uow: UoW, who: Who, providers: Providers,
                key: IdempotencyKey = None) -> Response:
    fingerprint = idempotency.fingerprint("POST", f"/orders/{order_id}/refunds", body.model_dump(mode="json"))
    outcome = payments.refund_order(uow, who, providers, order_id, amount=body.amount, reason=body.reason, key=key,
                                    request_hash=fingerprint)
    return outcome_response(outcome)


@router.post("/orders/{order_id}/payments/retry", summary="Settle pending payments now, or authorize again",
             description="Payments the provider has not answered are asked again under their own keys. If none "
                         "are pending and the order's authorization failed (or no longer covers its units), a new "
                         "authorization is asked for, with `token` or the order's own; once it succeeds the "
                         "payment holds the system placed are released. 409 when there is nothing to retry.",
             responses={200: {"model": OrderPublic}, **PROBLEMS})
def retry_payment(order_id: str, uow: UoW, who: Who, providers: Providers,
                  body: PaymentRetry | None = None) -> Response:
    body = body or PaymentRetry()
    return json(payments.retry(uow, who, providers, order_id, token=body.token, provider=body.provider))
