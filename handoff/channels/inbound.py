"""A channel's callbacks: stored before they are answered, deduplicated, processed in order, never lost.

WeChat gives a callback 5 seconds and retries it up to three times, so a callback is answered as soon as its
message is stored (``accept``), and what the assistant or a person says comes later through the channel's API
(handoff/channels/delivery.py).

- **Store before ack.** ``accept`` writes a ``ChannelInbound`` row (and the customer's ``ChannelUser`` the first
  time) and commits before the hub answers. A database that is down fails the callback (503), so WeChat retries:
  nothing is acknowledged that is not stored.
- **Dedupe.** A retried push has the same key (MsgId; sender and time for events). Redis answers the common retry
  without touching the database; the unique constraint on (channel, key) is what guarantees it, and the key is
  marked in Redis only after the commit, so a failed commit never hides a retry.
- **In order, once.** Rows are processed by one task per customer at a time, across hub processes (a Redis lock
  per customer), in the order they were stored. Each customer message goes to the conversation with a client id
  made from its key, so processing a row twice (a hub killed midway) stores and answers it once.
- **Swept.** Each hub process sweeps for rows still pending (a restart, a lost wake-up, the assistant down) and
  retries them; after a few failed tries the customer is told their message is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff import crud
from handoff.channels.binding import BIND_COMMAND, VERIFIED_BY, Binding, wants_binding
from handoff.channels.errors import Busy
from handoff.channels.wechat import MEDIA_KINDS, IncomingMessage
from handoff.channels.work import LEASE_SECONDS, CustomerWork, customer_lock
from handoff.clock import Clock
from handoff.config import Settings
from handoff.conversations import ASSISTANT_UNAVAILABLE, ConversationService
from handoff.models import ChannelInbound, ChannelUser, Conversation, ConversationMode
from handoff.system_texts import channel_text
from textkit.language import language_of

logger = logging.getLogger(__name__)

SEEN_TTL_SECONDS = 86_400
MAX_ATTEMPTS = 3
_MEDIA_LABELS = {
    "image": "[图片]",
    "video": "[视频]",
    "shortvideo": "[小视频]",
    "file": "[文件]",
    "location": "[位置]",
    "link": "[链接]",
    "voice": "[语音]",
}


def _seen_key(channel: str, dedupe_key: str) -> str:
    return f"hub:channel:{channel}:seen:{dedupe_key}"


def _user_lock(user_id: int) -> str:
    return f"hub:channel:user:{user_id}:inbound"


class ChannelInbox:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        clock: Clock,
        conversations: ConversationService,
        binding: Binding,
        deliver: Callable[[int], Any],
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.clock = clock
        self.conversations = conversations
        self.binding = binding
        self._deliver = deliver
        # At most this many customers worked on at once (see handoff/channels/work.py).
        self._work = CustomerWork("channel-inbound", limit=settings.channel_workers, job=self._process_user)
        self._admission = asyncio.Semaphore(settings.channel_callbacks_at_once)

    # ---- the callback's part: store, then answer ------------------------------------------------------------------

    async def accept(self, channel: str, incoming: IncomingMessage) -> bool:
        """Store the message (False: a retry of one already stored) and start processing it in the background.
        Raises ``Busy`` when the hub cannot start storing it in time (the channel retries)."""
        try:
            async with asyncio.timeout(self.settings.channel_callback_wait_seconds):
                await self._admission.acquire()
        except TimeoutError as exc:
            raise Busy("Too many callbacks at once; the channel will retry.") from exc
        try:
            return await self._accept(channel, incoming)
        finally:
            self._admission.release()

    async def _accept(self, channel: str, incoming: IncomingMessage) -> bool:
        with contextlib.suppress(RedisError):
            if await self.redis.exists(_seen_key(channel, incoming.dedupe_key)):
                return False
        # Two tries: a customer's first two messages at once both create them, and the second commit loses the race
        # on the customer's unique key (not on the message's): its second try finds the customer made.
        for _ in range(2):
            async with self.sessions() as session:
                try:
                    user_id = await self._store(session, channel, incoming)
                except IntegrityError:
                    await session.rollback()
                    continue
                break
        else:
            return False  # a retry of a message already stored
        with contextlib.suppress(RedisError):
            await self.redis.set(_seen_key(channel, incoming.dedupe_key), 1, ex=SEEN_TTL_SECONDS)
        self.spawn(user_id)
        return True

    async def _store(self, session: AsyncSession, channel: str, incoming: IncomingMessage) -> int:
        """The message's row and the reply window it opens, committed; the customer's id."""
        user = await self._user(session, channel, incoming.account_id, incoming.external_id)
        session.add(
            ChannelInbound(
                channel=channel,
                dedupe_key=incoming.dedupe_key,
                user_id=user.id,
                kind=incoming.kind,
                payload=incoming.payload(),
                status="pending",
                attempts=0,
                received_at=self.clock.now(),
            )
        )
        await self._open_reply_window(session, user, incoming)
        await session.commit()
        return user.id

    async def _user(self, session: AsyncSession, channel: str, account_id: str, external_id: str) -> ChannelUser:
        """The channel's customer, created with their conversation the first time they write."""
        query = select(ChannelUser).where(
            ChannelUser.channel == channel, ChannelUser.account_id == account_id, ChannelUser.external_id == external_id
        )
        user = (await session.execute(query)).scalar_one_or_none()
        if user is not None:
            return user
        conversation, _ = await crud.create_conversation(
            session, channel=channel, language=None, customer_id=None, verified_by=None
        )
        user = ChannelUser(
            channel=channel,
            account_id=account_id,
            external_id=external_id,
            conversation_id=conversation.id,
            subscribed=True,
            replies_left=0,
            delivered_seq=0,
            created_at=self.clock.now(),
        )
        session.add(user)
        await session.flush()
        return user

    async def _open_reply_window(self, session: AsyncSession, user: ChannelUser, incoming: IncomingMessage) -> None:
        """What WeChat allows after this action: a message opens 48 hours and 5 replies; a menu click or a
        subscription, a minute and 3 (the larger allowance and the later end win: they do not add up)."""
        now = self.clock.now()
        if incoming.kind == "event" and incoming.event == "unsubscribe":
            user.subscribed = False
            return
        if incoming.kind == "event" and incoming.event not in ("subscribe", "click", "scan"):
            return  # a view of a link, a location report: they open no window
        if incoming.kind == "event":
            until = now + dt.timedelta(seconds=self.settings.wechat_event_window_seconds)
            allowed = self.settings.wechat_replies_per_event
            user.subscribed = True
        else:
            until = now + dt.timedelta(hours=self.settings.wechat_reply_window_hours)
            allowed = self.settings.wechat_replies_per_message
            await self._maybe_start_new_conversation(session, user, now)
            user.last_inbound_at = now
        open_now = user.reply_window_until is not None and user.reply_window_until > now
        user.reply_window_until = max(until, user.reply_window_until) if open_now and user.reply_window_until else until
        user.replies_left = max(allowed, user.replies_left if open_now else 0)

    async def _maybe_start_new_conversation(self, session: AsyncSession, user: ChannelUser, now: dt.datetime) -> None:
        """After a long silence a new message starts a new conversation (agents read one visit at a time), unless
        the old one is with a person or still has replies to deliver."""
        idle = dt.timedelta(hours=self.settings.wechat_conversation_idle_hours)
        if user.last_inbound_at is None or now - user.last_inbound_at < idle:
            return
        old = await crud.get_conversation(session, conversation_id=user.conversation_id)
        if old is None or old.mode not in (ConversationMode.BOT, ConversationMode.CLOSED):
            return
        if old.last_seq > user.delivered_seq:
            return
        conversation, _ = await crud.create_conversation(
            session,
            channel=user.channel,
            language=old.language,
            customer_id=user.customer_id,
            verified_by=VERIFIED_BY if user.customer_id else None,
        )
        user.conversation_id, user.delivered_seq, user.choices = conversation.id, 0, None

    # ---- processing, one customer at a time ------------------------------------------------------------------------

    def spawn(self, user_id: int) -> None:
        """Process the customer's rows soon, in the background."""
        self._work.spawn(user_id)

    async def process_user(self, user_id: int) -> None:
        """Process the customer's pending rows in order, then deliver what they produced."""
        await self._work.run(user_id)

    async def _process_user(self, user_id: int) -> None:
        async with customer_lock(self.redis, _user_lock(user_id), lease=LEASE_SECONDS, blocking_timeout=1) as held:
            if not held:
                return  # another process has this customer; the sweep comes back for anything it leaves
            try:
                await self._drain(user_id)
            except Exception:
                logger.exception("channel user %s: processing failed; the sweep will retry", user_id)
        await self._deliver(user_id)

    async def _drain(self, user_id: int) -> None:
        """The customer's pending rows, oldest first, until none is left or the assistant is down."""
        while True:
            async with self.sessions() as session:
                query = (
                    select(ChannelInbound)
                    .where(ChannelInbound.user_id == user_id, ChannelInbound.status == "pending")
                    .order_by(ChannelInbound.id)
                    .limit(1)
                )
                row = (await session.execute(query)).scalar_one_or_none()
                if row is None:
                    return
                done = await self._process(session, row)
                row.attempts += 1
                if done:
                    row.status, row.processed_at = "done", self.clock.now()
                elif row.attempts >= MAX_ATTEMPTS:
                    row.status, row.last_error = "failed", "the assistant did not answer"
                await session.commit()
            if row.status == "failed":
                await self._tell_kept(user_id)
            elif not done:
                return  # the assistant is down: the sweep tries again, in order

    async def _process(self, session: AsyncSession, row: ChannelInbound) -> bool:
        """One stored message or event (True: handled; False: the assistant could not answer, try again)."""
        user = await session.get(ChannelUser, row.user_id)
        conversation = await crud.get_conversation(session, conversation_id=user.conversation_id) if user else None
        if user is None or conversation is None:
            return True
        payload = row.payload or {}
        language = user.language or conversation.language
        client_msg_id = f"{row.channel}:{row.dedupe_key}"[:64]
        text = str(payload.get("text") or "").strip()
        if row.kind == "event":
            return await self._event(session, user, conversation, payload, client_msg_id)
        if row.kind == "voice" and not text:
            await self.conversations.post_for_people(
                conversation_id=conversation.id,
                client_msg_id=client_msg_id,
                text=_MEDIA_LABELS["voice"],
                answer=channel_text("voice_unrecognised", language),
            )
            return True
        if row.kind in MEDIA_KINDS:
            with_person = conversation.mode in (ConversationMode.QUEUED, ConversationMode.AGENT)
            await self.conversations.post_for_people(
                conversation_id=conversation.id,
                client_msg_id=client_msg_id,
                text=_media_text(row.kind, payload.get("media") or {}),
                answer=channel_text("media_to_person" if with_person else "media_to_assistant", language),
            )
            return True
        if row.kind not in ("text", "voice"):
            await self.conversations.post_for_people(
                conversation_id=conversation.id,
                client_msg_id=client_msg_id,
                text="[?]",
                answer=channel_text("unsupported", language),
            )
            return True
        user.language = language_of(text) or user.language
        if self.binding.in_dialogue(user) or wants_binding(text):
            return await self._binding_turn(session, user, conversation, text, client_msg_id)
        return await self._to_conversation(session, user, conversation, _chosen(user, text), client_msg_id)

    async def _event(
        self,
        session: AsyncSession,
        user: ChannelUser,
        conversation: Conversation,
        payload: dict[str, Any],
        client_msg_id: str,
    ) -> bool:
        event = payload.get("event")
        language = user.language or conversation.language
        if event == "subscribe":
            await self.conversations.say(conversation_id=conversation.id, text=channel_text("welcome", language))
            return True
        if event == "click":
            action = self.settings.wechat_menu.get(str(payload.get("event_key") or ""))
            if action is None:
                return True
            if action == "bind":
                return await self._binding_turn(session, user, conversation, BIND_COMMAND, client_msg_id)
            return await self._to_conversation(session, user, conversation, action, client_msg_id)
        return True  # unsubscribe (already recorded), views, locations: nothing to say

    async def _binding_turn(
        self, session: AsyncSession, user: ChannelUser, conversation: Conversation, text: str, client_msg_id: str
    ) -> bool:
        step = await self.binding.handle(session, user=user, conversation=conversation, text=text)
        await session.commit()
        await self.conversations.post_for_people(
            conversation_id=conversation.id,
            client_msg_id=client_msg_id,
            text=step.stored_text or text,
            answer=step.answer,
        )
        return True

    async def _to_conversation(
        self, session: AsyncSession, user: ChannelUser, conversation: Conversation, text: str, client_msg_id: str
    ) -> bool:
        await session.commit()  # nothing of ours is held while the assistant thinks
        outcome = await self.conversations.post_customer_message(
            conversation=conversation, client_msg_id=client_msg_id, text=text
        )
        return not outcome.assistant_unavailable

    async def _tell_kept(self, user_id: int) -> None:
        """The assistant did not answer after a few tries: the customer hears their message is kept."""
        async with self.sessions() as session:
            user = await session.get(ChannelUser, user_id)
            if user is None:
                return
            language = user.language or "zh"
            conversation_id = user.conversation_id
        await self.conversations.say(conversation_id=conversation_id, text=ASSISTANT_UNAVAILABLE[language])

    # ---- the sweep -------------------------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Start processing for every customer with rows left pending for more than a moment."""
        settled = self.clock.now() - dt.timedelta(seconds=2)
        async with self.sessions() as session:
            query = (
                select(ChannelInbound.user_id)
                .where(ChannelInbound.status == "pending", ChannelInbound.received_at < settled)
                .distinct()
                .limit(200)
            )
            user_ids = list((await session.execute(query)).scalars())
        for user_id in user_ids:
            self.spawn(user_id)
        return len(user_ids)

    async def stop(self) -> None:
        await self._work.stop()


def _chosen(user: ChannelUser, text: str) -> str:
    """A number answering the numbered choices last offered becomes that choice's payload."""
    choices = user.choices or []
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return str(choices[int(text) - 1].get("payload") or text)
    return text


def _media_text(kind: str, media: dict[str, Any]) -> str:
    """How the transcript shows a photo, a file, a location: its label and what an agent can open."""
    details = [str(media[name]) for name in ("Title", "Label", "PicUrl", "Url") if media.get(name)]
    if kind == "location" and media.get("Location_X"):
        details.append(f"{media['Location_X']},{media.get('Location_Y', '')}")
    return " ".join([_MEDIA_LABELS.get(kind, "[?]"), *details])[:2000]
