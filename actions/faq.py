"""Standard questions answered from the FAQ index, and the two-stage fallback when the assistant is unsure."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.forms import language_of
from actions.handoff import hand_off
from actions.markers import mark_gap
from actions.scope import not_for_this_assistant
from actions.texts import HUMAN_BUTTON
from textkit.chinese import CJK_CHARS

logger = logging.getLogger(__name__)


def _search(text: str, language: str, *, k: int = 3, record_abstention: bool = True) -> Any:
    try:
        return services.faq_searcher().search(text, language=language, k=k, record_abstention=record_abstention)
    except Exception:  # the index missing or broken must not break the conversation
        logger.exception("FAQ search failed")
        return None


# An FAQ entry that says how to reach a person is never the answer to a customer asking for one: they get one.
HANDOFF_TOPICS = frozenset({"service.human"})
# Words that make a clause a question (a request with a question in it: "想贷款50万，利息多少").
_QUESTION_MARKERS = re.compile(
    r"[?？]|吗|么|呢|多少|几(?![十百千万])|怎么|怎样|如何|什么|啥|哪|能不能|可不可以|可以吗|是否|有没有|要不要|多久|多长"
    rf"|([{CJK_CHARS}])不\1|请问|问一下|问下|想知道|想了解|了解一下|咨询一下|顺便问"
    r"|^(?:and |also |btw |by the way |but )?(?:how|what|when|where|which|who|why|can|could|is|are|do|does|will|would"
    r"|should)\b|\b(?:tell me|i'd like to know|i want to know|wondering|what about|how about)\b",
    re.IGNORECASE,
)
_CLAUSE_SPLIT = re.compile(r"[，,。；;！!？?\n]+|\.(?=\s|$)|(?<=[吧呢])\s*")
# Words that ask for information (how much, what, how, which, A or B) rather than ask for something to be done
# ("能帮我提款吗" is a request; "提款上限是多少" is a question about one).
_INFORMATION_MARKERS = re.compile(
    r"多少|几(?![十百千万])|怎么|怎样|如何|什么|啥|哪|多久|多长|还是|是否|为什么|为啥"
    r"|\b(?:how|what|what's|whats|when|where|which|who|why)\b",
    re.IGNORECASE,
)


# Words that ask for something to be done ("能帮我提款吗", "could you draw 200k for me"): a question with one of them
# is a polite request.
_REQUEST_MARKERS = re.compile(
    r"帮我|给我|替我|为我|我要|想(?!知道|了解|问|请教)|请|麻烦|办一下|办理|"
    r"(?<![a-z])(?:can you|could you|would you|will you|please|i want|i'd like|i would like|i need|help me|let me)(?![a-z])",
    re.IGNORECASE,
)


def faq_finds_out_of_scope(text: str, language: str) -> bool:
    """The index's second opinion on a message the NLU read as a request: nearer an out-of-scope anchor than any
    FAQ question (one search, no abstention logged; no index: no second opinion, the NLU's reading stands)."""
    return nearer_out_of_scope(_search(text, language, k=1, record_abstention=False))


def nearer_out_of_scope(result: Any) -> bool:
    """The query is nearer to an out-of-scope anchor than to every phrasing of the FAQ."""
    best = result.best if result else None
    similarity = getattr(result, "out_of_scope_similarity", None)
    return similarity is not None and (best is None or similarity >= best.dense_score)


def question_clause(text: str) -> str | None:
    """The part of a message that asks something (None: the message asks nothing)."""
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]
    asking = [c for c in clauses if _QUESTION_MARKERS.search(c)]
    return "，".join(asking) if asking else None


def only_asks_for_information(text: str) -> bool:
    """Every clause of the message asks for information ("提款上限是多少", "what's the ATM limit"): a question about
    a request, not the request itself."""
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]
    return bool(clauses) and all(_INFORMATION_MARKERS.search(c) for c in clauses)


# A way of doing a request (early, in part, online): "can I repay early" asks whether it may be done that way.
_MANNER = re.compile(
    r"提前|部分|线上|网上|手机上|随时|多次|再次|分期|周末|晚上"
    r"|(?<![a-z])(?:early|in part|partially|part of|online|at any time|anytime|twice|again|on weekends?|at night)(?![a-z])",
    re.IGNORECASE,
)


def only_asks_whether(text: str) -> bool:
    """Every clause asks whether the request may be done in some way ("可以提前还款吗", "can I repay early") and none
    asks for something to be done: a question about a request, not the request. "can I renew my loan" and a polite
    "能帮我提款吗" are requests."""
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]
    return (
        bool(clauses)
        and all(_QUESTION_MARKERS.search(c) for c in clauses)
        and _MANNER.search(text) is not None
        and not _REQUEST_MARKERS.search(text)
    )


def answer_embedded_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, whole_message: bool = False
) -> bool:
    """Answer the question asked inside a request or an answer ("50万吧，利息怎么算") from the FAQ index, when the
    index is sure; True when it answered. ``whole_message``: search the whole text, not only its asking part."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if text.startswith("/"):
        return False
    query = text if whole_message else question_clause(text)
    if not query:
        return False
    language = language_of(tracker)
    result = _search(query, language, record_abstention=False)
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
        return []


class ActionHandleFallback(Action):
    """Low confidence: first ask to rephrase with suggestions, then, a second time in a row, hand over. A message
    the FAQ index finds nearer an out-of-scope anchor than any of its questions, or one naming nothing of a bank, is
    declined instead; one naming banking served elsewhere is told where to go (actions/scope.py)."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
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
