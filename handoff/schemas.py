"""The customer API's v1 contract: request and response bodies, and the websocket events.

Unknown fields are refused (422), so a client's typo never passes silently.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff.models import ConversationMode

Language = Literal["zh", "en"]
Mode = ConversationMode
Sender = Literal["customer", "bot", "agent", "system"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, machine-readable (docs/contracts.md lists them)")
    message: str
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    """The one error shape of every JSON answer of the hub (docs/contracts.md), 422 included."""

    error: ErrorDetail


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
    # The agent's display name on agent messages.
    sender_name: str | None = None
    text: str
    buttons: list[Button] = Field(default_factory=list)
    custom: dict[str, Any] | None = None
    client_msg_id: str | None = None
    created_at: datetime


class QueueInfo(BaseModel):
    position: int
    eta_seconds: int


class ConversationState(BaseModel):
    conversation_id: str
    mode: Mode
    queue: QueueInfo | None = None


class RatingCreate(StrictModel):
    score: int = Field(ge=1, le=5, strict=True)
    comment: str | None = Field(default=None, max_length=1000)


class RatingResult(BaseModel):
    replies: list[MessageOut]


class PostMessageResult(BaseModel):
    message: MessageOut
    replies: list[MessageOut]
    mode: Mode
    queue: QueueInfo | None = None


class MessageList(BaseModel):
    """One page of a transcript; ``has_more``: ask again with ``after`` = the last ``seq`` here."""

    messages: list[MessageOut]
    has_more: bool


# ---- events pushed to the customer's websocket (v1) -----------------------------------------------------------


class AgentInfo(BaseModel):
    display_name: str


class ModeEvent(BaseModel):
    """The conversation changed hands, or its place in the queue changed."""

    type: Literal["mode"] = "mode"
    mode: Mode
    queue: QueueInfo | None = None
    agent: AgentInfo | None = None


class TypingEvent(BaseModel):
    type: Literal["typing"] = "typing"
    sender: Literal["bot", "agent", "customer"]


class ClosedEvent(BaseModel):
    type: Literal["closed"] = "closed"
    handoff_id: int


class SatisfactionRequestEvent(BaseModel):
    type: Literal["satisfaction_request"] = "satisfaction_request"
    handoff_id: int
    scale: list[int]


# ---- the agent console API (v1) -------------------------------------------------------------------------------

Presence = Literal["online", "away", "offline"]
Role = Literal["agent", "supervisor", "account_manager", "admin"]


class SignIn(StrictModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class StaffOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: Role
    skills: list[str]
    max_chats: int
    presence: Presence = "offline"


class SignedIn(BaseModel):
    user: StaffOut
    # Also in the readable cookie hub_csrf; send it back as X-CSRF-Token on every write.
    csrf_token: str


class PresenceUpdate(StrictModel):
    status: Presence


class Labelled(BaseModel):
    code: str
    zh: str
    en: str


class ConsoleConfig(BaseModel):
    skills: list[Labelled]
    transfer_skills: list[str]
    wrapup_codes: list[Labelled]
    heartbeat_seconds: float
    agent_stale_seconds: float
    offer_timeout_seconds: float
    max_message_chars: int


class HandoffSummary(BaseModel):
    id: int
    reason: str
    skill: str
    requested_skill: str
    priority: Literal["urgent", "high", "normal"]
    journey_stage: str | None = None
    language: str
    # When the packet was acted on (a chat back in the queue keeps its first time).
    queued_at: datetime
    waited_seconds: int
    verified: bool


class ChatSummary(BaseModel):
    """A chat with people, as lists show it."""

    conversation_id: str
    state: Literal["waiting", "offered", "assigned"]
    agent_id: str | None = None
    agent_name: str | None = None
    # Place in its skill's queue while waiting (1: next).
    position: int | None = None
    offer_expires_at: datetime | None = None
    handoff: HandoffSummary
    last_message: str | None = None


class ChatList(BaseModel):
    chats: list[ChatSummary]


class ConsoleMessage(BaseModel):
    """A transcript message as staff see it: customer text with personal numbers masked."""

    seq: int
    sender: Sender
    sender_name: str | None = None
    text: str
    buttons: list[Button] = Field(default_factory=list)
    faq_entry: str | None = None
    created_at: datetime


class NoteOut(BaseModel):
    kind: str
    by: str | None = None
    note: str
    created_at: datetime


class FaqAnswerGiven(BaseModel):
    seq: int
    entry_id: str
    version: int | None = None
    topic: str | None = None


class ChatDetail(BaseModel):
    conversation_id: str
    channel: str
    language: str | None
    mode: Mode
    customer_id: str | None
    verified_by: str | None
    state: Literal["waiting", "offered", "assigned", "ended"]
    holder: AgentInfo | None = None
    handoff: HandoffSummary | None = None
    # The packet's form answers and recent messages, masked.
    form_answers: dict[str, Any] = Field(default_factory=dict)
    recent_messages: list[str] = Field(default_factory=list)
    resume_form: str | None = None
    faq_answers: list[FaqAnswerGiven] = Field(default_factory=list)
    notes: list[NoteOut] = Field(default_factory=list)
    messages: list[ConsoleMessage]


class ConsoleMessageList(BaseModel):
    """One page of a transcript; ``has_more``: ask again with ``after`` = the last ``seq`` here."""

    messages: list[ConsoleMessage]
    has_more: bool


class AgentMessageCreate(MessageCreate):
    """An agent's reply: the same rules as a customer's message."""


class TransferRequest(StrictModel):
    to_skill: str | None = None
    to_agent_id: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=1000)


class HandbackRequest(StrictModel):
    note: str = Field(default="", max_length=1000)
    resume_form: bool = True


class CloseRequest(StrictModel):
    wrapup_code: str = Field(max_length=32)
    note: str = Field(default="", max_length=2000)


class SuggestionOut(BaseModel):
    entry_id: str
    version: int
    topic: str
    score: float
    question: str
    answer: str


class SuggestionList(BaseModel):
    query_seq: int | None
    available: bool
    suggestions: list[SuggestionOut]


class CannedReplyIn(StrictModel):
    title: str = Field(min_length=1, max_length=80)
    language: Language
    text: str = Field(min_length=1, max_length=2000)
    skill: str | None = None


class CannedReplyOut(BaseModel):
    id: int
    title: str
    language: str
    text: str
    skill: str | None
    updated_at: datetime


class CannedReplyList(BaseModel):
    canned_replies: list[CannedReplyOut]


class AgentStatus(BaseModel):
    id: str
    display_name: str
    role: Role
    skills: list[str]
    presence: Presence
    load: int
    capacity: int
    chats: list[str]


class AgentList(BaseModel):
    agents: list[AgentStatus]


class SkillQueue(BaseModel):
    skill: str
    waiting: int
    oldest_wait_seconds: int
    online_agents: int
    capacity: int
    load: int
    average_handle_seconds: int


class Overview(BaseModel):
    skills: list[SkillQueue]
    agents: list[AgentStatus]
    chats: list[ChatSummary]


class ReassignRequest(StrictModel):
    agent_id: str = Field(max_length=32)
    note: str = Field(default="", max_length=1000)


# ---- events (v1): what the hub publishes; docs/contracts.md lists them with their fields ---------------------


class MessageEvent(BaseModel):
    """A stored message, to the conversation's sockets."""

    type: Literal["message"] = "message"
    message: MessageOut


