"""The customer's own credit line: limit, used, available, review date (a verified customer only); when the annual
review is due within 30 days or overdue, what it needs and a button to book it with the account manager."""

from __future__ import annotations

from actions.journeys import Done, Journey, Reply, Slots, Submission, SubmitJourney
from actions.lending_client import CreditLine, LendingCoreClient
from actions.texts import STATES, money_text, pick
from actions.verification import VerifiedFormValidation

# The reminder for a review due within 30 days (the lending core's due_soon) or overdue, with a booking button.
REVIEW_REMINDERS = {"due_soon": "utter_annual_review_due_soon", "overdue": "utter_annual_review_overdue"}


class ValidateCreditLineForm(VerifiedFormValidation):
    """The credit-line form asks nothing of its own: only verification, when the customer is not verified."""

    def name(self) -> str:
        return "validate_credit_line_form"


async def get_credit_line(core: LendingCoreClient, slots: Slots, key: str) -> CreditLine:
    return await core.get_credit_line(slots["customer_id"])


def credit_line_shown(line: CreditLine, slots: Slots, language: str) -> Done:
    """The line, and for a review due soon or overdue its reminder, whose button books the review with the date."""
    shown = Reply(
        "utter_credit_line",
        {
            "limit_text": money_text(line.limit, language),
            "used_text": money_text(line.used, language),
            "available_text": money_text(line.available, language),
            "status_text": pick(STATES, line.status, language),
            "expiry_date": line.expiry_date.isoformat(),
            "review_due_date": line.review_due_date.isoformat(),
            "review_text": pick(STATES, line.review_state, language),
        },
    )
    reminder = REVIEW_REMINDERS.get(line.review_state)
    if reminder is None:
        return Done((shown,), finished=False)
    due = line.review_due_date.isoformat()
    # Booking the review from the button carries the date into the service request.
    return Done((shown, Reply(reminder, {"review_due_date": due})), finished=False, fills={"annual_review_due": due})


CREDIT_LINE = Journey(
    form="credit_line_form",
    slots=(),
    action="action_show_credit_line",
    submission=Submission(key_purpose="credit-line", call=get_credit_line, done=credit_line_shown),
    responses=("utter_credit_line", *REVIEW_REMINDERS.values()),
    label={"zh": "额度查询", "en": "credit line"},
)


class ActionShowCreditLine(SubmitJourney):
    """Shows the credit line."""

    journey = CREDIT_LINE
