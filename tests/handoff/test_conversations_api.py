"""The customer API v1 over REST, end to end through the real Rasa server and action server."""

from __future__ import annotations

import asyncio
import re

import httpx
import psycopg

from tests.conftest import _libpq
from tests.utils.factories import auth, create_conversation, customer_token, message_body

CJK = re.compile(r"[\u4e00-\u9fff]")


async def test_chinese_greeting_is_answered_in_chinese(hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client, language="zh")
    assert conversation["mode"] == "bot"

    response = await hub_client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages",
        json=message_body("你好"),
        headers=auth(conversation),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"]["seq"] == 1
    assert body["message"]["sender"] == "customer"
    assert body["mode"] == "bot" and body["queue"] is None
    assert [r["sender"] for r in body["replies"]] == ["bot"]
    assert body["replies"][0]["seq"] == 2
    assert "您好" in body["replies"][0]["text"]


async def test_english_greeting_is_answered_in_english(hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)

    response = await hub_client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages",
        json=message_body("hello"),
        headers=auth(conversation),
    )

    assert response.status_code == 200, response.text
    reply = response.json()["replies"][0]["text"]
    assert reply.startswith("Hello") and not CJK.search(reply)


async def test_goodbye_follows_the_language_of_the_conversation(hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client, language="en")
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"

    english = await hub_client.post(url, json=message_body("bye"), headers=auth(conversation))
    chinese = await hub_client.post(url, json=message_body("再见"), headers=auth(conversation))

    assert "Goodbye" in english.json()["replies"][0]["text"]
    assert "再见" in chinese.json()["replies"][0]["text"]


async def test_duplicate_client_msg_id_is_stored_once_and_answered_the_same(
    hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    conversation = await create_conversation(hub_client)
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    body = message_body("你好")

    first = await hub_client.post(url, json=body, headers=auth(conversation))
    second = await hub_client.post(url, json=body, headers=auth(conversation))

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    with psycopg.connect(_libpq(hub_database_url)) as conn:
        count = conn.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = %s AND sender = 'customer'",
            (conversation["conversation_id"],),
        ).fetchone()
    assert count == (1,)


async def test_concurrent_duplicates_are_stored_once(hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    body = message_body("hello")

    responses = await asyncio.gather(*(hub_client.post(url, json=body, headers=auth(conversation)) for _ in range(5)))

    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["message"]["seq"] for r in responses}) == 1
    listing = await hub_client.get(url, headers=auth(conversation))
    assert [m["sender"] for m in listing.json()["messages"]] == ["customer", "bot"]


async def test_after_returns_exactly_the_missed_messages(hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    for text in ("你好", "hello", "再见"):
        response = await hub_client.post(url, json=message_body(text), headers=auth(conversation))
        assert response.status_code == 200

    everything = (await hub_client.get(url, headers=auth(conversation))).json()["messages"]
    missed = (await hub_client.get(f"{url}?after=2", headers=auth(conversation))).json()["messages"]
    nothing = (await hub_client.get(f"{url}?after=6", headers=auth(conversation))).json()["messages"]

    assert [m["seq"] for m in everything] == [1, 2, 3, 4, 5, 6]
    assert [m["sender"] for m in everything] == ["customer", "bot"] * 3
    assert missed == everything[2:]
    assert nothing == []
    assert all({"seq", "sender", "text", "created_at"} <= m.keys() for m in everything)


async def test_messages_come_in_pages_that_say_whether_more_follow(hub_client: httpx.AsyncClient) -> None:
    conversation = await create_conversation(hub_client)
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    for text in ("你好", "hello", "再见"):
        assert (await hub_client.post(url, json=message_body(text), headers=auth(conversation))).status_code == 200

    pages, after = [], 0
    while True:
        page = (await hub_client.get(f"{url}?after={after}&limit=4", headers=auth(conversation))).json()
        pages.append([m["seq"] for m in page["messages"]])
        if not page["has_more"]:
            break
        after = page["messages"][-1]["seq"]
    whole = (await hub_client.get(url, headers=auth(conversation))).json()

    assert pages == [[1, 2, 3, 4], [5, 6]]
    assert whole["has_more"] is False and len(whole["messages"]) == 6
    exact = (await hub_client.get(f"{url}?after=0&limit=6", headers=auth(conversation))).json()
    assert exact["has_more"] is False  # a page that ends on the last message says so
    for limit in (0, 501, "x"):
        response = await hub_client.get(f"{url}?limit={limit}", headers=auth(conversation))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"


async def test_verified_customer_token_is_accepted_and_a_forged_one_refused(hub_client: httpx.AsyncClient) -> None:
    good = await hub_client.post(
        "/api/v1/conversations", json={"channel": "web", "customer_token": customer_token("C1001")}
    )
    forged = await hub_client.post(
        "/api/v1/conversations",
        json={
            "channel": "web",
            "customer_token": customer_token("C1001", secret="not-the-bank-secret-0123456789abcdef"),
        },
    )

    assert good.status_code == 201
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "invalid_customer_token"
