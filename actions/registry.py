"""Every journey of the assistant, by form: the one table of what each form asks, keeps and ends with.

Resetting a form (``actions/forms.py``), the handoff packet's answers and the hand-back's resumable forms
(``actions/handoff.py``) and the confirmation's summary (``actions/confirmation.py``) read it.
"""

from __future__ import annotations

from actions.applications import APPLICATION, APPLICATION_STATUS
from actions.credit_line import CREDIT_LINE
from actions.drawdowns import DRAWDOWN
from actions.journeys import Journey
from actions.renewals import RENEWAL
from actions.repayments import REPAYMENT
from actions.service_requests import SERVICE_REQUEST, SERVICE_REQUEST_STATUS

JOURNEYS: tuple[Journey, ...] = (
    APPLICATION,
    DRAWDOWN,
    REPAYMENT,
    RENEWAL,
    CREDIT_LINE,
    APPLICATION_STATUS,
    SERVICE_REQUEST,
    SERVICE_REQUEST_STATUS,
)
_BY_FORM = {journey.form: journey for journey in JOURNEYS}


def journey_of(form: str | None) -> Journey | None:
    """The journey of a form, or None (no form, or not one of the assistant's)."""
    return _BY_FORM.get(form or "")


def answer_slots() -> frozenset[str]:
    """Every form's answers and what the forms learn (never what a form keeps for itself)."""
    return frozenset(slot for journey in JOURNEYS for slot in (*journey.slots, *journey.learned))
