"""Live events between hub processes, through Redis pub/sub.

Channels: one per conversation (``hub:conv:<id>:events``: stored messages, typing, mode changes, closing), one per
staff member (``hub:staff:<id>:events``: offers, chats given or taken away) and one for every console
(``hub:console:events``: the queue or the agents changed).

Each hub process holds one Redis pub/sub connection (``Broker``) and fans events out to its local websockets,
so a thousand customers cost one connection, not a thousand. Losing a push is never losing a message: the
transcript is in SQL, and ``OrderedDelivery`` sends each stored message once and in ``seq`` order, filling any gap
from the transcript. When the pub/sub connection drops, every local subscriber gets a ``resync`` event and
catches up from SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CONSOLE_CHANNEL = "hub:console:events"
RESYNC = {"type": "resync"}
SUBSCRIBER_BUFFER = 2000


def channel_for(conversation_id: str) -> str:
    return f"hub:conv:{conversation_id}:events"


def staff_channel(user_id: str) -> str:
    return f"hub:staff:{user_id}:events"


async def publish(redis: Redis, channel: str, event: BaseModel | dict[str, Any]) -> None:
    """Push an event to every subscriber of a channel, on any hub process (best effort: see the module doc)."""
    payload = event.model_dump(mode="json") if isinstance(event, BaseModel) else event
    try:
        await redis.publish(channel, json.dumps(payload, ensure_ascii=False, default=str))
    except RedisError:
        logger.warning("realtime: could not publish a %s event", payload.get("type"))


async def publish_to_conversation(redis: Redis, conversation_id: str, event: BaseModel | dict[str, Any]) -> None:
    await publish(redis, channel_for(conversation_id), event)


class Subscription:
    """One local listener (a websocket): the channels it follows and the events waiting for it."""

    def __init__(self, broker: Broker):
        self._broker = broker
        self.channels: set[str] = set()
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(maxsize=SUBSCRIBER_BUFFER)

    async def follow(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self._broker._add(channel, self)

    async def unfollow(self, channel: str) -> None:
        if channel in self.channels:
            self.channels.discard(channel)
            await self._broker._remove(channel, self)

    async def close(self) -> None:
        for channel in list(self.channels):
            await self.unfollow(channel)

    def push(self, channel: str, event: dict[str, Any]) -> None:
        try:
            self.events.put_nowait((channel, event))
        except asyncio.QueueFull:
            # A listener this far behind catches up from the transcript instead.
            while not self.events.empty():
                self.events.get_nowait()
            self.events.put_nowait(("", RESYNC))

    async def next(self) -> tuple[str, dict[str, Any]]:
        return await self.events.get()


class Broker:
    """The process's one pub/sub connection, shared by every local websocket."""

    def __init__(self, redis_url: str):
        # Its own connection, with no read timeout (a quiet channel is not an error) and a health check that
        # finds a dead connection within half a minute.
        self.redis = Redis.from_url(redis_url, decode_responses=True, socket_timeout=None, health_check_interval=30)
        self._listeners: dict[str, set[Subscription]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closing = False

    def subscription(self) -> Subscription:
        return Subscription(self)

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read_forever(), name="realtime-broker")

    async def stop(self) -> None:
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        await self._close_pubsub()
        await self.redis.aclose()

    async def _add(self, channel: str, subscription: Subscription) -> None:
        async with self._lock:
            listeners = self._listeners.setdefault(channel, set())
            listeners.add(subscription)
            if len(listeners) == 1 and self._pubsub is not None:
                with contextlib.suppress(RedisError, ConnectionError):
                    await self._pubsub.subscribe(channel)

    async def _remove(self, channel: str, subscription: Subscription) -> None:
        async with self._lock:
            listeners = self._listeners.get(channel)
            if not listeners:
                return
            listeners.discard(subscription)
            if not listeners:
                del self._listeners[channel]
                if self._pubsub is not None:
                    with contextlib.suppress(RedisError, ConnectionError):
                        await self._pubsub.unsubscribe(channel)

    async def _connect(self) -> None:
        async with self._lock:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            # Always subscribed to the console channel, so the reader has something to listen to.
            await pubsub.subscribe(CONSOLE_CHANNEL, *self._listeners)
            self._pubsub = pubsub

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _read_forever(self) -> None:
        delay = 0.2
        while not self._closing:
            try:
                await self._connect()
                delay = 0.2
                self._fan_out_resync()
                async for raw in self._pubsub.listen():
                    if raw.get("type") == "message":
                        self._fan_out(str(raw["channel"]), raw["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("realtime: pub/sub connection lost (%s); reconnecting", type(exc).__name__)
            await self._close_pubsub()
            if self._closing:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _fan_out(self, channel: str, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            return
        for subscription in list(self._listeners.get(channel, ())):
            subscription.push(channel, event)

    def _fan_out_resync(self) -> None:
        seen: set[int] = set()
        for listeners in self._listeners.values():
            for subscription in listeners:
                if id(subscription) not in seen:
                    seen.add(id(subscription))
                    subscription.push("", RESYNC)


LoadAfter = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
SendMessage = Callable[[str, dict[str, Any]], Awaitable[None]]


class OrderedDelivery:
    """Sends each stored message of a conversation once, in ``seq`` order, filling gaps from the transcript.

    ``load_after(conversation_id, seq)`` reads the stored messages after a sequence; ``send(conversation_id,
    message)`` writes one to the socket. Pushes can arrive out of order (two processes commit one after the
    other but publish the other way round): a message ahead of the next expected one triggers a read of what
    is missing, which is committed by then because sequence numbers are taken under the conversation's row lock.
    """

    def __init__(self, *, load_after: LoadAfter, send: SendMessage):
        self._load_after = load_after
        self._send = send
        self._sent: dict[str, int] = {}
        self._lock = asyncio.Lock()

    def last_sent(self, conversation_id: str) -> int:
        return self._sent.get(conversation_id, 0)

    def start_from(self, conversation_id: str, seq: int) -> None:
        self._sent[conversation_id] = max(seq, 0)

    def forget(self, conversation_id: str) -> None:
        self._sent.pop(conversation_id, None)

    async def catch_up(self, conversation_id: str) -> None:
        async with self._lock:
            await self._catch_up_locked(conversation_id)

    async def deliver(self, conversation_id: str, messages: Iterable[dict[str, Any]]) -> None:
        async with self._lock:
            for message in sorted(messages, key=lambda m: int(m["seq"])):
                seq = int(message["seq"])
                last = self._sent.get(conversation_id, 0)
                if seq <= last:
                    continue
                if seq > last + 1:
                    await self._catch_up_locked(conversation_id)
                    if self._sent.get(conversation_id, 0) >= seq:
                        continue
                await self._send(conversation_id, message)
                self._sent[conversation_id] = seq

    async def _catch_up_locked(self, conversation_id: str) -> None:
        while True:
            missing = await self._load_after(conversation_id, self._sent.get(conversation_id, 0))
            for message in missing:
                await self._send(conversation_id, message)
                self._sent[conversation_id] = int(message["seq"])
            if len(missing) < 500:
                return
