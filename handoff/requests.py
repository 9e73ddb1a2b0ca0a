"""Service requests for account managers: created from the assistant's payload, numbered, assigned, delivered,
and followed to the end.

- **Created with its outbox message in one transaction**, the transaction that stores the assistant's reply
  carrying the ``service_request`` payload (docs/contracts.md). What needs the network (the lending core's
  profile of the customer: who their account manager is) is asked first, outside the transaction.
- **Numbered** ``SR`` + yymmdd + a 4-digit number of the day (Asia/Shanghai), from a Redis counter started from
  the day's highest number in SQL, so a restarted Redis never hands out a number twice.
- **Assigned** to the customer's account manager (the lending core names them; the hub knows them by
  ``external_id``), else round-robin among the account managers of the customer's branch, else among all.
  Declined, or not accepted within ``SERVICE_REQUEST_ACCEPT_MINUTES`` of the account managers' working hours,
  it goes to the next one (a ``service_request.reassigned`` webhook); nobody left: unassigned, for supervisors.
- **Followed**: accepted, scheduled (a call or a visit at a time), done; each change is told to the customer in
  the conversation the request came from, in their language.

The contact number is kept in full only in the request row (and the webhook to the platform, where the account
manager calls from); the transcript's copy of the payload is masked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from businesshours import BusinessHours
from handoff import crud, realtime, system_texts
from handoff.agents import StaffIdentity
from handoff.clock import SHANGHAI, Clock
from handoff.config import Settings
from handoff.errors import Conflict, Forbidden, InvalidInput, NotFound
from handoff.leases import Lease
from handoff.lending import CustomerProfile, LendingCoreClient
from handoff.models import (
    AuditEntry,
    Conversation,
    Message,
    Role,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceRequestState,
    StaffUser,
)
from handoff.outbox import Relay, add_message
from handoff.redis_util import answer
from handoff.schemas import MessageEvent
from handoff.workspace import console_message, mask_values
from textkit.masking import mask_mobile, mask_text

logger = logging.getLogger(__name__)

SKILL = "account_manager"
OPEN_STATES = (ServiceRequestState.SUBMITTED, ServiceRequestState.ACCEPTED, ServiceRequestState.SCHEDULED)
# Start the day's counter at the day's highest number in SQL if Redis has none (a restarted Redis).
NEXT_NUMBER = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', 172800) end
return redis.call('INCR', KEYS[1])
"""


class RequestPayload(BaseModel):
    """The assistant's ``service_request`` payload, version 1 (what the hub relies on; the rest is kept as is)."""

    model_config = ConfigDict(extra="allow")

    version: int = Field(ge=1, le=1)
    kind: str = Field(pattern="^(callback|visit|annual_review|financing|renewal_review)$")
    contact_method: str = Field(default="call", pattern="^(call|visit)$")
    summary: str = Field(min_length=1, max_length=2000)
    contact_window: dict[str, dt.datetime]
    contact_mobile: str = Field(pattern=r"^1[3-9]\d{9}$")
    consent: bool
    language: str = "zh"
    reason: str = Field(default="customer_request", max_length=32)
    journey_stage: str | None = Field(default=None, max_length=64)

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise ValueError("no consent to be contacted")
        return value

    @field_validator("contact_window")
    @classmethod
    def _window(cls, value: dict[str, dt.datetime]) -> dict[str, dt.datetime]:
        start, end = value.get("start"), value.get("end")
        if start is None or end is None or start.tzinfo is None or end.tzinfo is None or not start < end:
            raise ValueError("contact_window needs an aware start before its end")
        return value


