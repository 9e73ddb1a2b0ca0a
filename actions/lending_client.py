"""Client of the lending core: the only way the actions talk to it.

``LendingCoreClient`` is async (httpx). Configuration comes from arguments or a settings object passed
in, never from the environment at import time. Requests are retried with exponential backoff only when
they are idempotent: GETs, and POSTs that carry an Idempotency-Key (drawdown, repayment, renewal,
application). Errors are mapped once:

- ``LendingCoreError``: base
  - ``CoreUnavailable``: the core could not be reached, timed out or answered 5xx
  - ``CoreRejected``: the core refused the request (``.code``, ``.message``, ``.details``, ``.status``)
    - ``CustomerNotVerified``: ``customer_not_verified``; verify the customer and try again
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import httpx

__all__ = [
    "Account",
    "ApplicationStatus",
    "ApplicationSubmitted",
    "ChannelVerification",
    "CoreRejected",
    "CoreUnavailable",
    "CreditLine",
    "CustomerNotVerified",
    "Drawdown",
    "LendingCoreClient",
    "LendingCoreError",
    "Loan",
    "OtpVerification",
    "RenewalEligibility",
    "RenewalResult",
    "Repayment",
    "VerificationConfirmed",
    "VerificationStarted",
]


# ---------------------------------------------------------------- errors


class LendingCoreError(Exception):
    """Base of every error of the lending-core client."""


class CoreUnavailable(LendingCoreError):
    """The core could not be reached, timed out or failed (5xx); nothing can be assumed done unless retried."""


class CoreRejected(LendingCoreError):
    """The core refused the request with a stable error code."""

    def __init__(self, *, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}


class CustomerNotVerified(CoreRejected):
    """The customer must be verified (one-time code or bank token) first."""


# ---------------------------------------------------------------- results


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value))


def _date_or_none(value: Any) -> dt.date | None:
    return None if value is None else _date(value)


def _datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class OtpVerification:
    """The customer confirmed a one-time code."""

    verification_id: str

    def to_json(self) -> dict[str, str]:
        return {"method": "otp", "verification_id": self.verification_id}


@dataclass(frozen=True)
class ChannelVerification:
    """The hub verified a signed token from the bank's page."""

    verified_by: Literal["bank_token"] = "bank_token"

    def to_json(self) -> dict[str, str]:
        return {"method": "channel", "verified_by": self.verified_by}


Verification = OtpVerification | ChannelVerification


@dataclass(frozen=True)
class ApplicationSubmitted:
    application_number: str
    status: str
    submitted_at: dt.datetime


@dataclass(frozen=True)
class ApplicationStatus:
    application_number: str
    status: str
    reasons: list[str]
    amount: Decimal
    term_months: int
    company_name: str
    customer_id: str | None


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    company_name: str
    mobile: str
    branch: str
    account_manager_id: str
    account_manager_name: str


@dataclass(frozen=True)
class CreditLine:
    customer_id: str
    limit: Decimal
    used: Decimal
    available: Decimal
    annual_rate: Decimal
    start_date: dt.date
    expiry_date: dt.date
    review_due_date: dt.date
    review_state: str
    status: str


@dataclass(frozen=True)
class Account:
    account_id: str
    masked_number: str
    bank_name: str
    currency: str


@dataclass(frozen=True)
class Loan:
    loan_number: str
    status: str
    principal: Decimal
    outstanding_principal: Decimal
    annual_rate: Decimal
    start_date: dt.date
    maturity_date: dt.date
    accrued_interest: Decimal
    payoff_amount: Decimal
    as_of: dt.date
    overdue_days: int
    renewal_count: int
    account_id: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Loan:
        return cls(
            loan_number=data["loan_number"],
            status=data["status"],
            principal=_money(data["principal"]),
            outstanding_principal=_money(data["outstanding_principal"]),
            annual_rate=_money(data["annual_rate"]),
            start_date=_date(data["start_date"]),
            maturity_date=_date(data["maturity_date"]),
            accrued_interest=_money(data["accrued_interest"]),
            payoff_amount=_money(data["payoff_amount"]),
            as_of=_date(data["as_of"]),
            overdue_days=int(data["overdue_days"]),
            renewal_count=int(data["renewal_count"]),
            account_id=data["account_id"],
        )


