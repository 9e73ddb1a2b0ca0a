"""Step-up verification inside the forms: a one-time code sent and confirmed against the real lending core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.credit_line import ValidateCreditLineForm
from actions.drawdowns import ValidateDrawdownForm
from actions.lending_client import LendingCoreClient
from actions.texts import PROBLEMS
from tests.utils.trackers import make_tracker, responses, texts, with_slots

DRAWDOWN_SLOTS = ["verify_mobile", "otp_code", "drawdown_amount", "drawdown_term", "receiving_account", "confirmed"]
FORM = ValidateDrawdownForm()


def asking(slot: str, language: str = "zh", **slots: Any) -> Any:
    return make_tracker(active_loop="drawdown_form", requested_slot=slot, slots={"language": language, **slots})


async def latest_code(core: LendingCoreClient, mobile: str) -> str:
    return str(re.findall(r"(?<!\d)\d{6}(?!\d)", (await core.dev_sms_outbox(mobile))[0])[0])


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ({}, DRAWDOWN_SLOTS),
        ({"customer_id": "C1001", "verified_by": "bank_token"}, DRAWDOWN_SLOTS[2:]),
        (
            {"customer_id": "C1001", "verified_by": "otp", "verified_until": "2999-01-01T00:00:00+00:00"},
            DRAWDOWN_SLOTS[2:],
        ),
        ({"customer_id": "C1001", "verified_by": "otp", "verified_until": "2000-01-01T00:00:00+00:00"}, DRAWDOWN_SLOTS),
        ({"customer_id": "C1001", "verified_by": "otp", "verified_until": "not a date"}, DRAWDOWN_SLOTS),
        ({"customer_id": "C1001"}, DRAWDOWN_SLOTS),
        ({"verified_by": "bank_token"}, DRAWDOWN_SLOTS),
        ({"customer_id": "C1001", "verified_by": "bank_token", "handoff_reason": "core_failure"}, []),
        # A WeChat binding identifies the customer, but a drawdown moves money: a code in the chat first.
        ({"customer_id": "C1001", "verified_by": "channel_binding"}, DRAWDOWN_SLOTS),
        (
            {"customer_id": "C1001", "verified_by": "channel_binding", "verified_until": "2999-01-01T00:00:00+00:00"},
            DRAWDOWN_SLOTS[2:],
        ),
    ],
)
async def test_required_slots_ask_verification_only_of_unverified_customers(
    slots: dict[str, Any], expected: list[str], dispatcher: CollectingDispatcher
) -> None:
    assert await FORM.required_slots(DRAWDOWN_SLOTS, dispatcher, make_tracker(slots=slots), {}) == expected


async def test_credit_line_form_asks_only_for_verification(dispatcher: CollectingDispatcher) -> None:
    form = ValidateCreditLineForm()
    slots = ["verify_mobile", "otp_code"]
    assert await form.required_slots(slots, dispatcher, make_tracker(), {}) == slots
    verified = make_tracker(slots={"customer_id": "C1001", "verified_by": "bank_token"})
    assert await form.required_slots(slots, dispatcher, verified, {}) == []
    bound = make_tracker(slots={"customer_id": "C1001", "verified_by": "channel_binding"})
    assert await form.required_slots(slots, dispatcher, bound, {}) == []  # looking up needs no code


async def test_one_time_code_flow(core: LendingCoreClient, domain: dict[str, Any]) -> None:
    sent = CollectingDispatcher()
    tracker = asking("verify_mobile")
    started = await FORM.validate_verify_mobile("我的手机是138 0000 0001", sent, tracker, domain)
    assert started["verify_mobile"] == "138****0001" and started["invalid_attempts"] == 0
    assert started["verification_id"]
    assert sent.messages == [
        {**sent.messages[0], "response": "utter_code_sent", "masked_mobile": "138****0001"},
    ]

    code = await latest_code(core, "13800000001")
    confirmed_by = CollectingDispatcher()
    tracker = with_slots(tracker, {**started, "requested_slot": "otp_code"})
    confirmed = await FORM.validate_otp_code(f"验证码{code}", confirmed_by, tracker, domain)
    assert confirmed["customer_id"] == "C1001" and confirmed["verified_by"] == "otp"
    assert confirmed["otp_code"] == "confirmed" and code not in str(confirmed)
    assert confirmed["verified_until"] and confirmed["invalid_attempts"] == 0
    assert responses(confirmed_by) == ["utter_verified"]


async def test_a_wrong_code_tells_the_attempts_remaining(core: LendingCoreClient) -> None:
    tracker = asking("verify_mobile", "en")
    started = await FORM.validate_verify_mobile("13800000001", CollectingDispatcher(), tracker, {})
    code = await latest_code(core, "13800000001")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    dispatcher = CollectingDispatcher()
    tracker = with_slots(tracker, {**started, "requested_slot": "otp_code"})
    result = await FORM.validate_otp_code(wrong, dispatcher, tracker, {})
    assert result == {"otp_code": None}
    assert responses(dispatcher) == ["utter_otp_invalid"]
    assert dispatcher.messages[0]["remaining"] == 4
    # the right code still works after a wrong one
    confirmed = await FORM.validate_otp_code(code, CollectingDispatcher(), tracker, {})
    assert confirmed["customer_id"] == "C1001"


async def test_too_many_wrong_codes_lock_the_verification(core: LendingCoreClient) -> None:
    tracker = asking("verify_mobile")
    started = await FORM.validate_verify_mobile("13800000001", CollectingDispatcher(), tracker, {})
    code = await latest_code(core, "13800000001")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    tracker = with_slots(tracker, {**started, "requested_slot": "otp_code"})
    said: list[str | None] = []
    result: dict[str, Any] = {}
    for _ in range(5):
        dispatcher = CollectingDispatcher()
        result = await FORM.validate_otp_code(wrong, dispatcher, tracker, {})
        said += responses(dispatcher)
    assert said == ["utter_otp_invalid"] * 4 + ["utter_otp_locked"]
    assert result == {"otp_code": None, "verify_mobile": None, "verification_id": None}


async def test_a_second_code_within_a_minute_is_rate_limited(core: LendingCoreClient) -> None:
    tracker = asking("verify_mobile")
    await FORM.validate_verify_mobile("13800000001", CollectingDispatcher(), tracker, {})
    dispatcher = CollectingDispatcher()
    assert await FORM.validate_verify_mobile("13800000001", dispatcher, tracker, {}) == {"verify_mobile": None}
    assert responses(dispatcher) == ["utter_otp_rate_limited"]


@pytest.mark.parametrize(("language", "value"), [("zh", "12345678901"), ("en", "12345678901")])
async def test_verify_mobile_that_is_not_a_mobile(language: str, value: str, core: LendingCoreClient) -> None:
    dispatcher = CollectingDispatcher()
    result = await FORM.validate_verify_mobile(value, dispatcher, asking("verify_mobile", language), {})
    assert result == {"verify_mobile": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["mobile_invalid"][language]]
    assert await core.dev_sms_outbox("12345678901") == []


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_otp_code_of_the_wrong_shape(language: str, dispatcher: CollectingDispatcher) -> None:
    tracker = asking("otp_code", language, verification_id="some-id")
    assert await FORM.validate_otp_code("12345", dispatcher, tracker, {}) == {"otp_code": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["otp_format"][language]]


async def test_a_code_without_a_sent_code_asks_for_the_mobile_again(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_otp_code("123456", dispatcher, asking("otp_code"), {})
    assert result == {"otp_code": None, "verify_mobile": None}
    assert dispatcher.messages == []


async def test_core_down_while_verifying(core_down: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_verify_mobile("13800000001", dispatcher, asking("verify_mobile"), {})
    assert result == {"verify_mobile": None, "handoff_reason": "core_failure"}
    assert responses(dispatcher) == ["utter_core_unavailable"]
    confirm = CollectingDispatcher()
    result = await FORM.validate_otp_code("123456", confirm, asking("otp_code", verification_id="v-1"), {})
    assert result == {"otp_code": None, "handoff_reason": "core_failure"}
    assert responses(confirm) == ["utter_core_unavailable"]
