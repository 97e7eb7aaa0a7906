"""The customer message log: what was sent to whom, when, and how it went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordermesh.entrypoints.api.deps import Limit, UoW, Who, json
from ordermesh.entrypoints.api.schemas import Page, Problem
from ordermesh.service import notifications

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/messages", summary="Customer messages, newest first",
            description="Every notification as rendered, with its sender and status (`pending`, `sent`, "
                        "`failed` with the error). Admin and analyst keys see all; a channel key the messages "
                        "about its own channel's orders; a location key none (403).",
            responses={200: {"model": Page}, 403: {"model": Problem}, 422: {"model": Problem}})
def list_messages(uow: UoW, who: Who, limit: Limit,
                  order_id: Annotated[str | None, Query(max_length=32)] = None,
                  customer_id: Annotated[str | None, Query(max_length=32)] = None,
                  cursor: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return json(notifications.list_messages(uow, who, order_id=order_id, customer_id=customer_id, cursor=cursor,
                                            limit=limit))
