"""Inventory movements, positions, availability per channel, and cart holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from ordermesh.entrypoints.api.deps import IdempotencyKey, Limit, UoW, Who, json, outcome_response
from ordermesh.entrypoints.api.schemas import (
    CODE_PATTERN,
    AvailabilityPublic,
    MovementsCreate,
    Page,
    ReservationCreate,
    ReservationPublic,
    SafetyStockIn,
)
from ordermesh.service import idempotency, inventory, reservations

router = APIRouter(prefix="/api/v1", tags=["inventory"])
CodeQuery = Annotated[str | None, Query(pattern=CODE_PATTERN)]
CodePath = Annotated[str, Path(pattern=CODE_PATTERN)]


@router.post("/inventory/movements", status_code=201, summary="Record receipts, adjustments and counts")
def post_movements(body: MovementsCreate, uow: UoW, who: Who, key: IdempotencyKey = None) -> Response:
    fingerprint = idempotency.fingerprint("POST", "/inventory/movements", body.model_dump(mode="json"))
    command = body.to_command(source=who.actor)
    outcome = idempotency.run(uow, who, key, fingerprint,
                              lambda conn: (201, inventory.record_movements(conn, who, command, key)))
    return outcome_response(outcome)


@router.get("/inventory", summary="Inventory positions", responses={200: {"model": Page}})
def get_inventory(uow: UoW, who: Who, limit: Limit, sku: CodeQuery = None, location: CodeQuery = None,
                  cursor: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    with uow.reading() as conn:
        return json(inventory.positions_page(conn, who, sku=sku, location=location, cursor=cursor, limit=limit))


@router.put("/inventory/{sku}/{location}/safety-stock", summary="Set a position's safety stock")
def put_safety_stock(sku: CodePath, location: CodePath, body: SafetyStockIn, uow: UoW, who: Who) -> Response:
    with uow.writing() as conn:
        return json(inventory.set_safety_stock(conn, who, sku, location, body.safety_stock))


@router.get("/availability", summary="What a channel may sell, after safety stock and buffers",
            responses={200: {"model": AvailabilityPublic}})
def get_availability(uow: UoW, who: Who, channel: Annotated[str, Query(pattern=CODE_PATTERN)],
                     sku: Annotated[list[str], Query(min_length=1, max_length=250)]) -> Response:
    with uow.reading(snapshot=False) as conn:
        return json(inventory.availability(conn, who, channel, sku))


@router.post("/reservations", status_code=201, summary="Hold stock for a cart",
             responses={201: {"model": ReservationPublic}})
def post_reservation(body: ReservationCreate, uow: UoW, who: Who, key: IdempotencyKey = None) -> Response:
    fingerprint = idempotency.fingerprint("POST", "/reservations", body.model_dump(mode="json"))
    command = body.to_command()
    outcome = idempotency.run(uow, who, key, fingerprint, lambda conn: (201, reservations.hold(conn, who, command)))
    return outcome_response(outcome)


@router.get("/reservations/{reservation_id}", summary="A cart hold",
            responses={200: {"model": ReservationPublic}})
def get_reservation(reservation_id: str, uow: UoW, who: Who) -> Response:
    return json(reservations.get(uow, who, reservation_id))


@router.delete("/reservations/{reservation_id}", status_code=204, summary="Release a cart hold")
def delete_reservation(reservation_id: str, uow: UoW, who: Who) -> Response:
    reservations.release(uow, who, reservation_id)
    return Response(status_code=204)
