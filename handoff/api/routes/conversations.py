"""The customer API v1 over REST: create a conversation, post a message, list messages after a sequence, read
the conversation's mode and place in the queue, rate a chat with an agent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from handoff.api.deps import AuthorizedConversation, ConversationsDep
from handoff.conversations import ASSISTANT_UNAVAILABLE
from handoff.crud import MESSAGE_PAGE_LIMIT, message_out
from handoff.errors import DependencyUnavailable
from handoff.handoffs import QueueStatus
from handoff.schemas import (
    ConversationCreate,
    ConversationCreated,
    ConversationState,
    MessageCreate,
    MessageList,
    PostMessageResult,
    RatingCreate,
    RatingResult,
)

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


def _queue(status: QueueStatus | None) -> dict[str, int] | None:
    return {"position": status.position, "eta_seconds": status.eta_seconds} if status else None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationCreated)
async def create_conversation(body: ConversationCreate, conversations: ConversationsDep) -> ConversationCreated:
    conversation, resume_token = await conversations.create_conversation(
        channel=body.channel, language=body.language, customer_token=body.customer_token
    )
    return ConversationCreated.model_validate(
        {"conversation_id": conversation.id, "resume_token": resume_token, "mode": conversation.mode}
    )


@router.get("/{conversation_id}", response_model=ConversationState)
async def read_conversation(conversation: AuthorizedConversation, conversations: ConversationsDep) -> ConversationState:
    mode, queue = await conversations.state(conversation_id=conversation.id)
    return ConversationState.model_validate({"conversation_id": conversation.id, "mode": mode, "queue": _queue(queue)})


@router.post("/{conversation_id}/messages", response_model=PostMessageResult)
async def post_message(
    body: MessageCreate, conversation: AuthorizedConversation, conversations: ConversationsDep
) -> PostMessageResult:
    outcome = await conversations.post_customer_message(
        conversation=conversation, client_msg_id=body.client_msg_id, text=body.text
    )
    if outcome.assistant_unavailable:
        raise DependencyUnavailable(
            ASSISTANT_UNAVAILABLE[conversation.language or "zh"],
            code="assistant_unavailable",
            details={"message": message_out(outcome.message)},
        )
    return PostMessageResult.model_validate(
        {
            "message": message_out(outcome.message),
            "replies": [message_out(reply) for reply in outcome.replies],
            "mode": outcome.mode,
            "queue": _queue(outcome.queue),
        }
    )


@router.get("/{conversation_id}/messages", response_model=MessageList)
async def list_messages(
    conversation: AuthorizedConversation,
    conversations: ConversationsDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MESSAGE_PAGE_LIMIT)] = MESSAGE_PAGE_LIMIT,
) -> MessageList:
    messages, has_more = await conversations.page_after(conversation_id=conversation.id, after_seq=after, limit=limit)
    return MessageList.model_validate({"messages": [message_out(m) for m in messages], "has_more": has_more})


@router.post("/{conversation_id}/rating", response_model=RatingResult)
async def rate_chat(
    body: RatingCreate, conversation: AuthorizedConversation, conversations: ConversationsDep
) -> RatingResult:
    replies = await conversations.rate(conversation_id=conversation.id, score=body.score, comment=body.comment)
    return RatingResult.model_validate({"replies": [message_out(r) for r in replies]})
