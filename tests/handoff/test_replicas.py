"""Several hub processes on one PostgreSQL and one Redis, and a hub killed in the middle of a conversation."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import JourneyCore
from tests.handoff.test_handoffs import take
from tests.handoff.test_websocket import next_event, ws_url
from tests.utils.customers import Customer, new_customer
from tests.utils.services import Service
from tests.utils.stack import hub_env, start_hub
from tests.utils.staff import ConsoleClient, create_staff, signed_in


@pytest.fixture(scope="session")
def hub_env_shared(
    hub: Service,
    hub_database_url: str,
    redis_url: str,
    rasa_server: Service,
    action_server: Service,
    journey_core: JourneyCore,
) -> dict[str, str]:
    """The environment of the test run's hub, for more replicas of it."""
    return hub_env(
        database_url=hub_database_url,
        redis_url=redis_url,
        rasa_url=rasa_server.url,
        action_url=action_server.url,
        lending_url=journey_core.url,
    )


@pytest.fixture(scope="session")
def second_hub(hub_env_shared: dict[str, str]) -> Iterator[Service]:
    service = start_hub("hub-replica", hub_env_shared)
    yield service
    service.stop()


@pytest.fixture
async def agent_on(hub_database_url: str, clean_hub_state: None) -> str:
    return await create_staff(hub_database_url, "lina", skills=("general",), display_name="李娜")


async def customer_messages(socket: Any, count: int, *, sender: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while len(got) < count:
        message = (await next_event(socket, "message"))["message"]
        if message["sender"] == sender:
            got.append(message)
    return got


async def test_customer_on_one_hub_and_agent_on_another(
    hub: Service, second_hub: Service, hub_client: httpx.AsyncClient, agent_on: str
) -> None:
    customer = await new_customer(hub_client, language="zh")
    async with signed_in(second_hub.url, "lina") as agent:
        await customer.say("转人工")
        await take(agent, customer)
        async with websockets.connect(ws_url(hub, customer.conversation)) as socket:
            await next_event(socket, "mode")
            sent_by_customer = [f"客户第{n}条" for n in range(10)]
            for text in sent_by_customer:
                await socket.send(json.dumps({"type": "message", "client_msg_id": str(uuid.uuid4()), "text": text}))
            relayed = [await agent.next_message(customer.id, sender="customer") for _ in sent_by_customer]

            sent_by_agent = [f"客服第{n}条" for n in range(10)]
            for text in sent_by_agent:
                assert (await agent.reply(customer.id, text)).status_code == 200
            received = await customer_messages(socket, len(sent_by_agent), sender="agent")

    assert [m["text"] for m in relayed] == sent_by_customer
    assert [m["text"] for m in received] == sent_by_agent
    transcript = await customer.transcript()
    assert [m["seq"] for m in transcript] == list(range(1, len(transcript) + 1))
    assert sum(m["sender"] == "customer" for m in transcript) == 11  # 转人工 and ten more, each once
    assert sum(m["sender"] == "agent" for m in transcript) == 10


@pytest.fixture
async def doomed_hub(hub_env_shared: dict[str, str]) -> AsyncIterator[Service]:
    service = start_hub("hub-doomed", hub_env_shared)
    yield service
    service.stop()


async def test_a_hub_killed_mid_conversation_loses_and_doubles_nothing(
    hub: Service, doomed_hub: Service, hub_client: httpx.AsyncClient, hub_env_shared: dict[str, str], agent_on: str
) -> None:
    agent = ConsoleClient(doomed_hub.url)
    try:
        await agent.sign_in("lina")
        await agent.connect()
        await agent.go_online()
        async with httpx.AsyncClient(base_url=doomed_hub.url, timeout=30) as doomed_client:
            customer = await new_customer(doomed_client, language="zh")
            await customer.say("转人工")
        await take(agent, customer)
        assert (await agent.reply(customer.id, "您好")).status_code == 200

        burst = [(str(uuid.uuid4()), f"第{n}条消息") for n in range(20)]  # within 30 a minute
        acked: set[str] = set()
        socket = await websockets.connect(ws_url(doomed_hub, customer.conversation))
        for client_msg_id, text in burst:
            await socket.send(json.dumps({"type": "message", "client_msg_id": client_msg_id, "text": text}))
        # Kill the hub as soon as some (not all) messages are acknowledged.
        async with asyncio.timeout(20):
            while len(acked) < 5:
                event = json.loads(await socket.recv())
                if event["type"] == "ack":
                    acked.add(event["client_msg_id"])
        os.kill(doomed_hub.process.pid, signal.SIGKILL)
        doomed_hub.process.wait(timeout=10)
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                event = json.loads(await socket.recv())
                if event["type"] == "ack":
                    acked.add(event["client_msg_id"])

        # The agent's console reconnects through the load balancer to the surviving hub at once.
        await agent.connect(hub.url)
        port = int(doomed_hub.url.rsplit(":", 1)[1])
        # Started in a thread: the agent's console keeps beating meanwhile, as a real one would (a blocked event
        # loop here would make the agent look gone and lose them the chat).
        restarted = await asyncio.to_thread(start_hub, "hub-restarted", hub_env_shared, port=port)
        try:
            seen_by_customer: list[int] = []
            async with websockets.connect(ws_url(restarted, customer.conversation, last_seq=0)) as again:
                # The widget resends whatever was not acknowledged, with the same client ids.
                for client_msg_id, text in burst:
                    if client_msg_id not in acked:
                        frame = {"type": "message", "client_msg_id": client_msg_id, "text": text}
                        await again.send(json.dumps(frame))
                while len(acked) < len(burst):
                    event = json.loads(await asyncio.wait_for(again.recv(), 20))
                    if event["type"] == "ack":
                        acked.add(event["client_msg_id"])
                    elif event["type"] == "message":
                        seen_by_customer.append(event["message"]["seq"])
            reader = Customer(hub_client, customer.conversation)
            transcript = await reader.transcript()
            missed = await hub_client.get(
                f"/api/v1/conversations/{customer.id}/messages",
                params={"after": seen_by_customer[-1]},
                headers={"Authorization": f"Bearer {customer.conversation['resume_token']}"},
            )
            # The console catches up too: it asks for everything after the last seq it had before the kill.
            await agent.send_frame({"type": "resume", "conversation_id": customer.id, "last_seq": 3})
            seen_by_agent: set[int] = set()
            while len(seen_by_agent) < len(transcript) - 3:
                event = await agent.next_event("message", conversation_id=customer.id)
                seen_by_agent.add(event["message"]["seq"])
        finally:
            restarted.stop()
    finally:
        await agent.close()

    seqs = [m["seq"] for m in transcript]
    assert seqs == list(range(1, len(transcript) + 1)), "sequence numbers are dense and unique"
    customer_ids = [m["client_msg_id"] for m in transcript if m["sender"] == "customer"]
    assert len(customer_ids) == len(set(customer_ids)) == len(burst) + 1, "every message stored exactly once"
    assert {cid for cid, _ in burst} <= set(customer_ids)
    # What the widget saw on its websocket, then caught up with after=<seq>: the transcript, each message once.
    assert seen_by_customer + [m["seq"] for m in missed.json()["messages"]] == seqs
    assert seen_by_agent == set(seqs[3:])
    assert sum(m["sender"] == "agent" for m in transcript) == 1
