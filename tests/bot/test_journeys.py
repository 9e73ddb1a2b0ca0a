"""The assistant's journeys end to end: hub -> real Rasa server -> real action server -> reference lending core.

Each test talks to the hub's REST API like a widget would and checks what the customer is told and what the
lending core recorded.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import JourneyCore
from tests.utils.factories import auth, create_conversation, customer_token, message_body
from tests.utils.lending import TEST_API_KEY, reset_and_seed
from textkit.masking import mask_mobile


class Chat:
    """One customer's conversation through the hub."""

    def __init__(self, client: httpx.AsyncClient, conversation: dict[str, Any]):
        self.client = client
        self.conversation = conversation

    async def say(self, text: str) -> list[dict[str, Any]]:
        response = await self.client.post(
            f"/api/v1/conversations/{self.conversation['conversation_id']}/messages",
            json=message_body(text),
            headers=auth(self.conversation),
        )
        assert response.status_code == 200, response.text
        return list(response.json()["replies"])

    async def say_text(self, text: str) -> str:
        return "\n".join(reply["text"] for reply in await self.say(text))


@pytest.fixture
async def core(journey_core: JourneyCore) -> AsyncIterator[JourneyCore]:
    await reset_and_seed(journey_core.settings, today_is_real=True)
    yield journey_core


@pytest.fixture
async def core_client(core: JourneyCore) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=core.url, headers={"X-Api-Key": TEST_API_KEY}, timeout=10) as client:
        yield client


async def new_chat(client: httpx.AsyncClient, **body: Any) -> Chat:
    return Chat(client, await create_conversation(client, **body))


async def one_time_code(core_client: httpx.AsyncClient, mobile: str) -> str:
    outbox = (await core_client.get("/api/v1/dev/sms-outbox", params={"mobile": mobile})).json()
    found = re.search(r"\d{6}", outbox["messages"][0]["body"])
    assert found, outbox
    return found.group(0)


