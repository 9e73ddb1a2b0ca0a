"""Conversation basics: which language to answer in, and the greeting."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

SUPPORTED_LANGUAGES = ("zh", "en")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def language_of_text(text: str) -> str | None:
    """The language a message is written in: ``zh`` if it has Chinese characters, ``en`` if only Latin words.

    Digits, codes and punctuation alone say nothing (``None``): the conversation keeps its language.
    """
    if _CJK.search(text):
        return "zh"
    if _LATIN_WORD.search(text):
        return "en"
    return None


def choose_language(*, text: str, metadata: dict[str, Any], current: str | None) -> str:
    """The reply language: the message's own language, else the hub's, else the one already in use, else zh."""
    detected = language_of_text(text)
    if detected:
        return detected
    hub_language = metadata.get("language")
    if hub_language in SUPPORTED_LANGUAGES and current is None:
        return str(hub_language)
    return current if current in SUPPORTED_LANGUAGES else "zh"


class ActionDetectLanguage(Action):
    """Fills the ``language`` slot on every user turn (a custom slot mapping)."""

    def name(self) -> str:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        message = tracker.latest_message or {}
        language = choose_language(
            text=message.get("text") or "",
            metadata=message.get("metadata") or {},
            current=tracker.get_slot("language") if _language_was_set(tracker) else None,
        )
        return [SlotSet("language", language)]


def _language_was_set(tracker: Tracker) -> bool:
    return any(e.get("event") == "slot" and e.get("name") == "language" for e in tracker.events)


class ActionGreet(Action):
    """Greets the customer in their language."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_greet")
        return []
