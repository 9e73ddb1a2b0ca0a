"""The message flow shared by the REST API and the websocket.

A customer message is stored (and gets its sequence number) before it is acknowledged. What happens next
depends on the conversation's mode:

    bot      forwarded to the assistant; each reply is stored before it is pushed. A reply carrying a handoff
             packet moves the conversation to ``queued`` in the same transaction (handoff/handoffs.py).
    queued   stored for the agent who takes the chat; ``/leave_queue`` goes back to the assistant, asking for a
             person again says where the customer stands. Nothing goes to the assistant.
    agent    stored and relayed to the agent. Nothing goes to the assistant.
    closed   the next message starts again with the assistant.

The assistant answers every customer message with at least one reply. An empty answer means an action failed
inside Rasa (an action server killed mid-call: Rasa logs it, drops the action's events and answers ``[]``); the
hub asks once more, and when the answer is still empty the message is ``unanswered`` exactly as when Rasa is
down: the customer is told, and a retry with the same ``client_msg_id`` asks again.

A rating (``/rate{"score": N}``, the buttons of the closing message) is the hub's own command in any mode and
never reaches the assistant. One message at a time per conversation (a Redis lock, so several hub instances
can serve one conversation); the database's unique constraints keep it correct even when Redis is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff import crud, metrics, realtime, system_texts
from handoff.config import Settings
from handoff.crud import message_out
from handoff.errors import NotFound, PayloadTooLarge, RateLimited, Unauthorized
from handoff.handoffs import HandoffService, QueueStatus
from handoff.identity import InvalidCustomerToken, VerifiedCustomer, verify_customer_token
from handoff.models import Conversation, ConversationMode, Message
from handoff.rasa import AssistantError, BotReply, RasaClient
from handoff.redis_util import renewed_lock
from handoff.requests import ServiceRequestService
from handoff.schemas import MessageEvent, ModeEvent
from handoff.system_texts import CALLBACK_PAYLOAD, LEAVE_QUEUE_PAYLOAD
from textkit.chinese import to_simplified

logger = logging.getLogger(__name__)

ASSISTANT_UNAVAILABLE = {
    "zh": "抱歉，智能助手暂时无法回复，您的消息已保存。请稍后再试。"
    " / Sorry, the assistant is temporarily unavailable. Your message has been saved; please try again shortly.",
    "en": "Sorry, the assistant is temporarily unavailable. Your message has been saved; please try again shortly."
    " / 抱歉，智能助手暂时无法回复，您的消息已保存。请稍后再试。",
}
REQUEST_HUMAN_PAYLOAD = "/request_human"
HANDBACK_INTENT = "/agent_handback"
_RATE_COMMAND = re.compile(r"/rate(\{.*\})")
# Customer messages: stored, then answered (the assistant replied), relayed (kept for a person), or
# unanswered (the assistant was down; a retry asks again).
DONE_STATUSES = frozenset({"answered", "relayed"})
# Before the one repeat of a message the assistant answered with nothing: long enough for a load balancer to
# stop sending to an action server that just died.
EMPTY_ANSWER_RETRY_SECONDS = 0.5


def _is_command(text: str) -> bool:
    """The hub's own commands, which it answers itself in any mode."""
    return text in (LEAVE_QUEUE_PAYLOAD, REQUEST_HUMAN_PAYLOAD, CALLBACK_PAYLOAD) or rating_command(text) is not None


def rating_command(text: str) -> int | None:
    """The score of a ``/rate{"score": N}`` message, else None."""
    match = _RATE_COMMAND.fullmatch(text.strip())
    if not match:
        return None
    try:
        score = json.loads(match.group(1)).get("score")
    except (ValueError, AttributeError):
        return None
    return score if isinstance(score, int) and not isinstance(score, bool) else None


@dataclass
class PostOutcome:
    message: Message
    replies: list[Message]
    mode: str
    queue: QueueStatus | None = None
    # True when the message is stored but the assistant could not answer it (503 / an error event).
    assistant_unavailable: bool = False


