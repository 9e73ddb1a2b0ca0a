"""Factories for the hub's tests: conversations, customer tokens, message bodies."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import jwt

TEST_CUSTOMER_TOKEN_SECRET = "test-customer-token-secret-0123456789"
TEST_AUDIENCE = "sme-assistant"


def customer_token(customer_id: str = "C1001", *, secret: str = TEST_CUSTOMER_TOKEN_SECRET, ttl: int = 600) -> str:
    """A token as the bank's web page would sign it for a logged-in customer."""
    now = int(time.time())
    claims = {"sub": customer_id, "aud": TEST_AUDIENCE, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def message_body(text: str, client_msg_id: str | None = None) -> dict[str, Any]:
    return {"client_msg_id": client_msg_id or str(uuid.uuid4()), "text": text}


async def create_conversation(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/conversations", json={"channel": "web", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def auth(conversation: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {conversation['resume_token']}"}
