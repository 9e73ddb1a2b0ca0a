"""The supervisor's part of the agent console for service requests, in a real browser against a real hub: every
request with its account manager (or none), one opened read-only and masked, and the webhooks the account-manager
platform never took, sent again with Retry until the hub's relay delivers them."""

from __future__ import annotations

import re

import psycopg
import redis
from playwright.async_api import expect

from handoff import crud
from tests.conftest import _libpq
from tests.handoff import test_console_page, test_inbox
from tests.handoff.test_console_page import WAIT_MS, OpenConsole, screenshot
from tests.handoff.test_inbox import Requests, until
from tests.handoff.test_service_requests import PUDONG
from tests.utils.staff import create_staff

# The console page tests' browser fixture, and the inbox API tests' service requests (created the way the
# conversation flow creates them).
open_console = test_console_page.open_console
requests = test_inbox.requests


def delivered_webhooks(hub_database_url: str) -> int:
    with psycopg.connect(_libpq(hub_database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL").fetchone()
    return int(row[0]) if row else 0


async def test_the_supervisor_sees_every_service_request_and_sends_a_dead_webhook_again(
    open_console: OpenConsole, requests: Requests, hub_database_url: str, redis_url: str
) -> None:
    await create_staff(hub_database_url, "chen", display_name="陈静", role="supervisor", skills=("general",))
    # Before any account manager exists: nobody to assign it to.
    orphan, first = await requests.new(summary="周末想约客户经理谈谈新的授信")
    await create_staff(
        hub_database_url,
        "wangfang",
        role="account_manager",
        skills=("account_manager",),
        display_name="王芳 Wang Fang",
        external_id="AM001",
        branch=PUDONG,
    )
    number, second = await requests.new()
    async with requests.sessions() as session:
        await crud.add_message(
            session, conversation_id=second.id, sender="customer", text="我的手机号是13800000001，请下午打给我"
        )
        await session.commit()
    for customer in (first, second):
        await customer.http.aclose()

    async def both_delivered() -> bool:
        return delivered_webhooks(hub_database_url) == 2

    await until(both_delivered, "both webhooks delivered to the hub's own platform")
    # The orphan has waited past its time (nobody moves an unassigned request on); the platform refused the other
    # request's webhook every time.
    redis.Redis.from_url(redis_url).set("hub:sr:sweeper", "held-by-the-test", px=300_000)
    with psycopg.connect(_libpq(hub_database_url), autocommit=True) as conn:
        conn.execute("UPDATE service_requests SET accept_by = now() - interval '1 hour' WHERE number = %s", (orphan,))
        conn.execute(
            "UPDATE outbox SET dead_at = now(), attempts = 4, last_error = 'HTTP 500: platform down', "
            "delivered_at = NULL WHERE request_id = (SELECT id FROM service_requests WHERE number = %s)",
            (number,),
        )
        conn.execute("UPDATE service_requests SET delivered_at = NULL WHERE number = %s", (number,))

    console = await open_console("chen")
    page = console.page
    await page.click("#tab-supervisor")
    rows = page.locator("#sr-table tbody tr")
    await expect(rows).to_have_count(2, timeout=WAIT_MS)
    await expect(rows.first).to_have_attribute("data-number", orphan)  # overdue first
    orphan_row = page.locator(f'#sr-table tr[data-number="{orphan}"]')
    await expect(orphan_row.locator(".badge-unassigned")).to_have_text("未分配")
    await expect(orphan_row.locator(".badge-overdue")).to_have_text("已超时")
    await expect(orphan_row).to_have_class(re.compile(r"\brow-alert\b"))
    row = page.locator(f'#sr-table tr[data-number="{number}"]')
    await expect(row.locator(".sr-manager")).to_have_text("王芳 Wang Fang")
    await expect(row).to_contain_text("待受理")
    await expect(row).to_contain_text("客户经理回电")
    await expect(row.locator(".badge-overdue")).to_have_count(0)

    # Read-only, masked: the API masks the mobile and the customer's text for supervisors.
    await row.locator(".sr-open").click()
    dialog = page.locator("#dlg-request")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#dlg-request-h")).to_have_text(f"服务请求 {number}")
    view = page.locator("#request-view")
    await expect(view.locator(".sr-mobile")).to_have_text("138****0001", timeout=WAIT_MS)
    await expect(view).to_contain_text("想把贷款额度提高到800万，需要客户经理介绍一下材料")
    await expect(view).to_contain_text("王芳 Wang Fang")
    await expect(view).to_contain_text("尚未送达")
    await expect(view.locator(".sr-events")).to_contain_text("请求已提交，分配给王芳 Wang Fang")
    await expect(view.locator(".msg-customer .msg-text")).to_have_text("我的手机号是138****0001，请下午打给我")
    await expect(view).not_to_contain_text("13800000001")
    assert await dialog.locator("button, a").count() == 1  # nothing to act with: only Close
    await screenshot(page, "service-request")
    await dialog.locator("#request-close").click()
    await expect(dialog).to_be_hidden()

    # The webhook the platform never took, and Retry.
    dead = page.locator("#ob-table tbody tr")
    await expect(dead).to_have_count(1, timeout=WAIT_MS)
    await expect(dead).to_have_attribute("data-number", number)
    await expect(dead).to_contain_text("新请求 (service_request.created)")
    await expect(dead.locator(".ob-attempts")).to_have_text("4")
    await expect(dead.locator(".ob-error-cell")).to_have_text("HTTP 500: platform down")
    await dead.scroll_into_view_if_needed()
    await screenshot(page, "service-requests")
    await dead.locator(".ob-retry").click()
    await expect(page.locator("#toasts")).to_contain_text(f"已重新发送 {number}。", timeout=WAIT_MS)
    await expect(dead).to_have_count(0, timeout=WAIT_MS)
    await expect(page.locator("#ob-empty")).to_have_text("没有未送达的 Webhook。")
    await page.click("#ob-pending")
    await expect(page.locator("#ob-pending")).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#ob-empty")).to_have_text("没有正在重试的 Webhook。", timeout=WAIT_MS)
    assert delivered_webhooks(hub_database_url) == 2
    await row.locator(".sr-open").click()
    await expect(view).to_contain_text("已送达", timeout=WAIT_MS)
    assert await page.evaluate("window.__csp") == []
