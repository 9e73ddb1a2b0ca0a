"""Liveness (``/healthz``) and readiness (``/readyz``).

Readiness is what a load balancer needs: 503 only when this hub cannot serve anyone (its database or Redis is
down). With the assistant or the action server down the hub still serves: it stores every message, tells the
customer the assistant is unavailable and brings in a person; so it answers 200 with ``"status": "degraded"``
and the list of what is down. Taking every hub out of service because Rasa is down would take the agents away too.
"""

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
    serving = results["database"] and results["redis"]
    status = "ready" if all(results.values()) else "degraded" if serving else "not_ready"
    return JSONResponse(
        {"status": status, "checks": {k: "ok" if v else "down" for k, v in results.items()}},
        status_code=200 if serving else 503,
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
