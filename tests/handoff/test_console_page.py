"""The agent console's pages in a real browser (Debian's Chromium driven by Playwright) against a real hub, Rasa
and action server: sign-in, offers, replies both ways, transfer, hand-back with the form resumed, closing with a
rating, customer text that tries to be HTML, and the supervisor's view.

The customer side is driven through the customer REST API; what the customer receives is read back from it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import websockets
from playwright.async_api import Browser, BrowserContext, Dialog, Page, WebSocketRoute, expect

from tests.utils.customers import Customer, new_customer
from tests.utils.factories import auth, customer_token
from tests.utils.services import LOG_DIR, Service
from tests.utils.staff import STAFF_PASSWORD, ConsoleClient, create_staff
from textkit.masking import mask_text

WAIT_MS = 15_000
# What the page's scripts see before anything else: a record of every CSP violation (a payload that became an
# element with an inline handler or a javascript: URL would be blocked by the policy and show up here).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""

# ---- the customer -------------------------------------------------------------------------------------------


async def eventually(condition: Callable[[], bool], *, what: str, seconds: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


# ---- the console pages --------------------------------------------------------------------------------------


@dataclass
class Console:
    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


OpenConsole = Callable[..., Awaitable[Console]]


@pytest.fixture
async def open_console(browser: Browser, hub: Service, clean_hub_state: None) -> AsyncIterator[OpenConsole]:
    """Opens the console in a fresh browser context (its own cookies), optionally signed in."""
    contexts: list[BrowserContext] = []
    consoles: list[Console] = []

    async def open_one(
        username: str | None = None, *, password: str = STAFF_PASSWORD, width: int = 1280, locale: str = "zh-CN"
    ) -> Console:
        context = await browser.new_context(viewport={"width": width, "height": 800}, locale=locale)
        contexts.append(context)
        page = await context.new_page()
        await page.add_init_script(WATCH_CSP)
        console = Console(page)
        consoles.append(console)

        async def on_dialog(dialog: Dialog) -> None:
            console.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: console.errors.append(str(error)))
        await page.goto(hub.url + "/console/")
        if username is not None:
            await sign_in(page, username, password)
        return console

    yield open_one
    for context in contexts:
        await context.close()
    assert [c.errors for c in consoles if c.errors] == [], "the page threw"


async def sign_in(page: Page, username: str, password: str = STAFF_PASSWORD) -> None:
    await expect(page.locator("#signin-username")).to_be_visible(timeout=WAIT_MS)
    await page.fill("#signin-username", username)
    await page.fill("#signin-password", password)
    await page.click("#signin-submit")
    await expect(page.locator("#view-app")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=WAIT_MS)


async def go_online(page: Page) -> None:
    await page.select_option("#presence", "online")
    await expect(page.locator("#presence")).to_have_attribute("data-presence", "online", timeout=WAIT_MS)


async def accept_offer(page: Page, customer: Customer) -> None:
    offer = page.locator(f'.offer[data-cid="{customer.id}"]')
    await expect(offer).to_be_visible(timeout=WAIT_MS)
    await offer.locator(".offer-accept").click()
    await expect(offer).to_have_count(0, timeout=WAIT_MS)
    await expect(page.locator(f'#my-chats .chat-item.active[data-cid="{customer.id}"]')).to_be_visible()


async def reply(page: Page, text: str) -> None:
    await page.fill("#reply", text)
    await page.press("#reply", "Enter")
    sent = page.locator("#transcript .msg-agent:not(.msg-pending) .msg-text", has_text=text)
    await expect(sent).to_have_count(1, timeout=WAIT_MS)
    await expect(page.locator("#transcript .msg-pending")).to_have_count(0)


async def screenshot(page: Page, name: str) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(LOG_DIR / f"console-{name}.png"))


async def agent_with_chat(
    open_console: OpenConsole, hub_client: httpx.AsyncClient, username: str
) -> tuple[Console, Customer]:
    """An agent online with a customer's chat accepted and open."""
    console = await open_console(username)
    await go_online(console.page)
    customer = await new_customer(hub_client)
    await customer.ask_for_a_person()
    await accept_offer(console.page, customer)
    return console, customer