@dataclass(frozen=True)
class Drawdown:
    loan_number: str
    amount: Decimal
    annual_rate: Decimal
    start_date: dt.date
    maturity_date: dt.date
    account_id: str
    available_after: Decimal
    replayed: bool


@dataclass(frozen=True)
class Repayment:
    repayment_number: str
    loan_number: str
    amount: Decimal
    interest_paid: Decimal
    principal_paid: Decimal
    outstanding_after: Decimal
    loan_status: str
    value_date: dt.date
    replayed: bool


@dataclass(frozen=True)
class RenewalEligibility:
    loan_number: str
    decision: Literal["approved", "declined", "manual_review"]
    reasons: list[str]
    current_maturity_date: dt.date
    proposed_maturity_date: dt.date | None


@dataclass(frozen=True)
class RenewalResult:
    renewal_number: str
    loan_number: str
    decision: Literal["approved", "manual_review"]
    reasons: list[str]
    new_maturity_date: dt.date | None
    replayed: bool


@dataclass(frozen=True)
class VerificationStarted:
    verification_id: str
    masked_mobile: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class VerificationConfirmed:
    verification_id: str
    customer_id: str
    verified_until: dt.datetime


# ---------------------------------------------------------------- client


class LendingCoreSettings(Protocol):
    """What the client reads from a settings object (any object with these attributes)."""

    lending_core_url: str
    lending_core_api_key: str


def _amount_text(amount: Decimal) -> str:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError("amounts must be finite Decimal values")
    quantized = amount.quantize(Decimal("0.01"))
    if quantized != amount:
        raise ValueError("amounts have at most 2 decimals")
    return f"{quantized:.2f}"


