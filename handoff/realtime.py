"""Events to a conversation's live connections, through Redis pub/sub so every hub instance delivers them."""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def channel_for(conversation_id: str) -> str:
    return f"hub:conv:{conversation_id}:events"


async def publish(redis: Redis, conversation_id: str, event: dict[str, Any]) -> None:
    """Push an event to every websocket of the conversation, on any instance.

    Losing a push is not losing a message: the transcript is in SQL and a widget resumes with ``after=<seq>``.
    """
    try:
        await redis.publish(channel_for(conversation_id), json.dumps(event, ensure_ascii=False))
    except RedisError:
        logger.warning("realtime: could not publish to conversation %s", conversation_id)
