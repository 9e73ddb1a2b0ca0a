"""Service requests for the account manager: the answers checked in the customer's language, the suggested summary,
the contact windows of the working hours, consent, corrections, the payload of the contract (version 1), and the
status lookup."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import service_requests, services
from actions.applications import ActionSubmitLoanApplication
from actions.credit_line import ActionShowCreditLine
from actions.handoff import ActionHandoff
from actions.lending_client import LendingCoreClient
from actions.renewals import ActionSubmitRenewal
from actions.service_requests import (
    ActionAskContactConsent,
    ActionAskContactMobile,
    ActionAskContactWindow,
    ActionAskServiceRequestSummary,
    ActionCheckServiceRequest,
    ActionSubmitServiceRequest,
    ValidateServiceRequestForm,
    ValidateServiceRequestStatusForm,
    suggest_summary,
)
from actions.texts import PROBLEMS
from businesshours import BANK_HOURS, BusinessHours
from tests.utils.trackers import make_tracker, responses, slot_event, texts, user_event, with_slots

FORM = ValidateServiceRequestForm()
STATUS_FORM = ValidateServiceRequestStatusForm()
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_MORNING = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
MON_PM = "2026-12-07T13:30:00+08:00/2026-12-07T18:00:00+08:00"
TUE_AM = "2026-12-08T09:00:00+08:00/2026-12-08T12:00:00+08:00"
TUE_PM = "2026-12-08T13:30:00+08:00/2026-12-08T18:00:00+08:00"
WED_AM = "2026-12-09T09:00:00+08:00/2026-12-09T12:00:00+08:00"


@pytest.fixture(autouse=True)
def office_hours_on_a_monday_morning(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The bank's hours (account managers 09:00-12:00 and 13:30-18:00 on working days), Monday 10:00 in Shanghai."""
    hours = BusinessHours.from_file(BANK_HOURS)
    monkeypatch.setattr(services, "business_hours", lambda: hours)
    monkeypatch.setattr(service_requests, "current_time", lambda: MONDAY_MORNING)
    return MONDAY_MORNING


def asking(slot: str | None, language: str = "zh", text: str = "", **slots: Any) -> Any:
    return make_tracker(
        active_loop="service_request_form",
        requested_slot=slot,
        text=text,
        slots={"language": language, "service_request_kind": "callback", **slots},
    )


# ------------------------------------------------------------------------------------------ the need


def test_the_suggestion_for_an_amount_above_the_online_limit_uses_the_masked_answers() -> None:
    slots = {
        "company_name": "上海东方贸易有限公司",
        "credit_code": "91**********L47U",
        "loan_amount": "5000000.00",
        "loan_term": 12,
    }
    zh = suggest_summary(kind="financing", language="zh", slots=slots, messages=[], details={})
    assert zh == "申请经营贷款5,000,000.00元（超过在线申请上限），企业：上海东方贸易有限公司，期限：12个月"
    en = suggest_summary(kind="financing", language="en", slots=slots, messages=[], details={})
    assert (
        en
        == "Business loan of 5,000,000.00 yuan (above the online limit); company: 上海东方贸易有限公司; term: 12 months"
    )


def test_the_suggestion_for_a_renewal_and_the_annual_review() -> None:
    renewal = suggest_summary(
        kind="renewal_review",
        language="zh",
        slots={"renewal_loan": "LN1005000001"},
        messages=[],
        details={"renewal_number": "RN2612010001", "reasons": ["minor_overdue_history"]},
    )
    assert (
        renewal == "借据LN1005000001申请无还本续贷，需客户经理人工审核（续贷编号RN2612010001）：近12个月有短期逾期记录"
    )
    review = suggest_summary(
        kind="annual_review", language="en", slots={}, messages=[], details={"annual_review_due": "2026-12-20"}
    )
    assert review == "Book the annual review of the credit line (due 2026-12-20)"


