"""Liveness (``/healthz``) and readiness (``/readyz``: Rasa, action server, database and Redis reachable)."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks = await asyncio.gather(
        state.conversations.rasa.ping(),
        _http_ok(state.http, f"{state.settings.action_server_url.rstrip('/')}/health"),
        _database_ok(state),
        _redis_ok(state),
    )
    results = dict(zip(("rasa", "action_server", "database", "redis"), checks, strict=True))
    ready = all(results.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": {k: "ok" if v else "down" for k, v in results.items()}},
        status_code=200 if ready else 503,
    )


async def _http_ok(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(url, timeout=2.0)).status_code == 200
    except httpx.HTTPError:
        return False


async def _database_ok(state: object) -> bool:
    try:
        async with state.sessions() as session:  # type: ignore[attr-defined]
            await session.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def _redis_ok(state: object) -> bool:
    try:
        return bool(await state.redis.ping())  # type: ignore[attr-defined]
    except Exception:
        return False
