"""The demo home page in a real browser (Debian's Chromium driven by Playwright): the widget embedded with one
script tag and one element, a greeting through the whole chain, and what the hub serves for it."""

from __future__ import annotations

import gzip

import httpx
import pytest
from playwright.async_api import expect

from tests.utils.services import REPO, Service
from tests.web_widget.conftest import WAIT_MS, OpenWidget


@pytest.mark.parametrize(("text", "expected"), [("你好", "您好"), ("hello", "Hello")])
async def test_a_person_greets_and_the_assistant_answers(open_widget: OpenWidget, text: str, expected: str) -> None:
    widget = await open_widget("/")
    await expect(widget.page.locator("h1")).to_contain_text("小微企业贷款")
    await widget.open()
    await widget.say(text)
    await expect(widget.loc(".m.customer[data-seq] .b").first).to_have_text(text)
    await expect(widget.loc(".m.bot").first).to_contain_text(expected, timeout=WAIT_MS)
    await expect(widget.loc(".m.customer[data-seq]").first).to_have_attribute("data-state", "sent")
    await widget.assert_nothing_ran()


async def test_the_hub_serves_the_widget_and_the_demo_pages_with_their_policies(hub: Service) -> None:
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as client:
        script = await client.get("/widget/widget.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert script.headers["x-content-type-options"] == "nosniff"
        assert 'customElements.define("sme-chat"' in script.text
        assert len(gzip.compress(script.content, 9)) <= 40 * 1024
        for path in ("/", "/demo/wechat"):
            page = await client.get(path)
            assert page.status_code == 200
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert '<script src="/widget/widget.js" defer></script>' in page.text
            assert "<sme-chat " in page.text
        info = (await client.get("/demo/info")).json()
        assert [c["customer_id"] for c in info["customers"]] == [f"C100{n}" for n in range(1, 9)]
        assert {"username": "agent1", "password": "demo-agent-1"}.items() <= info["staff"][0].items()
        signed = await client.post("/demo/customer-token", json={"customer_id": "C1001"})
        assert signed.status_code == 200 and signed.json()["customer_token"].count(".") == 2
        assert (await client.post("/demo/customer-token", json={"customer_id": "C9999"})).status_code == 404
        assert (await client.get("/demo/static/index.html")).status_code == 404
    assert (REPO / "web_widget" / "widget.js").read_bytes() == script.content
