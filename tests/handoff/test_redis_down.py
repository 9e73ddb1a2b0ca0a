"""Redis down under a hub: a customer asking for a person is queued in SQL and told so (never a 500), what needs
live state answers the documented 503, and the chat is back in line once Redis returns (the reconciler).

A hub process on a Redis of the test's own, which the test kills; the assistant (Rasa) keeps its locks in the
test run's shared Redis, so only the hub loses its Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import JourneyCore
from tests.utils.factories import auth, create_conversation, message_body
from tests.utils.services import OwnRedis, Service
from tests.utils.stack import hub_env, start_hub


@pytest.fixture(scope="module")
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis("redis-of-the-hub")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hub_on_own_redis(
    own_redis: OwnRedis,
    hub_database_url: str,
    rasa_server: Service,
    action_server: Service,
    journey_core: JourneyCore,
) -> Iterator[Service]:
    env = hub_env(
        database_url=hub_database_url,
        redis_url=own_redis.url,
        rasa_url=rasa_server.url,
        action_url=action_server.url,
        lending_url=journey_core.url,
    )
    hub = start_hub("hub-on-own-redis", env)
    yield hub
    hub.stop()


@pytest.fixture
async def client(hub_on_own_redis: Service, clean_hub_state: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hub_on_own_redis.url, timeout=30) as http:
        yield http


async def test_a_handoff_while_redis_is_down_is_queued_in_sql_and_back_in_line_when_it_returns(
    client: httpx.AsyncClient, own_redis: OwnRedis
) -> None:
    conversation = await create_conversation(client, language="zh")
    conversation_url = f"/api/v1/conversations/{conversation['conversation_id']}"
    own_redis.kill()
    try:
        asked = await client.post(
            f"{conversation_url}/messages", json=message_body("转人工"), headers=auth(conversation)
        )

        assert asked.status_code == 200, asked.text
        assert asked.json()["mode"] == "queued"
        told = [reply for reply in asked.json()["replies"] if reply["sender"] == "system"]
        assert told and "排队" in told[0]["text"]

        state = await client.get(conversation_url, headers=auth(conversation))
        assert state.status_code in (200, 503), state.text
        if state.status_code == 503:
            assert state.json()["error"]["code"] == "dependency_unavailable"
            assert state.json()["error"]["details"] == {"dependency": "redis"}
            assert "请稍后重试" in state.json()["error"]["message"]
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "down"
    finally:
        own_redis.start()  # on the same port, empty: as after a crash

    queue: dict[str, int] | None = None
    for _ in range(60):  # the reconciler runs every RECONCILE_SECONDS (2 s in the tests)
        state = await client.get(conversation_url, headers=auth(conversation))
        if state.status_code == 200 and state.json().get("queue"):
            queue = state.json()["queue"]
            break
        await asyncio.sleep(0.5)
    assert queue is not None and queue["position"] == 1
    transcript = (await client.get(f"{conversation_url}/messages", headers=auth(conversation))).json()["messages"]
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["转人工"]
