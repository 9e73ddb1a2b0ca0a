"""Trackers as the Rasa server sends them to the action server, and the assistant's domain."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.utils.services import REPO

DOMAIN_DIR = REPO / "bot" / "domain"
SENDER_ID = "test-conversation"


def load_domain(directory: Path = DOMAIN_DIR) -> dict[str, Any]:
    """The domain of ``bot/domain/*.yml`` merged into one dict (forms, slots, responses, actions, ...)."""
    merged: dict[str, Any] = {"forms": {}, "slots": {}, "responses": {}, "actions": [], "intents": [], "entities": []}
    for path in sorted(directory.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in part.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged


def user_event(
    text: str,
    *,
    intent: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    timestamp: float | None = None,
) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": timestamp if timestamp is not None else time.time(),
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 1.0} if intent else {}, "entities": []},
        "input_channel": "rest",
        "message_id": message_id,
        "metadata": dict(metadata or {}),
    }


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": time.time(), "name": name, "value": value}


def make_tracker(
    *,
    slots: Mapping[str, Any] | None = None,
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: Mapping[str, Any] | None = None,
    message_id: str | None = "msg-1",
    active_loop: str | None = None,
    requested_slot: str | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = SENDER_ID,
) -> Tracker:
    """A tracker whose latest message is ``text``; ``events`` default to that one user message."""
    all_slots: dict[str, Any] = {"language": "zh", "invalid_attempts": 0, **(slots or {})}
    all_slots["requested_slot"] = requested_slot
    latest_message: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "entities": list(entities or []),
        "metadata": dict(metadata or {}),
        "message_id": message_id,
    }
    if events is None:
        events = [user_event(text, intent=intent, metadata=metadata, message_id=message_id)]
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest_message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def with_slots(tracker: Tracker, updates: Mapping[str, Any]) -> Tracker:
    """The same tracker after the action's slot values were applied (the next turn's view)."""
    copy = tracker.copy()
    copy.slots = {**tracker.slots, **updates}
    return copy


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    """The response names the dispatcher sent, in order (None for a plain text)."""
    return [message.get("response") for message in dispatcher.messages]


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """The plain texts the dispatcher sent, in order."""
    return [message["text"] for message in dispatcher.messages if message.get("text")]
