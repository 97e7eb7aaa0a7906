"""Customer profiles: look-up, history across channels, merge and unmerge, GDPR erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from ordermesh.entrypoints.api.customer_schemas import (
    CustomerHistory,
    CustomerMerge,
    CustomerPage,
    ErasurePublic,
)
from ordermesh.entrypoints.api.deps import Limit, UoW, Who, json
from ordermesh.entrypoints.api.schemas import Problem
from ordermesh.service import customers, erasure

router = APIRouter(prefix="/api/v1", tags=["customers"])
CustomerPath = Annotated[str, Path(min_length=1, max_length=32)]
READ_PROBLEMS: dict[int | str, dict[str, Any]] = {403: {"model": Problem}, 404: {"model": Problem}}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {**READ_PROBLEMS, 400: {"model": Problem},
                                                   409: {"model": Problem}, 422: {"model": Problem}}


@router.get("/customers", summary="Find a customer by e-mail or phone, or list every profile (newest first)",
            responses={200: {"model": CustomerPage}, **READ_PROBLEMS, 422: {"model": Problem}})
def list_customers(
        uow: UoW, who: Who, limit: Limit,
        email: Annotated[str | None, Query(max_length=320, description="Any case, surrounding spaces ignored")] = None,
        phone: Annotated[str | None, Query(max_length=40, description="+CC… or national with `country`")] = None,
        country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$", description="Reads a national phone")] = None,
        cursor: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    return json(customers.find(uow, who, email=email, phone=phone, country=country, cursor=cursor, limit=limit))


@router.get("/customers/{customer_id}", summary="A customer with their orders, returns and refunds from every channel",
            responses={200: {"model": CustomerHistory}, **READ_PROBLEMS})
def get_customer(customer_id: CustomerPath, uow: UoW, who: Who) -> Response:
    return json(customers.get(uow, who, customer_id))


@router.post("/customers/{customer_id}/merge", summary="Merge this profile into another one (the same person)",
             responses={200: {"model": CustomerHistory}, **WRITE_PROBLEMS})
def merge_customer(customer_id: CustomerPath, body: CustomerMerge, uow: UoW, who: Who) -> Response:
    return json(customers.merge(uow, who, customer_id, body.into))


@router.post("/customers/{customer_id}/unmerge", summary="Undo the merge of this profile",
             responses={200: {"model": CustomerHistory}, **WRITE_PROBLEMS})
def unmerge_customer(customer_id: CustomerPath, uow: UoW, who: Who) -> Response:
    return json(customers.unmerge(uow, who, customer_id))


@router.post("/customers/{customer_id}/erase", summary="GDPR erasure of the person, everywhere (admin only)",
             responses={200: {"model": ErasurePublic}, **WRITE_PROBLEMS})
def erase_customer(customer_id: CustomerPath, uow: UoW, who: Who) -> Response:
    return json(erasure.erase(uow, who, customer_id))
