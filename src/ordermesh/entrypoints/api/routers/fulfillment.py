"""Fulfillment orders: the store's and warehouse's work list and its actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordermesh.domain.fulfillment import FulfillmentAction, FulfillmentStatus
from ordermesh.entrypoints.api.deps import Limit, UoW, Who, json
from ordermesh.entrypoints.api.schemas import (
    CODE_PATTERN,
    FulfillmentActionIn,
    FulfillmentOrderPublic,
    Page,
    Problem,
)
from ordermesh.service import commands, fulfillment

router = APIRouter(prefix="/api/v1", tags=["fulfillment"])


@router.get("/fulfillment-orders", summary="Fulfillment orders by location and status",
            responses={200: {"model": Page}})
def list_fulfillment_orders(uow: UoW, who: Who, limit: Limit,
                            location: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
                            status: FulfillmentStatus | None = None,
                            cursor: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    return json(fulfillment.list_page(uow, who, location=location, status=status.value if status else None,
                                      cursor=cursor, limit=limit))


@router.get("/fulfillment-orders/{fo_id}", summary="A fulfillment order",
            responses={200: {"model": FulfillmentOrderPublic}, 404: {"model": Problem}})
def get_fulfillment_order(fo_id: str, uow: UoW, who: Who) -> Response:
    return json(fulfillment.get(uow, who, fo_id))


@router.post("/fulfillment-orders/{fo_id}/{action}", summary="Move a fulfillment order along its lifecycle",
             description="accept, reject {reason}, pick, pack, ship {carrier, tracking_number}, ready, "
                         "arrive {spot}, pickup {code}, deliver, cancel. An action the current state does "
                         "not allow answers 409.",
             responses={200: {"model": FulfillmentOrderPublic}, 409: {"model": Problem}, 422: {"model": Problem}})
def act(fo_id: str, action: FulfillmentAction, uow: UoW, who: Who,
        body: FulfillmentActionIn | None = None) -> Response:
    body = body or FulfillmentActionIn()
    step = commands.FulfillmentStep(fo_id, action.value, body.reason.value if body.reason else None,
                                    body.carrier, body.tracking_number, body.spot, body.code)
    return json(fulfillment.act(uow, who, step))
