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
from actions.entities import NormalizationError, parse_amount
from actions.forms import language_of
from actions.journeys import Done, Journey, Reply, Slots, Submission, SubmitJourney
from actions.lending_client import CoreRejected, CoreUnavailable, Drawdown, LendingCoreClient
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


async def drawdown_summary(tracker: Tracker, language: str) -> Reply:
    try:
        rate = rate_text((await services.lending_core().get_credit_line(tracker.get_slot("customer_id"))).annual_rate)
    except (CoreUnavailable, CoreRejected):
        rate = "-"
    return Reply(
        "utter_drawdown_summary",
        {
            "amount_text": money_text(Decimal(tracker.get_slot("drawdown_amount")), language),
            "term_text": term_text(int(tracker.get_slot("drawdown_term")), language),
            "account_text": await account_label(tracker, "receiving_account"),
            "rate_text": rate,
        },
    )


async def draw(core: LendingCoreClient, slots: Slots, key: str) -> Drawdown:
    return await core.drawdown(
        customer_id=slots["customer_id"],
        amount=Decimal(slots["drawdown_amount"]),
        account_id=slots["receiving_account"],
        term_months=int(slots["drawdown_term"]),
        verification=verification_of(slots),
        idempotency_key=key,
    )


def drawn(done: Drawdown, slots: Slots, language: str) -> Done:
    reply = Reply(
        "utter_drawdown_done",
        {
            "loan_number": done.loan_number,
            "amount_text": money_text(done.amount, language),
            "maturity_date": done.maturity_date.isoformat(),
            "available_text": money_text(done.available_after, language),
        },
    )
    return Done((reply,))


DRAWDOWN = Journey(
    form="drawdown_form",
    slots=("drawdown_amount", "drawdown_term", "receiving_account"),
    action="action_submit_drawdown",
    summary=drawdown_summary,
    submission=Submission(key_purpose="drawdown", call=draw, done=drawn),
    responses=("utter_drawdown_summary", "utter_drawdown_done"),
    label={"zh": "提款", "en": "drawdown"},
)


class ActionSubmitDrawdown(SubmitJourney):
    """Draws the confirmed amount. The idempotency key comes from the confirmation turn: a retry is a replay."""

    journey = DRAWDOWN
