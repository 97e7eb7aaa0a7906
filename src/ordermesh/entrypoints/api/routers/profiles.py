"""Sourcing profiles: save a version (validated, active unless asked otherwise), read, activate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field
from starlette.responses import Response

from ordermesh.entrypoints.api.deps import UoW, Who, json
from ordermesh.entrypoints.api.schemas import CODE_PATTERN, Problem, Strict
from ordermesh.service import profiles

router = APIRouter(prefix="/api/v1", tags=["sourcing profiles"])
CodePath = Annotated[str, Path(pattern=CODE_PATTERN)]
PROBLEMS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 404: {"model": Problem},
                                             409: {"model": Problem}, 422: {"model": Problem}}


class ProfileSave(Strict):
    strategies: list[dict[str, Any]] = Field(
        min_length=1, max_length=20,
        description="Tried in order: each {type: nearest|fewest_splits|priority|highest_stock|min_cost, name?, "
                    "conditions?, criteria?, max_splits?, min_shipment_value_minor?, allow_partial?, rates?}",
        examples=[[{"type": "min_cost", "max_splits": 2}]])
    fallback: dict[str, Any] | None = Field(default=None, examples=[{"type": "fewest_splits"}])
    activate: bool = Field(default=True, description="False saves a draft; the active version stays")
    note: Annotated[str, Field(max_length=200)] | None = None


@router.put("/sourcing-profiles/{code}", status_code=201, summary="Save a new version of a sourcing profile",
            responses=PROBLEMS)
def put_profile(code: CodePath, body: ProfileSave, uow: UoW, who: Who) -> Response:
    document = body.model_dump(include={"strategies", "fallback"}, exclude_none=True)
    return json(profiles.save(uow, who, code, document, activate=body.activate, note=body.note), 201)


@router.get("/sourcing-profiles", summary="Sourcing profiles, their active versions and channels")
def list_profiles(uow: UoW, who: Who) -> Response:
    return json(profiles.list_all(uow, who))


@router.get("/sourcing-profiles/{code}", summary="A sourcing profile (active version, or ?version=N) with history",
            responses=PROBLEMS)
def get_profile(code: CodePath, uow: UoW, who: Who,
                version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None) -> Response:
    return json(profiles.show(uow, who, code, version))


@router.post("/sourcing-profiles/{code}/versions/{version}/activate", summary="Make a saved version active",
             responses=PROBLEMS)
def activate_profile(code: CodePath, version: Annotated[int, Path(ge=1, le=1_000_000)], uow: UoW,
                     who: Who) -> Response:
    return json(profiles.activate_version(uow, who, code, version))
