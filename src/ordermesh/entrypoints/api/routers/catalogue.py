"""Locations, channels and SKUs: upsert, get, list, deactivate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from ordermesh.entrypoints.api.deps import Limit, UoW, Who, json
from ordermesh.entrypoints.api.schemas import CODE_PATTERN, ChannelUpsert, LocationUpsert, Page, SkuUpsert
from ordermesh.service import catalogue

router = APIRouter(prefix="/api/v1", tags=["network and catalogue"])
CodePath = Annotated[str, Path(pattern=CODE_PATTERN)]
Cursor = Annotated[str | None, Query(max_length=200)]


@router.put("/locations/{code}", summary="Create or update a location")
def put_location(code: CodePath, body: LocationUpsert, uow: UoW, who: Who) -> Response:
    return json(catalogue.upsert_location(uow, who, body.to_command(code)))


@router.put("/channels/{code}", summary="Create or update a sales channel")
def put_channel(code: CodePath, body: ChannelUpsert, uow: UoW, who: Who) -> Response:
    return json(catalogue.upsert_channel(uow, who, body.to_command(code)))


@router.put("/skus/{code}", summary="Create or update a SKU")
def put_sku(code: CodePath, body: SkuUpsert, uow: UoW, who: Who) -> Response:
    return json(catalogue.upsert_sku(uow, who, body.to_command(code)))


def _routes(kind: str, plural: str) -> None:
    def get_one(code: CodePath, uow: UoW, who: Who) -> Response:
        return json(catalogue.get(uow, who, kind, code))

    def list_all(uow: UoW, who: Who, limit: Limit, cursor: Cursor = None) -> Response:
        return json(catalogue.list_page(uow, who, kind, cursor, limit))

    def deactivate(code: CodePath, uow: UoW, who: Who) -> Response:
        return json(catalogue.deactivate(uow, who, kind, code))

    router.add_api_route(f"/{plural}/{{code}}", get_one, methods=["GET"], summary=f"Get a {kind}")
    router.add_api_route(f"/{plural}", list_all, methods=["GET"], summary=f"List {plural}",
                         responses={200: {"model": Page}})
    router.add_api_route(f"/{plural}/{{code}}/deactivate", deactivate, methods=["POST"],
                         summary=f"Deactivate a {kind} (kept for history, no longer used)")


_routes("location", "locations")
_routes("channel", "channels")
_routes("sku", "skus")
