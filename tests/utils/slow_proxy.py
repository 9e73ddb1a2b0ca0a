"""A proxy that answers like the service behind it, only later: an assistant that takes its time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.utils.services import free_port


@contextlib.asynccontextmanager
async def slow_proxy(target: str, *, delay_seconds: float) -> AsyncIterator[str]:
    """The proxy's base URL for as long as the block runs; every request waits ``delay_seconds`` first."""
    async with httpx.AsyncClient(base_url=target, timeout=60) as upstream:

        async def forward(request: Request) -> Response:
            await asyncio.sleep(delay_seconds)
            answer = await upstream.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers={"Content-Type": request.headers.get("content-type", "application/json")},
            )
            return Response(answer.content, status_code=answer.status_code, media_type="application/json")

        port = free_port()
        app = Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn's server has no event to wait on)
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task
