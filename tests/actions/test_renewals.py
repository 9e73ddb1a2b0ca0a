"""Renewals: only the customer's own loan; eligibility checked at once, a declined loan ends the form."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.lending_client import LendingCoreClient
from actions.renewals import ValidateRenewalForm
from actions.texts import PROBLEMS
from tests.utils.trackers import make_tracker, responses, texts

FORM = ValidateRenewalForm()


def asking(customer_id: str, language: str = "zh") -> Any:
    slots = {"language": language, "customer_id": customer_id, "verified_by": "bank_token"}
    return make_tracker(active_loop="renewal_form", requested_slot="renewal_loan", slots=slots)


@pytest.mark.parametrize(
    ("customer_id", "loan", "decision"), [("C1004", "LN1004000001", "approved"), ("C1005", "尾号0001", "manual_review")]
)
async def test_an_eligible_or_borderline_loan(
    customer_id: str, loan: str, decision: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_renewal_loan(loan, dispatcher, asking(customer_id), {})
    assert result == {
        "renewal_loan": f"LN{customer_id[1:]}000001",
        "invalid_attempts": 0,
        "renewal_decision": decision,
    }
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("language", "reason"), [("zh", "额度年审已逾期，请先完成年审"), ("en", "the annual review is overdue")]
)
async def test_a_declined_loan_is_explained_and_ends_the_form(
    language: str, reason: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_renewal_loan("LN1006000001", dispatcher, asking("C1006", language), {})
    assert result == {
        "renewal_loan": "LN1006000001",
        "invalid_attempts": 0,
        "renewal_decision": "declined",
        "confirmed": False,
    }
    assert responses(dispatcher) == ["utter_renewal_declined"]
    assert reason in dispatcher.messages[0]["reasons_text"]


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_loan_that_is_not_the_customers(
    language: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_renewal_loan("LN1006000001", dispatcher, asking("C1004", language), {})
    assert result == {"renewal_loan": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["loan_unknown"][language]]


async def test_the_core_down(core_down: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_renewal_loan("LN1004000001", dispatcher, asking("C1004"), {})
    assert result == {"renewal_loan": None, "handoff_reason": "core_failure"}
    assert responses(dispatcher) == ["utter_core_unavailable"]


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False)])
async def test_confirmed(value: bool, expected: bool, dispatcher: CollectingDispatcher) -> None:
    assert await FORM.validate_confirmed(value, dispatcher, asking("C1004"), {}) == {"confirmed": expected}