class RequestLookup(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: int = Field(ge=1, le=1)
    number: str | None = Field(default=None, pattern=r"^SR\d{10}$")
    language: str = "zh"


@dataclass(frozen=True)
class Preparation:
    """A payload read and its account manager chosen, before the transaction that stores it."""

    payload: RequestPayload
    raw: dict[str, Any]
    profile: CustomerProfile | None
    manager: StaffUser | None
    branch: str | None


class ServiceRequestService:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        clock: Clock,
        hours: BusinessHours,
        lending: LendingCoreClient,
        relay: Relay,
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.clock = clock
        self.hours = hours
        self.lending = lending
        self.relay = relay
        self._next_number = redis.register_script(NEXT_NUMBER)

    # ---- creating, from the assistant's payload -------------------------------------------------------------

    async def prepare(self, *, conversation: Conversation, raw: dict[str, Any]) -> Preparation | None:
        """Read the payload and choose the account manager (None: a payload that cannot be a request)."""
        try:
            payload = RequestPayload.model_validate(raw)
        except ValidationError as exc:
            logger.warning("conversation %s: a service_request payload refused: %s", conversation.id, exc.errors()[:2])
            return None
        customer_id = conversation.customer_id or (raw.get("customer") or {}).get("customer_id")
        profile = await self.lending.profile(str(customer_id)) if customer_id else None
        branch = profile.branch if profile else None
        async with self.sessions() as session:
            manager = await self._choose_manager(session, profile=profile, branch=branch, exclude=set())
        return Preparation(payload=payload, raw=raw, profile=profile, manager=manager, branch=branch)

    async def create(
        self, session: AsyncSession, *, conversation: Conversation, prep: Preparation, reply: Message | None
    ) -> tuple[ServiceRequest, list[Message]]:
        """In the caller's transaction: the request, its first event, its outbox message, the customer's answer;
        the stored reply's payload (if the assistant's reply carried it) keeps only the masked number."""
        payload, now = prep.payload, self.clock.now()
        number = await self._allocate_number(session, now)
        language = system_texts.lang(payload.language)
        request = ServiceRequest(
            number=number,
            conversation_id=conversation.id,
            customer_id=conversation.customer_id or (prep.profile.customer_id if prep.profile else None),
            kind=payload.kind,
            contact_method=payload.contact_method,
            summary=payload.summary.strip(),
            contact_window_start=payload.contact_window["start"],
            contact_window_end=payload.contact_window["end"],
            contact_mobile=payload.contact_mobile,
            language=language,
            channel=conversation.channel,
            reason=payload.reason,
            journey_stage=payload.journey_stage,
            details={**prep.raw, "contact_mobile": mask_mobile(payload.contact_mobile)},
            state=ServiceRequestState.SUBMITTED,
            branch=prep.branch or (prep.manager.branch if prep.manager else None),
            account_manager_id=prep.manager.id if prep.manager else None,
            passed_by=[],
            accept_by=self._accept_by(now),
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        await session.flush()
        session.add(ServiceRequestEvent(request_id=request.id, kind="created", staff_id=request.account_manager_id))
        add_message(
            session,
            event_type="service_request.created",
            data=self._webhook_data(request, prep.manager),
            request_id=request.id,
            now=now,
        )
        if reply is not None:
            reply.custom = {**(reply.custom or {}), "service_request": request.details}
        window = system_texts.window_text(request.contact_window_start, request.contact_window_end, language, now=now)
        text = system_texts.request_created(
            number,
            prep.manager.display_name if prep.manager else None,
            window,
            payload.contact_mobile[-4:],
            language,
        )
        message = await crud.add_message(
            session,
            conversation_id=conversation.id,
            sender="system",
            text=text,
            custom={"service_request": {"number": number, "state": request.state}},
        )
        logger.info(
            "service request %s created (kind=%s, manager=%s, branch=%s)",
            number,
            request.kind,
            request.account_manager_id,
            request.branch,
        )
        return request, [message]

    async def create_for_channel(
        self, *, conversation: Conversation, summary: str, reason: str, window_hours: int
    ) -> str | None:
        """A call-back request the hub raises itself (a channel could not deliver the replies): to the bound
        customer's registered mobile, in the account managers' next working hours. Its number, or None when the
        lending core does not know the customer's mobile now."""
        profile = await self.lending.profile(conversation.customer_id) if conversation.customer_id else None
        if profile is None:
            return None
        start = self.hours.next_open(SKILL, self.clock.now()) or self.clock.now()
        raw = {
            "version": 1,
            "kind": "callback",
            "contact_method": "call",
            "summary": summary,
            "contact_window": {
                "start": start.isoformat(),
                "end": (start + dt.timedelta(hours=window_hours)).isoformat(),
            },
            "contact_mobile": profile.mobile,
            "consent": True,  # the customer asked the bank; the call goes to the mobile they registered with it
            "language": conversation.language or "zh",
            "reason": reason,
            "customer": {"customer_id": conversation.customer_id, "verified_by": conversation.verified_by},
        }
        prep = await self.prepare(conversation=conversation, raw=raw)
        if prep is None:
            return None
        async with self.sessions() as session:
            request, _ = await self.create(session, conversation=conversation, prep=prep, reply=None)
            await session.commit()
            number = request.number
        await self.after_create(request)
        return number

    async def after_create(self, request: ServiceRequest) -> None:
        """After the commit: the relay sends the webhook now; the account manager's inbox hears of it live."""
        self.relay.wake()
        await self._tell_inboxes(request, new=True)

    def _accept_by(self, now: dt.datetime) -> dt.datetime:
        return self.hours.add_working_minutes(SKILL, now, self.settings.service_request_accept_minutes)

    async def _allocate_number(self, session: AsyncSession, now: dt.datetime) -> str:
        day = now.astimezone(SHANGHAI).strftime("%y%m%d")
        prefix = f"SR{day}"
        highest = await session.execute(
            select(ServiceRequest.number)
            .where(ServiceRequest.number.like(f"{prefix}%"))
            .order_by(ServiceRequest.number.desc())
            .limit(1)
        )
        last = highest.scalar_one_or_none()
        floor = int(last[-4:]) if last else 0
        try:
            sequence = int(await self._next_number(keys=[f"hub:sr:seq:{day}"], args=[floor]))
        except RedisError:
            sequence = floor + 1  # without Redis, the unique constraint still refuses a duplicate
        if sequence > 9999:
            raise Conflict("Too many service requests today.", code="request_numbers_exhausted")
        return f"{prefix}{sequence:04d}"

    async def _choose_manager(
        self, session: AsyncSession, *, profile: CustomerProfile | None, branch: str | None, exclude: set[str]
    ) -> StaffUser | None:
        managers = [
            m
            for m in (
                await session.execute(
                    select(StaffUser)
                    .where(StaffUser.role == Role.ACCOUNT_MANAGER, StaffUser.is_active.is_(True))
                    .order_by(StaffUser.id)
                )
            ).scalars()
            if m.id not in exclude
        ]
        if profile is not None:
            own = [m for m in managers if m.external_id == profile.account_manager_id]
            if own:
                return own[0]
        pool = [m for m in managers if branch and m.branch == branch] or managers
        if not pool:
            return None
        try:
            turn = int(await answer(self.redis.incr(f"hub:sr:rr:{branch or '*'}")))
        except RedisError:
            turn = int(self.clock.now().timestamp())
        return pool[turn % len(pool)]

    def _webhook_data(self, request: ServiceRequest, manager: StaffUser | None) -> dict[str, Any]:
        return {
            "number": request.number,
            "kind": request.kind,
            "contact_method": request.contact_method,
            "summary": request.summary,
            "contact_window": {
                "start": request.contact_window_start.astimezone(SHANGHAI).isoformat(),
                "end": request.contact_window_end.astimezone(SHANGHAI).isoformat(),
            },
            "contact_mobile": request.contact_mobile,
            "customer_id": request.customer_id,
            "branch": request.branch,
            "account_manager": (
                {"id": manager.external_id, "staff_id": manager.id, "name": manager.display_name} if manager else None
            ),
            "language": request.language,
            "channel": request.channel,
            "reason": request.reason,
            "journey_stage": request.journey_stage,
            "accept_by": request.accept_by.astimezone(SHANGHAI).isoformat(),
            "conversation_id": request.conversation_id,
            "created_at": request.created_at.astimezone(SHANGHAI).isoformat(),
        }

    # ---- status lookups from the assistant -----------------------------------------------------------------

    async def answer_lookup(
        self, session: AsyncSession, *, conversation: Conversation, raw: dict[str, Any]
    ) -> list[Message]:
        """The status of a request by its number, or of a verified customer's recent requests; never personal
        data (a number alone is not proof of who asks)."""
        try:
            lookup = RequestLookup.model_validate(raw)
        except ValidationError:
            return []
        language = system_texts.lang(lookup.language or conversation.language)
        now = self.clock.now()
        if lookup.number:
            found = await self._by_number(session, lookup.number)
            if found is None:
                text = system_texts.no_such_request(lookup.number, language)
            else:
                text = await self._status_line(session, found, language, now)
        elif conversation.customer_id:
            rows = (
                (
                    await session.execute(
                        select(ServiceRequest)
                        .where(ServiceRequest.customer_id == conversation.customer_id)
                        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
                        .limit(3)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                text = system_texts.no_requests(language)
            else:
                lines = [await self._status_line(session, row, language, now) for row in rows]
                text = system_texts.your_requests(lines, language)
        else:
            return []
        message = await crud.add_message(session, conversation_id=conversation.id, sender="system", text=text)
        return [message]

    async def _status_line(
        self, session: AsyncSession, request: ServiceRequest, language: str, now: dt.datetime
    ) -> str:
        manager = await session.get(StaffUser, request.account_manager_id) if request.account_manager_id else None
        return system_texts.request_status_line(
            request.number,
            request.kind,
            request.state,
            manager.display_name if manager else None,
            request.scheduled_for,
            language,
            now=now,
        )

    async def _by_number(self, session: AsyncSession, number: str, *, lock: bool = False) -> ServiceRequest | None:
        query = select(ServiceRequest).where(ServiceRequest.number == number)
        if lock:
            query = query.with_for_update()
        return (await session.execute(query)).scalar_one_or_none()

    # ---- what account managers do (the inbox, or the platform's callbacks) ----------------------------------

    async def _owned(self, session: AsyncSession, staff: StaffIdentity, number: str) -> ServiceRequest:
        request = await self._by_number(session, number, lock=True)
        if request is None:
            raise NotFound("No such service request.", code="service_request_not_found")
        if request.account_manager_id != staff.id and not staff.supervises:
            raise Forbidden("This request is not yours.", code="not_your_request")
        return request

    async def accept(self, *, staff: StaffIdentity, number: str) -> ServiceRequest:
        async with self.sessions() as session:
            request = await self._owned(session, staff, number)
            if request.state != ServiceRequestState.SUBMITTED:
                raise Conflict("Only a submitted request can be accepted.", code="request_not_submitted")
            now = self.clock.now()
            request.state, request.accepted_at = ServiceRequestState.ACCEPTED, now
            session.add(ServiceRequestEvent(request_id=request.id, kind="accepted", staff_id=staff.id))
            notice = system_texts.request_accepted(number, staff.display_name, request.language)
            messages = [await self._tell_customer(session, request, notice)]
            await session.commit()
        await self._published(request, messages)
        return request

    async def schedule(
        self, *, staff: StaffIdentity, number: str, method: str, at: dt.datetime, note: str
    ) -> ServiceRequest:
        if method not in ("call", "visit"):
            raise InvalidInput("method: call or visit", code="invalid_contact_method")
        if at.tzinfo is None:
            raise InvalidInput("the time needs a time zone (for example +08:00)", code="invalid_time")
        async with self.sessions() as session:
            request = await self._owned(session, staff, number)
            if request.state not in (ServiceRequestState.ACCEPTED, ServiceRequestState.SCHEDULED):
                raise Conflict("Accept the request before scheduling it.", code="request_not_accepted")
            now = self.clock.now()
            if at < now - dt.timedelta(minutes=5):
                raise InvalidInput("The time is in the past.", code="time_in_the_past")
            request.state, request.scheduled_for, request.contact_method = ServiceRequestState.SCHEDULED, at, method
            session.add(
                ServiceRequestEvent(
                    request_id=request.id,
                    kind="scheduled",
                    staff_id=staff.id,
                    detail={"method": method, "at": at.isoformat(), "note": note or None},
                )
            )
            notice = system_texts.request_scheduled(number, staff.display_name, method, at, request.language, now=now)
            messages = [await self._tell_customer(session, request, notice)]
            await session.commit()
        await self._published(request, messages)
        return request

    async def add_note(self, *, staff: StaffIdentity, number: str, note: str) -> ServiceRequest:
        if not note.strip():
            raise InvalidInput("The note is empty.", code="empty_note")
        async with self.sessions() as session:
            request = await self._owned(session, staff, number)
            session.add(
                ServiceRequestEvent(
                    request_id=request.id, kind="note", staff_id=staff.id, detail={"note": note.strip()}
                )
            )
            await session.commit()
        await self._tell_inboxes(request)
        return request

    async def finish(self, *, staff: StaffIdentity, number: str, note: str) -> ServiceRequest:
        async with self.sessions() as session:
            request = await self._owned(session, staff, number)
            if request.state not in (ServiceRequestState.ACCEPTED, ServiceRequestState.SCHEDULED):
                raise Conflict("Only an accepted request can be done.", code="request_not_accepted")
            request.state, request.done_at = ServiceRequestState.DONE, self.clock.now()
            session.add(
                ServiceRequestEvent(
                    request_id=request.id, kind="done", staff_id=staff.id, detail={"note": note or None}
                )
            )
            messages = [
                await self._tell_customer(session, request, system_texts.request_done(number, request.language))
            ]
            await session.commit()
        await self._published(request, messages)
        return request

    async def decline(self, *, staff: StaffIdentity, number: str, reason: str) -> ServiceRequest:
        """Not for this account manager: to the next one (or unassigned, for supervisors)."""
        async with self.sessions() as session:
            request = await self._owned(session, staff, number)
            if request.state != ServiceRequestState.SUBMITTED:
                raise Conflict("Only a submitted request can be declined.", code="request_not_submitted")
            await self._reassign(session, request, why="declined", by=staff.id, note=reason)
            await session.commit()
        self.relay.wake()
        await self._tell_inboxes(request, new=True)
        return request

    async def run_forever(self) -> None:
        """Every SERVICE_REQUEST_SWEEP_SECONDS, in one hub process at a time: requests not accepted in time move on."""
        every = self.settings.service_request_sweep_seconds
        sweeper = Lease(self.redis, key="hub:sr:sweeper", ttl_seconds=max(every * 3, 5))
        while True:
            try:
                if await sweeper.hold():
                    await self.sweep_overdue()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("service-request sweep failed")
            await asyncio.sleep(every)

    async def sweep_overdue(self) -> int:
        """Requests not accepted in time go to the next account manager (the hub's leader runs this)."""
        now = self.clock.now()
        async with self.sessions() as session:
            rows = (
                (
                    await session.execute(
                        select(ServiceRequest)
                        .where(
                            ServiceRequest.state == ServiceRequestState.SUBMITTED,
                            ServiceRequest.account_manager_id.is_not(None),
                            ServiceRequest.accept_by < now,
                        )
                        .with_for_update(skip_locked=True)
                        .limit(50)
                    )
                )
                .scalars()
                .all()
            )
            for request in rows:
                await self._reassign(session, request, why="not_accepted_in_time", by=None, note="")
            await session.commit()
        for request in rows:
            await self._tell_inboxes(request, new=True)
        if rows:
            self.relay.wake()
        return len(rows)

    async def _reassign(
        self, session: AsyncSession, request: ServiceRequest, *, why: str, by: str | None, note: str
    ) -> None:
        previous = request.account_manager_id
        passed = [*request.passed_by, previous] if previous else list(request.passed_by)
        request.passed_by = passed
        profile = await self.lending.profile(request.customer_id) if request.customer_id else None
        manager = await self._choose_manager(session, profile=profile, branch=request.branch, exclude=set(passed))
        now = self.clock.now()
        request.account_manager_id = manager.id if manager else None
        request.accept_by = self._accept_by(now)
        session.add(
            ServiceRequestEvent(
                request_id=request.id,
                kind="reassigned" if manager else "unassigned",
                staff_id=by,
                detail={"why": why, "from": previous, "to": manager.id if manager else None, "note": note or None},
            )
        )
        if manager is not None:
            add_message(
                session,
                event_type="service_request.reassigned",
                data={**self._webhook_data(request, manager), "previous_account_manager_staff_id": previous},
                request_id=request.id,
                now=now,
            )
        logger.info("service request %s: %s -> %s (%s)", request.number, previous, request.account_manager_id, why)

    async def _tell_customer(self, session: AsyncSession, request: ServiceRequest, text: str) -> Message:
        return await crud.add_message(
            session,
            conversation_id=request.conversation_id,
            sender="system",
            text=text,
            custom={"service_request": {"number": request.number, "state": request.state}},
        )

    async def _published(self, request: ServiceRequest, messages: list[Message]) -> None:
        for message in messages:
            await realtime.publish_to_conversation(
                self.redis, request.conversation_id, MessageEvent.model_validate({"message": crud.message_out(message)})
            )
        await self._tell_inboxes(request)

    async def _tell_inboxes(self, request: ServiceRequest, *, new: bool = False) -> None:
        """The assigned account manager's inbox (``new``: the request has just become theirs), and every console."""
        event = {"type": "service_request", "number": request.number, "state": request.state, "new": new}
        if request.account_manager_id:
            await realtime.publish(self.redis, realtime.staff_channel(request.account_manager_id), event)
        await realtime.publish(self.redis, realtime.CONSOLE_CHANNEL, {"type": "service_requests_changed"})

    # ---- what the inbox shows ------------------------------------------------------------------------------

    async def listing(self, *, staff: StaffIdentity, scope: str) -> list[dict[str, Any]]:
        """The account manager's own requests (supervisors: every one); ``open`` or ``all``."""
        now = self.clock.now()
        async with self.sessions() as session:
            query = select(ServiceRequest).order_by(ServiceRequest.created_at.desc()).limit(200)
            if not staff.supervises:
                query = query.where(ServiceRequest.account_manager_id == staff.id)
            if scope == "open":
                query = query.where(ServiceRequest.state.in_(OPEN_STATES))
            rows = (await session.execute(query)).scalars().all()
            names = {u.id: u.display_name for u in (await session.execute(select(StaffUser))).scalars()}
        return [self._summary(r, names, now) for r in rows]

    async def summary(self, *, staff: StaffIdentity, number: str) -> dict[str, Any]:
        """One request as lists show it (personal data masked)."""
        async with self.sessions() as session:
            request = await self._by_number(session, number)
            if request is None:
                raise NotFound("No such service request.", code="service_request_not_found")
            if request.account_manager_id != staff.id and not staff.supervises:
                raise Forbidden("This request is not yours.", code="not_your_request")
            manager = await session.get(StaffUser, request.account_manager_id) if request.account_manager_id else None
        names = {manager.id: manager.display_name} if manager else {}
        return self._summary(request, names, self.clock.now())

    def _summary(self, request: ServiceRequest, names: dict[str, str], now: dt.datetime) -> dict[str, Any]:
        return {
            "number": request.number,
            "kind": request.kind,
            "state": request.state,
            "contact_method": request.contact_method,
            "summary": mask_text(request.summary)[:200],
            "contact_window": {"start": request.contact_window_start, "end": request.contact_window_end},
            "contact_mobile": mask_mobile(request.contact_mobile),
            "customer_id": request.customer_id,
            "branch": request.branch,
            "account_manager": names.get(request.account_manager_id or ""),
            "accept_by": request.accept_by,
            "scheduled_for": request.scheduled_for,
            "created_at": request.created_at,
            "updated_at": request.updated_at,
            "overdue": self._overdue(request, now),
            "delivered": request.delivered_at is not None,
        }

    @staticmethod
    def _overdue(request: ServiceRequest, now: dt.datetime) -> bool:
        if request.state == ServiceRequestState.SUBMITTED:
            return request.accept_by < now
        if request.state == ServiceRequestState.ACCEPTED:
            return request.contact_window_end < now
        if request.state == ServiceRequestState.SCHEDULED:
            return request.scheduled_for is not None and request.scheduled_for < now
        return False

    async def detail(self, *, staff: StaffIdentity, number: str) -> dict[str, Any]:
        """In full for the request's own account manager (and the view is written to the audit log); masked for
        supervisors and everybody else who may see it."""
        now = self.clock.now()
        async with self.sessions() as session:
            request = await self._by_number(session, number)
            if request is None:
                raise NotFound("No such service request.", code="service_request_not_found")
            own = request.account_manager_id == staff.id
            if not own and not staff.supervises:
                raise Forbidden("This request is not yours.", code="not_your_request")
            names = {u.id: u.display_name for u in (await session.execute(select(StaffUser))).scalars()}
            messages = await crud.list_messages_after(
                session, conversation_id=request.conversation_id, after_seq=0, limit=2000
            )
            events = (
                (
                    await session.execute(
                        select(ServiceRequestEvent)
                        .where(ServiceRequestEvent.request_id == request.id)
                        .order_by(ServiceRequestEvent.id)
                    )
                )
                .scalars()
                .all()
            )
            if own:
                session.add(
                    AuditEntry(
                        staff_id=staff.id,
                        action="view_unmasked",
                        subject=number,
                        detail={"fields": ["mobile", "transcript"]},
                    )
                )
                await session.commit()
        summary = self._summary(request, names, now)
        if own:
            summary["contact_mobile"] = request.contact_mobile
        transcript = [{**console_message(m), "text": m.text} if own else console_message(m) for m in messages]
        return {
            **summary,
            "summary": request.summary if own else mask_text(request.summary),
            "reason": request.reason,
            "journey_stage": request.journey_stage,
            "language": request.language,
            "channel": request.channel,
            "unmasked": own,
            "details": request.details if own else mask_values(request.details),
            "events": [
                {
                    "kind": e.kind,
                    "by": names.get(e.staff_id or ""),
                    "detail": _named(e.detail, names),
                    "created_at": e.created_at,
                }
                for e in events
            ],
            "transcript": transcript,
        }


def _named(detail: dict[str, Any] | None, names: dict[str, str]) -> dict[str, Any] | None:
    """An event's detail with the staff it mentions (passed from, to) named as well as identified."""
    if not detail:
        return detail
    named = dict(detail)
    for key in ("from", "to"):
        if detail.get(key):
            named[f"{key}_name"] = names.get(str(detail[key]))
    return named
