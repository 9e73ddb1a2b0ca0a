"""Handing over to a person: the handoff packet of the design, and coming back after an agent hands back.

The packet travels as a custom payload in the bot's reply (``{"handoff": {...}}``); the hub acts on it. Personal
data in it is masked: the agent sees enough to help, not full numbers. Business only an account manager does (an
amount above the online limit, a renewal in manual review) becomes a service request instead of a packet
(``actions/service_requests.py``): the customer says when and how to be contacted.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import STUCK_AFTER_INVALID_ANSWERS, language_of
from textkit.masking import mask_account, mask_credit_code, mask_mobile, mask_text

PACKET_VERSION = 1
ACCOUNT_MANAGER = "account_manager"


@dataclass(frozen=True)
class HandoffRoute:
    skill: str
    priority: str
    response: str


ROUTES: dict[str, HandoffRoute] = {
    "customer_request": HandoffRoute("general", "normal", "utter_handoff_agent"),
    "repeated_fallback": HandoffRoute("general", "normal", "utter_handoff_agent"),
    "stuck_form": HandoffRoute("lending", "normal", "utter_handoff_agent"),
    "complaint": HandoffRoute("complaints", "high", "utter_handoff_complaint"),
    "fraud_report": HandoffRoute("security", "urgent", "utter_handoff_fraud"),
    "core_failure": HandoffRoute("lending", "high", "utter_handoff_agent"),
    "amount_above_online_limit": HandoffRoute("account_manager", "normal", "utter_handoff_account_manager"),
    "renewal_manual_review": HandoffRoute("account_manager", "normal", "utter_handoff_account_manager"),
}
INTENT_REASONS = {"complain": "complaint", "report_fraud": "fraud_report"}
_MASKERS = {
    "mobile": mask_mobile,
    "contact_mobile": mask_mobile,
    "credit_code": mask_credit_code,
    "receiving_account": mask_account,
    "repayment_account": mask_account,
}
_NEVER_SHARED = {"otp_code", "verification_id"}


def masked_slots(tracker: Tracker, *, leave_out: Collection[str] = ()) -> dict[str, Any]:
    """The answers of every form, masked; one-time codes never leave the assistant."""
    from actions.registry import answer_slots  # the journeys build on this module

    values: dict[str, Any] = {}
    for slot in sorted(answer_slots() | set(_MASKERS)):
        value = tracker.get_slot(slot)
        if value is None or slot in _NEVER_SHARED or slot in leave_out:
            continue
        mask = _MASKERS.get(slot)
        values[slot] = mask(str(value)) if mask else (mask_text(value) if isinstance(value, str) else value)
    return values


def journey_stage(tracker: Tracker) -> str:
    """Where the customer was: the form and its question, the form just submitted, or the last intent."""
    loop = tracker.active_loop.get("name") if tracker.active_loop else None
    if not loop:
        submitted = next(
            (e.get("name") for e in reversed(tracker.events) if e.get("event") == "active_loop" and e.get("name")), None
        )
        last_action = next((e.get("name") for e in reversed(tracker.events) if e.get("event") == "action"), None)
        if submitted and last_action == submitted:
            return f"{submitted}:submit"
    if loop:
        return f"{loop}:{tracker.get_slot('requested_slot') or 'start'}"
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return f"intent:{intent or 'unknown'}"


_CODE_LIKE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def customer_messages(tracker: Tracker) -> list[tuple[str, str | None]]:
    """Every message of the customer with its intent, masked; an answer to the one-time-code question loses its
    code."""
    messages: list[tuple[str, str | None]] = []
    requested: Any = None
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif event.get("event") == "user" and event.get("text"):
            text = mask_text(str(event["text"]))
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            messages.append((_CODE_LIKE.sub("******", text) if requested in _NEVER_SHARED else text, intent))
    return messages


def recent_messages(tracker: Tracker, count: int = 5) -> list[str]:
    """The customer's last messages, masked; an answer to the one-time-code question loses its code."""
    return [text for text, _ in customer_messages(tracker)[-count:]]


def handoff_packet(tracker: Tracker, reason: str) -> dict[str, Any]:
    route = ROUTES[reason]
    recent = recent_messages(tracker)
    return {
        "handoff": {
            "version": PACKET_VERSION,
            "reason": reason,
            "skill": route.skill,
            "priority": route.priority,
            "journey_stage": journey_stage(tracker),
            "language": language_of(tracker),
            "customer": {
                "customer_id": tracker.get_slot("customer_id"),
                "verified_by": tracker.get_slot("verified_by"),
            },
            "slots": masked_slots(tracker),
            "recent_messages": recent,
        }
    }


def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, *, details: Mapping[str, Any] | None = None
) -> list[EventType]:
    """Tell the customer what happens next, attach the packet, and leave any form.

    Business for the account manager starts a service request instead (``details`` feed its suggested summary).
    """
    if ROUTES[reason].skill == ACCOUNT_MANAGER:
        from actions.service_requests import start_service_request  # the service request builds on this module

        dispatcher.utter_message(response=ROUTES[reason].response)
        return start_service_request(tracker, reason, details=details or {})
    dispatcher.utter_message(response=ROUTES[reason].response, json_message=handoff_packet(tracker, reason))
    events: list[EventType] = [ActiveLoop(None)] if tracker.active_loop.get("name") else []
    # The form's answers stay, so an agent's hand-back can resume it; nothing stays confirmed.
    return [
        *events,
        SlotSet("confirmed", None),
        SlotSet("requested_slot", None),
        SlotSet("invalid_attempts", 0),
        SlotSet("handoff_reason", None),
    ]


def hand_off_core_failure(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The lending core did not answer: say nothing was done, and bring a person in."""
    dispatcher.utter_message(response="utter_core_unavailable")
    return hand_off(dispatcher, tracker, "core_failure")


def reason_for(tracker: Tracker) -> str:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in INTENT_REASONS:
        return INTENT_REASONS[intent]
    pending = tracker.get_slot("handoff_reason")
    if pending in ROUTES:
        return str(pending)
    if int(tracker.get_slot("invalid_attempts") or 0) >= STUCK_AFTER_INVALID_ANSWERS:
        return "stuck_form"
    return "customer_request"


class ActionHandoff(Action):
    """Hands the conversation to a person: an explicit request, a complaint, a fraud report, an offer accepted."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return hand_off(dispatcher, tracker, reason_for(tracker))


class ActionHandback(Action):
    """An agent handed the conversation back: greet again and carry on as the wrap-up note says.

    The hub sends the intent ``/agent_handback`` with ``metadata.handback = {"note": ..., "resume_form": ...}``;
    ``resume_form`` (a form name) restarts that form where its answers left off.
    """

    def name(self) -> str:
        return "action_handback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        handback = (tracker.latest_message.get("metadata") or {}).get("handback") or {}
        dispatcher.utter_message(response="utter_handback_greeting")
        form = handback.get("resume_form")
        from actions.registry import journey_of  # the journeys build on this module

        if journey_of(form) is not None and form in (domain.get("forms") or {}):
            return [FollowupAction(form)]
        return []
