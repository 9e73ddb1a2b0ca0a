"""Conversation basics: the context read every turn (language, verified identity), language, cancel."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import language_of, reset_form_events
from actions.markers import active_form, mark_step
from textkit.language import language_of as language_of_words

SUPPORTED_LANGUAGES = ("zh", "en")
LANGUAGE_SWITCHED = {"zh": "好的，接下来我用中文为您服务。", "en": "Sure, I'll continue in English."}
# Only identity the hub verified itself is taken from the metadata; chat text never sets it. A channel binding
# (actions/verification.py) identifies the customer; moving money still takes a code in the chat.
TRUSTED_VERIFICATIONS = ("bank_token", "channel_binding")


def language_of_text(text: str) -> str | None:
    """The language a message is written in: ``zh`` if it has Chinese characters, ``en`` if only Latin words.

    Digits, codes, payloads and punctuation alone say nothing (``None``): the conversation keeps its language.
    """
    if text.startswith("/"):
        return None
    return language_of_words(text)


def choose_language(*, text: str, metadata: dict[str, Any], current: str | None) -> str:
    """The reply language: the message's own language, else the hub's, else the one already in use, else zh."""
    detected = language_of_text(text)
    if detected:
        return detected
    hub_language = metadata.get("language")
    if hub_language in SUPPORTED_LANGUAGES and current is None:
        return str(hub_language)
    return current if current in SUPPORTED_LANGUAGES else "zh"


class ActionReadContext(Action):
    """Custom slot mapping run on every user turn: reply language, verified identity, fallback streak.

    Only what changes is set. Rasa calls this action on every turn and stores every event it returns; the
    dialogue state is read, replayed and sent to the action server whole on every later turn, so three unchanged
    slots a turn were most of a long conversation's events (README, "Where a reply's CPU goes").
    """

    def name(self) -> str:
        return "action_read_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        message = tracker.latest_message or {}
        metadata = message.get("metadata") or {}
        intent = (message.get("intent") or {}).get("name")
        wanted: dict[str, Any] = {}
        if not tracker.get_slot("language_locked"):
            was_set = _slot_was_set(tracker, "language")
            current = tracker.get_slot("language") if was_set else None
            language = choose_language(text=message.get("text") or "", metadata=metadata, current=current)
            if not was_set or language != current:
                # The first turn always records it: from then on the hub's metadata no longer decides.
                wanted["language"] = language
        customer_id = metadata.get("customer_id")
        if isinstance(customer_id, str) and customer_id and metadata.get("verified_by") in TRUSTED_VERIFICATIONS:
            wanted["customer_id"], wanted["verified_by"] = customer_id, metadata["verified_by"]
        if intent != "nlu_fallback":
            wanted["fallback_count"] = 0
        if intent != "request_human":
            wanted["handoff_reason"] = None
        return [
            SlotSet(slot, value)
            for slot, value in wanted.items()
            if slot == "language" or tracker.get_slot(slot) != value
        ]


def _slot_was_set(tracker: Tracker, slot: str) -> bool:
    return any(e.get("event") == "slot" and e.get("name") == slot for e in tracker.events)


class ActionSwitchLanguage(Action):
    """Answers in the language the customer asked for (or the other one) until they switch again."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        asked = next(tracker.get_latest_entity_values("language"), None)
        if asked not in SUPPORTED_LANGUAGES:
            asked = "zh" if language_of(tracker) == "en" else "en"
        # Written out here: a response variation would still see the old value of the language slot.
        dispatcher.utter_message(text=LANGUAGE_SWITCHED[asked])
        return [SlotSet("language", asked), SlotSet("language_locked", True)]


class ActionCancelForm(Action):
    """Leaves the current form cleanly: nothing submitted, its answers forgotten."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        mark_step(dispatcher, active_form(tracker), "cancelled")
        return [ActiveLoop(None), *reset_form_events()]
