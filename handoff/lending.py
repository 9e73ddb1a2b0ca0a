"""The hub's one way to the lending core: who a customer's account manager is (for service requests), and the
one-time codes with which a channel's customer proves who they are (handoff/channels/binding.py).

Over HTTP with the core's API key, like the actions' client. A profile the core cannot give is not an error here:
the request is then assigned by branch round-robin among the account managers the hub knows. The one-time codes
are not retried (each call sends a text or counts a try).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    branch: str
    account_manager_id: str
    account_manager_name: str
    mobile: str


@dataclass(frozen=True)
class CodeSent:
    verification_id: str
    masked_mobile: str
    expires_at: dt.datetime


class LendingRefused(Exception):
    """The core refused a verification call; ``code`` is its stable error code (otp_invalid, otp_expired, ...)."""

    def __init__(self, code: str, details: dict[str, Any] | None = None):
        super().__init__(code)
        self.code = code
        self.details: dict[str, Any] = details or {}


class LendingUnavailable(Exception):
    """The core did not answer, or answered 5xx."""


class LendingCoreClient:
    def __init__(self, *, base_url: str, api_key: str, http: httpx.AsyncClient):
        self._base_url = base_url.rstrip("/")
        self._headers = {"X-Api-Key": api_key}
        self._http = http

    async def profile(self, customer_id: str) -> CustomerProfile | None:
        """The customer's branch and account manager, or None when the core does not know or does not answer."""
        try:
            response = await self._http.get(
                f"{self._base_url}/api/v1/customers/{customer_id}/profile", headers=self._headers, timeout=3.0
            )
        except httpx.HTTPError as exc:
            logger.warning("lending core unreachable for a profile (%s)", type(exc).__name__)
            return None
        if response.status_code != 200:
            logger.warning("lending core answered %s for a profile", response.status_code)
            return None
        data = response.json()
        return CustomerProfile(
            customer_id=str(data["customer_id"]),
            branch=str(data["branch"]),
            account_manager_id=str(data["account_manager"]["id"]),
            account_manager_name=str(data["account_manager"]["name"]),
            mobile=str(data["mobile"]),
        )

    async def start_verification(self, mobile: str) -> CodeSent:
        """Text a one-time code to the customer's registered mobile (the core answers alike for unknown numbers)."""
        answer = await self._post("/api/v1/verifications", {"mobile": mobile})
        return CodeSent(
            verification_id=str(answer["verification_id"]),
            masked_mobile=str(answer["masked_mobile"]),
            expires_at=dt.datetime.fromisoformat(str(answer["expires_at"])),
        )

    async def confirm_verification(self, verification_id: str, code: str) -> str:
        """The customer id the confirmed code proves."""
        answer = await self._post(f"/api/v1/verifications/{verification_id}/confirm", {"code": code})
        return str(answer["customer_id"])

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(f"{self._base_url}{path}", json=body, headers=self._headers, timeout=5.0)
        except httpx.HTTPError as exc:
            raise LendingUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise LendingUnavailable(f"the core answered {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise LendingUnavailable("the core answered without JSON") from exc
        if response.status_code >= 400:
            error = data.get("error") if isinstance(data, dict) else None
            error = error if isinstance(error, dict) else {}
            raise LendingRefused(str(error.get("code") or "http_error"), dict(error.get("details") or {}))
        return data if isinstance(data, dict) else {}
