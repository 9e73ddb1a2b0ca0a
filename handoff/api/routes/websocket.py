"""The customer API v1 over a websocket: the same messages as REST, pushed.

Client -> hub: ``{"type": "message", "client_msg_id", "text"}``, ``{"type": "resume", "last_seq"}``,
``{"type": "ping"}``. Hub -> client: ``ack`` (client_msg_id, seq), ``message`` (a stored message, any sender),
``typing``, ``mode``, ``closed``, ``error`` (code, message), ``pong``. Every stored message reaches the socket
once and in sequence order: pushes come through Redis pub/sub from any hub instance, and a gap is filled from
the transcript.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from handoff import realtime
from handoff.conversations import ASSISTANT_UNAVAILABLE, ConversationService, message_out
from handoff.errors import HubError
from handoff.models import Conversation, Message
from handoff.schemas import MessageCreate

logger = logging.getLogger(__name__)
router = APIRouter()

CLOSE_CODES = {401: 4401, 404: 4404}


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
    await CustomerSocket(websocket, service, conversation).serve(max(last_seq, 0))


class CustomerSocket:
    def __init__(self, websocket: WebSocket, service: ConversationService, conversation: Conversation):
        self.websocket = websocket
        self.service = service
        self.conversation = conversation
        self.sent_seq = 0
        self._send_lock = asyncio.Lock()

    async def serve(self, last_seq: int) -> None:
        self.sent_seq = last_seq
        pubsub: PubSub | None = self.service.redis.pubsub()
        try:
            await pubsub.subscribe(realtime.channel_for(self.conversation.id))  # type: ignore[union-attr]
        except RedisError:
            logger.warning("conversation %s: no live pushes, Redis unavailable", self.conversation.id)
            pubsub = None
        await self.catch_up()
        tasks = [asyncio.create_task(self._receive_loop())]
        if pubsub is not None:
            tasks.append(asyncio.create_task(self._push_loop(pubsub)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() and not isinstance(task.exception(), WebSocketDisconnect):
                    logger.error("conversation %s socket failed: %r", self.conversation.id, task.exception())
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    # --- hub -> client -------------------------------------------------------------------------------

    async def send(self, event: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_json(event)

    async def catch_up(self) -> None:
        """Send every stored message after the last one this socket has."""
        await self.deliver(
            await self.service.messages_after(conversation_id=self.conversation.id, after_seq=self.sent_seq)
        )

    async def deliver(self, messages: Iterable[Message] | Iterable[dict[str, Any]]) -> None:
        """Send messages once each, in sequence order; a gap is filled from the transcript."""
        for item in messages:
            payload = message_out(item) if isinstance(item, Message) else item
            seq = int(payload["seq"])
            if seq <= self.sent_seq:
                continue
            if seq > self.sent_seq + 1:
                await self.catch_up()
                continue
            async with self._send_lock:
                if seq != self.sent_seq + 1:
                    continue
                await self.websocket.send_json({"type": "message", "message": payload})
                self.sent_seq = seq

    async def _push_loop(self, pubsub: PubSub) -> None:
        async for raw in pubsub.listen():
            if raw.get("type") != "message":
                continue
            event = json.loads(raw["data"])
            if event.get("type") == "message":
                await self.deliver([event["message"]])
            else:
                await self.send(event)

    # --- client -> hub -------------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        limit = self.service.settings.max_body_bytes
        while True:
            raw = await self.websocket.receive_text()
            if len(raw.encode()) > limit:
                await self._error("payload_too_large", f"A frame may have at most {limit} bytes.")
                continue
            try:
                frame = json.loads(raw)
            except json.JSONDecodeError:
                await self._error("invalid_json", "The frame is not valid JSON.")
                continue
            if not isinstance(frame, dict):
                await self._error("invalid_json", "A frame is a JSON object with a type.")
                continue
            kind = frame.get("type")
            if kind == "message":
                await self._on_message({k: v for k, v in frame.items() if k != "type"})
            elif kind == "resume":
                self.sent_seq = max(int(frame.get("last_seq") or 0), 0)
                await self.catch_up()
            elif kind == "ping":
                await self.send({"type": "pong"})
            else:
                await self._error("unknown_type", "type must be message, resume or ping.")

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
            await self.deliver([message])
            await self.send({"type": "typing", "sender": "bot"})

        try:
            outcome = await self.service.post_customer_message(
                conversation=self.conversation,
                client_msg_id=body.client_msg_id,
                text=body.text,
                on_stored=acknowledge,
            )
        except HubError as exc:
            await self._error(exc.code, exc.message, body.client_msg_id)
            return
        if outcome.assistant_unavailable:
            await self._error(
                "assistant_unavailable",
                ASSISTANT_UNAVAILABLE[self.conversation.language or "zh"],
                body.client_msg_id,
            )
        await self.deliver(outcome.replies)

    async def _error(self, code: str, message: str, client_msg_id: Any = None) -> None:
        event: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if client_msg_id is not None:
            event["client_msg_id"] = client_msg_id
        await self.send(event)
