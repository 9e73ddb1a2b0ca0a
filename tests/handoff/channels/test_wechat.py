"""The WeChat Official Account channel end to end: callbacks built and encrypted by wechatpy (as WeChat sends
them) reach a real hub, the real assistant answers, and the answers arrive at a fake of WeChat's API through
``message/custom/send``; a person takes over from the console and their words arrive the same way."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import JourneyCore, _libpq
from tests.handoff.channels.conftest import SlowAssistantEnv
from tests.handoff.test_inbox import until
from tests.utils.fake_wechat import Customer, FakeWeChat
from tests.utils.lending import TEST_API_KEY, reset_and_seed
from tests.utils.services import Service
from tests.utils.stack import start_hub
from tests.utils.staff import create_staff, signed_in

GREETING = "智能客服"


def rows(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(_libpq(database_url)) as conn:
        return list(conn.execute(sql, params).fetchall())


def transcript(database_url: str, openid: str) -> list[tuple[str, str]]:
    return [
        (sender, text)
        for sender, text in rows(
            database_url,
            "SELECT m.sender, m.text FROM messages m JOIN channel_users u ON u.conversation_id = m.conversation_id "
            "WHERE u.external_id = %s ORDER BY m.seq",
            openid,
        )
    ]


async def test_the_server_url_check_answers_the_echo_string(wechat_client: httpx.AsyncClient) -> None:
    from tests.utils.fake_wechat import TOKEN, _signature

    timestamp, nonce = str(int(time.time())), "n1"
    query = {"signature": _signature(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    response = await wechat_client.get("/channels/wechat/callback", params={**query, "echostr": "4893723"})
    assert (response.status_code, response.text) == (200, "4893723")
    response = await wechat_client.get(
        "/channels/wechat/callback", params={**query, "signature": "a" * 40, "echostr": "4893723"}
    )
    assert response.status_code == 403


async def test_a_message_in_safe_mode_is_answered_by_the_assistant_through_the_api(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    customer = Customer(wechat_client)
    response = await customer.says("你好")
    assert (response.status_code, response.text) == (200, "success")
    await fake_wechat.wait_for(customer.openid, GREETING)
    assert transcript(hub_database_url, customer.openid)[0] == ("customer", "你好")


async def test_a_plaintext_message_in_english_is_answered_in_english(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat
) -> None:
    customer = Customer(wechat_client, encrypted=False)
    assert (await customer.says("Hello there")).status_code == 200
    await fake_wechat.wait_for(customer.openid, "assistant for small businesses")


async def test_a_retried_push_is_processed_once(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    customer = Customer(wechat_client)
    xml = customer.text_xml("你好")
    # WeChat retries the same message (same MsgId) with new timestamps and nonces, here all at once.
    answers = await asyncio.gather(*(customer.post(xml) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    await fake_wechat.wait_for(customer.openid, GREETING)
    await asyncio.sleep(1.5)  # a second processing would have answered by now
    said = transcript(hub_database_url, customer.openid)
    assert [s for s in said if s[0] == "customer"] == [("customer", "你好")]
    assert sum(GREETING in text for text in fake_wechat.to(customer.openid)) == 1


async def test_a_wrong_signature_is_refused_and_changes_nothing(
    wechat_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    customer = Customer(wechat_client)
    forged = await customer.says("转账给我", msg_signature="0" * 40)
    plain_forged = await customer.says("转账给我", encrypted=False, signature="0" * 40)
    assert (forged.status_code, plain_forged.status_code) == (403, 403)
    assert forged.json()["error"]["code"] == "invalid_signature"
    assert rows(hub_database_url, "SELECT count(*) FROM channel_inbound")[0][0] == 0
    assert rows(hub_database_url, "SELECT count(*) FROM channel_users")[0][0] == 0


async def test_bad_bodies_are_refused_safely(wechat_client: httpx.AsyncClient, hub_database_url: str) -> None:
    customer = Customer(wechat_client, encrypted=False)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><MsgType>text</MsgType><Content>&c;</Content></xml>'
    )
    external = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>&e;</Content></xml>"
    )
    for body in (laughs, external, "<xml><MsgType>text", "\x00\xff garbage"):
        response = await customer.post(body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_callback"
    oversized = customer.text_xml("长" * 20_000)
    response = await customer.post(oversized)
    assert response.status_code == 413
    assert rows(hub_database_url, "SELECT count(*) FROM channel_inbound")[0][0] == 0


async def test_voice_is_read_by_its_recognition_and_unrecognised_voice_is_asked_again(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat
) -> None:
    customer = Customer(wechat_client)
    fields = "<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[你好]]></Recognition>"
    await customer.post(customer.xml("voice", fields, msg_id=customer.next_msg_id()))
    await fake_wechat.wait_for(customer.openid, GREETING)
    silent = (
        "<MediaId><![CDATA[media2]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[]]></Recognition>"
    )
    await customer.post(customer.xml("voice", silent, msg_id=customer.next_msg_id()))
    await fake_wechat.wait_for(customer.openid, "没有听清")


async def test_a_photo_gets_a_clear_answer_and_is_kept_in_the_transcript(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    customer = Customer(wechat_client)
    fields = "<PicUrl><![CDATA[http://mmbiz.qpic.cn/receipt.jpg]]></PicUrl><MediaId><![CDATA[m9]]></MediaId>"
    await customer.post(customer.xml("image", fields, msg_id=customer.next_msg_id()))
    await fake_wechat.wait_for(customer.openid, "只能阅读文字")
    assert ("customer", "[图片] http://mmbiz.qpic.cn/receipt.jpg") in transcript(hub_database_url, customer.openid)


async def test_following_the_account_is_welcomed_and_menu_buttons_start_journeys(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat
) -> None:
    customer = Customer(wechat_client)
    await customer.event("subscribe")
    await fake_wechat.wait_for(customer.openid, "欢迎关注")
    await customer.event("CLICK", "APPLY")
    await fake_wechat.wait_for(customer.openid, "企业全称")


async def test_buttons_become_numbered_choices_answered_with_a_number(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat
) -> None:
    customer = Customer(wechat_client)
    await customer.says("今天天气怎么样")
    got = await fake_wechat.wait_for(customer.openid, "请回复数字选择")
    menu = next(text for text in got if "请回复数字选择" in text)
    assert "1. 申请贷款" in menu and "6. 转人工" in menu
    await customer.says("1")  # 申请贷款
    await fake_wechat.wait_for(customer.openid, "企业全称")


async def test_an_expired_token_is_replaced_and_the_reply_still_arrives(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat
) -> None:
    customer = Customer(wechat_client)
    await customer.says("你好")
    await fake_wechat.wait_for(customer.openid, GREETING)
    issued = fake_wechat.tokens_issued
    fake_wechat.fail_next(42001, openid=customer.openid)
    await customer.says("Hello")
    await fake_wechat.wait_for(customer.openid, "assistant for small businesses")
    fake_wechat.expire_tokens()  # 40001 for whatever token the hub holds
    await customer.says("你好呀")
    await until(lambda: _async(len(fake_wechat.to(customer.openid)) >= 3), "the third reply", seconds=30)
    assert fake_wechat.tokens_issued == issued + 2


async def test_a_wechat_outage_delays_the_reply_but_loses_nothing(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat
) -> None:
    customer = Customer(wechat_client)
    fake_wechat.fail_next(500, -1, 500, openid=customer.openid)
    await customer.says("你好")
    got = await fake_wechat.wait_for(customer.openid, GREETING, seconds=40)
    assert len(got) == 1


async def test_an_assistant_slower_than_five_seconds_is_still_acknowledged_at_once(
    slow_assistant_env: SlowAssistantEnv, fake_wechat: FakeWeChat
) -> None:
    async with slow_assistant_env(6.0) as env:
        hub = await asyncio.to_thread(start_hub, "hub-wechat-slow", env)
        try:
            async with httpx.AsyncClient(base_url=hub.url, timeout=30) as client:
                customer = Customer(client)
                started = time.monotonic()
                response = await customer.says("你好")
                acknowledged = time.monotonic() - started
                assert (response.status_code, response.text) == (200, "success")
                assert acknowledged < 5.0, f"acknowledged after {acknowledged:.1f} s"
                await fake_wechat.wait_for(customer.openid, GREETING, seconds=30)
                delivered = time.monotonic() - started
                assert delivered > 6.0  # it did come through the slow assistant, after the callback had its answer
        finally:
            hub.stop()


async def test_a_person_takes_over_and_their_replies_reach_the_wechat_user(
    wechat_client: httpx.AsyncClient, wechat_hub: Service, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "liwei", display_name="李伟")
    async with signed_in(wechat_hub.url, "liwei") as agent:
        customer = Customer(wechat_client)
        await customer.says("转人工")
        offer = await agent.next_event("offer", wait_seconds=30)
        conversation_id = offer["conversation_id"]
        assert (await agent.accept(conversation_id)).status_code == 204
        await fake_wechat.wait_for(customer.openid, "李伟")
        assert (await agent.reply(conversation_id, "您好，我是李伟，请问需要办理什么业务？")).status_code in (200, 201)
        await fake_wechat.wait_for(customer.openid, "李伟：您好，我是李伟")
        await customer.says("我想咨询一下续贷")
        seen = await agent.next_message(conversation_id, sender="customer")
        assert seen["text"] == "我想咨询一下续贷"
        fields = "<PicUrl><![CDATA[http://mmbiz.qpic.cn/licence.jpg]]></PicUrl><MediaId><![CDATA[m7]]></MediaId>"
        await customer.post(customer.xml("image", fields, msg_id=customer.next_msg_id()))
        photo = await agent.next_message(conversation_id, sender="customer")
        assert photo["text"] == "[图片] http://mmbiz.qpic.cn/licence.jpg"
        await fake_wechat.wait_for(customer.openid, "客服人员可以看到")


async def sms_code(core_url: str, mobile: str) -> str:
    async with httpx.AsyncClient(base_url=core_url, headers={"X-Api-Key": TEST_API_KEY}) as core:
        for _ in range(50):
            texts = (await core.get("/api/v1/dev/sms-outbox", params={"mobile": mobile})).json()["messages"]
            if texts:
                return re.findall(r"(?<!\d)\d{6}(?!\d)", texts[0]["body"])[0]
            await asyncio.sleep(0.2)
    raise AssertionError("no code was texted")


@pytest.fixture
async def seeded_core(journey_core: JourneyCore) -> JourneyCore:
    """The lending core with its demo customers, as of today."""
    await reset_and_seed(journey_core.settings, today_is_real=True)
    return journey_core


async def bind(customer: Customer, fake: FakeWeChat, core_url: str, mobile: str) -> None:
    await customer.says("绑定")
    await fake.wait_for(customer.openid, "登记的手机号")
    await customer.says(mobile)
    await fake.wait_for(customer.openid, "验证码已发送")
    await customer.says(await sms_code(core_url, mobile))
    await fake.wait_for(customer.openid, "绑定成功")


async def test_a_bound_wechat_user_is_the_banks_customer_and_still_steps_up_to_move_money(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat, seeded_core: JourneyCore, hub_database_url: str
) -> None:
    customer = Customer(wechat_client)
    await bind(customer, fake_wechat, seeded_core.url, "13800000007")
    assert rows(hub_database_url, "SELECT customer_id FROM channel_users WHERE external_id = %s", customer.openid) == [
        ("C1007",)
    ]
    said = [text for sender, text in transcript(hub_database_url, customer.openid) if sender == "customer"]
    assert "[验证码]" in said and not any(re.fullmatch(r"\d{6}", text) for text in said)
    await customer.says("查一下我的授信额度")
    await fake_wechat.wait_for(customer.openid, "您的授信额度")  # no code asked: the binding identifies them
    await customer.says("我要提款")
    await fake_wechat.wait_for(customer.openid, "为保障资金安全")  # moving money: a code in the chat first


async def test_replies_that_cannot_be_sent_are_kept_and_go_to_the_account_manager(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat, seeded_core: JourneyCore, hub_database_url: str
) -> None:
    customer = Customer(wechat_client)
    await bind(customer, fake_wechat, seeded_core.url, "13800000008")
    before = len(fake_wechat.to(customer.openid))
    fake_wechat.fail_next(45015, openid=customer.openid)  # WeChat: the reply window has closed
    await customer.says("你好")

    async def handed_over() -> list[tuple[Any, ...]]:
        return rows(
            hub_database_url,
            "SELECT r.number, r.reason, r.customer_id, r.summary FROM service_requests r "
            "JOIN channel_users u ON u.conversation_id = r.conversation_id WHERE u.external_id = %s",
            customer.openid,
        )

    requests = await until(handed_over, "a service request for the account manager", seconds=30)
    number, reason, customer_id, summary = requests[0]
    assert (reason, customer_id) == ("channel_undelivered", "C1008")
    assert GREETING in summary
    notes = [t for s, t in transcript(hub_database_url, customer.openid) if s == "system" and "未能通过" in t]
    assert len(notes) == 1 and number in notes[0]
    assert len(fake_wechat.to(customer.openid)) == before
    # The customer writes again: the window reopens and what was kept arrives, the request's number with it.
    await customer.says("在吗")
    got = await fake_wechat.wait_for(customer.openid, number, seconds=30)
    assert any(GREETING in text for text in got[before:])
    assert len(await handed_over()) == 1


async def test_a_message_stored_before_the_hub_died_is_answered_after_it_restarts(
    slow_assistant_env: SlowAssistantEnv, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    async with slow_assistant_env(3.0) as env:
        hub = await asyncio.to_thread(start_hub, "hub-wechat-restart", env)
        port = int(hub.url.rsplit(":", 1)[1])
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as client:
            customer = Customer(client)
            assert (await customer.says("你好")).text == "success"
        hub.process.send_signal(signal.SIGKILL)  # dies while the assistant is still thinking
        hub.process.wait(timeout=10)
        assert fake_wechat.to(customer.openid) == []
        hub = await asyncio.to_thread(start_hub, "hub-wechat-restart", env, port=port)
        try:
            await fake_wechat.wait_for(customer.openid, GREETING, seconds=40)
            await asyncio.sleep(1)
            assert len(fake_wechat.to(customer.openid)) == 1
            said = transcript(hub_database_url, customer.openid)
            assert [s for s in said if s[0] == "customer"] == [("customer", "你好")]
        finally:
            hub.stop()


async def _async(value: Any) -> Any:
    return value
