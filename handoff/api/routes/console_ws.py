"""The agent console's websocket (``/api/console/ws``): offers, the chats' messages and typing, presence.

Used by the console and by the account-manager inbox (which hears of its service requests here). The handshake
is refused (HTTP 403) unless its Origin is the console's own (or configured) and its session cookie is live: a browser sends cookies with a cross-site websocket, so the Origin check is what keeps another site
from riding an agent's session. Customer text arrives with personal numbers masked.

Console -> hub frames: ``heartbeat`` (every ``heartbeat_seconds``; an agent silent for ``agent_stale_seconds``
has vanished and their chats go back to the queue), ``typing`` (conversation_id), ``watch`` / ``unwatch``
(conversation_id: a chat the staff member may read), ``resume`` (conversation_id, last_seq), ``ping``.
Hub -> console events: ``hello``, ``offer``, ``offer_withdrawn``, ``chat_assigned``, ``chat_removed``, ``presence``,
``queue_changed`` (at most once a second), and per conversation ``message``, ``typing``, ``mode``, ``closed``,
``satisfaction_request`` (each with ``conversation_id``), ``error``, ``pong``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from handoff import crud, realtime
from handoff.agents import StaffIdentity
from handoff.api.deps import SESSION_COOKIE, origin_allowed, staff_from_cookie
from handoff.api.sockets import FrameError, next_frame, run_until_first_ends
from handoff.errors import HubError
from handoff.handoffs import HandoffService
from handoff.schemas import HelloEvent
from handoff.workspace import console_event_message, console_message

logger = logging.getLogger(__name__)
router = APIRouter()

CONVERSATION_PREFIX = "hub:conv:"
QUEUE_CHANGED_EVERY_SECONDS = 1.0
TYPING_EVERY_SECONDS = 1.0
CONSOLE_FRAME_BYTES = 4096
FORWARDED = frozenset({"typing", "mode", "closed", "satisfaction_request"})


@router.websocket("/api/console/ws")
async def console_socket(websocket: WebSocket) -> None:
    app = websocket.app
    settings = app.state.settings
    if not origin_allowed(websocket.headers.get("origin"), host=websocket.headers.get("host"), settings=settings):
        logger.warning("console websocket refused: origin %r", websocket.headers.get("origin"))
        await websocket.close(code=4403)
        return
    found = await staff_from_cookie(
        token=websocket.cookies.get(SESSION_COOKIE),
        sessions=app.state.sessions,
        clock=app.state.clock,
        cache=app.state.session_cache,
    )
    if found is None:
        await websocket.close(code=4401)
        return
    await websocket.accept()
    await ConsoleSocket(websocket, found.staff, app.state.handoffs, app.state.broker).serve()


class ConsoleSocket:
    def __init__(self, websocket: WebSocket, staff: StaffIdentity, handoffs: HandoffService, broker: realtime.Broker):
        self.websocket = websocket
        self.staff = staff
        self.handoffs = handoffs
        self.subscription = broker.subscription()
        self.delivery = realtime.OrderedDelivery(load_after=self._load_after, send=self._send_message)
        self.watched: set[str] = set()
        self._send_lock = asyncio.Lock()
        self._queue_changed_at = 0.0
        self._queue_changed_pending = False
        self._typing_at: dict[str, float] = {}

    async def serve(self) -> None:
        try:
            await self.subscription.follow(realtime.staff_channel(self.staff.id))
            await self.subscription.follow(realtime.CONSOLE_CHANNEL)
            status = await self.handoffs.heartbeat(staff=self.staff)
            agent = await self.handoffs.queue.agent(self.staff.id)
            for conversation_id in agent.chats if agent else []:
                await self._follow_chat(conversation_id)
            hello = HelloEvent.model_validate(
                {
                    "user": {"id": self.staff.id, "display_name": self.staff.display_name, "role": self.staff.role},
                    "presence": status or "offline",
                    "heartbeat_seconds": self.handoffs.settings.heartbeat_seconds,
                    "agent_stale_seconds": self.handoffs.settings.agent_stale_seconds,
                }
            )
            await self.send(hello.model_dump(mode="json"))
            await run_until_first_ends(
                f"console socket of {self.staff.id}",
                self._receive_loop(),
                self._push_loop(),
                self._queue_changed_loop(),
            )
        except WebSocketDisconnect:
            pass
        finally:
            await self.subscription.close()

    async def send(self, event: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_json(event)

    # ---- chats followed ---------------------------------------------------------------------------------

    async def _follow_chat(self, conversation_id: str) -> None:
        """Follow a chat's events from now on; what came before, the console reads over REST (merged by seq)."""
        await self.subscription.follow(realtime.channel_for(conversation_id))
        async with self.handoffs.sessions() as session:
            conversation = await crud.get_conversation(session, conversation_id=conversation_id)
        if self.delivery.last_sent(conversation_id) == 0 and conversation is not None:
            self.delivery.start_from(conversation_id, conversation.last_seq)

    async def _unfollow_chat(self, conversation_id: str) -> None:
        if conversation_id in self.watched:
            return
        await self.subscription.unfollow(realtime.channel_for(conversation_id))
        self.delivery.forget(conversation_id)

    async def _load_after(self, conversation_id: str, seq: int) -> list[dict[str, Any]]:
        async with self.handoffs.sessions() as session:
            messages = await crud.list_messages_after(session, conversation_id=conversation_id, after_seq=seq)
        return [console_message(m) for m in messages]

    async def _send_message(self, conversation_id: str, message: dict[str, Any]) -> None:
        await self.send({"type": "message", "conversation_id": conversation_id, "message": message})

    # ---- hub -> console -----------------------------------------------------------------------------------

    async def _push_loop(self) -> None:
        while True:
            channel, event = await self.subscription.next()
            kind = event.get("type")
            if kind == "resync":
                for conversation_id in [c[len(CONVERSATION_PREFIX) : -len(":events")] for c in self._chat_channels()]:
                    await self.delivery.catch_up(conversation_id)
                continue
            if channel.startswith(CONVERSATION_PREFIX):
                conversation_id = channel[len(CONVERSATION_PREFIX) : -len(":events")]
                if kind == "message":
                    await self.delivery.deliver(conversation_id, [console_event_message(event["message"])])
                elif kind == "typing" and event.get("sender") != "customer":
                    continue  # an agent's own typing, on its way to the customer
                elif kind in FORWARDED:
                    await self.send({**event, "conversation_id": conversation_id})
                continue
            if kind == "queue_changed":
                self._queue_changed_pending = True
                continue
            if kind == "chat_assigned":
                await self._follow_chat(str(event["conversation_id"]))
            elif kind == "chat_removed":
                await self._unfollow_chat(str(event["conversation_id"]))
            await self.send(event)

    def _chat_channels(self) -> list[str]:
        return [c for c in self.subscription.channels if c.startswith(CONVERSATION_PREFIX)]

    async def _queue_changed_loop(self) -> None:
        """The queue changes many times a second under load; a console needs to hear it at most once a second."""
        while True:
            await asyncio.sleep(QUEUE_CHANGED_EVERY_SECONDS)
            if self._queue_changed_pending:
                self._queue_changed_pending = False
                await self.send({"type": "queue_changed"})

    # ---- console -> hub -----------------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            try:
                frame = await next_frame(self.websocket, max_bytes=CONSOLE_FRAME_BYTES)
            except FrameError as exc:
                await self._error(exc.code, exc.message)
                continue
            kind = frame.get("type")
            conversation_id = frame.get("conversation_id")
            try:
                if kind == "heartbeat":
                    status = await self.handoffs.heartbeat(staff=self.staff)
                    await self.send({"type": "heartbeat", "presence": status or "offline"})
                elif kind == "ping":
                    await self.send({"type": "pong"})
                elif kind in ("typing", "watch", "unwatch", "resume") and isinstance(conversation_id, str):
                    await self._on_chat_frame(kind, conversation_id, frame)
                else:
                    await self._error("unknown_type", "type must be heartbeat, typing, watch, unwatch, resume or ping.")
            except HubError as exc:
                await self._error(exc.code, exc.message)

    async def _on_chat_frame(self, kind: str, conversation_id: str, frame: dict[str, Any]) -> None:
        if kind == "unwatch":
            self.watched.discard(conversation_id)
            holder = await self.handoffs.queue.chat(conversation_id)
            if holder is None or holder.agent_id != self.staff.id:
                await self._unfollow_chat(conversation_id)
            return
        write = kind == "typing"
        await self.handoffs.holder(staff=self.staff, conversation_id=conversation_id, write=write)
        if kind == "typing":
            now = time.monotonic()
            if now - self._typing_at.get(conversation_id, 0.0) >= TYPING_EVERY_SECONDS:
                self._typing_at[conversation_id] = now
                await realtime.publish_to_conversation(
                    self.handoffs.redis, conversation_id, {"type": "typing", "sender": "agent"}
                )
        elif kind == "watch":
            self.watched.add(conversation_id)
            await self._follow_chat(conversation_id)
        else:
            last_seq = frame.get("last_seq")
            if not isinstance(last_seq, int) or last_seq < 0:
                await self._error("validation_error", "last_seq must be a whole number.")
                return
            await self._follow_chat(conversation_id)
            self.delivery.start_from(conversation_id, last_seq)
            await self.delivery.catch_up(conversation_id)

    async def _error(self, code: str, message: str) -> None:
        await self.send({"type": "error", "code": code, "message": message})
