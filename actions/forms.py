"""What every form shares: the reply language, counting invalid answers, resetting, idempotency keys."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.clauses import answer_part, question_clause
from actions.entities import mentions_foreign_currency
from actions.texts import PROBLEMS, pick

VERIFICATION_SLOTS = ("verify_mobile", "otp_code")
STUCK_AFTER_INVALID_ANSWERS = 3
# Readings under which a form's own validation takes the message as an answer (the others have their own rules).
READ_AS_AN_ANSWER = frozenset({"inform", "affirm", "deny"})
# Readings that mean something else than an answer even when the message also says one: their rules handle them.
NEVER_AN_ANSWER = frozenset(
    {
        "stop",
        "request_human",
        "complain",
        "report_fraud",
        "switch_language",
        "greet",
        "goodbye",
        "thanks",
        "repeat_last",
        "dont_know",
        "other_banking",
        "check_service_request",
        "request_callback",
        "book_annual_review",
    }
)


def language_of(tracker: Tracker) -> str:
    return "en" if tracker.get_slot("language") == "en" else "zh"


def reset_form_events(form: str | None = None) -> list[EventType]:
    """Forget a form's answers (every form's when ``form`` is None), keeping who the customer is."""
    from actions.registry import JOURNEYS  # the journeys build on this module

    journeys = [journey for journey in JOURNEYS if form is None or journey.form == form]
    slots = {slot for journey in journeys for slot in journey.forgotten}
    slots.update(VERIFICATION_SLOTS)
    events: list[EventType] = [SlotSet(slot, None) for slot in sorted(slots)]
    events += [
        SlotSet("confirmed", None),
        SlotSet("invalid_attempts", 0),
        SlotSet("handoff_reason", None),
        SlotSet("requested_slot", None),
        SlotSet("request_route", None),
    ]
    return events


def completed(dispatcher: CollectingDispatcher) -> None:
    """A request done: the assistant asks whether there is anything else (no, and it says it is there later)."""
    dispatcher.utter_message(response="utter_anything_else")


def verification_expired_events() -> list[EventType]:
    """Forget a verification the lending core no longer accepts, so the next request asks again."""
    return [SlotSet("verified_by", None), SlotSet("verified_until", None), SlotSet("verification_id", None)]


def idempotency_key(tracker: Tracker, purpose: str) -> str:
    """The same key for the same confirmation turn, so a retried action never moves money twice.

    Derived from the conversation and the customer's confirming message: the hub's id of it
    (``metadata.hub_message_id``, the same when the hub sends the message again after an action failed inside
    Rasa, which gives the re-sent message a new ``message_id``), else Rasa's id of it.
    """
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    turn = metadata.get("hub_message_id") or message.get("message_id") or _last_user_timestamp(tracker)
    digest = hashlib.sha256(f"{tracker.sender_id}:{purpose}:{turn}".encode()).hexdigest()
    return f"{purpose}-{digest[:40]}"


def value_before_this_turn(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the customer's latest message (a misread side value must not erase it)."""
    seen_latest_user_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_latest_user_message = True
        elif seen_latest_user_message and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def _mappings(slot: str | None, domain: DomainDict) -> list[dict[str, Any]]:
    return list(((domain.get("slots") or {}).get(slot or "") or {}).get("mappings") or [])


def _entity_kinds(slot: str | None, domain: DomainDict) -> set[str]:
    """The entities the slot is filled from."""
    return {str(m.get("entity")) for m in _mappings(slot, domain) if m.get("type") == "from_entity"}


_NUMBER_GOES_ON = re.compile(r"[\d,.]*\d(?:\s?(?:万|萬|千|百万|w|k|m|million|元|块|yuan))?", re.IGNORECASE)


def _whole_number(text: str, start: int, end: int) -> str | None:
    """An entity cut inside its number ("250," of "250,000 - how long ...") widened to the whole number; None when
    it was not cut."""
    if not re.match(r"[\d,.]\d", text[end - 1 : end + 1]):
        return None
    rest = _NUMBER_GOES_ON.match(text, end - 1)
    return text[start : rest.end()] if rest else None


