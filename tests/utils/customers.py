"""A customer on the hub's customer REST API, as the tests of the live-agent side drive one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.utils.factories import auth, create_conversation, message_body


@dataclass
class Customer:
    http: httpx.AsyncClient
    conversation: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.conversation["conversation_id"])

    async def say(self, text: str, *, expect: int = 200) -> dict[str, Any]:
        response = await self.http.post(
            f"/api/v1/conversations/{self.id}/messages", json=message_body(text), headers=auth(self.conversation)
        )
        assert response.status_code == expect, response.text
        return dict(response.json())

    async def ask_for_a_person(self) -> None:
        answer = await self.say("转人工")
        assert answer["mode"] == "queued", answer

    async def transcript(self, after: int = 0) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"/api/v1/conversations/{self.id}/messages", params={"after": after}, headers=auth(self.conversation)
        )
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    async def state(self) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/conversations/{self.id}", headers=auth(self.conversation))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def wait_for(
        self, found: Callable[[list[dict[str, Any]]], bool], *, what: str, seconds: float = 20
    ) -> list[dict[str, Any]]:
        """The transcript once ``found`` says it has what we wait for (polled: the customer has no page here)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            messages = await self.transcript()
            if found(messages):
                return messages
            if asyncio.get_running_loop().time() > deadline:
                texts = [(m["sender"], m["text"]) for m in messages]
                raise AssertionError(f"the customer never received {what}: {texts}")
            await asyncio.sleep(0.2)


async def new_customer(http: httpx.AsyncClient, language: str = "zh", **body: Any) -> Customer:
    return Customer(http, await create_conversation(http, language=language, **body))
