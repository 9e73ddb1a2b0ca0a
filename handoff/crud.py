"""Keyword-only queries on the transcript. Callers own the transaction (commit/rollback)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import Conversation, FaqGapMessage, JourneyStep, Message, UtcDateTime


def message_out(message: Message) -> dict[str, Any]:
    """A stored message as the v1 contract shows it."""
    return {
        "seq": message.seq,
        "sender": message.sender,
        "sender_name": message.sender_name,
        "text": message.text,
        "buttons": message.buttons or [],
        "custom": message.custom,
        "client_msg_id": message.client_msg_id,
        "created_at": message.created_at.isoformat(),
    }


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_conversation(
    session: AsyncSession,
    *,
    channel: str,
    language: str | None,
    customer_id: str | None,
    verified_by: str | None,
) -> tuple[Conversation, str]:
    """A new conversation in bot mode and its resume token (returned once, stored only as a hash)."""
    resume_token = secrets.token_urlsafe(32)
    conversation = Conversation(
        id=uuid.uuid4().hex,
        channel=channel,
        language=language,
        mode="bot",
        customer_id=customer_id,
        verified_by=verified_by,
        resume_token_hash=hash_token(resume_token),
        last_seq=0,
    )
    session.add(conversation)
    await session.flush()
    return conversation, resume_token


async def get_conversation(session: AsyncSession, *, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def next_seq(session: AsyncSession, *, conversation_id: str) -> int:
    """Allocate the conversation's next sequence number, atomically in the current transaction."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1)
        .returning(Conversation.last_seq)
    )
    return int(result.scalar_one())


async def add_message(
    session: AsyncSession,
    *,
    conversation_id: str,
    sender: str,
    text: str,
    client_msg_id: str | None = None,
    reply_to_seq: int | None = None,
    buttons: list[dict[str, Any]] | None = None,
    custom: dict[str, Any] | None = None,
    status: str = "stored",
    author_id: str | None = None,
    sender_name: str | None = None,
) -> Message:
    message = Message(
        conversation_id=conversation_id,
        seq=await next_seq(session, conversation_id=conversation_id),
        sender=sender,
        text=text,
        client_msg_id=client_msg_id,
        reply_to_seq=reply_to_seq,
        buttons=buttons,
        custom=custom,
        status=status,
        author_id=author_id,
        sender_name=sender_name,
    )
    session.add(message)
    await session.flush()
    await add_analytics_rows(session, message=message)
    return message


async def add_analytics_rows(session: AsyncSession, *, message: Message) -> None:
    """The analytics rollups' rows of a just-flushed message: its journey step (``journey_steps``) and, for a reply
    that says the assistant was not sure, the customer message it answered (``faq_gap_messages``). Written in the
    message's own transaction, so a rollup is never ahead of or behind the transcript; each is unique per reply,
    and a re-sent customer message gets its stored replies back (ConversationService), so nothing is written
    twice."""
    step = journey_step_of(message)
    if step is not None:
        session.add(step)
        await session.flush()
    kind = faq_gap_kind(message)
    if kind is not None and message.reply_to_seq is not None:
        # The customer message the reply answers, read and written in one statement: none (the reply answers no
        # customer message), no row.
        answered = select(
            literal(message.id),
            Message.id,
            Message.conversation_id,
            literal(kind),
            literal(message.created_at, UtcDateTime()),
        ).where(
            Message.conversation_id == message.conversation_id,
            Message.seq == message.reply_to_seq,
            Message.sender == "customer",
        )
        await session.execute(
            insert(FaqGapMessage).from_select(
                ["reply_id", "message_id", "conversation_id", "kind", "created_at"], answered
            )
        )


def journey_step_of(message: Message) -> JourneyStep | None:
    """The funnels' row for an assistant reply with a journey marker (``custom.journey {form, step}``, both
    non-empty strings), else None. ``message`` is flushed (it has its id and time)."""
    if message.sender != "bot" or not isinstance(message.custom, dict):
        return None
    marker = message.custom.get("journey")
    if not isinstance(marker, dict):
        return None
    form, step = marker.get("form"), marker.get("step")
    if not (isinstance(form, str) and form and isinstance(step, str) and step):
        return None
    return JourneyStep(
        message_id=message.id,
        conversation_id=message.conversation_id,
        form=form[:64],
        step=step[:64],
        created_at=message.created_at,
    )


def faq_gap_kind(message: Message) -> str | None:
    """The kind of an assistant reply's not-sure marker (``custom.faq_gap {kind}``, a non-empty string: abstained
    or fallback), else None."""
    if message.sender != "bot" or not isinstance(message.custom, dict):
        return None
    marker = message.custom.get("faq_gap")
    kind = marker.get("kind") if isinstance(marker, dict) else None
    return kind[:32] if isinstance(kind, str) and kind else None


async def get_message_by_client_id(
    session: AsyncSession, *, conversation_id: str, client_msg_id: str
) -> Message | None:
    result = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id, Message.client_msg_id == client_msg_id)
    )
    return result.scalar_one_or_none()


INTEGER_MAX = 2**31 - 1
"""The largest value an INTEGER column (sequence numbers, serial ids) holds: a larger one sent to PostgreSQL is an
out-of-range error, so look-ups answer "nothing" for it instead of asking."""


async def list_messages_after(
    session: AsyncSession, *, conversation_id: str, after_seq: int, limit: int = 500
) -> Sequence[Message]:
    """The messages after ``after_seq``; a cursor past any sequence the column can hold reads nothing (it is not
    sent to the database, where it would overflow the INTEGER and fail the request)."""
    if after_seq >= INTEGER_MAX:
        return []
    result = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    return result.scalars().all()


MESSAGE_PAGE_LIMIT = 500
"""The most messages one ``GET .../messages`` page holds."""


async def page_messages_after(
    session: AsyncSession, *, conversation_id: str, after_seq: int, limit: int = MESSAGE_PAGE_LIMIT
) -> tuple[list[Message], bool]:
    """Up to ``limit`` messages after ``after_seq``, and whether more follow (one row more is read to know)."""
    rows = list(
        await list_messages_after(session, conversation_id=conversation_id, after_seq=after_seq, limit=limit + 1)
    )
    return rows[:limit], len(rows) > limit


async def list_replies_to(session: AsyncSession, *, conversation_id: str, seq: int) -> Sequence[Message]:
    result = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.reply_to_seq == seq)
        .order_by(Message.seq)
    )
    return result.scalars().all()


async def latest_callback_offer(
    session: AsyncSession, *, conversation_id: str, within: int = 20
) -> dict[str, Any] | None:
    """Why the hub last offered the account manager's call back in this conversation (its system message among
    the last ``within`` messages): ``{"reason": after_hours | no_agent | wait_too_long | account_manager}``."""
    result = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq.desc()).limit(within)
    )
    for message in result.scalars():
        if message.sender != "system":
            continue
        custom = message.custom or {}
        if isinstance(custom.get("handoff_unavailable"), dict):
            return {"reason": custom["handoff_unavailable"].get("reason")}
        if isinstance(custom.get("callback_offered"), dict):
            off_duty = custom["callback_offered"].get("agents_off_duty")
            return {"reason": "after_hours" if off_duty else "wait_too_long"}
    return None


async def latest_customer_message(session: AsyncSession, *, conversation_id: str) -> Message | None:
    result = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.sender == "customer")
        .order_by(Message.seq.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()