# ---- 1. sign-in, an offer, replies both ways ---------------------------------------------------------------


async def test_an_agent_signs_in_accepts_an_offer_and_chats_with_the_customer(
    open_console: OpenConsole, hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "li.na", display_name="李娜", skills=("general", "lending"))
    console = await open_console()
    page = console.page

    await page.fill("#signin-username", "li.na")
    await page.fill("#signin-password", "not-the-password")
    await page.click("#signin-submit")
    await expect(page.locator("#signin-error")).to_contain_text("用户名或密码错误", timeout=WAIT_MS)
    await expect(page.locator("#view-app")).to_be_hidden()

    await sign_in(page, "li.na")
    await expect(page.locator("#me-name")).to_have_text("李娜")
    await expect(page.locator("#me-role")).to_have_text("客服")
    await go_online(page)

    customer = await new_customer(hub_client)
    await customer.ask_for_a_person()
    offer = page.locator(f'.offer[data-cid="{customer.id}"]')
    await expect(offer).to_be_visible(timeout=WAIT_MS)
    await expect(offer).to_contain_text("客户要求转人工")
    await expect(offer).to_contain_text("综合业务")
    await expect(offer).to_contain_text("中文")
    await expect(offer.locator(".offer-countdown")).to_contain_text("秒后撤回")
    await expect(page.locator("#tab-offer-badge")).to_have_text("1")

    await offer.locator(".offer-accept").click()
    transcript = page.locator("#transcript")
    await expect(transcript.locator(".msg-customer .msg-text", has_text="转人工")).to_be_visible(timeout=WAIT_MS)
    await expect(transcript.locator(".msg-bot").first).to_be_visible()
    await expect(transcript.locator(".msg-system", has_text="李娜")).to_be_visible()
    packet = page.locator("#side-packet")
    await expect(packet.locator("#packet-summary")).to_contain_text("客户要求转人工")
    await expect(packet.locator("#packet-summary")).to_contain_text("未验证")
    await expect(packet.locator(".recent")).to_contain_text("转人工")
    await expect(page.locator("#me-load")).to_have_text("会话 1/3")

    answer = "您好，我是李娜，请问有什么可以帮您？"
    await reply(page, answer)
    await customer.wait_for(
        lambda ms: any(m["sender"] == "agent" and m["text"] == answer and m["sender_name"] == "李娜" for m in ms),
        what="the agent's reply",
    )

    await expect(transcript.locator(".msg-agent .msg-status.sent")).to_have_text(["✓ 已发送"])
    reply_box = page.locator("#reply")
    await reply_box.press_sequentially("第一行")
    await reply_box.press("Shift+Enter")
    await reply_box.press_sequentially("第二行")
    await expect(page.locator("#reply-count")).to_have_text("7/2000")
    await reply_box.press("Enter")
    await customer.wait_for(lambda ms: any(m["text"] == "第一行\n第二行" for m in ms), what="a two-line reply")

    await customer.say("我的手机号是13812345678，贷款什么时候到账？")
    live = transcript.locator(".msg-customer .msg-text", has_text="贷款什么时候到账")
    await expect(live).to_have_text("我的手机号是138****5678，贷款什么时候到账？", timeout=WAIT_MS)
    await expect(page.locator("#reply-count")).to_have_text("0/2000")
    await screenshot(page, "workspace")


# ---- 2. transfer to another agent, with a note -------------------------------------------------------------


