"""The transcript: conversations and their messages. The SQL transcript is the source of truth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    # bot | queued | agent | closed
    mode: Mapped[str] = mapped_column(String(16), default="bot")
    # Identity the hub verified itself (a signed token from the bank's page); chat text never sets it.
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    verified_by: Mapped[str | None] = mapped_column(String(32))
    resume_token_hash: Mapped[str] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

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
    # Set on customer messages only: the widget's id for deduplication.
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    # Customer messages: stored -> answered (the assistant replied) | unanswered (the assistant was down)
    status: Mapped[str] = mapped_column(String(16), default="stored")
    # Replies point at the customer message they answer, so a retried request gets the same answer.
    reply_to_seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
