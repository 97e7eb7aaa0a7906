"""Order capture, reading, cancellation and holds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordermesh.entrypoints.api.deps import (
    CheckoutContext,
    IdempotencyKey,
    Limit,
    Providers,
    UoW,
    Who,
    json,
    outcome_response,
)
from ordermesh.entrypoints.api.schemas import (
    CODE_PATTERN,
    AddressChange,
    HoldCreate,
    LinesAdd,
    OrderCancel,
    OrderCreate,
    OrderPublic,
    Page,
    Problem,
)
from ordermesh.service import amendments, commands, idempotency, order_changes, ordering, queries

router = APIRouter(prefix="/api/v1", tags=["orders"])
PROBLEMS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}}


@router.post("/orders", status_code=201, summary="Place an order",
             responses={201: {"model": OrderPublic}, **PROBLEMS})
def post_order(body: OrderCreate, uow: UoW, who: Who, checkout: CheckoutContext,
               key: IdempotencyKey = None) -> Response:
    fingerprint = idempotency.fingerprint("POST", "/orders", body.model_dump(mode="json"))
    command = body.to_command()
    outcome = ordering.place(uow, who, command, key, fingerprint, checkout)
    return outcome_response(outcome)


@router.get("/orders/{order_id}", summary="An order with its timeline",
            responses={200: {"model": OrderPublic}, 404: {"model": Problem}})
def get_order(order_id: str, uow: UoW, who: Who) -> Response:
    return json(queries.get_order(uow, who, order_id))


@router.get("/orders", summary="List orders, newest first", responses={200: {"model": Page}})
def list_orders(uow: UoW, who: Who, limit: Limit,
                channel: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
                status: Annotated[str | None, Query(max_length=30)] = None,
                cursor: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    return json(queries.list_orders(uow, who, channel=channel, status=status, cursor=cursor, limit=limit))


@router.post("/orders/{order_id}/cancel", summary="Cancel the whole order or line quantities",
             responses={200: {"model": OrderPublic}, **PROBLEMS})
def cancel_order(order_id: str, uow: UoW, who: Who, providers: Providers,
                 body: OrderCancel | None = None) -> Response:
    body = body or OrderCancel()
    lines = [commands.LineCancellation(x.line_id, x.quantity) for x in body.lines] if body.lines else None
    return json(order_changes.cancel(uow, who, commands.CancelOrder(order_id, lines, body.reason), providers))


@router.post("/orders/{order_id}/address", summary="Change the delivery address before release (re-sourced)",
             responses={200: {"model": OrderPublic}, **PROBLEMS})
def change_address(order_id: str, body: AddressChange, uow: UoW, who: Who, checkout: CheckoutContext) -> Response:
    return json(amendments.change_address(uow, who, body.to_command(order_id), checkout))


@router.post("/orders/{order_id}/lines", summary="Add lines before release (sourced, reserved and authorized)",
             responses={200: {"model": OrderPublic}, **PROBLEMS})
def add_lines(order_id: str, body: LinesAdd, uow: UoW, who: Who, checkout: CheckoutContext,
              key: IdempotencyKey = None) -> Response:
    fingerprint = idempotency.fingerprint("POST", f"/orders/{order_id}/lines", body.model_dump(mode="json"))
    outcome = amendments.add_lines(uow, who, body.to_command(order_id), checkout, key, fingerprint)
    return outcome_response(outcome)


@router.post("/orders/{order_id}/holds", status_code=201, summary="Put the order on hold",
             responses={201: {"model": OrderPublic}, **PROBLEMS})
def place_hold(order_id: str, body: HoldCreate, uow: UoW, who: Who) -> Response:
    return json(order_changes.place_hold(uow, who, order_id, body.type, body.reason), 201)


@router.post("/orders/{order_id}/holds/{hold_id}/release", summary="Release a hold",
             responses={200: {"model": OrderPublic}, **PROBLEMS})
def release_hold(order_id: str, hold_id: str, uow: UoW, who: Who) -> Response:
    return json(order_changes.release_hold(uow, who, order_id, hold_id))
