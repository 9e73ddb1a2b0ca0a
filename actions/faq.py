"""Standard questions answered from the FAQ index, and the two-stage fallback when the assistant is unsure."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.forms import language_of
from actions.handoff import hand_off

logger = logging.getLogger(__name__)
HUMAN_BUTTON = {
    "zh": {"title": "转人工", "payload": "/request_human"},
    "en": {"title": "Talk to a person", "payload": "/request_human"},
}


def _search(text: str, language: str) -> Any:
    try:
        return services.faq_searcher().search(text, language=language, k=3)
    except Exception:  # the index missing or broken must not break the conversation
        logger.exception("FAQ search failed")
        return None


def suggestion_buttons(result: Any, language: str) -> list[dict[str, str]]:
    """The closest questions as buttons (their text is sent back as the customer's message)."""
    buttons: list[dict[str, str]] = []
    for hit in result.hits if result else []:
        question = hit.matched_question
        if question and all(b["payload"] != question for b in buttons):
            buttons.append({"title": question, "payload": question})
    return buttons[:3]


class ActionAnswerFaq(Action):
    """Answers from the FAQ index; the reply carries the entry id and version, so the transcript keeps which
    text the customer saw. When the index is not sure, says so, suggests the closest questions and a person."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        result = _search(tracker.latest_message.get("text") or "", language)
        if result is None:
            dispatcher.utter_message(response="utter_faq_unavailable", buttons=[HUMAN_BUTTON[language]])
            return []
        best = result.best
        if result.abstained or best is None:
            buttons = [*suggestion_buttons(result, language), HUMAN_BUTTON[language]]
            dispatcher.utter_message(response="utter_faq_not_sure", buttons=buttons)
            return []
        faq = {
            "entry_id": best.entry_id,
            "version": best.version,
            "topic": best.topic,
            "score": round(float(best.score), 4),
            "index_build": result.build_id,
        }
        dispatcher.utter_message(text=best.answer, json_message={"faq": faq})
        return []


class ActionHandleFallback(Action):
    """Low confidence: first ask to rephrase with suggestions, then, a second time in a row, hand over."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        streak = int(tracker.get_slot("fallback_count") or 0) + 1
        if streak >= 2:
            return [*hand_off(dispatcher, tracker, "repeated_fallback"), SlotSet("fallback_count", 0)]
        language = language_of(tracker)
        result = _search(tracker.latest_message.get("text") or "", language)
        buttons = [*suggestion_buttons(result, language), HUMAN_BUTTON[language]]
        dispatcher.utter_message(response="utter_ask_rephrase", buttons=buttons)
        return [SlotSet("fallback_count", streak)]
