"""The account managers' inbox (/inbox/) in a real browser (Debian's Chromium driven by Playwright) against a real
hub: requests created the way the conversation flow creates them, delivered by the hub's relay to its own
platform, which tells the inbox live; the account manager works them on a phone-sized page and the customer hears
of it in their conversation (read back over the customer REST API).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
import redis
from playwright.async_api import Browser, BrowserContext, Dialog, Locator, Page, Route, WebSocketRoute, expect

from handoff import crud
from handoff.clock import SHANGHAI
from tests.conftest import _libpq
from tests.handoff import test_inbox
from tests.handoff.test_console_page import WATCH_CSP, XSS_PAYLOADS
from tests.handoff.test_inbox import Requests
from tests.handoff.test_service_requests import PUDONG
from tests.utils.services import LOG_DIR, Service
from tests.utils.staff import STAFF_PASSWORD, ConsoleClient, create_staff

# The inbox API tests' fixtures: service requests created the way the conversation flow creates them, and the
# account manager of the demo customer C1001 (王芳, AM001).
requests = test_inbox.requests
wang = test_inbox.wang

WAIT_MS = 15_000
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
# Elements none of the inbox's own markup uses inside a request: if one shows up, a payload became HTML.
PAYLOAD_ELEMENTS = (
    "img, svg, script, iframe, object, embed, template, math, style, link, meta, base, video, audio, source, "
    "input, select, form, body, noscript, marquee, xss, isindex, b, details"
)


@dataclass
class Inbox:
    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


OpenInbox = Callable[..., Awaitable[Inbox]]


@pytest.fixture
async def open_inbox(browser: Browser, hub: Service, clean_hub_state: None) -> AsyncIterator[OpenInbox]:
    """Opens /inbox/ in a fresh browser context (its own cookies), phone-sized unless told, optionally signed in."""
    contexts: list[BrowserContext] = []
    inboxes: list[Inbox] = []

    async def open_one(username: str | None = None, *, phone: bool = True, path: str = "/inbox/") -> Inbox:
        context = await browser.new_context(
            locale="zh-CN", timezone_id="Europe/Berlin", **(PHONE if phone else DESKTOP)
        )
        contexts.append(context)
        page = await context.new_page()
        await page.add_init_script(WATCH_CSP)
        inbox = Inbox(page)
        inboxes.append(inbox)

        async def on_dialog(dialog: Dialog) -> None:
            inbox.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: inbox.errors.append(str(error)))
        await page.goto(hub.url + path)
        if username is not None:
            await sign_in(page, username)
        return inbox

    yield open_one
    for context in contexts:
        await context.close()
    assert [i.errors for i in inboxes if i.errors] == [], "the page threw"


async def sign_in(page: Page, username: str, password: str = STAFF_PASSWORD) -> None:
    await expect(page.locator("#signin-username")).to_be_visible(timeout=WAIT_MS)
    await page.fill("#signin-username", username)
    await page.fill("#signin-password", password)
    await page.click("#signin-submit")
    await expect(page.locator("#view-app")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=WAIT_MS)


def item(page: Page, number: str) -> Locator:
    return page.locator(f'#req-list .req-item[data-number="{number}"]')


async def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(LOG_DIR / f"inbox-{name}.png"), full_page=full_page)


async def customer_says(requests: Requests, conversation_id: str, *texts: str) -> None:
    """What the customer typed in the conversation the request came from (stored as the hub stores it)."""
    async with requests.sessions() as session:
        for text in texts:
            await crud.add_message(session, conversation_id=conversation_id, sender="customer", text=text)
        await session.commit()


async def no_script_ran(inbox: Inbox) -> None:
    assert inbox.dialogs == []
    assert await inbox.page.evaluate("window.__xss") is None
    assert await inbox.page.evaluate("window.__csp") == []


def tomorrow() -> dt.date:
    return (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date()


def hold_the_sweeper(redis_url: str) -> None:
    """The hub passes a request not accepted in time to the next account manager (every 30 s, under a lease):
    take its lease so an overdue request stays where the test put it."""
    redis.Redis.from_url(redis_url).set("hub:sr:sweeper", "held-by-the-test", px=300_000)


async def manager(hub_database_url: str, username: str, name: str, external_id: str) -> str:
    return await create_staff(
        hub_database_url,
        username,
        role="account_manager",
        skills=("account_manager",),
        display_name=name,
        external_id=external_id,
        branch=PUDONG,
    )


# ---- 1. a request arrives live and is worked to the end on a phone ------------------------------------------


async def test_an_account_manager_works_a_new_request_on_the_phone_and_the_customer_hears_each_step(
    open_inbox: OpenInbox, requests: Requests, wang: str, hub_database_url: str
) -> None:
    earlier, first_customer = await requests.new(
        kind="annual_review",
        contact_method="visit",
        summary="额度年审快到期了，想约客户经理上门准备材料",
        reason="annual_review",
        journey_stage="intent:book_annual_review",
    )
    await first_customer.http.aclose()
    inbox = await open_inbox("wangfang")
    page = inbox.page
    await expect(page.locator("#me-name")).to_have_text("王芳 Wang Fang")
    await expect(page.locator("#me-role")).to_have_text("客户经理")
    await expect(item(page, earlier)).to_contain_text("额度年审", timeout=WAIT_MS)
    await expect(item(page, earlier)).not_to_have_class(re.compile(r"\breq-new\b"))

    # Created after the page loaded: the hub's relay delivers it to the hub's platform, which tells the page.
    number, customer = await requests.new()
    await customer_says(requests, customer.id, "我的手机号是13800000001，明天上午都方便。")
    arrived = item(page, number)
    await expect(arrived).to_have_class(re.compile(r"\breq-new\b"), timeout=WAIT_MS)
    await expect(arrived.locator(".badge-new")).to_have_text("新")
    await expect(arrived).to_contain_text("客户经理回电 · 电话联系")
    await expect(arrived).to_contain_text("待受理")
    await expect(arrived).to_contain_text("138****0001")
    await expect(arrived).to_contain_text(re.compile(r"联系时段：明天 \d\d:\d\d-\d\d:\d\d"))
    await expect(page.locator("#req-list .req-item").first).to_have_attribute("data-number", number)
    await expect(page.locator("#announcer")).to_contain_text(f"新的服务请求 {number}：客户经理回电。")
    await expect(page).to_have_title(re.compile(r"^（1）服务请求"))
    await screenshot(page, "phone-list")

    await arrived.locator("button").click()
    await expect(page.locator("#detail-h")).to_have_text(f"{number} · 客户经理回电", timeout=WAIT_MS)
    await expect(page.locator("#list-pane")).to_be_hidden()  # a phone shows one pane at a time
    assert page.url.endswith(f"/inbox/#{number}")
    tel = page.locator("#tel-link")
    await expect(tel).to_have_attribute("href", "tel:13800000001")
    await expect(tel).to_have_text("☎13800000001")
    await expect(page.locator("#recorded-notice")).to_contain_text("此次查看已记录")
    body = page.locator("#detail-body")
    await expect(body.locator(".summary-text")).to_have_text("想把贷款额度提高到800万，需要客户经理介绍一下材料")
    for shown in ("非工作时间，人工客服不在", "意图：请客户经理联系", "C1001", PUDONG, "电话联系", "已送达"):
        await expect(body).to_contain_text(shown)
    await expect(body.locator(".events")).to_contain_text("请求已提交，分配给王芳 Wang Fang")
    transcript = page.locator("#transcript")
    await expect(transcript.locator(".msg-bot .msg-text")).to_have_text("好的")
    await expect(transcript.locator(".msg-system .msg-text")).to_contain_text(f"您的服务请求已提交，编号{number}")
    # The account manager's own request: what the customer typed, in full.
    await expect(transcript.locator(".msg-customer .msg-text")).to_have_text(
        "我的手机号是13800000001，明天上午都方便。"
    )
    await expect(transcript.locator(".msg-customer .msg-who")).to_have_text("客户")
    await expect(page.locator("#detail")).not_to_contain_text(re.compile(r"\bnull\b|undefined|NaN"))
    await screenshot(page, "phone-detail")

    await page.click("#act-accept")
    await expect(page.locator("#detail-badges")).to_contain_text("已受理", timeout=WAIT_MS)
    await expect(page.locator("#toasts")).to_contain_text(f"已受理 {number}，客户已收到通知。")
    await expect(page.locator("#act-accept")).to_be_hidden()
    await expect(page.locator("#act-decline")).to_be_hidden()
    events = body.locator(".events")
    await expect(events).to_contain_text("王芳 Wang Fang已受理")

    await page.click("#act-schedule")
    await expect(page.locator("#form-schedule")).to_be_visible()
    await expect(page.locator("#act-schedule")).to_have_attribute("aria-expanded", "true")
    # It starts at the customer's window (tomorrow) with the method they asked for.
    await expect(page.locator("#schedule-date")).to_have_value(tomorrow().isoformat())
    await expect(page.locator("#schedule-time")).to_have_value(re.compile(r"^\d\d:\d\d$"))
    await expect(page.locator("#schedule-call")).to_be_checked()
    await expect(page.locator("#schedule-zone")).to_contain_text("北京时间")
    await page.check("#schedule-visit")
    await page.fill("#schedule-date", tomorrow().isoformat())
    await page.fill("#schedule-time", "10:00")
    await page.fill("#schedule-note", "带上近三个月流水")
    await screenshot(page, "phone-schedule")
    await page.click("#schedule-submit")
    await expect(page.locator("#detail-badges")).to_contain_text("已安排", timeout=WAIT_MS)
    await expect(page.locator("#form-schedule")).to_be_hidden()
    await expect(body.locator(".scheduled-text")).to_have_text("明天 10:00")
    await expect(events).to_contain_text("王芳 Wang Fang安排上门拜访：明天 10:00")
    await expect(events).to_contain_text("带上近三个月流水")

    await page.click("#act-note")
    await page.click("#note-submit")
    await expect(page.locator("#action-error")).to_have_text("请填写备注内容。")
    await expect(page.locator("#note-text")).to_be_focused()
    await page.fill("#note-text", "客户希望下午")
    await page.click("#note-submit")
    await expect(events).to_contain_text("客户希望下午", timeout=WAIT_MS)
    await expect(page.locator("#action-error")).to_be_hidden()

    await page.click("#act-done")
    await page.fill("#done-note", "已办结")
    await page.click("#done-submit")
    await expect(page.locator("#detail-badges")).to_contain_text("已办结", timeout=WAIT_MS)
    await expect(page.locator("#actions-closed")).to_have_text("此请求已办结，无需再处理。")
    for button in ("#act-accept", "#act-decline", "#act-schedule", "#act-note", "#act-done"):
        await expect(page.locator(button)).to_be_hidden()
    await expect(events.locator(".event")).to_have_count(5)
    await screenshot(page, "phone-done", full_page=True)

    # Back on the list: done is no longer open; it is under "all".
    await page.click("#back-to-list")
    await expect(page.locator("#list-pane")).to_be_visible()
    await expect(item(page, number)).to_have_count(0, timeout=WAIT_MS)
    await expect(item(page, earlier)).to_be_visible()
    assert "#" not in page.url
    await page.click("#scope-all")
    await expect(page.locator("#scope-all")).to_have_attribute("aria-pressed", "true")
    await expect(item(page, number)).to_contain_text("已办结", timeout=WAIT_MS)

    told = [m["text"] for m in await customer.transcript() if m["sender"] == "system"]
    await customer.http.aclose()
    assert told[0].startswith(f"您的服务请求已提交，编号{number}")
    assert told[1:] == [
        f"客户经理王芳 Wang Fang已受理您的服务请求{number}。",
        f"客户经理王芳 Wang Fang已安排在明天 10:00上门拜访（服务请求{number}）。",
        f"您的服务请求{number}已办结，感谢您的耐心。如还有需要，欢迎随时联系我们。",
    ]
    with psycopg.connect(_libpq(hub_database_url)) as conn:
        audit = conn.execute("SELECT DISTINCT action, subject FROM audit_log ORDER BY subject").fetchall()
    assert ("view_unmasked", number) in audit
    await no_script_ran(inbox)


# ---- 2. declined with a reason: out of the list, to the next account manager ----------------------------------


async def test_declining_needs_a_reason_and_passes_the_request_to_the_next_account_manager(
    open_inbox: OpenInbox, requests: Requests, wang: str, hub: Service, hub_database_url: str
) -> None:
    await manager(hub_database_url, "liqiang", "李强 Li Qiang", "AM002")
    number, customer = await requests.new()
    await customer.http.aclose()
    inbox = await open_inbox("wangfang")
    other = await open_inbox("liqiang", phone=False)
    page = inbox.page
    await expect(other.page.locator("#list-empty")).to_have_text(
        "目前没有待处理的服务请求。新请求到达时会自动出现在这里。", timeout=WAIT_MS
    )

    await item(page, number).locator("button").click()
    await page.click("#act-decline")
    await page.click("#decline-submit")
    await expect(page.locator("#action-error")).to_have_text("请填写拒绝原因。")
    await expect(page.locator("#decline-reason")).to_have_attribute("aria-invalid", "true")
    await page.fill("#decline-reason", "客户的厂房在苏州，请苏州的同事跟进")
    await page.click("#decline-submit")
    await expect(page.locator("#list-pane")).to_be_visible(timeout=WAIT_MS)
    await expect(item(page, number)).to_have_count(0)
    await expect(page.locator("#list-empty")).to_be_visible()
    await expect(page.locator("#toasts")).to_contain_text(f"已拒绝 {number}，请求已转出。")
    await expect(page.locator("#list-h")).to_be_focused()

    passed = item(other.page, number)
    await expect(passed).to_have_class(re.compile(r"\breq-new\b"), timeout=WAIT_MS)
    await passed.locator("button").click()
    events = other.page.locator("#detail-body .events")
    await expect(events).to_contain_text("王芳 Wang Fang拒绝了此请求，已转给下一位客户经理", timeout=WAIT_MS)
    await expect(events).to_contain_text("原因：客户的厂房在苏州，请苏州的同事跟进")
    await expect(other.page.locator("#tel-link")).to_have_attribute("href", "tel:13800000001")

    # The old link: no longer Wang's, and she is told so plainly.
    await page.goto(f"{hub.url}/inbox/#{number}")
    problem = page.locator("#detail-problem")
    await expect(problem.locator("#detail-problem-text")).to_have_text(
        f"服务请求 {number} 不属于您，无法查看。如需了解，请联系主管。", timeout=WAIT_MS
    )
    await expect(problem).to_have_attribute("data-problem", "not_yours")
    await expect(page.locator("#detail")).to_be_hidden()


# ---- 3. overdue first, side by side on a desktop; a conflict; another account manager ---------------------------


class Link:
    """The inbox's websocket passed through Playwright, so a test can keep the hub's word from the page or cut the
    line. While deaf, the page's own list reads (its 30-second refresh, a throttled read still due) are held too,
    until it hears again: otherwise such a read could show the change before the page has acted on what it saw."""

    def __init__(self) -> None:
        self._hearing = asyncio.Event()
        self._hearing.set()
        self.refuse = False
        self.connections = 0
        self.dropped: list[dict[str, Any]] = []
        self.current: tuple[WebSocketRoute, WebSocketRoute] | None = None

    async def handle(self, page_side: WebSocketRoute) -> None:
        self.connections += 1
        if self.refuse:
            await page_side.close(code=1013, reason="try again later")
            return
        server_side = page_side.connect_to_server()
        self.current = (page_side, server_side)

        def from_server(message: str | bytes) -> None:
            event = json.loads(message)
            if self.deaf and event.get("type") in ("service_request", "service_requests_changed"):
                self.dropped.append(event)
                return
            page_side.send(message)

        server_side.on_message(from_server)

    @property
    def deaf(self) -> bool:
        return not self._hearing.is_set()

    @deaf.setter
    def deaf(self, deaf: bool) -> None:
        if deaf:
            self._hearing.clear()
        else:
            self._hearing.set()

    async def hold_list_reads(self, route: Route) -> None:
        await self._hearing.wait()
        await route.continue_()

    async def cut(self) -> None:
        assert self.current is not None
        page_side, server_side = self.current
        self.current = None
        await server_side.close()
        await page_side.close(code=1011, reason="cut by the test")


async def test_overdue_requests_come_first_a_conflict_is_explained_and_other_managers_cannot_open_them(
    open_inbox: OpenInbox, requests: Requests, wang: str, hub: Service, hub_database_url: str, redis_url: str
) -> None:
    await manager(hub_database_url, "liqiang", "李强 Li Qiang", "AM002")
    await create_staff(hub_database_url, "boss", role="supervisor", skills=("general",), display_name="陈静")
    late, c1 = await requests.new(summary="上周留的请求，一直没人联系我")
    fresh, c2 = await requests.new(summary="想了解续贷需要准备哪些材料")
    for customer in (c1, c2):
        await customer.http.aclose()
    hold_the_sweeper(redis_url)
    with psycopg.connect(_libpq(hub_database_url), autocommit=True) as conn:
        conn.execute("UPDATE service_requests SET accept_by = now() - interval '1 hour' WHERE number = %s", (late,))

    inbox = await open_inbox(phone=False)
    page = inbox.page
    link = Link()
    await page.route_web_socket(re.compile(r"/api/console/ws$"), link.handle)
    await page.route(re.compile(r"/api/inbox/requests\?"), link.hold_list_reads)
    await sign_in(page, "wangfang")
    first = page.locator("#req-list .req-item").first
    await expect(first).to_have_attribute("data-number", late, timeout=WAIT_MS)
    badge = first.locator(".badge-overdue")
    await expect(badge).to_have_text("已超时")
    assert await badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(179, 38, 30)"
    await expect(item(page, fresh).locator(".badge-overdue")).to_have_count(0)
    await first.locator("button").click()
    await expect(page.locator("#detail-badges .badge-overdue")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#detail-body .overdue-text")).to_be_visible()
    await expect(page.locator("#list-pane")).to_be_visible()  # list and detail side by side
    await expect(page.locator("#back-to-list")).to_be_hidden()
    await screenshot(page, "desktop")

    # Someone else (a supervisor) accepts it while the page does not hear of it: the page says so and catches up.
    await item(page, fresh).locator("button").click()
    await expect(page.locator("#detail-h")).to_contain_text(fresh, timeout=WAIT_MS)
    link.deaf = True
    boss = ConsoleClient(hub.url)
    try:
        await boss.sign_in("boss")
        assert (await boss.post(f"/api/inbox/requests/{fresh}/accept")).status_code == 200
    finally:
        await boss.close()
    await page.click("#act-accept")
    error = page.locator("#action-error")
    await expect(error).to_contain_text("此请求刚刚已被他人处理，状态已变为“已受理”", timeout=WAIT_MS)
    await expect(page.locator("#act-schedule")).to_be_visible()
    await expect(page.locator("#detail-body .events")).to_contain_text("陈静已受理")
    assert any(e["type"] == "service_request" and e["number"] == fresh for e in link.dropped), link.dropped
    link.deaf = False

    # The line drops and stays down a while: the page says so and retries, backing off; a request that arrived
    # meanwhile shows up, flagged new, once it is back.
    link.refuse = True
    await link.cut()
    await expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
    await expect(page.locator("#conn")).to_contain_text(re.compile(r"连接中断，\d+ 秒后重连"))
    meanwhile, c3 = await requests.new(summary="断线期间提交的请求")
    await c3.http.aclose()
    await page.wait_for_timeout(4000)
    assert link.connections >= 3, "no retry while the line was down"
    link.refuse = False
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=20_000)
    await expect(item(page, meanwhile)).to_have_class(re.compile(r"\breq-new\b"), timeout=WAIT_MS)

    # Another account manager sees neither, and a link to one says it is not theirs.
    other = await open_inbox("liqiang")
    await expect(other.page.locator("#list-empty")).to_be_visible(timeout=WAIT_MS)
    await other.page.goto(f"{hub.url}/inbox/#{late}")
    await expect(other.page.locator("#detail-problem")).to_contain_text(f"服务请求 {late} 不属于您", timeout=WAIT_MS)
    await other.page.goto(f"{hub.url}/inbox/#SR12")
    await expect(other.page.locator("#detail-problem")).to_contain_text("链接中的服务请求编号无效", timeout=WAIT_MS)

    # The language switch is remembered.
    await other.page.locator("#view-app .lang-switch").click()
    await expect(other.page.locator("#list-h")).to_contain_text("Service requests")
    await expect(other.page.locator("#detail-problem")).to_contain_text("is not valid")
    await other.page.goto(f"{hub.url}/inbox/#{late}")
    await expect(other.page.locator("#detail-problem")).to_contain_text(f"Service request {late} is not yours")
    await other.page.reload()
    await expect(other.page.locator("#list-h")).to_contain_text("Service requests", timeout=WAIT_MS)
    await expect(other.page.locator("#detail-problem")).to_contain_text(f"Service request {late} is not yours")
    await screenshot(other.page, "phone-en-not-yours")
    await expect(other.page.locator("html")).to_have_attribute("lang", "en")
    await other.page.locator("#sign-out").click()
    await expect(other.page.locator("#view-signin")).to_be_visible(timeout=WAIT_MS)
    await expect(other.page.locator("#signin-submit")).to_have_text("Sign in")


# ---- 4. who may use the inbox ------------------------------------------------------------------------------


async def test_agents_are_sent_to_the_console_and_a_supervisor_sees_requests_masked(
    open_inbox: OpenInbox, requests: Requests, wang: str, hub_database_url: str
) -> None:
    await create_staff(hub_database_url, "agent.li", display_name="李娜")
    await create_staff(hub_database_url, "chen", role="supervisor", skills=("general",), display_name="陈静")
    number, customer = await requests.new()
    await customer.http.aclose()

    inbox = await open_inbox()
    page = inbox.page
    await page.fill("#signin-username", "agent.li")
    await page.fill("#signin-password", "not-the-password")
    await page.click("#signin-submit")
    await expect(page.locator("#signin-error")).to_have_text("用户名或密码错误，请重新输入。", timeout=WAIT_MS)
    await page.fill("#signin-password", STAFF_PASSWORD)
    await page.click("#signin-submit")
    wrong = page.locator("#view-wrong-role")
    await expect(wrong).to_contain_text("此页面仅供客户经理和主管使用", timeout=WAIT_MS)
    await expect(page.locator("#wrong-role-text")).to_contain_text("李娜，您好。您的角色是“客服”")
    await expect(page.locator("#wrong-role-link")).to_have_attribute("href", "/console/")
    await wrong.locator(".sign-out").click()
    await expect(page.locator("#view-signin")).to_be_visible(timeout=WAIT_MS)

    await sign_in(page, "chen")
    row = item(page, number)
    await expect(row).to_contain_text("客户经理：王芳 Wang Fang", timeout=WAIT_MS)
    await row.locator("button").click()
    await expect(page.locator("#detail-body .mobile")).to_contain_text("138****0001", timeout=WAIT_MS)
    await expect(page.locator("#tel-link")).to_have_count(0)
    await expect(page.locator("#detail-body")).to_contain_text("个人信息已遮盖")
    await expect(page.locator("#actions-closed")).to_contain_text("您以主管身份查看")
    await no_script_ran(inbox)


# ---- 5. text that tries to be HTML or script ---------------------------------------------------------------


def summary_of_payloads() -> str:
    chosen: list[str] = []
    for payload in XSS_PAYLOADS:
        if len("\n".join([*chosen, payload])) > 2000:
            break
        chosen.append(payload)
    return "\n".join(chosen)


async def test_a_summary_and_customer_messages_full_of_html_show_as_text_and_never_run(
    open_inbox: OpenInbox, requests: Requests, hub_database_url: str
) -> None:
    name = '<img src=x onerror="window.__xss=1">王芳'
    await manager(hub_database_url, "xss.am", name, "AM001")
    summary = summary_of_payloads()
    number, customer = await requests.new(
        summary=summary,
        reason="<img src=x onerror=alert(1)>",
        journey_stage='"><svg onload=window.__xss=1>:<b>x</b>',
        slots={"company_name": '<img src=x onerror="window.__xss=1">', "<svg onload=alert(1)>": "javascript:alert(1)"},
    )
    await customer_says(requests, customer.id, *XSS_PAYLOADS)
    await customer.http.aclose()
    inbox = await open_inbox("xss.am")
    page = inbox.page
    await expect(page.locator("#me-name")).to_have_text(name)
    await expect(item(page, number).locator(".req-summary")).to_contain_text(XSS_PAYLOADS[0], timeout=WAIT_MS)

    await item(page, number).locator("button").click()
    shown = page.locator("#transcript .msg-customer .msg-text")
    await expect(shown).to_have_count(len(XSS_PAYLOADS), timeout=WAIT_MS)
    assert await shown.all_text_contents() == XSS_PAYLOADS
    assert await page.locator("#detail-body .summary-text").text_content() == summary
    body = page.locator("#detail-body")
    await expect(body).to_contain_text("<img src=x onerror=alert(1)>")  # the reason, as text
    await expect(body).to_contain_text('"><svg onload=window.__xss=1>')  # the journey stage
    await expect(body).to_contain_text("javascript:alert(1)")  # a form answer
    await page.click("#act-accept")
    await expect(page.locator("#act-note")).to_be_visible(timeout=WAIT_MS)
    await page.click("#act-note")
    await page.fill("#note-text", XSS_PAYLOADS[2])
    await page.click("#note-submit")
    await expect(body.locator(".event-note")).to_have_text(XSS_PAYLOADS[2], timeout=WAIT_MS)
    await expect(body.locator(".events")).to_contain_text(f"{name}已受理")

    for part in ("#req-list", "#detail-badges", "#detail-body", "#me-name", "#toasts", "#announcer"):
        assert await page.locator(part).locator(PAYLOAD_ELEMENTS).count() == 0, part
    # The only link in the request is the tel: link the page built from the validated digits.
    assert await page.locator("#detail a").count() == 1
    await expect(page.locator("#detail a")).to_have_attribute("href", "tel:13800000001")
    assert await page.locator("script").count() == 3  # the inbox's own three files (i18n, staff, inbox)
    await no_script_ran(inbox)
