"""Handoff to live agents end to end: the real Rasa server produces the packet, the hub queues it, a console
(over the real console API and websocket) takes the chat; customers on the real customer API and websocket."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
import websockets
from websockets.typing import Origin

from tests.conftest import _libpq
from tests.handoff.test_websocket import next_event, ws_url
from tests.utils.customers import Customer, new_customer
from tests.utils.factories import auth
from tests.utils.services import Service
from tests.utils.staff import ConsoleClient, create_staff, signed_in

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
async def agents(hub_database_url: str, clean_hub_state: None) -> dict[str, str]:
    """Two agents and a supervisor (ids by username)."""
    return {
        "li": await create_staff(hub_database_url, "lina", skills=("general", "lending"), display_name="李娜"),
        "wang": await create_staff(hub_database_url, "wang", skills=("general", "complaints"), display_name="Wang"),
        "chen": await create_staff(
            hub_database_url, "chen", role="supervisor", skills=("general",), display_name="陈静"
        ),
    }


@pytest.fixture
async def li(hub: Service, agents: dict[str, str]) -> AsyncIterator[ConsoleClient]:
    async with signed_in(hub.url, "lina") as console:
        yield console


async def take(console: ConsoleClient, customer: Customer) -> None:
    """The agent gets the offer for this customer and accepts it."""
    await console.next_event("offer", conversation_id=customer.id)
    response = await console.accept(customer.id)
    assert response.status_code == 204, response.text
    await console.next_event("chat_assigned", conversation_id=customer.id)


async def with_an_agent(console: ConsoleClient, client: httpx.AsyncClient, text: str = "转人工") -> Customer:
    """A new customer who asks for a person, and the console that takes the chat."""
    customer = await new_customer(client, language="en" if text.isascii() else "zh")
    await customer.say(text)
    await take(console, customer)
    return customer


# ---- the hub acts on the packet -----------------------------------------------------------------------------


async def test_request_in_chinese_reaches_an_agent_who_replies(
    hub: Service, hub_client: httpx.AsyncClient, li: ConsoleClient
) -> None:
    customer = await new_customer(hub_client, language="zh")

    reply = await customer.say("转人工")

    assert reply["mode"] == "queued"
    assert reply["queue"] == {"position": 1, "eta_seconds": 0}
    senders = [r["sender"] for r in reply["replies"]]
    assert senders == ["bot", "system"]
    assert reply["replies"][0]["custom"]["handoff"]["reason"] == "customer_request"
    assert "第1位" in reply["replies"][1]["text"]
    assert reply["replies"][1]["buttons"] == [{"title": "返回智能助手", "payload": "/leave_queue"}]

    offer = await li.next_event("offer", conversation_id=customer.id)
    assert offer["handoff"]["reason"] == "customer_request" and offer["handoff"]["language"] == "zh"
    assert (await li.accept(customer.id)).status_code == 204
    assert (await customer.state())["mode"] == "agent"

    async with websockets.connect(ws_url(hub, customer.conversation)) as socket:
        mode = await next_event(socket, "mode")
        assert mode["mode"] == "agent"
        assert (await li.reply(customer.id, "您好，我是李娜，请问有什么可以帮您？")).status_code == 200
        while True:
            pushed = (await next_event(socket, "message"))["message"]
            if pushed["sender"] == "agent":
                break
    assert pushed["sender_name"] == "李娜" and pushed["text"].startswith("您好，我是李娜")

    # While the agent has the chat the assistant says nothing: the customer's words go to the agent only.
    answer = await customer.say("我想问一下提款多久到账，我的手机是13812345678")
    assert answer["mode"] == "agent" and answer["replies"] == []
    relayed = await li.next_message(customer.id, sender="customer")
    assert relayed["text"] == "我想问一下提款多久到账，我的手机是138****5678"
    transcript = await customer.transcript()
    assert [m["sender"] for m in transcript] == ["customer", "bot", "system", "system", "agent", "customer"]
    assert transcript[3]["text"] == "人工客服李娜已接入，为您服务。"


async def test_request_in_english_is_queued_and_told_in_english(
    hub_client: httpx.AsyncClient, li: ConsoleClient
) -> None:
    customer = await new_customer(hub_client, language="en")

    reply = await customer.say("talk to a person")

    assert reply["mode"] == "queued"
    system = reply["replies"][-1]
    assert system["sender"] == "system" and "number 1" in system["text"] and not CJK.search(system["text"])
    await take(li, customer)
    assert (await li.reply(customer.id, "Hello, this is Li Na.")).status_code == 200
    joined = [m for m in await customer.transcript() if m["sender"] == "system"][-1]
    assert joined["text"] == "李娜 from customer service has joined the chat."


async def test_with_no_agent_online_the_customer_is_told_and_stays_with_the_assistant(
    hub_client: httpx.AsyncClient, agents: dict[str, str]
) -> None:
    customer = await new_customer(hub_client, language="zh")

    reply = await customer.say("转人工")

    assert reply["mode"] == "bot" and reply["queue"] is None
    told = reply["replies"][-1]
    assert told["sender"] == "system" and "暂时没有可以接待" in told["text"]
    assert told["custom"]["handoff_unavailable"]["reason"] == "no_agent"
    # The assistant carries on.
    assert (await customer.say("你好"))["replies"][0]["sender"] == "bot"


async def test_messages_typed_while_queued_are_kept_for_the_agent(
    hub: Service, hub_client: httpx.AsyncClient, agents: dict[str, str]
) -> None:
    async with signed_in(hub.url, "lina", online=False) as li:
        customer = await new_customer(hub_client, language="zh")
        await li.go_online()
        await customer.say("转人工")
        await li.next_event("offer", conversation_id=customer.id)
        waiting = await customer.say("我想提前还一部分贷款")
        assert waiting["mode"] == "queued" and waiting["replies"] == []
        assert (await li.accept(customer.id)).status_code == 204

        detail = (await li.get(f"/api/console/chats/{customer.id}")).json()

    assert detail["state"] == "assigned" and detail["holder"] == {"display_name": "李娜"}
    assert detail["handoff"]["reason"] == "customer_request"
    assert [m["text"] for m in detail["messages"] if m["sender"] == "customer"] == ["转人工", "我想提前还一部分贷款"]


async def test_leaving_the_queue_goes_back_to_the_assistant(
    hub_client: httpx.AsyncClient, agents: dict[str, str], hub: Service
) -> None:
    async with signed_in(hub.url, "lina") as li:
        await li.put("/api/console/me/presence", {"status": "away"})  # present, taking no offers
        async with signed_in(hub.url, "wang") as wang:
            await wang.put("/api/console/me/presence", {"status": "away"})
            customer = await new_customer(hub_client, language="zh")
            assert (await customer.say("转人工"))["mode"] == "bot"  # nobody online: told so

            await li.go_online()
            queued = await customer.say("我要人工服务")
            assert queued["mode"] == "queued"
            await li.next_event("offer", conversation_id=customer.id)

            left = await customer.say("/leave_queue")
            withdrawn = await li.next_event("offer_withdrawn", conversation_id=customer.id)

    assert left["mode"] == "bot" and left["replies"][0]["text"] == "您已退出排队，智能助手继续为您服务。"
    assert withdrawn["reason"] == "customer_left"
    assert (await customer.say("你好"))["replies"][0]["sender"] == "bot"


async def test_the_agent_reads_the_transcript_in_pages(hub_client: httpx.AsyncClient, li: ConsoleClient) -> None:
    customer = await new_customer(hub_client, language="zh")
    await customer.say("你好")
    await customer.say("转人工")
    await take(li, customer)
    url = f"/api/console/chats/{customer.id}/messages"

    first = (await li.get(url, after=0, limit=2)).json()
    rest = (await li.get(url, after=first["messages"][-1]["seq"])).json()

    assert [m["seq"] for m in first["messages"]] == [1, 2] and first["has_more"] is True
    assert rest["messages"][0]["seq"] == 3 and rest["has_more"] is False
    assert (await li.get(url, limit=0)).status_code == 422


# ---- hand back, close, rate -----------------------------------------------------------------------------------


async def test_hand_back_resumes_the_form_the_customer_was_in(hub_client: httpx.AsyncClient, li: ConsoleClient) -> None:
    customer = await new_customer(hub_client, language="zh")
    await customer.say("我想为东方贸易有限公司申请100万贷款，期限一年")
    await customer.say("转人工")
    await take(li, customer)
    detail = (await li.get(f"/api/console/chats/{customer.id}")).json()
    assert detail["resume_form"] == "loan_application_form"
    assert detail["form_answers"]["company_name"] == "东方贸易有限公司"

    response = await li.post(
        f"/api/console/chats/{customer.id}/handback", {"note": "客户想继续线上申请", "resume_form": True}
    )

    assert response.status_code == 204, response.text
    await li.next_event("chat_removed", conversation_id=customer.id, reason="handed_back")
    transcript = await customer.transcript()
    after = transcript[[m["sender"] for m in transcript].index("system", 3) :]
    texts = [m["text"] for m in transcript]
    assert "人工客服已将对话交还智能助手。" in texts
    assert "您好，我是智能助手，我们继续。" in texts
    assert transcript[-1]["sender"] == "bot" and "统一社会信用代码" in transcript[-1]["text"], after
    assert (await customer.state())["mode"] == "bot"


async def test_close_asks_for_a_rating_once(
    hub: Service, hub_client: httpx.AsyncClient, li: ConsoleClient, hub_database_url: str
) -> None:
    customer = await with_an_agent(li, hub_client, "talk to a person")

    async with websockets.connect(ws_url(hub, customer.conversation)) as socket:
        response = await li.post(
            f"/api/console/chats/{customer.id}/close", {"wrapup_code": "resolved", "note": "explained drawdowns"}
        )
        assert response.status_code == 204, response.text
        closed = await next_event(socket, "closed")
        request = await next_event(socket, "satisfaction_request")

    assert closed["handoff_id"] == request["handoff_id"] and request["scale"] == [1, 2, 3, 4, 5]
    ask = (await customer.transcript())[-1]
    assert ask["sender"] == "system" and "How satisfied" in ask["text"]
    assert [b["title"] for b in ask["buttons"]] == ["5", "4", "3", "2", "1"]
    assert (await customer.state())["mode"] == "closed"

    rated = await customer.say(ask["buttons"][1]["payload"])  # the "4" button
    assert rated["replies"][0]["text"] == "Thank you for your rating."
    again = await hub_client.post(
        f"/api/v1/conversations/{customer.id}/rating", json={"score": 1}, headers=auth(customer.conversation)
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    with psycopg.connect(_libpq(hub_database_url)) as conn:
        scores = conn.execute("SELECT score FROM satisfaction_ratings").fetchall()
    assert scores == [(4,)]
    # The next message starts again with the assistant.
    assert (await customer.say("hello"))["replies"][0]["sender"] == "bot"


async def test_a_bad_rating_gets_a_clear_error(hub_client: httpx.AsyncClient, agents: dict[str, str]) -> None:
    customer = await new_customer(hub_client)
    url = f"/api/v1/conversations/{customer.id}/rating"
    nothing = await hub_client.post(url, json={"score": 5}, headers=auth(customer.conversation))
    out_of_scale = await hub_client.post(url, json={"score": 9}, headers=auth(customer.conversation))
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_to_rate"
    assert out_of_scale.status_code == 422


# ---- transfer and reassignment --------------------------------------------------------------------------------


async def test_transfer_to_another_agent_carries_the_note(
    hub: Service, hub_client: httpx.AsyncClient, li: ConsoleClient, agents: dict[str, str]
) -> None:
    async with signed_in(hub.url, "wang") as wang:
        customer = await new_customer(hub_client, language="zh")
        await customer.say("转人工")
        offered_to = li if await _offered_to(li, wang, customer) == "li" else wang
        other = wang if offered_to is li else li
        assert (await offered_to.accept(customer.id)).status_code == 204

        response = await offered_to.post(
            f"/api/console/chats/{customer.id}/transfer",
            {"to_agent_id": other.id, "note": "客户询问续贷，请协助"},
        )

        assert response.status_code == 204, response.text
        assigned = await other.next_event("chat_assigned", conversation_id=customer.id)
        removed = await offered_to.next_event("chat_removed", conversation_id=customer.id)
        detail = (await other.get(f"/api/console/chats/{customer.id}")).json()
        forbidden = await offered_to.get(f"/api/console/chats/{customer.id}")

    assert assigned["note"] == "客户询问续贷，请协助" and removed["reason"] == "transferred"
    assert detail["notes"][0]["note"] == "客户询问续贷，请协助"
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "not_your_chat"


async def _offered_to(li: ConsoleClient, wang: ConsoleClient, customer: Customer) -> str:
    """Which of two online agents got the offer (the least loaded; either when both are free)."""
    for name, console in (("li", li), ("wang", wang)):
        try:
            await console.next_event("offer", conversation_id=customer.id, wait_seconds=2)
            return name
        except TimeoutError:
            continue
    raise AssertionError("nobody was offered the chat")


async def test_transfer_to_a_skill_requeues_at_the_head(
    hub: Service, hub_client: httpx.AsyncClient, li: ConsoleClient, agents: dict[str, str]
) -> None:
    customer = await with_an_agent(li, hub_client)

    async with signed_in(hub.url, "wang") as wang:
        response = await li.post(
            f"/api/console/chats/{customer.id}/transfer", {"to_skill": "complaints", "note": "客户要投诉利率"}
        )
        assert response.status_code == 204, response.text
        offer = await wang.next_event("offer", conversation_id=customer.id)

    assert offer["handoff"]["skill"] == "complaints"
    told = (await customer.transcript())[-1]
    assert told["sender"] == "system" and "投诉处理" in told["text"]


async def test_supervisor_sees_everything_and_reassigns(
    hub: Service, hub_client: httpx.AsyncClient, li: ConsoleClient, agents: dict[str, str]
) -> None:
    customer = await with_an_agent(li, hub_client)

    async with signed_in(hub.url, "chen", online=False) as chen, signed_in(hub.url, "wang") as wang:
        overview = (await chen.get("/api/console/overview")).json()
        reassigned = await chen.post(
            f"/api/console/chats/{customer.id}/reassign", {"agent_id": wang.id, "note": "李娜下班"}
        )
        await wang.next_event("chat_assigned", conversation_id=customer.id)
        agent_overview = await li.get("/api/console/overview")

    general = next(s for s in overview["skills"] if s["skill"] == "general")
    assert general["online_agents"] >= 1 and general["load"] == 1
    assert [c["conversation_id"] for c in overview["chats"]] == [customer.id]
    assert overview["chats"][0]["agent_name"] == "李娜"
    assert reassigned.status_code == 204, reassigned.text
    assert agent_overview.status_code == 403


# ---- who may do what -----------------------------------------------------------------------------------------


async def test_an_agent_cannot_touch_a_chat_that_is_not_theirs(
    hub: Service, hub_client: httpx.AsyncClient, li: ConsoleClient, agents: dict[str, str]
) -> None:
    customer = await with_an_agent(li, hub_client)

    async with signed_in(hub.url, "wang") as wang:
        read = await wang.get(f"/api/console/chats/{customer.id}")
        write = await wang.reply(customer.id, "我来插一句")
        close = await wang.post(f"/api/console/chats/{customer.id}/close", {"wrapup_code": "resolved"})
        accept = await wang.accept(customer.id)

    assert read.status_code == 403 and write.status_code == 403 and close.status_code == 403
    assert accept.status_code == 409 and accept.json()["error"]["code"] == "offer_taken"


async def test_writes_need_the_csrf_token_and_the_console_origin(
    hub: Service, li: ConsoleClient, hub_client: httpx.AsyncClient
) -> None:
    no_token = await li.http.put("/api/console/me/presence", json={"status": "away"})
    wrong_token = await li.http.put(
        "/api/console/me/presence", json={"status": "away"}, headers={"X-CSRF-Token": "forged"}
    )
    foreign = await li.http.put(
        "/api/console/me/presence",
        json={"status": "away"},
        headers={"X-CSRF-Token": li.csrf, "Origin": "https://evil.example"},
    )
    anonymous = await hub_client.get("/api/console/me")

    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_failed"
    assert wrong_token.status_code == 403
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "origin_not_allowed"
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_signed_in"


async def test_console_websocket_refuses_foreign_origins_and_strangers(hub: Service, li: ConsoleClient) -> None:
    url = hub.url.replace("http://", "ws://") + "/api/console/ws"
    cookie = "; ".join(f"{k}={v}" for k, v in li.http.cookies.items())

    with pytest.raises(websockets.InvalidStatus) as foreign:
        await websockets.connect(url, origin=Origin("https://evil.example"), additional_headers={"Cookie": cookie})
    with pytest.raises(websockets.InvalidStatus) as stranger:
        await websockets.connect(url, origin=Origin(hub.url))
    with pytest.raises(websockets.InvalidStatus) as no_origin:
        await websockets.connect(url, additional_headers={"Cookie": cookie})

    for refused in (foreign, stranger, no_origin):
        assert refused.value.response.status_code == 403


async def test_sign_in_is_locked_after_five_failures(hub: Service, agents: dict[str, str]) -> None:
    console = ConsoleClient(hub.url)
    try:
        codes = []
        for _ in range(6):
            response = await console.http.post("/api/console/session", json={"username": "lina", "password": "wrong!!"})
            codes.append(response.status_code)
        right = await console.http.post(
            "/api/console/session", json={"username": "lina", "password": "test-password-123"}
        )
    finally:
        await console.close()
    assert codes == [401] * 5 + [429]
    assert right.status_code == 429 and right.json()["error"]["details"]["retry_after_seconds"] > 0


async def test_an_account_manager_has_no_agent_workspace(
    hub: Service, hub_database_url: str, clean_hub_state: None
) -> None:
    await create_staff(hub_database_url, "zhao", role="account_manager", skills=("account_manager",))
    console = ConsoleClient(hub.url)
    try:
        await console.sign_in("zhao")
        chats = await console.get("/api/console/chats")
        presence = await console.put("/api/console/me/presence", {"status": "online"})
    finally:
        await console.close()
    assert chats.status_code == 403 and presence.status_code == 403


# ---- an agent who vanishes -----------------------------------------------------------------------------------


async def test_a_vanished_agents_chat_goes_back_to_the_head_of_the_queue(
    hub: Service, hub_client: httpx.AsyncClient, agents: dict[str, str]
) -> None:
    customer = await new_customer(hub_client, language="zh")
    li = ConsoleClient(hub.url)
    try:
        await li.sign_in("lina")
        await li.connect()
        await li.go_online()
        await customer.say("转人工")
        await take(li, customer)

        async with signed_in(hub.url, "wang", online=False) as wang:
            await li.vanish()
            async with websockets.connect(ws_url(hub, customer.conversation)) as socket:
                while (await next_event(socket, "mode", wait_seconds=15))["mode"] != "queued":
                    pass
            await wang.go_online()
            offer = await wang.next_event("offer", conversation_id=customer.id)
    finally:
        await li.close()

    assert offer["handoff"]["reason"] == "customer_request"
    lost = [m for m in await customer.transcript() if m["sender"] == "system"]
    assert "连接中断" in lost[-1]["text"]


# ---- the queue as the customers and agents live it -------------------------------------------------------------


async def test_an_offer_nobody_answers_goes_to_the_next_agent(
    hub: Service, hub_client: httpx.AsyncClient, agents: dict[str, str]
) -> None:
    async with signed_in(hub.url, "lina") as lina, signed_in(hub.url, "wang") as wang:
        customer = await new_customer(hub_client, language="zh")
        await customer.say("转人工")
        first = lina if await _offered_to(lina, wang, customer) == "li" else wang
        second = wang if first is lina else lina

        withdrawn = await first.next_event("offer_withdrawn", conversation_id=customer.id, wait_seconds=15)
        away = await first.next_event("presence", presence="away")
        offer = await second.next_event("offer", conversation_id=customer.id, wait_seconds=15)
        assert (await second.accept(customer.id)).status_code == 204

    assert withdrawn["reason"] == "expired" and away["presence"] == "away"
    assert offer["handoff"]["reason"] == "customer_request"


async def test_waiting_customers_hear_their_place_move_up(
    hub: Service, hub_client: httpx.AsyncClient, hub_database_url: str, clean_hub_state: None
) -> None:
    await create_staff(hub_database_url, "solo", skills=("general",), max_chats=1, display_name="Solo")
    async with signed_in(hub.url, "solo") as solo:
        first = await with_an_agent(solo, hub_client)
        second, third = await new_customer(hub_client), await new_customer(hub_client)
        assert (await second.say("转人工"))["queue"]["position"] == 1
        assert (await third.say("转人工"))["queue"]["position"] == 2

        async with websockets.connect(ws_url(hub, third.conversation, last_seq=99)) as socket:
            assert (await next_event(socket, "mode"))["queue"]["position"] == 2
            closed = await solo.post(f"/api/console/chats/{first.id}/close", {"wrapup_code": "resolved"})
            assert closed.status_code == 204
            await solo.next_event("offer", conversation_id=second.id)
            # The leader's first push may repeat the place the socket's greeting already gave (2): the news is the
            # first mode event that says something else.
            async with asyncio.timeout(10):
                moved = await next_event(socket, "mode")
                while moved["mode"] == "queued" and moved["queue"]["position"] == 2:
                    moved = await next_event(socket, "mode")

    assert moved["mode"] == "queued" and moved["queue"]["position"] == 1
    assert (await third.state())["queue"]["position"] == 1


async def test_the_agents_typing_reaches_the_customer(
    hub: Service, hub_client: httpx.AsyncClient, li: ConsoleClient
) -> None:
    customer = await with_an_agent(li, hub_client)
    async with websockets.connect(ws_url(hub, customer.conversation)) as socket:
        await next_event(socket, "mode")
        await li.send_frame({"type": "typing", "conversation_id": customer.id})
        typing = await next_event(socket, "typing")
        await socket.send(json.dumps({"type": "typing"}))
        seen_by_agent = await li.next_event("typing", conversation_id=customer.id)

    assert typing == {"type": "typing", "sender": "agent"}
    assert seen_by_agent["sender"] == "customer"
