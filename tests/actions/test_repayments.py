"""Repayments: one of the customer's own loans, an amount up to today's payoff or all of it, an own account."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.lending_client import LendingCoreClient
from actions.repayments import ValidateRepaymentForm
from actions.texts import PROBLEMS, money_text
from tests.utils.trackers import make_tracker, responses, texts

FORM = ValidateRepaymentForm()
VERIFIED = {"customer_id": "C1001", "verified_by": "bank_token"}


def asking(slot: str, language: str = "zh", **slots: Any) -> Any:
    return make_tracker(
        active_loop="repayment_form", requested_slot=slot, slots={"language": language, **VERIFIED, **slots}
    )


@pytest.mark.parametrize("value", ["LN1001000001", "ln 1001000001", "尾号0001那笔", "这笔"])
async def test_loan_of_the_customer(value: str, core: LendingCoreClient, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_repayment_loan(value, dispatcher, asking("repayment_loan"), {})
    assert result == {"repayment_loan": "LN1001000001", "invalid_attempts": 0}
    assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("value", ["LN1003000001", "LN9999999999", "尾号7777"])
async def test_loan_that_is_not_the_customers(
    value: str, language: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_repayment_loan(value, dispatcher, asking("repayment_loan", language), {})
    assert result == {"repayment_loan": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["loan_unknown"][language]]


async def test_loan_with_the_core_down(core_down: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_repayment_loan("LN1001000001", dispatcher, asking("repayment_loan"), {})
    assert result == {"repayment_loan": None, "handoff_reason": "core_failure"}
    assert responses(dispatcher) == ["utter_core_unavailable"]


@pytest.mark.parametrize("value", ["全部", "全部还清", "all", "pay it all off"])
async def test_all_of_it(value: str, core: LendingCoreClient, dispatcher: CollectingDispatcher) -> None:
    tracker = asking("repayment_amount", repayment_loan="LN1001000001")
    result = await FORM.validate_repayment_amount(value, dispatcher, tracker, {})
    assert result == {"repayment_amount": "all", "invalid_attempts": 0}


async def test_part_of_it(core: LendingCoreClient, dispatcher: CollectingDispatcher) -> None:
    tracker = asking("repayment_amount", repayment_loan="LN1001000001")
    result = await FORM.validate_repayment_amount("10万", dispatcher, tracker, {})
    assert result == {"repayment_amount": "100000.00", "invalid_attempts": 0}


async def test_exactly_the_payoff_is_all_of_it(core: LendingCoreClient, dispatcher: CollectingDispatcher) -> None:
    payoff = (await core.get_loan("C1001", "LN1001000001")).payoff_amount
    tracker = asking("repayment_amount", repayment_loan="LN1001000001")
    result = await FORM.validate_repayment_amount(f"{payoff}", dispatcher, tracker, {})
    assert result == {"repayment_amount": "all", "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_more_than_the_payoff(language: str, core: LendingCoreClient, dispatcher: CollectingDispatcher) -> None:
    payoff = (await core.get_loan("C1001", "LN1001000001")).payoff_amount
    tracker = asking("repayment_amount", language, repayment_loan="LN1001000001")
    result = await FORM.validate_repayment_amount("200万", dispatcher, tracker, {})
    assert result == {"repayment_amount": None, "invalid_attempts": 1}
    expected = PROBLEMS["repayment_above_payoff"][language].format(payoff=money_text(payoff, language))
    assert texts(dispatcher) == [expected]


@pytest.mark.parametrize(
    ("value", "code"), [("0", "amount_zero"), ("-100", "amount_negative"), ("不知道", "amount_unreadable")]
)
async def test_amount_not_positive_or_unreadable(
    value: str, code: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    tracker = asking("repayment_amount", repayment_loan="LN1001000001")
    result = await FORM.validate_repayment_amount(value, dispatcher, tracker, {})
    assert result == {"repayment_amount": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS[code]["zh"]]


async def test_account_of_the_customer(core: LendingCoreClient, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_repayment_account("尾号0101", dispatcher, asking("repayment_account"), {})
    assert result == {"repayment_account": "SA100101", "invalid_attempts": 0}


async def test_account_not_the_customers(core: LendingCoreClient, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_repayment_account("SA100301", dispatcher, asking("repayment_account", "en"), {})
    assert result == {"repayment_account": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["account_invalid"]["en"]]


async def test_account_with_the_core_down(core_down: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_repayment_account("SA100101", dispatcher, asking("repayment_account"), {})
    assert result == {"repayment_account": None, "handoff_reason": "core_failure"}
    assert responses(dispatcher) == ["utter_core_unavailable"]


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False)])
async def test_confirmed(value: bool, expected: bool, dispatcher: CollectingDispatcher) -> None:
    assert await FORM.validate_confirmed(value, dispatcher, asking("confirmed"), {}) == {"confirmed": expected}
