"""Repayments (还款): which loan, how much (an amount or all of it), from which account; interest first."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.accounts import AskAccount, AskLoan, account_label, match_loan, open_loans, validate_account
from actions.forms import completed, core_rejected_events, idempotency_key, language_of, reset_form_events
from actions.handoff import hand_off, hand_off_core_failure
from actions.journey import mark_step
from actions.lending_client import CoreRejected, CoreUnavailable, Loan
from actions.normalize import NormalizationError, is_all_amount, parse_amount
from actions.texts import money_text
from actions.verification import VerifiedFormValidation, verification_of

REPAY_ALL = "all"


async def _loan(tracker: Tracker) -> Loan | None:
    try:
        return await services.lending_core().get_loan(
            tracker.get_slot("customer_id"), tracker.get_slot("repayment_loan")
        )
    except (CoreUnavailable, CoreRejected):
        return None


class ValidateRepaymentForm(VerifiedFormValidation):
    """A repayment of one of the customer's loans, partial or in full, from one of their accounts."""

    moves_money = True

    def name(self) -> str:
        return "validate_repayment_form"

    async def validate_repayment_loan(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            loans = open_loans(await services.lending_core().list_loans(tracker.get_slot("customer_id")))
        except (CoreUnavailable, CoreRejected):
            dispatcher.utter_message(response="utter_core_unavailable")
            return {"repayment_loan": None, "handoff_reason": "core_failure"}
        loan = match_loan(str(slot_value), loans)
        if loan is None:
            return self.invalid(dispatcher, tracker, "repayment_loan", "loan_unknown")
        return self.accepted("repayment_loan", loan.loan_number)

    async def validate_repayment_amount(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        refused = self.refuse_foreign_currency(dispatcher, tracker, "repayment_amount")
        if refused is not None:
            return refused
        text = str(slot_value)
        if is_all_amount(text):
            return self.accepted("repayment_amount", REPAY_ALL)
        try:
            amount = parse_amount(text)
        except NormalizationError as error:
            return self.invalid(dispatcher, tracker, "repayment_amount", error.code)
        loan = await _loan(tracker) if tracker.get_slot("repayment_loan") else None
        if loan is not None and amount > loan.payoff_amount:
            return self.invalid(
                dispatcher,
                tracker,
                "repayment_amount",
                "repayment_above_payoff",
                payoff=money_text(loan.payoff_amount, language_of(tracker)),
            )
        if loan is not None and amount == loan.payoff_amount:
            return self.accepted("repayment_amount", REPAY_ALL)
        return self.accepted("repayment_amount", str(amount))

    async def validate_repayment_account(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await validate_account(self, "repayment_account", slot_value, dispatcher, tracker)


class ActionAskRepaymentLoan(AskLoan):
    """Offers the customer's open loans to repay."""

    response = "utter_ask_repayment_loan"

    def name(self) -> str:
        return "action_ask_repayment_loan"


class ActionAskRepaymentAmount(Action):
    """Asks how much, showing today's payoff (principal plus interest accrued to today)."""

    def name(self) -> str:
        return "action_ask_repayment_amount"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        loan = await _loan(tracker)
        if loan is None:
            dispatcher.utter_message(response="utter_core_unavailable")
            return []
        dispatcher.utter_message(
            response="utter_ask_repayment_amount",
            loan_number=loan.loan_number,
            payoff_text=money_text(loan.payoff_amount, language),
            principal_text=money_text(loan.outstanding_principal, language),
            interest_text=money_text(loan.accrued_interest, language),
        )
        return []


class ActionAskRepaymentAccount(AskAccount):
    """Offers the customer's own accounts to pay from."""

    response = "utter_ask_repayment_account"

    def name(self) -> str:
        return "action_ask_repayment_account"


async def repayment_summary(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    language = language_of(tracker)
    amount = tracker.get_slot("repayment_amount")
    loan = await _loan(tracker)
    if amount == REPAY_ALL:
        payoff = money_text(loan.payoff_amount, language) if loan else ""
        amount_text = f"all ({payoff})" if language == "en" else f"全部结清（{payoff}）"
    else:
        amount_text = money_text(Decimal(amount), language)
    dispatcher.utter_message(
        response="utter_repayment_summary",
        loan_number=tracker.get_slot("repayment_loan"),
        amount_text=amount_text,
        account_text=await account_label(tracker, "repayment_account"),
    )


class ActionSubmitRepayment(Action):
    """Repays the confirmed amount (or the payoff of today). A retried action replays, never pays twice."""

    def name(self) -> str:
        return "action_submit_repayment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("handoff_reason"):
            return hand_off(dispatcher, tracker, str(tracker.get_slot("handoff_reason")))
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(response="utter_not_submitted")
            mark_step(dispatcher, "repayment_form", "cancelled")
            return reset_form_events("repayment_form")
        language = language_of(tracker)
        amount = tracker.get_slot("repayment_amount")
        try:
            done = await services.lending_core().repay(
                customer_id=tracker.get_slot("customer_id"),
                loan_number=tracker.get_slot("repayment_loan"),
                account_id=tracker.get_slot("repayment_account"),
                verification=verification_of(tracker),
                idempotency_key=idempotency_key(tracker, "repayment"),
                amount=None if amount == REPAY_ALL else Decimal(amount),
                pay_all=amount == REPAY_ALL,
            )
        except CoreUnavailable:
            return hand_off_core_failure(dispatcher, tracker)
        except CoreRejected as error:
            return core_rejected_events(dispatcher, tracker, error, "repayment_form")
        if done.outstanding_after == 0:
            dispatcher.utter_message(
                response="utter_repayment_settled",
                loan_number=done.loan_number,
                amount_text=money_text(done.amount, language),
            )
        else:
            dispatcher.utter_message(
                response="utter_repayment_done",
                loan_number=done.loan_number,
                interest_text=money_text(done.interest_paid, language),
                principal_text=money_text(done.principal_paid, language),
                outstanding_text=money_text(done.outstanding_after, language),
            )
        mark_step(dispatcher, "repayment_form", "confirmed")
        completed(dispatcher)
        return reset_form_events("repayment_form")
