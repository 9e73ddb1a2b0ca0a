"""The hub's SQL data: the transcript (the source of truth), the handoffs to people, the staff who take them.

Live state (the queue, presence, offers) is in Redis (handoff/queue.py); what happened is here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC and read back in UTC: SQLite keeps no time zone, so without this a time
    written in Asia/Shanghai would come back eight hours off."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class ConversationMode(StrEnum):
    """Who answers the customer: the assistant, nobody yet (waiting for a person), a person, or nobody (ended)."""

    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"
    CLOSED = "closed"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ACCOUNT_MANAGER = "account_manager"
    ADMIN = "admin"


class HandoffStatus(StrEnum):
    QUEUED = "queued"  # waiting or offered
    ASSIGNED = "assigned"  # an agent has the chat
    ENDED = "ended"  # handed back, closed, or the customer left
    NOT_QUEUED = "not_queued"  # no agent could take it (after hours, nobody online, the wait too long)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(16), default=ConversationMode.BOT)
    # Identity the hub verified itself (a signed token from the bank's page); chat text never sets it.
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    verified_by: Mapped[str | None] = mapped_column(String(32))
    resume_token_hash: Mapped[str] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The handoff in progress (queued or with an agent), or the last one.
    current_handoff_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.seq")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_msg_id", name="uq_messages_conversation_client_msg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    # customer | bot | agent | system
    sender: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set on customer and agent messages: the client's id for deduplication.
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    # Customer messages: stored -> answered (the assistant replied) | unanswered (the assistant was down)
    status: Mapped[str] = mapped_column(String(16), default="stored")
    # Replies point at the customer message they answer, so a retried request gets the same answer.
    reply_to_seq: Mapped[int | None] = mapped_column(Integer)
    # Agent messages: who wrote it (the staff member's id) and the name the customer sees.
    author_id: Mapped[str | None] = mapped_column(String(32))
    sender_name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class JourneyStep(Base):
    """A journey marker of an assistant reply (its ``custom.journey {form, step}``), one row per marked reply,
    written in the reply's transaction (crud.add_message): the journey funnels read these narrow rows instead of
    parsing the JSON of every reply of a date range (handoff/analytics)."""

    __tablename__ = "journey_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    # The reply's time.
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class FaqGapMessage(Base):
    """A customer message the assistant was not sure about: one row per assistant reply marked ``custom.faq_gap
    {kind}`` that answers a customer message, written in the reply's transaction (crud.add_message), so the FAQ
    gaps read narrow rows by time instead of the JSON of every reply of a date range (handoff/analytics). The
    customer's text stays in the transcript only (``message_id`` points at it): no second copy of personal data."""

    __tablename__ = "faq_gap_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    # The customer message the reply answered.
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # abstained | fallback (actions/markers.py)
    kind: Mapped[str] = mapped_column(String(32))
    # The reply's time (the range filter's column, as it was on the reply).
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class StaffUser(Base):
    """An agent, supervisor, account manager or administrator who signs in to the console."""

    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(24))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_chats: Mapped[int] = mapped_column(SmallInteger, default=3)
    # Account managers: their id in the lending core (customers there name their account manager by it) and branch.
    external_id: Mapped[str | None] = mapped_column(String(32), index=True)
    branch: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class StaffSession(Base):
    """A signed-in browser: the cookie holds the token, the table only its hash (and the CSRF token's)."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Handoff(Base):
    """One episode of a conversation with people: from the packet to the hand-back, the close or the customer
    leaving. A conversation can have several."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    # The skill the packet asked for, and the one it is queued for now (a transfer changes it).
    requested_skill: Mapped[str] = mapped_column(String(24))
    skill: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(8))
    journey_stage: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    # The packet as the assistant sent it (personal data already masked by the assistant).
    packet: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The seq of the bot reply that carried the packet.
    packet_seq: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # handed_back | closed | customer_left | after_hours | no_agent | wait_too_long
    outcome: Mapped[str | None] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    first_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When agents of the skill are back (for a handoff that could not be queued).
    agents_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    wrapup_code: Mapped[str | None] = mapped_column(String(32))
    wrapup_note: Mapped[str | None] = mapped_column(Text)