async def test_a_chat_is_transferred_to_another_online_agent_with_a_note(
    open_console: OpenConsole, hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "first", display_name="李娜", skills=("general",))
    second_id = await create_staff(hub_database_url, "second", display_name="王强", skills=("general",))
    first = await open_console("first")
    await go_online(first.page)
    customer = await new_customer(hub_client, customer_token=customer_token("C1001"))  # signed in at the bank
    await customer.ask_for_a_person()
    await accept_offer(first.page, customer)
    await expect(first.page.locator("#packet-summary")).to_contain_text("已验证（bank_token）")
    await expect(first.page.locator("#packet-summary")).to_contain_text("客户号 C1001")
    await reply(first.page, "稍等，我请同事帮您看一下。")

    second = await open_console("second")
    await go_online(second.page)

    page = first.page
    await page.click("#act-transfer")
    await expect(page.locator("#dlg-transfer")).to_be_visible()
    await page.check("#transfer-to-agent")
    await expect(page.locator(f'#transfer-agent option[value="{second_id}"]')).to_have_count(1, timeout=WAIT_MS)
    await page.select_option("#transfer-agent", second_id)
    note = "客户询问提款到账时间，已核对贷款信息，请继续跟进。"
    await page.fill("#transfer-note", note)
    await page.click("#transfer-submit")
    await expect(page.locator("#dlg-transfer")).to_be_hidden(timeout=WAIT_MS)
    await expect(page.locator("#my-chats .chat-item")).to_have_count(0, timeout=WAIT_MS)
    await expect(page.locator("#chat-view")).to_be_hidden()

    other = second.page
    await expect(other.locator(f'#my-chats .chat-item[data-cid="{customer.id}"]')).to_be_visible(timeout=WAIT_MS)
    await expect(other.locator("#toasts")).to_contain_text(note)
    await expect(other.locator("#chat-view")).to_be_visible()
    await expect(other.locator("#side-packet .notes")).to_contain_text(note, timeout=WAIT_MS)
    await expect(other.locator("#side-packet .notes")).to_contain_text("李娜")
    await expect(other.locator("#transcript .msg-agent", has_text="稍等，我请同事帮您看一下。")).to_be_visible()

    await reply(other, "您好，我是王强，接着为您处理。")
    await customer.wait_for(
        lambda ms: any(m["sender"] == "agent" and m["sender_name"] == "王强" for m in ms), what="the second agent"
    )


# ---- 3. hand back to the assistant, resuming the form ------------------------------------------------------


async def test_a_hand_back_resumes_the_loan_application_the_customer_had_started(
    open_console: OpenConsole, hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "lending", display_name="李娜", skills=("general", "lending"))
    console = await open_console("lending")
    page = console.page
    await go_online(page)

    customer = await new_customer(hub_client)
    started = await customer.say("我想申请贷款")
    assert any("企业全称" in r["text"] for r in started["replies"]), started
    await customer.say("深圳市华强科技有限公司")
    await customer.ask_for_a_person()
    await accept_offer(page, customer)

    packet = page.locator("#side-packet")
    await expect(packet.locator("#packet-summary")).to_contain_text("贷款申请 · 统一社会信用代码", timeout=WAIT_MS)
    await expect(packet.locator(".form-answers")).to_contain_text("企业名称")
    await expect(packet.locator(".form-answers")).to_contain_text("深圳市华强科技有限公司")

    await page.click("#act-handback")
    await expect(page.locator("#handback-resume-row")).to_be_visible()
    await expect(page.locator("#handback-resume")).to_be_checked()
    await expect(page.locator("#handback-resume-row")).to_contain_text("贷款申请")
    await page.fill("#handback-note", "客户想继续申请贷款")
    await page.click("#handback-submit")
    await expect(page.locator("#dlg-handback")).to_be_hidden(timeout=WAIT_MS)
    await expect(page.locator("#my-chats .chat-item")).to_have_count(0, timeout=WAIT_MS)

    messages = await customer.wait_for(
        lambda ms: any("统一社会信用代码" in m["text"] and m["sender"] == "bot" and m["seq"] > 6 for m in ms),
        what="the form's next question",
    )
    texts = [m["text"] for m in messages]
    handed_back = texts.index("人工客服已将对话交还智能助手。")
    after = texts[handed_back + 1 :]
    assert any("您好，我是智能助手，我们继续" in text for text in after), after
    assert any("请提供企业的统一社会信用代码" in text for text in after), after


# ---- 4. close with a wrap-up code; the customer rates --------------------------------------------------------


