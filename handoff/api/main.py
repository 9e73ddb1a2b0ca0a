"""The hub's FastAPI application: routes, error mapping, and the dependencies built at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from businesshours import BusinessHours
from handoff.agents import SessionCache
from handoff.api.routes import (
    analytics,
    channels,
    console,
    console_ws,
    conversations,
    health,
    inbox,
    metrics,
    pages,
    platform,
    websocket,
    widget,
)
from handoff.channels.service import Channels
from handoff.clock import Clock, SystemClock
from handoff.config import Settings, get_settings
from handoff.conversations import ConversationService
from handoff.db import create_engine, create_sessionmaker
from handoff.errors import UNAVAILABLE_DEPENDENCIES, HubError, PayloadTooLarge, unavailable
from handoff.handoffs import HandoffService
from handoff.lending import LendingCoreClient
from handoff.outbox import Relay
from handoff.queue import AgentQueue, QueueTimings
from handoff.rasa import RasaClient, rasa_urls
from handoff.realtime import Broker
from handoff.requests import ServiceRequestService
from handoff.schemas import ErrorResponse
from handoff.suggestions import SuggestionClient
from handoff.workspace import Workspace
from servicemetrics import HttpMetrics

logger = logging.getLogger(__name__)


class CustomerApiCors(CORSMiddleware):
    """CORS for ``/api/v1/`` (the widget on a bank's own site); every other path passes through untouched."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/v1/"):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock(start_at=settings.hub_clock_start)
    hours = BusinessHours.from_file(settings.business_hours_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        redis = Redis.from_url(settings.redis_url, decode_responses=True, socket_timeout=5)
        rasa = RasaClient(base_urls=rasa_urls(settings.rasa_url), timeout_seconds=settings.rasa_timeout_seconds)
        app.state.settings = settings
        app.state.clock = clock
        app.state.sessions = create_sessionmaker(engine)
        app.state.redis = redis
        app.state.http = httpx.AsyncClient(timeout=5.0)
        app.state.broker = Broker(settings.redis_url)
        app.state.session_cache = SessionCache()
        queue = AgentQueue(
            redis,
            clock=clock,
            skills=settings.skills,
            timings=QueueTimings(
                offer_ms=int(settings.offer_timeout_seconds * 1000),
                stale_ms=int(settings.agent_stale_seconds * 1000),
                exclude_ms=int(settings.decline_exclusion_seconds * 1000),
            ),
        )
        app.state.handoffs = HandoffService(
            settings=settings, sessions=app.state.sessions, redis=redis, queue=queue, hours=hours, clock=clock
        )
        app.state.relay = Relay(
            settings=settings, sessions=app.state.sessions, redis=redis, clock=clock, http=app.state.http
        )
        app.state.requests = ServiceRequestService(
            settings=settings,
            sessions=app.state.sessions,
            redis=redis,
            clock=clock,
            hours=hours,
            lending=LendingCoreClient(
                base_url=settings.lending_core_url, api_key=settings.lending_core_api_key, http=app.state.http
            ),
            relay=app.state.relay,
        )
        app.state.conversations = ConversationService(
            settings=settings,
            sessions=app.state.sessions,
            redis=redis,
            rasa=rasa,
            handoffs=app.state.handoffs,
            requests=app.state.requests,
        )
        app.state.channels = Channels(
            settings=settings,
            sessions=app.state.sessions,
            redis=redis,
            clock=clock,
            http=app.state.http,
            conversations=app.state.conversations,
            requests=app.state.requests,
            lending=app.state.requests.lending,
        )
        app.state.workspace = Workspace(app.state.handoffs)
        app.state.suggestions = SuggestionClient(
            base_url=settings.action_server_url, http=app.state.http, enabled=settings.agent_suggestions
        )
        await _wait_for_storage(app)
        await app.state.broker.start()
        background = [
            asyncio.create_task(app.state.handoffs.run_forever(), name="queue-clock"),
            asyncio.create_task(app.state.relay.run_forever(), name="outbox-relay"),
            asyncio.create_task(app.state.requests.run_forever(), name="service-request-sweep"),
            asyncio.create_task(app.state.channels.run_forever(), name="channels"),
        ]
        yield
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(BaseException):
                await task
        await app.state.broker.stop()
        await rasa.aclose()
        await app.state.http.aclose()
        await redis.aclose()
        await engine.dispose()

    app = FastAPI(
        title="SME credit assistant hub",
        version="1.0.0",
        description=(
            "The customer API v1 (conversations, messages, websocket), the agent console's and the account-manager "
            "inbox's APIs, the account-manager platform's webhooks. See docs/contracts.md."
        ),
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HttpMetrics, service="hub")
    if settings.widget_origins:
        # Only the customer API; staff pages and their cookies stay same-origin (their CSRF and Origin checks).
        app.add_middleware(
            CustomerApiCors,
            allow_origins=settings.widget_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
            max_age=600,
        )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(conversations.router)
    app.include_router(websocket.router)
    app.include_router(console.router)
    app.include_router(analytics.router)
    app.include_router(console_ws.router)
    app.include_router(inbox.router)
    app.include_router(platform.router)
    app.include_router(channels.router)
    app.include_router(pages.router)
    app.include_router(widget.router)
    pages.mount_static(app)
    _install_error_handlers(app)
    _document_the_error_shape(app)
    return app


async def _wait_for_storage(app: FastAPI, attempts: int = 30) -> None:
    """Wait (bounded) for the database and Redis, so a hub started beside them does not fail its first requests."""
    for attempt in range(attempts):
        try:
            async with app.state.sessions() as session:
                await session.execute(text("SELECT 1"))
            await app.state.redis.ping()
            return
        except Exception as exc:
            if attempt == attempts - 1:
                raise
            logger.info("waiting for the database and Redis (%s)", type(exc).__name__)
            await asyncio.sleep(1)


HTTP_ERROR_CODES = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
        message = "The body could not be read: send UTF-8 JSON." if code == "invalid_body" else str(exc.detail)
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=exc.status_code)

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        return JSONResponse(exc.to_body(), status_code=exc.status_code)

    async def _dependency_down(request: Request, exc: Exception) -> JSONResponse:
        error = unavailable(exc)
        logger.warning(
            "%s %s: %s unavailable (%s)",
            request.method,
            request.url.path,
            error.details["dependency"],
            type(exc).__name__,
        )
        return JSONResponse(error.to_body(), status_code=error.status_code)

    for dependency_error in UNAVAILABLE_DEPENDENCIES:
        app.add_exception_handler(dependency_error, _dependency_down)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            body = {"error": {"code": "invalid_json", "message": "The body is not valid JSON."}}
            return JSONResponse(body, status_code=400)
        fields = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": str(e.get("msg"))}
            for e in errors
        ]
        message = "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
        error = {"code": "validation_error", "message": message, "details": {"fields": fields}}
        return JSONResponse({"error": error}, status_code=422)


def _document_the_error_shape(app: FastAPI) -> None:
    """FastAPI documents its own ``{"detail": [...]}`` body for 422; the hub answers ``{"error": ...}`` (the
    handler above), so the OpenAPI document says that instead."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schemas = document.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            shape = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(shape.pop("$defs", {}))
            schemas["HTTPValidationError"] = shape
            schemas.pop("ValidationError", None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document


class BodySizeLimit:
    """Refuses request bodies over the limit with 413 before anything reads them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(f"The body may have at most {self.max_bytes} bytes.")
            return message

        try:
            await self.app(scope, limited_receive, send)
        except PayloadTooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        error = PayloadTooLarge(f"The body may have at most {self.max_bytes} bytes.")
        response = JSONResponse(error.to_body(), status_code=error.status_code)
        await response({"type": "http"}, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
