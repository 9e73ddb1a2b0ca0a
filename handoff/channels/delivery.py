"""Everything the transcript says to a channel's customer, delivered through the channel's API.

The transcript is the source of truth and ``ChannelUser.delivered_seq`` the cursor: the assistant's, the agents'
and the hub's messages after it are joined into as few channel messages as fit (buttons become numbered
choices), sent, and the cursor moves past each one the API accepted. So nothing is lost when a hub process
restarts or the API is down (the cursor stays and the sweep comes back), and a message is sent twice only if a
process dies between the API's answer and the commit that follows it.

Who delivers: any hub process, one at a time per customer (a Redis lock). A process learns of new messages from
the conversation events every process publishes (``Delivery.listen``), from the inbound processing that produced
them, and from the sweep (``Delivery.sweep``), which also finds the customers whose reply window has closed.

The reply window (WeChat's rules, kept on ``ChannelUser``): messages are accepted until ``reply_window_until``
and at most ``replies_left`` of them. With the allowance used up, messages wait for the customer's next message.
With the window closed (or error 45015, or the customer unfollowed), they stay stored and wait for the customer's
return, the agents see a note in the chat, and a bound customer's account manager gets a service request to call
them (one open request per conversation, not one per message).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff import crud, realtime
from handoff.channels.errors import ChannelApiError, ChannelUnavailable, ReplyNotAllowed
from handoff.channels.work import LEASE_SECONDS, CustomerWork, customer_lock
from handoff.clock import Clock
from handoff.config import Settings
from handoff.models import ChannelUser, Conversation, Message, ServiceRequest
from handoff.requests import OPEN_STATES, ServiceRequestService
from handoff.system_texts import CHANNEL_NAMES, UNDELIVERED_REASONS, channel_text, lang
from textkit.masking import mask_text

logger = logging.getLogger(__name__)

UNDELIVERED = "channel_undelivered"  # the custom key of the agents' note, and the service request's reason
OUTGOING_SENDERS = ("bot", "agent", "system")
UNDELIVERED_REQUEST_HOURS = 4


class ChannelApi(Protocol):
    channel: str

    async def send_text(self, *, account_id: str, external_id: str, text: str) -> None: ...

    async def end_session(self, *, account_id: str, external_id: str) -> None: ...


@dataclass(frozen=True)
class Chunk:
    """One channel message: the text, the last transcript message it carries, the choices it offers."""

    text: str
    last_seq: int
    choices: list[dict[str, Any]] | None


def rendered(message: Message, language: str | None) -> tuple[str, list[dict[str, Any]] | None]:
    """A transcript message as channel text: an agent's name first, buttons as numbered choices."""
    text = message.text or ""
    if message.sender == "agent" and message.sender_name:
        text = f"{message.sender_name}：{text}" if lang(language) == "zh" else f"{message.sender_name}: {text}"
    buttons = [b for b in (message.buttons or []) if isinstance(b, dict) and b.get("title")]
    if not buttons:
        return text, None
    lines = [channel_text("choose_by_number", language)]
    lines += [f"{number}. {button['title']}" for number, button in enumerate(buttons, start=1)]
    choices = [{"title": str(b["title"]), "payload": str(b.get("payload") or b["title"])} for b in buttons]
    return "\n".join([text, *lines]) if text else "\n".join(lines), choices


def compose(messages: list[Message], *, language: str | None, max_bytes: int, after_seq: int = 0) -> list[Chunk]:
    """Messages joined into as few chunks as fit ``max_bytes`` (UTF-8); a message longer than that is cut into
    several. A chunk's ``last_seq`` is the last message it completes (``after_seq``, the cursor, when it completes
    none: the cursor then stays, and a failure resends the message whole rather than lose its end). The choices
    are those of the last message, if it has any."""
    chunks: list[Chunk] = []
    current: list[str] = []
    completed = after_seq
    choices: list[dict[str, Any]] | None = None
    for message in messages:
        text, choices = rendered(message, language)
        for piece in _pieces(text, max_bytes):
            if current and len("\n\n".join([*current, piece]).encode()) > max_bytes:
                chunks.append(Chunk("\n\n".join(current), completed, None))
                current = []
            current.append(piece)
        completed = message.seq
    if current:
        chunks.append(Chunk("\n\n".join(current), completed, choices))
    return [chunk for chunk in chunks if chunk.text]


def _pieces(text: str, max_bytes: int) -> list[str]:
    pieces, current = [], ""
    for char in text:
        if len((current + char).encode()) > max_bytes:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current]


