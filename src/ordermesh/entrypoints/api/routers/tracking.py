"""The customer's order tracking page (HTML) and its JSON twin: no key, the unguessable token is the key."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from fastapi import APIRouter
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from ordermesh.domain.errors import NotFound
from ordermesh.entrypoints.api.deps import UoW, json
from ordermesh.entrypoints.api.schemas import Problem
from ordermesh.service.tracking import tracking_view

router = APIRouter(tags=["tracking"])

# The link is the secret: keep it out of caches, search engines and the Referer sent to carrier or map sites.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
# The page runs no script and loads nothing from elsewhere.
PAGE_HEADERS = {**PRIVATE, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                      "img-src 'self'; base-uri 'none'; form-action 'none'; "
                                                      "frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff"}


@cache
def _pages() -> Environment:
    pages = Environment(loader=PackageLoader("ordermesh.entrypoints.api", "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True),
                        trim_blocks=True, lstrip_blocks=True)
    pages.filters["when"] = _when
    return pages


def _when(moment: str | None) -> str:
    """An ISO 8601 time as people read it: "3 May 2025, 14:05 UTC"."""
    if not moment:
        return ""
    at = datetime.fromisoformat(moment).astimezone(UTC)
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


@router.get("/track/{token}", response_class=HTMLResponse, summary="The customer's order tracking page",
            description="No key needed: the token in the link (`tracking_url` on every order) is the key. "
                        "An unknown token answers 404 with a page saying so.")
def tracking_page(token: str, uow: UoW) -> Response:
    try:
        view: dict[str, Any] | None = tracking_view(uow, token)
    except NotFound:
        view = None
    template = _pages().get_template("tracking.html" if view else "tracking_not_found.html")
    return HTMLResponse(template.render(order=view), status_code=200 if view else 404, headers=PAGE_HEADERS)


@router.get("/api/v1/tracking/{token}", summary="The tracking page's content as JSON (no key needed)",
            responses={404: {"model": Problem}})
def tracking_json(token: str, uow: UoW) -> Response:
    return json(tracking_view(uow, token), headers=PRIVATE)
