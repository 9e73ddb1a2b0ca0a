"""The analytics dashboard in a real browser (Debian's Chromium driven by Playwright) on a real hub, over the
hand-built transcript of test_analytics: a supervisor opens it from the console, picks the range, reads the
figures in both languages and downloads a CSV and a FAQ draft; an agent neither sees the link nor the figures.
Screenshots for a person to look at: tests' log folder, analytics-zh.png and analytics-en.png."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from handoff.db import create_engine, create_sessionmaker
from tests.handoff.test_analytics import build
from tests.handoff.test_console_page import WATCH_CSP
from tests.utils.services import LOG_DIR, Service
from tests.utils.staff import STAFF_PASSWORD, create_staff

WAIT_MS = 15_000
# The charts' texts drawn outside their SVG (cut off by its edge), and their labels shortened with "…".
TEXT_OUTSIDE_ITS_CHART = """() => [...document.querySelectorAll("svg.chart")].flatMap((svg) => {
  const width = svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll("text")]
    .filter((text) => { const box = text.getBBox(); return box.x < -0.5 || box.x + box.width > width + 0.5; })
    .map((text) => text.firstChild.nodeValue);
})"""
SHORTENED_LABELS = """() => [...document.querySelectorAll("svg.chart text.label")]
  .filter((text) => text.firstChild.nodeValue !== text.querySelector("title").textContent)
  .map((text) => text.querySelector("title").textContent)"""


def value_ticks(section: str) -> str:
    """The value axis's tick labels of a section's column chart."""
    return f"""() => [...document.querySelectorAll("{section} svg text.axis[text-anchor=end]")]
      .map((text) => text.textContent)"""


async def charts_draw_every_text_whole(page: Page) -> None:
    assert await page.evaluate(TEXT_OUTSIDE_ITS_CHART) == []
    assert await page.evaluate(SHORTENED_LABELS) == []


@pytest.fixture
async def dashboard_data(hub_database_url: str, clean_hub_state: None) -> None:
    engine = create_engine(hub_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            await build(session)
    finally:
        await engine.dispose()
    await create_staff(hub_database_url, "boss", role="supervisor", display_name="陈主管")
    await create_staff(hub_database_url, "agent7", display_name="王客服")


@pytest.fixture
async def context(browser: Browser, dashboard_data: None) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    await context.add_init_script(WATCH_CSP)
    yield context
    await context.close()


async def signed_in(context: BrowserContext, hub: Service, username: str) -> Page:
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(hub.url + "/console/")
    await expect(page.locator("#signin-username")).to_be_visible(timeout=WAIT_MS)
    await page.fill("#signin-username", username)
    await page.fill("#signin-password", STAFF_PASSWORD)
    await page.click("#signin-submit")
    await expect(page.locator("#view-app")).to_be_visible(timeout=WAIT_MS)
    return page


async def test_a_supervisor_reads_the_figures_in_both_languages(
    context: BrowserContext, hub_without_rasa: Service
) -> None:
    page = await signed_in(context, hub_without_rasa, "boss")
    link = page.locator("#nav-analytics")
    await expect(link).to_be_visible()
    await link.click()
    await expect(page.locator("#view-app")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#me-name")).to_have_text("陈主管")
    await page.fill("#f-start", "2026-11-10")
    await page.fill("#f-end", "2026-11-11")
    await page.click("#an-filters button[type=submit]")
    await expect(page.locator("body")).to_have_attribute(
        "data-loaded", "start=2026-11-10&end=2026-11-11", timeout=WAIT_MS
    )

    kpi = page.locator("#an-kpis")
    await expect(kpi.locator('[data-kpi="conversations"] .v')).to_have_text("8")
    await expect(kpi.locator('[data-kpi="contained"] .v')).to_have_text("37.5%")
    await expect(kpi.locator('[data-kpi="handoffs"] .v')).to_have_text("4")
    day = page.locator('table[data-table="containment_by_day"] tbody tr').first
    await expect(day.locator("td")).to_have_text(["2026-11-10", "6", "3", "2", "1", "50.0%"])
    hours = page.locator("#sec-containment-hour svg rect.bar")
    await expect(hours).to_have_count(8)  # eight hours with a conversation, one outcome each
    drawdown = page.locator('[data-journey="drawdown_form"]')
    await expect(drawdown.locator("h3")).to_have_text("提款")
    await expect(drawdown.locator("text.value")).to_have_text(
        [
            "3 (100.0%)",
            "3 (100.0%)",
            "2 (66.7%)",
            "2 (66.7%)",
            "1 (33.3%)",
            "1 (33.3%)",
            "1 (33.3%)",
            "1 (33.3%)",
            "1 (33.3%)",
            "1 (33.3%)",
        ]
    )
    await expect(page.locator("#sec-reasons text.label title").first).to_have_text("客户要求转人工")
    general = page.locator('table[data-table="queue_by_skill"] tbody tr', has_text="3")
    await expect(general.first).to_contain_text("60 秒 / 84 秒")
    gaps = page.locator('table[data-table="faq_gaps"] tbody tr')
    await expect(gaps).to_have_count(3)
    await expect(page.locator("#sec-gaps")).not_to_contain_text("6222021234567890123")
    await expect(page.locator("#sec-gaps")).to_contain_text("**** 0123")
    # Counts are whole numbers: the hours' axis (one conversation at most) ticks 0 and 1, the days' 0 2 4 6.
    assert await page.evaluate(value_ticks("#sec-containment-hour")) == ["0", "1"]
    assert await page.evaluate(value_ticks("#sec-containment-day")) == ["0", "2", "4", "6"]
    await charts_draw_every_text_whole(page)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(LOG_DIR / "analytics-zh.png"), full_page=True)

    csv_href = await page.locator('#sec-queue a.csv[data-table="queue_by_skill"]').get_attribute("href")
    assert csv_href is not None and csv_href.startswith("/api/console/analytics/queue_by_skill.csv?start=2026-11-10")
    csv = await page.request.get(hub_without_rasa.url + csv_href)
    assert csv.ok and "skill,handoffs,queued" in (await csv.text())
    async with page.expect_download() as download_info:
        await gaps.first.locator("a.draft-link").click()
    download = await download_info.value
    assert download.suggested_filename.startswith("faq-draft-g") and download.suggested_filename.endswith(".yaml")
    draft = await (await page.request.get(download.url)).text()
    assert "electricity" in draft and "answer:" in draft

    await page.locator(".lang-switch").first.click()
    await expect(page.locator("#sec-funnels h2 span").first).to_have_text("Journey funnels")
    await expect(drawdown.locator("h3")).to_have_text("Drawdown")
    await expect(general.first).to_contain_text("60 s / 84 s")
    await expect(page.locator('#an-kpis [data-kpi="contained"] .k')).to_have_text("Served by the assistant")
    reasons = page.locator("#sec-reasons text.label")
    await expect(reasons).to_have_count(3)
    await expect(reasons.nth(2)).to_contain_text("The assistant did not understand, repeatedly")  # whole, not "…"
    await charts_draw_every_text_whole(page)
    await page.screenshot(path=str(LOG_DIR / "analytics-en.png"), full_page=True)
    assert await page.evaluate("window.__csp") == []
    assert page.errors == []  # type: ignore[attr-defined]


async def test_an_agent_has_no_link_and_no_figures(context: BrowserContext, hub_without_rasa: Service) -> None:
    page = await signed_in(context, hub_without_rasa, "agent7")
    await expect(page.locator("#nav-analytics")).to_be_hidden()
    await page.goto(hub_without_rasa.url + "/console/analytics/?start=2026-11-10&end=2026-11-11")
    await expect(page.locator("#view-denied")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#denied-text")).to_have_text("王客服，您好。服务数据看板仅对主管和管理员开放。")
    await expect(page.locator("#an-kpis")).to_be_hidden()
    answer = await page.request.get(hub_without_rasa.url + "/api/console/analytics?start=2026-11-10&end=2026-11-11")
    assert answer.status == 403


async def test_signed_out_the_page_sends_to_the_console(browser: Browser, hub_without_rasa: Service) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(hub_without_rasa.url + "/console/analytics/")
    await expect(page.locator("#view-denied")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#denied-text")).to_contain_text("Sign in to the agent console")
    await expect(page.locator('#view-denied a[href="/console/"]')).to_be_visible()
    await context.close()
