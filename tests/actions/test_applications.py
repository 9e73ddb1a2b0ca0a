"""The loan application form: every answer checked, in the customer's language; large amounts go to a person."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.applications import ValidateApplicationStatusForm, ValidateLoanApplicationForm
from actions.texts import PROBLEMS
from lending_core.seed import DEMO_CUSTOMERS, demo_credit_code
from tests.utils.trackers import make_tracker, responses, texts

GOOD_CREDIT_CODE = demo_credit_code(DEMO_CUSTOMERS[0])
WRONG_CHECK_CHARACTER = GOOD_CREDIT_CODE[:-1] + ("0" if GOOD_CREDIT_CODE[-1] != "0" else "1")

FORM = ValidateLoanApplicationForm()


def problem(code: str, language: str, **params: str) -> str:
    return PROBLEMS[code][language].format(**params)


def asking(slot: str, language: str = "zh") -> Any:
    return make_tracker(active_loop="loan_application_form", requested_slot=slot, slots={"language": language})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("上海东方贸易有限公司", "上海东方贸易有限公司"),
        ("Acme Trading Co., Ltd.", "Acme Trading Co., Ltd"),
        ("上海東方貿易有限公司", "上海东方贸易有限公司"),
    ],
)
async def test_company_name_accepted(value: str, expected: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_company_name(value, dispatcher, asking("company_name"), {})
    assert result == {"company_name": expected, "invalid_attempts": 0}
    assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("value", ["好的", "a", "x" * 101])
async def test_company_name_refused(value: str, language: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_company_name(value, dispatcher, asking("company_name", language), {})
    assert result == {"company_name": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("company_name_invalid", language)]


async def test_credit_code_accepted_inside_a_sentence(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_credit_code(f"信用代码是 {GOOD_CREDIT_CODE}", dispatcher, asking("credit_code"), {})
    assert result == {"credit_code": GOOD_CREDIT_CODE, "invalid_attempts": 0}
    assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_credit_code_with_a_wrong_check_character(language: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_credit_code(WRONG_CHECK_CHARACTER, dispatcher, asking("credit_code", language), {})
    assert result == {"credit_code": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("credit_code_checksum", language)]


async def test_credit_code_of_the_wrong_shape(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_credit_code("12345", dispatcher, asking("credit_code"), {})
    assert result == {"credit_code": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("credit_code_format", "zh")]


@pytest.mark.parametrize(
    ("value", "expected"), [("我叫张伟", "张伟"), ("My name is Wei Zhang", "Wei Zhang"), ("李娜", "李娜")]
)
async def test_contact_name_accepted(value: str, expected: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_contact_name(value, dispatcher, asking("contact_name"), {})
    assert result == {"contact_name": expected, "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("value", ["张", "张伟123", "我叫"])
async def test_contact_name_refused(value: str, language: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_contact_name(value, dispatcher, asking("contact_name", language), {})
    assert result == {"contact_name": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("contact_name_invalid", language)]


@pytest.mark.parametrize("value", ["13812345678", "+86 138-1234-5678", "手机 138 1234 5678"])
async def test_mobile_accepted(value: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_mobile(value, dispatcher, asking("mobile"), {})
    assert result == {"mobile": "13812345678", "invalid_attempts": 0}
    assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("value", "code"), [("12345678901", "mobile_invalid"), ("1381234567", "mobile_format")])
async def test_mobile_refused(value: str, code: str, language: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_mobile(value, dispatcher, asking("mobile", language), {})
    assert result == {"mobile": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem(code, language)]


@pytest.mark.parametrize(("value", "expected"), [("50万", "500000.00"), ("300万", "3000000.00"), ("1万", "10000.00")])
async def test_loan_amount_within_the_online_limit(value: str, expected: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_loan_amount(value, dispatcher, asking("loan_amount"), {})
    assert result == {"loan_amount": expected, "invalid_attempts": 0}
    assert dispatcher.messages == []


@pytest.mark.parametrize(("language", "amount_text"), [("zh", "5,000,000.00元"), ("en", "5,000,000.00 yuan")])
async def test_loan_amount_above_the_online_limit_goes_to_the_account_manager(
    language: str, amount_text: str, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_loan_amount("500万", dispatcher, asking("loan_amount", language), {})
    assert result == {"loan_amount": "5000000.00", "invalid_attempts": 0, "handoff_reason": "amount_above_online_limit"}
    assert dispatcher.messages[0]["response"] == "utter_amount_above_online_limit"
    assert dispatcher.messages[0]["amount_text"] == amount_text


async def test_a_form_with_a_handoff_reason_asks_nothing_more(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots={"handoff_reason": "amount_above_online_limit"})
    assert await FORM.required_slots(["company_name", "confirmed"], dispatcher, tracker, {}) == []
    assert await FORM.required_slots(["company_name", "confirmed"], dispatcher, make_tracker(), {}) == [
        "company_name",
        "confirmed",
    ]


@pytest.mark.parametrize(
    ("value", "code", "language"),
    [
        ("0", "amount_zero", "zh"),
        ("0 yuan", "amount_zero", "en"),
        ("-5万", "amount_negative", "zh"),
        ("-50000", "amount_negative", "en"),
        ("很多钱", "amount_unreadable", "zh"),
        ("50万或60万", "amount_ambiguous", "zh"),
    ],
)
async def test_loan_amount_unreadable_or_not_positive(
    value: str, code: str, language: str, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_loan_amount(value, dispatcher, asking("loan_amount", language), {})
    assert result == {"loan_amount": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem(code, language)]


@pytest.mark.parametrize(
    ("value", "language", "bounds"),
    [
        ("2000万", "zh", {"min": "10,000.00元", "max": "10,000,000.00元"}),
        ("20 million", "en", {"min": "10,000.00 yuan", "max": "10,000,000.00 yuan"}),
        ("5000", "zh", {"min": "10,000.00元", "max": "10,000,000.00元"}),
    ],
)
async def test_loan_amount_out_of_range(
    value: str, language: str, bounds: dict[str, str], dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_loan_amount(value, dispatcher, asking("loan_amount", language), {})
    assert result == {"loan_amount": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("application_amount_range", language, **bounds)]
    assert "utter_amount_above_online_limit" not in responses(dispatcher)


@pytest.mark.parametrize(("value", "months"), [("一年", 12), ("6个月", 6), ("36 months", 36), ("3个月", 3)])
async def test_loan_term_accepted(value: str, months: int, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_loan_term(value, dispatcher, asking("loan_term"), {})
    assert result == {"loan_term": months, "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_loan_term_not_offered(language: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_loan_term("5个月", dispatcher, asking("loan_term", language), {})
    assert result == {"loan_term": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("term_not_offered", language, terms="3/6/12/24/36")]


async def test_loan_term_unreadable(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_loan_term("很久", dispatcher, asking("loan_term"), {})
    assert result == {"loan_term": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("term_unreadable", "zh")]


async def test_loan_purpose(dispatcher: CollectingDispatcher) -> None:
    assert await FORM.validate_loan_purpose(" 采购原材料 ", dispatcher, asking("loan_purpose"), {}) == {
        "loan_purpose": "采购原材料",
        "invalid_attempts": 0,
    }
    refused = await FORM.validate_loan_purpose("a", dispatcher, asking("loan_purpose", "en"), {})
    assert refused == {"loan_purpose": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("purpose_invalid", "en")]


async def test_credit_check_consent_given(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_credit_check_consent(True, dispatcher, asking("credit_check_consent"), {})
    assert result == {"credit_check_consent": True, "invalid_attempts": 0}
    assert dispatcher.messages == []


async def test_credit_check_consent_refused_ends_the_form_unconfirmed(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_credit_check_consent(False, dispatcher, asking("credit_check_consent"), {})
    assert result == {"credit_check_consent": False, "confirmed": False}
    assert responses(dispatcher) == ["utter_consent_required"]


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (None, False)])
async def test_confirmed(value: Any, expected: bool, dispatcher: CollectingDispatcher) -> None:
    assert await FORM.validate_confirmed(value, dispatcher, asking("confirmed"), {}) == {"confirmed": expected}


@pytest.mark.parametrize(
    ("value", "expected"), [("AP2026112901", "AP2026112901"), ("我的申请号 ap 2026112901", "AP2026112901")]
)
async def test_application_number_accepted(value: str, expected: str, dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(active_loop="application_status_form", requested_slot="application_number")
    result = await ValidateApplicationStatusForm().validate_application_number(value, dispatcher, tracker, {})
    assert result == {"application_number": expected, "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_application_number_refused(language: str, dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        active_loop="application_status_form", requested_slot="application_number", slots={"language": language}
    )
    result = await ValidateApplicationStatusForm().validate_application_number("AP123", dispatcher, tracker, {})
    assert result == {"application_number": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [problem("application_number_invalid", language)]
