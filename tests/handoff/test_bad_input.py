"""Bad input gets the documented JSON error, and nothing is half-stored."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.utils.factories import auth, create_conversation, message_body


@pytest.fixture
async def conversation(hub_client: httpx.AsyncClient) -> dict[str, str]:
    return await create_conversation(hub_client)


def messages_url(conversation: dict[str, str]) -> str:
    return f"/api/v1/conversations/{conversation['conversation_id']}/messages"


async def stored(client: httpx.AsyncClient, conversation: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get(messages_url(conversation), headers=auth(conversation))
    assert response.status_code == 200
    return list(response.json()["messages"])


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message"} and error["message"]
    if code:
        assert error["code"] == code


async def test_invalid_json(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.post(
        messages_url(conversation),
        content=b'{"client_msg_id": "x", "text": ',
        headers={**auth(conversation), "Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid_json")
    assert await stored(hub_client, conversation) == []


async def test_body_that_is_not_utf8(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.post(
        messages_url(conversation),
        content='{"client_msg_id": "%s", "text": "你好"}'.encode("gbk") % str(uuid.uuid4()).encode(),
        headers={**auth(conversation), "Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid_body")
    assert await stored(hub_client, conversation) == []


async def test_unknown_fields_are_refused(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.post(
        messages_url(conversation), json={**message_body("你好"), "customer_id": "C1001"}, headers=auth(conversation)
    )
    assert_error(response, 422, "validation_error")
    assert "customer_id" in response.json()["error"]["message"]
    assert await stored(hub_client, conversation) == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t  "])
async def test_empty_or_whitespace_message(
    hub_client: httpx.AsyncClient, conversation: dict[str, str], text: str
) -> None:
    response = await hub_client.post(messages_url(conversation), json=message_body(text), headers=auth(conversation))
    assert_error(response, 422, "validation_error")
    assert await stored(hub_client, conversation) == []


async def test_message_over_2000_characters(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.post(
        messages_url(conversation), json=message_body("贷" * 2001), headers=auth(conversation)
    )
    assert_error(response, 413, "message_too_long")
    assert await stored(hub_client, conversation) == []


async def test_message_of_exactly_2000_characters_is_accepted(
    hub_client: httpx.AsyncClient, conversation: dict[str, str]
) -> None:
    response = await hub_client.post(
        messages_url(conversation), json=message_body("a" * 2000), headers=auth(conversation)
    )
    assert response.status_code == 200, response.text


async def test_body_over_the_size_limit(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.post(
        messages_url(conversation), json=message_body("x" * 40_000), headers=auth(conversation)
    )
    assert_error(response, 413, "payload_too_large")
    assert await stored(hub_client, conversation) == []


async def test_client_msg_id_must_be_a_uuid(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.post(
        messages_url(conversation), json={"client_msg_id": "1; drop table", "text": "hi"}, headers=auth(conversation)
    )
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"}])
async def test_missing_or_wrong_resume_token(
    hub_client: httpx.AsyncClient, conversation: dict[str, str], headers: dict[str, str]
) -> None:
    response = await hub_client.post(messages_url(conversation), json=message_body("你好"), headers=headers)
    assert_error(response, 401, "invalid_resume_token")
    listing = await hub_client.get(messages_url(conversation), headers=headers)
    assert_error(listing, 401, "invalid_resume_token")
    assert await stored(hub_client, conversation) == []


async def test_resume_token_of_another_conversation(hub_client: httpx.AsyncClient) -> None:
    mine = await create_conversation(hub_client)
    theirs = await create_conversation(hub_client)
    response = await hub_client.post(messages_url(mine), json=message_body("你好"), headers=auth(theirs))
    assert_error(response, 401)


async def test_unknown_conversation(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.post(
        f"/api/v1/conversations/{uuid.uuid4().hex}/messages", json=message_body("你好"), headers=auth(conversation)
    )
    assert_error(response, 404, "conversation_not_found")


async def test_bad_after_parameter(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    response = await hub_client.get(f"{messages_url(conversation)}?after=-1", headers=auth(conversation))
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "body", [{"channel": "fax"}, {"language": "fr"}, {"channel": "web", "extra": 1}, {"customer_token": 42}]
)
async def test_bad_conversation_requests(hub_client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await hub_client.post("/api/v1/conversations", json=body)
    assert_error(response, 422, "validation_error")


async def test_rate_limit(hub_client: httpx.AsyncClient, conversation: dict[str, str]) -> None:
    statuses = []
    for _ in range(32):
        response = await hub_client.post(
            messages_url(conversation), json=message_body("ok"), headers=auth(conversation)
        )
        statuses.append(response.status_code)
    assert statuses[:30] == [200] * 30
    assert statuses[30:] == [429, 429]
    customer_messages = [m for m in await stored(hub_client, conversation) if m["sender"] == "customer"]
    assert len(customer_messages) == 30
