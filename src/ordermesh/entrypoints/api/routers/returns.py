"""Returns (RMA) and exchanges: request, authorize, receive at any returns desk, refund, close; the desk's
order lookup."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from ordermesh.domain.returns import ReturnStatus
from ordermesh.entrypoints.api.deps import (
    CheckoutContext,
    IdempotencyKey,
    Limit,
    UoW,
    Who,
    json,
    ordermesh,
    outcome_response,
)
from ordermesh.entrypoints.api.return_schemas import (
    DeskResult,
    ReturnCreate,
    ReturnPublic,
    ReturnReceive,
    ReturnRefund,
    ReturnReject,
)
from ordermesh.entrypoints.api.schemas import Page, Problem
from ordermesh.service import idempotency, return_receipt, return_refunds, return_views, returns, returns_desk
from ordermesh.service.returns import ReturnsSetup

router = APIRouter(prefix="/api/v1", tags=["returns"])
PROBLEMS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (400, 403, 404, 409, 422)}
ONE: dict[int | str, dict[str, Any]] = {200: {"model": ReturnPublic}, **PROBLEMS}


async def returns_setup(request: Request, checkout: CheckoutContext) -> ReturnsSetup:
    return ReturnsSetup(policy=ordermesh(request).return_policy, checkout=checkout)


Setup = Annotated[ReturnsSetup, Depends(returns_setup)]


@router.post("/returns", status_code=201, summary="Request a return (RMA) for lines of an order",
             description="Checked against the return policy: the channel's return window (days after the units "
                         "reached the customer), non-returnable SKUs (tag `non_returnable`), and the units "
                         "handed over and not already in a return. `exchange` asks for replacement lines, "
                         "placed as a linked order when the return is authorized.",
             responses={201: {"model": ReturnPublic}, **PROBLEMS})
def post_return(body: ReturnCreate, uow: UoW, who: Who, setup: Setup, key: IdempotencyKey = None) -> Response:
    fingerprint = idempotency.fingerprint("POST", "/returns", body.model_dump(mode="json"))
    return outcome_response(returns.request(uow, who, body.to_command(), key, fingerprint, setup))


@router.get("/returns/lookup", summary="Returns desk: find an order of any channel",
            description="`q`: an order id, an external order id, the customer's email or phone. A store's key "
                        "finds every channel's orders (a web order brought back to a store), with the "
                        "customer's contact details masked; a channel's key its own orders.",
            responses={200: {"model": DeskResult}, **PROBLEMS})
def lookup(uow: UoW, who: Who, q: Annotated[str, Query(min_length=1, max_length=320)]) -> Response:
    return json(returns_desk.lookup(uow, who, q))


@router.get("/returns", summary="List returns, newest first", responses={200: {"model": Page}, **PROBLEMS})
def list_returns(uow: UoW, who: Who, limit: Limit,
                 order_id: Annotated[str | None, Query(max_length=32)] = None, status: ReturnStatus | None = None,
                 cursor: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    return json(return_views.list_page(uow, who, order_id=order_id, status=status.value if status else None,
                                       cursor=cursor, limit=limit))


@router.get("/returns/{return_id}", summary="A return with its refunds and timeline", responses=ONE)
def get_return(return_id: str, uow: UoW, who: Who) -> Response:
    return json(return_views.get(uow, who, return_id))


@router.post("/returns/{return_id}/authorize", summary="Authorize a return (an exchange's order is placed now)",
             responses=ONE)
def authorize(return_id: str, uow: UoW, who: Who, setup: Setup) -> Response:
    return json(returns.authorize(uow, who, return_id, setup))


@router.post("/returns/{return_id}/reject", summary="Reject a return", responses=ONE)
def reject(return_id: str, body: ReturnReject, uow: UoW, who: Who) -> Response:
    return json(returns.reject(uow, who, return_id, body.reason))


@router.post("/returns/{return_id}/receive", summary="Receive units at a returns desk, each with its disposition",
             description="restock: on hand at that location at once; damaged, return_to_vendor: no sellable "
                         "stock. A store's key receives at its own store only. Honours Idempotency-Key.",
             responses=ONE)
def receive(return_id: str, body: ReturnReceive, uow: UoW, who: Who, key: IdempotencyKey = None) -> Response:
    fingerprint = idempotency.fingerprint("POST", f"/returns/{return_id}/receive", body.model_dump(mode="json"))
    return outcome_response(return_receipt.receive(uow, who, body.to_command(return_id), key, fingerprint))


@router.post("/returns/{return_id}/refund", summary="Refund the received units through the payment provider",
             description="Default amount: the received units' line amount (with their discount and tax share, "
                         "without shipping) less the restocking fee, never more than captured. Honours "
                         "Idempotency-Key.", responses=ONE)
def refund(return_id: str, uow: UoW, who: Who, setup: Setup, body: ReturnRefund | None = None,
           key: IdempotencyKey = None) -> Response:
    body = body or ReturnRefund()
    fingerprint = idempotency.fingerprint("POST", f"/returns/{return_id}/refund", body.model_dump(mode="json"))
    return outcome_response(return_refunds.refund(uow, who, body.to_command(return_id), key, fingerprint, setup))


@router.post("/returns/{return_id}/exchange", summary="Settle a received return by its exchange order",
             responses=ONE)
def exchange(return_id: str, uow: UoW, who: Who) -> Response:
    return json(returns.settle_by_exchange(uow, who, return_id))


@router.post("/returns/{return_id}/close", summary="Close a return", responses=ONE)
def close(return_id: str, uow: UoW, who: Who) -> Response:
    return json(returns.close(uow, who, return_id))