class LendingCoreClient:
    """Async client of the lending core API (see lending_core/ERRORS.md for the error codes)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 5.0,
        connect_timeout: float = 2.0,
        retries: int = 2,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._retries = max(retries, 0)
        self._backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: LendingCoreSettings, **overrides: Any) -> LendingCoreClient:
        return cls(base_url=settings.lending_core_url, api_key=settings.lending_core_api_key, **overrides)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ transport

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        retryable = method == "GET" or idempotency_key is not None
        attempts = 1 + (self._retries if retryable else 0)
        last_error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = await self._http.request(method, path, json=json, params=params, headers=headers)
            except httpx.TransportError as exc:  # connect errors, timeouts, broken connections
                last_error = exc
                continue
            if response.status_code >= 500:
                last_error = CoreUnavailable(f"lending core answered {response.status_code}")
                continue
            if response.status_code >= 400:
                raise self._rejection(response)
            return response
        raise CoreUnavailable(f"lending core unavailable: {last_error!r}") from last_error

    @staticmethod
    def _rejection(response: httpx.Response) -> CoreRejected:
        try:
            error = response.json()["error"]
            code, message, details = str(error["code"]), str(error["message"]), dict(error.get("details") or {})
        except (ValueError, KeyError, TypeError):
            code, message, details = "http_error", response.text[:200], {}
        cls = CustomerNotVerified if code == "customer_not_verified" else CoreRejected
        return cls(status=response.status_code, code=code, message=message, details=details)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return (await self._request("GET", path, params=params)).json()

    # ------------------------------------------------------------ endpoints

    async def healthy(self) -> bool:
        """Whether the core answers /healthz (never raises)."""
        try:
            await self._request("GET", "/healthz")
        except LendingCoreError:
            return False
        return True

    async def submit_application(
        self,
        *,
        idempotency_key: str,
        company_name: str,
        credit_code: str,
        contact_name: str,
        mobile: str,
        amount: Decimal,
        term_months: int,
        purpose: str,
        credit_check_consent: bool,
        customer_id: str | None = None,
        channel: str = "assistant",
    ) -> ApplicationSubmitted:
        body: dict[str, Any] = {
            "company_name": company_name,
            "credit_code": credit_code,
            "contact_name": contact_name,
            "mobile": mobile,
            "amount": _amount_text(amount),
            "term_months": term_months,
            "purpose": purpose,
            "credit_check_consent": credit_check_consent,
            "channel": channel,
        }
        if customer_id is not None:
            body["customer_id"] = customer_id
        data = (await self._request("POST", "/api/v1/applications", json=body, idempotency_key=idempotency_key)).json()
        return ApplicationSubmitted(data["application_number"], data["status"], _datetime(data["submitted_at"]))

    async def get_application(self, application_number: str, *, customer_id: str | None = None) -> ApplicationStatus:
        params = {"customer_id": customer_id} if customer_id else None
        data = await self._get(f"/api/v1/applications/{application_number}", params)
        return ApplicationStatus(
            application_number=data["application_number"],
            status=data["status"],
            reasons=list(data["reasons"]),
            amount=_money(data["amount"]),
            term_months=int(data["term_months"]),
            company_name=data["company_name"],
            customer_id=data["customer_id"],
        )

    async def get_profile(self, customer_id: str) -> CustomerProfile:
        """The registered mobile, the branch and the account manager of a customer."""
        data = await self._get(f"/api/v1/customers/{customer_id}/profile")
        return CustomerProfile(
            customer_id=data["customer_id"],
            company_name=data["company_name"],
            mobile=data["mobile"],
            branch=data["branch"],
            account_manager_id=data["account_manager"]["id"],
            account_manager_name=data["account_manager"]["name"],
        )

    async def get_credit_line(self, customer_id: str) -> CreditLine:
        data = await self._get(f"/api/v1/customers/{customer_id}/credit-line")
        return CreditLine(
            customer_id=data["customer_id"],
            limit=_money(data["limit"]),
            used=_money(data["used"]),
            available=_money(data["available"]),
            annual_rate=_money(data["annual_rate"]),
            start_date=_date(data["start_date"]),
            expiry_date=_date(data["expiry_date"]),
            review_due_date=_date(data["review_due_date"]),
            review_state=data["review_state"],
            status=data["status"],
        )

    async def list_accounts(self, customer_id: str) -> list[Account]:
        data = await self._get(f"/api/v1/customers/{customer_id}/accounts")
        return [
            Account(item["account_id"], item["masked_number"], item["bank_name"], item["currency"])
            for item in data["accounts"]
        ]

    async def list_loans(self, customer_id: str) -> list[Loan]:
        data = await self._get(f"/api/v1/customers/{customer_id}/loans")
        return [Loan.from_json(item) for item in data["loans"]]

    async def get_loan(self, customer_id: str, loan_number: str) -> Loan:
        return Loan.from_json(await self._get(f"/api/v1/customers/{customer_id}/loans/{loan_number}"))

    async def drawdown(
        self,
        *,
        customer_id: str,
        amount: Decimal,
        account_id: str,
        term_months: int,
        verification: Verification,
        idempotency_key: str,
    ) -> Drawdown:
        body = {
            "amount": _amount_text(amount),
            "account_id": account_id,
            "term_months": term_months,
            "verification": verification.to_json(),
        }
        response = await self._request(
            "POST", f"/api/v1/customers/{customer_id}/drawdowns", json=body, idempotency_key=idempotency_key
        )
        data = response.json()
        return Drawdown(
            loan_number=data["loan_number"],
            amount=_money(data["amount"]),
            annual_rate=_money(data["annual_rate"]),
            start_date=_date(data["start_date"]),
            maturity_date=_date(data["maturity_date"]),
            account_id=data["account_id"],
            available_after=_money(data["available_after"]),
            replayed=response.headers.get("Idempotent-Replayed") == "true",
        )

    async def repay(
        self,
        *,
        customer_id: str,
        loan_number: str,
        account_id: str,
        verification: Verification,
        idempotency_key: str,
        amount: Decimal | None = None,
        pay_all: bool = False,
    ) -> Repayment:
        """Repay `amount`, or with `pay_all` the payoff amount of today (principal plus accrued interest)."""
        if pay_all == (amount is not None):
            raise ValueError("give either amount or pay_all=True")
        body: dict[str, Any] = {"account_id": account_id, "verification": verification.to_json()}
        if pay_all:
            body["all"] = True
        else:
            assert amount is not None
            body["amount"] = _amount_text(amount)
        response = await self._request(
            "POST",
            f"/api/v1/customers/{customer_id}/loans/{loan_number}/repayments",
            json=body,
            idempotency_key=idempotency_key,
        )
        data = response.json()
        return Repayment(
            repayment_number=data["repayment_number"],
            loan_number=data["loan_number"],
            amount=_money(data["amount"]),
            interest_paid=_money(data["interest_paid"]),
            principal_paid=_money(data["principal_paid"]),
            outstanding_after=_money(data["outstanding_after"]),
            loan_status=data["loan_status"],
            value_date=_date(data["value_date"]),
            replayed=response.headers.get("Idempotent-Replayed") == "true",
        )

    async def renewal_eligibility(self, customer_id: str, loan_number: str) -> RenewalEligibility:
        data = await self._get(f"/api/v1/customers/{customer_id}/loans/{loan_number}/renewal-eligibility")
        return RenewalEligibility(
            loan_number=data["loan_number"],
            decision=data["decision"],
            reasons=list(data["reasons"]),
            current_maturity_date=_date(data["current_maturity_date"]),
            proposed_maturity_date=_date_or_none(data["proposed_maturity_date"]),
        )

    async def renew(
        self, *, customer_id: str, loan_number: str, verification: Verification, idempotency_key: str
    ) -> RenewalResult:
        """Request a renewal; a declined renewal raises CoreRejected(code="not_eligible", details.reasons)."""
        response = await self._request(
            "POST",
            f"/api/v1/customers/{customer_id}/loans/{loan_number}/renewals",
            json={"verification": verification.to_json()},
            idempotency_key=idempotency_key,
        )
        data = response.json()
        return RenewalResult(
            renewal_number=data["renewal_number"],
            loan_number=data["loan_number"],
            decision=data["decision"],
            reasons=list(data["reasons"]),
            new_maturity_date=_date_or_none(data["new_maturity_date"]),
            replayed=response.headers.get("Idempotent-Replayed") == "true",
        )

    async def start_verification(self, mobile: str) -> VerificationStarted:
        """Ask the core to text a one-time code to the registered mobile (not retried: each call sends a code)."""
        data = (await self._request("POST", "/api/v1/verifications", json={"mobile": mobile})).json()
        return VerificationStarted(data["verification_id"], data["masked_mobile"], _datetime(data["expires_at"]))

    async def confirm_verification(self, verification_id: str, code: str) -> VerificationConfirmed:
        """Confirm a code (not retried: each wrong try counts)."""
        data = (
            await self._request("POST", f"/api/v1/verifications/{verification_id}/confirm", json={"code": code})
        ).json()
        return VerificationConfirmed(data["verification_id"], data["customer_id"], _datetime(data["verified_until"]))

    async def dev_sms_outbox(self, mobile: str) -> list[str]:
        """Texts recently sent to `mobile`, newest first (development/test cores only)."""
        data = await self._get("/api/v1/dev/sms-outbox", {"mobile": mobile})
        return [str(item["body"]) for item in data["messages"]]
