"""The customer's own credit line: limit, used, available, review date (a verified customer only); when the annual
review is due within 30 days or overdue, what it needs and a button to book it with the account manager."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.forms import core_rejected_events, language_of, reset_form_events
from actions.handoff import hand_off, hand_off_core_failure
from actions.lending_client import CoreRejected, CoreUnavailable
from actions.texts import STATES, money_text, pick
from actions.verification import VerifiedFormValidation

# The reminder for a review due within 30 days (the lending core's due_soon) or overdue, with a booking button.
REVIEW_REMINDERS = {"due_soon": "utter_annual_review_due_soon", "overdue": "utter_annual_review_overdue"}


class ValidateCreditLineForm(VerifiedFormValidation):
    """The credit-line form asks nothing of its own: only verification, when the customer is not verified."""

    def name(self) -> str:
        return "validate_credit_line_form"


class ActionShowCreditLine(Action):
    """Shows the credit line."""

    def name(self) -> str:
        return "action_show_credit_line"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("handoff_reason"):
            return hand_off(dispatcher, tracker, str(tracker.get_slot("handoff_reason")))
        language = language_of(tracker)
        try:
            line = await services.lending_core().get_credit_line(tracker.get_slot("customer_id"))
        except CoreUnavailable:
            return hand_off_core_failure(dispatcher, tracker)
        except CoreRejected as error:
            return core_rejected_events(dispatcher, tracker, error, "credit_line_form")
        dispatcher.utter_message(
            response="utter_credit_line",
            limit_text=money_text(line.limit, language),
            used_text=money_text(line.used, language),
            available_text=money_text(line.available, language),
            status_text=pick(STATES, line.status, language),
            expiry_date=line.expiry_date.isoformat(),
            review_due_date=line.review_due_date.isoformat(),
            review_text=pick(STATES, line.review_state, language),
        )
        response = REVIEW_REMINDERS.get(line.review_state)
        if response is None:
            return reset_form_events("credit_line_form")
        due = line.review_due_date.isoformat()
        dispatcher.utter_message(response=response, review_due_date=due)
        # Booking the review from the button carries the date into the service request.
        return [*reset_form_events("credit_line_form"), SlotSet("annual_review_due", due)]
