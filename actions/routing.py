"""Which request a customer means, before a money form starts: sure enough to start it, two readings close enough
to ask which, a reading to confirm, or banking the bank serves elsewhere.

A loan application, a drawdown, a repayment or a renewal begins with identity checks and questions; starting one
on a misread message (a weather question read as a drawdown, "$500 to my savings" read as 500 yuan) costs the
customer a verification for nothing. ``action_route_request`` runs once, when the message would start one of these
forms, and sets ``request_route`` for the rules (bot/data/form_rules.yml):

    go       the form starts (the rule's next step); a question asked in the same message is answered first
    ask      the assistant asked back (which of two requests, whether it read the one request right, or it answered
             the question the message may have been and offers the request) and listens; a message that only
             asks for information ("提款上限是多少") is always this: a question about a request is not the request
    other    it was banking served elsewhere, or a foreign-currency amount: the customer is told where to go
    handoff  a request for a person was nearly as likely: a person it is

Only the start of a request costs this one extra action call; the form's own turns do not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clauses import only_asks_for_information, only_asks_whether
from actions.entities import mentions_foreign_currency
from actions.faq import answer_embedded_question, faq_finds_out_of_scope
from actions.forms import language_of
from actions.handoff import hand_off
from actions.other_banking import other_banking_topic, tell_where_to_go

MONEY_REQUESTS = ("apply_loan", "drawdown", "repay", "renew_loan")
# Readings close to each money request that a customer could as well mean; the clarifying question names both.
CLOSE_READINGS: dict[str, tuple[str, ...]] = {
    "drawdown": ("check_credit_line", "repay", "apply_loan", "ask_faq", "request_human"),
    "repay": ("drawdown", "ask_faq", "check_credit_line", "request_human"),
    "apply_loan": ("drawdown", "check_application_status", "ask_faq", "renew_loan", "request_human"),
    "renew_loan": ("repay", "ask_faq", "apply_loan", "request_human"),
}
# At or above this confidence (and with no stronger second opinion) the form starts without asking.
SURE = 0.80
# Below it, a runner-up this close is a second reading worth naming.
CLOSE_MARGIN = 0.35
ROUTE_SLOT = "request_route"


@dataclass(frozen=True)
class Reading:
    intent: str
    confidence: float


def readings(tracker: Tracker) -> list[Reading]:
    message = tracker.latest_message or {}
    ranking = message.get("intent_ranking") or [message.get("intent") or {}]
    return [Reading(str(r.get("name")), float(r.get("confidence") or 0.0)) for r in ranking if r.get("name")]


def request_payload(intent: str, entities: list[dict[str, Any]]) -> str:
    """A button payload that starts ``intent`` with the entities the customer already gave (``/drawdown{...}``)."""
    values = {str(e["entity"]): str(e["value"]) for e in entities if e.get("entity") and e.get("value") is not None}
    return f"/{intent}{json.dumps(values, ensure_ascii=False)}" if values else f"/{intent}"


def decide(tracker: Tracker) -> tuple[str, Reading, Reading | None]:
    """What to do with the message (``go``, ``other``, ``clarify``, ``answer_and_offer``, ``confirm``), the reading,
    and the close second reading when there is one."""
    ranked = readings(tracker)
    top = ranked[0]
    text = str((tracker.latest_message or {}).get("text") or "")
    if text.startswith("/"):
        return "go", top, None  # a button or a payload says exactly what it means
    if mentions_foreign_currency(text) or other_banking_topic(text) is not None:
        return "other", top, None
    second = next((r for r in ranked[1:] if r.intent in CLOSE_READINGS.get(top.intent, ())), None)
    if second is not None and top.confidence - second.confidence < CLOSE_MARGIN:
        if second.intent == "request_human":
            return "handoff", top, second  # whoever may want a person gets one, never a form first
        return ("answer_and_offer" if second.intent == "ask_faq" else "clarify"), top, second
    if only_asks_for_information(text) or only_asks_whether(text):
        # "提款上限是多少", "what's the ATM withdrawal limit", "can I repay early": answered if the FAQ knows it, else
        # asked back; a question about a request never starts one.
        return "answer_and_offer", top, None
    if top.confidence >= SURE and not faq_finds_out_of_scope(text, language_of(tracker)):
        return "go", top, None
    return "confirm", top, None


class ActionRouteRequest(Action):
    """Starts a money request only when the assistant is sure of it; otherwise asks, or says where to go."""

    def name(self) -> str:
        return "action_route_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        decision, top, second = decide(tracker)
        language = language_of(tracker)
        entities = list((tracker.latest_message or {}).get("entities") or [])
        start = {"title": request_title(top.intent, language), "payload": request_payload(top.intent, entities)}
        if decision == "go":
            answer_embedded_question(dispatcher, tracker)
            return [SlotSet(ROUTE_SLOT, "go")]
        if decision == "other":
            tell_where_to_go(dispatcher, tracker)
            return [SlotSet(ROUTE_SLOT, "other")]
        if decision == "handoff":
            return [*hand_off(dispatcher, tracker, "customer_request"), SlotSet(ROUTE_SLOT, "handoff")]
        if decision == "answer_and_offer" and answer_embedded_question(dispatcher, tracker, whole_message=True):
            dispatcher.utter_message(response=f"utter_offer_request_{top.intent}", buttons=[start])
            return [SlotSet(ROUTE_SLOT, "ask")]
        if decision == "clarify" and second is not None:
            other = {"title": request_title(second.intent, language), "payload": f"/{second.intent}"}
            dispatcher.utter_message(response=f"utter_clarify_{top.intent}", buttons=[start, other])
            return [SlotSet(ROUTE_SLOT, "ask")]
        no = {"title": "不是" if language == "zh" else "No", "payload": "/deny"}
        yes = {**start, "title": "是的" if language == "zh" else "Yes"}
        dispatcher.utter_message(response=f"utter_confirm_request_{top.intent}", buttons=[yes, no])
        return [SlotSet(ROUTE_SLOT, "ask")]


REQUEST_TITLES: dict[str, tuple[str, str]] = {
    "apply_loan": ("申请贷款", "Apply for a loan"),
    "drawdown": ("从额度中提款", "Draw from my line"),
    "repay": ("还款", "Repay"),
    "renew_loan": ("无还本续贷", "Renew a loan"),
    "check_credit_line": ("查询额度", "Check my credit line"),
    "check_application_status": ("查询申请进度", "Application status"),
    "request_human": ("转人工", "Talk to a person now"),
    "request_callback": ("请客户经理联系我", "Have my account manager call me"),
}


def request_title(intent: str, language: str) -> str:
    zh, en = REQUEST_TITLES.get(intent, (intent, intent))
    return en if language == "en" else zh
