"""The customer API v1 over REST: create a conversation, post a message, list messages after a sequence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from handoff.api.deps import AuthorizedConversation, ConversationsDep
from handoff.conversations import ASSISTANT_UNAVAILABLE, message_out
from handoff.errors import DependencyUnavailable
from handoff.schemas import ConversationCreate, ConversationCreated, MessageCreate, MessageList, PostMessageResult

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationCreated)
async def create_conversation(body: ConversationCreate, conversations: ConversationsDep) -> ConversationCreated:
    conversation, resume_token = await conversations.create_conversation(
        channel=body.channel, language=body.language, customer_token=body.customer_token
    )
    return ConversationCreated(
        conversation_id=conversation.id,
        resume_token=resume_token,
        mode=conversation.mode,  # type: ignore[arg-type]
    )


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
            "queue": None,
        }
    )


@router.get("/{conversation_id}/messages", response_model=MessageList)
async def list_messages(
    conversation: AuthorizedConversation,
    conversations: ConversationsDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> MessageList:
    messages = await conversations.messages_after(conversation_id=conversation.id, after_seq=after)
    return MessageList.model_validate({"messages": [message_out(m) for m in messages]})