class HandoffEvent(Base):
    """What happened to a handoff, in order: queued, offered, offer_expired, declined, accepted, transferred,
    agent_lost, requeued, handed_back, closed, customer_left. Internal notes live here, never in the transcript."""

    __tablename__ = "handoff_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    agent_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SatisfactionRating(Base):
    """The customer's 1-5 rating of a chat with an agent, once per handoff."""

    __tablename__ = "satisfaction_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(32), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CannedReply(Base):
    """A prepared answer agents insert with one click; kept by supervisors, one row per language."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    # None: for every skill.
    skill: Mapped[str | None] = mapped_column(String(24))
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ServiceRequestState(StrEnum):
    SUBMITTED = "submitted"  # waiting for its account manager to accept
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"  # a call or a visit at a time
    DONE = "done"
    CANCELLED = "cancelled"


class ServiceRequest(Base):
    """What a customer leaves for their account manager: a call back, a visit, the annual review, a financing
    need. Written with its outbox message in one transaction (handoff/requests.py)."""

    __tablename__ = "service_requests"
    __table_args__ = (Index("ix_service_requests_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # SR + yymmdd + a 4-digit number of the day (what the customer is told and quotes back).
    number: Mapped[str] = mapped_column(String(12), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    contact_method: Mapped[str] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(Text)
    contact_window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    contact_window_end: Mapped[datetime] = mapped_column(UtcDateTime())
    # The full number, for the assigned account manager only (masked everywhere else).
    contact_mobile: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    journey_stage: Mapped[str | None] = mapped_column(String(64))
    # The assistant's payload with the mobile masked, and what the hub added (the handoff packet, if any).
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=ServiceRequestState.SUBMITTED)
    branch: Mapped[str | None] = mapped_column(String(100))
    account_manager_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # Account managers who declined it or let it lapse (not offered to them again).
    passed_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    accept_by: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ServiceRequestEvent(Base):
    """What happened to a request: created, delivered, accepted, declined, reassigned, scheduled, note, done."""

    __tablename__ = "service_request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    staff_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class OutboxMessage(Base):
    """A webhook to the account-manager platform, written in the transaction of the change it reports and sent by
    the relay (handoff/outbox.py) until the platform answers 2xx; its id is the ``webhook-id``."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "delivered_at", "dead_at", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PlatformReceipt(Base):
    """The built-in account-manager platform's record of webhooks it has processed: a webhook id seen before is
    acknowledged again and not processed twice."""

    __tablename__ = "platform_receipts"

    webhook_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(48))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuditEntry(Base):
    """Who saw personal data unmasked, and when (an account manager opening their own request in full)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ChannelUser(Base):
    """A customer of an outside channel (a WeChat Official Account's openid, a WeCom customer's external id) and
    what the hub keeps for them: their conversation, the lending-core customer they proved to be (a one-time code,
    kept until they unbind), where delivery to them stands, and the numbered choices last offered.

    ``delivered_seq`` is the delivery cursor: every message of the conversation up to it (the assistant's, the
    agents', the hub's) has been accepted by the channel's API or handed to the account manager instead."""

    __tablename__ = "channel_users"
    __table_args__ = (UniqueConstraint("channel", "account_id", "external_id", name="uq_channel_users_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))  # wechat | wecom
    # The Official Account's AppID, or the WeCom customer-service account (open_kfid).
    account_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    bound_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(8))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    # The reply window: until when the channel takes messages to this customer, and how many more (on WeChat a
    # message of theirs opens 48 hours and 5 messages; a menu click or a subscription, a minute and 3).
    reply_window_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    replies_left: Mapped[int] = mapped_column(Integer, default=0)
    delivered_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The assistant's last buttons, as numbered choices: [{"title", "payload"}].
    choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The binding dialogue in progress: {"step": "mobile" | "code", "verification_id", "masked_mobile"}.
    binding: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ChannelInbound(Base):
    """A callback's message or event, stored before the channel is answered and processed after: the unique key
    (the channel's MsgId, or sender and time for events) makes a retried push one row, and a row still ``pending``
    after a restart is processed by whichever hub process sweeps first."""

    __tablename__ = "channel_inbound"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe_key", name="uq_channel_inbound_dedupe"),
        Index("ix_channel_inbound_pending", "status", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("channel_users.id", ondelete="CASCADE"))
    # text | voice | image | video | file | location | link | event | unknown
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ChannelCursor(Base):
    """Where the hub stands in a channel's message stream it pulls (WeCom's ``kf/sync_msg`` cursor)."""

    __tablename__ = "channel_cursors"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
