"""The hub's errors: one small tree, mapped once to the documented JSON shape ``{"error": {code, message}}``."""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class HubError(Exception):
    """Base of every error the hub answers to a client."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class BadRequest(HubError):
    """The request cannot be read (not JSON, wrong encoding)."""

    status_code = 400
    code = "bad_request"


class Unauthorized(HubError):
    """A missing or wrong token."""

    status_code = 401
    code = "unauthorized"


class Forbidden(HubError):
    """Signed in, but this role or this person may not do that."""

    status_code = 403
    code = "forbidden"


class NotFound(HubError):
    """No such resource."""

    status_code = 404
    code = "not_found"


class Conflict(HubError):
    """The request conflicts with the resource's state."""

    status_code = 409
    code = "conflict"


class PayloadTooLarge(HubError):
    """The body or the message is over the size limit."""

    status_code = 413
    code = "payload_too_large"


class InvalidInput(HubError):
    """Well-formed JSON with values that are not acceptable."""

    status_code = 422
    code = "validation_error"


class RateLimited(HubError):
    """Too many requests in a short time."""

    status_code = 429
    code = "rate_limited"


class DependencyUnavailable(HubError):
    """A service the hub needs (the assistant, the database, Redis) is not answering."""

    status_code = 503
    code = "dependency_unavailable"


# What Redis or the database raise when they are down or out of connections: a 503 for the client, never a 500.
UNAVAILABLE_DEPENDENCIES: tuple[type[Exception], ...] = (RedisError, OperationalError, InterfaceError, PoolTimeout)
DEPENDENCY_UNAVAILABLE_TEXT = (
    "服务暂时繁忙，请稍后重试。/ The service is briefly unavailable; please try again shortly"
    " (a message sent again with the same client_msg_id is stored once)."
)


def unavailable(exc: Exception) -> DependencyUnavailable:
    """The error a client gets when Redis or the database failed under its request."""
    dependency = "redis" if isinstance(exc, RedisError) else "database"
    return DependencyUnavailable(DEPENDENCY_UNAVAILABLE_TEXT, details={"dependency": dependency})
