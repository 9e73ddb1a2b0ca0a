"""The customer chat widget: its size, how fast it is ready, and the page's memory after 500 messages.

Against a running system (`make run`), in Debian's Chromium driven by Playwright (never `playwright install`):
  1. the bundle: web_widget/widget.js as the hub serves it (/widget/widget.js), raw and gzipped (level 9); the
     issue's budget is 40 KB gzipped for the widget's JavaScript and CSS (the CSS is inside the script);
  2. load -> ready: a fresh browser context opens /demo/wechat (the widget opens on load there), and the time from
     the navigation's start to the widget's `sme-chat:ready` event (conversation created, websocket open) is read
     from the page's own clock (performance.now()); --runs times, median and worst;
  3. memory: a customer on the home page asks for a person, a demo agent (console API and websocket, signed in as
     --agent) accepts and sends --messages replies; once the page shows them all, the page's JS heap after a
     forced garbage collection (Chromium's Runtime.getHeapUsage), before and after, and the DOM's node count.

    .venv/bin/python bench/widget.py [--hub http://127.0.0.1:8000] [--runs 10] [--messages 500]
        [--agent agent1 --password demo-agent-1]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from common import local_only

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Debian's Chromium with the flags that keep it from fetching anything (component updates, sync, QUIC).
from tests.utils.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

READY_PROBE = """
window.__ready = null;
document.addEventListener("sme-chat:ready", () => { window.__ready = performance.now(); });
"""
BUDGET_BYTES = 40 * 1024


async def poll(page: Any, expression: str, seconds: float) -> Any:
    """The expression's value once it is not null (the pages' CSP forbids Playwright's eval-based waiting)."""
    deadline = time.monotonic() + seconds
    while True:
        value = await page.evaluate(expression)
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {expression}")
        await asyncio.sleep(0.02)


async def bundle(hub: str) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=hub, timeout=10) as client:
        served = (await client.get("/widget/widget.js")).content
    return {"raw": len(served), "gzip": len(gzip.compress(served, 9))}


async def load_to_ready(browser: Any, hub: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        context = await browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
        page = await context.new_page()
        await page.add_init_script(READY_PROBE)
        await page.goto(hub + "/demo/wechat")
        times.append(float(await poll(page, "window.__ready", 30)))
        await context.close()
    return times


async def heap_after_messages(browser: Any, hub: str, messages: int, agent_name: str, password: str) -> dict[str, Any]:
    from tests.utils.staff import ConsoleClient

    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    agent = ConsoleClient(hub)
    try:
        await agent.sign_in(agent_name, password)
        await agent.connect()
        await agent.go_online()
        await page.goto(hub + "/")
        await page.click("sme-chat .launcher")
        await page.wait_for_selector("sme-chat[data-state=online]", state="attached")

        async def heap() -> int:
            await cdp.send("HeapProfiler.collectGarbage")
            return int((await cdp.send("Runtime.getHeapUsage"))["usedSize"])

        before = await heap()
        await page.click("sme-chat .human")
        conversation_id = await page.evaluate(
            "JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('sme-chat/v1/')))).id"
        )
        await agent.next_event("offer", conversation_id=conversation_id)
        accepted = await agent.accept(conversation_id)
        if accepted.status_code != 204:
            raise SystemExit(f"the agent could not accept the chat: {accepted.text}")
        started = time.perf_counter()
        for n in range(messages):
            response = await agent.reply(
                conversation_id, f"第{n + 1}条消息：提款审批通过后，资金一般在1个工作日内到账。"
            )
            if response.status_code not in (200, 201):
                raise SystemExit(f"reply {n + 1} refused: {response.text}")
        count = "document.querySelector('sme-chat').shadowRoot.querySelectorAll('.m.agent').length"
        await poll(page, f"{count} >= {messages} || null", 120)
        shown_seconds = time.perf_counter() - started
        after = await heap()
        nodes = await page.evaluate("document.querySelector('sme-chat').shadowRoot.querySelectorAll('*').length")
        closed = await agent.post(f"/api/console/chats/{conversation_id}/close", {"wrapup_code": "resolved"})
        return {
            "before": before,
            "after": after,
            "nodes": int(nodes),
            "seconds": shown_seconds,
            "closed": closed.status_code == 204,
        }
    finally:
        await agent.close()
        await context.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hub", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--agent", default="agent1")
    parser.add_argument("--password", default="demo-agent-1")
    args = parser.parse_args()
    hub = local_only(args.hub)
    await run(hub, runs=args.runs, messages=args.messages, agent=args.agent, password=args.password)


async def run(hub: str, *, runs: int, messages: int, agent: str, password: str) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    size = await bundle(hub)
    verdict = "within" if size["gzip"] <= BUDGET_BYTES else "OVER"
    print(
        f"bundle: widget.js {size['raw'] / 1024:.1f} KB raw, {size['gzip'] / 1024:.1f} KB gzipped "
        f"({verdict} the 40 KB budget; JS and CSS in one file)",
        flush=True,
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            times = await load_to_ready(browser, hub, runs)
            print(
                f"load -> ready (/demo/wechat, new conversation, websocket open), {runs} runs: "
                f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms",
                flush=True,
            )
            memory = await heap_after_messages(browser, hub, messages, agent, password)
        finally:
            await browser.close()
    print(
        f"memory: JS heap {memory['before'] / 1e6:.2f} MB before, {memory['after'] / 1e6:.2f} MB after "
        f"{messages} agent messages (after GC); {memory['nodes']} nodes in the widget; "
        f"all {messages} shown {memory['seconds']:.1f} s after the first was sent",
        flush=True,
    )
    return {"bundle": size, "ready_ms": times, "memory": memory}


if __name__ == "__main__":
    asyncio.run(main())
