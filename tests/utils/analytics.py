"""A hand-built transcript for the analytics tests: rows as the hub stores them, at chosen times, so every figure
has an answer known in advance."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handoff.clock import SHANGHAI
from handoff.crud import add_analytics_rows
from handoff.models import (
    Conversation,
    Handoff,
    HandoffEvent,
    Message,
    SatisfactionRating,
    ServiceRequest,
    StaffUser,
)

_numbers = itertools.count(1)


def at(day: int, hour: int, minute: int = 0, second: int = 0, *, month: int = 11) -> dt.datetime:
    """A time in Asia/Shanghai, in 2026."""
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


class Transcript:
    """Adds conversations, messages, handoffs, ratings and requests to a session (flushed, not committed)."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def staff(self, username: str, *, role: str = "agent", branch: str | None = None) -> StaffUser:
        user = StaffUser(
            id=f"s-{username}",
            username=username,
            display_name=username.title(),
            password_hash="-",
            role=role,
            skills=["general"],
            branch=branch,
        )
        self.session.add(user)
        await self.session.flush()
        return user

    async def conversation(self, when: dt.datetime, *, channel: str = "web", language: str = "zh") -> Conversation:
        conversation = Conversation(
            id=f"c{next(_numbers):06d}",
            channel=channel,
            language=language,
            resume_token_hash="-",
            created_at=when,
            updated_at=when,
        )
        self.session.add(conversation)
        await self.session.flush()
        return conversation

    async def say(
        self,
        conversation: Conversation,
        sender: str,
        text: str,
        when: dt.datetime,
        *,
        custom: dict[str, Any] | None = None,
        reply_to_seq: int | None = None,
    ) -> Message:
        conversation.last_seq += 1
        message = Message(
            conversation_id=conversation.id,
            seq=conversation.last_seq,
            sender=sender,
            text=text,
            custom=custom,
            reply_to_seq=reply_to_seq,
            status="answered" if sender == "customer" else "stored",
            created_at=when,
        )
        self.session.add(message)
        await self.session.flush()
        await add_analytics_rows(self.session, message=message)  # the rollups' rows, as crud.add_message writes them
        return message

    async def exchange(
        self,
        conversation: Conversation,
        text: str,
        reply: str,
        when: dt.datetime,
        *,
        custom: dict[str, Any] | None = None,
    ) -> tuple[Message, Message]:
        """A customer message and the assistant's reply one second later."""
        asked = await self.say(conversation, "customer", text, when)
        answer = await self.say(
            conversation, "bot", reply, when + dt.timedelta(seconds=1), custom=custom, reply_to_seq=asked.seq
        )
        return asked, answer

    async def handoff(
        self,
        conversation: Conversation,
        *,
        reason: str,
        queued_at: dt.datetime,
        skill: str = "general",
        stage: str | None = None,
        agent: StaffUser | None = None,
        assigned_after: float | None = None,
        ended_after: float | None = None,
        outcome: str | None = None,
        status: str = "ended",
        transfers: int = 0,
    ) -> Handoff:
        assigned = queued_at + dt.timedelta(seconds=assigned_after) if assigned_after is not None else None
        handoff = Handoff(
            conversation_id=conversation.id,
            reason=reason,
            requested_skill=skill,
            skill=skill,
            priority="normal",
            journey_stage=stage,
            language=conversation.language or "zh",
            packet={"reason": reason, "journey_stage": stage},
            status=status,
            outcome=outcome,
            agent_id=agent.id if agent else None,
            queued_at=queued_at,
            first_assigned_at=assigned,
            assigned_at=assigned,
            ended_at=queued_at + dt.timedelta(seconds=ended_after) if ended_after is not None else None,
        )
        self.session.add(handoff)
        await self.session.flush()
        for n in range(transfers):
            self.session.add(
                HandoffEvent(handoff_id=handoff.id, kind="transferred", created_at=queued_at + dt.timedelta(seconds=n))
            )
        conversation.current_handoff_id = handoff.id
        await self.session.flush()
        return handoff

    async def rating(self, handoff: Handoff, score: int, when: dt.datetime) -> SatisfactionRating:
        rating = SatisfactionRating(
            handoff_id=handoff.id,
            conversation_id=handoff.conversation_id,
            agent_id=handoff.agent_id,
            score=score,
            created_at=when,
        )
        self.session.add(rating)
        await self.session.flush()
        return rating

    async def request(
        self,
        conversation: Conversation,
        *,
        created_at: dt.datetime,
        manager: StaffUser | None,
        accept_within_s: float,
        accepted_after_s: float | None,
        branch: str | None = None,
    ) -> ServiceRequest:
        number = next(_numbers)
        request = ServiceRequest(
            number=f"SR{number:010d}",
            conversation_id=conversation.id,
            kind="callback",
            contact_method="phone",
            summary="call me back",
            contact_window_start=created_at,
            contact_window_end=created_at + dt.timedelta(hours=4),
            contact_mobile="13800000001",
            language=conversation.language or "zh",
            channel=conversation.channel,
            reason="customer_request",
            details={},
            state="accepted" if accepted_after_s is not None else "submitted",
            branch=branch or (manager.branch if manager else None),
            account_manager_id=manager.id if manager else None,
            accept_by=created_at + dt.timedelta(seconds=accept_within_s),
            accepted_at=created_at + dt.timedelta(seconds=accepted_after_s) if accepted_after_s is not None else None,
            created_at=created_at,
            updated_at=created_at,
        )
        self.session.add(request)
        await self.session.flush()
        return request
