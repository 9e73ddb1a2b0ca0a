"""Typed FastAPI dependencies: what a route needs, built once at start-up and kept on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from redis.asyncio import Redis

from handoff.config import Settings
from handoff.conversations import ConversationService
from handoff.models import Conversation


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_redis(request: Request) -> Redis:
    redis: Redis = request.app.state.redis
    return redis


def get_conversations(request: Request) -> ConversationService:
    service: ConversationService = request.app.state.conversations
    return service


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
RedisDep = Annotated[Redis, Depends(get_redis)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def get_authorized_conversation(
    conversation_id: str,
    conversations: ConversationsDep,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Conversation:
    return await conversations.authorize(conversation_id=conversation_id, resume_token=token)


AuthorizedConversation = Annotated[Conversation, Depends(get_authorized_conversation)]