def _faq_answered_this_turn(tracker: Tracker) -> bool:
    """An FAQ answer was already given since the customer's latest message (the request's start answered it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and "faq" in ((event.get("data") or {}).get("custom") or {}):
            return True
    return False


def _last_user_timestamp(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str(event.get("timestamp"))
    return "none"


class GuardedFormValidation(FormValidationAction, ABC):
    """A form validation that says what is wrong in the customer's language and, after three invalid
    answers in a row, offers a person."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    def form_name(self) -> str:
        return self.name().removeprefix("validate_")

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Validate the answers, then answer a question asked along with them ("50万吧，利息怎么算") from the FAQ
        index, before the form asks its next question. A message read as a question is answered by its own rule.

        A message that says the customer does not know or has to find out ("嗯，这个我也不太清楚", "我得问问老板"),
        whatever the model read it as, is not taken for an answer: the question is explained or skipped, as for
        ``dont_know``."""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        asked = tracker.get_slot("requested_slot")
        if asked and self.doubts_instead_of_answering(tracker, domain):
            from actions.repair import help_with_the_question  # repair builds on this module

            helped = [SlotSet(asked, None), *help_with_the_question(dispatcher, tracker, domain)]
            tracker.add_slots(helped)
            # The form's own order of questions (verification after the amount, ...), as the SDK's run would ask.
            next_question = await self.next_requested_slot(dispatcher, tracker, domain)
            return [*helped, *([next_question] if next_question else [])]
        answered = self.answer_said_with_a_question(tracker, domain)
        if answered:
            tracker.add_slots(answered)
        events = await super().run(dispatcher, tracker, domain)
        if (intent != "ask_faq" or answered) and not _faq_answered_this_turn(tracker):
            from actions.faq import answer_embedded_question  # the FAQ module builds on this one

            answer_embedded_question(dispatcher, tracker)
        return list(events)

    def doubts_instead_of_answering(self, tracker: Tracker, domain: DomainDict) -> bool:
        """The message puts the answer off rather than gives it: only a not-sure, read as an answer, a yes or a no
        ("嗯，这个我也不太清楚啊"); or, read as anything without a rule of its own, a not-sure or a need to find out
        with no value of the question's kind and no figure in it ("期限还没决定", "let me check the licence"). A
        question with a doubt in it ("不知道能不能提前还款？") is a question, answered as one."""
        from actions.repair import puts_off_answering, says_not_sure  # repair builds on this module

        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        intent = (message.get("intent") or {}).get("name")
        if intent in NEVER_AN_ANSWER or text.startswith("/"):
            return False
        if intent in READ_AS_AN_ANSWER and not message.get("entities") and says_not_sure(text):
            return True
        if intent == "ask_faq" and question_clause(text):
            return False
        kinds = _entity_kinds(tracker.get_slot("requested_slot"), domain)
        if any(entity.get("entity") in kinds for entity in message.get("entities") or []):
            return False
        return puts_off_answering(text)

    def answer_said_with_a_question(self, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """The answer to the question asked, from the part of a message that does not ask ("张伟，请问放款多久到账"
        -> contact_name 张伟; "买原材料，能拿去还别的贷款吗" -> loan_purpose 买原材料, not the whole text): an entity
        of the slot's kind inside that part, else that part itself for a slot filled from text. Whatever the model
        read the message as (a question, out of scope, another request), unless a reading with its own rule.
        Validated as any answer; the question is answered after it (``run``)."""
        message = tracker.latest_message or {}
        asked = tracker.get_slot("requested_slot")
        text = str(message.get("text") or "")
        intent = (message.get("intent") or {}).get("name")
        if not asked or intent in NEVER_AN_ANSWER or text.startswith("/"):
            return []
        said = answer_part(text)
        if said is None:
            return []
        kinds = _entity_kinds(asked, domain)
        for entity in message.get("entities") or []:
            start, end = entity.get("start"), entity.get("end")
            inside = isinstance(start, int) and isinstance(end, int) and text[start:end] in said
            if entity.get("entity") in kinds and entity.get("value") is not None and inside:
                return [SlotSet(asked, _whole_number(text, start, end) or entity["value"])]
        if any(m.get("type") == "from_text" for m in _mappings(asked, domain)):
            return [SlotSet(asked, said)]
        return []

    def refuse_foreign_currency(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str
    ) -> dict[str, Any] | None:
        """The message names another currency than the yuan ($500, 1000美元): the amount is refused, never read as
        yuan (the refusal, or None when the message is in yuan)."""
        if not mentions_foreign_currency(str((tracker.latest_message or {}).get("text") or "")):
            return None
        return self.invalid(dispatcher, tracker, slot, "amount_currency")

    def invalid(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, problem: str, **params: Any
    ) -> dict[str, Any]:
        """Refuse a value. Only an answer to the question asked (or given when the form starts) is told what
        is wrong and counted; a value picked up on the side (an entity misread elsewhere) is dropped quietly."""
        if tracker.get_slot("requested_slot") not in (None, slot):
            return {slot: value_before_this_turn(tracker, slot)}
        dispatcher.utter_message(text=pick(PROBLEMS, problem, language_of(tracker), **params))
        attempts = int(tracker.get_slot("invalid_attempts") or 0) + 1
        if attempts >= STUCK_AFTER_INVALID_ANSWERS:
            dispatcher.utter_message(response="utter_form_stuck")
        return {slot: None, "invalid_attempts": attempts}

    @staticmethod
    def accepted(slot: str, value: Any, **more: Any) -> dict[str, Any]:
        return {slot: value, "invalid_attempts": 0, **more}

    async def validate_confirmed(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The explicit yes or no every form ends with (its summary is ``action_ask_confirmed``)."""
        return {"confirmed": bool(slot_value)}