async def test_closing_needs_a_wrap_up_code_and_asks_the_customer_for_a_rating(
    open_console: OpenConsole, hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "closer", display_name="李娜")
    console, customer = await agent_with_chat(open_console, hub_client, "closer")
    page = console.page
    await reply(page, "已为您处理完毕。")

    await page.click("#act-close")
    await expect(page.locator("#dlg-close")).to_be_visible()
    await page.click("#close-submit")
    await expect(page.locator("#close-error")).to_contain_text("请选择结束原因")
    await expect(page.locator("#dlg-close")).to_be_visible()
    await page.select_option("#close-code", "resolved")
    await page.fill("#close-note", "已解答提款到账时间")
    await page.click("#close-submit")
    await expect(page.locator("#dlg-close")).to_be_hidden(timeout=WAIT_MS)
    await expect(page.locator("#my-chats .chat-item")).to_have_count(0, timeout=WAIT_MS)
    await expect(page.locator("#chat-empty")).to_be_visible()

    messages = await customer.wait_for(
        lambda ms: any("请为本次服务打分" in m["text"] for m in ms), what="the rating request"
    )
    request = next(m for m in messages if "请为本次服务打分" in m["text"])
    assert [b["title"] for b in request["buttons"]] == ["5", "4", "3", "2", "1"]
    rated = await hub_client.post(
        f"/api/v1/conversations/{customer.id}/rating", json={"score": 5}, headers=auth(customer.conversation)
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["replies"][0]["text"] == "感谢您的评价！"


# ---- 5. customer text that tries to be HTML or script -----------------------------------------------------

XSS_PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<script>alert(1)</script>",
    '<img src=x onerror="window.__xss=1">',
    "<img src=x onerror=alert(1)>",
    '<svg onload="window.__xss=1">',
    "<svg><script>window.__xss=1</script></svg>",
    "<svg/onload=window.__xss=1//",
    '<svg><animate onbegin="window.__xss=1" attributeName=x dur=1s>',
    '<svg><a xlink:href="javascript:alert(1)"><text x=20 y=20>x</text></a></svg>',
    '<iframe src="javascript:window.top.__xss=1"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<iframe src="data:text/html,<script>alert(1)</script>">',
    '<a href="javascript:window.__xss=1">click me</a>',
    "javascript:alert(1)",
    "javascript&colon;alert(1)",
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    '" onmouseover="window.__xss=1" x="',
    "' onfocus='window.__xss=1' autofocus='",
    "</textarea><script>window.__xss=1</script>",
    "</title><script>alert(1)</script>",
    "</li></ol><script>window.__xss=1</script>",
    '<body onload="window.__xss=1">',
    '<details open ontoggle="window.__xss=1">',
    '<input autofocus onfocus="window.__xss=1">',
    "<select autofocus onfocus=window.__xss=1>",
    '<video><source onerror="window.__xss=1"></video>',
    '<audio src=x onerror="window.__xss=1">',
    '<object data="javascript:window.__xss=1"></object>',
    '<embed src="javascript:window.__xss=1">',
    '<template><img src=x onerror="window.__xss=1"></template>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    '<div style="background:url(javascript:window.__xss=1)">css</div>',
    '<div style="width:expression(window.__xss=1)">old IE</div>',
    '<style>*{background:url("javascript:alert(1)")}</style>',
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<marquee onstart="window.__xss=1">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<isindex type=image src=1 onerror=alert(1)>",
    "<xss id=x tabindex=1 onfocusin=window.__xss=1></xss>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    '<img src=x onerror="\\u0061lert(1)">',
    "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img """><script>window.__xss=1</script>">',
    "＜script＞window.__xss=1＜/script＞",
    "{{constructor.constructor('window.__xss=1')()}}",
    "${alert(1)}",
    "客户说：<b onmouseover=alert(1)>您好</b>",
    "https://evil.example/?q=<script>alert(1)</script>",
]
# Elements none of the console's own markup uses inside a chat: if one shows up, a payload became HTML.
PAYLOAD_ELEMENTS = (
    "img, svg, script, iframe, object, embed, a, template, math, style, link, meta, base, video, audio, source, "
    "input, select, form, body, noscript, marquee, xss, isindex, b"
)