class ConversationService:
    """Creates conversations, checks resume tokens, and carries customer messages to the assistant or a person."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        rasa: RasaClient,
        handoffs: HandoffService,
        requests: ServiceRequestService,
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.rasa = rasa
        self.handoffs = handoffs
        self.requests = requests
        handoffs.assistant = self

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
        given = crud.hash_token(resume_token or "")
        if not resume_token or not hmac.compare_digest(given.encode(), conversation.resume_token_hash.encode()):
            raise Unauthorized("The resume token is missing or wrong.", code="invalid_resume_token")
        return conversation

    async def messages_after(self, *, conversation_id: str, after_seq: int) -> list[Message]:
        async with self.sessions() as session:
            return list(await crud.list_messages_after(session, conversation_id=conversation_id, after_seq=after_seq))

    async def page_after(self, *, conversation_id: str, after_seq: int, limit: int) -> tuple[list[Message], bool]:
        """One page of the transcript after ``after_seq``, and whether more follow."""
        async with self.sessions() as session:
            return await crud.page_messages_after(
                session, conversation_id=conversation_id, after_seq=after_seq, limit=limit
            )

    async def state(self, *, conversation_id: str) -> tuple[str, QueueStatus | None]:
        """The conversation's mode now, and its place in the queue when it is waiting."""
        async with self.sessions() as session:
            conversation = await crud.get_conversation(session, conversation_id=conversation_id)
        mode = conversation.mode if conversation else ConversationMode.BOT
        status = await self.handoffs.queue_status(conversation_id) if mode == ConversationMode.QUEUED else None
        return mode, status

    async def rate(self, *, conversation_id: str, score: int, comment: str | None) -> list[Message]:
        """The customer's rating of the chat an agent just closed (REST, websocket or the rating buttons)."""
        async with self._conversation_lock(conversation_id), self.sessions() as session:
            conversation = await crud.get_conversation(session, conversation_id=conversation_id)
            if conversation is None:
                raise NotFound("No such conversation.", code="conversation_not_found")
            return await self.handoffs.rate(session, conversation=conversation, score=score, comment=comment)

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
            current = await crud.get_conversation(session, conversation_id=conversation.id)
            if current is None:
                raise NotFound("No such conversation.", code="conversation_not_found")
            # Words for a person (not a hub command) are handled once stored: one transaction, nothing else.
            for_a_person = current.mode in (ConversationMode.QUEUED, ConversationMode.AGENT) and not _is_command(text)
            message, replies, done = await self._store_or_find(
                session,
                conversation_id=current.id,
                client_msg_id=client_msg_id,
                text=text,
                status="relayed" if for_a_person else "stored",
            )
            if sa_inspect(current).expired:  # a refused insert (a retry) rolled back and expired it
                await session.refresh(current)
            if on_stored is not None:
                await on_stored(message)
            if done:
                if for_a_person and not replies:
                    return await self._relayed(message, current)
                return await self._outcome(message, replies, current.id)
            score = rating_command(message.text)
            if score is not None:
                replies = await self.handoffs.rate(session, conversation=current, score=score, comment=None)
                return await self._finish_without_assistant(session, message, replies, current.id)
            if current.mode == ConversationMode.QUEUED and message.text == CALLBACK_PAYLOAD:
                # Waiting too long, the customer takes the account manager's call back instead: out of the queue,
                # and the assistant collects the request.
                await self.handoffs.customer_leaves(session, conversation=current, quietly=True)
                await session.refresh(current)
                return await self._ask_assistant(session, conversation=current, message=message)
            if current.mode == ConversationMode.QUEUED:
                if message.text == LEAVE_QUEUE_PAYLOAD:
                    replies = await self.handoffs.customer_leaves(session, conversation=current)
                elif message.text == REQUEST_HUMAN_PAYLOAD:
                    replies = await self.handoffs.remind_position(session, conversation=current)
                return await self._finish_without_assistant(session, message, replies, current.id)
            if current.mode == ConversationMode.AGENT or message.text == LEAVE_QUEUE_PAYLOAD:
                # With an agent nothing goes to the assistant; a stale "leave the queue" button has nothing to do.
                return await self._finish_without_assistant(session, message, [], current.id)
            if current.mode == ConversationMode.CLOSED:
                current.mode = ConversationMode.BOT
                await session.commit()
                await self._publish_mode(current.id, ConversationMode.BOT)
            return await self._ask_assistant(session, conversation=current, message=message)

    async def post_for_people(self, *, conversation_id: str, client_msg_id: str, text: str, answer: str | None) -> None:
        """A customer message the assistant cannot read (a channel's photo, the digits of a one-time code kept out
        of the transcript): stored once for whoever reads the chat, and answered by the hub with ``answer``."""
        async with self._conversation_lock(conversation_id), self.sessions() as session:
            message, replies, _ = await self._store_or_find(
                session, conversation_id=conversation_id, client_msg_id=client_msg_id, text=text, status="relayed"
            )
            if replies or answer is None:
                return
            reply = await crud.add_message(
                session, conversation_id=conversation_id, sender="system", text=answer, reply_to_seq=message.seq
            )
            await session.commit()
            await realtime.publish_to_conversation(
                self.redis, conversation_id, MessageEvent.model_validate({"message": message_out(reply)})
            )

    async def say(self, *, conversation_id: str, text: str, custom: dict[str, Any] | None = None) -> Message:
        """A message of the hub's own to the customer (a channel's welcome, the binding dialogue), stored and pushed."""
        async with self._conversation_lock(conversation_id), self.sessions() as session:
            message = await crud.add_message(
                session, conversation_id=conversation_id, sender="system", text=text, custom=custom
            )
            await session.commit()
        await realtime.publish_to_conversation(
            self.redis, conversation_id, MessageEvent.model_validate({"message": message_out(message)})
        )
        return message

    async def _relayed(self, message: Message, conversation: Conversation) -> PostOutcome:
        """A message kept for a person: the mode as it was, and the place in the queue while waiting."""
        status = (
            await self.handoffs.queue_status(conversation.id) if conversation.mode == ConversationMode.QUEUED else None
        )
        return PostOutcome(message=message, replies=[], mode=conversation.mode, queue=status)

    async def _outcome(self, message: Message, replies: list[Message], conversation_id: str) -> PostOutcome:
        mode, status = await self.state(conversation_id=conversation_id)
        return PostOutcome(message=message, replies=replies, mode=mode, queue=status)

    async def _finish_without_assistant(
        self, session: AsyncSession, message: Message, replies: list[Message], conversation_id: str
    ) -> PostOutcome:
        """Mark a message handled by the hub (kept for a person, or a hub command) and link its replies, so a
        retry with the same client id gets the same answer."""
        message.status = "relayed"
        for reply in replies:
            reply.reply_to_seq = message.seq
        await session.commit()
        return await self._outcome(message, replies, conversation_id)

    async def _store_or_find(
        self, session: AsyncSession, *, conversation_id: str, client_msg_id: str, text: str, status: str
    ) -> tuple[Message, list[Message], bool]:
        """Store the message once; a retry with the same client id finds it (and its replies, if handled). A
        message stored as ``relayed`` is handled by being stored: it comes back as done.

        The insert is tried first and the unique constraint on (conversation, client id) tells a retry: the
        common case costs no extra read. A refused insert rolls back, sequence number included, so no number is
        lost; the caller's objects are expired by the rollback and read again on their next use."""
        try:
            message = await crud.add_message(
                session,
                conversation_id=conversation_id,
                sender="customer",
                text=text,
                client_msg_id=client_msg_id,
                status=status,
            )
            await session.commit()
        except IntegrityError:
            await session.rollback()
            existing = await crud.get_message_by_client_id(
                session, conversation_id=conversation_id, client_msg_id=client_msg_id
            )
            if existing is None:
                raise
        else:
            metrics.CUSTOMER_MESSAGES.labels("people" if status == "relayed" else "assistant").inc()
            await realtime.publish_to_conversation(
                self.redis, conversation_id, MessageEvent.model_validate({"message": message_out(message)})
            )
            return message, [], status in DONE_STATUSES
        replies = list(await crud.list_replies_to(session, conversation_id=conversation_id, seq=existing.seq))
        return existing, replies, existing.status in DONE_STATUSES

    def _metadata(self, conversation: Conversation) -> dict[str, Any]:
        """What Rasa may trust: identity only as the hub verified it (see docs/contracts.md)."""
        metadata: dict[str, Any] = {"channel": conversation.channel, "language": conversation.language}
        if conversation.customer_id:
            metadata["customer_id"] = conversation.customer_id
            metadata["verified_by"] = conversation.verified_by
        return metadata

    async def _ask_assistant(
        self, session: AsyncSession, *, conversation: Conversation, message: Message
    ) -> PostOutcome:
        metadata = self._metadata(conversation)
        # The same on every sending of this message: the actions' idempotency keys come from it.
        metadata["hub_message_id"] = f"{conversation.id}/{message.seq}"
        if message.text == CALLBACK_PAYLOAD:
            # The hub's own button: why it was offered (agents off duty, none free, the wait) tells the account
            # manager whether the customer came at night; only the hub's clock knows.
            offer = await crud.latest_callback_offer(session, conversation_id=conversation.id)
            if offer is not None:
                metadata["callback_offer"] = offer
        started = time.perf_counter()
        try:
            bot_replies = await self._answer_of_assistant(conversation.id, message, metadata)
        except AssistantError as exc:
            logger.warning("conversation %s: assistant unavailable (%s)", conversation.id, exc)
            metrics.ASSISTANT_UNAVAILABLE.inc()
            message.status = "unanswered"
            await session.commit()
            return PostOutcome(message=message, replies=[], mode=conversation.mode, assistant_unavailable=True)
        metrics.ASSISTANT_LATENCY.observe(time.perf_counter() - started)
        metrics.ASSISTANT_REPLIES.inc(len(bot_replies))
        logger.info(
            "conversation %s seq %s answered in %.0f ms with %d replies",
            conversation.id,
            message.seq,
            (time.perf_counter() - started) * 1000,
            len(bot_replies),
        )
        message.status = "answered"
        stored, status = await self._store_replies(
            session, conversation=conversation, bot_replies=bot_replies, reply_to_seq=message.seq
        )
        return PostOutcome(message=message, replies=stored, mode=conversation.mode, queue=status)

    async def _answer_of_assistant(
        self, conversation_id: str, message: Message, metadata: dict[str, Any]
    ) -> list[BotReply]:
        """The assistant's replies to a customer message, asked twice when the first answer is empty."""
        text = to_simplified(message.text)  # the transcript keeps the original
        bot_replies = await self.rasa.send(sender_id=conversation_id, text=text, metadata=metadata)
        if bot_replies:
            return bot_replies
        logger.warning(
            "conversation %s seq %s: the assistant answered nothing; asking again", conversation_id, message.seq
        )
        await asyncio.sleep(EMPTY_ANSWER_RETRY_SECONDS)
        bot_replies = await self.rasa.send(sender_id=conversation_id, text=text, metadata=metadata)
        if not bot_replies:
            raise AssistantError("the assistant answered nothing twice (an action failed)")
        return bot_replies

    async def _store_replies(
        self, session: AsyncSession, *, conversation: Conversation, bot_replies: list[BotReply], reply_to_seq: int
    ) -> tuple[list[Message], QueueStatus | None]:
        """Store the assistant's replies; a handoff packet or a service request among them is acted on in the same
        transaction (what needs the network, the service request's account manager, is looked up first)."""
        payloads = [(r.custom or {}).get("service_request") for r in bot_replies]
        request_payload = next((p for p in payloads if isinstance(p, dict)), None)
        preparation = (
            await self.requests.prepare(conversation=conversation, raw=request_payload) if request_payload else None
        )
        stored: list[Message] = []
        opening = None
        created = None
        for reply in bot_replies:
            reply_message = await crud.add_message(
                session,
                conversation_id=conversation.id,
                sender="bot",
                text=reply.text,
                buttons=reply.buttons or None,
                custom=reply.custom,
                reply_to_seq=reply_to_seq,
            )
            stored.append(reply_message)
            extra: list[Message] = []
            custom = reply.custom or {}
            packet = custom.get("handoff")
            if opening is None and isinstance(packet, dict):
                opening = await self.handoffs.open(
                    session, conversation=conversation, packet=packet, packet_message=reply_message
                )
                extra = opening.messages if opening is not None else []
            elif isinstance(custom.get("service_request"), dict) and created is None:
                if preparation is None:
                    extra = [
                        await crud.add_message(
                            session,
                            conversation_id=conversation.id,
                            sender="system",
                            text=system_texts.request_not_taken(conversation.language),
                        )
                    ]
                else:
                    created, extra = await self.requests.create(
                        session, conversation=conversation, prep=preparation, reply=reply_message
                    )
            elif isinstance(custom.get("service_request_lookup"), dict):
                extra = await self.requests.answer_lookup(
                    session, conversation=conversation, raw=custom["service_request_lookup"]
                )
            for system_message in extra:
                system_message.reply_to_seq = reply_to_seq
            stored.extend(extra)
        await session.commit()
        for reply_message in stored:
            await realtime.publish_to_conversation(
                self.redis, conversation.id, MessageEvent.model_validate({"message": message_out(reply_message)})
            )
        if created is not None:
            await self.requests.after_create(created)
        status = await self.handoffs.finish_opening(opening) if opening is not None else None
        return stored, status

    async def resume_after_handback(
        self, *, conversation_id: str, reply_to_seq: int, note: str, resume_form: str | None
    ) -> None:
        """An agent handed the chat back: the assistant greets again and resumes the form if one was open."""
        async with self._conversation_lock(conversation_id), self.sessions() as session:
            conversation = await crud.get_conversation(session, conversation_id=conversation_id)
            if conversation is None or conversation.mode != ConversationMode.BOT:
                return
            metadata = {**self._metadata(conversation), "handback": {"note": note, "resume_form": resume_form}}
            try:
                bot_replies = await self.rasa.send(sender_id=conversation_id, text=HANDBACK_INTENT, metadata=metadata)
            except AssistantError as exc:
                logger.warning("conversation %s: the assistant did not take the hand-back (%s)", conversation_id, exc)
                return
            await self._store_replies(
                session, conversation=conversation, bot_replies=bot_replies, reply_to_seq=reply_to_seq
            )

    async def _publish_mode(self, conversation_id: str, mode: ConversationMode) -> None:
        await realtime.publish_to_conversation(self.redis, conversation_id, ModeEvent(mode=mode))

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
        """One message of a conversation at a time, across hub processes: a Redis lease renewed every third of
        its length while the holder works (an assistant call can take longer than the lease), so a process
        killed while holding it blocks the conversation only until the lease runs out. Without Redis the
        database's unique constraints still keep the transcript right."""
        lease = self.settings.conversation_lease_seconds
        async with renewed_lock(
            self.redis,
            f"hub:conv:{conversation_id}:lock",
            lease=lease,
            blocking_timeout=self.settings.rasa_timeout_seconds + lease,
        ) as held:
            if held is None:
                logger.warning("conversation %s: Redis unavailable, continuing without the lock", conversation_id)
            yield
