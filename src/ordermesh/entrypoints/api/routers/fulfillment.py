"""Fulfillment orders: the store's and warehouse's work list, its actions, and the pick list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from ordermesh.domain.fulfillment import FulfillmentAction, FulfillmentStatus
from ordermesh.entrypoints.api.deps import Limit, Policy, Providers, UoW, Who, json
from ordermesh.entrypoints.api.fulfillment_schemas import FulfillmentActionIn, PickListPublic
from ordermesh.entrypoints.api.schemas import CODE_PATTERN, FulfillmentOrderPublic, Page, Problem
from ordermesh.service import fulfillment
from ordermesh.service.pick_list import pick_list

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
             description="accept; reject {reason, skus?} (not_found counts the SKUs down to zero there and "
                         "re-sources the location's other unpicked work for them; damaged writes the units off; "
                         "no_capacity closes the location for the day); pick {lines?: [{line_id, "
                         "quantity_found}]} (a short pick re-sources only the missing units); pack {parcels?: "
                         "[{weight_grams, items?}]}; ship {carrier, tracking_number}; deliver (a transfer: "
                         "received at the store, whose pickup is then ready); ready; arrive {spot}; pickup "
                         "{code}; cancel. An action the current state does not allow answers 409.",
             responses={200: {"model": FulfillmentOrderPublic}, 400: {"model": Problem}, 403: {"model": Problem},
                        404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
def act(fo_id: str, action: FulfillmentAction, uow: UoW, who: Who, policy: Policy, providers: Providers,
        body: FulfillmentActionIn | None = None) -> Response:
    step = (body or FulfillmentActionIn()).to_command(fo_id, action.value)
    return json(fulfillment.act(uow, who, step, policy, providers))


@router.get("/locations/{code}/pick-list", summary="What a location still has to pick, the most urgent first",
            description="Lines of its open, accepted and picking fulfillment orders sorted by due time. "
                        "A location key sees only its own location's list.",
            responses={200: {"model": PickListPublic}, 403: {"model": Problem}, 404: {"model": Problem},
                       422: {"model": Problem}})
def get_pick_list(code: Annotated[str, Path(pattern=CODE_PATTERN)], uow: UoW, who: Who, limit: Limit,
                  cursor: Annotated[str | None, Query(max_length=400)] = None) -> Response:
    return json(pick_list(uow, who, code, cursor=cursor, limit=limit))