def custom_payloads(replies: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [reply["custom"][key] for reply in replies if reply.get("custom") and key in reply["custom"]]


async def test_one_shot_application_is_submitted_after_confirmation(
    hub_client: httpx.AsyncClient, core_client: httpx.AsyncClient
) -> None:
    chat = await new_chat(hub_client)
    first = await chat.say_text("我想为东方贸易有限公司申请100万贷款，期限一年")
    assert "统一社会信用代码" in first
    await chat.say("91310000MA1FL8L47U")
    await chat.say("张伟")
    await chat.say("13812345678")
    await chat.say("用于采购原材料")
    summary = await chat.say_text("同意")
    assert "东方贸易有限公司" in summary and "1,000,000.00元" in summary and "12个月" in summary
    assert "138****5678" in summary and "13812345678" not in summary

    corrected = await chat.say_text("不对，是80万")
    assert "800,000.00元" in corrected
    done = await chat.say_text("确认")

    number = re.search(r"AP\d{10}", done)
    assert number, done
    application = (await core_client.get(f"/api/v1/applications/{number.group(0)}")).json()
    assert application["amount"] == "800000.00" and application["term_months"] == 12


async def test_drawdown_asks_for_verification_then_moves_money_once(
    hub_client: httpx.AsyncClient, core_client: httpx.AsyncClient
) -> None:
    chat = await new_chat(hub_client)
    asked = await chat.say("我要提款20万")
    assert "验证" in "\n".join(r["text"] for r in asked)
    sent = await chat.say("13800000001")
    assert "138****0001" in "\n".join(r["text"] for r in sent)
    verified = await chat.say(await one_time_code(core_client, "13800000001"))
    assert "验证成功" in verified[0]["text"] and "期限" in "\n".join(r["text"] for r in verified)
    account = await chat.say("6个月")
    summary = await chat.say_text("尾号0101")
    assert "200,000.00元" in summary and "6个月" in summary
    # Each question is stored with its journey marker, the domain response's custom payload kept with its text
    # (the amount was in the first message, so it is never asked).
    steps = [custom_payloads(replies, "journey") for replies in (asked, sent, verified, account)]
    assert steps == [
        [{"form": "drawdown_form", "step": step}]
        for step in ("verify_mobile", "otp_code", "drawdown_term", "receiving_account")
    ]
    assert verified[-1]["buttons"] and account[-1]["buttons"]  # the marker did not cost the question its buttons
    loans_before = (await core_client.get("/api/v1/customers/C1001/loans")).json()["loans"]

    done = await chat.say_text("确认")

    assert "提款成功" in done
    loans_after = (await core_client.get("/api/v1/customers/C1001/loans")).json()["loans"]
    assert len(loans_after) == len(loans_before) + 1
    new_loans = {loan["loan_number"] for loan in loans_after} - {loan["loan_number"] for loan in loans_before}
    assert [loan["principal"] for loan in loans_after if loan["loan_number"] in new_loans] == ["200000.00"]


async def test_a_bank_verified_customer_repays_in_full_in_english(
    hub_client: httpx.AsyncClient, core_client: httpx.AsyncClient
) -> None:
    chat = await new_chat(hub_client, language="en", customer_token=customer_token("C1003"))
    asked = await chat.say("I want to repay my loan")
    assert any(b["payload"].startswith("/inform") for b in asked[0]["buttons"])  # no verification: the hub did it
    assert custom_payloads(asked, "journey") == [{"form": "repayment_form", "step": "repayment_loan"}]
    amount_question = await chat.say_text("LN1003000001")
    assert "To settle loan LN1003000001 today" in amount_question
    await chat.say("all")
    summary = await chat.say_text("SA100301")
    assert "all (" in summary

    done = await chat.say_text("yes")

    assert "fully settled" in done
    loan = (await core_client.get("/api/v1/customers/C1003/loans/LN1003000001")).json()
    assert loan["outstanding_principal"] == "0.00"


async def test_an_amount_put_off_is_explained_and_asked_again_in_the_forms_order(
    hub_client: httpx.AsyncClient, core_client: httpx.AsyncClient
) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1003"))
    await chat.say("我要还款")
    await chat.say("LN1003000001")
    helped = await chat.say("这个我得先查一下账上有多少钱")
    assert "全部" in helped[0]["text"]  # what the question takes: any amount in part, or all of it
    # The same question again, not the next one of the domain's list (the form asks verification only when needed).
    assert custom_payloads(helped, "journey") == [{"form": "repayment_form", "step": "repayment_amount"}]


async def test_renewal_approved_extends_the_maturity(
    hub_client: httpx.AsyncClient, core_client: httpx.AsyncClient
) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1004"))
    before = (await core_client.get("/api/v1/customers/C1004/loans/LN1004000001")).json()
    await chat.say("贷款快到期了，想办无还本续贷")
    offer = await chat.say_text("LN1004000001")
    assert "符合无还本续贷条件" in offer
    done = await chat.say_text("确认")

    assert "续贷已批准" in done
    after = (await core_client.get("/api/v1/customers/C1004/loans/LN1004000001")).json()
    assert after["maturity_date"] > before["maturity_date"]


async def test_renewal_declined_is_explained_in_english(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1007"))
    await chat.say("can I renew my loan")
    answer = await chat.say_text("LN1007000001")
    assert "does not qualify" in answer and "already been renewed" in answer


async def test_renewal_manual_review_becomes_a_service_request(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1005"))
    await chat.say("我想续贷")
    summary = await chat.say_text("LN1005000001")
    assert "人工审核" in summary
    replies = await chat.say("确认")

    assert not assistant_payloads(replies, "handoff")  # no packet: the account manager gets a service request
    said = "\n".join(r["text"] for r in replies)
    assert "客户经理会按您方便的时间联系您" in said and "LN1005000001" in said
    assert any(b["payload"] == "/affirm" for r in replies for b in r["buttons"])  # keep the suggested summary
    windows = await chat.say("/affirm")  # a renewal review is a call: the time is asked next
    assert 1 <= len(windows[-1]["buttons"]) <= 4


async def test_credit_line_of_a_bank_verified_customer(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1001"))
    answer = await chat.say_text("我还有多少额度")
    assert "总额度 5,000,000.00元" in answer and "可用" in answer


async def test_frozen_line_refuses_a_drawdown_clearly(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1002"))
    await chat.say("我要提款5万")
    await chat.say("3个月")
    summary = await chat.say_text("SA100201")
    assert "50,000.00元" in summary
    answer = await chat.say_text("确认")
    assert "冻结" in answer


async def test_lending_core_down_nothing_half_done_and_a_person_is_brought_in(
    hub_client: httpx.AsyncClient, core: JourneyCore
) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1001"))
    core.stop()
    try:
        replies = await chat.say("我还有多少额度")
    finally:
        core.start()
    text = "\n".join(r["text"] for r in replies)
    assert "贷款系统暂时无法响应" in text
    packets = custom_payloads(replies, "handoff")
    assert packets and packets[0]["reason"] == "core_failure"


async def test_faq_answer_keeps_its_entry_id_and_version_in_the_transcript(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client)
    replies = await chat.say("提款多久到账")
    faq = custom_payloads(replies, "faq")
    assert faq and faq[0]["entry_id"].startswith("drawdown-arrival_time") and faq[0]["version"] >= 1
    listing = await hub_client.get(
        f"/api/v1/conversations/{chat.conversation['conversation_id']}/messages", headers=auth(chat.conversation)
    )
    stored = [m for m in listing.json()["messages"] if m["sender"] == "bot"]
    assert stored[0]["custom"]["faq"]["entry_id"] == faq[0]["entry_id"]


async def test_digression_and_cancel_leave_nothing_submitted(
    hub_client: httpx.AsyncClient, core_client: httpx.AsyncClient
) -> None:
    chat = await new_chat(hub_client)
    await chat.say("我要申请贷款")
    answer = await chat.say("贷款利率是多少")
    assert custom_payloads(answer, "faq")
    assert "企业全称" in answer[-1]["text"]  # the form asks its question again
    cancelled = await chat.say_text("算了，不办了")
    assert "已取消" in cancelled


async def test_fraud_report_is_handed_over_urgently_with_masked_data(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client)
    replies = await chat.say("有人冒充银行客服让我转账，我的卡号6222021234567890123可能被盗了")
    packet = custom_payloads(replies, "handoff")[0]
    assert packet["reason"] == "fraud_report" and packet["priority"] == "urgent"
    assert "6222021234567890123" not in str(packet)
    assert "验证码" in replies[0]["text"]


async def test_traditional_chinese_is_understood(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client, customer_token=customer_token("C1001"))
    answer = await chat.say_text("我要還款")
    assert "请选择要还款的借据" in answer


async def test_stuck_form_offers_a_person(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client)
    await chat.say("我要申请贷款")
    await chat.say("东方贸易有限公司")
    for _ in range(2):
        await chat.say("91310000MA1FL8L47Q")
    third = await chat.say("91310000MA1FL8L47Q")
    assert any(b["payload"] == "/request_human" for r in third for b in r["buttons"])
    replies = await chat.say("/request_human")
    assert custom_payloads(replies, "handoff")[0]["reason"] == "stuck_form"


# ---------------------------------------------------------------- service requests for the account manager
SERVICE_REQUEST_FIELDS = {
    "version",
    "kind",
    "contact_method",
    "summary",
    "contact_window",
    "contact_mobile",
    "consent",
    "language",
    "customer",
    "reason",
    "journey_stage",
    "slots",
    "annual_review_due",
}


def assistant_payloads(replies: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The assistant's own payloads (the hub's system messages may carry the same key with what it adds)."""
    return [
        reply["custom"][key] for reply in replies if reply["sender"] == "bot" and key in (reply.get("custom") or {})
    ]


def masked(request: dict[str, Any]) -> dict[str, Any]:
    """The request with its mobile masked: the transcript keeps that copy (the hub keeps the full number only in the
    request itself, docs/contracts.md), so a reply read back through the customer API may show either."""
    mobile = request["contact_mobile"]
    return {**request, "contact_mobile": mobile if "*" in mobile else mask_mobile(mobile)}


def window_of(button: dict[str, Any]) -> dict[str, str]:
    found = re.search(r'"contact_window": "([^"/]+)/([^"]+)"', button["payload"])
    assert found, button
    return {"start": found.group(1), "end": found.group(2)}


async def test_a_call_back_request_reaches_the_confirmation_with_the_request(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client)
    asked = await chat.say_text("让客户经理给我回个电话")
    assert "需要客户经理为您办理的事项" in asked
    windows = await chat.say("我们订单多了，想增加授信额度")
    buttons = windows[-1]["buttons"]
    assert 1 <= len(buttons) <= 4 and "（北京时间）" in windows[-1]["text"]
    assert "手机号码" in await chat.say_text(buttons[0]["payload"])
    consent = await chat.say_text("13812345678")
    assert "138****5678" in consent and "13812345678" not in consent
    summary = await chat.say_text("同意")
    assert "请核对服务请求" in summary and "客户经理回电" in summary and "138****5678" in summary

    replies = await chat.say("确认")

    assert "正在为您提交服务请求" in "\n".join(r["text"] for r in replies)
    request = assistant_payloads(replies, "service_request")[0]
    assert set(request) == SERVICE_REQUEST_FIELDS
    assert masked(request) == {
        "version": 1,
        "kind": "callback",
        "contact_method": "call",
        "summary": "我们订单多了，想增加授信额度",
        "contact_window": window_of(buttons[0]),
        "contact_mobile": "138****5678",
        "consent": True,
        "language": "zh",
        "customer": {"customer_id": None, "verified_by": None},
        "reason": "customer_request",
        "journey_stage": "intent:request_callback",
        "slots": {},
        "annual_review_due": None,
    }


async def test_an_amount_above_the_online_limit_becomes_a_service_request(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client)
    replies = await chat.say("我想为东方贸易有限公司申请500万贷款，期限一年")
    said = "\n".join(r["text"] for r in replies)
    assert not custom_payloads(replies, "handoff")
    assert "超过在线申请上限" in said and "我来帮您登记" in said and "申请经营贷款5,000,000.00元" in said
    method = await chat.say("/affirm")
    assert [b["title"] for b in method[-1]["buttons"]] == ["电话联系", "上门拜访"]
    windows = await chat.say(method[-1]["buttons"][1]["payload"])
    buttons = windows[-1]["buttons"]
    await chat.say(buttons[-1]["payload"])
    await chat.say("13900001234")
    summary = await chat.say_text("同意")
    assert "上门拜访" in summary and "139****1234" in summary

    replies = await chat.say("确认")

    request = assistant_payloads(replies, "service_request")[0]
    assert set(request) == SERVICE_REQUEST_FIELDS
    assert (request["kind"], request["contact_method"], request["reason"]) == (
        "financing",
        "visit",
        "amount_above_online_limit",
    )
    assert request["journey_stage"] == "loan_application_form:submit"
    assert request["summary"].startswith("申请经营贷款5,000,000.00元（超过在线申请上限），企业：东方贸易有限公司")
    assert request["slots"] == {"company_name": "东方贸易有限公司", "loan_amount": "5000000.00", "loan_term": 12}
    assert request["contact_window"] == window_of(buttons[-1])
    assert masked(request)["contact_mobile"] == "139****1234"


async def test_the_annual_review_is_booked_from_the_credit_line(
    hub_client: httpx.AsyncClient, core_client: httpx.AsyncClient
) -> None:
    line = (await core_client.get("/api/v1/customers/C1004/credit-line")).json()
    assert line["review_state"] == "due_soon"
    chat = await new_chat(hub_client, language="en", customer_token=customer_token("C1004"))
    answer = await chat.say("what's my available credit")
    reminder = answer[-1]
    assert line["review_due_date"] in reminder["text"] and "bank statements of the last 6 months" in reminder["text"]
    assert reminder["buttons"] == [{"title": "Book the review", "payload": "/book_annual_review"}]
    asked = await chat.say_text("/book_annual_review")
    assert f"Book the annual review of the credit line (due {line['review_due_date']})" in asked
    method = await chat.say("/affirm")
    windows = await chat.say(method[-1]["buttons"][0]["payload"])  # a phone call
    mobile = await chat.say_text(windows[-1]["buttons"][0]["payload"])
    assert "138****0004" in mobile and "13800000004" not in mobile
    await chat.say("/affirm")  # the registered mobile
    summary = await chat.say_text("yes")
    assert "annual review of the credit line" in summary and "138****0004" in summary

    replies = await chat.say("yes")

    request = assistant_payloads(replies, "service_request")[0]
    assert set(request) == SERVICE_REQUEST_FIELDS
    assert (request["kind"], request["reason"], request["contact_method"], request["language"]) == (
        "annual_review",
        "annual_review",
        "call",
        "en",
    )
    assert request["annual_review_due"] == line["review_due_date"]
    assert masked(request)["contact_mobile"] == "138****0004"  # the registered mobile
    assert request["customer"] == {"customer_id": "C1004", "verified_by": "bank_token"}


async def test_the_status_of_a_request_by_its_number(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client)
    asked = await chat.say_text("我之前提交的服务请求现在什么进度")
    assert "SR" in asked
    replies = await chat.say("SR2612010001")
    assert assistant_payloads(replies, "service_request_lookup") == [
        {"version": 1, "number": "SR2612010001", "customer_id": None, "language": "zh"}
    ]


async def test_a_verified_customers_requests_need_no_number(hub_client: httpx.AsyncClient) -> None:
    chat = await new_chat(hub_client, language="en", customer_token=customer_token("C1001"))
    replies = await chat.say("any update on my service request?")
    assert assistant_payloads(replies, "service_request_lookup") == [
        {"version": 1, "number": None, "customer_id": "C1001", "language": "en"}
    ]
