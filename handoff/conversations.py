"""The message flow shared by the REST API and the websocket.

A customer message is stored (and gets its sequence number) before it is acknowledged; in bot mode it is then
forwarded to the assistant and each reply is stored before it is pushed. One message at a time per
conversation (a Redis lock, so several hub instances can serve one conversation); the database's unique
constraints keep it correct even when Redis is down.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff import crud, realtime
from handoff.config import Settings
from handoff.errors import NotFound, PayloadTooLarge, RateLimited, Unauthorized
from handoff.identity import InvalidCustomerToken, VerifiedCustomer, verify_customer_token
from handoff.models import Conversation, Message
from handoff.rasa import AssistantError, RasaClient
from handoff.text import for_assistant

logger = logging.getLogger(__name__)

ASSISTANT_UNAVAILABLE = {
    "zh": "抱歉，智能助手暂时无法回复，您的消息已保存。请稍后再试。"
    " / Sorry, the assistant is temporarily unavailable. Your message has been saved; please try again shortly.",
    "en": "Sorry, the assistant is temporarily unavailable. Your message has been saved; please try again shortly."
    " / 抱歉，智能助手暂时无法回复，您的消息已保存。请稍后再试。",
}


def message_out(message: Message) -> dict[str, Any]:
    """A stored message as the v1 contract shows it."""
    return {
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "buttons": message.buttons or [],
        "custom": message.custom,
        "client_msg_id": message.client_msg_id,
        "created_at": message.created_at.isoformat(),
    }


@dataclass
class PostOutcome:
    message: Message
    replies: list[Message]
    mode: str
    # True when the message is stored but the assistant could not answer it (503 / an error event).
    assistant_unavailable: bool = False


class ConversationService:
    """Creates conversations, checks resume tokens, and carries customer messages to the assistant."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        rasa: RasaClient,
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.rasa = rasa

    async def create_conversation(
        self, *, channel: str, language: str | None, customer_token: str | None
    ) -> tuple[Conversation, str]:
        customer: VerifiedCustomer | None = None
        if customer_token:
            try:
                customer = verify_customer_token(
                    customer_token,
                    secret=self.settings.customer_token_secret,
                    audience=self.settings.customer_token_audience,
                )
            except InvalidCustomerToken as exc:
                raise Unauthorized("The customer token is not valid.", code="invalid_customer_token") from exc
        async with self.sessions() as session:
            conversation, resume_token = await crud.create_conversation(
                session,
                channel=channel,
                language=language,
                customer_id=customer.customer_id if customer else None,
                verified_by=customer.verified_by if customer else None,
            )
            await session.commit()
        logger.info("conversation %s created (channel=%s, verified=%s)", conversation.id, channel, bool(customer))
        return conversation, resume_token

    async def authorize(self, *, conversation_id: str, resume_token: str | None) -> Conversation:
        """The conversation, if it exists (404) and the resume token is its own (401)."""
        async with self.sessions() as session:
            conversation = await crud.get_conversation(session, conversation_id=conversation_id)
        if conversation is None:
            raise NotFound("No such conversation.", code="conversation_not_found")
        if not resume_token or not _same_hash(crud.hash_token(resume_token), conversation.resume_token_hash):
            raise Unauthorized("The resume token is missing or wrong.", code="invalid_resume_token")
        return conversation

    async def messages_after(self, *, conversation_id: str, after_seq: int) -> list[Message]:
        async with self.sessions() as session:
            return list(await crud.list_messages_after(session, conversation_id=conversation_id, after_seq=after_seq))

    async def post_customer_message(
        self,
        *,
        conversation: Conversation,
        client_msg_id: str,
        text: str,
        on_stored: Callable[[Message], Awaitable[None]] | None = None,
    ) -> PostOutcome:
        if len(text) > self.settings.max_message_chars:
            raise PayloadTooLarge(
                f"A message may have at most {self.settings.max_message_chars} characters.",
                code="message_too_long",
            )
        await self._check_rate(conversation.id)
        async with self._conversation_lock(conversation.id), self.sessions() as session:
            message, replies, already_answered = await self._store_or_find(
                session, conversation=conversation, client_msg_id=client_msg_id, text=text
            )
            if on_stored is not None:
                await on_stored(message)
            current = await crud.get_conversation(session, conversation_id=conversation.id)
            mode = current.mode if current else conversation.mode
            if already_answered or mode != "bot":
                return PostOutcome(message=message, replies=replies, mode=mode)
            return await self._ask_assistant(session, conversation=conversation, message=message, mode=mode)

    async def _store_or_find(
        self, session: AsyncSession, *, conversation: Conversation, client_msg_id: str, text: str
    ) -> tuple[Message, list[Message], bool]:
        """Store the message once; a retry with the same client id finds it (and its replies, if answered)."""
        existing = await crud.get_message_by_client_id(
            session, conversation_id=conversation.id, client_msg_id=client_msg_id
        )
        if existing is None:
            try:
                message = await crud.add_message(
                    session,
                    conversation_id=conversation.id,
                    sender="customer",
                    text=text,
                    client_msg_id=client_msg_id,
                )
                await session.commit()
            except IntegrityError:
                # The same client id stored concurrently by another instance while Redis was unavailable.
                await session.rollback()
                existing = await crud.get_message_by_client_id(
                    session, conversation_id=conversation.id, client_msg_id=client_msg_id
                )
                if existing is None:
                    raise
            else:
                await realtime.publish(
                    self.redis, conversation.id, {"type": "message", "message": message_out(message)}
                )
                return message, [], False
        replies = list(await crud.list_replies_to(session, conversation_id=conversation.id, seq=existing.seq))
        return existing, replies, existing.status == "answered"

    async def _ask_assistant(
        self, session: AsyncSession, *, conversation: Conversation, message: Message, mode: str
    ) -> PostOutcome:
        metadata: dict[str, Any] = {"channel": conversation.channel, "language": conversation.language}
        if conversation.customer_id:
            metadata["customer_id"] = conversation.customer_id
            metadata["verified_by"] = conversation.verified_by
        started = time.perf_counter()
        try:
            bot_replies = await self.rasa.send(
                sender_id=conversation.id, text=for_assistant(message.text), metadata=metadata
            )
        except AssistantError as exc:
            logger.warning("conversation %s: assistant unavailable (%s)", conversation.id, exc)
            message.status = "unanswered"
            await session.commit()
            return PostOutcome(message=message, replies=[], mode=mode, assistant_unavailable=True)
        logger.info(
            "conversation %s seq %s answered in %.0f ms with %d replies",
            conversation.id,
            message.seq,
            (time.perf_counter() - started) * 1000,
            len(bot_replies),
        )
        stored: list[Message] = []
        for reply in bot_replies:
            stored.append(
                await crud.add_message(
                    session,
                    conversation_id=conversation.id,
                    sender="bot",
                    text=reply.text,
                    buttons=reply.buttons or None,
                    custom=reply.custom,
                    reply_to_seq=message.seq,
                )
            )
        message.status = "answered"
        await session.commit()
        for reply_message in stored:
            await realtime.publish(
                self.redis, conversation.id, {"type": "message", "message": message_out(reply_message)}
            )
        return PostOutcome(message=message, replies=stored, mode=mode)

    async def _check_rate(self, conversation_id: str) -> None:
        """At most N messages in a window of 60 seconds that opens with the first one (shared by every instance)."""
        key = f"hub:rate:{conversation_id}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, ex=60, nx=True)
                pipe.incr(key)
                pipe.ttl(key)
                _, count, ttl = await pipe.execute()
        except RedisError:
            logger.warning("rate limit skipped: Redis unavailable")
            return
        if count > self.settings.messages_per_minute:
            raise RateLimited(
                f"At most {self.settings.messages_per_minute} messages a minute; please wait a moment.",
                details={"retry_after_seconds": max(int(ttl), 1)},
            )

    @contextlib.asynccontextmanager
    async def _conversation_lock(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self.redis.lock(
            f"hub:conv:{conversation_id}:lock",
            timeout=self.settings.conversation_lock_seconds,
            blocking_timeout=self.settings.conversation_lock_seconds,
        )
        try:
            acquired = await lock.acquire()
        except RedisError:
            logger.warning("conversation %s: Redis unavailable, continuing without the lock", conversation_id)
            acquired = False
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(LockError, RedisError):
                    await lock.release()


def _same_hash(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