def test_the_suggestion_for_a_call_back_after_a_handoff_no_agent_could_take() -> None:
    events = [
        user_event("你好", intent="greet"),
        user_event("我的提款申请卡住了，手机13812345678一直收不到验证码", intent="nlu_fallback"),
        user_event("转人工", intent="request_human"),
        {
            "event": "bot",
            "text": "正在为您转接",
            "data": {
                "custom": {
                    "handoff": {
                        "reason": "customer_request",
                        "skill": "general",
                        "journey_stage": "intent:request_human",
                    }
                }
            },
        },
        user_event("/request_callback", intent="request_callback"),
    ]
    tracker = make_tracker(text="/request_callback", intent="request_callback", events=events)
    assert service_requests.previous_packet(tracker) == events[3]["data"]["custom"]["handoff"]
    context = service_requests.build_context(
        tracker,
        kind="callback",
        reason="after_hours",
        stage="intent:request_human",
        details={"handoff_reason": "customer_request"},
    )
    assert context["suggestion"] == "希望人工客服协助：我的提款申请卡住了，手机138****5678一直收不到验证码"
    assert "13812345678" not in json.dumps(context, ensure_ascii=False)


def test_no_suggestion_when_nothing_is_known() -> None:
    assert suggest_summary(kind="callback", language="zh", slots={}, messages=[], details={}) is None


