"""The demo page in a real browser (Debian's Chromium driven by Playwright): a greeting through the whole chain."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.utils.services import Service


@pytest.mark.parametrize(("text", "expected"), [("你好", "您好"), ("hello", "Hello")])
async def test_a_person_greets_and_the_assistant_answers(
    browser: Browser, hub: Service, clean_hub_state: None, text: str, expected: str
) -> None:
    page = await browser.new_page()
    try:
        await page.goto(hub.url + "/")
        await expect(page.locator("#status")).to_have_text("● online", timeout=15_000)
        await page.fill("#text", text)
        await page.click("#send")

        await expect(page.locator(".msg.customer").first).to_have_text(text, timeout=15_000)
        await expect(page.locator(".msg.bot").first).to_contain_text(expected, timeout=15_000)
    finally:
        await page.close()
