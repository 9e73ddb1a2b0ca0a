"""When Rasa is down the customer is told so in both languages, the message is kept, and nothing crashes."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from tests.handoff.test_websocket import next_event, ws_url
from tests.utils.factories import auth, create_conversation, message_body
from tests.utils.services import Service


@pytest.fixture
async def client_without_rasa(hub_without_rasa: Service, clean_hub_state: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hub_without_rasa.url, timeout=30) as client:
        yield client


async def test_rest_answers_503_in_both_languages_and_keeps_the_message(
    client_without_rasa: httpx.AsyncClient,
) -> None:
    conversation = await create_conversation(client_without_rasa, language="zh")
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    body = message_body("你好")

    response = await client_without_rasa.post(url, json=body, headers=auth(conversation))

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "assistant_unavailable"
    assert "暂时无法回复" in error["message"] and "temporarily unavailable" in error["message"]
    assert error["details"]["message"]["seq"] == 1
    listing = (await client_without_rasa.get(url, headers=auth(conversation))).json()["messages"]
    assert [(m["sender"], m["text"]) for m in listing] == [("customer", "你好")]

    # A retry of the same message is not stored twice; the hub still answers clearly and stays up.
    retry = await client_without_rasa.post(url, json=body, headers=auth(conversation))
    assert retry.status_code == 503
    assert len((await client_without_rasa.get(url, headers=auth(conversation))).json()["messages"]) == 1
    assert (await client_without_rasa.get("/healthz")).status_code == 200


async def test_readiness_reports_the_assistant_down_and_keeps_the_hub_in_service(
    client_without_rasa: httpx.AsyncClient,
) -> None:
    response = await client_without_rasa.get("/readyz")
    assert response.status_code == 200  # customers can still reach a person through this hub
    assert response.json()["status"] == "degraded"
    checks = response.json()["checks"]
    assert checks["rasa"] == "down" and checks["database"] == "ok" and checks["redis"] == "ok"


async def test_websocket_gets_an_error_event_and_the_message_is_stored(
    hub_without_rasa: Service, client_without_rasa: httpx.AsyncClient
) -> None:
    conversation = await create_conversation(client_without_rasa, language="en")
    client_msg_id = str(uuid.uuid4())
    async with websockets.connect(ws_url(hub_without_rasa, conversation)) as socket:
        await socket.send(json.dumps({"type": "message", "client_msg_id": client_msg_id, "text": "hello"}))
        ack = await next_event(socket, "ack")
        error = await next_event(socket, "error")
        await socket.send(json.dumps({"type": "ping"}))
        assert (await next_event(socket, "pong"))["type"] == "pong"

    assert ack["seq"] == 1
    assert error["code"] == "assistant_unavailable" and error["client_msg_id"] == client_msg_id
    assert error["message"].startswith("Sorry, the assistant is temporarily unavailable")
    listing = await client_without_rasa.get(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages", headers=auth(conversation)
    )
    assert [m["text"] for m in listing.json()["messages"]] == ["hello"]


async def test_an_unanswered_message_is_answered_when_retried_after_rasa_is_back(
    client_without_rasa: httpx.AsyncClient, hub: Service
) -> None:
    """Both hubs share the database and Redis: what one stored while Rasa was down, the other answers on retry."""
    conversation = await create_conversation(client_without_rasa)
    path = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    body = message_body("hello")
    assert (await client_without_rasa.post(path, json=body, headers=auth(conversation))).status_code == 503

    async with httpx.AsyncClient(base_url=hub.url, timeout=30) as healthy:
        retry = await healthy.post(path, json=body, headers=auth(conversation))

    assert retry.status_code == 200
    assert retry.json()["message"]["seq"] == 1
    assert retry.json()["replies"][0]["text"].startswith("Hello")
