"""Exception tree of the lending core; each error has a stable code, mapped once to HTTP in api/app.py.

Every error response has the shape ``{"error": {"code": "...", "message": "...", "details": {...}}}``;
the table of codes is in ERRORS.md (and in the OpenAPI description at /docs).
"""

from __future__ import annotations

from typing import Any, ClassVar


class LendingError(Exception):
    """Base of all errors the core reports to its callers."""

    code: ClassVar[str] = "internal_error"
    status_code: ClassVar[int] = 500
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(LendingError):
    """The request body, path or query is malformed."""

    code, status_code, default_message = "validation_error", 422, "request is not valid"


class InvalidBody(LendingError):
    """The request body cannot be read (not UTF-8, or not the declared content type)."""

    code, status_code, default_message = "invalid_body", 400, "the request body cannot be read"


class MethodNotAllowed(LendingError):
    """The path does not take this HTTP method."""

    code, status_code, default_message = "method_not_allowed", 405, "method not allowed"


class Unauthorized(LendingError):
    """The caller did not present a valid X-Api-Key."""

    code, status_code, default_message = "unauthorized", 401, "missing or invalid API key"


class NotFound(LendingError):
    """A path that does not exist."""

    code, status_code, default_message = "not_found", 404, "not found"


class CustomerNotFound(NotFound):
    """No customer with this id."""

    code, default_message = "customer_not_found", "customer not found"


class LoanNotFound(NotFound):
    """No loan with this number for this customer."""

    code, default_message = "loan_not_found", "loan not found"


class ApplicationNotFound(NotFound):
    """No application with this number (for this customer)."""

    code, default_message = "application_not_found", "application not found"


class AccountNotFound(NotFound):
    """No settlement account with this id for this customer."""

    code, default_message = "account_not_found", "settlement account not found"


class RuleViolation(LendingError):
    """A business rule refuses the request."""

    status_code = 409


class InsufficientLine(RuleViolation):
    """The amount exceeds the available credit line."""

    code, default_message = "insufficient_line", "amount exceeds the available credit line"


class LineFrozen(RuleViolation):
    """The credit line is frozen."""

    code, default_message = "line_frozen", "the credit line is frozen"


class LineExpired(RuleViolation):
    """The credit line has expired."""

    code, default_message = "line_expired", "the credit line has expired"


class ReviewOverdue(RuleViolation):
    """The annual review of the credit line is overdue."""

    code, default_message = "review_overdue", "the annual review of the credit line is overdue"


class NotEligible(RuleViolation):
    """The loan is not eligible for renewal (details carry the reasons)."""

    code, default_message = "not_eligible", "the loan is not eligible for renewal"


class DailyLimitExceeded(RuleViolation):
    """The customer's drawdowns today would exceed the daily maximum."""

    code, default_message = "daily_limit_exceeded", "daily drawdown limit exceeded"


class AmountOutOfRange(LendingError):
    """The amount is outside the allowed range."""

    code, status_code, default_message = "amount_out_of_range", 422, "amount out of range"


class Overpayment(LendingError):
    """The repayment exceeds what is owed."""

    code, status_code, default_message = "overpayment", 422, "repayment exceeds the amount owed"


class CustomerNotVerified(LendingError):
    """The request needs a verified customer (one-time code or channel token)."""

    code, status_code, default_message = "customer_not_verified", 403, "customer verification required"


class IdempotencyKeyRequired(LendingError):
    """The Idempotency-Key header is missing or malformed."""

    code, status_code, default_message = "idempotency_key_required", 400, "Idempotency-Key header required"


class IdempotencyKeyMismatch(LendingError):
    """The Idempotency-Key was used before with a different request."""

    code, status_code = "idempotency_key_mismatch", 422
    default_message = "Idempotency-Key was already used with a different request"


class OtpInvalid(LendingError):
    """The one-time code is wrong (or the verification does not exist)."""

    code, status_code, default_message = "otp_invalid", 400, "the one-time code is not correct"


class OtpExpired(LendingError):
    """The one-time code has expired."""

    code, status_code, default_message = "otp_expired", 400, "the one-time code has expired"


class OtpLocked(LendingError):
    """Too many wrong codes: this verification is locked."""

    code, status_code, default_message = "otp_locked", 423, "too many wrong codes; request a new one"


class OtpRateLimited(LendingError):
    """Too many codes requested for this customer."""

    code, status_code, default_message = "otp_rate_limited", 429, "too many codes requested; try later"


def all_error_classes() -> list[type[LendingError]]:
    """Every concrete error class, for documentation and tests."""
    seen: list[type[LendingError]] = []
    stack: list[type[LendingError]] = [LendingError]
    while stack:
        cls = stack.pop(0)
        if cls not in seen:
            seen.append(cls)
        stack.extend(cls.__subclasses__())
    return [cls for cls in seen if cls is not RuleViolation]


def error_table_markdown() -> str:
    """The error codes as a markdown table (used in the OpenAPI description)."""
    lines = ["| code | HTTP | meaning |", "|---|---|---|"]
    for cls in all_error_classes():
        doc = (cls.__doc__ or "").strip()
        lines.append(f"| `{cls.code}` | {cls.status_code} | {doc} |")
    return "\n".join(lines)
