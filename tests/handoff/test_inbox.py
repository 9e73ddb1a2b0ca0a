"""The account-manager side through a real hub process: the relay delivers a new request to the hub's own platform
(signed), the account manager hears of it live, works it in the inbox API and the customer is told; the platform
endpoints check signatures and deduplicate; supervisors see dead webhooks and send them again."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from businesshours import AROUND_THE_CLOCK, BusinessHours
from handoff import crud, webhooks
from handoff.clock import SHANGHAI, SystemClock
from handoff.config import Settings
from handoff.db import create_engine, create_sessionmaker
from handoff.lending import LendingCoreClient
from handoff.outbox import Relay
from handoff.requests import ServiceRequestService
from tests.conftest import JourneyCore, _libpq
from tests.handoff.test_service_requests import PUDONG, payload
from tests.utils.customers import Customer
from tests.utils.lending import TEST_API_KEY, reset_and_seed
from tests.utils.services import Service
from tests.utils.stack import TEST_PLATFORM_SECRET
from tests.utils.staff import ConsoleClient, create_staff, signed_in


class Requests:
    """Service requests created the way the conversation flow creates them, in the hub's own database."""

    def __init__(self, service: ServiceRequestService, sessions: Any, http: httpx.AsyncClient, hub: Service):
        self.service = service
        self.sessions = sessions
        self.http = http
        self.hub = hub

    async def new(self, **changes: Any) -> tuple[str, Customer]:
        raw = payload(
            contact_window={  # tomorrow morning, the window "明天上午" picks: the same day at any hour the test runs
                "start": tomorrow_at(9).isoformat(),
                "end": tomorrow_at(12).isoformat(),
            },
            **changes,
        )
        async with self.sessions() as session:
            conversation, token = await crud.create_conversation(
                session, channel="web", language="zh", customer_id="C1001", verified_by="bank_token"
            )
            await session.commit()
        prep = await self.service.prepare(conversation=conversation, raw=raw)
        assert prep is not None
        async with self.sessions() as session:
            reply = await crud.add_message(
                session, conversation_id=conversation.id, sender="bot", text="好的", custom={"service_request": raw}
            )
            request, _ = await self.service.create(session, conversation=conversation, prep=prep, reply=reply)
            await session.commit()
        customer = Customer(
            httpx.AsyncClient(base_url=self.hub.url, timeout=30),
            {"conversation_id": conversation.id, "resume_token": token},
        )
        return request.number, customer


@pytest.fixture
async def requests(
    hub: Service, hub_database_url: str, redis_url: str, journey_core: JourneyCore, clean_hub_state: None
) -> AsyncIterator[Requests]:
    await reset_and_seed(journey_core.settings, today_is_real=True)
    engine = create_engine(hub_database_url)
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    sessions = create_sessionmaker(engine)
    settings = Settings(environment="development", platform_webhook_secret=TEST_PLATFORM_SECRET)
    clock = SystemClock()
    async with httpx.AsyncClient() as http:
        relay = Relay(
            settings=settings, sessions=sessions, redis=redis, clock=clock, http=http
        )  # the hub's relays send
        service = ServiceRequestService(
            settings=settings,
            sessions=sessions,
            redis=redis,
            clock=clock,
            hours=BusinessHours.from_file(AROUND_THE_CLOCK),
            lending=LendingCoreClient(base_url=journey_core.url, api_key=TEST_API_KEY, http=http),
            relay=relay,
        )
        yield Requests(service, sessions, http, hub)
    await redis.aclose()
    await engine.dispose()


@pytest.fixture
async def wang(hub_database_url: str, clean_hub_state: None) -> str:
    return await create_staff(
        hub_database_url,
        "wangfang",
        role="account_manager",
        skills=("account_manager",),
        display_name="王芳 Wang Fang",
        external_id="AM001",
        branch=PUDONG,
    )


async def until(check: Any, what: str, seconds: float = 15) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.2)


async def test_a_request_reaches_its_account_manager_who_works_it_and_the_customer_hears(
    hub: Service, requests: Requests, wang: str, hub_database_url: str
) -> None:
    async with signed_in(hub.url, "wangfang", online=False) as manager:
        number, customer = await requests.new()
        pushed = await manager.next_event("service_request", number=number)

        async def delivered() -> dict[str, Any] | None:
            listing = (await manager.get("/api/inbox/requests")).json()["requests"]
            return next((r for r in listing if r["number"] == number and r["delivered"]), None)

        listed = await until(delivered, "the webhook delivered to the hub's own platform")
        detail = (await manager.get(f"/api/inbox/requests/{number}")).json()
        accepted = await manager.post(f"/api/inbox/requests/{number}/accept")
        visit = tomorrow_at(10)
        scheduled = await manager.post(
            f"/api/inbox/requests/{number}/schedule",
            {"contact_method": "visit", "at": visit.isoformat(), "note": "带上近三个月流水"},
        )
        noted = await manager.post(f"/api/inbox/requests/{number}/notes", {"note": "客户希望下午"})
        finished = await manager.post(f"/api/inbox/requests/{number}/done", {"note": "已办结"})

    assert pushed["new"] is True
    assert listed["contact_mobile"] == "138****0001" and listed["account_manager"] == "王芳 Wang Fang"
    assert detail["unmasked"] is True and detail["contact_mobile"] == "13800000001"
    assert [e["kind"] for e in detail["events"]] == ["created"]
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert scheduled.status_code == 200 and scheduled.json()["state"] == "scheduled"
    assert noted.status_code == 200 and finished.json()["state"] == "done"
    told = [m["text"] for m in await customer.transcript() if m["sender"] == "system"]
    assert told[0].startswith(f"您的服务请求已提交，编号{number}")
    assert told[1:] == [
        f"客户经理王芳 Wang Fang已受理您的服务请求{number}。",
        f"客户经理王芳 Wang Fang已安排在明天 10:00上门拜访（服务请求{number}）。",
        f"您的服务请求{number}已办结，感谢您的耐心。如还有需要，欢迎随时联系我们。",
    ]
    await customer.http.aclose()
    with psycopg.connect(_libpq(hub_database_url)) as conn:
        audit = conn.execute("SELECT action, subject FROM audit_log").fetchall()
        events = [r[0] for r in conn.execute("SELECT kind FROM service_request_events ORDER BY id").fetchall()]
    assert audit == [("view_unmasked", number)]
    assert events == ["created", "accepted", "scheduled", "note", "done"]


