"""Handoffs to people: acting on the assistant's packet, the agents' actions, and the queue's clock work.

Order of every change: the live state is decided in Redis first (handoff/queue.py, one atomic script), then
recorded in SQL (the handoff row and its events, the conversation's mode, a system message for the customer),
and only then published. SQL writes check the row they change, so applying a change twice records it once.

A process that dies between Redis and SQL leaves the two apart; the reconciler, run by one hub process at a
time (a Redis lease), brings them together: SQL says which chats need a person (a handoff queued or assigned),
Redis says who holds them. A Redis that lost its data (the embedded one restarted) is rebuilt from SQL the same
way: every waiting chat back in line with its first queued time, every chat that had an agent back at the head.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from businesshours import BusinessHours
from handoff import crud, metrics, realtime, system_texts
from handoff.agents import StaffIdentity
from handoff.clock import Clock
from handoff.config import Settings
from handoff.errors import Conflict, Forbidden, InvalidInput, NotFound
from handoff.leases import Lease
from handoff.models import (
    Conversation,
    ConversationMode,
    Handoff,
    HandoffEvent,
    HandoffStatus,
    Message,
    SatisfactionRating,
    StaffUser,
)
from handoff.queue import PRIORITY_RANK, AgentQueue, Offer, Requeued
from handoff.redis_util import answer
from handoff.schemas import (
    ChatAssignedEvent,
    ChatRemovedEvent,
    ClosedEvent,
    MessageEvent,
    ModeEvent,
    OfferEvent,
    OfferWithdrawnEvent,
    PresenceEvent,
    QueueChangedEvent,
    SatisfactionRequestEvent,
)
from textkit.masking import mask_text

logger = logging.getLogger(__name__)

# Packets for account managers are not queued for agents: the customer is offered a service request.
ACCOUNT_MANAGER_SKILL = "account_manager"
TRANSFER_SKILLS = ("general", "lending", "complaints", "security")
WRAPUP_CODES = {
    "resolved": {"zh": "已解决", "en": "Resolved"},
    "information_given": {"zh": "已告知信息", "en": "Information given"},
    "follow_up": {"zh": "需后续跟进", "en": "Follow-up needed"},
    "referred_to_account_manager": {"zh": "转客户经理", "en": "Referred to the account manager"},
    "complaint_recorded": {"zh": "投诉已登记", "en": "Complaint recorded"},
    "security_escalated": {"zh": "安全事件已上报", "en": "Security incident escalated"},
    "customer_unresponsive": {"zh": "客户无应答", "en": "Customer did not respond"},
}
HANDLE_HISTORY = 50
LEADER_KEY = "hub:q:leader"
TOLD_KEY = "hub:q:told"
# A difference between SQL and Redis must be seen by two reconciler runs before it is repaired, so a change
# that is between its Redis step and its SQL step is not "repaired" under its feet.
RECONCILE_CONFIRMATIONS = 2


class AssistantResume(Protocol):
    """How the hub hands a conversation back to the assistant (ConversationService implements it)."""

    async def resume_after_handback(
        self, *, conversation_id: str, reply_to_seq: int, note: str, resume_form: str | None
    ) -> None: ...


@dataclass(frozen=True)
class QueueStatus:
    position: int
    eta_seconds: int


@dataclass(frozen=True)
class Opening:
    """A packet acted on, inside the transaction that stored it; ``finish`` runs after the commit."""

    handoff_id: int
    conversation_id: str
    queued: bool
    skill: str
    priority: str
    language: str
    since_ms: int
    messages: list[Message]
    # What an offer shows the agent (kept with the chat in Redis).
    summary: dict[str, Any]


def resumable_form(journey_stage: str | None) -> str | None:
    """The form a hand-back can resume: ``drawdown_form:loan_term`` -> ``drawdown_form`` (not one submitted)."""
    if not journey_stage or ":" not in journey_stage:
        return None
    form, _, step = journey_stage.partition(":")
    return form if form.endswith("_form") and step != "submit" else None


class HandoffService:
    """Everything that moves a conversation between the assistant, the queue and an agent."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        queue: AgentQueue,
        hours: BusinessHours,
        clock: Clock,
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.queue = queue
        self.hours = hours
        self.clock = clock
        self.assistant: AssistantResume | None = None
        self._mismatches: dict[str, int] = {}
        self._last_reconcile = 0.0
        self._leader = Lease(redis, key=LEADER_KEY, ttl_seconds=max(settings.queue_tick_seconds * 6, 2))

    # ---- estimates ------------------------------------------------------------------------------------------

    async def average_handle_seconds(self, skill: str) -> float:
        try:
            values = [
                float(v) for v in await answer(self.redis.lrange(f"hub:q:handled:{skill}", 0, HANDLE_HISTORY - 1))
            ]
        except RedisError:
            values = []
        return sum(values) / len(values) if values else float(self.settings.default_handle_seconds)

    async def _record_handle_time(self, skill: str, seconds: float) -> None:
        key = f"hub:q:handled:{skill}"
        with contextlib.suppress(RedisError):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lpush(key, round(max(seconds, 1.0), 1))
                pipe.ltrim(key, 0, HANDLE_HISTORY - 1)
                await pipe.execute()

    def _eta(self, position: int, capacity: int, free: int, avg_handle: float) -> int:
        if position <= free:
            return 0
        return math.ceil((position - free) * avg_handle / max(capacity, 1))

    async def estimate(self, skill: str, position: int) -> int | None:
        """Seconds until an agent is likely to take the chat at this position; None when nobody can."""
        capacity, free = await self.queue.staffing(skill)
        if capacity == 0:
            return None
        return self._eta(position, capacity, free, await self.average_handle_seconds(skill))

    async def queue_status(self, conversation_id: str) -> QueueStatus | None:
        entry = await self.queue.chat(conversation_id)
        if entry is None or entry.state == "assigned":
            return None
        position = await self.queue.position(conversation_id) or 1
        eta = await self.estimate(entry.skill, position)
        return QueueStatus(position=position, eta_seconds=eta if eta is not None else 0)

    # ---- the packet (inside the conversation flow's transaction) ----------------------------------------

    async def open(
        self, session: AsyncSession, *, conversation: Conversation, packet: dict[str, Any], packet_message: Message
    ) -> Opening | None:
        """Act on a handoff packet stored with a bot reply, in the same transaction: queue the conversation (mode
        ``queued``) or, when no agent can take it, tell the customer why and when agents are back."""
        if conversation.mode in (ConversationMode.QUEUED, ConversationMode.AGENT):
            return None
        requested = str(packet.get("skill") or "general")
        skill = requested if requested in self.queue.skills else "general"
        priority = str(packet.get("priority") or "normal")
        if priority not in PRIORITY_RANK:
            priority = "normal"
        language = system_texts.lang(str(packet.get("language") or conversation.language or "zh"))
        now = self.clock.now()
        since_ms = int(now.timestamp() * 1000)

        outcome: str | None = None
        agents_back_at: dt.datetime | None = None
        eta: int | None = None
        position = 1
        if skill == ACCOUNT_MANAGER_SKILL:
            outcome = "account_manager"  # their business, at any hour: a service request, not the queue
        elif not self.hours.is_open(skill, now):
            outcome, agents_back_at = "after_hours", self.hours.next_open(skill, now)
        else:
            try:
                staffing: tuple[int, int] | None = await self.queue.staffing(skill)
                position = await self.queue.position_if_queued(skill=skill, priority=priority, since_ms=since_ms)
            except RedisError:
                # Who is online is live state in Redis: without it the chat is queued in SQL, its place and wait
                # unknown; the reconciler puts it in line when Redis is back, and the queue's clock offers a call
                # back if the wait then runs out.
                logger.warning("conversation %s: Redis unavailable, queued in SQL only", conversation.id)
                staffing = None
            if staffing is not None:
                capacity, free = staffing
                if capacity == 0:
                    outcome = "no_agent"
                else:
                    eta = self._eta(position, capacity, free, await self.average_handle_seconds(skill))
                    if eta > self.settings.max_wait_seconds:
                        outcome = "wait_too_long"

        handoff = Handoff(
            conversation_id=conversation.id,
            reason=str(packet.get("reason") or "customer_request")[:32],
            requested_skill=requested[:24],
            skill=skill,
            priority=priority,
            journey_stage=(str(packet["journey_stage"])[:64] if packet.get("journey_stage") else None),
            language=language,
            packet=packet,
            packet_seq=packet_message.seq,
            status=HandoffStatus.NOT_QUEUED if outcome else HandoffStatus.QUEUED,
            outcome=outcome,
            queued_at=now,
            agents_back_at=agents_back_at,
            ended_at=now if outcome else None,
        )
        session.add(handoff)
        await session.flush()
        conversation.current_handoff_id = handoff.id
        conversation.language = language
        metrics.HANDOFFS.labels(handoff.reason, "no" if outcome else "yes").inc()
        session.add(HandoffEvent(handoff_id=handoff.id, kind=outcome or "queued", detail={"skill": skill}))
        if outcome is None:
            conversation.mode = ConversationMode.QUEUED
            text = system_texts.queued(position, eta, language)
            message = await crud.add_message(
                session,
                conversation_id=conversation.id,
                sender="system",
                text=text,
                buttons=[system_texts.LEAVE_QUEUE_BUTTON[language]],
                custom={"queue": {"position": position, "eta_seconds": eta or 0, "skill": skill}},
            )
        else:
            if outcome == "account_manager":
                text = system_texts.account_manager_business(language)
            elif outcome == "after_hours":
                text = system_texts.after_hours(skill, agents_back_at, language, now=now)
            elif outcome == "no_agent":
                text = system_texts.no_agent(skill, language)
            else:
                text = system_texts.wait_too_long(eta or 0, language)
            back = agents_back_at.isoformat() if agents_back_at else None
            message = await crud.add_message(
                session,
                conversation_id=conversation.id,
                sender="system",
                text=text,
                buttons=[system_texts.CALLBACK_BUTTON[language]],
                custom={"handoff_unavailable": {"reason": outcome, "skill": skill, "agents_back_at": back}},
            )
        logger.info(
            "conversation %s: handoff %s %s (reason=%s, skill=%s, priority=%s)",
            conversation.id,
            handoff.id,
            "queued" if outcome is None else f"not queued: {outcome}",
            handoff.reason,
            skill,
            priority,
        )
        recent = packet.get("recent_messages")
        last_message = mask_text(str(recent[-1]))[:200] if isinstance(recent, list) and recent else None
        return Opening(
            handoff_id=handoff.id,
            conversation_id=conversation.id,
            queued=outcome is None,
            skill=skill,
            priority=priority,
            language=language,
            since_ms=since_ms,
            messages=[message],
            summary={**handoff_summary(handoff, now), "last_message": last_message},
        )

    async def finish_opening(self, opening: Opening) -> QueueStatus | None:
        """After the commit: into the live queue, an offer if an agent is free, the customer told the mode."""
        if not opening.queued:
            return None
        try:
            await self.queue.enqueue(
                conversation_id=opening.conversation_id,
                skill=opening.skill,
                priority=opening.priority,
                since_ms=opening.since_ms,
                handoff_id=opening.handoff_id,
                language=opening.language,
                summary=opening.summary,
            )
        except RedisError:
            # Stored in SQL as queued: the reconciler puts it in line when Redis is back.
            logger.warning("conversation %s: queued in SQL only, Redis unavailable", opening.conversation_id)
            return QueueStatus(position=1, eta_seconds=0)
        await self.dispatch_all()
        status = await self.queue_status(opening.conversation_id)
        if status is not None:  # None: an agent has already taken it, and said so with their own mode event
            await self._publish_mode(opening.conversation_id, ConversationMode.QUEUED, status)
        await self._tell_consoles()
        return status

    # ---- what customers do while waiting or after a chat ------------------------------------------------

    async def customer_leaves(
        self, session: AsyncSession, *, conversation: Conversation, quietly: bool = False
    ) -> list[Message]:
        """``/leave_queue``: out of the queue and back to the assistant (not once an agent has the chat).
        ``quietly``: no "you left the queue" message (the customer chose a call back, which the assistant takes)."""
        released = await self.queue.release(conversation_id=conversation.id, only_if_queued=True)
        if released is not None and released[0] == "assigned":
            return []
        handoff = await self._current_handoff(session, conversation)
        if handoff is not None and handoff.status == HandoffStatus.QUEUED:
            handoff.status, handoff.outcome, handoff.ended_at = HandoffStatus.ENDED, "customer_left", self.clock.now()
            session.add(HandoffEvent(handoff_id=handoff.id, kind="customer_left", detail={"quietly": quietly}))
        conversation.mode = ConversationMode.BOT
        messages = []
        if not quietly:
            messages.append(
                await crud.add_message(
                    session,
                    conversation_id=conversation.id,
                    sender="system",
                    text=system_texts.left_queue(conversation.language),
                )
            )
        await session.commit()
        if released is not None and released[1]:
            await self._to_staff(
                released[1], OfferWithdrawnEvent(conversation_id=conversation.id, reason="customer_left")
            )
        await self._publish_messages(conversation.id, messages)
        await self._publish_mode(conversation.id, ConversationMode.BOT, None)
        await self._tell_consoles()
        return messages

    async def remind_position(self, session: AsyncSession, *, conversation: Conversation) -> list[Message]:
        """Asking for a person again while queued: where they stand now."""
        status = await self.queue_status(conversation.id)
        if status is None:
            return []
        message = await crud.add_message(
            session,
            conversation_id=conversation.id,
            sender="system",
            text=system_texts.still_queued(status.position, status.eta_seconds, conversation.language),
            buttons=[system_texts.LEAVE_QUEUE_BUTTON[system_texts.lang(conversation.language)]],
            custom={"queue": {"position": status.position, "eta_seconds": status.eta_seconds}},
        )
        await session.commit()
        await self._publish_messages(conversation.id, [message])
        return [message]

    async def rate(
        self, session: AsyncSession, *, conversation: Conversation, score: int, comment: str | None
    ) -> list[Message]:
        """The customer's 1-5 rating of the chat that just closed; once per chat."""
        language = conversation.language
        if not 1 <= score <= 5:
            raise InvalidInput(system_texts.invalid_rating(language), code="invalid_rating")
        handoff = await self._current_handoff(session, conversation)
        if handoff is None or handoff.outcome != "closed":
            raise Conflict(system_texts.nothing_to_rate(language), code="nothing_to_rate")
        existing = await session.execute(select(SatisfactionRating).where(SatisfactionRating.handoff_id == handoff.id))
        if existing.scalar_one_or_none() is not None:
            raise Conflict(system_texts.already_rated(language), code="already_rated")
        session.add(
            SatisfactionRating(
                handoff_id=handoff.id,
                conversation_id=conversation.id,
                agent_id=handoff.agent_id,
                score=score,
                comment=(comment or "").strip()[:1000] or None,
            )
        )
        session.add(HandoffEvent(handoff_id=handoff.id, kind="rated", detail={"score": score}))
        message = await crud.add_message(
            session,
            conversation_id=conversation.id,
            sender="system",
            text=system_texts.thanks_for_rating(conversation.language),
            custom={"rating": {"handoff_id": handoff.id, "score": score}},
        )
        await session.commit()
        await self._publish_messages(conversation.id, [message])
        return [message]

    # ---- agents: offers ------------------------------------------------------------------------------------

    async def accept(self, *, staff: StaffIdentity, conversation_id: str) -> None:
        result = await self.queue.accept(conversation_id=conversation_id, agent_id=staff.id)
        if result not in ("ok", "already"):
            messages = {
                "gone": "This chat is no longer waiting.",
                "taken": "Another agent has taken this chat.",
                "not_offered": "This chat was not offered to you.",
                "expired": "The offer has expired.",
            }
            raise Conflict(messages.get(result, "The chat cannot be accepted."), code=f"offer_{result}")
        await self._record_assignment(conversation_id, staff.id, kind="accepted", detail=None)
        await self._tell_consoles()

    async def decline(self, *, staff: StaffIdentity, conversation_id: str) -> None:
        result = await self.queue.decline(conversation_id=conversation_id, agent_id=staff.id)
        if result != "ok":
            raise Conflict("This chat is not offered to you.", code="offer_not_offered")
        await self._add_event(conversation_id, "declined", staff.id, None)
        await self.dispatch_all()
        await self._tell_consoles()

    async def dispatch_all(self, limit: int = 500) -> int:
        """Make every offer that can be made now."""
        made = 0
        while made < limit:
            try:
                offer = await self.queue.dispatch()
            except RedisError:
                logger.warning("dispatch skipped: Redis unavailable")
                return made
            if offer is None:
                return made
            made += 1
            await self._announce_offer(offer)
        return made

    async def _announce_offer(self, offer: Offer) -> None:
        """Tell the agent first (the offer's clock is running; what it shows came with the chat), then record it."""
        summary = dict(offer.summary) if offer.summary else await self._offer_summary(offer.conversation_id)
        if summary:
            queued_at = dt.datetime.fromisoformat(str(summary["queued_at"]))
            summary["waited_seconds"] = max(int((self.clock.now() - queued_at).total_seconds()), 0)
        last_message = summary.pop("last_message", None) if summary else None
        await self._to_staff(
            offer.agent_id,
            OfferEvent.model_validate(
                {
                    "conversation_id": offer.conversation_id,
                    "expires_at": dt.datetime.fromtimestamp(offer.expires_ms / 1000, dt.UTC),
                    "handoff": summary or None,
                    "last_message": last_message,
                }
            ),
        )
        if summary:
            async with self.sessions() as session:
                session.add(HandoffEvent(handoff_id=int(summary["id"]), kind="offered", agent_id=offer.agent_id))
                await session.commit()

    async def _offer_summary(self, conversation_id: str) -> dict[str, Any] | None:
        """What an offer shows, from SQL (for a chat put back in line by the reconciler)."""
        async with self.sessions() as session:
            conversation = await crud.get_conversation(session, conversation_id=conversation_id)
            handoff = await self._current_handoff(session, conversation, for_update=False) if conversation else None
            if handoff is None:
                return None
            last = await crud.latest_customer_message(session, conversation_id=conversation_id)
        return {
            **handoff_summary(handoff, self.clock.now()),
            "last_message": mask_text(last.text)[:200] if last else None,
        }

    # ---- agents: the chat ----------------------------------------------------------------------------------

    async def holder(self, *, staff: StaffIdentity, conversation_id: str, write: bool) -> str | None:
        """Who holds the chat, if ``staff`` may act on it: its agent, or a supervisor (reads: also while it is
        offered to them). Raises Forbidden otherwise, NotFound when it is not with people at all."""
        entry = await self.queue.chat(conversation_id)
        if entry is None:
            if staff.supervises and not write:
                return None
            raise NotFound("This chat is not with an agent.", code="chat_not_active")
        if entry.agent_id == staff.id and (entry.state == "assigned" or not write):
            return entry.agent_id
        if staff.supervises:
            return entry.agent_id
        raise Forbidden("This chat is not yours.", code="not_your_chat")

    async def send_agent_message(
        self, *, staff: StaffIdentity, conversation_id: str, client_msg_id: str, text: str
    ) -> Message:
        entry = await self.queue.chat(conversation_id)
        if entry is None or entry.state != "assigned" or entry.agent_id != staff.id:
            raise Forbidden("Only the agent who has this chat can write in it.", code="not_your_chat")
        async with self.sessions() as session:
            existing = await crud.get_message_by_client_id(
                session, conversation_id=conversation_id, client_msg_id=client_msg_id
            )
            if existing is not None:
                return existing
            message = await crud.add_message(
                session,
                conversation_id=conversation_id,
                sender="agent",
                text=text,
                client_msg_id=client_msg_id,
                author_id=staff.id,
                sender_name=staff.display_name,
            )
            await session.commit()
        await self._publish_messages(conversation_id, [message])
        return message

    async def transfer(
        self,
        *,
        staff: StaffIdentity,
        conversation_id: str,
        to_skill: str | None,
        to_agent_id: str | None,
        note: str,
        reassignment: bool = False,
    ) -> None:
        """To a skill's queue or straight to an agent, with a note for agents; ``reassignment``: a supervisor's."""
        if (to_skill is None) == (to_agent_id is None):
            raise InvalidInput("Transfer to a skill or to an agent (one of them).", code="transfer_target")
        holder = await self.holder(staff=staff, conversation_id=conversation_id, write=True)
        from_agent = None if staff.supervises else staff.id
        if to_agent_id is not None:
            async with self.sessions() as session:
                target = await session.get(StaffUser, to_agent_id)
            if target is None or not target.is_active:
                raise NotFound("No such agent.", code="agent_not_found")
            status, previous = await self.queue.assign_to_agent(
                conversation_id=conversation_id, to_agent_id=to_agent_id, from_agent_id=from_agent
            )
            if status != "ok":
                messages = {
                    "agent_unavailable": "That agent is not signed in to the console.",
                    "agent_full": "That agent has no room for another chat.",
                    "same_agent": "The chat is already with that agent.",
                    "not_yours": "This chat is not yours.",
                    "gone": "This chat is no longer with an agent.",
                }
                raise Conflict(messages.get(status, "The chat cannot be transferred."), code=f"transfer_{status}")
            detail = {"from_agent": previous or holder, "to_agent": to_agent_id, "note": note, "by": staff.id}
            kind = "reassigned" if reassignment else "transferred"
            await self._record_assignment(
                conversation_id, to_agent_id, kind=kind, detail=detail, by_name=staff.display_name
            )
            if previous and previous != to_agent_id:
                await self._to_staff(previous, ChatRemovedEvent(conversation_id=conversation_id, reason="transferred"))
        else:
            assert to_skill is not None
            if to_skill not in TRANSFER_SKILLS:
                raise InvalidInput(f"skill: one of {', '.join(TRANSFER_SKILLS)}", code="unknown_skill")
            status = await self.queue.transfer_to_skill(
                conversation_id=conversation_id, skill=to_skill, from_agent_id=from_agent
            )
            if status != "ok":
                raise Conflict("This chat is not yours to transfer.", code=f"transfer_{status}")
            await self._record_requeue(
                conversation_id,
                kind="transferred",
                agent_id=holder,
                detail={"from_agent": holder, "to_skill": to_skill, "note": note, "by": staff.id},
                text=lambda language: system_texts.transferred_to_skill(to_skill, language),
                skill=to_skill,
            )
            if holder:
                await self._to_staff(holder, ChatRemovedEvent(conversation_id=conversation_id, reason="transferred"))
            await self.dispatch_all()
        await self._tell_consoles()

    async def hand_back(self, *, staff: StaffIdentity, conversation_id: str, note: str, resume_form: bool) -> None:
        """Back to the assistant: the customer is told, then the assistant greets and, if asked, resumes the form
        that was in progress when the chat was handed over."""
        holder = await self.holder(staff=staff, conversation_id=conversation_id, write=True)
        await self.queue.release(conversation_id=conversation_id, only_if_queued=False)
        ended = await self._end(
            conversation_id,
            outcome="handed_back",
            mode=ConversationMode.BOT,
            detail={"note": note, "resume_form": resume_form, "by": staff.id},
            text=system_texts.handed_back,
        )
        if holder:
            await self._to_staff(holder, ChatRemovedEvent(conversation_id=conversation_id, reason="handed_back"))
        await self.dispatch_all()
        await self._tell_consoles()
        if ended is None or self.assistant is None:
            return
        handoff, message = ended
        form = resumable_form(handoff.journey_stage) if resume_form else None
        await self.assistant.resume_after_handback(
            conversation_id=conversation_id, reply_to_seq=message.seq, note=note, resume_form=form
        )

    async def close(self, *, staff: StaffIdentity, conversation_id: str, wrapup_code: str, note: str) -> None:
        """The chat is over: a wrap-up code and note for the record, and the customer is asked for a rating."""
        if wrapup_code not in WRAPUP_CODES:
            raise InvalidInput(f"wrap-up code: one of {', '.join(WRAPUP_CODES)}", code="unknown_wrapup_code")
        holder = await self.holder(staff=staff, conversation_id=conversation_id, write=True)
        await self.queue.release(conversation_id=conversation_id, only_if_queued=False)

        def rating_request(language: str | None) -> str:
            return system_texts.closed_with_rating_request(language)[0]

        ended = await self._end(
            conversation_id,
            outcome="closed",
            mode=ConversationMode.CLOSED,
            detail={"wrapup_code": wrapup_code, "note": note, "by": staff.id},
            text=rating_request,
            wrapup=(wrapup_code, note),
            rating_buttons=True,
        )
        if ended is not None:
            await realtime.publish_to_conversation(self.redis, conversation_id, ClosedEvent(handoff_id=ended[0].id))
            await realtime.publish_to_conversation(
                self.redis,
                conversation_id,
                SatisfactionRequestEvent(handoff_id=ended[0].id, scale=[1, 2, 3, 4, 5]),
            )
        if holder:
            await self._to_staff(holder, ChatRemovedEvent(conversation_id=conversation_id, reason="closed"))
        await self.dispatch_all()
        await self._tell_consoles()

    # ---- agents: presence ----------------------------------------------------------------------------------

    async def set_presence(self, *, staff: StaffIdentity, status: str) -> None:
        if status not in ("online", "away", "offline"):
            raise InvalidInput("status: online, away or offline", code="invalid_status")
        requeued = await self.queue.set_presence(
            agent_id=staff.id,
            status=status,  # type: ignore[arg-type]
            skills=list(staff.skills),
            capacity=staff.max_chats,
        )
        await self._apply_requeued(requeued, kind="agent_offline")
        await self._to_staff(staff.id, PresenceEvent.model_validate({"presence": status}))
        await self.dispatch_all()
        await self._tell_consoles()

    async def heartbeat(self, *, staff: StaffIdentity) -> str | None:
        try:
            return await self.queue.heartbeat(agent_id=staff.id)
        except RedisError:
            return None

    # ---- the clock's work (every hub process, every tick) ------------------------------------------------

    async def tick(self) -> None:
        for requeued in await self.queue.expire_offers():
            await self._add_event(requeued.conversation_id, "offer_expired", requeued.agent_id, None)
            await self._to_staff(
                requeued.agent_id,
                OfferWithdrawnEvent(conversation_id=requeued.conversation_id, reason="expired"),
            )
            await self._to_staff(requeued.agent_id, PresenceEvent(presence="away"))
        for vanished in await self.queue.sweep_vanished():
            logger.info("agent %s vanished; %d chats back to the queue", vanished.agent_id, len(vanished.chats))
            await self._apply_requeued(vanished.chats, kind="agent_lost")
            await self._tell_consoles()
        await self.dispatch_all()
        if await self._lead():
            await self.push_positions()
            loop_time = asyncio.get_running_loop().time()
            if loop_time - self._last_reconcile >= self.settings.reconcile_seconds:
                self._last_reconcile = loop_time
                await self.reconcile()

    async def run_forever(self) -> None:
        """The queue's clock work, until cancelled; an error is logged and the next tick runs."""
        await self.reconcile(force=True)
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("queue tick failed")
            await asyncio.sleep(self.settings.queue_tick_seconds)

    async def _lead(self) -> bool:
        """One hub process at a time pushes positions and reconciles (a lease in Redis, renewed every tick)."""
        return await self._leader.hold()

    async def push_positions(self) -> None:
        """Tell each waiting customer their place and wait, when either changed (the leader does this)."""
        for skill in self.queue.skills:
            waiting = await self.queue.waiting(skill)
            if not waiting:
                continue
            capacity, free = await self.queue.staffing(skill)
            avg = await self.average_handle_seconds(skill)
            told = await answer(self.redis.hmget(TOLD_KEY, waiting))
            await self._offer_callbacks(skill, waiting)
            changed: dict[str, str] = {}
            for index, (conversation_id, before) in enumerate(zip(waiting, told, strict=True)):
                position = index + 1
                eta = self._eta(position, capacity, free, avg) if capacity else 0
                now_told = f"{position}:{eta // 60}"
                if before != now_told:
                    changed[conversation_id] = now_told
                    await self._publish_mode(
                        conversation_id, ConversationMode.QUEUED, QueueStatus(position=position, eta_seconds=eta)
                    )
            if changed:
                await answer(self.redis.hset(TOLD_KEY, mapping=changed))

    async def _offer_callbacks(self, skill: str, waiting: list[str]) -> None:
        """A customer who has waited longer than MAX_WAIT_SECONDS, or whose agents' hours ended while they
        waited, is offered (once) a call back from their account manager; they may keep waiting."""
        now = self.clock.now()
        closed = not self.hours.is_open(skill, now)
        for conversation_id in waiting:
            entry = await self.queue.chat(conversation_id)
            if entry is None:
                continue
            waited = (int(now.timestamp() * 1000) - entry.since_ms) / 1000
            if not closed and waited <= self.settings.max_wait_seconds:
                continue
            first_time = await self.redis.set(f"hub:q:callback:{conversation_id}", 1, nx=True, ex=86_400)
            if not first_time:
                continue
            language = system_texts.lang(entry.language)
            async with self.sessions() as session:
                message = await crud.add_message(
                    session,
                    conversation_id=conversation_id,
                    sender="system",
                    text=system_texts.wait_ran_out(language),
                    buttons=[system_texts.CALLBACK_BUTTON[language], system_texts.LEAVE_QUEUE_BUTTON[language]],
                    custom={"callback_offered": {"waited_seconds": int(waited), "agents_off_duty": closed}},
                )
                await session.commit()
            await self._publish_messages(conversation_id, [message])

    async def reconcile(self, *, force: bool = False) -> None:
        """Bring SQL and Redis together (see the module docstring). ``force``: at start-up, repair at once."""
        try:
            chats = {c.conversation_id: c for c in await self.queue.all_chats()}
        except RedisError:
            return
        async with self.sessions() as session:
            # The columns it compares, not whole rows: the packets of a thousand open chats are not needed here.
            rows = (
                await session.execute(
                    select(
                        Handoff.id,
                        Handoff.conversation_id,
                        Handoff.status,
                        Handoff.agent_id,
                        Handoff.skill,
                        Handoff.priority,
                        Handoff.language,
                        Handoff.queued_at,
                    ).where(Handoff.status.in_([HandoffStatus.QUEUED, HandoffStatus.ASSIGNED]))
                )
            ).all()
            active = {h.conversation_id: h for h in rows}
        seen: set[str] = set()
        for conversation_id, handoff in active.items():
            chat = chats.get(conversation_id)
            if chat is None:
                await self.queue.enqueue(
                    conversation_id=conversation_id,
                    skill=handoff.skill if handoff.skill in self.queue.skills else "general",
                    priority=handoff.priority,
                    since_ms=int(handoff.queued_at.timestamp() * 1000),
                    handoff_id=handoff.id,
                    language=handoff.language,
                )
                logger.info("reconcile: conversation %s back in the queue", conversation_id)
                if handoff.status == HandoffStatus.ASSIGNED:
                    await self._apply_requeued(
                        [Requeued(conversation_id, handoff.agent_id or "", "assigned")], kind="requeued"
                    )
                continue
            holder_differs = chat.state == "assigned" and (
                handoff.status != HandoffStatus.ASSIGNED or handoff.agent_id != chat.agent_id
            )
            lost_agent = chat.state != "assigned" and handoff.status == HandoffStatus.ASSIGNED
            if not (holder_differs or lost_agent):
                continue
            seen.add(conversation_id)
            self._mismatches[conversation_id] = self._mismatches.get(conversation_id, 0) + 1
            if not force and self._mismatches[conversation_id] < RECONCILE_CONFIRMATIONS:
                continue
            if holder_differs and chat.agent_id:
                await self._record_assignment(conversation_id, chat.agent_id, kind="reconciled", detail=None)
            else:
                await self._apply_requeued(
                    [Requeued(conversation_id, handoff.agent_id or "", "assigned")], kind="requeued"
                )
        for conversation_id in set(chats) - set(active):
            await self.queue.release(conversation_id=conversation_id, only_if_queued=False)
            logger.info("reconcile: conversation %s left the queue (no open handoff)", conversation_id)
        self._mismatches = {k: v for k, v in self._mismatches.items() if k in seen}

    # ---- recording in SQL ----------------------------------------------------------------------------------

    async def _current_handoff(
        self, session: AsyncSession, conversation: Conversation | None, *, for_update: bool = True
    ) -> Handoff | None:
        """The conversation's handoff in progress (or its last one), row-locked for a change unless told not."""
        if conversation is None or conversation.current_handoff_id is None:
            return None
        return await session.get(Handoff, conversation.current_handoff_id, with_for_update=for_update)

    async def _locked(self, session: AsyncSession, conversation_id: str) -> tuple[Conversation, Handoff | None]:
        conversation = await session.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None:
            raise NotFound("No such conversation.", code="conversation_not_found")
        return conversation, await self._current_handoff(session, conversation)

    async def _record_assignment(
        self,
        conversation_id: str,
        agent_id: str,
        *,
        kind: str,
        detail: dict[str, Any] | None,
        by_name: str | None = None,
    ) -> None:
        now = self.clock.now()
        async with self.sessions() as session:
            conversation, handoff = await self._locked(session, conversation_id)
            agent = await session.get(StaffUser, agent_id)
            if handoff is None or agent is None:
                return
            if handoff.status == HandoffStatus.ASSIGNED and handoff.agent_id == agent_id:
                return  # recorded already
            handoff.status, handoff.agent_id, handoff.assigned_at = HandoffStatus.ASSIGNED, agent_id, now
            if handoff.first_assigned_at is None:
                metrics.QUEUE_WAIT.labels(handoff.requested_skill).observe((now - handoff.queued_at).total_seconds())
            handoff.first_assigned_at = handoff.first_assigned_at or now
            conversation.mode = ConversationMode.AGENT
            session.add(HandoffEvent(handoff_id=handoff.id, kind=kind, agent_id=agent_id, detail=detail))
            message = await crud.add_message(
                session,
                conversation_id=conversation_id,
                sender="system",
                text=system_texts.agent_joined(agent.display_name, conversation.language),
                custom={"agent_joined": {"display_name": agent.display_name}},
            )
            await session.commit()
        with contextlib.suppress(RedisError):
            await answer(self.redis.hdel(TOLD_KEY, conversation_id))
        await self._publish_messages(conversation_id, [message])
        await self._publish_mode(conversation_id, ConversationMode.AGENT, None, agent_name=agent.display_name)
        await self._to_staff(
            agent_id,
            ChatAssignedEvent.model_validate(
                {"conversation_id": conversation_id, "kind": kind, "note": (detail or {}).get("note"), "by": by_name}
            ),
        )

    async def _record_requeue(
        self,
        conversation_id: str,
        *,
        kind: str,
        agent_id: str | None,
        detail: dict[str, Any] | None,
        text: Callable[[str | None], str],
        skill: str | None = None,
    ) -> None:
        async with self.sessions() as session:
            conversation, handoff = await self._locked(session, conversation_id)
            if handoff is None or handoff.status not in (HandoffStatus.QUEUED, HandoffStatus.ASSIGNED):
                return
            if handoff.status == HandoffStatus.QUEUED and skill is None:
                return  # already back in the queue
            handoff.status, handoff.agent_id = HandoffStatus.QUEUED, None
            if skill is not None:
                handoff.skill = skill
            conversation.mode = ConversationMode.QUEUED
            session.add(HandoffEvent(handoff_id=handoff.id, kind=kind, agent_id=agent_id, detail=detail))
            message = await crud.add_message(
                session, conversation_id=conversation_id, sender="system", text=text(conversation.language)
            )
            await session.commit()
        await self._publish_messages(conversation_id, [message])
        await self._publish_mode(conversation_id, ConversationMode.QUEUED, await self.queue_status(conversation_id))

    async def _apply_requeued(self, requeued: list[Requeued], *, kind: str) -> None:
        for item in requeued:
            if item.previous_state == "assigned":
                await self._record_requeue(
                    item.conversation_id,
                    kind=kind,
                    agent_id=item.agent_id or None,
                    detail=None,
                    text=system_texts.agent_lost,
                )
                if item.agent_id:
                    await self._to_staff(
                        item.agent_id, ChatRemovedEvent(conversation_id=item.conversation_id, reason=kind)
                    )
            else:
                await self._add_event(item.conversation_id, "offer_withdrawn", item.agent_id or None, {"why": kind})
                if item.agent_id:
                    await self._to_staff(
                        item.agent_id,
                        OfferWithdrawnEvent(conversation_id=item.conversation_id, reason=kind),
                    )

    async def _end(
        self,
        conversation_id: str,
        *,
        outcome: str,
        mode: ConversationMode,
        detail: dict[str, Any],
        text: Callable[[str | None], str],
        wrapup: tuple[str, str] | None = None,
        rating_buttons: bool = False,
    ) -> tuple[Handoff, Message] | None:
        now = self.clock.now()
        async with self.sessions() as session:
            conversation, handoff = await self._locked(session, conversation_id)
            if handoff is None or handoff.status == HandoffStatus.ENDED:
                return None
            started = handoff.assigned_at or handoff.queued_at
            handoff.status, handoff.outcome, handoff.ended_at = HandoffStatus.ENDED, outcome, now
            if wrapup is not None:
                handoff.wrapup_code, handoff.wrapup_note = wrapup[0], (wrapup[1] or None)
            conversation.mode = mode
            session.add(HandoffEvent(handoff_id=handoff.id, kind=outcome, agent_id=handoff.agent_id, detail=detail))
            buttons = system_texts.closed_with_rating_request(conversation.language)[1] if rating_buttons else None
            custom = (
                {"satisfaction_request": {"handoff_id": handoff.id, "scale": [1, 2, 3, 4, 5]}}
                if rating_buttons
                else None
            )
            message = await crud.add_message(
                session,
                conversation_id=conversation_id,
                sender="system",
                text=text(conversation.language),
                buttons=buttons,
                custom=custom,
            )
            await session.commit()
        if started is not None and handoff.assigned_at is not None:
            await self._record_handle_time(handoff.skill, (now - started).total_seconds())
        with contextlib.suppress(RedisError):
            await answer(self.redis.hdel(TOLD_KEY, conversation_id))
        await self._publish_messages(conversation_id, [message])
        await self._publish_mode(conversation_id, mode, None)
        return handoff, message

    async def _add_event(
        self, conversation_id: str, kind: str, agent_id: str | None, detail: dict[str, Any] | None
    ) -> None:
        async with self.sessions() as session:
            conversation = await crud.get_conversation(session, conversation_id=conversation_id)
            if conversation is None or conversation.current_handoff_id is None:
                return
            session.add(
                HandoffEvent(handoff_id=conversation.current_handoff_id, kind=kind, agent_id=agent_id, detail=detail)
            )
            await session.commit()

    # ---- publishing ----------------------------------------------------------------------------------------

    async def _publish_messages(self, conversation_id: str, messages: list[Message]) -> None:
        for message in messages:
            await realtime.publish_to_conversation(
                self.redis, conversation_id, MessageEvent.model_validate({"message": crud.message_out(message)})
            )

    async def _publish_mode(
        self,
        conversation_id: str,
        mode: ConversationMode,
        status: QueueStatus | None,
        *,
        agent_name: str | None = None,
    ) -> None:
        event = ModeEvent.model_validate(
            {
                "mode": mode,
                "queue": {"position": status.position, "eta_seconds": status.eta_seconds} if status else None,
                "agent": {"display_name": agent_name} if agent_name else None,
            }
        )
        await realtime.publish_to_conversation(self.redis, conversation_id, event)

    async def _to_staff(self, user_id: str, event: BaseModel) -> None:
        await realtime.publish(self.redis, realtime.staff_channel(user_id), event)

    async def _tell_consoles(self) -> None:
        await realtime.publish(self.redis, realtime.CONSOLE_CHANNEL, QueueChangedEvent())


def handoff_summary(handoff: Handoff, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "reason": handoff.reason,
        "skill": handoff.skill,
        "requested_skill": handoff.requested_skill,
        "priority": handoff.priority,
        "journey_stage": handoff.journey_stage,
        "language": handoff.language,
        "queued_at": handoff.queued_at.isoformat(),
        "waited_seconds": max(int((now - handoff.queued_at).total_seconds()), 0),
        "verified": bool((handoff.packet.get("customer") or {}).get("verified_by")),
    }
