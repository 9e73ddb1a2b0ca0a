"""The product rules the assistant checks answers against (docs/product_rules.md); a test keeps them equal to
the reference lending core's configuration."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.entities import NormalizationError, parse_term_months
from actions.forms import GuardedFormValidation

APPLICATION_AMOUNT_MIN = Decimal("10000")
APPLICATION_AMOUNT_MAX = Decimal("10000000")
ONLINE_AMOUNT_LIMIT = Decimal("3000000")
LOAN_TERMS_MONTHS = (3, 6, 12, 24, 36)
DRAWDOWN_MIN = Decimal("1000")


def parse_offered_term(text: str) -> int:
    """A term the products offer, in months; raises NormalizationError with ``term_not_offered`` otherwise."""
    months = parse_term_months(text)
    if months not in LOAN_TERMS_MONTHS:
        raise NormalizationError("term_not_offered", text)
    return months


def validate_term(
    form: GuardedFormValidation, slot: str, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Accept a term the products offer, or say which terms they do."""
    try:
        return form.accepted(slot, parse_offered_term(str(slot_value)))
    except NormalizationError as error:
        terms = "/".join(str(t) for t in LOAN_TERMS_MONTHS)
        return form.invalid(dispatcher, tracker, slot, error.code, terms=terms)
