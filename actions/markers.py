"""Where a customer is in a journey, on the reply that shows it: ``custom.journey = {"form", "step"}`` (the step is
the question asked, ``summary``, ``confirmed`` or ``cancelled``), and the replies that say the assistant was not
sure: ``custom.faq_gap = {"kind": "abstained" | "fallback"}``. The hub stores a reply's custom payload with it, and
the supervisors' analytics count the funnels and the unanswered questions from them (handoff/analytics/)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def _mark(dispatcher: CollectingDispatcher, key: str, value: dict[str, Any]) -> None:
    """Adds the marker to the last message the action uttered (nothing uttered: nothing to mark)."""
    if not dispatcher.messages:
        return
    message = dispatcher.messages[-1]
    custom = message.get("custom")
    message["custom"] = {**custom, key: value} if isinstance(custom, dict) else {key: value}


def mark_step(dispatcher: CollectingDispatcher, form: str | None, step: str) -> None:
    if form:
        _mark(dispatcher, "journey", {"form": form, "step": step})


def active_form(tracker: Tracker) -> str | None:
    loop = tracker.active_loop.get("name") if tracker.active_loop else None
    return str(loop) if loop else None


def mark_gap(dispatcher: CollectingDispatcher, kind: str) -> None:
    _mark(dispatcher, "faq_gap", {"kind": kind})
