"""OpenAPI error responses and the JSON response for idempotent endpoints."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from lending_core.schemas import ErrorResponse
from lending_core.services.idempotency import StoredResponse


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses (codes are listed in ERRORS.md)."""
    return {code: {"model": ErrorResponse, "description": "error, see the error code table"} for code in codes}


def stored_response(stored: StoredResponse) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true" if stored.replayed else "false"}
    return JSONResponse(status_code=stored.status_code, content=stored.body, headers=headers)
