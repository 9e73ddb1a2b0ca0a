"""The assistant, reached over Rasa's REST webhook (``/webhooks/rest/webhook``) in bot mode only.

Several Rasa processes may serve one hub (``RASA_URL`` with comma-separated addresses): each conversation goes to
the same one while it is up (rendezvous hashing on the sender, so adding a process moves only its share), and to
the next in its order when that one refuses the connection. Only a refused connection moves a message: a message
that reached Rasa and timed out may have been handled, so it is reported, never sent twice. Any process can take
any conversation: their dialogue state is shared (scripts/rasa_server.py) and Rasa's Redis lock store keeps one
message of a conversation at a time.
"""

from __future__ import annotations

import hashlib
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


def rasa_urls(setting: str) -> list[str]:
    """The addresses of ``RASA_URL``: one, or several separated by commas."""
    urls = [url.strip().rstrip("/") for url in setting.split(",") if url.strip()]
    if not urls:
        raise ValueError("RASA_URL names no address")
    return urls


class RasaClient:
    """Posts one customer message to Rasa and returns its replies."""

    def __init__(self, *, base_urls: list[str], timeout_seconds: float, http: httpx.AsyncClient | None = None):
        if not base_urls:
            raise ValueError("at least one Rasa address is needed")
        self._base_urls = [url.rstrip("/") for url in base_urls]
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds)
        self._timeout = timeout_seconds

    async def aclose(self) -> None:
        await self._http.aclose()

    def order_for(self, sender_id: str) -> list[str]:
        """The Rasa addresses in the order this conversation tries them (the same order on every hub)."""

        def weight(url: str) -> bytes:
            return hashlib.blake2b(f"{url}|{sender_id}".encode(), digest_size=8).digest()

        return sorted(self._base_urls, key=weight, reverse=True)

    async def send(self, *, sender_id: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        body = {"sender": sender_id, "message": text, "metadata": metadata}
        response: httpx.Response | None = None
        for base_url in self.order_for(sender_id):
            try:
                response = await self._http.post(f"{base_url}/webhooks/rest/webhook", json=body, timeout=self._timeout)
                break
            except httpx.ConnectError:
                continue  # refused: nothing was sent, the next process may take it
            except httpx.HTTPError as exc:
                raise AssistantUnavailable(f"Rasa unreachable: {type(exc).__name__}") from exc
        if response is None:
            raise AssistantUnavailable("Rasa unreachable: every address refused the connection")
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
        """True when at least one Rasa process answers (the others' conversations fail over to it)."""
        for base_url in self._base_urls:
            try:
                if (await self._http.get(f"{base_url}/", timeout=2.0)).status_code == 200:
                    return True
            except httpx.HTTPError:
                continue
        return False


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
