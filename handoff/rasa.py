"""The assistant, reached over Rasa's REST webhook (``/webhooks/rest/webhook``) in bot mode only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


class AssistantError(Exception):
    """The assistant could not answer."""


class AssistantUnavailable(AssistantError):
    """Rasa did not answer: down, timed out or answered with a server error."""


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    custom: dict[str, Any] | None = None


class RasaClient:
    """Posts one customer message to Rasa and returns its replies."""

    def __init__(self, *, base_url: str, timeout_seconds: float, http: httpx.AsyncClient | None = None):
        self._base_url = base_url.rstrip("/")
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds)
        self._timeout = timeout_seconds

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, *, sender_id: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        try:
            response = await self._http.post(
                f"{self._base_url}/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise AssistantUnavailable(f"Rasa unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise AssistantUnavailable(f"Rasa answered {response.status_code}")
        if response.status_code != 200:
            raise AssistantError(f"Rasa answered {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise AssistantError("Rasa answered with something that is not JSON") from exc
        return _merge_custom_payloads([_to_reply(item) for item in payload if isinstance(item, dict)])

    async def ping(self) -> bool:
        try:
            response = await self._http.get(f"{self._base_url}/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def _merge_custom_payloads(replies: list[BotReply]) -> list[BotReply]:
    """Rasa's REST channel sends a message's custom payload as a separate item; keep it with its text, so the
    stored reply says which FAQ entry or which handoff it belongs to."""
    merged: list[BotReply] = []
    for reply in replies:
        if merged and reply.custom and not reply.text and not reply.buttons and merged[-1].custom is None:
            merged[-1] = BotReply(text=merged[-1].text, buttons=merged[-1].buttons, custom=reply.custom)
        else:
            merged.append(reply)
    return merged


def _to_reply(item: dict[str, Any]) -> BotReply:
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in item.get("buttons") or []
        if isinstance(b, dict)
    ]
    custom = item.get("custom")
    return BotReply(
        text=str(item.get("text") or ""),
        buttons=buttons,
        custom=custom if isinstance(custom, dict) else None,
    )
