"""WeCom customer service end to end: WeCom's nudge (signed and encrypted with wechatpy's enterprise crypto) makes
the hub pull the customer's messages from a fake of WeCom's API with the nudge's token, the real assistant answers
through ``kf/send_msg``, the session moves to "served by the assistant" and ends when an agent closes the chat."""

from __future__ import annotations

import asyncio
import secrets

import httpx

from tests.handoff.channels.test_wechat import GREETING, rows
from tests.handoff.test_inbox import until
from tests.utils.fake_wechat import KF_ACCOUNT, FakeWeChat, WeComServer
from tests.utils.services import Service
from tests.utils.staff import create_staff, signed_in


def new_customer() -> str:
    return "wm" + secrets.token_hex(12)


async def test_the_callback_url_check_answers_the_decrypted_echo(wechat_client: httpx.AsyncClient) -> None:
    wecom = WeComServer(wechat_client)
    response = await wecom.verify_url("1234567890123456")
    assert (response.status_code, response.text) == (200, "1234567890123456")
    assert (await wecom.verify_url("1234567890123456", signature="0" * 40)).status_code == 403


async def test_a_nudge_pulls_the_message_and_the_assistant_answers_through_the_api(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    wecom, customer = WeComServer(wechat_client), new_customer()
    pull_token = fake_wechat.kf_customer_says(KF_ACCOUNT, customer, "你好")
    response = await wecom.nudge(pull_token)
    assert (response.status_code, response.text) == (200, "success")
    await fake_wechat.wait_for(customer, GREETING)
    # WeCom lets the API answer only a session "served by the assistant": the hub moved it there.
    assert fake_wechat.kf_state(KF_ACCOUNT, customer) == [0, 1]
    assert rows(hub_database_url, "SELECT cursor FROM channel_cursors WHERE channel = 'wecom'") != []


async def test_nudges_repeated_and_pulls_repeated_process_each_message_once(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    wecom, customer = WeComServer(wechat_client), new_customer()
    pull_token = fake_wechat.kf_customer_says(KF_ACCOUNT, customer, "你好")
    await asyncio.gather(*(wecom.nudge(pull_token) for _ in range(3)))
    await fake_wechat.wait_for(customer, GREETING)
    await asyncio.sleep(1.5)
    assert sum(GREETING in text for text in fake_wechat.to(customer)) == 1
    said = rows(
        hub_database_url,
        "SELECT m.text FROM messages m JOIN channel_users u ON u.conversation_id = m.conversation_id "
        "WHERE u.external_id = %s AND m.sender = 'customer'",
        customer,
    )
    assert said == [("你好",)]


async def test_a_forged_nudge_is_refused_and_pulls_nothing(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWeChat
) -> None:
    wecom = WeComServer(wechat_client)
    syncs = fake_wechat.kf_syncs
    response = await wecom.nudge("PULL_forged", msg_signature="0" * 40)
    assert response.status_code == 403
    await asyncio.sleep(0.5)
    assert fake_wechat.kf_syncs == syncs


async def test_an_agent_takes_the_chat_and_closing_it_ends_the_wecom_session(
    wechat_client: httpx.AsyncClient, wechat_hub: Service, fake_wechat: FakeWeChat, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "zhaolei", display_name="赵磊")
    wecom, customer = WeComServer(wechat_client), new_customer()
    async with signed_in(wechat_hub.url, "zhaolei") as agent:
        await wecom.nudge(fake_wechat.kf_customer_says(KF_ACCOUNT, customer, "转人工"))
        offer = await agent.next_event("offer", wait_seconds=30)
        conversation_id = offer["conversation_id"]
        assert (await agent.accept(conversation_id)).status_code == 204
        assert (await agent.reply(conversation_id, "您好，我是赵磊。")).status_code in (200, 201)
        await fake_wechat.wait_for(customer, "赵磊：您好，我是赵磊。")
        await wecom.nudge(fake_wechat.kf_customer_says(KF_ACCOUNT, customer, "我想问续贷"))
        assert (await agent.next_message(conversation_id, sender="customer"))["text"] == "我想问续贷"
        closed = await agent.post(f"/api/console/chats/{conversation_id}/close", {"wrapup_code": "resolved"})
        assert closed.status_code == 204

        async def ended() -> bool:
            return fake_wechat.kf_state(KF_ACCOUNT, customer)[-1] == 4

        await until(ended, "the WeCom session ended", seconds=20)
