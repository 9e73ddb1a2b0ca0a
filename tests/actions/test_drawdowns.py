"""Drawdowns: amount within the available line, an offered term, the customer's own account; one loan per
confirmation even when the action is retried; the core down or refusing."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.drawdowns import ActionSubmitDrawdown, ValidateDrawdownForm
from actions.lending_client import LendingCoreClient
from actions.texts import PROBLEMS
from tests.utils.trackers import make_tracker, responses, texts, user_event, with_slots

FORM = ValidateDrawdownForm()
VERIFIED = {"customer_id": "C1001", "verified_by": "bank_token"}


def asking(slot: str, language: str = "zh", **slots: Any) -> Any:
    return make_tracker(active_loop="drawdown_form", requested_slot=slot, slots={"language": language, **slots})


@pytest.mark.parametrize(("value", "expected"), [("50万", "500000.00"), ("380万", "3800000.00"), ("1000", "1000.00")])
async def test_amount_within_the_available_line(
    value: str, expected: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_drawdown_amount(value, dispatcher, asking("drawdown_amount", **VERIFIED), {})
    assert result == {"drawdown_amount": expected, "invalid_attempts": 0}
    assert dispatcher.messages == []


@pytest.mark.parametrize(("language", "available"), [("zh", "3,800,000.00元"), ("en", "3,800,000.00 yuan")])
async def test_amount_above_the_available_line(
    language: str, available: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    tracker = asking("drawdown_amount", language, **VERIFIED)
    result = await FORM.validate_drawdown_amount("400万", dispatcher, tracker, {})
    assert result == {"drawdown_amount": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["drawdown_above_available"][language].format(available=available)]


@pytest.mark.parametrize(("language", "minimum"), [("zh", "1,000.00元"), ("en", "1,000.00 yuan")])
async def test_amount_below_the_minimum(language: str, minimum: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_drawdown_amount("999.99", dispatcher, asking("drawdown_amount", language), {})
    assert result == {"drawdown_amount": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["drawdown_below_min"][language].format(min=minimum)]


@pytest.mark.parametrize(
    ("value", "code"), [("0", "amount_zero"), ("-1000", "amount_negative"), ("一些", "amount_unreadable")]
)
async def test_amount_not_positive_or_unreadable(value: str, code: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_drawdown_amount(value, dispatcher, asking("drawdown_amount"), {})
    assert result == {"drawdown_amount": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS[code]["zh"]]


async def test_an_unverified_customer_gives_the_amount_before_verifying(dispatcher: CollectingDispatcher) -> None:
    # nobody to check the line of yet: the amount is kept and checked after verification
    result = await FORM.validate_drawdown_amount("900万", dispatcher, asking("drawdown_amount"), {})
    assert result == {"drawdown_amount": "9000000.00", "invalid_attempts": 0}


async def test_an_amount_above_the_line_is_dropped_after_verification(core: LendingCoreClient) -> None:
    tracker = asking("verify_mobile", drawdown_amount="9000000.00")
    started = await FORM.validate_verify_mobile("13800000001", CollectingDispatcher(), tracker, {})
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", (await core.dev_sms_outbox("13800000001"))[0])[0]
    tracker = with_slots(tracker, {**started, "requested_slot": "otp_code"})
    dispatcher = CollectingDispatcher()
    result = await FORM.validate_otp_code(code, dispatcher, tracker, {})
    assert result["customer_id"] == "C1001" and result["drawdown_amount"] is None
    assert responses(dispatcher) == ["utter_verified"]


@pytest.mark.parametrize(("value", "months"), [("半年", 6), ("12个月", 12), ("24 months", 24)])
async def test_term_accepted(value: str, months: int, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_drawdown_term(value, dispatcher, asking("drawdown_term"), {})
    assert result == {"drawdown_term": months, "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_term_not_offered(language: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_drawdown_term("5个月", dispatcher, asking("drawdown_term", language), {})
    assert result == {"drawdown_term": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["term_not_offered"][language].format(terms="3/6/12/24/36")]


@pytest.mark.parametrize("value", ["SA100101", "尾号0101的账户", "/inform SA100101"])
async def test_receiving_account_of_the_customer(
    value: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_receiving_account(value, dispatcher, asking("receiving_account", **VERIFIED), {})
    assert result == {"receiving_account": "SA100101", "invalid_attempts": 0}


@pytest.mark.parametrize("value", ["SA100201", "尾号9999", "随便"])
async def test_receiving_account_not_the_customers(
    value: str, core: LendingCoreClient, dispatcher: CollectingDispatcher
) -> None:
    tracker = asking("receiving_account", "en", **VERIFIED)
    result = await FORM.validate_receiving_account(value, dispatcher, tracker, {})
    assert result == {"receiving_account": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["account_invalid"]["en"]]


async def test_receiving_account_with_the_core_down(core_down: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_receiving_account("SA100101", dispatcher, asking("receiving_account", **VERIFIED), {})
    assert result == {"receiving_account": None, "handoff_reason": "core_failure"}
    assert responses(dispatcher) == ["utter_core_unavailable"]


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False)])
async def test_confirmed(value: bool, expected: bool, dispatcher: CollectingDispatcher) -> None:
    assert await FORM.validate_confirmed(value, dispatcher, asking("confirmed"), {}) == {"confirmed": expected}


def confirmed_drawdown(message_id: str = "confirm-msg-1", **slots: Any) -> Any:
    values = {
        **VERIFIED,
        "drawdown_amount": "200000.00",
        "drawdown_term": 6,
        "receiving_account": "SA100101",
        "confirmed": True,
        **slots,
    }
    return make_tracker(
        slots=values,
        text="确认",
        intent="affirm",
        message_id=message_id,
        active_loop="drawdown_form",
        events=[user_event("确认", intent="affirm", message_id=message_id, timestamp=1_700_000_000.0)],
    )


async def test_a_retried_submission_creates_one_loan(core: LendingCoreClient, domain: dict[str, Any]) -> None:
    before = {loan.loan_number for loan in await core.list_loans("C1001")}
    tracker = confirmed_drawdown()
    first, second = CollectingDispatcher(), CollectingDispatcher()
    events = await ActionSubmitDrawdown().run(first, tracker, domain)
    await ActionSubmitDrawdown().run(second, tracker, domain)

    new = [loan for loan in await core.list_loans("C1001") if loan.loan_number not in before]
    assert len(new) == 1 and new[0].outstanding_principal == Decimal("200000.00")
    assert responses(first) == responses(second) == ["utter_drawdown_done", "utter_anything_else"]
    assert first.messages[0]["loan_number"] == second.messages[0]["loan_number"] == new[0].loan_number
    assert first.messages[0]["available_text"] == "3,600,000.00元"
    assert SlotSet("drawdown_amount", None) in events and SlotSet("confirmed", None) in events
    assert (await core.get_credit_line("C1001")).available == Decimal("3600000.00")


async def test_another_confirmation_is_another_loan(core: LendingCoreClient) -> None:
    before = len(await core.list_loans("C1001"))
    await ActionSubmitDrawdown().run(CollectingDispatcher(), confirmed_drawdown("confirm-msg-1"), {})
    await ActionSubmitDrawdown().run(CollectingDispatcher(), confirmed_drawdown("confirm-msg-2"), {})
    assert len(await core.list_loans("C1001")) == before + 2


async def test_core_down_hands_over_with_the_packet(core_down: str, dispatcher: CollectingDispatcher) -> None:
    events = await ActionSubmitDrawdown().run(dispatcher, confirmed_drawdown(), {})
    assert responses(dispatcher) == ["utter_core_unavailable", "utter_handoff_agent"]
    packet = dispatcher.messages[1]["custom"]["handoff"]
    assert packet["reason"] == "core_failure" and packet["priority"] == "high"
    assert packet["customer"] == {"customer_id": "C1001", "verified_by": "bank_token"}
    assert packet["slots"]["receiving_account"] == "****"
    assert ActiveLoop(None) in events and SlotSet("confirmed", None) in events


async def test_an_expired_verification_is_refused_and_forgotten(core: LendingCoreClient) -> None:
    before = len(await core.list_loans("C1001"))
    tracker = confirmed_drawdown(verified_by="otp", verification_id="no-such-verification")
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitDrawdown().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_core_rejected"]
    assert dispatcher.messages[0]["reason_text"] == "身份验证已过期，请重新验证"
    assert SlotSet("verified_by", None) in events and SlotSet("verification_id", None) in events
    assert len(await core.list_loans("C1001")) == before


async def test_a_rule_rejection_is_explained_in_english(core: LendingCoreClient) -> None:
    tracker = confirmed_drawdown(language="en", customer_id="C1002", receiving_account="SA100201")
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitDrawdown().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_core_rejected"]
    assert dispatcher.messages[0]["reason_text"] == "the credit line is frozen"
    assert SlotSet("verified_by", None) not in events


async def test_not_confirmed_submits_nothing(core: LendingCoreClient) -> None:
    before = len(await core.list_loans("C1001"))
    dispatcher = CollectingDispatcher()
    await ActionSubmitDrawdown().run(dispatcher, confirmed_drawdown(confirmed=False), {})
    assert responses(dispatcher) == ["utter_not_submitted"]
    assert len(await core.list_loans("C1001")) == before
