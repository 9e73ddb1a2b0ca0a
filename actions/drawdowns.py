"""Drawdowns (提款): the drawdown form, its questions, and the money-moving submission."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.accounts import AskAccount, account_label, validate_account
from actions.forms import completed, core_rejected_events, idempotency_key, language_of, reset_form_events
from actions.handoff import hand_off, hand_off_core_failure
from actions.journey import mark_step
from actions.lending_client import CoreRejected, CoreUnavailable
from actions.normalize import NormalizationError, parse_amount
from actions.products import DRAWDOWN_MIN, validate_term
from actions.texts import money_text, rate_text, term_text
from actions.verification import VerifiedFormValidation, is_verified, verification_of


class ValidateDrawdownForm(VerifiedFormValidation):
    """A drawdown: an amount within the available line, a term, a receiving account of the customer's own."""

    moves_money = True

    def name(self) -> str:
        return "validate_drawdown_form"

    async def validate_drawdown_amount(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language = language_of(tracker)
        refused = self.refuse_foreign_currency(dispatcher, tracker, "drawdown_amount")
        if refused is not None:
            return refused
        try:
            amount = parse_amount(str(slot_value))
        except NormalizationError as error:
            return self.invalid(dispatcher, tracker, "drawdown_amount", error.code)
        if amount < DRAWDOWN_MIN:
            return self.invalid(
                dispatcher, tracker, "drawdown_amount", "drawdown_below_min", min=money_text(DRAWDOWN_MIN, language)
            )
        if is_verified(tracker):
            problem = await self._over_line(dispatcher, tracker, amount, tracker.get_slot("customer_id"))
            if problem is not None:
                return problem
        return self.accepted("drawdown_amount", str(amount))

    async def after_verification(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> dict[str, Any]:
        amount = tracker.get_slot("drawdown_amount")
        if amount is None:
            return {}
        return await self._over_line(dispatcher, tracker, Decimal(amount), customer_id) or {}

    async def _over_line(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, amount: Decimal, customer_id: str
    ) -> dict[str, Any] | None:
        """An answer that refuses the amount, or None when the line can take it (or cannot be read now)."""
        try:
            line = await services.lending_core().get_credit_line(customer_id)
        except (CoreUnavailable, CoreRejected):
            return None  # the submission checks again; the customer is not blocked by a passing fault here
        if amount > line.available:
            return self.invalid(
                dispatcher,
                tracker,
                "drawdown_amount",
                "drawdown_above_available",
                available=money_text(line.available, language_of(tracker)),
            )
        return None

    async def validate_drawdown_term(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_term(self, "drawdown_term", slot_value, dispatcher, tracker)

    async def validate_receiving_account(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await validate_account(self, "receiving_account", slot_value, dispatcher, tracker)


class ActionAskDrawdownAmount(Action):
    """Asks the amount, telling a verified customer the available credit."""

    def name(self) -> str:
        return "action_ask_drawdown_amount"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if is_verified(tracker):
            try:
                line = await services.lending_core().get_credit_line(tracker.get_slot("customer_id"))
            except (CoreUnavailable, CoreRejected):
                line = None
            if line is not None:
                available = money_text(line.available, language_of(tracker))
                dispatcher.utter_message(response="utter_ask_drawdown_amount_with_line", available_text=available)
                return []
        dispatcher.utter_message(response="utter_ask_drawdown_amount")
        return []


class ActionAskReceivingAccount(AskAccount):
    """Offers the customer's own settlement accounts to receive the money."""

    response = "utter_ask_receiving_account"

    def name(self) -> str:
        return "action_ask_receiving_account"


async def drawdown_summary(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    language = language_of(tracker)
    customer_id = tracker.get_slot("customer_id")
    core = services.lending_core()
    try:
        rate = rate_text((await core.get_credit_line(customer_id)).annual_rate)
    except (CoreUnavailable, CoreRejected):
        rate = "-"
    dispatcher.utter_message(
        response="utter_drawdown_summary",
        amount_text=money_text(Decimal(tracker.get_slot("drawdown_amount")), language),
        term_text=term_text(int(tracker.get_slot("drawdown_term")), language),
        account_text=await account_label(tracker, "receiving_account"),
        rate_text=rate,
    )


class ActionSubmitDrawdown(Action):
    """Draws the confirmed amount. The idempotency key comes from the confirmation turn: a retry is a replay."""

    def name(self) -> str:
        return "action_submit_drawdown"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("handoff_reason"):
            return hand_off(dispatcher, tracker, str(tracker.get_slot("handoff_reason")))
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(response="utter_not_submitted")
            mark_step(dispatcher, "drawdown_form", "cancelled")
            return reset_form_events("drawdown_form")
        language = language_of(tracker)
        try:
            done = await services.lending_core().drawdown(
                customer_id=tracker.get_slot("customer_id"),
                amount=Decimal(tracker.get_slot("drawdown_amount")),
                account_id=tracker.get_slot("receiving_account"),
                term_months=int(tracker.get_slot("drawdown_term")),
                verification=verification_of(tracker),
                idempotency_key=idempotency_key(tracker, "drawdown"),
            )
        except CoreUnavailable:
            return hand_off_core_failure(dispatcher, tracker)
        except CoreRejected as error:
            return core_rejected_events(dispatcher, tracker, error, "drawdown_form")
        dispatcher.utter_message(
            response="utter_drawdown_done",
            loan_number=done.loan_number,
            amount_text=money_text(done.amount, language),
            maturity_date=done.maturity_date.isoformat(),
            available_text=money_text(done.available_after, language),
        )
        mark_step(dispatcher, "drawdown_form", "confirmed")
        completed(dispatcher)
        return reset_form_events("drawdown_form")
