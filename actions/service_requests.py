"""Service requests for the account manager (客户经理): what the customer needs, how and when to be contacted, on
which mobile, with their consent; and looking up a request's status.

``service_request_form`` starts from a ``/request_callback`` button of the hub or the customer's words (kind
``callback``), from the credit line's ``/book_annual_review`` button (``annual_review``), or from the assistant
itself instead of a handoff packet for business only an account manager does (``financing``, ``renewal_review``,
see ``actions/handoff.py``). On confirmation the reply carries ``{"service_request": {...}}`` (version 1,
docs/contracts.md); the hub stores it, numbers it and tells the customer the number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.contact_windows import Window, contact_windows, match_window, read_window_words
from actions.entities import NormalizationError, parse_mobile, validate_service_request_number
from actions.forms import GuardedFormValidation, language_of, reset_form_events, value_before_this_turn
from actions.handoff import customer_messages, journey_stage, masked_slots
from actions.journeys import Journey, Reply
from actions.lending_client import CoreRejected, CoreUnavailable
from actions.texts import CONTACT_METHODS, PROBLEMS, SERVICE_REQUEST_KINDS, money_text, pick, reasons_text
from actions.verification import is_verified
from textkit.chinese import to_simplified
from textkit.masking import mask_mobile, mask_text

FORM = "service_request_form"
STATUS_FORM = "service_request_status_form"
SERVICE_REQUEST_VERSION = 1
LOOKUP_VERSION = 1
KINDS = ("callback", "annual_review", "financing", "renewal_review")
KIND_OF_REASON = {"amount_above_online_limit": "financing", "renewal_manual_review": "renewal_review"}
# Only these kinds ask whether to call or to visit; the others are a call.
METHOD_CHOICE_KINDS = ("annual_review", "financing")
# Slot values of the buttons "keep this summary" and "use this mobile" (/affirm) and "another number" (/deny).
KEEP_SUGGESTION = "suggested"
REGISTERED_MOBILE = "registered"
OTHER_MOBILE = "other"
SUMMARY_MIN_CHARS, SUMMARY_MAX_CHARS = 2, 300
SUGGESTION_MAX_CHARS = 200
SUGGESTED_MESSAGES = 3
CORRECTABLE_SLOTS = frozenset(("service_request_summary", "contact_method", "contact_window", "contact_mobile"))
# Corrections of the time or the method are read at these questions (after they were answered).
CORRECTION_STEPS = ("contact_consent", "confirmed")
# Messages that say nothing about the need (the request itself, small talk, yes/no, answers to form questions).
_NO_NEED_INTENTS = frozenset(
    (
        "greet",
        "goodbye",
        "thanks",
        "affirm",
        "deny",
        "stop",
        "inform",
        "switch_language",
        "request_callback",
        "book_annual_review",
        "request_human",
        "check_service_request",
        "agent_handback",
        "out_of_scope",
    )
)
_SR_NUMBER_RE = re.compile(r"[Ss]\s*[Rr]\s*\d{10}")
_VISIT_RE = re.compile(
    r"上门|来公司|到公司|来我们|来店里|到店|当面|面谈|见面|拜访|(?<![a-z])(?:visit|in person|come over|come to|meet)(?![a-z])"
)
_CALL_RE = re.compile(r"电话|致电|回电|打给我|(?<![a-z])(?:call|phone|ring)(?![a-z])")

HANDOFF_LABELS: dict[str, dict[str, str]] = {
    "customer_request": {"zh": "希望人工客服协助", "en": "asked for a person"},
    "repeated_fallback": {"zh": "在线咨询未能解决", "en": "the assistant could not help"},
    "stuck_form": {"zh": "在线办理遇到困难", "en": "got stuck online"},
    "complaint": {"zh": "投诉", "en": "complaint"},
    "fraud_report": {"zh": "账户安全问题", "en": "account security"},
    "core_failure": {"zh": "系统暂时无法办理", "en": "the system could not process it"},
}


def current_time() -> dt.datetime:
    """Now (the tests set it)."""
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------------- the suggested summary


def suggest_summary(
    *,
    kind: str,
    language: str,
    slots: Mapping[str, Any],
    messages: list[str],
    details: Mapping[str, Any],
) -> str | None:
    """What the customer probably needs, from what the assistant knows: the reason, the (masked) form answers and
    the customer's recent messages. None when there is nothing to suggest."""
    en = language == "en"
    if kind == "financing":
        parts = [_financing_amount(slots.get("loan_amount"), language)]
        if slots.get("company_name"):
            parts.append(f"company: {slots['company_name']}" if en else f"企业：{slots['company_name']}")
        if slots.get("loan_term"):
            parts.append(f"term: {slots['loan_term']} months" if en else f"期限：{slots['loan_term']}个月")
        if slots.get("loan_purpose"):
            parts.append(f"purpose: {slots['loan_purpose']}" if en else f"用途：{slots['loan_purpose']}")
        text = ("; " if en else "，").join(parts)
    elif kind == "renewal_review":
        loan = slots.get("renewal_loan") or ""
        number = details.get("renewal_number")
        reasons = list(details.get("reasons") or [])
        if en:
            text = f"Renewal of loan {loan} without repaying principal needs a manual review"
            text += f" (renewal {number})" if number else ""
            text += f": {reasons_text(reasons, language)}" if reasons else ""
        else:
            text = f"借据{loan}申请无还本续贷，需客户经理人工审核"
            text += f"（续贷编号{number}）" if number else ""
            text += f"：{reasons_text(reasons, language)}" if reasons else ""
    elif kind == "annual_review":
        due = details.get("annual_review_due")
        if en:
            text = "Book the annual review of the credit line" + (f" (due {due})" if due else "")
        else:
            text = "预约额度年审" + (f"（年审日期{due}）" if due else "")
    else:
        lead = _callback_lead(details, language)
        said = ("; " if en else "；").join(messages)
        if not said:
            return lead
        text = f"{lead}: {said}" if lead and en else f"{lead}：{said}" if lead else said
    return text if len(text) <= SUGGESTION_MAX_CHARS else text[: SUGGESTION_MAX_CHARS - 1] + "…"


