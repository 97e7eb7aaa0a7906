"""Order capture, reading, cancellation and holds."""

from __future__ import annotations

import json as stdlib_json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from ordermesh.entrypoints.api.deps import (
    CheckoutContext,
    IdempotencyKey,
    Limit,
    Providers,
    UoW,
    Who,
    checkout,
    json,
    ordermesh,
    outcome_response,
    principal,
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
from ordermesh.service.access import Principal
from ordermesh.service.idempotency import MAX_KEY_LENGTH
from ordermesh.service.ordering import Checkout
from ordermesh.service.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["orders"])
PROBLEMS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}}


@router.post("/orders", status_code=201, summary="Place an order",
             responses={201: {"model": OrderPublic}, **PROBLEMS})
def post_order(body: OrderCreate, uow: UoW, who: Who, checkout: CheckoutContext,
               key: IdempotencyKey = None) -> Response:
    return place_order(body, uow, who, checkout, key)


def place_order(body: OrderCreate, uow: UnitOfWork, who: Principal, checkout: Checkout, key: str | None) -> Response:
    fingerprint = idempotency.fingerprint("POST", "/orders", body.model_dump(mode="json"))
    return outcome_response(ordering.place(uow, who, body.to_command(), key, fingerprint, checkout))


async def post_order_direct(request: Request) -> Response:
    """``post_order`` without FastAPI's per-request machinery, for the requests ``DirectOrderRoute`` takes.

    Placing orders is the hot path, and solving the route's dependencies costs ~0.6 ms of a worker's CPU
    per order. The checks and answers are the documented route's, in its order: malformed JSON first (the
    body is read as FastAPI reads it, with the standard library's parser, so the same bodies pass), then
    the API key, then the fields.
    """
    try:
        document = stdlib_json.loads(await request.body())
    except ValueError as exc:  # JSONDecodeError, or bytes that are no text at all
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error",
                                       "input": {}}]) from exc
    authorization = request.headers.get("authorization")
    try:
        body = OrderCreate.model_validate(document, from_attributes=True)  # as FastAPI does
    except ValidationError as exc:
        await principal(request, authorization)  # a missing or wrong key is answered before the fields
        raise RequestValidationError(exc.errors(include_url=False)) from None
    who = await principal(request, authorization)
    return await run_in_threadpool(place_order, body, ordermesh(request).uow, who, await checkout(request),
                                   request.headers.get("idempotency-key"))


class DirectOrderRoute(Route):
    """POST /api/v1/orders with a JSON body straight to ``post_order_direct``; anything unusual (another
    content type, an empty body, an over-long Idempotency-Key) goes on to the documented route, so FastAPI
    answers it exactly as before."""

    def __init__(self) -> None:
        super().__init__(f"{router.prefix}/orders", post_order_direct, methods=["POST"], include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.FULL:
            return Match.NONE, {}
        json_body = length_ok = False
        for name, value in scope["headers"]:
            if name == b"content-type":
                json_body = value.split(b";")[0].strip().lower() == b"application/json"
            elif name == b"content-length":
                length_ok = value.strip() not in (b"", b"0")
            elif name == b"idempotency-key" and len(value.decode("latin-1")) > MAX_KEY_LENGTH:
                return Match.NONE, {}
        return (match, child) if json_body and length_ok else (Match.NONE, {})


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
