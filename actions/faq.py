"""Standard questions answered from the FAQ index, and the two-stage fallback when the assistant is unsure."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.clauses import question_clause, stated_money_request
from actions.entities import mentions_foreign_currency
from actions.forms import language_of
from actions.handoff import hand_off
from actions.markers import mark_gap
from actions.other_banking import other_banking_topic
from actions.scope import not_for_this_assistant
from actions.texts import HUMAN_BUTTON

logger = logging.getLogger(__name__)


def _search(text: str, language: str, *, k: int = 3, record_abstention: bool = True) -> Any:
    try:
        return services.faq_searcher().search(text, language=language, k=k, record_abstention=record_abstention)
    except Exception:  # the index missing or broken must not break the conversation
        logger.exception("FAQ search failed")
        return None


# An FAQ entry that says how to reach a person is never the answer to a customer asking for one: they get one.
HANDOFF_TOPICS = frozenset({"service.human"})


def faq_finds_out_of_scope(text: str, language: str) -> bool:
    """The index's second opinion on a message the NLU read as a request: nearer an out-of-scope anchor than any
    FAQ question (one search, no abstention logged; no index: no second opinion, the NLU's reading stands)."""
    return nearer_out_of_scope(_search(text, language, k=1, record_abstention=False))


def nearer_out_of_scope(result: Any) -> bool:
    """The query is nearer to an out-of-scope anchor than to every phrasing of the FAQ."""
    best = result.best if result else None
    similarity = getattr(result, "out_of_scope_similarity", None)
    return similarity is not None and (best is None or similarity >= best.dense_score)


def search_the_question(text: str, language: str, *, record_abstention: bool = True) -> Any:
    """Search the part of the message that asks; when the index is not sure of it, the whole message, whose other
    part may say what the question is about ("发工资和交房租，这个用途可以吗")."""
    clause = question_clause(text)
    result = _search(clause, language, record_abstention=False) if clause and clause != text else None
    if result is not None and result.best is not None and not result.abstained:
        return result
    return _search(text, language, record_abstention=record_abstention)


def answer_embedded_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, whole_message: bool = False
) -> bool:
    """Answer the question asked inside a request or an answer ("50万吧，利息怎么算") from the FAQ index, when the
    index is sure; True when it answered. ``whole_message``: search the whole text, not only its asking part."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if text.startswith("/"):
        return False
    language = language_of(tracker)
    if whole_message:
        result = _search(text, language, record_abstention=False)
    elif question_clause(text):
        result = search_the_question(text, language, record_abstention=False)
    else:
        return False
    best = result.best if result else None
    if result is None or best is None or result.abstained or best.topic in HANDOFF_TOPICS:
        return False
    dispatcher.utter_message(text=best.answer, json_message={"faq": _faq_marker(best, result)})
    return True


def _faq_marker(best: Any, result: Any) -> dict[str, Any]:
    return {
        "entry_id": best.entry_id,
        "version": best.version,
        "topic": best.topic,
        "score": round(float(best.score), 4),
        "index_build": result.build_id,
    }


def suggestion_buttons(result: Any, language: str) -> list[dict[str, str]]:
    """The closest questions as buttons (their text is sent back as the customer's message)."""
    buttons: list[dict[str, str]] = []
    for hit in result.hits if result else []:
        question = hit.matched_question
        if question and all(b["payload"] != question for b in buttons):
            buttons.append({"title": question, "payload": question})
    return buttons[:3]


# The form each money request starts with (bot/data/form_rules.yml starts them the same way after the routing).
MONEY_REQUEST_FORMS = {
    "apply_loan": "loan_application_form",
    "drawdown": "drawdown_form",
    "repay": "repayment_form",
    "renew_loan": "renewal_form",
}


def request_stated_beside_a_question(tracker: Tracker) -> str | None:
    """The money request a message read as a question (or not understood) also asks for in words of its own,
    outside any form: "我想还款，提前还款要收违约金吗" -> ``repay``. Never one in a message naming banking served
    elsewhere or another currency (those are told where to go by the routing), never inside a form."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if text.startswith("/") or tracker.active_loop_name:
        return None
    request = stated_money_request(text)
    if request is None or mentions_foreign_currency(text) or other_banking_topic(text) is not None:
        return None
    return request


def and_start(request: str | None) -> list[EventType]:
    """The events that start ``request``'s form after this action (none when there is no request)."""
    if request is None:
        return []
    return [SlotSet("request_route", "go"), FollowupAction(MONEY_REQUEST_FORMS[request])]


class ActionAnswerFaq(Action):
    """Answers from the FAQ index; the reply carries the entry id and version, so the transcript keeps which
    text the customer saw. When the index is not sure, says so, suggests the closest questions and a person."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """A request stated beside the question ("我想还款，提前还款要收违约金吗") goes on after the answer: the
        question part is searched, then the request's form starts."""
        language = language_of(tracker)
        text = str(tracker.latest_message.get("text") or "")
        request = request_stated_beside_a_question(tracker)
        result = search_the_question(text, language) if request else _search(text, language)
        if result is None:
            dispatcher.utter_message(response="utter_faq_unavailable", buttons=[HUMAN_BUTTON[language]])
            return and_start(request)
        best = result.best
        if request and (result.abstained or best is None or best.topic in HANDOFF_TOPICS):
            mark_gap(dispatcher, "abstained")  # the request goes on; the question it came with shows as a gap
            return and_start(request)
        if result.abstained or best is None:
            # Not a question about this bank's lending at all: where to go for it, or what the assistant does.
            if not_for_this_assistant(dispatcher, tracker, index_says_out_of_scope=nearer_out_of_scope(result)):
                return []
            buttons = [*suggestion_buttons(result, language), HUMAN_BUTTON[language]]
            dispatcher.utter_message(response="utter_faq_not_sure", buttons=buttons)
            mark_gap(dispatcher, "abstained")
            return []
        if best.topic in HANDOFF_TOPICS:
            return hand_off(dispatcher, tracker, "customer_request")
        dispatcher.utter_message(text=best.answer, json_message={"faq": _faq_marker(best, result)})
        return and_start(request)


class ActionHandleFallback(Action):
    """Low confidence: first ask to rephrase with suggestions, then, a second time in a row, hand over. A message
    the FAQ index finds nearer an out-of-scope anchor than any of its questions, or one naming nothing of a bank, is
    declined instead; one naming banking served elsewhere is told where to go (actions/scope.py)."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        if request_stated_beside_a_question(tracker) is not None:
            # Unsure of the whole, but it asks for a request in so many words: the question answered, the request on.
            return await ActionAnswerFaq().run(dispatcher, tracker, domain)
        result = _search(tracker.latest_message.get("text") or "", language, record_abstention=False)
        if not_for_this_assistant(dispatcher, tracker, index_says_out_of_scope=nearer_out_of_scope(result)):
            # Understood well enough to know it is not the bank's lending (where to go, or what the assistant does):
            # not a misunderstanding, so the streak towards a person does not grow.
            return []
        streak = int(tracker.get_slot("fallback_count") or 0) + 1
        if streak >= 2:
            return [*hand_off(dispatcher, tracker, "repeated_fallback"), SlotSet("fallback_count", 0)]
        buttons = [*suggestion_buttons(result, language), HUMAN_BUTTON[language]]
        dispatcher.utter_message(response="utter_ask_rephrase", buttons=buttons)
        mark_gap(dispatcher, "fallback")
        return [SlotSet("fallback_count", streak)]