def _financing_amount(amount: Any, language: str) -> str:
    try:
        amount_text = money_text(Decimal(str(amount)), language) if amount else ""
    except InvalidOperation:
        amount_text = str(amount)
    if language == "en":
        return f"Business loan of {amount_text} (above the online limit)" if amount_text else "Business loan"
    return f"申请经营贷款{amount_text}（超过在线申请上限）" if amount_text else "申请经营贷款"


def _callback_lead(details: Mapping[str, Any], language: str) -> str | None:
    handed_off = details.get("handoff_reason")
    if handed_off in HANDOFF_LABELS:
        return HANDOFF_LABELS[handed_off][language]
    journey = _labelled(details.get("interrupted_form"))
    if journey is not None and journey.label is not None:
        label = journey.label[language]
        return f"while doing a {label} online" if language == "en" else f"在线办理{label}时"
    return None


def _labelled(form: Any) -> Journey | None:
    """The journey of a form the customer knows by a name (a service request is not one to itself)."""
    from actions.registry import journey_of  # the registry lists this module's journeys

    journey = journey_of(form) if isinstance(form, str) else None
    return journey if journey is not None and journey.label is not None else None


def messages_about_the_need(tracker: Tracker, count: int = SUGGESTED_MESSAGES) -> list[str]:
    """The customer's latest messages that may say what they need (masked; no buttons, small talk or form
    answers)."""
    said = [
        text
        for text, intent in customer_messages(tracker)
        if not text.startswith("/") and intent not in _NO_NEED_INTENTS
    ]
    return said[-count:]


