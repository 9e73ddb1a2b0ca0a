"""What the customer's and the console's websockets share: reading a client's frame, and running their loops until
the first one ends (the client left, or something failed), logging a real failure, stopping the others."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

logger = logging.getLogger(__name__)


async def run_until_first_ends(label: str, *loops: Coroutine[Any, Any, None]) -> None:
    """Run the loops together; when one returns or raises, cancel the rest and wait for them."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if error and not isinstance(error, WebSocketDisconnect):
                logger.error("%s failed: %r", label, error)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task


class FrameError(Exception):
    """A client frame that is not a JSON object within the size limit; answered with an ``error`` event."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


async def next_frame(websocket: WebSocket, *, max_bytes: int) -> dict[str, Any]:
    """The client's next frame as a JSON object (FrameError when it is too big or not one)."""
    raw = await websocket.receive_text()
    if len(raw.encode()) > max_bytes:
        raise FrameError("payload_too_large", f"A frame may have at most {max_bytes} bytes.")
    try:
        frame = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FrameError("invalid_json", "The frame is not valid JSON.") from exc
    if not isinstance(frame, dict):
        raise FrameError("invalid_json", "A frame is a JSON object with a type.")
    return frame
