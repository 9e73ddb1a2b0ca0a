"""After hours, end to end, in both languages: a customer asks for a person at night, hears that the agents are off
duty and takes the account manager's call back instead; the assistant (a real Rasa with the trained model and the
action server) collects the request, the hub numbers it and its relay delivers it to the hub's own platform; the
account manager accepts and schedules it (in the inbox page in a real browser, or over the inbox API), and the
customer, in a new conversation, asks how it stands and hears it.

The night is the hub's: a hub of its own (its own database and Redis) whose clock started at 23:00 Beijing time
(``HUB_CLOCK_START``) with the bank's real hours. The action server keeps the wall clock: the contact windows it
offers are the account managers' next working hours from now, which is after the hub's night.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg
import pytest
import redis
from playwright.async_api import Browser, Page, expect

from handoff.clock import SHANGHAI
from tests.conftest import DATABASE_SUFFIX, HUB_TABLES, JourneyCore, _libpq, migrated_hub_database
from tests.handoff.test_inbox import until
from tests.handoff.test_service_requests import PUDONG
from tests.utils.customers import Customer, new_customer
from tests.utils.factories import customer_token
from tests.utils.lending import reset_and_seed
from tests.utils.services import LOG_DIR, REPO, Service
from tests.utils.stack import hub_env, start_hub
from tests.utils.staff import STAFF_PASSWORD, create_staff, signed_in

NIGHT_DATABASE = f"sme_hub_night{DATABASE_SUFFIX}"
NIGHT_REDIS_URL = os.environ.get("TEST_NIGHT_REDIS_URL", "redis://127.0.0.1:6379/7")
WAIT_MS = 20_000
NUMBER = re.compile(r"SR\d{10}")


def last_night_at_eleven() -> dt.datetime:
    """The latest 23:00 in Beijing that has passed: every skill but security is off duty then, any day."""
    now = dt.datetime.now(SHANGHAI)
    eleven = now.replace(hour=23, minute=0, second=0, microsecond=0)
    return eleven if eleven <= now else eleven - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def night_database_url() -> str:
    return migrated_hub_database(NIGHT_DATABASE)


@pytest.fixture(scope="module")
def night_hub(
    night_database_url: str, rasa_server: Service, action_server: Service, journey_core: JourneyCore
) -> Iterator[Service]:
    redis.Redis.from_url(NIGHT_REDIS_URL).flushdb()
    env = hub_env(
        database_url=night_database_url,
        redis_url=NIGHT_REDIS_URL,
        rasa_url=rasa_server.url,
        action_url=action_server.url,
        lending_url=journey_core.url,
        BUSINESS_HOURS_FILE=str(REPO / "businesshours" / "bank.yaml"),
        HUB_CLOCK_START=last_night_at_eleven().isoformat(),
    )
    service = start_hub("night-hub", env)
    yield service
    service.stop()


@pytest.fixture
async def night(
    night_hub: Service, night_database_url: str, journey_core: JourneyCore
) -> AsyncIterator[httpx.AsyncClient]:
    """The night hub, emptied, with the account manager of the demo customer C1001 (王芳, AM001) and nobody else."""
    with psycopg.connect(_libpq(night_database_url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {HUB_TABLES} RESTART IDENTITY CASCADE")
    redis.Redis.from_url(NIGHT_REDIS_URL).flushdb()
    await reset_and_seed(journey_core.settings, today_is_real=True)
    await create_staff(
        night_database_url,
        "wangfang",
        role="account_manager",
        skills=("account_manager",),
        display_name="王芳",
        external_id="AM001",
        branch=PUDONG,
    )
    async with httpx.AsyncClient(base_url=night_hub.url, timeout=30) as client:
        yield client


@asynccontextmanager
async def inbox_page(browser: Browser, hub: Service, *, language: str) -> AsyncIterator[Page]:
    """王芳's inbox on a phone-sized page, signed in, in the given language; nothing on it may throw."""
    context = await browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    errors: list[str] = []
    try:
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(hub.url + "/inbox/")
        await expect(page.locator("#signin-username")).to_be_visible(timeout=WAIT_MS)
        if language == "en":
            await page.locator("#view-signin .lang-switch").click()
            await expect(page.locator("#signin-submit")).to_have_text("Sign in")
        await page.fill("#signin-username", "wangfang")
        await page.fill("#signin-password", STAFF_PASSWORD)
        await page.click("#signin-submit")
        await expect(page.locator("#view-app")).to_be_visible(timeout=WAIT_MS)
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        yield page
    finally:
        await context.close()
    assert errors == []


