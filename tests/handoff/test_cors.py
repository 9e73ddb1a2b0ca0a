"""The customer API answers the bank's own sites (the widget embedded there) and nobody else; staff paths never
carry CORS headers."""

from __future__ import annotations

from typing import Any

import httpx

from handoff.api.main import create_app
from handoff.config import Settings

BANK_SITE = "https://www.bank.example"


def client(**settings: Any) -> httpx.AsyncClient:
    app = create_app(Settings(environment="development", **settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


async def test_a_configured_site_may_call_the_customer_api() -> None:
    async with client(widget_origins=[BANK_SITE]) as hub:
        answer = await hub.options("/api/v1/conversations", headers=preflight(BANK_SITE))
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == BANK_SITE
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in answer.headers  # bearer tokens, never cookies


async def test_another_site_is_refused_and_staff_paths_never_answer_cors() -> None:
    async with client(widget_origins=[BANK_SITE]) as hub:
        stranger = await hub.options("/api/v1/conversations", headers=preflight("https://evil.example"))
        console = await hub.options("/api/console/me", headers=preflight(BANK_SITE))
    assert stranger.status_code == 400 and "access-control-allow-origin" not in stranger.headers
    assert "access-control-allow-origin" not in console.headers


async def test_without_configured_sites_there_is_no_cors() -> None:
    async with client() as hub:
        answer = await hub.options("/api/v1/conversations", headers=preflight(BANK_SITE))
    assert "access-control-allow-origin" not in answer.headers
