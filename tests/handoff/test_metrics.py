"""The hub's ``/metrics``: handoffs by reason and the waits counted where they happen (in-process, manual clock),
and a hub of two worker processes whose ``/metrics`` sums both workers whichever of them answers."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from handoff.agents import StaffIdentity
from handoff.models import Role, StaffUser
from tests.handoff.test_routing import Desk, desk, packet  # noqa: F401  (the fixture)
from tests.utils.factories import auth, create_conversation, message_body
from tests.utils.services import Service, answers_200, free_port, start_service
from tests.utils.stack import METRICS_AUTH, hub_env


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_handoffs_by_reason_and_the_wait_for_an_agent(desk: Desk) -> None:  # noqa: F811
    not_queued = sample("hub_handoffs_total", reason="complaint", queued="no")
    queued = sample("hub_handoffs_total", reason="customer_request", queued="yes")
    waits = sample("hub_queue_wait_seconds_count", skill="general")
    waited_sum = sample("hub_queue_wait_seconds_sum", skill="general")

    await desk.packet_arrives(packet(reason="complaint", skill="complaints"))  # nobody online for complaints
    async with desk.sessions() as session:
        session.add(
            StaffUser(id="a1", username="a1", display_name="A1", password_hash="-", role="agent", skills=["general"])
        )
        await session.commit()
    await desk.agent_online("a1", ("general",))
    opening, conversation, _ = await desk.packet_arrives(packet())
    assert opening is not None and opening.queued
    desk.clock.advance(42)  # into the live queue (and offered) 42 s after the packet was stored
    await desk.queue.heartbeat(agent_id="a1")
    await desk.service.finish_opening(opening)
    await desk.service.dispatch_all()
    staff = StaffIdentity(id="a1", username="a1", display_name="A1", role=Role.AGENT, skills=("general",), max_chats=3)
    await desk.service.accept(staff=staff, conversation_id=conversation.id)

    assert sample("hub_handoffs_total", reason="complaint", queued="no") == not_queued + 1
    assert sample("hub_handoffs_total", reason="customer_request", queued="yes") == queued + 1
    assert sample("hub_queue_wait_seconds_count", skill="general") == waits + 1
    assert sample("hub_queue_wait_seconds_sum", skill="general") == pytest.approx(waited_sum + 42)


@pytest.fixture(scope="module")
def two_worker_hub(hub_database_url: str, redis_url: str) -> Iterator[Service]:
    """A hub of two processes on one port, its assistant down (a port nothing listens on)."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = hub_env(
        database_url=hub_database_url, redis_url=redis_url, rasa_url=nowhere, action_url=nowhere, lending_url=nowhere
    )
    service = start_service(
        "hub-two-workers",
        [sys.executable, "-m", "handoff", "serve", "--port", str(port), "--workers", "2"],
        url=base,
        ready=answers_200("/healthz", base),
        env={"PLATFORM_WEBHOOK_URL": f"{base}/api/platform/v1/webhook", **env},
        timeout_seconds=60,
    )
    yield service
    service.stop()


def value(text: str, metric: str) -> float:
    found = re.search(rf"^{re.escape(metric)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_two_workers_are_summed_whichever_answers(two_worker_hub: Service, clean_hub_state: None) -> None:
    async with httpx.AsyncClient(base_url=two_worker_hub.url, timeout=30) as client:
        before = (await client.get("/metrics", headers=METRICS_AUTH)).text
        # New connections are spread over both workers by the kernel; each message is stored once.
        for n in range(8):
            async with httpx.AsyncClient(base_url=two_worker_hub.url, timeout=30) as fresh:
                conversation = await create_conversation(fresh, language="zh")
                cid = conversation["conversation_id"]
                response = await fresh.post(
                    f"/api/v1/conversations/{cid}/messages", json=message_body(f"你好 {n}"), headers=auth(conversation)
                )
                assert response.status_code in (200, 201, 503), response.text
        readings = []
        for _ in range(6):
            async with httpx.AsyncClient(base_url=two_worker_hub.url, timeout=30) as fresh:
                answer = await fresh.get("/metrics", headers=METRICS_AUTH)
                assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
                readings.append(answer.text)
    stored = 'hub_customer_messages_total{to="assistant"}'
    unanswered = "hub_assistant_unavailable_total"
    created = 'http_requests_total{method="POST",route="/api/v1/conversations",service="hub",status="201"}'
    for text in readings:
        assert value(text, stored) - value(before, stored) == 8
        assert value(text, unanswered) - value(before, unanswered) == 8
        assert value(text, created) - value(before, created) == 8
        assert 'hub_queue_waiting{skill="general"} 0.0' in text
        assert "/api/v1/conversations/{conversation_id}/messages" in text  # route templates, never ids
        assert not re.search(r'route="[^"]*c[0-9a-f]{16,}', text)


async def test_the_metrics_need_the_scrapers_token(two_worker_hub: Service) -> None:
    async with httpx.AsyncClient(base_url=two_worker_hub.url, timeout=30) as client:
        for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "Basic dGVzdA=="}):
            answer = await client.get("/metrics", headers=headers)
            assert answer.status_code == 401, headers
            assert answer.json()["error"]["code"] == "metrics_token"
            assert "hub_customer_messages_total" not in answer.text
