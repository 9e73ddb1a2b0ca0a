"""Renewal without repaying principal (无还本续贷): eligibility explained, confirmed requests submitted;
borderline cases go to the account manager (a service request for the review)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.accounts import AskLoan, match_loan, open_loans
from actions.forms import language_of
from actions.journeys import Done, HandOff, Journey, Reply, Slots, Submission, SubmitJourney
from actions.lending_client import CoreRejected, CoreUnavailable, LendingCoreClient, RenewalResult
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


async def renewal_summary(tracker: Tracker, language: str) -> Reply:
    customer_id, loan_number = tracker.get_slot("customer_id"), tracker.get_slot("renewal_loan")
    try:
        eligibility = await services.lending_core().renewal_eligibility(customer_id, loan_number)
    except (CoreUnavailable, CoreRejected):
        return Reply("utter_core_unavailable")
    if eligibility.decision == "manual_review":
        reasons = reasons_text(eligibility.reasons, language)
        return Reply("utter_renewal_manual_review_summary", {"loan_number": loan_number, "reasons_text": reasons})
    return Reply(
        "utter_renewal_eligible",
        {
            "loan_number": loan_number,
            "current_maturity": eligibility.current_maturity_date.isoformat(),
            "proposed_maturity": str(eligibility.proposed_maturity_date),
        },
    )


async def renew(core: LendingCoreClient, slots: Slots, key: str) -> RenewalResult:
    return await core.renew(
        customer_id=slots["customer_id"],
        loan_number=slots["renewal_loan"],
        verification=verification_of(slots),
        idempotency_key=key,
    )


def renewed(result: RenewalResult, slots: Slots, language: str) -> Done:
    """Approved extends the maturity; manual review goes to the account manager (a service request)."""
    if result.decision == "manual_review":
        details = {"renewal_number": result.renewal_number, "reasons": result.reasons}
        return Done(
            (Reply("utter_renewal_manual_review", {"renewal_number": result.renewal_number}),),
            hand_off=HandOff("renewal_manual_review", details),
        )
    approved = {
        "loan_number": result.loan_number,
        "new_maturity": str(result.new_maturity_date),
        "renewal_number": result.renewal_number,
    }
    return Done((Reply("utter_renewal_approved", approved),))


def _declined(slots: Slots) -> bool:
    """The loan was found not eligible while the form asked: it said why and ended (``validate_renewal_loan``)."""
    return slots.get("renewal_decision") == "declined"


def _not_eligible(error: CoreRejected, slots: Slots, language: str) -> Reply | None:
    """The core declined the renewal after all: its reasons, as when the form found the loan not eligible."""
    if error.code != "not_eligible":
        return None
    reasons = reasons_text(list(error.details.get("reasons") or [error.code]), language)
    return Reply("utter_renewal_declined", {"loan_number": slots["renewal_loan"], "reasons_text": reasons})


RENEWAL = Journey(
    form="renewal_form",
    slots=("renewal_loan",),
    learned=("renewal_decision",),
    action="action_submit_renewal",
    summary=renewal_summary,
    submission=Submission(key_purpose="renewal", call=renew, done=renewed, declined=_declined, refused=_not_eligible),
    responses=(
        "utter_renewal_eligible",
        "utter_renewal_manual_review_summary",
        "utter_renewal_declined",
        "utter_renewal_manual_review",
        "utter_renewal_approved",
    ),
    label={"zh": "无还本续贷", "en": "renewal"},
)


class ActionSubmitRenewal(SubmitJourney):
    """Requests the confirmed renewal; approved extends the maturity, manual review goes to the account
    manager."""

    journey = RENEWAL
