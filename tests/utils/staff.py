"""Factories for the live-agent side: staff users in the hub's database, and a console client that signs in,
keeps its CSRF token, and listens on the console's websocket like the console page does."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets
from websockets.typing import Origin

from handoff import agents
from handoff.config import SKILLS
from handoff.db import create_engine, create_sessionmaker
from handoff.models import Role

STAFF_PASSWORD = "test-password-123"


async def create_staff(
    database_url: str,
    username: str,
    *,
    role: str = "agent",
    skills: tuple[str, ...] = ("general", "lending"),
    max_chats: int = 3,
    display_name: str | None = None,
    password: str = STAFF_PASSWORD,
    external_id: str | None = None,
    branch: str | None = None,
) -> str:
    """A staff user straight in the hub's database; returns their id."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            user = await agents.create_user(
                session,
                username=username,
                display_name=display_name or username.title(),
                password=password,
                role=Role(role),
                skills=skills,
                max_chats=max_chats,
                known_skills=SKILLS,
                external_id=external_id,
                branch=branch,
            )
            await session.commit()
            return user.id
    finally:
        await engine.dispose()


class ConsoleClient:
    """What the console page does, over HTTP and the console websocket."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30, headers={"Origin": base_url})
        self.csrf = ""
        self.user: dict[str, Any] = {}
        self.socket: Any = None
        self._pending: list[dict[str, Any]] = []
        self._heartbeats: asyncio.Task[None] | None = None

    async def sign_in(self, username: str, password: str = STAFF_PASSWORD) -> dict[str, Any]:
        response = await self.http.post("/api/console/session", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]
        self.user = response.json()["user"]
        return self.user

    @property
    def id(self) -> str:
        return str(self.user["id"])

    def _write_headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(path, json=body or {}, headers=self._write_headers())

    async def put(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.put(path, json=body, headers=self._write_headers())

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params)

    async def go_online(self) -> None:
        response = await self.put("/api/console/me/presence", {"status": "online"})
        assert response.status_code == 200, response.text

    async def connect(self, base_url: str | None = None) -> dict[str, Any]:
        """Open the console websocket (on this hub or another replica) and send heartbeats as the page does."""
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        base = base_url or self.base_url
        url = base.replace("http://", "ws://") + "/api/console/ws"
        self.socket = await websockets.connect(url, origin=Origin(base), additional_headers={"Cookie": cookie})
        hello = await self.next_event("hello")
        self._heartbeats = asyncio.create_task(self._beat(float(hello["heartbeat_seconds"])))
        return hello

    async def _beat(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await self.socket.send(json.dumps({"type": "heartbeat"}))

    async def vanish(self) -> None:
        """The agent's browser dies: no more heartbeats, the socket gone without a word."""
        if self._heartbeats is not None:
            self._heartbeats.cancel()
        self.socket.transport.abort()

    async def next_event(
        self, kind: str, *, conversation_id: str | None = None, wait_seconds: float = 30, **match: Any
    ) -> dict[str, Any]:
        """The next event of a type (and conversation, and fields), keeping the others for later calls."""

        def fits(event: dict[str, Any]) -> bool:
            if event.get("type") != kind:
                return False
            if conversation_id is not None and event.get("conversation_id") != conversation_id:
                return False
            return all(event.get(k) == v for k, v in match.items())

        for index, event in enumerate(self._pending):
            if fits(event):
                return self._pending.pop(index)
        async with asyncio.timeout(wait_seconds):
            while True:
                event = json.loads(await self.socket.recv())
                if fits(event):
                    return dict(event)
                if event.get("type") != "heartbeat":
                    self._pending.append(event)

    async def next_message(self, conversation_id: str, *, sender: str, wait_seconds: float = 30) -> dict[str, Any]:
        while True:
            event = await self.next_event("message", conversation_id=conversation_id, wait_seconds=wait_seconds)
            if event["message"]["sender"] == sender:
                return dict(event["message"])

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    async def accept(self, conversation_id: str) -> httpx.Response:
        return await self.post(f"/api/console/chats/{conversation_id}/accept")

    async def reply(self, conversation_id: str, text: str) -> httpx.Response:
        body = {"client_msg_id": str(uuid.uuid4()), "text": text}
        return await self.post(f"/api/console/chats/{conversation_id}/messages", body)

    async def close(self) -> None:
        if self._heartbeats is not None:
            self._heartbeats.cancel()
        if self.socket is not None:
            await self.socket.close()
        await self.http.aclose()


@asynccontextmanager
async def signed_in(base_url: str, username: str, *, online: bool = True) -> AsyncIterator[ConsoleClient]:
    """A console signed in (and online, with its websocket open) for the length of a block."""
    console = ConsoleClient(base_url)
    try:
        await console.sign_in(username)
        await console.connect()
        if online:
            await console.go_online()
        yield console
    finally:
        await console.close()
