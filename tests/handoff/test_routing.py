"""Where a handoff packet goes, decided at the instant of a manual clock: the queue, or an honest answer when
no agent can take it (after hours, nobody online, the wait too long). In-process, real PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from businesshours import BANK_HOURS, BusinessHours
from handoff import crud
from handoff.clock import SHANGHAI, ManualClock
from handoff.config import SKILLS, Settings
from handoff.db import create_engine, create_sessionmaker
from handoff.handoffs import HandoffService, Opening
from handoff.models import Conversation, Handoff
from handoff.queue import AgentQueue, QueueTimings
from tests.conftest import HUB_TABLES, QUEUE_REDIS_TEST_URL

SATURDAY_NIGHT = dt.datetime(2026, 12, 5, 23, 0, tzinfo=SHANGHAI)
TUESDAY_MORNING = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


class Desk:
    """A hub's handoff service on a manual clock, with the bank's hours."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis, clock: ManualClock):
        self.sessions = sessions
        self.clock = clock
        settings = Settings(environment="development", max_wait_seconds=900, default_handle_seconds=300)
        self.queue = AgentQueue(redis, clock=clock, skills=SKILLS, timings=QueueTimings())
        self.service = HandoffService(
            settings=settings,
            sessions=sessions,
            redis=redis,
            queue=self.queue,
            hours=BusinessHours.from_file(BANK_HOURS),
            clock=clock,
        )

    async def agent_online(self, agent_id: str, skills: tuple[str, ...], capacity: int = 1) -> None:
        await self.queue.set_presence(agent_id=agent_id, status="online", skills=list(skills), capacity=capacity)

    async def packet_arrives(self, packet: dict[str, Any]) -> tuple[Opening | None, Conversation, Handoff | None]:
        async with self.sessions() as session:
            conversation, _ = await crud.create_conversation(
                session, channel="web", language=None, customer_id=None, verified_by=None
            )
            reply = await crud.add_message(
                session, conversation_id=conversation.id, sender="bot", text="…", custom={"handoff": packet}
            )
            opening = await self.service.open(session, conversation=conversation, packet=packet, packet_message=reply)
            await session.commit()
            handoff = await session.get(Handoff, opening.handoff_id) if opening else None
        return opening, conversation, handoff


@pytest.fixture
async def desk(unit_database_url: str) -> AsyncIterator[Desk]:
    engine = create_engine(unit_database_url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {HUB_TABLES} RESTART IDENTITY CASCADE"))
    redis = aioredis.Redis.from_url(QUEUE_REDIS_TEST_URL, decode_responses=True)
    await redis.flushdb()
    yield Desk(create_sessionmaker(engine), redis, ManualClock(TUESDAY_MORNING))
    await redis.aclose()
    await engine.dispose()


def packet(**fields: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "reason": "customer_request",
        "skill": "general",
        "priority": "normal",
        "journey_stage": "intent:request_human",
        "language": "zh",
        **fields,
    }


async def test_after_hours_the_customer_hears_when_agents_are_back(desk: Desk) -> None:
    desk.clock.set(SATURDAY_NIGHT)
    await desk.agent_online("a1", ("general",))  # someone signed in at night changes nothing: the desk is closed

    opening, conversation, handoff = await desk.packet_arrives(packet())

    assert opening is not None and not opening.queued
    assert conversation.mode == "bot"
    assert handoff is not None and handoff.status == "not_queued" and handoff.outcome == "after_hours"
    assert handoff.agents_back_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
    told = opening.messages[0]
    assert told.sender == "system" and "12月7日（周一）09:00" in told.text
    assert told.buttons == [{"title": "请客户经理联系我", "payload": "/request_callback"}]
    assert told.custom == {
        "handoff_unavailable": {
            "reason": "after_hours",
            "skill": "general",
            "agents_back_at": "2026-12-07T09:00:00+08:00",
        }
    }


async def test_after_hours_in_english(desk: Desk) -> None:
    desk.clock.set(dt.datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI))
    opening, _, _ = await desk.packet_arrives(packet(language="en"))
    assert opening is not None
    assert "They are back tomorrow at 09:00 (Beijing time)." in opening.messages[0].text


