"""The customer API's v1 contract: request and response bodies, and the websocket events.

Unknown fields are refused (422), so a client's typo never passes silently.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Language = Literal["zh", "en"]
Mode = Literal["bot", "queued", "agent", "closed"]
Sender = Literal["customer", "bot", "agent", "system"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationCreate(StrictModel):
    channel: Literal["web", "wechat", "wecom", "h5"] = "web"
    language: Language | None = None
    customer_token: str | None = Field(default=None, max_length=4096)


class ConversationCreated(BaseModel):
    conversation_id: str
    resume_token: str
    mode: Mode


class MessageCreate(StrictModel):
    client_msg_id: str = Field(min_length=1, max_length=64)
    # The size limit (413) is checked after parsing, so it answers with its own code.
    text: str

    @field_validator("client_msg_id")
    @classmethod
    def _client_msg_id_is_uuid(cls, value: str) -> str:
        try:
            return str(uuid.UUID(value))
        except ValueError as exc:
            raise ValueError("client_msg_id must be a UUID") from exc

    @field_validator("text")
    @classmethod
    def _text_is_readable(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("text must not be empty")
        if any(ord(ch) < 32 and ch not in "\n\t\r" for ch in stripped):
            raise ValueError("text must not contain control characters")
        return stripped


class Button(BaseModel):
    title: str
    payload: str


class MessageOut(BaseModel):
    seq: int
    sender: Sender
    text: str
    buttons: list[Button] = Field(default_factory=list)
    custom: dict[str, Any] | None = None
    client_msg_id: str | None = None
    created_at: datetime


class QueueInfo(BaseModel):
    position: int
    eta_seconds: int


class PostMessageResult(BaseModel):
    message: MessageOut
    replies: list[MessageOut]
    mode: Mode
    queue: QueueInfo | None = None


class MessageList(BaseModel):
    messages: list[MessageOut]
