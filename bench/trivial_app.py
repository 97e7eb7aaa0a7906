"""The ceiling for per-request overhead: a trivial FastAPI endpoint on the same server stack."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/trivial")
    async def trivial(request: Request) -> Response:
        await request.body()
        return Response(b'{"ok":true}', media_type="application/json")

    @app.get("/trivial")
    def trivial_get() -> dict[str, Any]:
        return {"ok": True}

    return app