class OfferEvent(BaseModel):
    type: Literal["offer"] = "offer"
    conversation_id: str
    expires_at: datetime
    handoff: HandoffSummary | None = None
    # The customer's latest message, masked.
    last_message: str | None = None


class OfferWithdrawnEvent(BaseModel):
    type: Literal["offer_withdrawn"] = "offer_withdrawn"
    conversation_id: str
    reason: str


class ChatAssignedEvent(BaseModel):
    type: Literal["chat_assigned"] = "chat_assigned"
    conversation_id: str
    kind: Literal["accepted", "transferred", "reassigned", "reconciled"]
    note: str | None = None
    # Who passed the chat on (a transfer or a supervisor's reassignment).
    by: str | None = None


class ChatRemovedEvent(BaseModel):
    type: Literal["chat_removed"] = "chat_removed"
    conversation_id: str
    reason: str


class PresenceEvent(BaseModel):
    type: Literal["presence"] = "presence"
    presence: Presence


class QueueChangedEvent(BaseModel):
    type: Literal["queue_changed"] = "queue_changed"


class HelloEvent(BaseModel):
    type: Literal["hello"] = "hello"
    user: dict[str, str]
    presence: Presence
    heartbeat_seconds: float
    # Silent longer than this, an agent has vanished and their chats go back to the queue.
    agent_stale_seconds: float


# ---- service requests: the account-manager inbox API (v1) --------------------------------------------------------

RequestState = Literal["submitted", "accepted", "scheduled", "done", "cancelled"]


class ContactWindow(BaseModel):
    start: datetime
    end: datetime


class ServiceRequestSummary(BaseModel):
    number: str
    kind: str
    state: RequestState
    contact_method: Literal["call", "visit"]
    summary: str
    contact_window: ContactWindow
    # Masked in lists; in full only in the detail, for the request's own account manager.
    contact_mobile: str
    customer_id: str | None
    branch: str | None
    account_manager: str | None
    accept_by: datetime
    scheduled_for: datetime | None
    created_at: datetime
    updated_at: datetime
    overdue: bool
    delivered: bool


class ServiceRequestList(BaseModel):
    requests: list[ServiceRequestSummary]


class ServiceRequestEventOut(BaseModel):
    kind: str
    by: str | None
    detail: dict[str, Any] | None
    created_at: datetime


class ServiceRequestDetail(ServiceRequestSummary):
    reason: str
    journey_stage: str | None
    language: str
    channel: str
    # True when this view shows personal data in full (the request's own account manager; written to the audit log).
    unmasked: bool
    details: dict[str, Any]
    events: list[ServiceRequestEventOut]
    transcript: list[ConsoleMessage]


class ScheduleIn(StrictModel):
    contact_method: Literal["call", "visit"]
    at: datetime
    note: str = Field(default="", max_length=1000)


class DeclineIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


class NoteIn(StrictModel):
    note: str = Field(min_length=1, max_length=2000)


class DoneIn(StrictModel):
    note: str = Field(default="", max_length=2000)


class OutboxMessageOut(BaseModel):
    id: str
    event_type: str
    number: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime | None


class OutboxMessageList(BaseModel):
    messages: list[OutboxMessageOut]


# ---- the platform's callbacks (v1): an external account-manager platform reports what its people did ----------


class PlatformEventData(StrictModel):
    account_manager_id: str = Field(min_length=1, max_length=32)
    contact_method: Literal["call", "visit"] | None = None
    at: datetime | None = None
    note: str = Field(default="", max_length=2000)


class PlatformEvent(StrictModel):
    type: Literal[
        "service_request.accepted",
        "service_request.declined",
        "service_request.scheduled",
        "service_request.note",
        "service_request.done",
    ]
    version: Literal[1] = 1
    data: PlatformEventData
