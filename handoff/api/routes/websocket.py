"""The customer API v1 over a websocket: the same messages as REST, pushed.

Client -> hub: ``message`` (client_msg_id, text), ``resume`` (last_seq), ``typing`` (relayed to the agent while
one has the chat), ``rate`` (score, comment), ``ping``. Hub -> client: ``ack`` (client_msg_id, seq), ``message``
(a stored message, any sender), ``typing``, ``mode`` (mode, queue, agent), ``closed``, ``satisfaction_request``,
``error`` (code, message), ``pong``. Every stored message reaches the socket once and in sequence order: pushes
come through the process's Redis pub/sub connection from any hub instance, and a gap is filled from the
transcript. On connect the hub sends what the client missed, then the conversation's mode.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from handoff import realtime
from handoff.api.sockets import FrameError, next_frame, run_until_first_ends
from handoff.conversations import ASSISTANT_UNAVAILABLE, ConversationService
from handoff.crud import message_out
from handoff.errors import UNAVAILABLE_DEPENDENCIES, HubError, unavailable
from handoff.models import Conversation, ConversationMode, Message
from handoff.schemas import MessageCreate, RatingCreate

logger = logging.getLogger(__name__)
router = APIRouter()

CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}
TYPING_EVERY_SECONDS = 1.0


@router.websocket("/api/v1/conversations/{conversation_id}/ws")
async def conversation_socket(
    websocket: WebSocket, conversation_id: str, token: str | None = None, last_seq: int = 0
) -> None:
    service: ConversationService = websocket.app.state.conversations
    await websocket.accept()
    try:
        conversation = await service.authorize(conversation_id=conversation_id, resume_token=token)
    except HubError as exc:
        await websocket.send_json({"type": "error", **exc.to_body()["error"]})
        await websocket.close(code=CLOSE_CODES.get(exc.status_code, 4400))
        return
    broker: realtime.Broker = websocket.app.state.broker
    await CustomerSocket(websocket, service, broker, conversation).serve(max(last_seq, 0))


class CustomerSocket:
    def __init__(
        self, websocket: WebSocket, service: ConversationService, broker: realtime.Broker, conversation: Conversation
    ):
        self.websocket = websocket
        self.service = service
        self.conversation = conversation
        self.subscription = broker.subscription()
        self.delivery = realtime.OrderedDelivery(load_after=self._load_after, send=self._send_message)
        self._send_lock = asyncio.Lock()
        self._last_typing = 0.0

    async def serve(self, last_seq: int) -> None:
        self.delivery.start_from(self.conversation.id, last_seq)
        await self.subscription.follow(realtime.channel_for(self.conversation.id))
        try:
            await self.delivery.catch_up(self.conversation.id)
            await self._send_mode()
            await run_until_first_ends(
                f"conversation {self.conversation.id} socket", self._receive_loop(), self._push_loop()
            )
        except WebSocketDisconnect:
            pass
        finally:
            await self.subscription.close()

    # --- hub -> client -------------------------------------------------------------------------------

    async def send(self, event: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_json(event)

    async def _send_message(self, _conversation_id: str, message: dict[str, Any]) -> None:
        await self.send({"type": "message", "message": message})

    async def _load_after(self, conversation_id: str, seq: int) -> list[dict[str, Any]]:
        messages = await self.service.messages_after(conversation_id=conversation_id, after_seq=seq)
        return [message_out(m) for m in messages]

    async def _send_mode(self) -> None:
        mode, status = await self.service.state(conversation_id=self.conversation.id)
        queue = {"position": status.position, "eta_seconds": status.eta_seconds} if status else None
        await self.send({"type": "mode", "mode": str(mode), "queue": queue, "agent": None})

    async def _push_loop(self) -> None:
        while True:
            _channel, event = await self.subscription.next()
            kind = event.get("type")
            if kind == "message":
                await self.delivery.deliver(self.conversation.id, [event["message"]])
            elif kind == "resync":
                await self.delivery.catch_up(self.conversation.id)
            elif kind == "typing" and event.get("sender") == "customer":
                continue  # the customer's own typing, for the agent
            else:
                await self.send(event)

    # --- client -> hub -------------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        limit = self.service.settings.max_body_bytes
        while True:
            try:
                frame = await next_frame(self.websocket, max_bytes=limit)
            except FrameError as exc:
                await self._error(exc.code, exc.message)
                continue
            kind = frame.get("type")
            fields = {k: v for k, v in frame.items() if k != "type"}
            if kind == "message":
                await self._on_message(fields)
            elif kind == "resume":
                try:
                    last_seq = max(int(frame.get("last_seq") or 0), 0)
                except (TypeError, ValueError):
                    await self._error("validation_error", "last_seq must be a whole number.")
                    continue
                self.delivery.start_from(self.conversation.id, last_seq)
                await self.delivery.catch_up(self.conversation.id)
            elif kind == "typing":
                await self._on_typing()
            elif kind == "rate":
                await self._on_rate(fields)
            elif kind == "ping":
                await self.send({"type": "pong"})
            else:
                await self._error("unknown_type", "type must be message, resume, typing, rate or ping.")

    async def _on_message(self, fields: dict[str, Any]) -> None:
        try:
            body = MessageCreate.model_validate(fields)
        except ValidationError as exc:
            await self._error(
                "validation_error", "; ".join(str(e["msg"]) for e in exc.errors()), fields.get("client_msg_id")
            )
            return

        async def acknowledge(message: Message) -> None:
            await self.send({"type": "ack", "client_msg_id": body.client_msg_id, "seq": message.seq})
            await self.delivery.deliver(self.conversation.id, [message_out(message)])

        try:
            outcome = await self.service.post_customer_message(
                conversation=self.conversation,
                client_msg_id=body.client_msg_id,
                text=body.text,
                on_stored=acknowledge,
            )
        except UNAVAILABLE_DEPENDENCIES as exc:
            error = unavailable(exc)
            await self._error(error.code, error.message, body.client_msg_id)
            return
        except HubError as exc:
            await self._error(exc.code, exc.message, body.client_msg_id)
            return
        if outcome.assistant_unavailable:
            await self._error(
                "assistant_unavailable",
                ASSISTANT_UNAVAILABLE[self.conversation.language or "zh"],
                body.client_msg_id,
            )
        await self.delivery.deliver(self.conversation.id, [message_out(r) for r in outcome.replies])

    async def _on_typing(self) -> None:
        now = time.monotonic()
        if now - self._last_typing < TYPING_EVERY_SECONDS:
            return
        self._last_typing = now
        mode, _ = await self.service.state(conversation_id=self.conversation.id)
        if mode in (ConversationMode.QUEUED, ConversationMode.AGENT):
            await realtime.publish_to_conversation(
                self.service.redis, self.conversation.id, {"type": "typing", "sender": "customer"}
            )

    async def _on_rate(self, fields: dict[str, Any]) -> None:
        try:
            body = RatingCreate.model_validate(fields)
        except ValidationError as exc:
            await self._error("validation_error", "; ".join(str(e["msg"]) for e in exc.errors()))
            return
        try:
            await self.service.rate(conversation_id=self.conversation.id, score=body.score, comment=body.comment)
        except HubError as exc:
            await self._error(exc.code, exc.message)

    async def _error(self, code: str, message: str, client_msg_id: Any = None) -> None:
        event: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if client_msg_id is not None:
            event["client_msg_id"] = client_msg_id
        await self.send(event)
