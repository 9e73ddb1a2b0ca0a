"""Renewal without repaying principal (无还本续贷): eligibility explained, confirmed requests submitted;
borderline cases go to the account manager (a service request for the review)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.accounts import AskLoan, match_loan, open_loans
from actions.forms import completed, core_rejected_events, idempotency_key, language_of, reset_form_events
from actions.handoff import hand_off, hand_off_core_failure
from actions.journey import mark_step
from actions.lending_client import CoreRejected, CoreUnavailable
from actions.texts import reasons_text
from actions.verification import VerifiedFormValidation, verification_of


class ValidateRenewalForm(VerifiedFormValidation):
    """Which loan; its eligibility is checked at once and explained, so only an eligible request is confirmed."""

    moves_money = True

    def name(self) -> str:
        return "validate_renewal_form"

    async def validate_renewal_loan(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        customer_id = tracker.get_slot("customer_id")
        core = services.lending_core()
        try:
            loan = match_loan(str(slot_value), open_loans(await core.list_loans(customer_id)))
            if loan is None:
                return self.invalid(dispatcher, tracker, "renewal_loan", "loan_unknown")
            eligibility = await core.renewal_eligibility(customer_id, loan.loan_number)
        except (CoreUnavailable, CoreRejected):
            dispatcher.utter_message(response="utter_core_unavailable")
            return {"renewal_loan": None, "handoff_reason": "core_failure"}
        if eligibility.decision == "declined":
            dispatcher.utter_message(
                response="utter_renewal_declined",
                loan_number=loan.loan_number,
                reasons_text=reasons_text(eligibility.reasons, language_of(tracker)),
            )
            # Nothing to confirm: the form ends without a request.
            return self.accepted("renewal_loan", loan.loan_number, renewal_decision="declined", confirmed=False)
        return self.accepted("renewal_loan", loan.loan_number, renewal_decision=eligibility.decision)


class ActionAskRenewalLoan(AskLoan):
    """Offers the customer's open loans for renewal."""

    response = "utter_ask_renewal_loan"

    def name(self) -> str:
        return "action_ask_renewal_loan"


async def renewal_summary(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    language = language_of(tracker)
    customer_id, loan_number = tracker.get_slot("customer_id"), tracker.get_slot("renewal_loan")
    try:
        eligibility = await services.lending_core().renewal_eligibility(customer_id, loan_number)
    except (CoreUnavailable, CoreRejected):
        dispatcher.utter_message(response="utter_core_unavailable")
        return
    if eligibility.decision == "manual_review":
        dispatcher.utter_message(
            response="utter_renewal_manual_review_summary",
            loan_number=loan_number,
            reasons_text=reasons_text(eligibility.reasons, language),
        )
        return
    dispatcher.utter_message(
        response="utter_renewal_eligible",
        loan_number=loan_number,
        current_maturity=eligibility.current_maturity_date.isoformat(),
        proposed_maturity=str(eligibility.proposed_maturity_date),
    )


class ActionSubmitRenewal(Action):
    """Requests the confirmed renewal; approved extends the maturity, manual review goes to the account
    manager."""

    def name(self) -> str:
        return "action_submit_renewal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("handoff_reason"):
            return hand_off(dispatcher, tracker, str(tracker.get_slot("handoff_reason")))
        if tracker.get_slot("renewal_decision") == "declined":
            return reset_form_events("renewal_form")
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(response="utter_not_submitted")
            mark_step(dispatcher, "renewal_form", "cancelled")
            return reset_form_events("renewal_form")
        language = language_of(tracker)
        try:
            result = await services.lending_core().renew(
                customer_id=tracker.get_slot("customer_id"),
                loan_number=tracker.get_slot("renewal_loan"),
                verification=verification_of(tracker),
                idempotency_key=idempotency_key(tracker, "renewal"),
            )
        except CoreUnavailable:
            return hand_off_core_failure(dispatcher, tracker)
        except CoreRejected as error:
            if error.code != "not_eligible":
                return core_rejected_events(dispatcher, tracker, error, "renewal_form")
            dispatcher.utter_message(
                response="utter_renewal_declined",
                loan_number=tracker.get_slot("renewal_loan"),
                reasons_text=reasons_text(list(error.details.get("reasons") or [error.code]), language),
            )
            return reset_form_events("renewal_form")
        if result.decision == "manual_review":
            dispatcher.utter_message(response="utter_renewal_manual_review", renewal_number=result.renewal_number)
            mark_step(dispatcher, "renewal_form", "confirmed")
            details = {"renewal_number": result.renewal_number, "reasons": result.reasons}
            # The renewal's answers are forgotten first; the service request it starts keeps what it needs.
            return [
                *reset_form_events("renewal_form"),
                *hand_off(dispatcher, tracker, "renewal_manual_review", details=details),
            ]
        dispatcher.utter_message(
            response="utter_renewal_approved",
            loan_number=result.loan_number,
            new_maturity=str(result.new_maturity_date),
            renewal_number=result.renewal_number,
        )
        mark_step(dispatcher, "renewal_form", "confirmed")
        completed(dispatcher)
        return reset_form_events("renewal_form")
