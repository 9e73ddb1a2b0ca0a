"""Service requests for account managers, in-process on a manual clock: created with its outbox message, numbered,
assigned to the customer's account manager (the real lending core says who), passed on when declined or not taken
in time, followed to the end with the customer told at each step, looked up without personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from businesshours import BANK_HOURS, BusinessHours
from handoff import agents, crud
from handoff.agents import StaffIdentity
from handoff.clock import SHANGHAI, ManualClock
from handoff.config import SKILLS, Settings
from handoff.db import create_engine, create_sessionmaker
from handoff.errors import Conflict, Forbidden
from handoff.lending import LendingCoreClient
from handoff.models import AuditEntry, Message, OutboxMessage, Role, ServiceRequest
from handoff.outbox import Relay
from handoff.requests import ServiceRequestService
from tests.conftest import HUB_TABLES, QUEUE_REDIS_TEST_URL, JourneyCore
from tests.utils.lending import TEST_API_KEY, reset_and_seed
from tests.utils.stack import TEST_PLATFORM_SECRET

TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
PUDONG = "上海浦东支行 Shanghai Pudong Branch"


def payload(**changes: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "kind": "callback",
        "contact_method": "call",
        "summary": "想把贷款额度提高到800万，需要客户经理介绍一下材料",
        "contact_window": {"start": "2026-12-01T14:00:00+08:00", "end": "2026-12-01T18:00:00+08:00"},
        "contact_mobile": "13800000001",
        "consent": True,
        "language": "zh",
        "customer": {"customer_id": "C1001", "verified_by": "bank_token"},
        "reason": "after_hours",
        "journey_stage": "intent:request_callback",
        "slots": {},
        "annual_review_due": None,
        **changes,
    }


class Desk:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis, core_url: str, http: httpx.AsyncClient
    ):
        self.sessions = sessions
        self.redis = redis
        self.clock = ManualClock(TUESDAY_10)
        settings = Settings(
            environment="development", service_request_accept_minutes=120, platform_webhook_secret=TEST_PLATFORM_SECRET
        )
        self.relay = Relay(settings=settings, sessions=sessions, redis=redis, clock=self.clock, http=http)
        self.service = ServiceRequestService(
            settings=settings,
            sessions=sessions,
            redis=redis,
            clock=self.clock,
            hours=BusinessHours.from_file(BANK_HOURS),
            lending=LendingCoreClient(base_url=core_url, api_key=TEST_API_KEY, http=http),
            relay=self.relay,
        )
        self.managers: dict[str, StaffIdentity] = {}

    async def add_manager(self, username: str, name: str, external_id: str, branch: str) -> StaffIdentity:
        async with self.sessions() as session:
            user = await agents.create_user(
                session,
                username=username,
                display_name=name,
                password="a-long-password",
                role=Role.ACCOUNT_MANAGER,
                skills=["account_manager"],
                max_chats=3,
                known_skills=SKILLS,
                external_id=external_id,
                branch=branch,
            )
            await session.commit()
            self.managers[username] = StaffIdentity.of(user)
        return self.managers[username]

    async def customer_asks(
        self, raw: dict[str, Any], *, customer_id: str | None = "C1001"
    ) -> tuple[ServiceRequest | None, list[Message]]:
        """What the conversation flow does with a reply that carries the payload."""
        async with self.sessions() as session:
            conversation, _ = await crud.create_conversation(
                session, channel="web", language="zh", customer_id=customer_id, verified_by="bank_token"
            )
            await session.commit()
        prep = await self.service.prepare(conversation=conversation, raw=raw)
        if prep is None:
            return None, []
        async with self.sessions() as session:
            reply = await crud.add_message(
                session, conversation_id=conversation.id, sender="bot", text="好的", custom={"service_request": raw}
            )
            request, messages = await self.service.create(session, conversation=conversation, prep=prep, reply=reply)
            await session.commit()
        return request, messages

    async def transcript(self, conversation_id: str) -> list[Message]:
        async with self.sessions() as session:
            return list(await crud.list_messages_after(session, conversation_id=conversation_id, after_seq=0))

    async def request(self, number: str) -> ServiceRequest:
        async with self.sessions() as session:
            found = (await session.execute(select(ServiceRequest).where(ServiceRequest.number == number))).scalar_one()
        return found


@pytest.fixture
async def desk(unit_database_url: str, journey_core: JourneyCore) -> AsyncIterator[Desk]:
    await reset_and_seed(journey_core.settings, today_is_real=True)
    engine = create_engine(unit_database_url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {HUB_TABLES} RESTART IDENTITY CASCADE"))
    redis = aioredis.Redis.from_url(QUEUE_REDIS_TEST_URL, decode_responses=True)
    await redis.flushdb()
    async with httpx.AsyncClient() as http:
        desk = Desk(create_sessionmaker(engine), redis, journey_core.url, http)
        await desk.add_manager("wangfang", "王芳 Wang Fang", "AM001", PUDONG)
        await desk.add_manager("liqiang", "李强 Li Qiang", "AM002", PUDONG)
        await desk.add_manager("zhoumin", "周敏 Zhou Min", "AM301", "苏州分行 Suzhou Branch")
        yield desk
    await redis.aclose()
    await engine.dispose()


# ---- created ------------------------------------------------------------------------------------------------


async def test_a_request_goes_to_the_customers_own_account_manager_with_its_webhook(desk: Desk) -> None:
    request, messages = await desk.customer_asks(payload())

    assert request is not None and request.number == "SR2612010001"
    assert request.account_manager_id == desk.managers["wangfang"].id and request.branch == PUDONG
    assert request.contact_mobile == "13800000001"  # in full, for the account manager
    assert request.accept_by == TUESDAY_10 + dt.timedelta(hours=2)  # two working hours
    [told] = messages
    assert told.sender == "system" and "SR2612010001" in told.text and "王芳 Wang Fang" in told.text
    assert "今天 14:00-18:00" in told.text and "尾号0001" in told.text
    transcript = await desk.transcript(request.conversation_id)
    stored_reply = next(m for m in transcript if m.sender == "bot")
    assert stored_reply.custom is not None
    assert stored_reply.custom["service_request"]["contact_mobile"] == "138****0001"  # the transcript is masked
    async with desk.sessions() as session:
        [webhook] = (await session.execute(select(OutboxMessage))).scalars().all()
    assert webhook.event_type == "service_request.created" and webhook.request_id == request.id
    data = webhook.payload["data"]
    assert webhook.payload["version"] == 1 and webhook.payload["id"] == webhook.id
    assert data["number"] == "SR2612010001" and data["contact_mobile"] == "13800000001"
    assert data["account_manager"]["id"] == "AM001" and data["contact_window"]["start"] == "2026-12-01T14:00:00+08:00"


async def test_numbers_follow_each_other_and_survive_a_redis_that_lost_its_data(desk: Desk) -> None:
    first, _ = await desk.customer_asks(payload())
    second, _ = await desk.customer_asks(payload())
    await desk.redis.flushdb()
    third, _ = await desk.customer_asks(payload())
    desk.clock.advance(86_400)
    next_day, _ = await desk.customer_asks(payload())

    numbers = [r.number for r in (first, second, third, next_day) if r is not None]
    assert numbers == ["SR2612010001", "SR2612010002", "SR2612010003", "SR2612020001"]


async def test_a_customer_the_core_does_not_know_goes_round_the_account_managers(desk: Desk) -> None:
    one, _ = await desk.customer_asks(payload(customer={"customer_id": None}), customer_id=None)
    two, _ = await desk.customer_asks(payload(customer={"customer_id": None}), customer_id=None)
    assert one is not None and two is not None
    assert one.account_manager_id != two.account_manager_id


@pytest.mark.parametrize(
    "bad",
    [
        {"consent": False},
        {"contact_mobile": "12345"},
        {"contact_window": {"start": "2026-12-01T18:00:00+08:00", "end": "2026-12-01T14:00:00+08:00"}},
        {"kind": "lottery"},
        {"version": 2},
        {"summary": ""},
    ],
)
async def test_a_payload_that_cannot_be_a_request_is_refused(desk: Desk, bad: dict[str, Any]) -> None:
    request, _ = await desk.customer_asks(payload(**bad))
    assert request is None


# ---- followed to the end ------------------------------------------------------------------------------------


async def test_accepted_scheduled_done_and_the_customer_told_each_time(desk: Desk) -> None:
    request, _ = await desk.customer_asks(payload())
    assert request is not None
    wang = desk.managers["wangfang"]

    await desk.service.accept(staff=wang, number=request.number)
    visit = dt.datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    await desk.service.schedule(staff=wang, number=request.number, method="visit", at=visit, note="带上财报")
    await desk.service.finish(staff=wang, number=request.number, note="已提交提额申请")

    told = [m.text for m in await desk.transcript(request.conversation_id) if m.sender == "system"][1:]
    assert told == [
        "客户经理王芳 Wang Fang已受理您的服务请求SR2612010001。",
        "客户经理王芳 Wang Fang已安排在明天 10:00上门拜访（服务请求SR2612010001）。",
        "您的服务请求SR2612010001已办结，感谢您的耐心。如还有需要，欢迎随时联系我们。",
    ]
    assert (await desk.request(request.number)).state == "done"


async def test_only_its_account_manager_works_on_a_request(desk: Desk) -> None:
    request, _ = await desk.customer_asks(payload())
    assert request is not None
    with pytest.raises(Forbidden):
        await desk.service.accept(staff=desk.managers["liqiang"], number=request.number)
    with pytest.raises(Conflict):
        await desk.service.finish(staff=desk.managers["wangfang"], number=request.number, note="")


async def test_declined_it_goes_to_the_branch_then_anyone_then_nobody(desk: Desk) -> None:
    request, _ = await desk.customer_asks(payload())
    assert request is not None

    await desk.service.decline(staff=desk.managers["wangfang"], number=request.number, reason="休假")
    assert (await desk.request(request.number)).account_manager_id == desk.managers["liqiang"].id
    await desk.service.decline(staff=desk.managers["liqiang"], number=request.number, reason="客户不在我片区")
    assert (await desk.request(request.number)).account_manager_id == desk.managers["zhoumin"].id
    await desk.service.decline(staff=desk.managers["zhoumin"], number=request.number, reason="外地")

    last = await desk.request(request.number)
    assert last.account_manager_id is None and last.state == "submitted"  # for supervisors to place
    async with desk.sessions() as session:
        webhooks = (await session.execute(select(OutboxMessage.event_type))).scalars().all()
    assert sorted(webhooks) == ["service_request.created", "service_request.reassigned", "service_request.reassigned"]


async def test_not_accepted_in_time_it_moves_on(desk: Desk) -> None:
    request, _ = await desk.customer_asks(payload())
    assert request is not None
    desk.clock.advance(60 * 60)
    assert await desk.service.sweep_overdue() == 0

    desk.clock.advance(61 * 60)  # past 12:00, the two working hours
    assert await desk.service.sweep_overdue() == 1

    moved = await desk.request(request.number)
    assert moved.account_manager_id == desk.managers["liqiang"].id
    assert moved.accept_by == dt.datetime(2026, 12, 1, 15, 30, tzinfo=SHANGHAI)  # 2 h from 13:30 (lunch from 12:00)


# ---- looked up, and seen ----------------------------------------------------------------------------------


async def test_the_status_by_number_shows_no_personal_data(desk: Desk) -> None:
    request, _ = await desk.customer_asks(payload())
    assert request is not None
    await desk.service.accept(staff=desk.managers["wangfang"], number=request.number)
    async with desk.sessions() as session:
        stranger, _ = await crud.create_conversation(
            session, channel="web", language="en", customer_id=None, verified_by=None
        )
        [by_number] = await desk.service.answer_lookup(
            session, conversation=stranger, raw={"version": 1, "number": request.number, "language": "en"}
        )
        [unknown] = await desk.service.answer_lookup(
            session, conversation=stranger, raw={"version": 1, "number": "SR2612019999", "language": "en"}
        )
        await session.commit()

    assert (
        by_number.text == "SR2612010001 (call back): accepted by the account manager; account manager 王芳 Wang Fang."
    )
    assert "1380000" not in by_number.text
    assert unknown.text.startswith("There is no request numbered SR2612019999")


async def test_a_verified_customer_hears_about_their_requests_without_a_number(desk: Desk) -> None:
    await desk.customer_asks(payload())
    await desk.customer_asks(payload(kind="annual_review", contact_method="visit"))
    async with desk.sessions() as session:
        conversation, _ = await crud.create_conversation(
            session, channel="web", language="zh", customer_id="C1001", verified_by="bank_token"
        )
        [answer] = await desk.service.answer_lookup(session, conversation=conversation, raw={"version": 1})
    assert answer.text.splitlines() == [
        "您的服务请求：",
        "SR2612010002（额度年审）：已提交，等待客户经理受理，客户经理王芳 Wang Fang。",
        "SR2612010001（客户经理回电）：已提交，等待客户经理受理，客户经理王芳 Wang Fang。",
    ]


async def test_personal_data_in_full_only_for_its_own_account_manager_and_audited(desk: Desk) -> None:
    request, _ = await desk.customer_asks(payload(summary="请打13800000001找我"))
    assert request is not None
    supervisor = StaffIdentity(
        id="sup", username="boss", display_name="Boss", role=Role.SUPERVISOR, skills=(), max_chats=1
    )

    own = await desk.service.detail(staff=desk.managers["wangfang"], number=request.number)
    overseen = await desk.service.detail(staff=supervisor, number=request.number)
    with pytest.raises(Forbidden):
        await desk.service.detail(staff=desk.managers["liqiang"], number=request.number)

    assert own["unmasked"] and own["contact_mobile"] == "13800000001"
    assert not overseen["unmasked"] and overseen["contact_mobile"] == "138****0001"
    async with desk.sessions() as session:
        audit = (await session.execute(select(AuditEntry))).scalars().all()
    assert [(a.staff_id, a.action, a.subject) for a in audit] == [
        (desk.managers["wangfang"].id, "view_unmasked", request.number)
    ]