async def test_customer_text_that_looks_like_html_is_shown_as_text_and_never_runs(
    open_console: OpenConsole, hub: Service, hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    assert len(XSS_PAYLOADS) >= 50
    await create_staff(hub_database_url, "xss", display_name='<img src=x onerror="window.__xss=1">李娜', max_chats=3)
    await create_staff(hub_database_url, "boss", role="supervisor", skills=("general",))
    supervisor = ConsoleClient(hub.url)
    try:
        await supervisor.sign_in("boss")
        created = await supervisor.post(
            "/api/console/canned-replies",
            {"title": "<img src=x onerror=alert(1)>问候", "language": "zh", "text": "<script>alert(1)</script>您好"},
        )
        assert created.status_code == 201, created.text
    finally:
        await supervisor.close()

    console = await open_console("xss")
    page = console.page
    await go_online(page)
    # A customer may send 30 messages a minute, so the payloads go through three chats (the agent's capacity).
    # The first payload of each goes to the assistant before the handoff, so it is in the packet's recent messages.
    chunks = [XSS_PAYLOADS[i : i + 20] for i in range(0, len(XSS_PAYLOADS), 20)]
    assert len(chunks) == 3
    customers = []
    for chunk in chunks:
        customer = await new_customer(hub_client)
        await customer.say(chunk[0])
        await customer.ask_for_a_person()
        await accept_offer(page, customer)
        for payload in chunk[1:]:
            await customer.say(payload)
        customers.append(customer)

    chat_parts = page.locator("#offers, #my-chats, #queue, #transcript, #side-packet, #side-suggestions, #side-canned")
    for customer, chunk in zip(customers, chunks, strict=True):
        await page.click(f'#my-chats .chat-item[data-cid="{customer.id}"] button')
        shown = page.locator("#transcript .msg-customer .msg-text")
        await expect(shown).to_have_count(len(chunk) + 1, timeout=WAIT_MS)  # and 转人工
        texts = await shown.all_text_contents()
        for payload in chunk:
            assert mask_text(payload) in texts, payload
        await expect(page.locator("#side-packet .recent")).to_contain_text(mask_text(chunk[0]))
        await page.click("#side-tab-suggestions")
        await expect(page.locator("#side-suggestions q")).to_have_text(mask_text(chunk[-1]), timeout=WAIT_MS)
        await page.click("#side-tab-canned")
        await expect(page.locator("#side-canned")).to_contain_text("<img src=x onerror=alert(1)>问候")
        await page.click("#side-tab-packet")
        assert await chat_parts.locator(PAYLOAD_ELEMENTS).count() == 0

    await expect(page.locator("#me-name")).to_have_text('<img src=x onerror="window.__xss=1">李娜')
    await expect(page.locator("#transcript .msg-system", has_text="onerror")).not_to_have_count(0)
    assert console.dialogs == []
    assert await page.evaluate("window.__xss") is None
    assert await page.evaluate("window.__csp") == []
    assert await page.locator("script").count() == 3  # the console's own three files (i18n, staff, console)
    assert await page.locator("body img, body svg, body iframe, body object, body embed").count() == 0


# ---- 6. the supervisor -------------------------------------------------------------------------------------


async def test_the_supervisor_sees_agents_and_chats_follows_one_and_reassigns_it(
    open_console: OpenConsole, hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "agent.a", display_name="李娜", skills=("general", "lending"))
    b_id = await create_staff(hub_database_url, "agent.b", display_name="王强", skills=("general", "complaints"))
    await create_staff(
        hub_database_url, "chen", display_name="陈静", role="supervisor", skills=("general", "lending"), max_chats=2
    )
    first, customer = await agent_with_chat(open_console, hub_client, "agent.a")
    await reply(first.page, "您好，我是李娜。")
    second = await open_console("agent.b")
    await go_online(second.page)

    boss = await open_console("chen")
    page = boss.page
    await expect(page.locator("#tab-supervisor")).to_be_visible()
    await page.click("#tab-supervisor")
    agents = page.locator("#ov-agents")
    await expect(agents).to_contain_text("李娜", timeout=WAIT_MS)
    await expect(agents).to_contain_text("王强")
    await expect(agents.locator("tr", has_text="李娜")).to_contain_text("1/3")
    await expect(agents.locator("tr", has_text="李娜")).to_contain_text("在线")
    await expect(page.locator("#ov-skills tr", has_text="综合业务")).to_be_visible()
    row = page.locator(f'#ov-chats tr[data-cid="{customer.id}"]')
    await expect(row).to_contain_text("李娜", timeout=WAIT_MS)
    await expect(row).to_contain_text("服务中")

    await row.locator(".ov-open").click()
    watched = page.locator("#watch-transcript")
    await expect(watched.locator(".msg-agent", has_text="您好，我是李娜。")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#watch-sub")).to_contain_text("李娜")
    await customer.say("我想问一下还款日期")
    await expect(watched.locator(".msg-customer", has_text="我想问一下还款日期")).to_be_visible(timeout=WAIT_MS)
    await expect(first.page.locator("#transcript .msg-customer", has_text="我想问一下还款日期")).to_be_visible()
    await screenshot(page, "supervisor")

    await row.locator(".ov-reassign").click()
    await expect(page.locator("#dlg-reassign")).to_be_visible()
    await expect(page.locator(f'#reassign-agent option[value="{b_id}"]')).to_have_count(1, timeout=WAIT_MS)
    await page.select_option("#reassign-agent", b_id)
    await page.fill("#reassign-note", "李娜临时离开，请王强接手。")
    await page.click("#reassign-submit")
    await expect(page.locator("#dlg-reassign")).to_be_hidden(timeout=WAIT_MS)
    await expect(row).to_contain_text("王强", timeout=WAIT_MS)

    await expect(first.page.locator("#my-chats .chat-item")).to_have_count(0, timeout=WAIT_MS)
    other = second.page
    await expect(other.locator(f'#my-chats .chat-item[data-cid="{customer.id}"]')).to_be_visible(timeout=WAIT_MS)
    await expect(other.locator("#side-packet .notes")).to_contain_text("李娜临时离开，请王强接手。", timeout=WAIT_MS)
    await expect(other.locator("#transcript .msg-customer", has_text="我想问一下还款日期")).to_be_visible()

    await page.click("#watch-stop")
    await expect(page.locator("#watch-empty")).to_be_visible()


async def test_the_supervisor_creates_edits_and_deletes_a_canned_reply(
    open_console: OpenConsole, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "editor", display_name="陈静", role="supervisor", skills=("general",))
    console = await open_console("editor")
    page = console.page
    await page.click("#tab-canned")
    table = page.locator("#canned-table")

    await page.fill("#canned-title", "还款提醒")
    await page.select_option("#canned-language", "zh")
    await page.select_option("#canned-skill", "lending")
    await page.fill("#canned-text", "请在还款日前确保账户余额充足。")
    await page.click("#canned-save")
    row = table.locator("tbody tr", has_text="还款提醒")
    await expect(row).to_contain_text("贷款业务", timeout=WAIT_MS)
    await expect(row).to_contain_text("中文")

    await row.get_by_role("button", name="编辑").click()
    await expect(page.locator("#canned-form-h")).to_have_text("编辑快捷回复")
    await expect(page.locator("#canned-text")).to_have_value("请在还款日前确保账户余额充足。")
    await page.fill("#canned-text", "请在还款日前一天确保账户余额充足。")
    await page.select_option("#canned-skill", "")
    await page.click("#canned-save")
    await expect(row).to_contain_text("请在还款日前一天确保账户余额充足。", timeout=WAIT_MS)
    await expect(row).to_contain_text("通用")

    await row.get_by_role("button", name="删除").click()
    await expect(row.get_by_role("button", name="确认删除")).to_be_visible()
    await row.get_by_role("button", name="确认删除").click()
    await expect(table.locator("tbody tr", has_text="还款提醒")).to_have_count(0, timeout=WAIT_MS)


# ---- 7. a lost push, a dropped connection, a reload -----------------------------------------------------------


class Link:
    """The console's websocket passed through Playwright, so a test can lose a frame or cut the line."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.connections = 0
        self.refuse = False
        self.lose_next_customer_message = False
        self.current: tuple[WebSocketRoute, WebSocketRoute] | None = None

    async def handle(self, page_side: WebSocketRoute) -> None:
        self.connections += 1
        if self.refuse:
            await page_side.close(code=1013, reason="try again later")
            return
        server_side = page_side.connect_to_server()
        self.current = (page_side, server_side)

        def from_page(message: str | bytes) -> None:
            self.sent.append(json.loads(message))
            server_side.send(message)

        def from_server(message: str | bytes) -> None:
            event = json.loads(message)
            if self.lose_next_customer_message and event.get("type") == "message":
                if event["message"]["sender"] == "customer":
                    self.lose_next_customer_message = False
                    return
            page_side.send(message)

        page_side.on_message(from_page)
        server_side.on_message(from_server)

    async def cut(self) -> None:
        assert self.current is not None
        page_side, server_side = self.current
        self.current = None
        await server_side.close()
        await page_side.close(code=1011, reason="cut by the test")


async def test_the_console_fills_a_lost_message_reconnects_and_restores_its_chats_after_a_reload(
    open_console: OpenConsole, hub: Service, hub_client: httpx.AsyncClient, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "steady", display_name="李娜")
    console = await open_console()
    page = console.page
    link = Link()
    await page.route_web_socket(re.compile(r"/api/console/ws$"), link.handle)
    await sign_in(page, "steady")
    await go_online(page)
    customer = await new_customer(hub_client)
    await customer.ask_for_a_person()
    await accept_offer(page, customer)
    said = page.locator("#transcript .msg-customer .msg-text")
    await expect(said).to_have_text(["转人工"])

    # A push lost on the way: the next message's seq skips ahead, and the page reads what it missed.
    link.lose_next_customer_message = True
    await customer.say("第一条：推送丢失")
    await customer.say("第二条：正常推送")
    await expect(said).to_have_text(["转人工", "第一条：推送丢失", "第二条：正常推送"], timeout=WAIT_MS)

    # The customer typing shows in the chat and in the list.
    url = hub.url.replace("http://", "ws://") + f"/api/v1/conversations/{customer.id}/ws"
    async with websockets.connect(f"{url}?token={customer.conversation['resume_token']}&last_seq=999") as socket:
        await socket.send(json.dumps({"type": "typing"}))
        await expect(page.locator("#chat-typing")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#my-chats .chat-item-last.typing")).to_be_visible()

    # The line drops; the customer writes before the page is back; the page resumes the chat from its last seq.
    await link.cut()
    await customer.say("断线期间发来的消息")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    await expect(said.last).to_have_text("断线期间发来的消息", timeout=WAIT_MS)
    resumes = [f for f in link.sent if f.get("type") == "resume" and f.get("conversation_id") == customer.id]
    assert resumes and all(isinstance(f["last_seq"], int) and f["last_seq"] > 0 for f in resumes), link.sent
    assert link.connections == 2

    # A reload: the open offer and the chat come back from GET /chats?scope=mine.
    second = await new_customer(hub_client)
    await second.ask_for_a_person()
    await expect(page.locator(f'.offer[data-cid="{second.id}"]')).to_be_visible(timeout=WAIT_MS)
    await page.reload()
    await expect(page.locator(f'#my-chats .chat-item[data-cid="{customer.id}"]')).to_be_visible(timeout=WAIT_MS)
    await accept_offer(page, second)

    # A message in the chat that is not open: an unread count until the agent opens it.
    await customer.say("还在吗？")
    first_item = page.locator(f'#my-chats .chat-item[data-cid="{customer.id}"]')
    await expect(first_item.locator(".unread")).to_have_text("1", timeout=WAIT_MS)
    await expect(first_item).to_contain_text("还在吗？")
    await first_item.locator("button").click()
    await expect(first_item.locator(".unread")).to_have_count(0)
    await expect(said.last).to_have_text("还在吗？")

    # The line stays down longer than the hub waits for a heartbeat: the page keeps retrying (backing off), the
    # hub lets the agent go and puts both chats back in the queue, and the page says so once it is back.
    link.refuse = True
    await link.cut()
    await expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
    await customer.wait_for(
        lambda ms: any(m["text"].startswith("客服的连接中断了") for m in ms), what="word of the lost agent", seconds=40
    )
    assert link.connections > 3, "no retry while the line was down"
    link.refuse = False
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=40_000)
    await expect(page.locator("#presence")).to_have_attribute("data-presence", "offline")
    await expect(page.locator("#toasts")).to_contain_text("您已被设为离线")
    await expect(page.locator("#my-chats .chat-item")).to_have_count(0)
    await expect(page.locator("#chat-empty")).to_be_visible()
    await expect(page.locator("#queue .queue-item")).to_have_count(2, timeout=WAIT_MS)


# ---- sign-in errors ---------------------------------------------------------------------------------------


async def test_sign_in_says_what_went_wrong_network_wrong_password_and_a_lock_with_its_retry_time(
    open_console: OpenConsole, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "careful", display_name="李娜")
    console = await open_console()
    page = console.page
    error = page.locator("#signin-error")

    await page.route("**/api/console/session", lambda route: route.abort("internetdisconnected"))
    await page.fill("#signin-username", "careful")
    await page.fill("#signin-password", STAFF_PASSWORD)
    await page.click("#signin-submit")
    await expect(error).to_contain_text("网络连接失败", timeout=WAIT_MS)
    await page.unroute("**/api/console/session")

    await page.fill("#signin-password", "")
    await page.click("#signin-submit")
    await expect(error).to_have_text("请输入用户名和密码。")

    for attempt in range(5):  # SIGN_IN_MAX_FAILURES
        await page.fill("#signin-password", f"wrong-{attempt}")
        await page.click("#signin-submit")
        await expect(error).to_have_text("用户名或密码错误，请重新输入。", timeout=WAIT_MS)
        await expect(page.locator("#signin-submit")).to_be_enabled()
        await page.evaluate("document.getElementById('signin-error').textContent = ''")
    await page.fill("#signin-password", STAFF_PASSWORD)
    await page.click("#signin-submit")
    await expect(error).to_contain_text("登录失败次数过多", timeout=WAIT_MS)
    await expect(error).to_contain_text(re.compile(r"请在\d+分\d+秒后（约北京时间 \d\d:\d\d）再试"))
    await expect(page.locator("#view-app")).to_be_hidden()


# ---- the language switch, and account managers --------------------------------------------------------------


async def test_the_language_switch_is_remembered_and_account_managers_are_told_their_inbox_is_elsewhere(
    open_console: OpenConsole, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "agent.en", display_name="Li Na")
    await create_staff(
        hub_database_url, "manager", display_name="赵敏", role="account_manager", skills=("account_manager",)
    )

    console = await open_console("agent.en", width=1024)
    page = console.page
    await expect(page.locator("#tab-workspace")).to_contain_text("工作台")
    await page.locator("#view-app .lang-switch").click()
    await expect(page.locator("#tab-workspace")).to_contain_text("Workspace")
    await expect(page.locator("#me-role")).to_have_text("Agent")
    await page.reload()
    await expect(page.locator("#tab-workspace")).to_contain_text("Workspace", timeout=WAIT_MS)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.locator("#sign-out").click()
    await expect(page.locator("#view-signin")).to_be_visible(timeout=WAIT_MS)

    await sign_in_as_manager(page)
    await expect(page.locator("#view-manager")).to_contain_text("Your inbox is not in this console")
    await expect(page.locator("#manager-text")).to_contain_text("赵敏")
    await page.locator("#view-manager .sign-out").click()
    await expect(page.locator("#view-signin")).to_be_visible(timeout=WAIT_MS)


async def sign_in_as_manager(page: Page) -> None:
    await page.fill("#signin-username", "manager")
    await page.fill("#signin-password", STAFF_PASSWORD)
    await page.click("#signin-submit")
    await expect(page.locator("#view-manager")).to_be_visible(timeout=WAIT_MS)
