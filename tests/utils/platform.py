"""A stand-in for a bank's account-manager platform: a real HTTP server on a free port that checks the Standard
Webhooks signature, deduplicates by webhook-id as the contract asks of a receiver, and can be told to fail."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handoff import webhooks
from tests.utils.services import free_port


@dataclass
class FakePlatform:
    secret: str
    url: str = ""
    # Every delivery that checked out (a retried one appears again), and each webhook id processed once.
    received: list[str] = field(default_factory=list)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    # When each webhook id was first processed (time.perf_counter(), for the benchmark's latencies).
    first_received_at: dict[str, float] = field(default_factory=dict)
    refused: int = 0
    # "ok", "500" (answer 500), or "slow" (answer after `slow_seconds`).
    mode: str = "ok"
    failures_left: int = 0
    slow_seconds: float = 3.0

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        try:
            payload = webhooks.verify(secret=self.secret, body=body, headers=dict(request.headers))
        except webhooks.InvalidWebhook:
            self.refused += 1
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        if self.mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        if self.mode == "500" or self.failures_left > 0:
            self.failures_left = max(self.failures_left - 1, 0)
            return JSONResponse({"error": "platform down"}, status_code=500)
        webhook_id = request.headers["webhook-id"]
        self.received.append(webhook_id)
        self.processed.setdefault(webhook_id, payload)
        self.first_received_at.setdefault(webhook_id, time.perf_counter())
        return JSONResponse({"ok": True})


@contextlib.asynccontextmanager
async def running_platform(secret: str) -> AsyncIterator[FakePlatform]:
    platform = FakePlatform(secret=secret)
    port = free_port()
    platform.url = f"http://127.0.0.1:{port}/webhook"
    app = Starlette(routes=[Route("/webhook", platform.handle, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn's server has no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield platform
    finally:
        server.should_exit = True
        await task
