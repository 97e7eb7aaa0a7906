"""The event feed, and health checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import text
from starlette.responses import Response

from ordermesh.entrypoints.api.deps import Limit, UoW, Who, json, ordermesh
from ordermesh.entrypoints.api.problems import CATALOGUE
from ordermesh.entrypoints.api.schemas import Page
from ordermesh.service import queries

router = APIRouter(tags=["events"])


@router.get("/api/v1/events", summary="Events in commit order, paged by cursor", responses={200: {"model": Page}})
def list_events(uow: UoW, who: Who, limit: Limit, after: Annotated[str | None, Query(max_length=60)] = None,
                type: Annotated[list[str] | None, Query(max_length=50)] = None) -> Response:
    return json(queries.events_page(uow, who, after=after, limit=limit, types=type))


@router.get("/healthz", tags=["operations"], summary="The process is alive")
def healthz() -> Response:
    return json({"status": "ok"})


@router.get("/readyz", tags=["operations"], summary="The database answers")
def readyz(request: Request) -> Response:
    try:
        with ordermesh(request).engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; say why
        return json({"status": "unavailable", "detail": str(exc)[:200]}, 503)
    return json({"status": "ready"})


@router.get("/problems/{slug}", tags=["operations"], summary="What a problem type means")
def problem_type(slug: str) -> Response:
    if slug not in CATALOGUE:
        return json({"type": f"/problems/{slug}", "detail": "unknown problem type"}, 404)
    return json({"type": f"/problems/{slug}", "description": CATALOGUE[slug]})