class Delivery:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        clock: Clock,
        apis: dict[str, ChannelApi],
        requests: ServiceRequestService,
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.clock = clock
        self.apis = apis
        self.requests = requests
        # conversation id -> channel user id (None: a conversation of no channel, the widget's)
        self._users: dict[str, int | None] = {}
        self._work = CustomerWork("channel-delivery", limit=settings.channel_deliveries, job=self._deliver_locked)

    # ---- one customer ----------------------------------------------------------------------------------------------

    async def deliver(self, user_id: int) -> None:
        """Send what the customer has not had yet, as far as the reply window allows (a bounded number at once:
        each holds a database connection while the channel's API answers)."""
        await self._work.run(user_id)

    async def _deliver_locked(self, user_id: int) -> None:
        key = f"hub:channel:user:{user_id}:deliver"
        async with customer_lock(self.redis, key, lease=LEASE_SECONDS, blocking_timeout=30) as held:
            if not held:
                logger.warning("channel user %s: delivery lock not acquired; the sweep will come back", user_id)
                return
            try:
                async with self.sessions() as session:
                    await self._deliver(session, user_id)
            except Exception:
                logger.exception("channel user %s: delivery failed; the sweep will retry", user_id)

    async def _deliver(self, session: AsyncSession, user_id: int) -> None:
        user = await session.get(ChannelUser, user_id)
        api = self.apis.get(user.channel) if user else None
        if user is None or api is None:
            return
        messages = list(
            await crud.list_messages_after(session, conversation_id=user.conversation_id, after_seq=user.delivered_seq)
        )
        outgoing = [m for m in messages if m.sender in OUTGOING_SENDERS and not (m.custom or {}).get(UNDELIVERED)]
        if not outgoing:
            if messages:
                user.delivered_seq = messages[-1].seq
                await session.commit()
            return
        now = self.clock.now()
        if not user.subscribed or user.reply_window_until is None or user.reply_window_until <= now:
            reason = "window_closed" if user.subscribed else "unsubscribed"
            await self._hold(session, user, outgoing, reason)
            return
        language = user.language
        chunks = compose(
            outgoing, language=language, max_bytes=self.settings.wechat_text_max_bytes, after_seq=user.delivered_seq
        )
        for chunk in chunks:
            if user.replies_left <= 0:
                logger.info("channel user %s: reply allowance used; the rest waits for their next message", user_id)
                break
            try:
                await api.send_text(account_id=user.account_id, external_id=user.external_id, text=chunk.text)
            except ReplyNotAllowed as exc:
                if exc.errcode == 45047:  # the allowance is used up: wait for the customer's next message
                    user.replies_left = 0
                else:  # 45015 the window closed, 43004 unfollowed
                    user.reply_window_until = now
                    user.subscribed = user.subscribed and exc.errcode != 43004
                await session.commit()
                if exc.errcode != 45047:
                    rest = [m for m in outgoing if m.seq > user.delivered_seq]
                    await self._hold(session, user, rest, "refused" if exc.errcode != 43004 else "unsubscribed")
                return
            except (ChannelUnavailable, ChannelApiError) as exc:
                logger.warning("channel user %s: not delivered now (%s); the sweep will retry", user_id, exc)
                return
            user.delivered_seq = max(user.delivered_seq, chunk.last_seq)
            user.replies_left -= 1
            user.choices = chunk.choices
            await session.commit()

    async def _hold(self, session: AsyncSession, user: ChannelUser, held: list[Message], reason: str) -> None:
        """Messages the channel will not take now: kept for the customer's return; the agents are told once; a bound
        customer's account manager gets one request to call them."""
        conversation = await crud.get_conversation(session, conversation_id=user.conversation_id)
        if conversation is None or not held:
            return
        noted_seq = (await self._last_note(session, conversation.id)) or 0
        if all(m.seq <= noted_seq for m in held):
            return  # already noted (and handed over): nothing new since
        language = conversation.language or user.language
        handover = await self._hand_to_account_manager(session, user, conversation, held, reason)
        await session.refresh(conversation)  # the request's own message to the customer is covered too
        through_seq = conversation.last_seq
        channel_name = CHANNEL_NAMES.get(user.channel, {}).get(lang(language), user.channel)
        note = await crud.add_message(
            session,
            conversation_id=conversation.id,
            sender="system",
            text=channel_text(
                "undelivered_note",
                language,
                count=len(held),
                channel=channel_name,
                reason=UNDELIVERED_REASONS[reason][lang(language)],
                handover=handover,
            ),
            custom={UNDELIVERED: {"reason": reason, "through_seq": through_seq, "count": len(held)}},
        )
        await session.commit()
        await realtime.publish_to_conversation(
            self.redis, conversation.id, {"type": "message", "message": crud.message_out(note)}
        )
        logger.info("channel user %s: %d messages held (%s)", user.id, len(held), reason)

    async def _last_note(self, session: AsyncSession, conversation_id: str) -> int | None:
        """The last transcript message the agents' latest note covers."""
        query = (
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.sender == "system")
            .order_by(Message.seq.desc())
            .limit(20)
        )
        for message in (await session.execute(query)).scalars():
            note = (message.custom or {}).get(UNDELIVERED)
            if isinstance(note, dict):
                return int(note.get("through_seq") or 0)
        return None

    async def _hand_to_account_manager(
        self, session: AsyncSession, user: ChannelUser, conversation: Conversation, held: list[Message], reason: str
    ) -> str:
        """A service request to call the customer back, unless one is open for this conversation already; the words
        for the agents' note say what happened."""
        zh = lang(conversation.language or user.language) == "zh"
        if not conversation.customer_id:
            return (
                "客户未绑定身份，无法转交客户经理。"
                if zh
                else "The customer is not bound: no account manager to hand over to."
            )
        open_request = await session.scalar(
            select(ServiceRequest.number).where(
                ServiceRequest.conversation_id == conversation.id,
                ServiceRequest.reason == UNDELIVERED,
                ServiceRequest.state.in_(OPEN_STATES),
            )
        )
        if open_request:
            return f"已有服务请求 {open_request}。" if zh else f"Service request {open_request} is open."
        request = await self.requests.create_for_channel(
            conversation=conversation,
            summary=channel_text(
                "undelivered_summary",
                conversation.language or user.language,
                channel=CHANNEL_NAMES.get(user.channel, {}).get("zh" if zh else "en", user.channel),
                reason=UNDELIVERED_REASONS[reason]["zh" if zh else "en"],
                texts=mask_text("\n".join(m.text for m in held))[:1500],
            ),
            reason=UNDELIVERED,
            window_hours=UNDELIVERED_REQUEST_HOURS,
        )
        if request is None:
            return (
                "客户经理暂时无法确定，请人工跟进。" if zh else "No account manager could be found; please follow up."
            )
        return f"已转客户经理（服务请求 {request}）。" if zh else f"Handed to the account manager (request {request})."

    # ---- finding customers to deliver to ---------------------------------------------------------------------------

    def spawn(self, user_id: int) -> None:
        """Deliver to the customer soon, in the background."""
        self._work.spawn(user_id)

    async def sweep(self) -> int:
        """Deliver to every customer with messages waiting whose window is open and allowance left, and hold for
        those whose window has closed (each once: the note records how far it covers)."""
        now = self.clock.now()
        recent = now - dt.timedelta(days=7)
        async with self.sessions() as session:
            query = (
                select(ChannelUser.id)
                .join(Conversation, Conversation.id == ChannelUser.conversation_id)
                .where(
                    Conversation.last_seq > ChannelUser.delivered_seq,
                    ChannelUser.last_inbound_at > recent,
                    or_(
                        and_(ChannelUser.reply_window_until > now, ChannelUser.replies_left > 0),
                        ChannelUser.reply_window_until <= now,
                        ChannelUser.subscribed.is_(False),
                    ),
                )
                .limit(500)
            )
            user_ids = list((await session.execute(query)).scalars())
        for user_id in user_ids:
            self.spawn(user_id)
        return len(user_ids)

    async def listen(self) -> None:
        """Every hub process hears every conversation's events; a message to a channel's customer starts delivery."""
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(realtime.channel_for("*"))
                while True:
                    # Polled with a timeout shorter than the client's socket timeout: a quiet hour is not an error.
                    item = await pubsub.get_message(timeout=1.0)
                    if item is not None and item.get("type") == "pmessage":
                        await self._on_event(str(item.get("channel")), str(item.get("data")))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("delivery: the event stream broke (%s); the sweep covers the gap", type(exc).__name__)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves aclose unannotated

    async def _on_event(self, channel: str, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            return
        if not isinstance(event, dict) or event.get("type") not in ("message", "closed"):
            return
        message = event.get("message")
        if event["type"] == "message" and (
            not isinstance(message, dict) or message.get("sender") not in OUTGOING_SENDERS
        ):
            return
        conversation_id = channel.removeprefix("hub:conv:").removesuffix(":events")
        user_id = await self._user_of(conversation_id)
        if user_id is None:
            return
        if event["type"] == "closed":
            await self._end_session(user_id)
        else:
            self.spawn(user_id)

    async def _end_session(self, user_id: int) -> None:
        """An agent closed the chat: the channel's own session ends too, where it has one (WeCom)."""
        async with self.sessions() as session:
            user = await session.get(ChannelUser, user_id)
        api = self.apis.get(user.channel) if user else None
        if user is None or api is None:
            return
        try:
            await api.end_session(account_id=user.account_id, external_id=user.external_id)
        except (ChannelApiError, ChannelUnavailable) as exc:
            logger.info("channel user %s: the channel's session was not ended (%s)", user_id, exc)

    async def _user_of(self, conversation_id: str) -> int | None:
        if conversation_id not in self._users:
            async with self.sessions() as session:
                user_id = await session.scalar(
                    select(ChannelUser.id).where(ChannelUser.conversation_id == conversation_id)
                )
            if len(self._users) > 50_000:
                self._users.clear()
            self._users[conversation_id] = user_id
        return self._users[conversation_id]

    async def stop(self) -> None:
        await self._work.stop()
