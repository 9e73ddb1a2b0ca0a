"""The customer API v1 over a real websocket: greetings, acks, resume after a disconnect, bad frames."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
import websockets

from tests.utils.factories import auth, create_conversation, message_body
from tests.utils.services import Service


def ws_url(hub: Service, conversation: dict[str, str], *, last_seq: int | None = None, token: str | None = None) -> str:
    url = hub.url.replace("http://", "ws://")
    url += f"/api/v1/conversations/{conversation['conversation_id']}/ws?token={token or conversation['resume_token']}"
    return url + (f"&last_seq={last_seq}" if last_seq is not None else "")


async def next_event(socket: Any, kind: str, wait_seconds: float = 30) -> dict[str, Any]:
    """The next event of a type, skipping others (typing, echoes)."""
    async with asyncio.timeout(wait_seconds):
        while True:
            event = json.loads(await socket.recv())
            if event["type"] == kind:
                return dict(event)


async def next_bot_message(socket: Any) -> dict[str, Any]:
    while True:
        event = await next_event(socket, "message")
        if event["message"]["sender"] == "bot":
            return dict(event["message"])


@pytest.mark.parametrize(("text", "expected"), [("你好", "您好"), ("hello", "Hello")])
async def test_greeting_over_the_websocket(
    hub: Service, hub_client: httpx.AsyncClient, text: str, expected: str
) -> None:
    conversation = await create_conversation(hub_client)
    async with websockets.connect(ws_url(hub, conversation)) as socket:
        client_msg_id = str(uuid.uuid4())
        await socket.send(json.dumps({"type": "message", "client_msg_id": client_msg_id, "text": text}))

        ack = await next_event(socket, "ack")
        reply = await next_bot_message(socket)

    assert ack == {"type": "ack", "client_msg_id": client_msg_id, "seq": 1}
    assert reply["seq"] == 2 and expected in reply["text"]


async def test_reconnect_receives_exactly_what_was_missed(hub: Service, hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)
    async with websockets.connect(ws_url(hub, conversation)) as socket:
        await socket.send(json.dumps({"type": "message", **message_body("你好")}))
        await next_bot_message(socket)
    # While the widget is away, a message arrives through REST (another tab, or the page before it reloaded).
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    response = await hub_client.post(url, json=message_body("hello"), headers=auth(conversation))
    assert response.status_code == 200

    async with websockets.connect(ws_url(hub, conversation, last_seq=2)) as socket:
        first = await next_event(socket, "message")
        second = await next_event(socket, "message")
        with pytest.raises(TimeoutError):
            await next_event(socket, "message", wait_seconds=1)

    assert [first["message"]["seq"], second["message"]["seq"]] == [3, 4]
    assert first["message"]["text"] == "hello" and second["message"]["sender"] == "bot"


async def test_resume_frame_replays_from_a_sequence(hub: Service, hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    await hub_client.post(url, json=message_body("你好"), headers=auth(conversation))

    async with websockets.connect(ws_url(hub, conversation, last_seq=2)) as socket:
        await socket.send(json.dumps({"type": "resume", "last_seq": 1}))
        event = await next_event(socket, "message")

    assert event["message"]["seq"] == 2 and event["message"]["sender"] == "bot"


async def test_duplicate_frame_is_stored_once(hub: Service, hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)
    frame = json.dumps({"type": "message", **message_body("你好")})
    async with websockets.connect(ws_url(hub, conversation)) as socket:
        await socket.send(frame)
        first = await next_event(socket, "ack")
        await next_bot_message(socket)
        await socket.send(frame)
        second = await next_event(socket, "ack")

    listing = await hub_client.get(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages", headers=auth(conversation)
    )
    assert first == second
    assert [m["sender"] for m in listing.json()["messages"]] == ["customer", "bot"]


def message_frame(text: str, **extra: object) -> str:
    return json.dumps({"type": "message", "client_msg_id": str(uuid.uuid4()), "text": text, **extra})


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (message_frame("  "), "validation_error"),
        (message_frame("x", vip=1), "validation_error"),
        (message_frame("贷" * 2001), "message_too_long"),
        (message_frame("x" * 20_000), "payload_too_large"),
    ],
)
async def test_bad_frames_get_an_error_event_and_the_socket_stays_open(
    hub: Service, hub_client: httpx.AsyncClient, frame: str, code: str
) -> None:
    conversation = await create_conversation(hub_client)
    async with websockets.connect(ws_url(hub, conversation)) as socket:
        await socket.send(frame)
        error = await next_event(socket, "error")
        await socket.send(json.dumps({"type": "ping"}))
        pong = await next_event(socket, "pong")

    assert error["code"] == code and error["message"]
    assert pong == {"type": "pong"}
    listing = await hub_client.get(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages", headers=auth(conversation)
    )
    assert listing.json()["messages"] == []


async def test_wrong_token_closes_with_a_reason(hub: Service, hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)
    async with websockets.connect(ws_url(hub, conversation, token="wrong")) as socket:
        error = json.loads(await socket.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert error["type"] == "error" and error["code"] == "invalid_resume_token"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_unknown_conversation_closes_with_4404(hub: Service, hub_client: httpx.AsyncClient) -> None:
    missing = {"conversation_id": uuid.uuid4().hex, "resume_token": "whatever"}
    async with websockets.connect(ws_url(hub, missing)) as socket:
        error = json.loads(await socket.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert error["code"] == "conversation_not_found"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