def previous_packet(tracker: Tracker) -> dict[str, Any] | None:
    """The handoff packet of the assistant's reply to the customer's previous message (the hub then said no agent
    could take it and offered its /request_callback button), if there was one."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_user:
                return None
            seen_latest_user = True
        elif kind == "bot" and seen_latest_user:
            packet = ((event.get("data") or {}).get("custom") or {}).get("handoff")
            if isinstance(packet, dict):
                return packet
    return None


def stage_before_latest_message(tracker: Tracker) -> str:
    """Where the customer was when they asked (the form and its question, or the intent of the request)."""
    latest = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=len(tracker.events))
    loop: str | None = None
    requested: Any = None
    for event in tracker.events[:latest]:
        if event.get("event") == "active_loop":
            loop = event.get("name")
        elif event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
    if loop and loop != FORM:
        return f"{loop}:{requested or 'start'}"
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return f"intent:{intent or 'unknown'}"


def build_context(
    tracker: Tracker, *, kind: str, reason: str, stage: str, details: Mapping[str, Any]
) -> dict[str, Any]:
    """What the request carries besides the customer's answers, fixed when it starts: why, from where, the form
    answers so far (masked) and the suggested summary."""
    slots = masked_slots(tracker, leave_out=OWN_SLOTS)
    suggestion = suggest_summary(
        kind=kind,
        language=language_of(tracker),
        slots=slots,
        messages=messages_about_the_need(tracker) if kind == "callback" else [],
        details=details,
    )
    return {
        "reason": reason,
        "journey_stage": stage,
        "slots": slots,
        "suggestion": suggestion,
        "annual_review_due": details.get("annual_review_due"),
    }


def start_service_request(tracker: Tracker, reason: str, *, details: Mapping[str, Any]) -> list[EventType]:
    """Start ``service_request_form`` from an action (instead of a handoff packet to the account manager)."""
    kind = KIND_OF_REASON[reason]
    context = build_context(tracker, kind=kind, reason=reason, stage=journey_stage(tracker), details=details)
    return [
        ActiveLoop(FORM),
        *[SlotSet(slot, None) for slot in SERVICE_REQUEST.slots],
        SlotSet("service_request_kind", kind),
        SlotSet("service_request_context", context),
        SlotSet("contact_window_options", None),
        *([] if kind in METHOD_CHOICE_KINDS else [SlotSet("contact_method", "call")]),
        SlotSet("confirmed", None),
        SlotSet("requested_slot", None),
        SlotSet("invalid_attempts", 0),
        SlotSet("handoff_reason", None),
    ]


async def annual_review_due(tracker: Tracker) -> str | None:
    """The review date the credit line showed, else the lending core's for a verified customer."""
    known = tracker.get_slot("annual_review_due")
    if known:
        return str(known)
    if not is_verified(tracker):
        return None
    try:
        line = await services.lending_core().get_credit_line(tracker.get_slot("customer_id"))
    except (CoreUnavailable, CoreRejected):
        return None
    return line.review_due_date.isoformat()


def _agents_off_duty(tracker: Tracker, packet: Mapping[str, Any]) -> bool:
    """Whether the customer asked when the agents were off duty: the hub says why it offered its call-back button
    (``metadata.callback_offer``, by the hub's clock); without it, the agents' hours by this server's clock."""
    offer = (tracker.latest_message.get("metadata") or {}).get("callback_offer")
    if isinstance(offer, dict) and offer.get("reason"):
        return bool(offer["reason"] == "after_hours")
    skill = str(packet.get("skill") or "general")
    return not services.business_hours().is_open(skill, current_time())


def _in_the_request(tracker: Tracker) -> bool:
    """The form is starting on the customer's own request (so their message may already say when or how)."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return tracker.get_slot("requested_slot") is None and intent in ("request_callback", "book_annual_review")


def read_method(text: str) -> str | None:
    """``call`` or ``visit`` from a button (the value itself) or the customer's words; None when unclear."""
    cleaned = to_simplified(text).strip().lower()
    if cleaned in CONTACT_METHODS:
        return cleaned
    visit, call = bool(_VISIT_RE.search(cleaned)), bool(_CALL_RE.search(cleaned))
    if visit != call:
        return "visit" if visit else "call"
    return None


def offered_windows(tracker: Tracker, now: dt.datetime) -> list[Window]:
    """The windows the customer was offered that have not started yet, else the next ones."""
    hours = services.business_hours()
    stored = [Window.parse(str(value), hours.tz) for value in tracker.get_slot("contact_window_options") or []]
    still_open = [window for window in stored if window is not None and window.start > now]
    return still_open or contact_windows(hours, now)


def window_text(value: Any, language: str) -> str:
    window = Window.parse(str(value or ""), services.business_hours().tz)
    return window.label(language) if window else str(value or "")


# ------------------------------------------------------------------------------------------ the form


