"""The customer chat widget on the hub's demo pages in Chromium, against the real hub, Rasa and action server; the
agent is a console client on the real console API and websocket (the console page has its own tests)."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
from playwright.async_api import WebSocketRoute, expect

from tests.conftest import JourneyCore
from tests.handoff.test_console_page import XSS_PAYLOADS
from tests.utils.factories import message_body
from tests.utils.lending import reset_and_seed
from tests.utils.services import Service
from tests.utils.staff import ConsoleClient, create_staff, signed_in
from tests.web_widget.conftest import WAIT_MS, OpenWidget, Widget


async def agent_takes_the_chat(agent: ConsoleClient, widget: Widget) -> str:
    conversation_id = (await widget.conversation())["id"]
    await agent.next_event("offer", conversation_id=conversation_id)
    accepted = await agent.accept(conversation_id)
    assert accepted.status_code == 204, accepted.text
    return conversation_id


async def agent_says(agent: ConsoleClient, conversation_id: str, text: str) -> None:
    response = await agent.reply(conversation_id, text)
    assert response.status_code in (200, 201), response.text


# ---- the journeys ------------------------------------------------------------------------------------------


async def test_a_chinese_customer_asks_applies_talks_to_a_person_and_rates(
    open_widget: OpenWidget, hub: Service, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "li.na", display_name="李娜", skills=("general", "lending"))
    async with signed_in(hub.url, "li.na") as agent:
        widget = await open_widget("/")
        await expect(widget.loc(".launcher")).to_have_text("在线客服")
        await widget.open()
        await expect(widget.loc("header h2")).to_have_text("小微企业智能客服")
        await expect(widget.loc(".human")).to_have_text("转人工")

        await widget.say("你好")
        await expect(widget.bot("您好").first).to_be_visible(timeout=WAIT_MS)
        await expect(widget.loc(".m.bot time").first).to_have_text(re.compile(r"^\d{2}:\d{2}$"))

        await widget.say("提款多久到账")
        await expect(widget.bot("到账").first).to_be_visible(timeout=WAIT_MS)

        await widget.say("我想为东方贸易有限公司申请100万贷款，期限一年")
        await expect(widget.bot("统一社会信用代码").last).to_be_visible(timeout=WAIT_MS)
        await widget.say("91310000MA1FL8L47U")
        await widget.say("张伟")
        await widget.say("13812345678")
        await widget.say("用于采购原材料")
        consent = widget.loc(".m.bot").last
        await expect(consent.locator(".qr button")).to_have_text(["同意", "不同意"], timeout=WAIT_MS)
        await widget.click_reply("同意")
        await expect(widget.loc(".m.customer[data-seq]").last).to_have_text(re.compile("^同意"), timeout=WAIT_MS)
        await expect(consent.locator(".qr button").first).to_be_disabled()
        await expect(widget.bot("确认提交吗").last).to_be_visible(timeout=WAIT_MS)
        await widget.click_reply("确认提交")
        await expect(widget.loc(".m.bot").filter(has_text=re.compile(r"AP\d{10}")).first).to_be_visible(timeout=WAIT_MS)

        await widget.loc(".human").click()
        bar = widget.loc(".bar")
        await expect(bar).to_contain_text("排队中：您排在第1位", timeout=WAIT_MS)
        await expect(bar.locator("button")).to_have_text("返回智能助手")
        await expect(widget.loc(".human")).to_be_hidden()
        conversation_id = await agent_takes_the_chat(agent, widget)
        await expect(bar).to_contain_text("人工客服 李娜 正在为您服务", timeout=WAIT_MS)
        await expect(widget.loc(".m.system").filter(has_text="李娜已接入")).to_be_visible()

        await agent.send_frame({"type": "typing", "conversation_id": conversation_id})
        await expect(widget.loc(".typing")).to_have_text("客服正在输入…", timeout=WAIT_MS)
        await agent_says(agent, conversation_id, "您好，我是李娜，请问有什么可以帮您？")
        await expect(widget.loc(".typing")).to_have_text("", timeout=WAIT_MS)
        answer = widget.loc(".m.agent").last
        await expect(answer.locator(".b")).to_have_text("您好，我是李娜，请问有什么可以帮您？", timeout=WAIT_MS)
        await expect(answer.locator(".who")).to_have_text("李娜")
        await widget.say("我想了解一下贷款利率")
        heard = await agent.next_message(conversation_id, sender="customer")
        assert heard["text"] == "我想了解一下贷款利率"
        await widget.screenshot("desktop-zh-agent")

        handed = await agent.post(f"/api/console/chats/{conversation_id}/handback", {"note": "", "resume_form": False})
        assert handed.status_code == 204, handed.text
        await expect(widget.loc(".m.notice").filter(has_text="智能助手已继续为您服务")).to_be_visible(timeout=WAIT_MS)
        await expect(bar).to_be_hidden()
        await expect(widget.loc(".human")).to_be_visible()

        await widget.loc(".human").click()
        await expect(bar).to_contain_text("排队中", timeout=WAIT_MS)
        await agent_takes_the_chat(agent, widget)
        await expect(bar).to_contain_text("李娜", timeout=WAIT_MS)
        closed = await agent.post(f"/api/console/chats/{conversation_id}/close", {"wrapup_code": "resolved"})
        assert closed.status_code == 204, closed.text
        stars = widget.loc(".qr.rating button")
        await expect(stars).to_have_text(["5", "4", "3", "2", "1"], timeout=WAIT_MS)
        await expect(stars.first).to_have_attribute("aria-label", "5分")
        await stars.first.click()
        await expect(widget.loc(".m.customer[data-seq]").last).to_contain_text("5分", timeout=WAIT_MS)
        await expect(widget.loc(".card").filter(has_text="您的评分：5分")).to_be_visible(timeout=WAIT_MS)
        await expect(widget.loc(".m.system").filter(has_text="感谢您的评价")).to_be_visible()
        await expect(stars.first).to_be_disabled()
        await widget.screenshot("desktop-zh-rated")

        stored = await widget.assert_each_message_once_in_order()
        assert any(m["sender"] == "customer" and m["text"] == '/rate{"score": 5}' for m in stored)
        await widget.assert_nothing_ran()


async def test_an_english_customer_on_the_english_page_gets_english_throughout(
    open_widget: OpenWidget, hub: Service, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "ann", display_name="Ann Lee", skills=("general", "lending"))
    async with signed_in(hub.url, "ann") as agent:
        widget = await open_widget("/", locale="en-GB")
        await widget.page.click(".demo-lang[data-lang=en]")
        await expect(widget.loc(".launcher")).to_have_text("Chat with us")
        await widget.open()
        await expect(widget.loc(".human")).to_have_text("Talk to a person")
        await expect(widget.loc("textarea")).to_have_attribute("placeholder", "Type your message")

        await widget.say("hello")
        await expect(widget.bot("Hello").first).to_be_visible(timeout=WAIT_MS)
        await widget.say("what documents do I need to apply for a loan")
        await expect(widget.loc(".m.bot").nth(1)).to_contain_text("licen", timeout=WAIT_MS)

        await widget.say("I want to apply for a business loan")
        await expect(widget.loc(".m.bot").last).to_contain_text("company's full registered name", timeout=WAIT_MS)
        for text in ("Shenzhen Huaqiang Technology Co., Ltd.", "91310000MA1FL8L47U", "Zhang Wei", "13812345678"):
            await widget.say(text)
        await expect(widget.loc(".m.bot").last).to_contain_text("How much would you like to borrow", timeout=WAIT_MS)
        await widget.say("500,000 yuan")
        term = widget.loc(".m.bot").last
        await expect(term.locator(".qr button")).to_have_text(
            ["3 months", "6 months", "12 months", "24 months", "36 months"], timeout=WAIT_MS
        )
        await widget.click_reply("12 months")
        await expect(widget.loc(".m.customer[data-seq] .b").last).to_have_text("12 months", timeout=WAIT_MS)
        await expect(widget.loc(".m.bot").last).to_contain_text("what is the loan for", timeout=WAIT_MS)
        await widget.say("to buy raw materials")
        await expect(widget.loc(".m.bot .qr button").last).to_have_text("I don't agree", timeout=WAIT_MS)
        await widget.click_reply("I agree")
        await expect(widget.loc(".m.bot").last).to_contain_text("Shall I submit it?", timeout=WAIT_MS)
        await widget.click_reply("Confirm")
        await expect(widget.loc(".m.bot").filter(has_text=re.compile(r"AP\d{10}")).first).to_be_visible(timeout=WAIT_MS)

        await widget.loc(".human").click()
        bar = widget.loc(".bar")
        await expect(bar).to_contain_text("In the queue: number 1", timeout=WAIT_MS)
        await expect(bar.locator("button")).to_have_text("Back to the assistant")
        conversation_id = await agent_takes_the_chat(agent, widget)
        await expect(bar).to_contain_text("Ann Lee is helping you", timeout=WAIT_MS)
        await agent_says(agent, conversation_id, "Hi, this is Ann. How can I help?")
        await expect(widget.loc(".m.agent .b").last).to_have_text("Hi, this is Ann. How can I help?", timeout=WAIT_MS)
        closed = await agent.post(f"/api/console/chats/{conversation_id}/close", {"wrapup_code": "resolved"})
        assert closed.status_code == 204, closed.text
        stars = widget.loc(".qr.rating button")
        await expect(stars).to_have_count(5, timeout=WAIT_MS)
        await stars.nth(1).click()
        await expect(widget.loc(".card").filter(has_text="Your rating: 4")).to_be_visible(timeout=WAIT_MS)
        await expect(widget.loc(".m.system").filter(has_text="Thank you for your rating")).to_be_visible()
        await widget.screenshot("desktop-en")
        await widget.assert_each_message_once_in_order()
        await widget.assert_nothing_ran()


async def test_leaving_the_queue_and_ending_the_conversation(
    open_widget: OpenWidget, hub: Service, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "wang", display_name="王强")
    async with signed_in(hub.url, "wang"):
        widget = await open_widget("/")
        await widget.open()
        await widget.loc(".human").click()
        bar = widget.loc(".bar")
        await expect(bar).to_contain_text("排队中：您排在第1位", timeout=WAIT_MS)
        await expect(bar).to_contain_text("预计")
        await bar.locator("button").click()
        await expect(bar).to_be_hidden(timeout=WAIT_MS)
        await expect(widget.loc(".m.customer[data-seq]").last).to_have_text(re.compile("^返回智能助手"))
        await expect(widget.loc(".m.system").filter(has_text="您已退出排队")).to_be_visible()

        first = (await widget.conversation())["id"]
        await widget.loc(".end").click()
        await expect(widget.loc(".end")).to_have_text("确认结束？")
        await widget.loc(".end").click()
        await expect(widget.loc(".m.notice").filter(has_text="对话已结束")).to_be_visible()
        await expect(widget.loc(".restart")).to_be_visible()
        assert await widget.page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('sme-chat/'))") == []
        await widget.loc(".restart").click()
        await widget.online()
        await widget.say("你好")
        await expect(widget.bot("您好").first).to_be_visible(timeout=WAIT_MS)
        assert (await widget.conversation())["id"] != first
        await widget.assert_each_message_once_in_order()


async def test_with_nobody_online_a_signed_in_customer_leaves_a_call_back_and_sees_its_number(
    open_widget: OpenWidget, journey_core: JourneyCore
) -> None:
    await reset_and_seed(journey_core.settings, today_is_real=True)
    widget = await open_widget("/")
    await widget.page.click("#demo-customers button[data-customer=C1001]")
    await expect(widget.page.locator("#demo-current")).to_contain_text("C1001 上海东方贸易有限公司")
    await widget.open()
    await widget.loc(".human").click()
    await expect(widget.loc(".m.system").last).to_contain_text("没有可以接待", timeout=WAIT_MS)
    await expect(widget.loc(".bar")).to_be_hidden()
    await widget.click_reply("请客户经理联系我")
    await expect(widget.loc(".m.bot").last).to_contain_text("需要客户经理办理的事项", timeout=WAIT_MS)
    await widget.say("想把授信额度提高到100万，请客户经理介绍一下要准备的材料")
    await expect(widget.loc(".m.bot").last).to_contain_text("（北京时间）", timeout=WAIT_MS)
    await widget.loc(".m.bot").last.locator(".qr button:not([disabled])").first.click()
    await expect(widget.loc(".m.bot").last).to_contain_text("138****0001", timeout=WAIT_MS)
    await widget.loc(".m.bot").last.locator(".qr button:not([disabled])").first.click()
    await expect(widget.loc(".m.bot").last).to_contain_text("同意", timeout=WAIT_MS)
    await widget.say("同意")
    await expect(widget.loc(".m.bot").last).to_contain_text("请核对服务请求", timeout=WAIT_MS)
    await widget.say("确认")
    card = widget.loc(".m.system .sr-card")
    await expect(card).to_have_count(1, timeout=WAIT_MS)
    await expect(card.locator("strong")).to_have_text(re.compile(r"^服务请求 SR\d{10}$"))
    await expect(card.locator(".sr-state")).to_have_text("状态: 已提交")
    await widget.screenshot("desktop-service-request")
    await widget.assert_each_message_once_in_order()
    await widget.assert_nothing_ran()


# ---- network loss, reload ----------------------------------------------------------------------------------


class Link:
    """The widget's websocket passed through Playwright, so the test can cut the line and refuse reconnects."""

    def __init__(self) -> None:
        self.refuse = False
        self.connections = 0
        self.current: tuple[WebSocketRoute, WebSocketRoute] | None = None

    async def handle(self, page_side: WebSocketRoute) -> None:
        self.connections += 1
        if self.refuse:
            await page_side.close(code=1013, reason="try again later")
            return
        server_side = page_side.connect_to_server()
        self.current = (page_side, server_side)
        page_side.on_message(lambda message: server_side.send(message))
        server_side.on_message(lambda message: page_side.send(message))

    async def cut(self) -> None:
        assert self.current is not None
        page_side, server_side = self.current
        self.current = None
        await server_side.close()
        await page_side.close(code=1011, reason="cut by the test")