async def test_the_inbox_is_for_account_managers_and_supervisors(
    hub: Service, requests: Requests, wang: str, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "agentli", skills=("general",))
    await create_staff(hub_database_url, "boss", role="supervisor", skills=("general",))
    number, customer = await requests.new()
    await customer.http.aclose()
    agent, boss = ConsoleClient(hub.url), ConsoleClient(hub.url)
    try:
        await agent.sign_in("agentli")
        await boss.sign_in("boss")
        refused = await agent.get("/api/inbox/requests")
        overseen = (await boss.get(f"/api/inbox/requests/{number}")).json()
        not_his = await boss.post(f"/api/inbox/requests/{number}/accept")
        no_csrf = await boss.http.post(f"/api/inbox/requests/{number}/accept")
    finally:
        await agent.close()
        await boss.close()
    assert refused.status_code == 403
    assert overseen["unmasked"] is False and overseen["contact_mobile"] == "138****0001"
    assert not_his.status_code == 200  # a supervisor may act for an account manager
    assert no_csrf.status_code == 403


def tomorrow_at(hour: int) -> dt.datetime:
    """``hour``:00 tomorrow, Beijing time."""
    tomorrow = dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)
    return tomorrow.replace(hour=hour, minute=0, second=0, microsecond=0)


def signed(body: str, *, secret: str = TEST_PLATFORM_SECRET, message_id: str | None = None) -> dict[str, str]:
    return webhooks.signed_headers(secret=secret, message_id=message_id or f"msg_{uuid.uuid4().hex}", body=body)


async def test_the_hubs_own_platform_checks_signatures_and_processes_each_webhook_once(
    hub: Service, hub_client: httpx.AsyncClient
) -> None:
    body = webhooks.dumps({"type": "service_request.created", "version": 1, "data": {"number": "SR2612019999"}})
    headers = signed(body)
    url = "/api/platform/v1/webhook"

    first = await hub_client.post(url, content=body, headers=headers)
    again = await hub_client.post(url, content=body, headers=headers)
    forged = await hub_client.post(url, content=body, headers=signed(body, secret="whsec_" + "A" * 44))
    tampered = await hub_client.post(url, content=body.replace("9999", "9998"), headers=signed(body))
    unsigned = await hub_client.post(url, content=body, headers={"content-type": "application/json"})

    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    for refused in (forged, tampered, unsigned):
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_signature"


async def test_an_external_platform_reports_what_its_account_manager_did(
    hub: Service, hub_client: httpx.AsyncClient, requests: Requests, wang: str
) -> None:
    number, customer = await requests.new()
    body = webhooks.dumps(
        {"type": "service_request.accepted", "version": 1, "data": {"account_manager_id": "AM001", "note": ""}}
    )
    url = f"/api/platform/v1/requests/{number}/events"

    accepted = await hub_client.post(url, content=body, headers=signed(body))
    unknown = await hub_client.post(
        url,
        content=body.replace("AM001", "AM999"),
        headers=signed(body.replace("AM001", "AM999")),
    )

    assert accepted.status_code == 204, accepted.text
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "account_manager_unknown"
    told = [m["text"] for m in await customer.transcript() if m["sender"] == "system"]
    assert told[-1] == f"客户经理王芳 Wang Fang已受理您的服务请求{number}。"
    await customer.http.aclose()


async def test_a_supervisor_sees_a_dead_webhook_and_sends_it_again(
    hub: Service, hub_database_url: str, requests: Requests, wang: str
) -> None:
    await create_staff(hub_database_url, "boss", role="supervisor", skills=("general",))
    number, customer = await requests.new()
    await customer.http.aclose()
    with psycopg.connect(_libpq(hub_database_url), autocommit=True) as conn:
        # As if the platform had refused it every time: dead, and the request never delivered.
        conn.execute("UPDATE outbox SET dead_at = now(), attempts = 4, last_error = 'HTTP 500', delivered_at = NULL")
        conn.execute("UPDATE service_requests SET delivered_at = NULL")

    async with signed_in(hub.url, "boss", online=False) as boss:
        dead = (await boss.get("/api/console/outbox", state="dead")).json()["messages"]
        retried = await boss.post(f"/api/console/outbox/{dead[0]['id']}/retry")

        async def delivered() -> bool:
            return (
                not (await boss.get("/api/console/outbox", state="dead")).json()["messages"]
                and not (await boss.get("/api/console/outbox", state="pending")).json()["messages"]
            )

        await until(delivered, "the retried webhook delivered")

    assert [(m["number"], m["attempts"], m["last_error"]) for m in dead] == [(number, 4, "HTTP 500")]
    assert retried.status_code == 204