async def test_fraud_is_taken_at_night(desk: Desk) -> None:
    desk.clock.set(SATURDAY_NIGHT)
    await desk.agent_online("s1", ("security",))

    opening, conversation, handoff = await desk.packet_arrives(
        packet(reason="fraud_report", skill="security", priority="urgent")
    )

    assert opening is not None and opening.queued and conversation.mode == "queued"
    assert handoff is not None and handoff.status == "queued" and handoff.priority == "urgent"
    status = await desk.service.finish_opening(opening)
    assert status is not None and status.position == 1
    assert (await desk.queue.chat(conversation.id)).state == "offered"  # type: ignore[union-attr]


async def test_nobody_online_is_said_plainly(desk: Desk) -> None:
    opening, conversation, handoff = await desk.packet_arrives(packet())
    assert opening is not None and not opening.queued and conversation.mode == "bot"
    assert handoff is not None and handoff.outcome == "no_agent"
    assert "暂时没有可以接待的综合业务人工客服" in opening.messages[0].text


async def test_a_wait_past_the_maximum_is_not_promised(desk: Desk) -> None:
    await desk.agent_online("a1", ("general",), capacity=1)
    for n in range(4):  # the one agent busy with the first, three customers waiting
        await desk.queue.enqueue(
            conversation_id=f"ahead{n}", skill="general", priority="normal", since_ms=n, handoff_id=0, language="zh"
        )
    await desk.service.dispatch_all()

    opening, _, handoff = await desk.packet_arrives(packet())

    # 3 waiting before it, no free place, 300 s per chat, capacity 1: about 20 minutes > 15.
    assert opening is not None and not opening.queued
    assert handoff is not None and handoff.outcome == "wait_too_long"
    assert "约20分钟" in opening.messages[0].text


async def test_priority_puts_a_complaint_ahead_of_earlier_requests(desk: Desk) -> None:
    await desk.agent_online("a1", ("general", "complaints"), capacity=1)
    await desk.queue.enqueue(
        conversation_id="busy", skill="general", priority="normal", since_ms=0, handoff_id=0, language="zh"
    )
    await desk.service.dispatch_all()  # the agent is busy with an earlier chat
    first, _, _ = await desk.packet_arrives(packet())
    desk.clock.advance(60)
    await desk.queue.heartbeat(agent_id="a1")
    later, _, _ = await desk.packet_arrives(packet(reason="complaint", skill="complaints", priority="high"))
    assert first is not None and later is not None and first.queued and later.queued
    await desk.service.finish_opening(first)
    await desk.service.finish_opening(later)
    await desk.queue.release(conversation_id="busy", only_if_queued=False)

    offer = await desk.queue.dispatch()

    assert offer is not None and offer.conversation_id == later.conversation_id


async def test_account_manager_packets_are_offered_a_service_request_at_any_hour(desk: Desk) -> None:
    await desk.agent_online("a1", ("lending",))
    opening, conversation, handoff = await desk.packet_arrives(
        packet(
            reason="amount_above_online_limit", skill="account_manager", journey_stage="loan_application_form:submit"
        )
    )
    assert opening is not None and not opening.queued and conversation.mode == "bot"
    assert handoff is not None and handoff.outcome == "account_manager" and handoff.requested_skill == "account_manager"
    [told] = opening.messages
    assert told.text.startswith("这项业务由客户经理为您办理")
    assert told.buttons == [{"title": "请客户经理联系我", "payload": "/request_callback"}]


async def test_odd_packets_are_read_safely(desk: Desk) -> None:
    await desk.agent_online("a1", ("general",))
    opening, conversation, handoff = await desk.packet_arrives(
        packet(skill="astrology", priority="immediately!!", language="fr", reason=None)
    )
    assert opening is not None and opening.queued
    assert handoff is not None and (handoff.skill, handoff.priority, handoff.reason) == (
        "general",
        "normal",
        "customer_request",
    )
    assert conversation.language == "zh"


async def test_a_second_packet_while_queued_changes_nothing(desk: Desk) -> None:
    await desk.agent_online("a1", ("general",))
    first, conversation, _ = await desk.packet_arrives(packet())
    assert first is not None
    async with desk.sessions() as session:
        current = await session.get(Conversation, conversation.id)
        assert current is not None and current.mode == "queued"
        reply = await crud.add_message(session, conversation_id=current.id, sender="bot", text="…")
        second = await desk.service.open(session, conversation=current, packet=packet(), packet_message=reply)
    assert second is None