def said(answer: dict[str, Any]) -> str:
    return "\n".join(reply["text"] for reply in answer["replies"])


def buttons(answer: dict[str, Any]) -> list[dict[str, str]]:
    return [button for reply in answer["replies"] for button in reply.get("buttons") or []]


async def asks_for_a_person_at_night(customer: Customer, text: str, *, callback_title: str) -> None:
    answer = await customer.say(text)
    assert answer["mode"] == "bot" and answer["queue"] is None
    told = answer["replies"][-1]
    assert told["sender"] == "system" and told["custom"]["handoff_unavailable"]["reason"] == "after_hours"
    assert {"title": callback_title, "payload": "/request_callback"} in told["buttons"]


def request_number(answer: dict[str, Any]) -> str:
    system = [r for r in answer["replies"] if r["sender"] == "system" and "service_request" in (r["custom"] or {})]
    assert system, said(answer)
    return str(system[0]["custom"]["service_request"]["number"])


async def test_at_night_in_chinese_a_verified_customer_leaves_a_call_back_and_the_account_manager_schedules_it(
    night: httpx.AsyncClient, night_hub: Service, browser: Browser
) -> None:
    customer = await new_customer(night, language="zh", customer_token=customer_token("C1001"))
    await asks_for_a_person_at_night(customer, "转人工", callback_title="请客户经理联系我")

    asked = await customer.say("/request_callback")
    # The suggested summary says why: the customer asked for a person (kept with one button, or replaced).
    assert "需要客户经理办理的事项：\n希望人工客服协助" in said(asked)
    assert {"/affirm"} <= {button["payload"] for button in buttons(asked)}
    windows = await customer.say("想把授信额度提高到100万，请客户经理介绍一下要准备的材料")
    offered = buttons(windows)
    assert 1 <= len(offered) <= 4 and "（北京时间）" in said(windows)
    mobile = await customer.say(offered[0]["payload"])
    assert "138****0001" in said(mobile) and "13800000001" not in said(mobile)  # the registered mobile, masked
    consent = await customer.say("/affirm")
    assert "138****0001" in said(consent)
    summary = await customer.say("同意")
    assert "请核对服务请求" in said(summary) and "想把授信额度提高到100万" in said(summary)
    done = await customer.say("确认")
    number = request_number(done)
    assert f"您的服务请求已提交，编号{number}。客户经理王芳会在" in said(done) and "尾号0001" in said(done)

    # The account manager's inbox, in a real browser: the request is there once the relay delivered it.
    visit_day = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=2)).date()
    async with inbox_page(browser, night_hub, language="zh") as page:
        arrived = page.locator(f'#req-list .req-item[data-number="{number}"]')
        await expect(arrived).to_contain_text("客户经理回电", timeout=WAIT_MS)
        await arrived.locator("button").click()
        body = page.locator("#detail-body")
        await expect(body.locator(".summary-text")).to_have_text(
            "想把授信额度提高到100万，请客户经理介绍一下要准备的材料", timeout=WAIT_MS
        )
        await expect(body).to_contain_text("非工作时间，人工客服不在")  # the reason the hub gave, by its clock
        await expect(body).to_contain_text("已送达", timeout=WAIT_MS)
        await expect(page.locator("#tel-link")).to_have_attribute("href", "tel:13800000001")
        await page.click("#act-accept")
        await expect(page.locator("#detail-badges")).to_contain_text("已受理", timeout=WAIT_MS)
        await page.click("#act-schedule")
        await page.check("#schedule-call")
        await page.fill("#schedule-date", visit_day.isoformat())
        await page.fill("#schedule-time", "10:30")
        await page.click("#schedule-submit")
        await expect(page.locator("#detail-badges")).to_contain_text("已安排", timeout=WAIT_MS)
        await page.screenshot(path=str(LOG_DIR / "after-hours-inbox.png"), full_page=True)

    told = [m["text"] for m in await customer.transcript() if m["sender"] == "system"]
    assert f"客户经理王芳已受理您的服务请求{number}。" in told
    assert any(text.startswith("客户经理王芳已安排在") and "10:30致电联系您" in text for text in told), told

    # Another night, a new conversation: a verified customer needs no number.
    later = await new_customer(night, language="zh", customer_token=customer_token("C1001"))
    status = await later.say("我的服务请求进度怎么样了")
    assert "您的服务请求：" in said(status)
    assert f"{number}（客户经理回电）：已安排，时间" in said(status) and "客户经理王芳" in said(status)
    assert "13800000001" not in said(status) and "138****0001" not in said(status)
    await customer.http.aclose()
    await later.http.aclose()