async def test_after_a_network_loss_every_message_is_shown_once_in_order_and_a_reload_keeps_the_chat(
    open_widget: OpenWidget, hub: Service, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "steady", display_name="李娜")
    async with signed_in(hub.url, "steady") as agent:
        widget = await open_widget("/")
        link = Link()
        await widget.page.route_web_socket(re.compile(r"/api/v1/conversations/[^/]+/ws"), link.handle)
        await widget.open()
        await widget.say("你好")
        await expect(widget.bot("您好").first).to_be_visible(timeout=WAIT_MS)
        conv = await widget.conversation()

        # The line drops; meanwhile the assistant answers (the same customer on another tab, over REST), the chat
        # goes to an agent who writes three times, and the customer types on this page.
        link.refuse = True
        await link.cut()
        await expect(widget.page.locator("sme-chat")).to_have_attribute("data-state", "offline", timeout=WAIT_MS)
        await expect(widget.loc("header .st")).to_have_text("网络已断开，正在重连…")
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as rest:
            headers = {"Authorization": f"Bearer {conv['token']}"}
            for text in ("提款多久到账", "转人工"):
                url = f"/api/v1/conversations/{conv['id']}/messages"
                sent = await rest.post(url, json=message_body(text), headers=headers)
                assert sent.status_code == 200, sent.text
        conversation_id = await agent_takes_the_chat(agent, widget)
        for n in range(1, 4):
            await agent_says(agent, conversation_id, f"第{n}条客服消息")
        await widget.loc("textarea").fill("我刚才掉线了")
        await widget.loc("textarea").press("Enter")
        pending = widget.loc(".m.customer:not([data-seq])").filter(has_text="我刚才掉线了")
        await expect(pending).to_have_attribute("data-state", "sending")
        await asyncio.sleep(3)
        link.refuse = False

        await expect(widget.page.locator("sme-chat")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
        await expect(widget.loc(".m.agent .b").filter(has_text="第3条客服消息")).to_be_visible(timeout=WAIT_MS)
        await expect(widget.loc(".m.customer[data-seq]").filter(has_text="我刚才掉线了")).to_have_count(
            1, timeout=WAIT_MS
        )
        await expect(widget.loc(".m.customer:not([data-seq])")).to_have_count(0)
        heard = await agent.next_message(conversation_id, sender="customer")
        assert heard["text"] in {"转人工", "我刚才掉线了"}
        stored = await widget.assert_each_message_once_in_order()
        assert [m["text"] for m in stored if m["sender"] == "agent"] == [f"第{n}条客服消息" for n in range(1, 4)]
        assert [m["text"] for m in stored].count("我刚才掉线了") == 1
        assert link.connections >= 3  # the first, at least one refused, the one that came back

        # The browser goes offline for a few seconds while the agent writes; afterwards each message once.
        await widget.context.set_offline(True)
        for n in range(4, 6):
            await agent_says(agent, conversation_id, f"第{n}条客服消息")
        await asyncio.sleep(3)
        await widget.context.set_offline(False)
        await expect(widget.loc(".m.agent .b").filter(has_text="第5条客服消息")).to_be_visible(timeout=WAIT_MS)
        await widget.assert_each_message_once_in_order()

        # A reload keeps the conversation (and the panel open), each message shown once.
        before = await widget.shown_seqs()
        await widget.page.reload()
        await widget.online()
        await expect(widget.loc(".log .m[data-seq]")).to_have_count(len(before), timeout=WAIT_MS)
        assert (await widget.conversation())["id"] == conv["id"]
        assert await widget.shown_seqs() == before
        await expect(widget.loc(".bar")).to_contain_text("李娜")
        await widget.say("刷新后还在")
        assert (await agent.next_message(conversation_id, sender="customer"))["text"] in {"我刚才掉线了", "刷新后还在"}
        await widget.assert_each_message_once_in_order()
        await widget.assert_nothing_ran()


# ---- phones ------------------------------------------------------------------------------------------------


async def _fits_the_screen(widget: Widget, width: int, height: int) -> None:
    overflow = await widget.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"horizontal scroll of {overflow}px"
    box = await widget.loc("textarea").bounding_box()
    assert box is not None
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, box
    assert 0 <= box["x"] and box["x"] + box["width"] <= width, box
    send = await widget.loc("form button").bounding_box()
    assert send is not None and send["x"] + send["width"] <= width, send


async def test_on_a_375_wide_phone_the_chat_fills_the_screen_and_the_input_stays_visible(
    open_widget: OpenWidget,
) -> None:
    widget = await open_widget("/", width=375, height=667, mobile=True)
    await widget.open()
    panel = await widget.loc(".panel").bounding_box()
    assert panel is not None and round(panel["width"]) == 375 and round(panel["height"]) == 667, panel
    await _fits_the_screen(widget, 375, 667)
    for text in ("你好", "提款多久到账", "我的营业执照号码是91310000MA1FL8L47U，一个很长很长的句子" * 3):
        await widget.say(text)
    await expect(widget.loc(".m.bot")).to_have_count(3, timeout=WAIT_MS)
    await _fits_the_screen(widget, 375, 667)
    await widget.screenshot("mobile-home")
    await widget.assert_nothing_ran()


async def test_the_wechat_page_lists_the_demo_sign_ins_and_a_signed_in_customer_is_known(
    open_widget: OpenWidget, journey_core: JourneyCore
) -> None:
    await reset_and_seed(journey_core.settings, today_is_real=True)
    widget = await open_widget("/demo/wechat", width=375, height=667, mobile=True)
    await widget.online()  # inline: open on load
    await _fits_the_screen(widget, 375, 667)
    await widget.page.click("#demo summary")
    customers = widget.page.locator("#demo-customers tbody tr")
    await expect(customers).to_have_count(8, timeout=WAIT_MS)
    await expect(customers.first).to_contain_text("上海东方贸易有限公司")
    await expect(widget.page.locator("#demo-staff")).to_contain_text("demo-agent-1")
    guest = (await widget.conversation())["id"]

    await widget.page.click("#demo-customers button[data-customer=C1001]")
    await expect(widget.page.locator("#demo-current")).to_contain_text("C1001")
    await widget.page.click("#demo summary")
    await widget.online()
    await widget.say("我还有多少额度")
    await expect(widget.loc(".m.bot").filter(has_text="5,000,000").first).to_be_visible(timeout=WAIT_MS)
    signed_in_id = (await widget.conversation())["id"]
    assert signed_in_id != guest
    await _fits_the_screen(widget, 375, 667)
    await widget.screenshot("mobile-wechat")

    await widget.page.reload()
    await widget.online()
    assert (await widget.conversation())["id"] == signed_in_id
    await expect(widget.loc(".m.bot").filter(has_text="5,000,000").first).to_be_visible(timeout=WAIT_MS)
    await widget.assert_nothing_ran()


# ---- text that tries to be HTML or script ---------------------------------------------------------------------

PAYLOAD_ELEMENTS = (
    "img, svg, script, iframe, object, embed, template, math, style, link, meta, base, video, audio, source, "
    "input, select, form, body, noscript, marquee, xss, isindex, b, details"
)


async def test_payloads_from_the_agent_and_the_customer_are_shown_as_text_and_never_run(
    open_widget: OpenWidget, hub: Service, hub_database_url: str
) -> None:
    assert len(XSS_PAYLOADS) >= 50
    evil_name = '<img src=x onerror="window.__xss=1">李娜'
    await create_staff(hub_database_url, "xss", display_name=evil_name)
    async with signed_in(hub.url, "xss") as agent:
        widget = await open_widget("/")
        await widget.open()
        await widget.loc(".human").click()
        conversation_id = await agent_takes_the_chat(agent, widget)
        await expect(widget.loc(".bar")).to_contain_text(evil_name, timeout=WAIT_MS)

        for payload in XSS_PAYLOADS:
            await agent_says(agent, conversation_id, payload)
        agent_texts = widget.loc(".m.agent .b")
        await expect(agent_texts).to_have_count(len(XSS_PAYLOADS), timeout=WAIT_MS)
        assert await agent_texts.all_text_contents() == XSS_PAYLOADS
        await expect(widget.loc(".m.agent .who").first).to_have_text(evil_name)

        # The customer may send 30 messages a minute: 转人工 and 25 payloads.
        from_customer = XSS_PAYLOADS[:25]
        for payload in from_customer:
            await widget.loc("textarea").fill(payload)
            await widget.loc("textarea").press("Enter")
        mine = widget.loc(".m.customer[data-seq][data-state=sent] .b")
        await expect(mine).to_have_count(len(from_customer) + 1, timeout=WAIT_MS)
        assert (await mine.all_text_contents())[1:] == from_customer

        log = widget.loc(".log")
        assert await log.locator(PAYLOAD_ELEMENTS).count() == 0
        hrefs = await log.locator("a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
        assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
        await widget.page.reload()
        await widget.online()
        await expect(widget.loc(".m.agent .b")).to_have_count(len(XSS_PAYLOADS), timeout=WAIT_MS)
        assert await widget.loc(".log").locator(PAYLOAD_ELEMENTS).count() == 0
        await widget.assert_nothing_ran()
        assert await widget.page.locator("script").count() == 2  # the page's own two files
        stored = await widget.transcript()
        assert json.dumps(stored, ensure_ascii=False).count("onerror") > 10
