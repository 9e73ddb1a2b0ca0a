"""FastAPI application factory; errors are mapped to the one JSON error shape here, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from lending_core import __version__
from lending_core.api.routes import applications, customers, health, verifications
from lending_core.clock import Clock, SystemClock
from lending_core.config import Settings, get_settings
from lending_core.db import create_engine_for, create_sessionmaker
from lending_core.errors import (
    InvalidBody,
    LendingError,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
    ValidationFailed,
    error_table_markdown,
)
from servicemetrics import CONTENT_TYPE, HttpMetrics, exposition

DESCRIPTION = """Reference lending core of the SME credit assistant: credit lines, applications, drawdowns,
repayments and renewals without principal repayment. Amounts are decimal strings in yuan ("500000.00").

Callers authenticate with the `X-Api-Key` header. Drawdowns, repayments, renewals and application
submissions require an `Idempotency-Key` header (8-200 characters): the first response is stored and
replayed to retries (header `Idempotent-Replayed: true`); the same key with another body -> 422
`idempotency_key_mismatch`. Refused requests are not stored.

Every error has the shape `{"error": {"code": "...", "message": "...", "details": {...}}}`:

"""


def _error_response(error: LendingError) -> JSONResponse:
    headers: dict[str, str] = {}
    retry_after = error.details.get("retry_after_seconds")
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(status_code=error.status_code, content=error.to_body(), headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    async def on_lending_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LendingError)
        return _error_response(exc)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _error_response(ValidationFailed(errors=_validation_details(exc)))

    async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return _error_response(NotFound())
        if exc.status_code == 401:
            return _error_response(Unauthorized())
        if exc.status_code == 400:  # FastAPI's "There was an error parsing the body"
            return _error_response(InvalidBody())
        if exc.status_code == 405:
            return _error_response(MethodNotAllowed())
        body = {"error": {"code": "http_error", "message": str(exc.detail), "details": {}}}
        return JSONResponse(status_code=exc.status_code, content=body)

    app.add_exception_handler(LendingError, on_lending_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: AsyncEngine | None = None
) -> FastAPI:
    """The application; settings, clock and engine can be injected (tests), else built from Settings."""
    settings = settings or get_settings()
    engine = engine or create_engine_for(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(
        title="Lending core (reference)",
        version=__version__,
        description=DESCRIPTION + error_table_markdown(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock(fixed_today=settings.fixed_today)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    install_error_handlers(app)
    app.add_middleware(HttpMetrics, service="lending_core")

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        """Requests by route and status, and their duration (summed over the workers)."""
        return Response(exposition(), media_type=CONTENT_TYPE)

    app.include_router(health.router)
    for router in (applications.router, customers.router, verifications.router):
        app.include_router(router, prefix="/api/v1")
    return app
