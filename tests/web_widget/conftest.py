"""The widget in a real browser (Debian's Chromium driven by Playwright) on the hub's demo pages, against the real
hub, Rasa server and action server. The agent side is a console client on the real console API and websocket."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, Page, expect

from tests.utils.services import LOG_DIR, Service

WAIT_MS = 20_000
# Every CSP violation the page sees (a payload that became an element with an inline handler, a javascript: URL
# or a foreign resource would be blocked by the demo pages' policy and show up here).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""
CHAT = "sme-chat"


@dataclass
class Widget:
    """A page with the widget: what the customer sees and does (Playwright's CSS pierces the open shadow root)."""

    page: Page
    context: BrowserContext
    hub_url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def loc(self, selector: str = "") -> Any:
        return self.page.locator(f"{CHAT} {selector}".strip())

    async def open(self) -> None:
        await self.loc(".launcher").click()
        await self.online()

    async def online(self) -> None:
        await expect(self.page.locator(CHAT)).to_have_attribute("data-state", "online", timeout=WAIT_MS)
        await expect(self.loc("textarea")).to_be_visible()

    async def say(self, text: str) -> None:
        """Type and send; returns once the stored copy replaced the optimistic one."""
        await self.loc("textarea").fill(text)
        await self.loc("textarea").press("Enter")
        stored = self.loc(".m.customer[data-seq][data-state=sent]").filter(has_text=text)
        await expect(stored.last).to_be_visible(timeout=WAIT_MS)

    def bot(self, text: str) -> Any:
        return self.loc(".m.bot").filter(has_text=text)

    async def click_reply(self, title: str) -> None:
        """A quick reply of the newest message that has one with that title."""
        exact = re.compile(f"^{re.escape(title)}$")
        await self.loc(".qr button:not([disabled])").filter(has_text=exact).last.click()

    async def conversation(self) -> dict[str, str]:
        raw = await self.page.evaluate(
            "() => localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('sme-chat/v1/')))"
        )
        assert raw, "no conversation in local storage"
        return dict(json.loads(raw))

    async def shown_seqs(self) -> list[int]:
        values = await self.loc(".log .m[data-seq]").evaluate_all("(els) => els.map((e) => Number(e.dataset.seq))")
        return [int(v) for v in values]

    async def transcript(self) -> list[dict[str, Any]]:
        conv = await self.conversation()
        async with httpx.AsyncClient(base_url=self.hub_url, timeout=10) as client:
            response = await client.get(
                f"/api/v1/conversations/{conv['id']}/messages", headers={"Authorization": f"Bearer {conv['token']}"}
            )
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    async def assert_each_message_once_in_order(self) -> list[dict[str, Any]]:
        stored = await self.transcript()
        shown = await self.shown_seqs()
        assert shown == [m["seq"] for m in stored], (shown, [m["seq"] for m in stored])
        return stored

    async def assert_nothing_ran(self) -> None:
        assert self.dialogs == []
        assert self.errors == []
        assert await self.page.evaluate("window.__xss") is None
        assert await self.page.evaluate("window.__csp") == []

    async def screenshot(self, name: str) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(LOG_DIR / f"widget-{name}.png"))


OpenWidget = Callable[..., Awaitable[Widget]]


@pytest.fixture
async def open_widget(browser: Browser, hub: Service, clean_hub_state: None) -> AsyncIterator[OpenWidget]:
    contexts: list[BrowserContext] = []
    widgets: list[Widget] = []

    async def open_one(
        path: str = "/", *, width: int = 1280, height: int = 800, locale: str = "zh-CN", mobile: bool = False
    ) -> Widget:
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, is_mobile=mobile, has_touch=mobile
        )
        contexts.append(context)
        page = await context.new_page()
        await page.add_init_script(WATCH_CSP)
        widget = Widget(page, context, hub.url)
        widgets.append(widget)

        async def on_dialog(dialog: Dialog) -> None:
            widget.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: widget.errors.append(str(error)))
        await page.goto(hub.url + path)
        return widget

    yield open_one
    for context in contexts:
        await context.close()
    assert [w.errors for w in widgets if w.errors] == [], "the page threw"
