"""Loan applications: the application form, its submission, and checking an application's status."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.forms import (
    GuardedFormValidation,
    completed,
    core_rejected_events,
    idempotency_key,
    language_of,
    reset_form_events,
)
from actions.handoff import hand_off, hand_off_core_failure
from actions.journey import mark_step
from actions.lending_client import CoreRejected, CoreUnavailable
from actions.normalize import (
    NormalizationError,
    mask_credit_code,
    mask_mobile,
    parse_amount,
    parse_mobile,
    to_simplified,
    validate_application_number,
    validate_credit_code,
)
from actions.products import (
    APPLICATION_AMOUNT_MAX,
    APPLICATION_AMOUNT_MIN,
    ONLINE_AMOUNT_LIMIT,
    validate_term,
)
from actions.texts import STATES, money_text, pick, reasons_text, term_text
from actions.verification import VerifiedFormValidation

logger = logging.getLogger(__name__)

_COMPANY_SUFFIX = re.compile(
    r"(公司|厂|店|中心|合作社|工作室|事务所|集团|co\.?|ltd\.?|limited|inc\.?|llc|company|corp)", re.IGNORECASE
)


# What a loan is for, said while another question is asked ("三年，用来进原材料"): taken as the purpose.
_PURPOSE_WORDS = re.compile(
    r"进货|备货|采购|原材料|原料|货款|供应商|工资|发薪|周转|流动资金|设备|装修|租金|房租|扩大经营|开分店|开新店|铺货"
    r"|working capital|raw materials?|suppliers?|payroll|wages|salar(?:y|ies)|equipment|renovat|fit(?:ting)? out"
    r"|inventory|stock up|expan(?:d|sion)",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r"[，,。；;！!？?]+")


def purpose_in(text: str) -> str | None:
    """The clause of a message that says what the loan is for, or None."""
    for clause in _CLAUSES.split(text):
        if _PURPOSE_WORDS.search(clause):
            return clause.strip()
    return None


class ValidateLoanApplicationForm(GuardedFormValidation):
    """Checks every answer of the loan application; an amount above the online limit goes to the account
    manager."""

    def name(self) -> str:
        return "validate_loan_application_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [] if tracker.get_slot("handoff_reason") else domain_slots

    async def extract_loan_purpose(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The purpose given while another question is asked (the asked question takes its answer as text)."""
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") in (None, "loan_purpose") or tracker.get_slot("loan_purpose"):
            return {}
        if intent not in ("inform", "apply_loan"):
            return {}
        purpose = purpose_in(str(message.get("text") or ""))
        return {"loan_purpose": purpose} if purpose else {}

    async def validate_company_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = to_simplified(str(slot_value)).strip(" ，,。.")
        if not (2 <= len(name) <= 100) or not (_COMPANY_SUFFIX.search(name) or len(name) >= 6):
            return self.invalid(dispatcher, tracker, "company_name", "company_name_invalid")
        return self.accepted("company_name", name)

    async def validate_credit_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        candidate = re.search(r"[0-9A-Za-z]{18}", str(slot_value).replace(" ", ""))
        try:
            code = validate_credit_code(candidate.group(0) if candidate else str(slot_value))
        except NormalizationError as error:
            return self.invalid(dispatcher, tracker, "credit_code", error.code)
        return self.accepted("credit_code", code)

    async def validate_contact_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = re.sub(
            r"^(联系人|我叫|我是|姓名|名字|叫|my name is|i am|i'm|name)[:：\s]*",
            "",
            str(slot_value).strip(),
            flags=re.IGNORECASE,
        ).strip(" ，,。.")
        if not (1 < len(name) <= 40) or re.search(r"\d", name):
            return self.invalid(dispatcher, tracker, "contact_name", "contact_name_invalid")
        return self.accepted("contact_name", name)

    async def validate_mobile(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return self.accepted("mobile", parse_mobile(str(slot_value)))
        except NormalizationError as error:
            return self.invalid(dispatcher, tracker, "mobile", error.code)

    async def validate_loan_amount(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language = language_of(tracker)
        refused = self.refuse_foreign_currency(dispatcher, tracker, "loan_amount")
        if refused is not None:
            return refused
        try:
            amount = parse_amount(str(slot_value))
        except NormalizationError as error:
            return self.invalid(dispatcher, tracker, "loan_amount", error.code)
        if not APPLICATION_AMOUNT_MIN <= amount <= APPLICATION_AMOUNT_MAX:
            return self.invalid(
                dispatcher,
                tracker,
                "loan_amount",
                "application_amount_range",
                min=money_text(APPLICATION_AMOUNT_MIN, language),
                max=money_text(APPLICATION_AMOUNT_MAX, language),
            )
        if amount > ONLINE_AMOUNT_LIMIT:
            dispatcher.utter_message(
                response="utter_amount_above_online_limit", amount_text=money_text(amount, language)
            )
            return self.accepted("loan_amount", str(amount), handoff_reason="amount_above_online_limit")
        return self.accepted("loan_amount", str(amount))

    async def validate_loan_term(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_term(self, "loan_term", slot_value, dispatcher, tracker)

    async def validate_loan_purpose(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        purpose = str(slot_value).strip()
        if not (2 <= len(purpose) <= 200):
            return self.invalid(dispatcher, tracker, "loan_purpose", "purpose_invalid")
        return self.accepted("loan_purpose", purpose)

    async def validate_credit_check_consent(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if slot_value is not True:
            dispatcher.utter_message(response="utter_consent_required")
            # Without consent there is nothing to confirm: the form ends and nothing is submitted.
            return {"credit_check_consent": False, "confirmed": False}
        return self.accepted("credit_check_consent", True)


async def application_summary(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    language = language_of(tracker)
    dispatcher.utter_message(
        response="utter_application_summary",
        credit_code_masked=mask_credit_code(tracker.get_slot("credit_code") or ""),
        mobile_masked=mask_mobile(tracker.get_slot("mobile") or ""),
        amount_text=money_text(Decimal(tracker.get_slot("loan_amount")), language),
        term_text=term_text(int(tracker.get_slot("loan_term")), language),
    )


class ActionSubmitLoanApplication(Action):
    """Submits a confirmed application to the lending core and tells its number."""

    def name(self) -> str:
        return "action_submit_loan_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("handoff_reason"):
            return hand_off(dispatcher, tracker, str(tracker.get_slot("handoff_reason")))
        if not tracker.get_slot("confirmed"):
            if tracker.get_slot("credit_check_consent") is not False:
                dispatcher.utter_message(response="utter_not_submitted")
            mark_step(dispatcher, "loan_application_form", "cancelled")
            return reset_form_events("loan_application_form")
        language = language_of(tracker)
        try:
            submitted = await services.lending_core().submit_application(
                idempotency_key=idempotency_key(tracker, "application"),
                company_name=tracker.get_slot("company_name"),
                credit_code=tracker.get_slot("credit_code"),
                contact_name=tracker.get_slot("contact_name"),
                mobile=tracker.get_slot("mobile"),
                amount=Decimal(tracker.get_slot("loan_amount")),
                term_months=int(tracker.get_slot("loan_term")),
                purpose=tracker.get_slot("loan_purpose"),
                credit_check_consent=True,
                customer_id=tracker.get_slot("customer_id"),
                channel="assistant",
            )
        except CoreUnavailable:
            return hand_off_core_failure(dispatcher, tracker)
        except CoreRejected as error:
            return core_rejected_events(dispatcher, tracker, error, "loan_application_form")
        dispatcher.utter_message(
            response="utter_application_submitted",
            application_number=submitted.application_number,
            status_text=pick(STATES, submitted.status, language),
        )
        mark_step(dispatcher, "loan_application_form", "confirmed")
        completed(dispatcher)
        return reset_form_events("loan_application_form")


class ValidateApplicationStatusForm(VerifiedFormValidation):
    """Status checks need a verified customer and an application number."""

    def name(self) -> str:
        return "validate_application_status_form"

    async def validate_application_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = re.search(r"[Aa][Pp]\s*\d{10}", str(slot_value))
        try:
            number = validate_application_number(found.group(0) if found else str(slot_value))
        except NormalizationError:
            return self.invalid(dispatcher, tracker, "application_number", "application_number_invalid")
        return self.accepted("application_number", number)


class ActionShowApplicationStatus(Action):
    """Tells where an application is, with the reasons of a decision."""

    def name(self) -> str:
        return "action_show_application_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("handoff_reason"):
            return hand_off(dispatcher, tracker, str(tracker.get_slot("handoff_reason")))
        language = language_of(tracker)
        try:
            status = await services.lending_core().get_application(
                tracker.get_slot("application_number"), customer_id=tracker.get_slot("customer_id")
            )
        except CoreUnavailable:
            return hand_off_core_failure(dispatcher, tracker)
        except CoreRejected as error:
            return core_rejected_events(dispatcher, tracker, error, "application_status_form")
        dispatcher.utter_message(
            response="utter_application_status",
            application_number=status.application_number,
            company_name=status.company_name,
            amount_text=money_text(status.amount, language),
            term_text=term_text(status.term_months, language),
            status_text=pick(STATES, status.status, language),
            reasons_text=reasons_text(status.reasons, language) if status.reasons else "",
        )
        completed(dispatcher)
        return reset_form_events("application_status_form")