async def test_the_summary_question_offers_the_suggestion_to_keep(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = asking("service_request_summary", service_request_context={"suggestion": "预约额度年审"})
    await ActionAskServiceRequestSummary().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_ask_service_request_summary_suggested"]
    assert dispatcher.messages[0]["suggestion"] == "预约额度年审"
    buttons = domain["responses"]["utter_ask_service_request_summary_suggested"][1]["buttons"]
    assert buttons == [{"title": "就按这个", "payload": "/affirm"}]
    plain = CollectingDispatcher()
    await ActionAskServiceRequestSummary().run(plain, asking("service_request_summary"), domain)
    assert responses(plain) == ["utter_ask_service_request_summary"]


async def test_keeping_the_suggestion(dispatcher: CollectingDispatcher) -> None:
    tracker = asking("service_request_summary", service_request_context={"suggestion": "预约额度年审"})
    result = await FORM.validate_service_request_summary("suggested", dispatcher, tracker, {})
    assert result == {"service_request_summary": "预约额度年审", "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_keeping_a_suggestion_that_does_not_exist(language: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_service_request_summary(
        "suggested", dispatcher, asking("service_request_summary", language), {}
    )
    assert result == {"service_request_summary": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["summary_needed"][language]]


async def test_a_typed_summary_replaces_it_masked(dispatcher: CollectingDispatcher) -> None:
    tracker = asking("service_request_summary", service_request_context={"suggestion": "预约额度年审"})
    result = await FORM.validate_service_request_summary(
        " 想把额度提高到500万，电话13812345678 ", dispatcher, tracker, {}
    )
    assert result == {"service_request_summary": "想把额度提高到500万，电话138****5678", "invalid_attempts": 0}


@pytest.mark.parametrize(("language", "text"), [("zh", "好"), ("en", "x" * 301)])
async def test_a_summary_too_short_or_too_long(language: str, text: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_service_request_summary(
        text, dispatcher, asking("service_request_summary", language), {}
    )
    assert result == {"service_request_summary": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["summary_length"][language].format(min=2, max=300)]


# ------------------------------------------------------------------------------------------ call or visit


@pytest.mark.parametrize(
    ("answer", "method"),
    [
        ("visit", "visit"),
        ("call", "call"),
        ("上门吧，来我们公司谈", "visit"),
        ("打电话吧", "call"),
        ("a phone call is fine", "call"),
    ],
)
async def test_call_or_visit(answer: str, method: str, dispatcher: CollectingDispatcher) -> None:
    tracker = asking("contact_method", service_request_kind="annual_review")
    result = await FORM.validate_contact_method(answer, dispatcher, tracker, {})
    assert result == {"contact_method": method, "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_neither_call_nor_visit(language: str, dispatcher: CollectingDispatcher) -> None:
    tracker = asking("contact_method", language, service_request_kind="financing")
    result = await FORM.validate_contact_method("随便", dispatcher, tracker, {})
    assert result == {"contact_method": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["contact_method_invalid"][language]]


@pytest.mark.parametrize(
    ("intent", "kind", "method"),
    [("request_callback", "callback", "call"), ("book_annual_review", "annual_review", None)],
)
async def test_the_kind_comes_from_the_way_in_and_a_call_back_is_a_call(
    intent: str, kind: str, method: str | None, domain: dict[str, Any]
) -> None:
    events = [user_event("帮我安排一下", intent=intent)]
    tracker = make_tracker(
        text="帮我安排一下", intent=intent, active_loop="service_request_form", requested_slot=None, events=events
    )
    result = await FORM.run(CollectingDispatcher(), tracker, domain)
    assert SlotSet("service_request_kind", kind) in result
    assert (SlotSet("contact_method", "call") in result) == (method == "call")
    context = next(e["value"] for e in result if e.get("name") == "service_request_context")
    assert context["reason"] == ("annual_review" if kind == "annual_review" else "customer_request")
    assert context["journey_stage"] == f"intent:{intent}"


async def test_a_call_back_after_hours_names_the_reason(
    monkeypatch: pytest.MonkeyPatch, domain: dict[str, Any]
) -> None:
    monkeypatch.setattr(service_requests, "current_time", lambda: dt.datetime(2026, 12, 5, 22, 0, tzinfo=SHANGHAI))
    packet = {"reason": "customer_request", "skill": "general", "journey_stage": "drawdown_form:drawdown_term"}
    events = [
        user_event("转人工", intent="request_human"),
        {"event": "bot", "text": "…", "data": {"custom": {"handoff": packet}}},
        user_event("/request_callback", intent="request_callback"),
    ]
    tracker = make_tracker(
        text="/request_callback", intent="request_callback", active_loop="service_request_form", events=events
    )
    result = await FORM.run(CollectingDispatcher(), tracker, domain)
    context = next(e["value"] for e in result if e.get("name") == "service_request_context")
    assert context["reason"] == "after_hours" and context["journey_stage"] == "drawdown_form:drawdown_term"


@pytest.mark.parametrize(
    ("offered_because", "reason"), [("after_hours", "after_hours"), ("no_agent", "customer_request")]
)
async def test_the_hubs_reason_for_its_button_beats_this_servers_clock(
    offered_because: str, reason: str, monkeypatch: pytest.MonkeyPatch, domain: dict[str, Any]
) -> None:
    # 10:00 on a Monday here: the agents are on duty by this server's clock, but the hub (its own clock, a demo of
    # the night) said why it offered the call back.
    monkeypatch.setattr(service_requests, "current_time", lambda: dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI))
    packet = {"reason": "customer_request", "skill": "general", "journey_stage": "intent:request_human"}
    metadata = {"callback_offer": {"reason": offered_because}}
    events = [
        user_event("转人工", intent="request_human"),
        {"event": "bot", "text": "…", "data": {"custom": {"handoff": packet}}},
        user_event("/request_callback", intent="request_callback", metadata=metadata),
    ]
    tracker = make_tracker(
        text="/request_callback",
        intent="request_callback",
        metadata=metadata,
        active_loop="service_request_form",
        events=events,
    )
    result = await FORM.run(CollectingDispatcher(), tracker, domain)
    context = next(e["value"] for e in result if e.get("name") == "service_request_context")
    assert context["reason"] == reason


async def test_a_time_in_the_request_itself_is_kept(domain: dict[str, Any]) -> None:
    text = "请客户经理明天上午给我打个电话"
    tracker = make_tracker(
        text=text,
        intent="request_callback",
        active_loop="service_request_form",
        events=[user_event(text, intent="request_callback")],
    )
    result = await FORM.run(CollectingDispatcher(), tracker, domain)
    assert SlotSet("contact_window", TUE_AM) in result


# ------------------------------------------------------------------------------------------ the window


async def test_the_window_question_offers_four_windows_as_buttons(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionAskContactWindow().run(dispatcher, asking("contact_window"), domain)
    assert responses(dispatcher) == ["utter_ask_contact_window"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [
        "12月7日（周一）下午 13:30-18:00",
        "12月8日（周二）上午 09:00-12:00",
        "12月8日（周二）下午 13:30-18:00",
        "12月9日（周三）上午 09:00-12:00",
    ]
    assert buttons[1]["payload"] == f'/inform{{"contact_window": "{TUE_AM}"}}'
    assert events == [SlotSet("contact_window_options", [MON_PM, TUE_AM, TUE_PM, WED_AM])]


async def test_the_window_question_in_english_for_a_visit(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskContactWindow().run(dispatcher, asking("contact_window", "en", contact_method="visit"), domain)
    assert responses(dispatcher) == ["utter_ask_contact_window_visit"]
    assert dispatcher.messages[0]["buttons"][0]["title"] == "Mon 7 Dec, afternoon 13:30-18:00"


@pytest.mark.parametrize(
    ("answer", "window"),
    [(TUE_PM, TUE_PM), ("明天上午", TUE_AM), ("2", TUE_AM), ("tomorrow afternoon", TUE_PM), ("下午", MON_PM)],
)
async def test_a_window_by_button_number_or_words(answer: str, window: str, dispatcher: CollectingDispatcher) -> None:
    tracker = asking("contact_window", contact_window_options=[MON_PM, TUE_AM, TUE_PM, WED_AM])
    result = await FORM.validate_contact_window(answer, dispatcher, tracker, {})
    assert result == {"contact_window": window, "invalid_attempts": 0}


@pytest.mark.parametrize(("language", "answer"), [("zh", "明天"), ("zh", "晚上八点"), ("en", "whenever")])
async def test_anything_else_gets_the_choices_again(
    language: str, answer: str, dispatcher: CollectingDispatcher
) -> None:
    tracker = asking("contact_window", language, contact_window_options=[MON_PM, TUE_AM, TUE_PM, WED_AM])
    result = await FORM.validate_contact_window(answer, dispatcher, tracker, {})
    assert result == {"contact_window": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["contact_window_invalid"][language]]


async def test_a_window_outside_the_working_hours_is_refused(dispatcher: CollectingDispatcher) -> None:
    night = "2026-12-07T20:00:00+08:00/2026-12-07T22:00:00+08:00"
    result = await FORM.validate_contact_window(night, dispatcher, asking("contact_window"), {})
    assert result == {"contact_window": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["contact_window_unavailable"]["zh"]]


async def test_a_button_of_a_window_already_begun_is_refused(
    monkeypatch: pytest.MonkeyPatch, dispatcher: CollectingDispatcher
) -> None:
    monkeypatch.setattr(service_requests, "current_time", lambda: MONDAY_MORNING + dt.timedelta(hours=4))
    tracker = asking("contact_window", contact_window_options=[MON_PM, TUE_AM, TUE_PM, WED_AM])
    result = await FORM.validate_contact_window(MON_PM, dispatcher, tracker, {})
    assert result == {"contact_window": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["contact_window_unavailable"]["zh"]]


# ------------------------------------------------------------------------------------------ the mobile


async def test_a_verified_customer_is_offered_the_registered_mobile_masked(
    core: LendingCoreClient, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskContactMobile().run(dispatcher, asking("contact_mobile", customer_id="C1001"), domain)
    assert responses(dispatcher) == ["utter_ask_contact_mobile_registered"]
    assert dispatcher.messages[0]["masked_mobile"] == "138****0001"
    assert domain["responses"]["utter_ask_contact_mobile_registered"][1]["buttons"][0]["payload"] == "/affirm"
    result = await FORM.validate_contact_mobile(
        "registered", CollectingDispatcher(), asking("contact_mobile", customer_id="C1001"), {}
    )
    assert result == {"contact_mobile": "13800000001", "invalid_attempts": 0}


async def test_an_unverified_customer_types_a_mobile(domain: dict[str, Any], dispatcher: CollectingDispatcher) -> None:
    await ActionAskContactMobile().run(dispatcher, asking("contact_mobile"), domain)
    assert responses(dispatcher) == ["utter_ask_contact_mobile"]
    result = await FORM.validate_contact_mobile(
        "+86 139-0000-1234", CollectingDispatcher(), asking("contact_mobile"), {}
    )
    assert result == {"contact_mobile": "13900001234", "invalid_attempts": 0}


@pytest.mark.parametrize(
    ("language", "answer", "problem"),
    [
        ("zh", "12345", "mobile_format"),
        ("en", "12345678901", "mobile_invalid"),
        ("zh", "registered", "contact_mobile_needed"),
    ],
)
async def test_a_mobile_that_is_not_one(
    language: str, answer: str, problem: str, dispatcher: CollectingDispatcher
) -> None:
    result = await FORM.validate_contact_mobile(answer, dispatcher, asking("contact_mobile", language), {})
    assert result == {"contact_mobile": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS[problem][language]]


async def test_another_number_is_asked_for(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_contact_mobile(
        "other", dispatcher, asking("contact_mobile", "en", customer_id="C1001"), {}
    )
    assert result == {"contact_mobile": None}
    assert texts(dispatcher) == [PROBLEMS["contact_mobile_needed"]["en"]]


async def test_the_registered_mobile_when_the_core_is_down(core_down: str, dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_contact_mobile(
        "registered", dispatcher, asking("contact_mobile", customer_id="C1001"), {}
    )
    assert result == {"contact_mobile": None}
    assert responses(dispatcher) == ["utter_registered_mobile_unavailable"]


# ------------------------------------------------------------------------------------------ consent and confirmation


async def test_consent_asks_with_the_window_and_the_masked_mobile(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = asking("contact_consent", contact_window=TUE_AM, contact_mobile="13812345678")
    await ActionAskContactConsent().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["window_text"] == "12月8日（周二）上午 09:00-12:00"
    assert dispatcher.messages[0]["mobile_masked"] == "138****5678"


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_consent_refused_ends_the_form_and_nothing_is_sent(language: str, domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    result = await FORM.validate_contact_consent(False, dispatcher, asking("contact_consent", language), domain)
    assert result == {"contact_consent": False, "confirmed": False}
    assert responses(dispatcher) == ["utter_contact_consent_refused"]
    submit = CollectingDispatcher()
    tracker = with_slots(asking(None, language, contact_mobile="13812345678"), result)
    events = await ActionSubmitServiceRequest().run(submit, tracker, domain)
    assert submit.messages == []  # the refusal was answered already; no payload leaves
    assert SlotSet("contact_mobile", None) in events and SlotSet("service_request_context", None) in events


async def test_consent_given(dispatcher: CollectingDispatcher) -> None:
    result = await FORM.validate_contact_consent(True, dispatcher, asking("contact_consent"), {})
    assert result == {"contact_consent": True, "invalid_attempts": 0}


async def test_declined_at_the_confirmation_nothing_is_sent(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = asking(None, contact_consent=True, confirmed=False)
    await ActionSubmitServiceRequest().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_not_submitted"] and not dispatcher.messages[0]["custom"]


@pytest.mark.parametrize(
    ("text", "intent", "before", "expected"),
    [("不对，换成下午", "deny", TUE_AM, TUE_PM), ("change it to tomorrow morning", "inform", MON_PM, TUE_AM)],
)
async def test_a_correction_at_the_confirmation_shows_the_summary_again(
    text: str, intent: str, before: str, expected: str, domain: dict[str, Any]
) -> None:
    events = [
        slot_event("contact_window", before),
        user_event(text, intent=intent),
        *([slot_event("confirmed", False)] if intent == "deny" else []),
    ]
    tracker = make_tracker(
        text=text,
        intent=intent,
        active_loop="service_request_form",
        requested_slot="confirmed",
        events=events,
        slots={
            "service_request_kind": "callback",
            "service_request_summary": "回电",
            "contact_method": "call",
            "contact_window": before,
            "contact_window_options": [MON_PM, TUE_AM, TUE_PM, WED_AM],
            "contact_mobile": "13812345678",
            "contact_consent": True,
            "confirmed": False if intent == "deny" else None,
        },
    )
    result = await FORM.run(CollectingDispatcher(), tracker, domain)
    assert SlotSet("contact_window", expected) in result
    # not submitted, not declined: the form asks for the confirmation again, with the new summary
    assert SlotSet("confirmed", True) not in result and SlotSet("confirmed", False) not in result


async def test_a_correction_to_a_time_not_offered_keeps_the_window(domain: dict[str, Any]) -> None:
    events = [slot_event("contact_window", TUE_AM), user_event("改到周六上午", intent="inform")]
    tracker = make_tracker(
        text="改到周六上午",
        intent="inform",
        active_loop="service_request_form",
        requested_slot="confirmed",
        events=events,
        slots={
            "service_request_kind": "callback",
            "contact_window": TUE_AM,
            "contact_window_options": [MON_PM, TUE_AM, TUE_PM, WED_AM],
        },
    )
    dispatcher = CollectingDispatcher()
    result = await FORM.run(dispatcher, tracker, domain)
    assert SlotSet("contact_window", TUE_AM) in result
    assert texts(dispatcher) == [PROBLEMS["contact_window_not_offered"]["zh"]]


async def test_changing_to_a_visit_at_the_confirmation(domain: dict[str, Any]) -> None:
    events = [user_event("还是上门拜访吧", intent="inform")]
    tracker = make_tracker(
        text="还是上门拜访吧",
        intent="inform",
        active_loop="service_request_form",
        requested_slot="confirmed",
        events=events,
        slots={"service_request_kind": "financing", "contact_method": "call", "contact_window": TUE_AM},
    )
    result = await FORM.run(CollectingDispatcher(), tracker, domain)
    assert SlotSet("contact_method", "visit") in result


async def test_the_summary_masks_the_mobile(domain: dict[str, Any]) -> None:
    from actions.confirmation import ActionAskConfirmed

    dispatcher = CollectingDispatcher()
    tracker = asking(
        "confirmed",
        "en",
        service_request_kind="annual_review",
        service_request_summary="Book the annual review",
        contact_method="visit",
        contact_window=TUE_AM,
        contact_mobile="13812345678",
    )
    await ActionAskConfirmed().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_service_request_summary"
    assert (message["kind_text"], message["method_text"], message["mobile_masked"]) == (
        "annual review of the credit line",
        "visit",
        "138****5678",
    )
    assert message["window_text"] == "Tue 8 Dec, morning 09:00-12:00"
    assert "13812345678" not in json.dumps(dispatcher.messages)


# ------------------------------------------------------------------------------------------ the payload


async def test_the_confirmed_request_carries_the_payload_of_the_contract(domain: dict[str, Any]) -> None:
    context = {
        "reason": "amount_above_online_limit",
        "journey_stage": "loan_application_form:submit",
        "slots": {"company_name": "上海东方贸易有限公司", "loan_amount": "5000000.00", "mobile": "138****5678"},
        "suggestion": "申请经营贷款5,000,000.00元（超过在线申请上限）",
        "annual_review_due": None,
    }
    tracker = asking(
        None,
        service_request_kind="financing",
        service_request_summary="申请经营贷款5,000,000.00元（超过在线申请上限）",
        contact_method="visit",
        contact_window=TUE_AM,
        contact_mobile="13812345678",
        contact_consent=True,
        confirmed=True,
        service_request_context=context,
        customer_id="C1001",
        verified_by="otp",
        company_name="上海东方贸易有限公司",
    )
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitServiceRequest().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_service_request_submitting"]
    assert dispatcher.messages[0]["custom"] == {
        "service_request": {
            "version": 1,
            "kind": "financing",
            "contact_method": "visit",
            "summary": "申请经营贷款5,000,000.00元（超过在线申请上限）",
            "contact_window": {"start": "2026-12-08T09:00:00+08:00", "end": "2026-12-08T12:00:00+08:00"},
            "contact_mobile": "13812345678",
            "consent": True,
            "language": "zh",
            "customer": {"customer_id": "C1001", "verified_by": "otp"},
            "reason": "amount_above_online_limit",
            "journey_stage": "loan_application_form:submit",
            "slots": {"company_name": "上海东方贸易有限公司", "loan_amount": "5000000.00", "mobile": "138****5678"},
            "annual_review_due": None,
        }
    }
    # every form's answers are forgotten (the request carries them now); who the customer is stays
    for slot in ("service_request_kind", "contact_window", "contact_mobile", "confirmed", "company_name"):
        assert SlotSet(slot, None) in events
    assert not any(e.get("name") in ("customer_id", "verified_by") for e in events)


async def test_the_annual_review_payload_carries_its_date(domain: dict[str, Any]) -> None:
    tracker = asking(
        None,
        "en",
        service_request_kind="annual_review",
        service_request_summary="Book the annual review of the credit line (due 2026-12-20)",
        contact_method="call",
        contact_window=WED_AM,
        contact_mobile="13800000004",
        contact_consent=True,
        confirmed=True,
        service_request_context={
            "reason": "annual_review",
            "journey_stage": "intent:book_annual_review",
            "slots": {},
            "annual_review_due": "2026-12-20",
        },
        customer_id="C1004",
        verified_by="bank_token",
    )
    dispatcher = CollectingDispatcher()
    await ActionSubmitServiceRequest().run(dispatcher, tracker, domain)
    payload = dispatcher.messages[0]["custom"]["service_request"]
    assert (payload["kind"], payload["reason"], payload["annual_review_due"], payload["language"]) == (
        "annual_review",
        "annual_review",
        "2026-12-20",
        "en",
    )
    assert payload["customer"] == {"customer_id": "C1004", "verified_by": "bank_token"}


# ------------------------------------------------------------------------------------------ ways in


async def test_an_amount_above_the_online_limit_starts_the_form_instead_of_a_packet(domain: dict[str, Any]) -> None:
    events = [
        user_event("我想申请500万贷款", intent="apply_loan"),
        {"event": "action", "name": "loan_application_form"},
        {"event": "active_loop", "name": "loan_application_form"},
        {"event": "action", "name": "loan_application_form"},
        {"event": "active_loop", "name": None},
    ]
    tracker = make_tracker(
        text="我想申请500万贷款",
        intent="apply_loan",
        events=events,
        slots={
            "handoff_reason": "amount_above_online_limit",
            "company_name": "上海东方贸易有限公司",
            "loan_amount": "5000000.00",
            "mobile": "13812345678",
        },
    )
    dispatcher = CollectingDispatcher()
    result = await ActionSubmitLoanApplication().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_account_manager"]
    assert not dispatcher.messages[0]["custom"]  # no handoff packet
    assert result[0] == ActiveLoop("service_request_form")
    assert SlotSet("service_request_kind", "financing") in result
    context = next(e["value"] for e in result if e.get("name") == "service_request_context")
    assert context["reason"] == "amount_above_online_limit"
    assert context["journey_stage"] == "loan_application_form:submit"
    assert context["slots"]["mobile"] == "138****5678" and context["slots"]["loan_amount"] == "5000000.00"
    assert context["suggestion"].startswith(
        "申请经营贷款5,000,000.00元（超过在线申请上限），企业：上海东方贸易有限公司"
    )
    text = domain["responses"]["utter_handoff_account_manager"][1]["text"]
    assert text == "这项业务需要客户经理为您办理，我来帮您登记，客户经理会按您方便的时间联系您。"


async def test_a_person_asked_for_with_an_account_manager_reason_pending(domain: dict[str, Any]) -> None:
    tracker = make_tracker(
        slots={"handoff_reason": "amount_above_online_limit"},
        intent="request_human",
        text="转人工",
        active_loop="drawdown_form",
    )
    dispatcher = CollectingDispatcher()
    result = await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_account_manager"] and not dispatcher.messages[0]["custom"]
    assert result[0] == ActiveLoop("service_request_form") and SlotSet("service_request_kind", "financing") in result


async def test_a_renewal_in_manual_review_starts_the_form(core: LendingCoreClient, domain: dict[str, Any]) -> None:
    tracker = make_tracker(
        slots={
            "customer_id": "C1005",
            "verified_by": "bank_token",
            "renewal_loan": "LN1005000001",
            "renewal_decision": "manual_review",
            "confirmed": True,
        },
        text="确认",
        intent="affirm",
    )
    dispatcher = CollectingDispatcher()
    result = await ActionSubmitRenewal().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_renewal_manual_review", "utter_handoff_account_manager"]
    # no handoff packet: the hub does not queue it for an agent (the review's reply carries only its journey marker)
    assert not any((message["custom"] or {}).get("handoff") for message in dispatcher.messages)
    assert dispatcher.messages[0]["custom"] == {"journey": {"form": "renewal_form", "step": "confirmed"}}
    assert ActiveLoop("service_request_form") in result
    # the service request starts after the renewal's answers are forgotten
    assert result.index(ActiveLoop("service_request_form")) > result.index(SlotSet("renewal_loan", None))
    assert SlotSet("service_request_kind", "renewal_review") in result and SlotSet("contact_method", "call") in result
    context = next(e["value"] for e in result if e.get("name") == "service_request_context")
    assert context["reason"] == "renewal_manual_review"
    assert context["slots"]["renewal_loan"] == "LN1005000001"
    renewal_number = dispatcher.messages[0]["renewal_number"]
    assert (
        context["suggestion"]
        == f"借据LN1005000001申请无还本续贷，需客户经理人工审核（续贷编号{renewal_number}）：近12个月有短期逾期记录"
    )


@pytest.mark.parametrize(
    ("customer_id", "response", "due"),
    [
        ("C1004", "utter_annual_review_due_soon", True),
        ("C1006", "utter_annual_review_overdue", True),
        ("C1001", None, False),
    ],
)
async def test_the_credit_line_offers_to_book_a_review_due_soon_or_overdue(
    customer_id: str, response: str | None, due: bool, core: LendingCoreClient, domain: dict[str, Any]
) -> None:
    line = await core.get_credit_line(customer_id)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"customer_id": customer_id, "verified_by": "bank_token"})
    events = await ActionShowCreditLine().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_credit_line", *([response] if response else [])]
    assert (SlotSet("annual_review_due", line.review_due_date.isoformat()) in events) == due
    if response:
        assert dispatcher.messages[1]["review_due_date"] == line.review_due_date.isoformat()
        for variation in domain["responses"][response]:
            assert variation["buttons"][0]["payload"] == "/book_annual_review"
            for needed in (
                ("营业执照", "财务报表", "纳税", "6个月")
                if "condition" not in variation
                else ("business licence", "financial statements", "tax", "6 months")
            ):
                assert needed in variation["text"]


# ------------------------------------------------------------------------------------------ the status


async def test_a_verified_customer_needs_no_number(dispatcher: CollectingDispatcher) -> None:
    verified = make_tracker(
        slots={"customer_id": "C1001", "verified_by": "bank_token"}, active_loop="service_request_status_form"
    )
    assert await STATUS_FORM.required_slots(["service_request_number"], dispatcher, verified, {}) == []
    anyone = make_tracker(active_loop="service_request_status_form")
    assert await STATUS_FORM.required_slots(["service_request_number"], dispatcher, anyone, {}) == [
        "service_request_number"
    ]


@pytest.mark.parametrize(
    ("answer", "number"), [("SR2612010001", "SR2612010001"), ("我的单号是 sr 2612010001", "SR2612010001")]
)
async def test_the_number(answer: str, number: str, dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(active_loop="service_request_status_form", requested_slot="service_request_number")
    result = await STATUS_FORM.validate_service_request_number(answer, dispatcher, tracker, {})
    assert result == {"service_request_number": number, "invalid_attempts": 0}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_not_a_number(language: str, dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        active_loop="service_request_status_form", requested_slot="service_request_number", slots={"language": language}
    )
    result = await STATUS_FORM.validate_service_request_number("AP2026112901", dispatcher, tracker, {})
    assert result == {"service_request_number": None, "invalid_attempts": 1}
    assert texts(dispatcher) == [PROBLEMS["service_request_number_invalid"][language]]


@pytest.mark.parametrize(
    ("slots", "lookup"),
    [
        (
            {"customer_id": "C1001", "verified_by": "bank_token"},
            {"version": 1, "number": None, "customer_id": "C1001", "language": "zh"},
        ),
        (
            {"service_request_number": "SR2612010001", "language": "en"},
            {"version": 1, "number": "SR2612010001", "customer_id": None, "language": "en"},
        ),
        (
            # a one-time code that has expired: the number is looked up, the customer is not vouched for
            {
                "service_request_number": "sr2612010001",
                "customer_id": "C1001",
                "verified_by": "otp",
                "verified_until": "2020-01-01T00:00:00+00:00",
            },
            {"version": 1, "number": "SR2612010001", "customer_id": None, "language": "zh"},
        ),
    ],
)
async def test_the_status_lookup_payload(slots: dict[str, Any], lookup: dict[str, Any], domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCheckServiceRequest().run(dispatcher, make_tracker(slots=slots), domain)
    assert responses(dispatcher) == ["utter_checking_service_request"]
    assert dispatcher.messages[0]["custom"] == {"service_request_lookup": lookup}
    assert SlotSet("service_request_number", None) in events and SlotSet("requested_slot", None) in events


async def test_the_status_asked_inside_another_form_without_a_number(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        active_loop="loan_application_form", requested_slot="loan_purpose", intent="check_service_request"
    )
    events = await ActionCheckServiceRequest().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_service_request_number_needed"]
    assert events == [SlotSet("service_request_number", None)]  # the application's question stays


def test_every_new_response_exists_in_both_languages(domain: dict[str, Any]) -> None:
    for name, variations in domain["responses"].items():
        if "service_request" in name or "contact" in name or "annual_review" in name:
            conditions = [v.get("condition") for v in variations]
            assert conditions == [[{"type": "slot", "name": "language", "value": "en"}], None], name
    assert "utter_service_request_unavailable" not in domain["responses"]