class ValidateServiceRequestForm(GuardedFormValidation):
    """The need, call or visit, a contact window, the mobile, consent, then the confirmation."""

    def name(self) -> str:
        return "validate_service_request_form"

    async def extract_service_request_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("service_request_kind"):
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return {"service_request_kind": "annual_review" if intent == "book_annual_review" else "callback"}

    async def validate_service_request_kind(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        kind = slot_value if slot_value in KINDS else "callback"
        result: dict[str, Any] = {"service_request_kind": kind}
        if not tracker.get_slot("service_request_context"):
            result["service_request_context"] = await self._context_at_start(tracker, kind)
        if kind not in METHOD_CHOICE_KINDS:
            result["contact_method"] = "call"
        return result

    async def _context_at_start(self, tracker: Tracker, kind: str) -> dict[str, Any]:
        packet = previous_packet(tracker)
        details: dict[str, Any] = {}
        if kind == "annual_review":
            reason = "annual_review"
            details["annual_review_due"] = await annual_review_due(tracker)
        elif packet is not None:
            reason = "after_hours" if _agents_off_duty(tracker, packet) else "customer_request"
            details["handoff_reason"] = packet.get("reason")
        else:
            reason = "customer_request"
        stage = str(packet.get("journey_stage")) if packet and packet.get("journey_stage") else None
        stage = stage or stage_before_latest_message(tracker)
        form = stage.split(":", 1)[0]
        if _labelled(form) is not None:
            details["interrupted_form"] = form
        return build_context(tracker, kind=kind, reason=reason, stage=stage, details=details)

    async def validate_service_request_summary(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(slot_value).strip()
        if text == KEEP_SUGGESTION:
            suggestion = (tracker.get_slot("service_request_context") or {}).get("suggestion")
            if not suggestion:
                return self.invalid(dispatcher, tracker, "service_request_summary", "summary_needed")
            return self.accepted("service_request_summary", suggestion)
        if text.startswith("/"):  # a button of an earlier question
            return self.invalid(dispatcher, tracker, "service_request_summary", "summary_needed")
        if not SUMMARY_MIN_CHARS <= len(text) <= SUMMARY_MAX_CHARS:
            return self.invalid(
                dispatcher,
                tracker,
                "service_request_summary",
                "summary_length",
                min=SUMMARY_MIN_CHARS,
                max=SUMMARY_MAX_CHARS,
            )
        # Personal numbers are masked here as everywhere the request is read back; the mobile has its own field.
        return self.accepted("service_request_summary", mask_text(text))

    async def extract_contact_method(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Said in the request itself (预约年审，请上门办理) or a correction at the consent or the confirmation
        (改成上门 / call me instead)."""
        if not (_in_the_request(tracker) or tracker.get_slot("requested_slot") in CORRECTION_STEPS):
            return {}
        if tracker.get_slot("service_request_kind") not in METHOD_CHOICE_KINDS:
            return {}
        method = read_method(tracker.latest_message.get("text") or "")
        return {"contact_method": method} if method and method != tracker.get_slot("contact_method") else {}

    async def validate_contact_method(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        method = read_method(str(slot_value))
        if method is None:
            return self.invalid(dispatcher, tracker, "contact_method", "contact_method_invalid")
        if tracker.get_slot("service_request_kind") not in METHOD_CHOICE_KINDS:
            method = "call"
        return self.accepted("contact_method", method)

    async def extract_contact_window(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A time in the request itself (明天上午给我回电) or a correction at the consent or the confirmation
        (不对，换成下午)."""
        requested = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        if not text or text.startswith("/"):
            return {}
        hours, now = services.business_hours(), current_time()
        words = read_window_words(text, today=now.astimezone(hours.tz).date(), tz=hours.tz)
        if not words.says_when:
            return {}
        if _in_the_request(tracker) and tracker.get_slot("contact_window") is None:
            window = match_window(words, contact_windows(hours, now))
            return {"contact_window": window.value} if window else {}
        if requested in CORRECTION_STEPS and tracker.get_slot("contact_window"):
            return {"contact_window": text}
        return {}

    async def validate_contact_window(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        hours, now = services.business_hours(), current_time()
        options = offered_windows(tracker, now)
        before = value_before_this_turn(tracker, "contact_window")
        chosen_before = Window.parse(str(before), hours.tz) if before else None
        words = read_window_words(str(slot_value), today=now.astimezone(hours.tz).date(), tz=hours.tz)
        window = match_window(words, options, near=chosen_before)
        correcting = tracker.get_slot("requested_slot") not in (None, "contact_window")
        if window is not None:
            return self.accepted("contact_window", window.value)
        if correcting:
            # The summary is shown again with the time unchanged; saying why beats a silent no.
            if before:
                dispatcher.utter_message(text=pick(PROBLEMS, "contact_window_not_offered", language_of(tracker)))
            return {"contact_window": before}
        problem = "contact_window_unavailable" if words.window is not None else "contact_window_invalid"
        return self.invalid(dispatcher, tracker, "contact_window", problem)

    async def validate_contact_mobile(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(slot_value).strip()
        if text == OTHER_MOBILE:
            dispatcher.utter_message(text=pick(PROBLEMS, "contact_mobile_needed", language_of(tracker)))
            return {"contact_mobile": None}
        if text == REGISTERED_MOBILE:
            customer_id = tracker.get_slot("customer_id")
            if not customer_id:
                return self.invalid(dispatcher, tracker, "contact_mobile", "contact_mobile_needed")
            try:
                profile = await services.lending_core().get_profile(customer_id)
                return self.accepted("contact_mobile", parse_mobile(profile.mobile))
            except (CoreUnavailable, CoreRejected, NormalizationError):
                dispatcher.utter_message(response="utter_registered_mobile_unavailable")
                return {"contact_mobile": None}
        try:
            return self.accepted("contact_mobile", parse_mobile(text))
        except NormalizationError as error:
            return self.invalid(dispatcher, tracker, "contact_mobile", error.code)

    async def validate_contact_consent(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if slot_value is not True:
            dispatcher.utter_message(response="utter_contact_consent_refused")
            # Without consent nobody may contact the customer: the form ends and nothing is sent.
            return {"contact_consent": False, "confirmed": False}
        return self.accepted("contact_consent", True)

    async def validate_confirmed(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes or no; a correction in the same message (不对，换成下午) shows the summary again instead."""
        if CORRECTABLE_SLOTS & set(tracker.slots_to_validate()):
            return {"confirmed": None}
        return {"confirmed": bool(slot_value)}


class ActionAskServiceRequestSummary(Action):
    """Asks what the customer needs, offering the suggested summary as a button to keep it."""

    def name(self) -> str:
        return "action_ask_service_request_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        suggestion = (tracker.get_slot("service_request_context") or {}).get("suggestion")
        if suggestion:
            dispatcher.utter_message(response="utter_ask_service_request_summary_suggested", suggestion=suggestion)
        else:
            dispatcher.utter_message(response="utter_ask_service_request_summary")
        return []


class ActionAskContactWindow(Action):
    """Offers the next windows of the account managers' working hours as buttons (and remembers them, so "2" or
    "明天上午" means one of these)."""

    def name(self) -> str:
        return "action_ask_contact_window"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        windows = contact_windows(services.business_hours(), current_time())
        if not windows:
            dispatcher.utter_message(response="utter_no_contact_windows")
            return [ActiveLoop(None), SlotSet("confirmed", False), SlotSet("requested_slot", None)]
        buttons = [
            {"title": window.label(language), "payload": f'/inform{{"contact_window": "{window.value}"}}'}
            for window in windows
        ]
        method = tracker.get_slot("contact_method") or "call"
        response = "utter_ask_contact_window_visit" if method == "visit" else "utter_ask_contact_window"
        dispatcher.utter_message(response=response, buttons=buttons)
        return [SlotSet("contact_window_options", [window.value for window in windows])]


class ActionAskContactMobile(Action):
    """Offers a verified customer's registered mobile (masked) to keep, or asks for a mobile."""

    def name(self) -> str:
        return "action_ask_contact_mobile"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        customer_id = tracker.get_slot("customer_id")
        if customer_id:
            try:
                profile = await services.lending_core().get_profile(customer_id)
            except (CoreUnavailable, CoreRejected):
                profile = None
            if profile is not None:
                dispatcher.utter_message(
                    response="utter_ask_contact_mobile_registered", masked_mobile=mask_mobile(profile.mobile)
                )
                return []
        dispatcher.utter_message(response="utter_ask_contact_mobile")
        return []


class ActionAskContactConsent(Action):
    """Asks for consent to be contacted on that mobile in that window."""

    def name(self) -> str:
        return "action_ask_contact_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        dispatcher.utter_message(
            response="utter_ask_contact_consent",
            window_text=window_text(tracker.get_slot("contact_window"), language),
            mobile_masked=mask_mobile(tracker.get_slot("contact_mobile") or ""),
        )
        return []


async def service_request_summary(tracker: Tracker, language: str) -> Reply:
    """The confirmation of a service request (the mobile masked)."""
    return Reply(
        "utter_service_request_summary",
        {
            "kind_text": pick(SERVICE_REQUEST_KINDS, tracker.get_slot("service_request_kind") or "callback", language),
            "summary": tracker.get_slot("service_request_summary") or "",
            "method_text": pick(CONTACT_METHODS, tracker.get_slot("contact_method") or "call", language),
            "window_text": window_text(tracker.get_slot("contact_window"), language),
            "mobile_masked": mask_mobile(tracker.get_slot("contact_mobile") or ""),
        },
    )


# The request goes to the hub, not to the lending core: its submit action is a class of its own.
SERVICE_REQUEST = Journey(
    form=FORM,
    slots=(
        "service_request_kind",
        "service_request_summary",
        "contact_method",
        "contact_window",
        "contact_mobile",
        "contact_consent",
    ),
    kept=("service_request_context", "contact_window_options"),
    action="action_submit_service_request",
    summary=service_request_summary,
    responses=("utter_service_request_summary", "utter_service_request_submitting"),
)
SERVICE_REQUEST_STATUS = Journey(
    form=STATUS_FORM,
    slots=("service_request_number",),
    action="action_check_service_request",
    responses=("utter_service_request_number_needed", "utter_checking_service_request"),
    label={"zh": "服务请求进度查询", "en": "service request status"},
)
OWN_SLOTS = frozenset((*SERVICE_REQUEST.forgotten, *SERVICE_REQUEST_STATUS.forgotten))


def service_request_payload(tracker: Tracker) -> dict[str, Any]:
    """The request as the hub reads it (docs/contracts.md, version 1): the full mobile, everything else masked."""
    context = tracker.get_slot("service_request_context") or {}
    kind = tracker.get_slot("service_request_kind") or "callback"
    start, _, end = str(tracker.get_slot("contact_window") or "").partition("/")
    return {
        "version": SERVICE_REQUEST_VERSION,
        "kind": kind,
        "contact_method": tracker.get_slot("contact_method") or "call",
        "summary": tracker.get_slot("service_request_summary"),
        "contact_window": {"start": start, "end": end},
        "contact_mobile": tracker.get_slot("contact_mobile"),
        "consent": True,
        "language": language_of(tracker),
        "customer": {"customer_id": tracker.get_slot("customer_id"), "verified_by": tracker.get_slot("verified_by")},
        "reason": context.get("reason") or ("annual_review" if kind == "annual_review" else "customer_request"),
        "journey_stage": context.get("journey_stage") or journey_stage(tracker),
        "slots": context.get("slots") or {},
        "annual_review_due": context.get("annual_review_due") if kind == "annual_review" else None,
    }


class ActionSubmitServiceRequest(Action):
    """Sends the confirmed request to the hub (a custom payload of this reply); the hub answers with its number."""

    def name(self) -> str:
        return "action_submit_service_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("confirmed"):
            if tracker.get_slot("contact_consent") is not False:
                dispatcher.utter_message(response="utter_not_submitted")
            return reset_form_events()
        dispatcher.utter_message(
            response="utter_service_request_submitting",
            json_message={"service_request": service_request_payload(tracker)},
        )
        # The request carries the journey now: every form's answers are forgotten.
        return reset_form_events()


# ------------------------------------------------------------------------------------------ the status


def service_request_number_in(text: str) -> str | None:
    found = _SR_NUMBER_RE.search(text)
    try:
        return validate_service_request_number(found.group(0) if found else text)
    except NormalizationError:
        return None


class ValidateServiceRequestStatusForm(GuardedFormValidation):
    """A verified customer needs no number (their requests are theirs); anyone else gives the number."""

    def name(self) -> str:
        return "validate_service_request_status_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if is_verified(tracker) and tracker.get_slot("service_request_number") is None:
            return []
        return domain_slots

    async def validate_service_request_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = service_request_number_in(str(slot_value))
        if number is None:
            return self.invalid(dispatcher, tracker, "service_request_number", "service_request_number_invalid")
        return self.accepted("service_request_number", number)


class ActionCheckServiceRequest(Action):
    """Asks the hub for a request's status (``service_request_lookup``); the hub answers with it. Also a
    digression inside another form, which then carries on."""

    def name(self) -> str:
        return "action_check_service_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        loop = tracker.active_loop.get("name") if tracker.active_loop else None
        done = [SlotSet("service_request_number", None)] if loop else reset_form_events(STATUS_FORM)
        number = tracker.get_slot("service_request_number")
        number = service_request_number_in(str(number)) if number else None
        verified = is_verified(tracker)
        if number is None and not verified:
            # Inside another form (the status form itself asks for the number): say how to ask with it.
            dispatcher.utter_message(response="utter_service_request_number_needed")
            return done
        lookup = {
            "version": LOOKUP_VERSION,
            "number": number,
            "customer_id": tracker.get_slot("customer_id") if verified else None,
            "language": language_of(tracker),
        }
        dispatcher.utter_message(
            response="utter_checking_service_request", json_message={"service_request_lookup": lookup}
        )
        return done
