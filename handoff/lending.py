"""The hub's one way to the lending core: who a customer's account manager is (for service requests).

Over HTTP with the core's API key, like the actions' client; a core that does not answer is not an error here:
the request is then assigned by branch round-robin among the account managers the hub knows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    branch: str
    account_manager_id: str
    account_manager_name: str
    mobile: str


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
