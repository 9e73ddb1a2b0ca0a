"""Service requests through create -> outbox -> delivered, and the time from the customer's confirmation to the
platform receiving the signed webhook.

Two measurements:
  * pipeline (default): the hub's own code, in this process, against a real database and Redis: N requests
    arriving at a steady rate (--rate; 0 for as fast as possible, which measures the throughput) with at most C
    at a time, created exactly as the conversation flow creates them (the request row, its event, its
    outbox message and the customer's answer in one transaction; the account manager looked up in the lending
    core first), while R relays (as R hub processes would run) deliver to a receiver on loopback that checks
    every signature and deduplicates by webhook id. Prints requests per second created and delivered, and
    p50/p95/p99 from the commit of the request to its webhook at the receiver.
  * --through-hub: customers on a running system (`make run`) ask for a call back in words and answer the
    assistant's form to the confirmation; from the customer's "确认" to the hub's own platform marking the
    request delivered (read from the hub's database). Paced by the one Rasa process.

    .venv/bin/python bench/service_requests.py [--requests 2000 --rate 10 --concurrency 20 --relays 2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/hub_bench --redis-url redis://127.0.0.1:6379/5]
    .venv/bin/python bench/service_requests.py --through-hub [--customers 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from common import local_only, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "whsec_YmVuY2gtcGxhdGZvcm0td2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc="


async def ensure_account_manager(sessions: Any) -> None:
    """AM001, who looks after the lending core's demo customers (the benchmark's requests go to them)."""
    from handoff import agents
    from handoff.config import SKILLS
    from handoff.models import Role

    async with sessions() as session:
        if await agents.get_user_by_username(session, username="bench-manager") is None:
            await agents.create_user(
                session,
                username="bench-manager",
                display_name="Bench Manager",
                password="bench-manager-password",
                role=Role.ACCOUNT_MANAGER,
                skills=["account_manager"],
                max_chats=3,
                known_skills=SKILLS,
                external_id="AM001",
                branch="上海浦东支行 Shanghai Pudong Branch",
            )
            await session.commit()


async def pipeline(args: argparse.Namespace) -> None:
    import redis.asyncio as aioredis
    from sqlalchemy import text

    from businesshours import AROUND_THE_CLOCK, BusinessHours
    from handoff import crud
    from handoff.clock import SHANGHAI, SystemClock
    from handoff.config import Settings
    from handoff.db import create_engine, create_sessionmaker
    from handoff.lending import LendingCoreClient
    from handoff.outbox import Relay
    from handoff.requests import ServiceRequestService
    from tests.utils.platform import running_platform

    engine = create_engine(args.database_url)
    sessions = create_sessionmaker(engine)
    redis = aioredis.Redis.from_url(args.redis_url, decode_responses=True)
    clock = SystemClock()
    await ensure_account_manager(sessions)
    async with running_platform(SECRET) as platform, httpx.AsyncClient() as http:
        received_at = platform.first_received_at
        settings = Settings(
            environment="development",
            database_url=args.database_url,
            platform_webhook_url=platform.url,
            platform_webhook_secret=SECRET,
            relay_poll_seconds=0.05,
        )
        relays = [
            Relay(settings=settings, sessions=sessions, redis=redis, clock=clock, http=http) for _ in range(args.relays)
        ]
        service = ServiceRequestService(
            settings=settings,
            sessions=sessions,
            redis=redis,
            clock=clock,
            hours=BusinessHours.from_file(AROUND_THE_CLOCK),
            lending=LendingCoreClient(base_url=args.lending_core_url, api_key=args.lending_core_api_key, http=http),
            relay=relays[0],
        )
        committed_at: dict[str, float] = {}
        message_of: dict[str, str] = {}
        window_start = dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)
        raw = {
            "version": 1,
            "kind": "callback",
            "contact_method": "call",
            "summary": "benchmark: call me back about a larger line",
            "contact_window": {
                "start": window_start.isoformat(),
                "end": (window_start + dt.timedelta(hours=3)).isoformat(),
            },
            "contact_mobile": "13800000001",
            "consent": True,
            "language": "zh",
            "customer": {"customer_id": "C1001", "verified_by": "bank_token"},
            "reason": "benchmark",
        }
        gate = asyncio.Semaphore(args.concurrency)

        async def one(n: int) -> None:
            if args.rate:
                await asyncio.sleep(n / args.rate)  # arrivals at a steady rate, as customers confirm
            async with gate:
                async with sessions() as session:
                    conversation, _ = await crud.create_conversation(
                        session, channel="web", language="zh", customer_id="C1001", verified_by="bank_token"
                    )
                    await session.commit()
                prep = await service.prepare(conversation=conversation, raw=raw)
                assert prep is not None
                async with sessions() as session:
                    reply = await crud.add_message(
                        session,
                        conversation_id=conversation.id,
                        sender="bot",
                        text="ok",
                        custom={"service_request": raw},
                    )
                    request, _ = await service.create(session, conversation=conversation, prep=prep, reply=reply)
                    await session.commit()
                    found = await session.execute(
                        text("SELECT id FROM outbox WHERE request_id = :r"), {"r": request.id}
                    )
                    message_id = str(found.scalar_one())
                committed_at[message_id] = time.perf_counter()
                message_of[request.number] = message_id
                for relay in relays:
                    relay.wake()

        workers = [asyncio.create_task(relay.run_forever()) for relay in relays]
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(args.requests)))
        created_seconds = time.perf_counter() - started
        deadline = time.perf_counter() + 120
        while len(received_at.keys() & committed_at.keys()) < len(committed_at) and time.perf_counter() < deadline:  # noqa: ASYNC110 (polling the receiver)
            await asyncio.sleep(0.05)
        delivered_seconds = time.perf_counter() - started
        for worker in workers:
            worker.cancel()
        latencies = [(received_at[m] - committed_at[m]) * 1000 for m in committed_at if m in received_at]
        duplicates = len(platform.received) - len(platform.processed)
    await redis.aclose()
    await engine.dispose()

    pace = f"arriving at {args.rate:g}/s" if args.rate else "as fast as they can be created"
    print(
        f"Service requests, pipeline: {args.requests} {pace} ({args.concurrency} at a time at most), {args.relays} "
        f"relays, database {args.database_url.split('://')[0]}; all in this one process, the receiver on loopback "
        "checking every signature"
    )
    print(f"  created:   {args.requests / created_seconds:7.1f} requests/s ({created_seconds:.1f} s)")
    print(
        f"  delivered: {len(latencies) / delivered_seconds:7.1f} requests/s, {len(latencies)} of {args.requests}"
        f" ({delivered_seconds:.1f} s); sent twice: {duplicates}; refused signatures: {platform.refused}"
    )
    if latencies:
        p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
        print(f"  commit -> webhook received: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f} ms")


async def through_hub(args: argparse.Namespace) -> None:
    hub = local_only(args.hub)
    from sqlalchemy import select

    from handoff.config import get_settings
    from handoff.db import create_engine, create_sessionmaker
    from handoff.models import Message, ServiceRequest

    # The form's questions in order: what is needed, the time (the first window offered, as its button sends it),
    # the mobile, the consent, the confirmation.
    first_window = "<the first window's button>"
    answers = [
        "请客户经理给我回个电话",
        "想咨询提高授信额度需要准备的材料",
        first_window,
        "13800000001",
        "同意",
        "确认",
    ]
    engine = create_engine(get_settings().database_url)
    sessions = create_sessionmaker(engine)
    latencies: list[float] = []
    relayed: list[float] = []  # the request stored (the assistant's answer to 确认) -> delivered
    failures: list[str] = []
    gate = asyncio.Semaphore(args.concurrency)

    async def customer(n: int) -> None:
        async with gate, httpx.AsyncClient(base_url=hub, timeout=60) as client:
            created = (await client.post("/api/v1/conversations", json={"channel": "web", "language": "zh"})).json()
            auth = {"Authorization": f"Bearer {created['resume_token']}"}
            url = f"/api/v1/conversations/{created['conversation_id']}/messages"
            number = None
            offered: list[str] = []
            for answer in answers:
                text = offered[0] if answer == first_window and offered else answer
                reply = (
                    await client.post(url, json={"client_msg_id": str(uuid.uuid4()), "text": text}, headers=auth)
                ).json()
                offered = [b["payload"] for m in reply.get("replies", []) for b in m.get("buttons") or []]
                for message in reply.get("replies", []):
                    number = ((message.get("custom") or {}).get("service_request") or {}).get("number") or number
                if text == "确认":
                    confirmed_seq = reply["message"]["seq"]
            if number is None:
                failures.append(f"customer {n}: no request number")
                return
            for _ in range(200):
                async with sessions() as session:
                    request = (
                        await session.execute(select(ServiceRequest).where(ServiceRequest.number == number))
                    ).scalar_one()
                    confirm = (
                        await session.execute(
                            select(Message).where(
                                Message.conversation_id == created["conversation_id"], Message.seq == confirmed_seq
                            )
                        )
                    ).scalar_one()
                if request.delivered_at is not None:
                    latencies.append((request.delivered_at - confirm.created_at).total_seconds() * 1000)
                    relayed.append((request.delivered_at - request.created_at).total_seconds() * 1000)
                    return
                await asyncio.sleep(0.05)
            failures.append(f"{number}: not delivered")

    started = time.perf_counter()
    await asyncio.gather(*(customer(n) for n in range(args.customers)))
    seconds = time.perf_counter() - started
    await engine.dispose()
    print(
        f"Service requests through the hub {hub}: {args.customers} customers, {args.concurrency} at a time, each "
        f"answering the assistant's form ({len(answers)} messages) to the confirmation"
    )
    print(f"  {len(latencies)} delivered in {seconds:.1f} s ({len(latencies) / seconds:.2f} requests/s, paced by Rasa)")
    if latencies:
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        print(f"  the customer's 确认 -> delivered to the platform: p50 {p50:.0f}  p95 {p95:.0f} ms")
        r50, r95 = percentile(relayed, 50), percentile(relayed, 95)
        print(f"    of which the request stored -> delivered (the relay): p50 {r50:.0f}  p95 {r95:.0f} ms")
        print("    the rest is the assistant's turn for 确认, queued behind the other customers' turns in Rasa")
    if failures:
        print(f"  failures: {len(failures)}: {failures[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument("--rate", type=float, default=10.0, help="requests a second (0: as fast as possible)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///var/hub.db"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6390/0"))
    parser.add_argument("--lending-core-url", default="http://127.0.0.1:8100")
    parser.add_argument("--lending-core-api-key", default="dev-lending-core-key")
    parser.add_argument("--through-hub", action="store_true")
    parser.add_argument("--hub", default="http://127.0.0.1:8000")
    parser.add_argument("--customers", type=int, default=20)
    args = parser.parse_args()
    os.chdir(ROOT)
    asyncio.run(through_hub(args) if args.through_hub else pipeline(args))


if __name__ == "__main__":
    main()
