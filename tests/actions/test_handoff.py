"""The handoff packet: enough for an agent to help, personal numbers masked, one-time codes never included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandback, ActionHandoff, handoff_packet
from lending_core.seed import DEMO_CUSTOMERS, demo_credit_code
from tests.utils.trackers import make_tracker, responses, slot_event, user_event

CREDIT_CODE = demo_credit_code(DEMO_CUSTOMERS[0])
ACCOUNT_NUMBER = "6222021010010000101"


def application_in_progress(**more: Any) -> Any:
    events = [
        user_event("我想申请贷款", intent="apply_loan"),
        slot_event("requested_slot", "credit_code"),
        user_event(f"信用代码 {CREDIT_CODE}"),
        slot_event("requested_slot", "mobile"),
        user_event("手机 13812345678"),
        slot_event("requested_slot", "verify_mobile"),
        user_event("13800000001"),
        slot_event("requested_slot", "otp_code"),
        user_event("验证码是 482913"),
        slot_event("requested_slot", "receiving_account"),
        user_event(f"打到 {ACCOUNT_NUMBER}"),
    ]
    slots = {
        "company_name": "上海东方贸易有限公司",
        "credit_code": CREDIT_CODE,
        "mobile": "13812345678",
        "loan_amount": "5000000.00",
        "receiving_account": ACCOUNT_NUMBER,
        "repayment_account": ACCOUNT_NUMBER,
        "verify_mobile": "138****0001",
        "otp_code": "482913",
        "verification_id": "0f0e6c3e-secret",
        "customer_id": "C1001",
        "verified_by": "otp",
        **more,
    }
    return make_tracker(
        slots=slots,
        text=events[-1]["text"],
        active_loop="loan_application_form",
        requested_slot="loan_term",
        events=events,
    )


def test_packet_masks_personal_numbers_and_never_carries_a_code() -> None:
    packet = handoff_packet(application_in_progress(), "amount_above_online_limit")["handoff"]
    dumped = json.dumps(packet, ensure_ascii=False)
    for secret in ("13812345678", "13800000001", CREDIT_CODE, ACCOUNT_NUMBER, "482913", "0f0e6c3e"):
        assert secret not in dumped, secret
    assert packet["slots"]["mobile"] == "138****5678"
    assert packet["slots"]["credit_code"] == f"91{'*' * 12}{CREDIT_CODE[-4:]}"
    assert packet["slots"]["receiving_account"] == packet["slots"]["repayment_account"] == "**** **** 0101"
    assert packet["slots"]["company_name"] == "上海东方贸易有限公司"
    assert "otp_code" not in packet["slots"] and "verification_id" not in packet["slots"]
    assert len(packet["recent_messages"]) == 5


def test_packet_routes_and_describes_the_journey() -> None:
    packet = handoff_packet(application_in_progress(language="en"), "amount_above_online_limit")["handoff"]
    assert packet["reason"] == "amount_above_online_limit"
    assert (packet["skill"], packet["priority"]) == ("account_manager", "normal")
    assert packet["journey_stage"] == "loan_application_form:loan_term"
    assert packet["language"] == "en"
    assert packet["customer"] == {"customer_id": "C1001", "verified_by": "otp"}


@pytest.mark.parametrize(
    ("intent", "slots", "reason", "response"),
    [
        ("complain", {}, "complaint", "utter_handoff_complaint"),
        ("report_fraud", {}, "fraud_report", "utter_handoff_fraud"),
        ("request_human", {"invalid_attempts": 3}, "stuck_form", "utter_handoff_agent"),
        ("request_human", {"handoff_reason": "core_failure"}, "core_failure", "utter_handoff_agent"),
        ("request_human", {}, "customer_request", "utter_handoff_agent"),
    ],
)
async def test_action_handoff_picks_the_reason(
    intent: str, slots: dict[str, Any], reason: str, response: str, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots=slots, intent=intent, text="转人工", active_loop="drawdown_form")
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == [response] and response in domain["responses"]
    assert dispatcher.messages[0]["custom"]["handoff"]["reason"] == reason
    assert events[0] == ActiveLoop(None) and SlotSet("handoff_reason", None) in events


async def test_handback_resumes_a_known_form(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="agent_handback", metadata={"handback": {"resume_form": "drawdown_form"}})
    assert await ActionHandback().run(dispatcher, tracker, domain) == [FollowupAction("drawdown_form")]
    assert responses(dispatcher) == ["utter_handback_greeting"]
    unknown = make_tracker(intent="agent_handback", metadata={"handback": {"resume_form": "nonsense_form"}})
    assert await ActionHandback().run(CollectingDispatcher(), unknown, domain) == []
