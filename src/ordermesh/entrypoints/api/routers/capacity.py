"""A location's fulfillment capacity today, and switching it off (or on) for the rest of the day."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.entrypoints.api.deps import UoW, Who, json
from ordermesh.entrypoints.api.schemas import CODE_PATTERN, Problem
from ordermesh.service import capacity

router = APIRouter(prefix="/api/v1", tags=["capacity"])
CodePath = Annotated[str, Path(pattern=CODE_PATTERN)]
PROBLEMS: dict[int | str, dict[str, Any]] = {403: {"model": Problem}, 404: {"model": Problem},
                                             422: {"model": Problem}}


@router.get("/locations/{code}/capacity", summary="Today's capacity per method: limit, used, closed, left",
            responses=PROBLEMS)
def get_capacity(code: CodePath, uow: UoW, who: Who) -> Response:
    return json(capacity.today_at(uow, who, code))


@router.post("/locations/{code}/capacity/{method}/close", summary="Take no more work by this method today",
             responses=PROBLEMS)
def close_for_today(code: CodePath, method: DeliveryMethod, uow: UoW, who: Who) -> Response:
    return json(capacity.switch(uow, who, code, method, closed=True))


@router.post("/locations/{code}/capacity/{method}/open", summary="Take work by this method again today",
             responses=PROBLEMS)
def open_for_today(code: CodePath, method: DeliveryMethod, uow: UoW, who: Who) -> Response:
    return json(capacity.switch(uow, who, code, method, closed=False))