async def test_at_night_in_english_a_guest_leaves_a_call_back_and_asks_for_it_by_number(
    night: httpx.AsyncClient, night_hub: Service, browser: Browser
) -> None:
    customer = await new_customer(night, language="en")
    await asks_for_a_person_at_night(
        customer, "I want to talk to a human", callback_title="Have my account manager contact me"
    )

    asked = await customer.say("/request_callback")
    assert "Here is what I have noted for your account manager:\nasked for a person" in said(asked)
    windows = await customer.say("I would like to discuss a bigger credit line for my shop")
    offered = buttons(windows)
    assert 1 <= len(offered) <= 4
    asked_mobile = await customer.say(offered[-1]["payload"])
    assert "mobile" in said(asked_mobile).lower()
    consent = await customer.say("139 1234 5678")
    assert "139****5678" in said(consent) and "13912345678" not in said(consent)
    summary = await customer.say("yes")
    assert "bigger credit line" in said(summary) and "139****5678" in said(summary)
    done = await customer.say("yes")
    number = request_number(done)
    assert f"Your request is in: number {number}." in said(done) and "ending 5678" in said(done)

    # A guest's request goes round the account managers: 王芳 is the only one. She reads the inbox in English.
    async with signed_in(str(night.base_url), "wangfang", online=False) as manager:

        async def delivered() -> dict[str, Any] | None:
            listing = (await manager.get("/api/inbox/requests")).json()["requests"]
            return next((r for r in listing if r["number"] == number and r["delivered"]), None)

        listed = await until(delivered, "the webhook delivered to the hub's own platform", seconds=20)
        detail = (await manager.get(f"/api/inbox/requests/{number}")).json()
    assert listed["contact_mobile"] == "139****5678" and listed["account_manager"] == "王芳"
    assert (detail["reason"], detail["language"], detail["journey_stage"], detail["kind"]) == (
        "after_hours",
        "en",
        "intent:request_human",
        "callback",
    )
    call_day = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date()
    async with inbox_page(browser, night_hub, language="en") as page:
        arrived = page.locator(f'#req-list .req-item[data-number="{number}"]')
        await expect(arrived).to_contain_text("Call back", timeout=WAIT_MS)
        await arrived.locator("button").click()
        body = page.locator("#detail-body")
        await expect(body.locator(".summary-text")).to_have_text(
            "I would like to discuss a bigger credit line for my shop", timeout=WAIT_MS
        )
        await expect(body).to_contain_text("Outside the agents' hours")
        await expect(page.locator("#tel-link")).to_have_attribute("href", "tel:13912345678")
        await page.click("#act-accept")
        await expect(page.locator("#detail-badges")).to_contain_text("Accepted", timeout=WAIT_MS)
        await page.click("#act-schedule")
        await page.check("#schedule-call")
        await page.fill("#schedule-date", call_day.isoformat())
        await page.fill("#schedule-time", "14:00")
        await page.click("#schedule-submit")
        await expect(page.locator("#detail-badges")).to_contain_text("Scheduled", timeout=WAIT_MS)
        await page.screenshot(path=str(LOG_DIR / "after-hours-inbox-en.png"), full_page=True)

    told = [m["text"] for m in await customer.transcript() if m["sender"] == "system"]
    assert f"Your account manager 王芳 has taken your request {number}." in told
    assert any(text.startswith("Your account manager 王芳 will call you") and number in text for text in told), told

    # A new conversation, not signed in: the number alone gives the state, never personal data.
    later = await new_customer(night, language="en")
    asked_number = await later.say("what's the status of my service request?")
    assert "SR" in said(asked_number)
    status = await later.say(f"it is {number}")
    line = said(status)
    assert f"{number} (call back): scheduled for" in line and "account manager 王芳" in line
    assert "5678" not in line and "credit line" not in line
    await customer.http.aclose()
    await later.http.aclose()
